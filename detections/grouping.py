"""What a threshold or new-terms rule groups on: fields, and ``principal``, the principal behind
the credentials, which no single field holds (docs/detections.md, "Grouping by principal").

A role session's ARN (``assumed-role/<role>/<session>``) names a session whose name the caller
chose: a rule counting per session ARN is evaded by a fresh session every few calls. The
principal is the first of these a document has (:func:`principal_alternatives`):

1. an IAM Identity Center permission set's session (its role under the reserved path
   ``/aws-reserved/sso.amazonaws.com/``, not a role *named* ``AWSReservedSSO_*``, which anyone
   may create): the session's ARN, whose name Identity Center sets to the person's user name
   (no caller chooses it; the permission set's role pools every engineer given it);
2. the session issuer's ARN: a role session's role (the last of a chain), a federated user's
   IAM user (or root), which called ``GetFederationToken`` with a name of its choice;
3. the caller's ARN: an IAM user, root;
4. an Identity Center user's id (``IdentityCenterUser`` has no ARN: ``onBehalfOf.userId``);
5. another account's principal (``AWSAccount``, logged without an ARN), or root: the account.

A GuardDuty finding's ``accessKeyDetails`` (and Security Hub's ``AwsIamAccessKey`` without a
session issuer) names no ARN: only a role's or a user's *name*, unique in its account. Findings
therefore fall back on ``user.roles`` (an assumed role's name) and ``user.name`` (an IAM
user's): group them by ``[<prefix>.account_id, principal]``.

Serverless runs no scripts, so the engine cannot compute the value in an aggregation. Each
field the principal reads is a ``terms`` source of the same composite aggregation, with
``missing_bucket`` (a bucket per combination of values: per session, as grouping by the
caller's ARN gave), and :func:`key_of` computes the principal of each bucket; the engine merges
the buckets of one principal. Searches for a principal's documents name every field it may come
from (:func:`key_term`: a superset, narrowed by the same computation on the buckets). A rule
names ``principal`` in ``group_by`` like a field; ``alert.group_by`` carries its value under
that name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from detections.search import any_of
from normalizers import registry

PRINCIPAL = "principal"
IDENTITY_CENTER_ROLES = "arn:aws*:iam::*:role/aws-reserved/sso.amazonaws.com/*"
"""The roles IAM Identity Center creates for permission sets (docs/detections.md, Exceptions:
``role_paths`` matches the issuer the same way)."""
SEPARATOR = "@"
"""Between a grouping's name and a field in the names of its composite sources."""


@cache
def actor_prefix(source: str) -> str | None:
    """``aws.<source>.user_identity`` where ``source``'s documents name an actor
    (``normalizers.ecs.actor.actor_fields``), from the fields the registry gives it; ``None``
    for a source without actors (flows, configuration items) or no source."""
    try:
        spec = registry.spec(source)
    except KeyError:
        return None
    prefix = f"{spec.dataset}.user_identity"
    return prefix if any(field.path.startswith(f"{prefix}.") for field in spec.fields) else None


@dataclass(frozen=True, slots=True)
class Condition:
    """``field`` matches ``pattern`` (``*``: any characters) or is one of ``values``."""

    field: str
    pattern: str | None = None
    values: tuple[str, ...] = ()

    def holds(self, value: Any) -> bool:
        found = value if isinstance(value, list) else [value]
        if self.pattern is not None:
            return any(isinstance(item, str) and _glob(self.pattern).fullmatch(item) for item in found)
        return any(item in self.values for item in found)


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way a grouping gets its value: ``field``, where it exists and ``when`` holds."""

    field: str
    when: Condition | None = None


def principal_alternatives(prefix: str, findings: bool = False) -> tuple[Alternative, ...]:
    """The principal's alternatives, first first, for an actor under ``prefix``; a finding's
    actor (``findings``) may have names where CloudTrail always has ARNs."""
    issuer = f"{prefix}.session_context.session_issuer.arn"
    kind = f"{prefix}.type"
    names = (
        Alternative("user.roles", Condition(kind, values=("AssumedRole",))),
        Alternative("user.name", Condition(kind, values=("IAMUser",))),
    )
    return (
        Alternative(f"{prefix}.arn", Condition(issuer, pattern=IDENTITY_CENTER_ROLES)),
        Alternative(issuer),
        Alternative(f"{prefix}.arn"),
        Alternative(f"{prefix}.on_behalf_of.user_id"),
        Alternative(f"{prefix}.account_id", Condition(kind, values=("AWSAccount", "Root"))),
        *(names if findings else ()),
    )


def is_named(name: str) -> bool:
    """Whether ``name`` is a grouping the engine resolves rather than a field."""
    return name == PRINCIPAL


@cache
def alternatives(source: str, name: str) -> tuple[Alternative, ...]:
    """How ``name`` (a field, or ``principal``) gets its value in ``source``'s documents."""
    if not is_named(name):
        return (Alternative(name),)
    prefix = actor_prefix(source)
    if prefix is None:
        raise ValueError(f"group_by {name!r} needs an actor: {source} documents have none")
    return principal_alternatives(prefix, findings=source != "cloudtrail")


@cache
def reads(source: str, name: str) -> tuple[str, ...]:
    """The fields ``name``'s value depends on: its alternatives' and their conditions'."""
    found: list[str] = []
    for option in alternatives(source, name):
        found += [option.field, *([option.when.field] if option.when else [])]
    return tuple(dict.fromkeys(found))


def fields_of(source: str, names: Iterable[str]) -> list[str]:
    """Every field ``names`` may read (a rule's check that each is aggregatable)."""
    return list(dict.fromkeys(field for name in names for field in reads(source, name)))


