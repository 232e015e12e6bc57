"""Rules as code: one YAML file per rule, loaded and validated into :class:`Rule`.

The format is documented in docs/detections.md. Validation is strict (unknown keys are
errors) so that a typo in a rule file fails ``siem rules test`` instead of silently
turning a rule off in production.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from detections.catalogue import TECHNIQUES
from detections.fields import check_field
from detections.grouping import fields_of, is_named
from detections.outcomes import parse_outcomes, with_outcomes, with_outcomes_lucene
from detections.principals import (
    NO_ORGANIZATION,
    Organization,
    grants_escalation,
    grants_every_action,
    grants_outside,
    json_object,
    names_another_account,
)
from normalizers import SOURCES
from normalizers.cloudtrail.network_activity import without_copies, without_copies_lucene

PACKAGE = Path(__file__).resolve().parent
RULES_DIR = PACKAGE / "rules"
SIGMA_DIR = PACKAGE / "sigma"
RULE_DIRS: tuple[Path, ...] = (RULES_DIR, SIGMA_DIR)
CONDITIONS_FILE = PACKAGE / "conditions.yml"
"""Conditions rules share by name (``conditions:``): one definition, where a copy would drift."""

Severity = Literal["informational", "low", "medium", "high", "critical"]
RuleType = Literal["event", "threshold", "new_terms", "sequence", "silence"]
RULE_TYPES: tuple[str, ...] = ("event", "threshold", "new_terms", "sequence", "silence")
SEVERITIES: dict[str, int] = {"informational": 10, "low": 25, "medium": 50, "high": 75, "critical": 95}
"""Label -> ``event.severity`` (0-100, the scale findings use: docs/schema.md)."""

DEFAULT_SUPPRESSION = timedelta(hours=1)
DEFAULT_DEDUP_KEY: tuple[str, ...] = ("event.id",)
DEFAULT_HISTORY = timedelta(days=14)
MAX_HISTORY = timedelta(days=90)
MAX_WINDOW = timedelta(days=1)
"""Longest threshold window and sequence ``maxspan`` (the runs re-read this much data)."""
MAX_TERMS = 3
MAX_SILENCE_HISTORY = timedelta(days=30)
_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{2,127}\Z")
_DURATION = re.compile(r"\A\s*(\d+)\s*([smhd])\s*\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_KEYS = {
    "id",
    "type",
    "distinct",
    "new_terms",
    "history",
    "quiet",
    "sequence",
    "maxspan",
    "title",
    "description",
    "severity",
    "severity_field",
    "index",
    "query",
    "group_by",
    "threshold",
    "window",
    "dedup_key",
    "suppression",
    "where",
    "tags",
    "references",
    "author",
    "license",
    "status",
    "falsepositives",
    "sigma",
    "lag",
    "overlap",
    "tests",
    "enabled",
    "techniques",
    "superseded_by",
    "network_activity_copies",
    "outcomes",
    "conditions",
}
_CONDITION_KEYS = {"description", "query", "where"}
_TEST_KEYS = {"name", "match", "records", "lines", "documents", "history", "alerts", "organization"}
_STEP_KEYS = {"name", "index", "query", "by", "timestamp", "new_terms", "history"}
_COMPARISONS = {
    "!=",
    "==",
    "same_name",
    "any_differs",
    "outside_account",
    "names_outside_account",
    "every_action",
    "escalating_action",
    "one_of",
    "in_range",
    "prefix_at_most",
    "exists",
}
_UNARY = {"every_action", "escalating_action", "one_of", "prefix_at_most", "exists"}
"""Comparisons about one field: they take no ``other``."""
_WITH_VALUES = {"one_of", "in_range", "prefix_at_most"}
"""Comparisons with a list of ``values``."""
_BUCKET_COMPARISONS = {"==", "!=", "same_name"}
"""Comparisons a new-terms rule makes: of two fields' first values, which a composite
aggregation's bucket holds (the engine reads no document of a new-terms rule one by one)."""


class RuleError(ValueError):
    """A rule file that cannot be loaded; the message names the file and the problem."""


def label_for(severity: float) -> Severity:
    """0-100 -> label, with Security Hub's bands (90 critical, 70 high, 40 medium, 1 low)."""
    if severity >= 90:
        return "critical"
    if severity >= 70:
        return "high"
    if severity >= 40:
        return "medium"
    if severity >= 1:
        return "low"
    return "informational"


