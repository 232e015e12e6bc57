"""What a threshold or new-terms rule groups on: fields, and ``principal``, the principal behind
the credentials, which no single field holds (docs/detections.md, "Grouping by principal").

A role session's ARN (``assumed-role/<role>/<session>``) names a session whose name the caller
chose: a rule counting per session ARN is evaded by a fresh session every few calls. The
principal is the first of these a document has (:data:`PRINCIPAL`):

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

Serverless runs no scripts, so the engine cannot compute this per document: it runs each
aggregation once per *case*, a field and the documents it is the principal of (the earlier
cases' excluded), and merges the buckets by value: a federated user's IAM user and the user's
own calls are one principal. A rule names ``principal`` in ``group_by`` like a field; the bucket
key and ``alert.group_by`` carry its value under that name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product
from typing import Any

from detections.search import any_of

PRINCIPAL = "principal"
SOURCE_PREFIXES = {
    "cloudtrail": "aws.cloudtrail.user_identity",
    "guardduty": "aws.guardduty.user_identity",
    "securityhub": "aws.securityhub_findings.user_identity",
}
"""The sources whose documents name an actor (``normalizers.ecs.actor.actor_fields``)."""
IDENTITY_CENTER_ROLES = "arn:aws*:iam::*:role/aws-reserved/sso.amazonaws.com/*"
"""The roles IAM Identity Center creates for permission sets (docs/detections.md, Exceptions:
``role_paths`` matches the issuer the same way)."""


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way a grouping gets its value: ``field``, for the documents ``when`` holds (and the
    field exists); ``None`` is every document."""

    field: str
    when: dict[str, Any] | None = None


def principal_alternatives(prefix: str, findings: bool = False) -> tuple[Alternative, ...]:
    """:data:`PRINCIPAL`'s alternatives, first first, for an actor under ``prefix``; a
    finding's actor (``findings``) may have names where CloudTrail always has ARNs."""
    names = (
        Alternative("user.roles", {"term": {f"{prefix}.type": "AssumedRole"}}),
        Alternative("user.name", {"term": {f"{prefix}.type": "IAMUser"}}),
    )
    return (
        Alternative(
            f"{prefix}.arn",
            {"wildcard": {f"{prefix}.session_context.session_issuer.arn": {"value": IDENTITY_CENTER_ROLES}}},
        ),
        Alternative(f"{prefix}.session_context.session_issuer.arn"),
        Alternative(f"{prefix}.arn"),
        Alternative(f"{prefix}.on_behalf_of.user_id"),
        Alternative(f"{prefix}.account_id", {"terms": {f"{prefix}.type": ["AWSAccount", "Root"]}}),
        *(names if findings else ()),
    )


def is_named(name: str) -> bool:
    """Whether ``name`` is a grouping the engine resolves rather than a field."""
    return name == PRINCIPAL


def alternatives(source: str, name: str) -> tuple[Alternative, ...]:
    """How ``name`` (a field, or ``principal``) gets its value in ``source``'s documents."""
    if not is_named(name):
        return (Alternative(name),)
    if source not in SOURCE_PREFIXES:
        raise ValueError(f"group_by {name!r} needs an actor: {source} documents have none")
    return principal_alternatives(SOURCE_PREFIXES[source], findings=source != "cloudtrail")


@dataclass(frozen=True, slots=True)
class Case:
    """The documents one set of fields groups: ``fields`` maps each ``group_by`` name to the
    field holding its value in them; ``filters`` keep exactly those documents."""

    fields: Mapping[str, str]
    filters: tuple[dict[str, Any], ...] = ()

    def key_fields(self, names: Sequence[str]) -> list[str]:
        """The fields holding ``names``' values in this case's documents."""
        return [self.fields[name] for name in names]

    def sources(self, names: Sequence[str]) -> list[dict[str, Any]]:
        """``terms`` sources named after ``names`` (documents missing a field are left out)."""
        return [{name: {"terms": {"field": self.fields[name]}}} for name in names]


def _exists(field: str) -> dict[str, Any]:
    return {"exists": {"field": field}}


def _applies(alternative: Alternative) -> dict[str, Any]:
    clauses = [_exists(alternative.field), *([alternative.when] if alternative.when else [])]
    return clauses[0] if len(clauses) == 1 else {"bool": {"filter": clauses}}


def _per_field(options: Sequence[Alternative]) -> list[tuple[str, dict[str, Any] | None]]:
    """Each field of ``options`` with the documents it gives the value of (first that applies
    wins), in the order of first use; ``None`` when that is every document that has it."""
    if len(options) == 1 and options[0].when is None:
        return [(options[0].field, None)]
    clauses: dict[str, list[dict[str, Any]]] = {}
    earlier: list[dict[str, Any]] = []
    for option in options:
        applies = _applies(option)
        own = {"bool": {"filter": [applies], "must_not": list(earlier)}} if earlier else applies
        clauses.setdefault(option.field, []).append(own)
        earlier.append(applies)
    return [
        (field, found[0] if len(found) == 1 else {"bool": {"should": found, "minimum_should_match": 1}})
        for field, found in clauses.items()
    ]


@cache
def cases(source: str, names: tuple[str, ...]) -> tuple[Case, ...]:
    """The cases of ``names`` in ``source``: one (the fields themselves) unless a name is a
    grouping, then one per combination of its fields."""
    options = [_per_field(alternatives(source, name)) for name in names]
    found = []
    for combination in product(*options):
        fields = {name: field for name, (field, _) in zip(names, combination, strict=True)}
        filters = tuple(clause for _, clause in combination if clause is not None)
        found.append(Case(fields, filters))
    return tuple(found)


def fields_of(source: str, names: Iterable[str]) -> list[str]:
    """Every field ``names`` may read (a rule's check that each is aggregatable)."""
    return list(dict.fromkeys(option.field for name in names for option in alternatives(source, name)))


def of_keys(source: str, names: Sequence[str], keys: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """Documents whose ``names`` hold one of ``keys`` (exact tuples: for the alerts' events)."""
    keys = list(keys)
    found = cases(source, tuple(names))
    if len(found) == 1 and not found[0].filters:
        return any_of([found[0].fields[name] for name in names], keys)
    clauses = [
        {
            "bool": {
                "filter": [
                    *case.filters,
                    {
                        "bool": {
                            "should": [_key_clause(case, names, key) for key in keys],
                            "minimum_should_match": 1,
                        }
                    },
                ]
            }
        }
        for case in found
    ]
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def _key_clause(case: Case, names: Sequence[str], key: tuple[Any, ...]) -> dict[str, Any]:
    terms = [{"term": {case.fields[name]: value}} for name, value in zip(names, key, strict=True)]
    return terms[0] if len(terms) == 1 else {"bool": {"filter": terms}}


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
    when = option.when or {}
    for kind, test in when.items():
        [(field, value)] = test.items()
        if kind == "wildcard":
            match = f"doc['{field}'].stream().anyMatch(v -> {_painless_glob(value['value'])})"
        elif kind in ("term", "terms"):
            listed = value if isinstance(value, list) else [value]
            match = " || ".join(f"doc['{field}'].contains({_painless_text(item)})" for item in listed)
            match = f"({match})" if len(listed) > 1 else match
        else:
            raise ValueError(f"no Painless for a {kind!r} condition")
        conditions += [_painless_has(field), match]
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


__all__ = [
    "PRINCIPAL",
    "Alternative",
    "Case",
    "alternatives",
    "cases",
    "fields_of",
    "is_named",
    "of_keys",
    "painless",
]