def definition(source: str, names: Iterable[str]) -> list[Any]:
    """What the groupings among ``names`` read, as data (a new-terms rule's definition hash)."""
    return [[[option.field, repr(option.when)] for option in alternatives(source, name)] for name in names]


def sources(source: str, names: Sequence[str]) -> list[dict[str, Any]]:
    """The composite ``terms`` sources for ``names``: a field's, named after it (documents
    missing it are left out); a grouping's, one per field it reads, kept when missing."""
    out: list[dict[str, Any]] = []
    for name in names:
        if not is_named(name):
            out.append({name: {"terms": {"field": name}}})
            continue
        out += [
            {f"{name}{SEPARATOR}{field}": {"terms": {"field": field, "missing_bucket": True}}}
            for field in reads(source, name)
        ]
    return out


def key_of(source: str, names: Sequence[str], bucket: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A composite bucket's key for ``names`` (``None``: a grouping has no value for it)."""
    key: list[Any] = []
    for name in names:
        if not is_named(name):
            key.append(bucket["key"][name])
            continue
        values = {field: bucket["key"][f"{name}{SEPARATOR}{field}"] for field in reads(source, name)}
        value = resolve(source, name, values)
        if value is None:
            return None
        key.append(value)
    return tuple(key)


def resolve(source: str, name: str, values: Mapping[str, Any]) -> Any:
    """``name``'s value from the values of the fields it reads (``None`` or absent: missing)."""
    for option in alternatives(source, name):
        value = values.get(option.field)
        if value in (None, []):
            continue
        if option.when is None or option.when.holds(values.get(option.when.field)):
            return value[0] if isinstance(value, list) else value
    return None


def key_term(source: str, name: str, value: Any) -> dict[str, Any]:
    """Documents whose ``name`` may be ``value``: the field's term; for a grouping, the value in
    any field it may come from (a superset: callers keep the buckets :func:`key_of` gives it)."""
    if not is_named(name):
        return {"term": {name: value}}
    fields = list(dict.fromkeys(option.field for option in alternatives(source, name)))
    return {"bool": {"should": [{"term": {field: value}} for field in fields], "minimum_should_match": 1}}


def exact_term(source: str, name: str, value: Any) -> dict[str, Any]:
    """Documents whose ``name`` is ``value``: for a grouping, the value in the field of the
    first alternative that applies to the document (an alert's events are the principal's only:
    an account as principal is not every caller of that account)."""
    if not is_named(name):
        return {"term": {name: value}}
    clauses: list[dict[str, Any]] = []
    earlier: list[dict[str, Any]] = []
    for option in alternatives(source, name):
        applies = [{"exists": {"field": option.field}}, *([_clause(option.when)] if option.when else [])]
        clauses.append(
            {"bool": {"filter": [{"term": {option.field: value}}, *applies], "must_not": list(earlier)}}
        )
        earlier.append(applies[0] if len(applies) == 1 else {"bool": {"filter": applies}})
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _clause(condition: Condition) -> dict[str, Any]:
    if condition.pattern is not None:
        return {"wildcard": {condition.field: {"value": condition.pattern}}}
    return {"terms": {condition.field: list(condition.values)}}


def width(source: str, names: Sequence[str]) -> int:
    """Query clauses one key of ``names`` takes (Lucene counts each)."""
    return sum(1 if not is_named(name) else 1 + len(alternatives(source, name)) for name in names)


def of_keys(source: str, names: Sequence[str], keys: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """Documents whose ``names`` hold one of ``keys`` (an alert's events)."""
    keys = list(keys)
    if not any(is_named(name) for name in names):
        return any_of(names, keys)
    clauses = [
        {
            "bool": {
                "filter": [exact_term(source, name, value) for name, value in zip(names, key, strict=True)]
            }
        }
        for key in keys
    ]
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def painless(source: str, name: str) -> str:
    """A Painless script giving ``name``'s value of a document, for engines that run scripts
    (an Alerting monitor on a managed domain): the first alternative that applies, or ``null``
    (the document is left out, as a missing field leaves it out)."""
    lines = [
        f"if ({' && '.join(_painless_conditions(option))}) {{ return doc['{option.field}'].value; }}"
        for option in alternatives(source, name)
    ]
    return " ".join([*lines, "return null;"])


def _painless_conditions(option: Alternative) -> list[str]:
    conditions = [_painless_has(option.field)]
    when = option.when
    if when is not None:
        if when.pattern is not None:
            match = f"doc['{when.field}'].stream().anyMatch(v -> {_painless_glob(when.pattern)})"
        else:
            match = " || ".join(
                f"doc['{when.field}'].contains({_painless_text(item)})" for item in when.values
            )
            match = f"({match})" if len(when.values) > 1 else match
        conditions += [_painless_has(when.field), match]
    return conditions


def _painless_glob(pattern: str) -> str:
    """``v`` matches ``pattern`` (``*`` any characters): it starts and ends with the outer parts
    and contains the inner ones (their order is not checked: the patterns here are ARNs whose
    parts cannot come in another order)."""
    parts = pattern.split("*")
    tests = [f"v.startsWith({_painless_text(parts[0])})"] if parts[0] else []
    tests += [f"v.contains({_painless_text(part)})" for part in parts[1:-1] if part]
    if len(parts) > 1 and parts[-1]:
        tests.append(f"v.endsWith({_painless_text(parts[-1])})")
    return " && ".join(tests) or "true"


def _painless_has(field: str) -> str:
    return f"doc.containsKey('{field}') && doc['{field}'].size() != 0"


def _painless_text(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


__all__ = [
    "PRINCIPAL",
    "Alternative",
    "Condition",
    "alternatives",
    "definition",
    "exact_term",
    "fields_of",
    "is_named",
    "key_of",
    "key_term",
    "of_keys",
    "painless",
    "reads",
    "resolve",
    "sources",
    "width",
]