def parse_duration(text: Any) -> timedelta:
    """``90s``, ``5m``, ``2h``, ``1d`` -> timedelta."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"invalid duration {text!r}: use a number and s, m, h or d (e.g. 5m)")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Comparison:
    """A field-to-field comparison applied to each hit (Lucene cannot compare two fields).

    ``==`` / ``!=`` compare the two fields' (first) values; ``same_name`` holds when they are
    one IAM name in any case (IAM names are unique regardless of case); ``any_differs`` holds when a value
    of ``left`` (any of them: a list's items) is not ``right``'s (first) value, so that a
    grantee other than the owner is seen wherever it is in the list; ``outside_account`` holds when
    ``left`` (a policy, as an object or JSON text, or principal values) lets in a principal
    outside the account held by ``right`` and outside ``organization`` (the accounts directory's
    ids, given by the run: :func:`inside_organization`); ``names_outside_account`` holds when
    ``left`` (policies only) names such an account in an ``Allow`` statement, as a principal or
    in an account or organization condition, ``*`` alone not counted (an API Gateway private
    API's policy lets ``*`` in from its VPC endpoints); ``every_action`` (no ``right``) holds when ``left``
    (identity policies) allows every action on every resource (detections/principals.py);
    ``escalating_action`` (no ``right``) holds when it allows, on every resource, an IAM write
    that makes any principal administrator one call later, without being administrator itself;
    ``one_of`` (no ``right``) holds when a value of ``left`` is one of ``values`` (as text);
    ``in_range`` holds when one object holds ``left`` <= a value of ``values`` <= ``right``,
    read as integers (a security group rule's ``fromPort``/``toPort``: a ``flat_object`` keeps
    numbers as text, which no Lucene range compares). ``prefix_at_most`` (no ``right``, one
    integer in ``values``) holds when a value of ``left`` reads as an IPv4 or IPv6 address range
    whose prefix is at most that many bits, host bits allowed (``1.2.3.4/0`` is every address,
    as EC2 stores it): "open to everyone" however it is spelled (``0.0.0.0/1`` and
    ``128.0.0.0/1``), where text compares only one spelling. ``any`` holds when one of its
    comparisons does. ``exists`` (no ``right``) holds when ``left`` has a value (in an
    ``any_item``, in that object: one lifecycle rule's own ``Expiration.Date``). ``any_item`` (``left`` a path to objects, a list's items kept apart)
    holds when one object at ``left`` satisfies all of its comparisons, their fields read in
    that object: a security group permission whose own source is everyone and whose own ports
    hold an admin port, never one permission's source with another's ports.
    With ``applies_to`` (a field and its values; on a comparison or an ``any``) the comparison
    is made only on hits whose field (first value) is one of them, and every other hit passes
    it, so a list of such items is a table of what each kind of event compares. "The target
    is not the caller" means something only when the caller is an IAM user, whose name is its
    identity; a role session's name is whatever the caller chose.
    """

    left: str
    op: str
    right: str
    applies_to: tuple[str, tuple[str, ...]] | None = None
    values: tuple[str, ...] = ()
    alternatives: tuple[Comparison, ...] = ()
    """``any``'s comparisons (one must hold), or ``any_item``'s (all must hold in one object)."""
    organization: Organization = NO_ORGANIZATION
    """``outside_account``: the organization (its account ids, inside like the record's own,
    and its id, the only one an organization condition may name)."""

    def holds(self, document: Mapping[str, Any]) -> bool:
        if self.applies_to is not None and get_field(document, self.applies_to[0]) not in self.applies_to[1]:
            return True
        if self.op == "any":
            return any(comparison.holds(document) for comparison in self.alternatives)
        if self.op == "any_item":
            return any(
                all(comparison.holds(item) for comparison in self.alternatives)
                for item in field_values(document, self.left)
                if isinstance(item, Mapping)
            )
        if self.op == "exists":
            return any(value is not None for value in field_values(document, self.left))
        if self.op == "every_action":
            return grants_every_action(field_values(document, self.left))
        if self.op == "escalating_action":
            return grants_escalation(field_values(document, self.left))
        if self.op == "one_of":
            return any(_text(value) in self.values for value in field_values(document, self.left))
        if self.op == "prefix_at_most":
            bound = int(self.values[0])
            return any(
                (prefix := _network_prefix(value)) is not None and prefix <= bound
                for value in field_values(document, self.left)
            )
        if self.op == "in_range":
            return any(
                _in_range(bounds, self.values) for bounds in paired_values(document, self.left, self.right)
            )
        right = get_field(document, self.right)
        if self.op == "any_differs":
            return any(value != right for value in field_values(document, self.left))
        if self.op == "outside_account":
            return grants_outside(field_values(document, self.left), right, self.organization)
        if self.op == "names_outside_account":
            return names_another_account(field_values(document, self.left), right, self.organization)
        left = get_field(document, self.left)
        if self.op == "same_name":
            return _same_name(left, right)
        return (left == right) if self.op == "==" else (left != right)


def comparison_fields(comparisons: Iterable[Comparison]) -> tuple[str, ...]:
    """The fields ``comparisons`` read (their two fields and ``applies_to``'s), each once."""
    found: list[str] = []
    for comparison in comparisons:
        found += [comparison.left, comparison.right]
        if comparison.applies_to is not None:
            found.append(comparison.applies_to[0])
        found += comparison_fields(comparison.alternatives)
    return tuple(dict.fromkeys(name for name in found if name))


def _with_organization(comparison: Comparison, organization: Organization) -> Comparison:
    if comparison.alternatives:
        alternatives = tuple(_with_organization(item, organization) for item in comparison.alternatives)
        return dataclasses.replace(comparison, alternatives=alternatives)
    if comparison.op in ("outside_account", "names_outside_account"):
        return dataclasses.replace(comparison, organization=organization)
    return comparison


def _same_name(left: Any, right: Any) -> bool:
    """Whether two IAM names (first values) are one name: IAM names are unique regardless of
    case (``Alice`` is ``alice``), so the request may spell the caller's name in any case."""
    left, right = (value[0] if isinstance(value, list) and value else value for value in (left, right))
    return isinstance(left, str) and isinstance(right, str) and left.casefold() == right.casefold()


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _in_range(bounds: tuple[Any, Any], values: Iterable[str]) -> bool:
    low, high = (_integer(bound) for bound in bounds)
    return low is not None and high is not None and any(low <= int(value) <= high for value in values)


def _network_prefix(value: Any) -> int | None:
    """The prefix length of an address range given as text (``10.0.0.0/8``, ``::/1``; an
    address alone is /32 or /128), host bits allowed; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen
    except ValueError:
        return None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


SourceRecords = tuple[tuple[str, tuple[Any, ...]], ...]
"""Raw records by source: ``(("guardduty", (finding, ...)), ("cloudtrail", (record, ...)))``."""


@dataclass(frozen=True, slots=True)
class RuleTest:
    """An inline test: events (raw records or normalized documents) and the expected result.

    ``records``, ``lines`` and ``documents`` are ingested inside the window the test queries;
    ``history`` holds raw records ingested an hour before it (what earlier runs saw: a
    new-terms rule's history, the first half of a burst, a sequence's first step).
    """

    name: str
    match: bool
    records: tuple[Any, ...] = ()
    """Raw records of the rule's source (JSON objects), as AWS delivers them."""
    lines: tuple[str, ...] = ()
    """Raw VPC flow log text: the header line, then records."""
    documents: tuple[dict[str, Any], ...] = ()
    """Already normalized documents."""
    other_records: SourceRecords = ()
    """Raw records of other sources (a sequence rule's steps), ingested with ``records``."""
    history: SourceRecords = ()
    """Raw records ingested before the window, by source."""
    alerts: int | None = None
    """When set, exactly this many alerts (a burst raises one, two episodes two)."""
    organization: Organization = NO_ORGANIZATION
    """The accounts directory the run has (``organization: {accounts: [ids], id: o-...}``):
    what ``outside_account`` holds inside; default none, only the record's own account."""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a sequence rule: a query on one or more sources and its join key."""

    sources: tuple[str, ...]
    by: tuple[str, ...]
    """The join key: this step's fields whose values equal the other steps' ``by`` values."""
    lucene: str | None = None
    dsl: dict[str, Any] | None = None
    name: str = ""
    timestamp: str = "@timestamp"
    """The date that orders this step (``event.start`` for a finding: when its activity began)."""
    new_terms: tuple[str, ...] = ()
    """When set, the step's event counts only if its join key never had these values over
    ``history`` before it (e.g. a role assumed from an address it was never assumed from)."""
    history: timedelta = DEFAULT_HISTORY
    excepted: dict[str, Any] | None = None
    """The step's documents that the run's exceptions name (set by
    :meth:`detections.exceptions.Exceptions.apply`): they take their place in a chain, but a
    chain made only of excepted events raises nothing, and they teach ``new_terms`` no history."""

    def query_clause(self) -> dict[str, Any]:
        return query_clause(self.lucene, self.dsl)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    description: str
    severity: Severity
    index: str
    """The source (``cloudtrail``...): the index is ``<prefix><source>``."""
    lucene: str | None = None
    dsl: dict[str, Any] | None = None
    """The query (``lucene`` or ``dsl``); a sequence's applies to every step (default: all)."""
    type: RuleType = "event"
    group_by: tuple[str, ...] = ()
    """threshold: the entity counted; new_terms: the entity whose terms are new."""
    threshold: int | None = None
    window: timedelta | None = None
    distinct: tuple[str, ...] = ()
    """threshold: count distinct values of these fields (pooled) instead of events."""
    new_terms: tuple[str, ...] = ()
    history: timedelta | None = None
    quiet: timedelta | None = None
    """silence: how long without an arrival alerts (``history``: how long it sent regularly)."""
    steps: tuple[Step, ...] = ()
    maxspan: timedelta | None = None
    dedup_key: tuple[str, ...] = DEFAULT_DEDUP_KEY
    suppression: timedelta = DEFAULT_SUPPRESSION
    severity_field: str | None = None
    """When set, the alert's severity is the highest value (0-100) of this field in the events."""
    where: tuple[Comparison, ...] = ()
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    author: str | None = None
    license: str | None = None
    status: str | None = None
    falsepositives: tuple[str, ...] = ()
    sigma: dict[str, Any] = field(default_factory=dict)
    """Attribution of a converted SigmaHQ rule (id, link, author, license...)."""
    lag: timedelta | None = None
    overlap: timedelta | None = None
    enabled: bool = True
    techniques: tuple[str, ...] = ()
    """Stratus Red Team technique ids this rule is meant to catch (detections/catalogue.py)."""
    superseded_by: tuple[str, ...] = ()
    """Rules that raise this one's alert instead: a disabled twin (a converted Sigma rule that
    describes the same events as one of ours) names them, so one event raises one alert."""
    network_activity_copies: bool = False
    """Whether the rule reads the CloudTrail network activity events that copy a call made
    through a VPC endpoint (normalizers/cloudtrail/network_activity.py); by default it reads
    the call's own event only, and the endpoint's denials."""
    outcomes: tuple[str, ...] = ()
    """The outcomes of a call the rule alerts on (detections/outcomes.py): ``success``,
    ``denied`` (a policy refused it), or both, a rule reporting a change; ``()``: any."""
    tests: tuple[RuleTest, ...] = ()
    path: Path | None = None

    @property
    def is_threshold(self) -> bool:
        return self.type == "threshold"

    @property
    def is_event(self) -> bool:
        return self.type == "event"

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source the rule reads (a sequence's steps may read several)."""
        if self.steps:
            return tuple(dict.fromkeys(source for step in self.steps for source in step.sources))
        return (self.index,)

    @property
    def leaves_copies_out(self) -> bool:
        """Whether the rule leaves out the network activity copies of calls: it reads
        CloudTrail and does not ask for them (normalizers/cloudtrail/network_activity.py)."""
        return "cloudtrail" in self.sources and not self.network_activity_copies

    def query_text(self) -> str:
        """The query the rule runs, as text, for the alert and for an analyst pasting it into
        Discover: on CloudTrail with the clause that leaves out the network activity copies, as
        :meth:`query_clause` runs it (a Lucene rule: Lucene; a DSL rule: the clause as JSON; a
        sequence: its query and steps, as JSON)."""
        if self.steps:
            steps = [
                {"index": list(step.sources), "by": list(step.by), "query": step.lucene or step.dsl}
                for step in self.steps
            ]
            return json.dumps({"query": self._query_shown(), "sequence": steps}, sort_keys=True)
        shown = self._query_shown()
        return shown if isinstance(shown, str) else json.dumps(shown, sort_keys=True)

    def _query_shown(self) -> str | dict[str, Any] | None:
        if self.dsl is not None:
            return self.query_clause()
        lucene = with_outcomes_lucene(self.lucene or "*", self.outcomes) if self.outcomes else self.lucene
        if not self.leaves_copies_out:
            return lucene
        return without_copies_lucene(lucene or "*")

    @property
    def ruleset(self) -> str:
        return "sigma" if self.sigma else "siem"

    @property
    def mitre(self) -> tuple[str, ...]:
        """ATT&CK technique ids from the tags (``attack.t1078.004`` -> ``T1078.004``)."""
        return tuple(
            tag.split(".", 1)[1].upper() for tag in self.tags if re.match(r"attack\.t\d{4}", tag, re.I)
        )

    @property
    def tactics(self) -> tuple[str, ...]:
        """ATT&CK tactics from the tags (``attack.persistence``), in the rule's order."""
        return tuple(
            tag.split(".", 1)[1]
            for tag in self.tags
            if tag.startswith("attack.") and not re.match(r"attack\.t\d{4}", tag, re.I)
        )

    def index_name(self, prefix: str) -> str:
        return f"{prefix}{self.index}"

    def query_clause(self) -> dict[str, Any]:
        """The rule's query as one OpenSearch query clause (a sequence without one: every
        document); on CloudTrail, without the network activity copies of calls unless the rule
        asks for them (:attr:`leaves_copies_out`), on the :attr:`outcomes` it alerts on."""
        clause = with_outcomes(query_clause(self.lucene, self.dsl), self.outcomes)
        return without_copies(clause) if self.leaves_copies_out else clause


def inside_organization(rule: Rule, organization: Organization) -> Rule:
    """``rule`` whose ``outside_account`` comparisons hold ``organization`` (the accounts
    directory's account ids and organization id) as inside, like the record's own account; the rule itself when
    ``organization`` is empty (no directory) or the rule has no such comparison."""
    if not organization or not rule.where:
        return rule
    where = tuple(_with_organization(comparison, organization) for comparison in rule.where)
    return rule if where == rule.where else dataclasses.replace(rule, where=where)


def query_clause(lucene: str | None, dsl: dict[str, Any] | None) -> dict[str, Any]:
    if dsl is not None:
        return dsl
    if lucene is None:
        return {"match_all": {}}
    return {"query_string": {"query": lucene, "analyze_wildcard": True}}


def get_field(document: Mapping[str, Any], path: str) -> Any:
    """A dotted field of a nested document (``None`` when absent); a list yields its first item."""
    value: Any = document
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def field_values(document: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at a dotted path, lists flattened at any level (``[]`` when absent). A path
    continues into JSON text holding an object (CloudWatch Logs ``PutAccountPolicy``'s
    ``policyDocument.DestinationArn``), read within the policies' bound."""
    values: list[Any] = [document]
    for part in path.split("."):
        found: list[Any] = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                item = json_object(item)
                if isinstance(item, Mapping) and part in item:
                    found.append(item[part])
        values = found
    return [item for value in values for item in (value if isinstance(value, list) else [value])]


def paired_values(document: Mapping[str, Any], left: str, right: str) -> list[tuple[Any, Any]]:
    """``left`` and ``right`` read in the same object: one pair per object at their longest
    common parent path, so a list's items are kept apart (``items.fromPort`` with
    ``items.toPort`` pairs each item's own bounds, never one item's with another's)."""
    left_parts, right_parts = left.split("."), right.split(".")
    common = 0
    while common < min(len(left_parts), len(right_parts)) - 1 and left_parts[common] == right_parts[common]:
        common += 1
    parent = ".".join(left_parts[:common])
    objects = field_values(document, parent) if parent else [document]
    rest_left, rest_right = ".".join(left_parts[common:]), ".".join(right_parts[common:])
    return [
        (get_field(item, rest_left), get_field(item, rest_right))
        for item in objects
        if isinstance(item, Mapping)
    ]


def load_rules(directories: Iterable[Path] = RULE_DIRS, include_disabled: bool = False) -> list[Rule]:
    """Every ``*.yml`` rule under ``directories``; raises :class:`RuleError` on the first bad one
    (a file, or a ``superseded_by`` that does not name an enabled rule of the set)."""
    seen: dict[str, Rule] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.yml")):
            rule = load_rule(path)
            if rule.id in seen:
                raise RuleError(f"{path}: rule id {rule.id!r} is already used by {seen[rule.id].path}")
            seen[rule.id] = rule
    for rule in seen.values():
        _check_superseded(rule, seen)
    return [rule for rule in seen.values() if rule.enabled or include_disabled]


def _check_superseded(rule: Rule, rules: Mapping[str, Rule]) -> None:
    for other in rule.superseded_by:
        target = rules.get(other)
        if target is None:
            problem = "is not a rule"
        elif not target.enabled:
            problem = "is disabled"
        elif target.superseded_by:
            problem = "is itself superseded"
        else:
            continue
        raise RuleError(f"{rule.path}: superseded_by {other!r} {problem}")


def load_rule(path: Path) -> Rule:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RuleError(f"{path}: invalid YAML: {error}") from None
    try:
        return parse_rule(data, path)
    except (ValueError, TypeError, KeyError) as error:
        raise RuleError(f"{path}: {error}") from None


_TYPE_KEYS: dict[str, set[str]] = {
    "event": {"where", "dedup_key"},
    "threshold": {"group_by", "threshold", "window", "distinct", "dedup_key"},
    "new_terms": {"group_by", "new_terms", "history", "where"},
    "sequence": {"sequence", "maxspan"},
    "silence": {"group_by", "history", "quiet"},
}
"""Keys only some rule types take; the others are common to every type."""


def parse_rule(data: Any, path: Path | None = None) -> Rule:
    if not isinstance(data, dict):
        raise ValueError("a rule is a YAML mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    data = _with_conditions(data)
    rule_id = _required_text(data, "id")
    if not _ID.match(rule_id):
        raise ValueError(f"invalid id {rule_id!r}: 3-128 letters, digits, '.', '_' or '-'")
    severity = _required_text(data, "severity")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {list(SEVERITIES)}, not {severity!r}")
    rule_type = _rule_type(data)
    if rule_type == "sequence":
        if "index" in data:
            raise ValueError("a sequence rule names its sources in its steps ('index' of each step)")
        lucene, dsl = _query(data["query"]) if data.get("query") is not None else (None, None)
        kind = _sequence(data)
    else:
        index = _source(_required_text(data, "index"))
        optional = rule_type == "silence" and data.get("query") is None  # every document arrives
        lucene, dsl = (None, None) if optional else _query(data.get("query"))
        kind = {"event": _event, "threshold": _threshold, "new_terms": _new_terms, "silence": _silence}[
            rule_type
        ](data, index)
    techniques = _texts(data, "techniques")
    unknown_techniques = sorted(set(techniques) - set(TECHNIQUES))
    if unknown_techniques:
        raise ValueError(
            f"techniques {unknown_techniques} are not in the catalogue (detections/catalogue.yml)"
        )
    superseded_by = _texts(data, "superseded_by")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError("enabled must be true or false")
    if superseded_by and enabled:
        raise ValueError("a rule superseded_by another is disabled (enabled: false): one event, one alert")
    copies = data.get("network_activity_copies", False)
    if not isinstance(copies, bool):
        raise ValueError("network_activity_copies must be true or false")
    common: dict[str, Any] = {
        "suppression": parse_duration(data.get("suppression", format_duration(DEFAULT_SUPPRESSION))),
        **kind,
    }
    rule = Rule(
        id=rule_id,
        title=_required_text(data, "title"),
        description=str(data.get("description") or "").strip(),
        severity=severity,  # type: ignore[arg-type]
        lucene=lucene,
        dsl=dsl,
        type=rule_type,
        severity_field=data.get("severity_field"),
        tags=_texts(data, "tags"),
        references=_texts(data, "references"),
        author=data.get("author"),
        license=data.get("license"),
        status=data.get("status"),
        falsepositives=_texts(data, "falsepositives"),
        sigma=dict(data.get("sigma") or {}),
        lag=parse_duration(data["lag"]) if data.get("lag") is not None else None,
        overlap=parse_duration(data["overlap"]) if data.get("overlap") is not None else None,
        enabled=enabled,
        techniques=techniques,
        superseded_by=superseded_by,
        network_activity_copies=copies,
        outcomes=parse_outcomes(data.get("outcomes")),
        tests=tuple(
            _test(item, number, kind["index"]) for number, item in enumerate(data.get("tests") or (), 1)
        ),
        path=path,
        **common,
    )
    if rule.outcomes and (rule.type in ("sequence", "silence") or rule.index != "cloudtrail"):
        raise ValueError("outcomes: a rule on CloudTrail calls (event, threshold or new_terms)")
    if copies and "cloudtrail" not in rule.sources:
        raise ValueError("network_activity_copies: the rule reads no CloudTrail")
    for case in rule.tests:
        stray = sorted({name for name, _ in (*case.other_records, *case.history)} - set(rule.sources))
        if stray:
            raise ValueError(f"test {case.name!r}: records of {stray}, which the rule does not read")
    return rule


@cache
def shared_conditions() -> dict[str, dict[str, Any]]:
    """The conditions of :data:`CONDITIONS_FILE` by name: a ``query`` (Lucene) the rule's own
    query is joined to with AND, and ``where`` items added to the rule's."""
    data = yaml.safe_load(CONDITIONS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise RuleError(f"{CONDITIONS_FILE}: a mapping of condition names to conditions")
    for name, condition in data.items():
        if (
            not isinstance(condition, dict)
            or not set(condition) <= _CONDITION_KEYS
            or not isinstance(condition.get("query"), str)
            or not isinstance(condition.get("where") or [], list)
        ):
            raise RuleError(f"{CONDITIONS_FILE}: {name}: {{description, query: <Lucene>[, where: [items]]}}")
    return data


def _with_conditions(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the shared conditions it names joined to its query and its ``where``."""
    names = _texts(data, "conditions")
    if not names:
        return data
    conditions = shared_conditions()
    unknown = sorted(set(names) - set(conditions))
    if unknown:
        raise ValueError(f"conditions {unknown} are not in {CONDITIONS_FILE.name} ({sorted(conditions)})")
    lucene, dsl = _query(data.get("query"))
    where = list(data.get("where") or ())
    for name in names:
        condition = conditions[name]
        text = " ".join(condition["query"].split())
        if lucene is not None:
            lucene = f"({lucene}) AND ({text})"
        else:
            dsl = {"bool": {"filter": [dsl, {"query_string": {"query": text, "analyze_wildcard": True}}]}}
        where += condition.get("where") or ()
    expanded = {**data, "query": lucene if lucene is not None else {"dsl": dsl}}
    return {**expanded, "where": where} if where else expanded


def _rule_type(data: Mapping[str, Any]) -> RuleType:
    """``type``, or ``threshold`` when a ``threshold`` is given (rules written before ``type``)."""
    rule_type = data.get("type", "threshold" if data.get("threshold") is not None else "event")
    if rule_type not in RULE_TYPES:
        raise ValueError(f"type must be one of {list(RULE_TYPES)}, not {rule_type!r}")
    for other, keys in _TYPE_KEYS.items():
        misplaced = sorted((keys - _TYPE_KEYS[rule_type]) & set(data))
        if misplaced and other != rule_type:
            raise ValueError(f"{misplaced} only apply to {other} rules, not to a {rule_type} rule")
    return rule_type


def _source(index: str) -> str:
    if index not in SOURCES:
        raise ValueError(f"index must be one of {list(SOURCES)}, not {index!r}")
    return index


def _event(data: Mapping[str, Any], index: str) -> dict[str, Any]:
    return {
        "index": index,
        "dedup_key": _texts(data, "dedup_key") or DEFAULT_DEDUP_KEY,
        "where": tuple(_comparison(item) for item in data.get("where") or ()),
    }


def _threshold(data: Mapping[str, Any], index: str) -> dict[str, Any]:
    threshold = data.get("threshold")
    group_by = _texts(data, "group_by")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 1:
        raise ValueError("threshold must be a positive integer")
    if not group_by or not data.get("window"):
        raise ValueError("a threshold rule needs group_by and window")
    window = parse_duration(data["window"])
    if not timedelta(seconds=1) <= window <= MAX_WINDOW:
        raise ValueError(f"window must be 1s to {format_duration(MAX_WINDOW)}")
    suppression = parse_duration(data.get("suppression", format_duration(DEFAULT_SUPPRESSION)))
    if suppression < window:
        raise ValueError("a threshold rule's suppression must be at least its window (one burst, one alert)")
    if _texts(data, "dedup_key") not in ((), group_by):
        raise ValueError("a threshold rule deduplicates on its group_by")
    for name in fields_of(index, group_by):
        check_field((index,), name, "group_by field")
    distinct = _texts(data, "distinct")
    if not all(distinct) or len(distinct) > MAX_TERMS:
        raise ValueError(f"distinct is a field name, or a list of 1 to {MAX_TERMS} whose values are pooled")
    for name in distinct:
        check_field((index,), name, "distinct field", flat_allowed=True)
    return {
        "index": index,
        "group_by": group_by,
        "dedup_key": group_by,
        "threshold": threshold,
        "window": window,
        "distinct": distinct,
    }


def _new_terms(data: Mapping[str, Any], index: str) -> dict[str, Any]:
    group_by, terms = _texts(data, "group_by"), _texts(data, "new_terms")
    if not 1 <= len(terms) <= MAX_TERMS:
        raise ValueError(f"a new_terms rule needs 1 to {MAX_TERMS} new_terms fields")
    if "suppression" in data:
        raise ValueError("a new_terms rule raises one alert per term per history: it takes no suppression")
    if any(is_named(name) for name in terms):
        raise ValueError("new_terms are fields; a grouping such as 'principal' goes in group_by")
    for name in fields_of(index, (*group_by, *terms)):
        check_field((index,), name, "new_terms/group_by field")
    history = _history(data)
    where = tuple(_comparison(item) for item in data.get("where") or ())
    for comparison in where:
        if comparison.op not in _BUCKET_COMPARISONS:  # any, any_item: not in it either
            raise ValueError(
                f"a new_terms rule's where items compare two fields ({', '.join(sorted(_BUCKET_COMPARISONS))}),"
                f" not {comparison.op!r}: its documents are read as aggregated buckets"
            )
    for name in comparison_fields(where):
        check_field((index,), name, "where field")
    return {
        "index": index,
        "group_by": group_by,
        "where": where,
        "dedup_key": (*group_by, *terms),
        "new_terms": terms,
        "history": history,
        "suppression": history,
    }


def _silence(data: Mapping[str, Any], index: str) -> dict[str, Any]:
    group_by = _texts(data, "group_by")
    if not 1 <= len(group_by) <= 2 or any(is_named(name) for name in group_by):
        raise ValueError("a silence rule groups by 1 or 2 fields (the entity: an account, a region)")
    for name in group_by:
        check_field((index,), name, "group_by field")
    if "suppression" in data or data.get("tests"):
        raise ValueError(
            "a silence rule raises one alert per silence and judges days of runs: no suppression, no tests"
        )
    history = parse_duration(data.get("history", "7d"))
    if not timedelta(days=1) <= history <= MAX_SILENCE_HISTORY or history % timedelta(days=1):
        raise ValueError(
            f"a silence rule's history is whole days, 1d to {format_duration(MAX_SILENCE_HISTORY)}"
        )
    quiet = parse_duration(data.get("quiet", "3h"))
    if not timedelta(hours=2) <= quiet <= timedelta(days=1) or quiet % timedelta(hours=1):
        raise ValueError("a silence rule's quiet is whole hours, 2h to 1d")
    return {
        "index": index,
        "group_by": group_by,
        "dedup_key": group_by,
        "history": history,
        "quiet": quiet,
        "suppression": quiet,
    }


def _history(data: Mapping[str, Any]) -> timedelta:
    history = parse_duration(data.get("history", format_duration(DEFAULT_HISTORY)))
    if not timedelta(hours=1) <= history <= MAX_HISTORY:
        raise ValueError(f"history must be 1h to {format_duration(MAX_HISTORY)}")
    return history


def _sequence(data: Mapping[str, Any]) -> dict[str, Any]:
    items = data.get("sequence")
    if not isinstance(items, list) or len(items) < 2:
        raise ValueError("a sequence rule needs a 'sequence' of at least two steps")
    steps = tuple(_step(item, number) for number, item in enumerate(items, 1))
    if len({len(step.by) for step in steps}) != 1:
        raise ValueError("every step of a sequence joins on as many 'by' fields")
    if not data.get("maxspan"):
        raise ValueError("a sequence rule needs maxspan (the longest time from its first to its last step)")
    maxspan = parse_duration(data["maxspan"])
    if not timedelta(seconds=1) <= maxspan <= MAX_WINDOW:
        raise ValueError(f"maxspan must be 1s to {format_duration(MAX_WINDOW)}")
    if any(step.new_terms for step in steps[1:]):
        raise ValueError("only the first step of a sequence takes new_terms")
    return {"index": steps[0].sources[0], "steps": steps, "maxspan": maxspan, "dedup_key": steps[0].by}


def _step(item: Any, number: int) -> Step:
    where = f"step {number}"
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be a mapping")
    unknown = set(item) - _STEP_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    sources = tuple(_source(source) for source in _texts(item, "index"))
    by = _texts(item, "by")
    if not sources or not by:
        raise ValueError(f"{where} needs index (one source or a list) and by (its join key fields)")
    lucene, dsl = _query(item.get("query"))
    timestamp = str(item.get("timestamp", "@timestamp"))
    for name in by:
        check_field(sources, name, f"{where}: by field")
    check_field(sources, timestamp, f"{where}: timestamp field")
    terms = _texts(item, "new_terms")
    for name in terms:
        check_field(sources, name, f"{where}: new_terms field")
    if "history" in item and not terms:
        raise ValueError(f"{where}: history only applies with new_terms")
    return Step(
        sources=sources,
        by=by,
        lucene=lucene,
        dsl=dsl,
        name=str(item.get("name") or f"step {number}"),
        timestamp=timestamp,
        new_terms=terms,
        history=_history(item),
    )


def _required_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} is required (a non-empty string)")
    return value.strip()


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or ()
    if isinstance(value, str):
        value = (value,)
    if not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(value)


def _query(value: Any) -> tuple[str | None, dict[str, Any] | None]:
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(value, dict) and set(value) == {"lucene"} and isinstance(value["lucene"], str):
        return value["lucene"].strip(), None
    if isinstance(value, dict) and set(value) == {"dsl"} and isinstance(value["dsl"], dict):
        return None, value["dsl"]
    raise ValueError("query must be a Lucene string, {lucene: <string>} or {dsl: <query clause>}")


def _comparison(item: Any) -> Comparison:
    if isinstance(item, dict) and "any" in item:
        items = item["any"]
        if not {"any"} <= set(item) <= {"any", "applies_to"} or not isinstance(items, list) or len(items) < 2:
            raise ValueError(
                f"an any item is {{any: [<two or more where items>][, applies_to]}}, not {item!r}"
            )
        return Comparison(
            "",
            "any",
            "",
            _applies_to(item.get("applies_to")),
            alternatives=tuple(_comparison(alternative) for alternative in items),
        )
    if isinstance(item, dict) and "any_item" in item:
        path, items = item["any_item"], item.get("all")
        if set(item) != {"any_item", "all"} or not isinstance(path, str) or not path:
            raise ValueError(f"an any_item item is {{any_item: <path>, all: [<where items>]}}, not {item!r}")
        if not isinstance(items, list) or not items:
            raise ValueError(f"any_item's all is a non-empty list of where items, not {items!r}")
        return Comparison(path, "any_item", "", alternatives=tuple(_comparison(each) for each in items))
    op = item.get("op") if isinstance(item, dict) else None
    required = (
        {"field", "op"}
        | ({"values"} if op in _WITH_VALUES else set())
        | (set() if op in _UNARY else {"other"})
    )
    if (
        not isinstance(item, dict)
        or not required <= set(item) <= required | {"applies_to"}
        or op not in _COMPARISONS
    ):
        raise ValueError(
            "where items are {field, op: '!=', '==', same_name, any_differs, outside_account, names_outside_account or in_range, other[, values]"
            "[, applies_to]},"
            f" {{field, op: every_action, escalating_action, exists, one_of or prefix_at_most[, values][, applies_to]}}, {{any: [items][, applies_to]}}"
            f" or {{any_item: <path>, all: [items]}}, not {item!r}"
        )
    if op == "prefix_at_most" and not (
        isinstance(item["values"], list)
        and len(item["values"]) == 1
        and (bound := _integer(item["values"][0])) is not None
        and 0 <= bound <= 128
    ):
        raise ValueError(f"prefix_at_most's values is one prefix length (0-128), not {item['values']!r}")
    return Comparison(
        str(item["field"]),
        str(op),
        str(item.get("other", "")),
        _applies_to(item.get("applies_to")),
        _values(item.get("values"), integers=op in {"in_range", "prefix_at_most"})
        if op in _WITH_VALUES
        else (),
    )


def _values(value: Any, integers: bool) -> tuple[str, ...]:
    items = value if isinstance(value, list) and value else [None]
    if all(_integer(item) is not None if integers else isinstance(item, (str, int)) for item in items):
        return tuple(_text(item) for item in items)
    kind = "integers" if integers else "strings or numbers"
    raise ValueError(f"values is a non-empty list of {kind}, not {value!r}")


def _applies_to(value: Any) -> tuple[str, tuple[str, ...]] | None:
    if value is None:
        return None
    if isinstance(value, dict) and len(value) == 1:
        ((field, values),) = value.items()
        if isinstance(values, list) and values and all(isinstance(item, str) for item in values):
            return str(field), tuple(values)
    raise ValueError(f"applies_to is {{<field>: [<values>]}}, one field and a list of strings, not {value!r}")


def _test(item: Any, number: int, source: str) -> RuleTest:
    if not isinstance(item, dict):
        raise ValueError(f"test {number} must be a mapping")
    unknown = set(item) - _TEST_KEYS
    if unknown:
        raise ValueError(f"test {number}: unknown keys {sorted(unknown)}")
    if not isinstance(item.get("match"), bool):
        raise ValueError(f"test {number}: 'match' (true or false) is required")
    by_source = _by_source(item.get("records"), source, f"test {number}: records")
    records = dict(by_source).pop(source, ())
    other = tuple((name, items) for name, items in by_source if name != source)
    lines, documents = (tuple(item.get(key) or ()) for key in ("lines", "documents"))
    if not (by_source or lines or documents):
        raise ValueError(f"test {number}: give records, lines or documents")
    alerts = item.get("alerts")
    if alerts is not None and (not isinstance(alerts, int) or isinstance(alerts, bool) or alerts < 0):
        raise ValueError(f"test {number}: alerts is a number of alerts")
    if alerts is not None and (alerts > 0) != item["match"]:
        raise ValueError(f"test {number}: alerts {alerts} contradicts match {item['match']}")
    return RuleTest(
        str(item.get("name") or f"test {number}"),
        item["match"],
        records,
        lines,
        documents,
        other,
        _by_source(item.get("history"), source, f"test {number}: history"),
        alerts,
        _organization(item.get("organization"), f"test {number}: organization"),
    )


def _organization(value: Any, where: str) -> Organization:
    """A test's ``organization: {accounts: [account ids], id: o-...}`` (both optional)."""
    if value is None:
        return NO_ORGANIZATION
    if isinstance(value, dict) and not set(value) - {"accounts", "id"}:
        accounts, identifier = value.get("accounts") or [], value.get("id")
        strings = isinstance(accounts, list) and all(isinstance(account, str) for account in accounts)
        if strings and (identifier is None or isinstance(identifier, str)):
            return Organization(frozenset(accounts), identifier)
    raise ValueError(f"{where}: {{accounts: [account ids as strings], id: o-...}}, not {value!r}")


def _by_source(value: Any, source: str, where: str) -> SourceRecords:
    """A list (records of ``source``) or a mapping ``{source: [records]}`` -> records by source."""
    if not value:
        return ()
    if isinstance(value, list):
        return ((source, tuple(value)),)
    if isinstance(value, dict) and all(isinstance(items, list) for items in value.values()):
        return tuple((_source(name), tuple(items)) for name, items in value.items() if items)
    raise ValueError(f"{where}: a list of records, or a mapping of source to records")
