"""Rule exceptions: accepted activity a rule must not alert on, configured by the deployer.

An exception names rules (ids, or ``*`` for every rule) and who is excepted: accounts,
principals (ARN patterns with ``*`` and ``?``, matched against the caller's ARN and, for a
role session, its role's ARN) and role paths (``/service-role/``,
``/aws-reserved/sso.amazonaws.com/``). Within an exception the kinds combine with AND and the
values of one kind with OR; a document matching any exception of a rule is left out of that
rule's query, so the same filter holds for event, threshold and new-terms rules alike (an
excepted identity neither alerts, nor counts towards a threshold, nor teaches a new-terms rule
its history). A sequence is the one difference: its excepted events still take their step in
a chain, and a chain alerts unless every one of its steps is excepted (accepted activity
followed by activity nobody accepted is the combination the rule is for). Every exception
carries a ``reason``.

Where they come from (:func:`configured`): ``DETECTION_EXCEPTIONS`` (a YAML or JSON document,
or the path of a YAML file), else ``detections/exceptions.yml`` (shipped empty). Format and
examples: docs/detections.md, "Exceptions (allow-lists)".
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from detections.rules import PACKAGE, Rule
from normalizers.registry import SPECS

EXCEPTIONS_FILE = PACKAGE / "exceptions.yml"
ENVIRONMENT_VARIABLE = "DETECTION_EXCEPTIONS"
ALL_RULES = "*"
_KEYS = {"rules", "accounts", "principals", "role_paths", "reason"}
_ACCOUNT = re.compile(r"\A\d{12}\Z")
_ROLE_PATH = re.compile(r"\A/([\w+=,.@-]+/)*\Z")
_PRINCIPAL = re.compile(r"\Aarn:aws[\w-]*:(iam|sts)::[\d*?]*:[\w+=,.@/*?:-]+\Z")
_IDENTITY_PREFIX = {
    spec.name: spec.dataset
    for spec in SPECS
    if any(field.path.startswith(f"{spec.dataset}.user_identity.") for field in spec.fields)
}
"""Where each source keeps ``user_identity`` (docs/schema.md, "The actor"); flow logs have none."""


class ExceptionsError(ValueError):
    """An exceptions document that cannot be used; the message names the entry and the problem."""


@dataclass(frozen=True, slots=True)
class RuleException:
    rules: tuple[str, ...]
    reason: str
    accounts: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    role_paths: tuple[str, ...] = ()

    def covers(self, rule_id: str) -> bool:
        return ALL_RULES in self.rules or rule_id in self.rules

    def clause(self, source: str) -> dict[str, Any] | None:
        """The query a document of ``source`` matches when this exception holds for it;
        ``None`` when the source cannot hold what the exception names (a principal in flow logs)."""
        conditions: list[dict[str, Any]] = []
        if self.accounts:
            conditions.append({"terms": {"cloud.account.id": list(self.accounts)}})
        if self.principals or self.role_paths:
            prefix = _IDENTITY_PREFIX.get(source)
            if prefix is None:
                return None
            identity = f"{prefix}.user_identity.arn"
            issuer = f"{prefix}.user_identity.session_context.session_issuer.arn"
            if self.principals:
                patterns = [
                    _pattern(field, value) for value in self.principals for field in (identity, issuer)
                ]
                conditions.append(_any(patterns))
            if self.role_paths:
                conditions.append(
                    _any([_pattern(issuer, f"arn:aws*:iam::*:role{path}*") for path in self.role_paths])
                )
        return {"bool": {"filter": conditions}}


def _pattern(field: str, value: str) -> dict[str, Any]:
    if "*" in value or "?" in value:
        return {"wildcard": {field: {"value": value}}}
    return {"term": {field: value}}


def _any(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


@dataclass(frozen=True, slots=True)
class Exceptions:
    entries: tuple[RuleException, ...] = ()

    def for_rule(self, rule_id: str) -> tuple[RuleException, ...]:
        return tuple(entry for entry in self.entries if entry.covers(rule_id))

    def apply(self, rule: Rule) -> Rule:
        """``rule`` with its excepted documents left out of its query (the rule itself if none);
        a sequence's steps are marked instead (``Step.excepted``, one clause per step for the
        sources it reads): a chain alerts unless every one of its steps is excepted."""
        if rule.steps:
            steps = tuple(
                dataclasses.replace(step, excepted=_any(clauses))
                if (clauses := self._clauses(rule.id, step.sources))
                else step
                for step in rule.steps
            )
            return dataclasses.replace(rule, steps=steps)
        clauses = self._clauses(rule.id, (rule.index,))
        if not clauses:
            return rule
        query = {"bool": {"filter": [rule.query_clause()], "must_not": clauses}}
        return dataclasses.replace(rule, lucene=None, dsl=query)

    def _clauses(self, rule_id: str, sources: tuple[str, ...]) -> list[dict[str, Any]]:
        """What the rule's exceptions name in documents of ``sources`` (each field is one
        source's, or ``cloud.account.id``, which every source holds: one clause per source)."""
        clauses = {
            json.dumps(clause, sort_keys=True): clause
            for entry in self.for_rule(rule_id)
            for source in sources
            if (clause := entry.clause(source)) is not None
        }
        return list(clauses.values())


NO_EXCEPTIONS = Exceptions()


def to_json(exceptions: Exceptions) -> str:
    """The exceptions as a compact JSON document (what ``DETECTION_EXCEPTIONS`` may hold)."""
    entries = [
        {key: value for key, value in dataclasses.asdict(entry).items() if value}
        for entry in exceptions.entries
    ]
    return json.dumps({"exceptions": entries}, separators=(",", ":"))


def parse_exceptions(data: Any, origin: str = "exceptions") -> Exceptions:
    """``{exceptions: [...]}`` (or ``None``/``{}``: none) -> :class:`Exceptions`."""
    if data is None:
        return NO_EXCEPTIONS
    if not isinstance(data, Mapping) or set(data) - {"exceptions"}:
        raise ExceptionsError(f"{origin}: a mapping with one key, 'exceptions' (a list)")
    items = data.get("exceptions") or []
    if not isinstance(items, list):
        raise ExceptionsError(f"{origin}: 'exceptions' must be a list")
    return Exceptions(
        tuple(_entry(item, f"{origin}: exception {number}") for number, item in enumerate(items, 1))
    )


def _entry(item: Any, where: str) -> RuleException:
    if not isinstance(item, Mapping):
        raise ExceptionsError(f"{where}: must be a mapping")
    unknown = set(item) - _KEYS
    if unknown:
        raise ExceptionsError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ExceptionsError(f"{where}: 'reason' is required (why this activity is accepted)")
    rules = _texts(item, "rules", where)
    if not rules:
        raise ExceptionsError(f"{where}: 'rules' is required (rule ids, or '*' for every rule)")
    accounts = _texts(item, "accounts", where)
    principals = _texts(item, "principals", where)
    role_paths = tuple(_role_path(path, where) for path in _texts(item, "role_paths", where))
    if not (accounts or principals or role_paths):
        raise ExceptionsError(f"{where}: name at least one of accounts, principals, role_paths")
    for account in accounts:
        if not _ACCOUNT.match(account):
            raise ExceptionsError(f"{where}: account {account!r} is not a 12-digit account id")
    for principal in principals:
        if not _PRINCIPAL.match(principal):
            raise ExceptionsError(
                f"{where}: principal {principal!r} is not an IAM or STS ARN pattern "
                "(arn:aws:iam::<account>:role/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session>, * and ?)"
            )
    return RuleException(rules, reason.strip(), accounts, principals, role_paths)


def _texts(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key) or ()
    if isinstance(value, str | int):
        value = (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str | int) for v in value):
        raise ExceptionsError(f"{where}: {key!r} must be a string or a list of strings")
    return tuple(str(v).strip() for v in value)


def _role_path(path: str, where: str) -> str:
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    if path == "/" or not _ROLE_PATH.match(path):
        raise ExceptionsError(f"{where}: role path {path!r} is not an IAM path such as /service-role/")
    return path


def load_exceptions(path: Path) -> Exceptions:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ExceptionsError(f"{path}: {error}") from None
    return parse_exceptions(data, str(path))


def configured(environ: Mapping[str, str] | None = None) -> Exceptions:
    """The deployer's exceptions: ``DETECTION_EXCEPTIONS`` from ``environ`` (default: the process's)."""
    return from_setting((os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE))


def from_setting(value: str | None) -> Exceptions:
    """``DETECTION_EXCEPTIONS``'s value (a document or a file path); empty: ``detections/exceptions.yml``."""
    value = (value or "").strip()
    if not value:
        return load_exceptions(EXCEPTIONS_FILE)
    if "\n" not in value and Path(value).is_file():
        return load_exceptions(Path(value))
    try:
        data = yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise ExceptionsError(f"{ENVIRONMENT_VARIABLE}: invalid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise ExceptionsError(
            f"{ENVIRONMENT_VARIABLE}: neither an exceptions document nor the path of a file"
        )
    return parse_exceptions(data, ENVIRONMENT_VARIABLE)
