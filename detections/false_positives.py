"""False positives: every rule over records known to be benign, in alerts per 100,000 records.

The records (the benign corpus of ``demo.benign``, or a trail the caller knows is benign) go
through the real normalizer into one index, written the way the loader writes (``create``
without ``_id``, one ``event.ingested`` stamp), and each rule's query runs over all of them
through :func:`detections.matching.find_matches` with the exceptions and the organization's
accounts (the accounts directory: ``outside_account``) applied as the runner applies them,
reading on past the per-run hit budget with the resume cursor. An alert is
what the runner would create: one per alert id (rule, dedup key, suppression bucket; for a
threshold rule, group and window). Budgets per rule are data: ``detections/fp_budgets.yml``;
the corpus organization's own exceptions: ``detections/fp_exceptions.yml``
(docs/detections.md, "False-positive budget").
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml
from opensearchpy import OpenSearch

from detections.alerts import alert_id
from detections.exceptions import NO_EXCEPTIONS, Exceptions
from detections.matching import find_matches
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import PACKAGE, Rule, inside_organization
from detections.testing import INGESTED
from detections.windows import Window, parse_time, resume_time
from normalizers import DeadLetter, Origin, normalize_object

PER_RECORDS = 100_000
BUDGETS_FILE = PACKAGE / "fp_budgets.yml"
CORPUS_EXCEPTIONS_FILE = PACKAGE / "fp_exceptions.yml"
"""The exceptions the benign corpus's organization deploys (its own scanner, rotation role,
helpdesk, triage function): the harness measures rules as that deployment runs them."""
BATCH_RECORDS = 1_000
"""Records per log file normalized and per bulk request (well under Serverless's 10 MiB)."""
SEARCHABLE_TIMEOUT = 300.0


class BudgetError(ValueError):
    """A budgets file that cannot be used; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Budgets:
    default: float = 0.0
    rules: Mapping[str, float] = field(default_factory=dict)
    """Rule id -> alerts allowed per 100,000 benign records."""
    reasons: Mapping[str, str] = field(default_factory=dict)
    known_over: Mapping[str, str] = field(default_factory=dict)
    """Rule id -> the benign activity that trips it today: reported, not failed, until tuned."""

    def budget(self, rule_id: str) -> float:
        return self.rules.get(rule_id, self.default)

    def allowed(self, rule_id: str, records: int) -> int:
        """Alerts allowed on ``records`` records: the budget scaled, rounded up."""
        return math.ceil(self.budget(rule_id) * records / PER_RECORDS)

    def unknown_ids(self, rule_ids: Iterable[str]) -> list[str]:
        """Entries naming no rule (renamed or deleted rules leave stale budgets behind)."""
        known = set(rule_ids)
        return sorted((set(self.rules) | set(self.known_over)) - known)


def load_budgets(path: Path = BUDGETS_FILE) -> Budgets:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise BudgetError(f"{path}: {error}") from None
    return parse_budgets(data, str(path))


def parse_budgets(data: Any, origin: str = "budgets") -> Budgets:
    if not isinstance(data, Mapping) or set(data) - {"default", "rules", "known_over_budget"}:
        raise BudgetError(f"{origin}: a mapping of default, rules and known_over_budget")
    default = _budget(data.get("default", 0), f"{origin}: default")
    rules: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for rule_id, entry in (data.get("rules") or {}).items():
        where = f"{origin}: rules.{rule_id}"
        if not isinstance(entry, Mapping) or set(entry) != {"budget", "reason"}:
            raise BudgetError(f"{where}: {{budget: <alerts per 100,000>, reason: <why>}}")
        rules[str(rule_id)] = _budget(entry["budget"], where)
        reasons[str(rule_id)] = _reason(entry["reason"], where)
    known = {
        str(rule_id): _reason(reason, f"{origin}: known_over_budget.{rule_id}")
        for rule_id, reason in (data.get("known_over_budget") or {}).items()
    }
    return Budgets(default, rules, reasons, known)


def _budget(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise BudgetError(f"{where}: the budget is a number >= 0 (alerts per 100,000 records)")
    return float(value)


def _reason(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BudgetError(f"{where}: a reason is required")
    return " ".join(value.split())


@dataclass(slots=True)
class RuleFalsePositives:
    rule_id: str
    applicable: bool = True
    """False when the rule reads another source than the corpus's."""
    alerts: int = 0
    events: int = 0
    """Documents in those alerts (matched after the rule's ``where`` comparisons)."""
    alert_event_ids: list[str] = field(default_factory=list)
    """The first event of each alert (to tell which benign activity tripped the rule)."""
    error: str | None = None


@dataclass(slots=True)
class FalsePositiveReport:
    records: int
    budgets: Budgets
    results: list[RuleFalsePositives] = field(default_factory=list)

    def per_100k(self, result: RuleFalsePositives) -> float:
        return result.alerts * PER_RECORDS / self.records if self.records else 0.0

    def is_over(self, result: RuleFalsePositives) -> bool:
        return result.error is not None or result.alerts > self.budgets.allowed(result.rule_id, self.records)

    @property
    def over_budget(self) -> list[RuleFalsePositives]:
        """Rules over budget (or failing) that are not known to be: the failures."""
        return [r for r in self.results if self.is_over(r) and r.rule_id not in self.budgets.known_over]

    @property
    def known_within(self) -> list[RuleFalsePositives]:
        """Rules listed as over budget that are within it on these records (tuned: unlist them)."""
        return [r for r in self.results if r.rule_id in self.budgets.known_over and not self.is_over(r)]

    def status(self, result: RuleFalsePositives) -> str:
        if result.error:
            return "error"
        if not result.applicable:
            return "n/a"
        if self.is_over(result):
            return "known over" if result.rule_id in self.budgets.known_over else "OVER"
        return "ok"

    def table(self) -> str:
        """One line per rule: alerts, alerts per 100,000 records, budget, status."""
        lines = [f"{'rule':<44} {'alerts':>7} {'per 100k':>9} {'budget':>7}  status", "-" * 80]
        for result in sorted(self.results, key=lambda r: (-r.alerts, r.rule_id)):
            lines.append(
                f"{result.rule_id:<44} {result.alerts:>7} {self.per_100k(result):>9.1f} "
                f"{self.budgets.budget(result.rule_id):>7g}  {self.status(result)}"
                + (f": {result.error}" if result.error else "")
            )
        return "\n".join(lines)


def index_records(client: OpenSearch, index: str, records: Sequence[Mapping[str, Any]]) -> int:
    """Normalize CloudTrail ``records`` (log files of ``BATCH_RECORDS``) into ``index``; wait
    until all are searchable. Raises ``ValueError`` if one is dead-lettered or not indexed."""
    origin = Origin(object="false-positive-corpus", ingested=INGESTED)
    total = 0
    for start in range(0, len(records), BATCH_RECORDS):
        body = orjson.dumps({"Records": list(records[start : start + BATCH_RECORDS])})
        bulk: list[Any] = []
        for item in normalize_object(io.BytesIO(body), origin, "cloudtrail"):
            if isinstance(item, DeadLetter):
                raise ValueError(f"corpus record dead-lettered at {start} + {item.position}: {item.reason}")
            bulk += [{"create": {"_index": index}}, item]
        response = client.bulk(body=bulk)
        if response.get("errors"):
            failed = [i["create"].get("error") for i in response["items"] if i["create"].get("error")]
            raise ValueError(f"indexing failed: {failed[:3]}")
        total += len(bulk) // 2
    # No refresh on Serverless: wait until the documents are searchable, as a client would.
    deadline = time.monotonic() + SEARCHABLE_TIMEOUT
    while client.count(index=index)["count"] < total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{index}: documents not searchable after {SEARCHABLE_TIMEOUT:.0f} s")
        time.sleep(0.5)
    return total


def measure_rule(
    client: OpenSearch,
    rule: Rule,
    index: str,
    exceptions: Exceptions = NO_EXCEPTIONS,
    organization: Organization = NO_ORGANIZATION,
) -> RuleFalsePositives:
    """The alerts ``rule`` raises over every document of ``index`` (stamped :data:`INGESTED`),
    with ``organization`` (the accounts directory's accounts and id) inside for ``outside_account``."""
    result = RuleFalsePositives(rule.id)
    ingested = parse_time(INGESTED)
    whole = Window(ingested - timedelta(minutes=1), ingested + timedelta(minutes=1))
    window = whole
    query = inside_organization(exceptions.apply(rule), organization)
    seen: set[str] = set()
    while True:
        found = find_matches(client, query, index, window)
        for match in found.matches:
            result.events += match.count
            identifier = alert_id(rule, match)
            if identifier not in seen:
                seen.add(identifier)
                result.alert_event_ids.append(match.event_ids[0] if match.event_ids else "")
        if found.resume_after is None:
            break
        window = Window(resume_time(found.resume_after), whole.end, resume_after=found.resume_after)
    result.alerts = len(seen)
    return result


def measure(
    client: OpenSearch,
    rules: Iterable[Rule],
    index: str,
    records: int,
    *,
    source: str = "cloudtrail",
    exceptions: Exceptions = NO_EXCEPTIONS,
    organization: Organization = NO_ORGANIZATION,
    budgets: Budgets | None = None,
) -> FalsePositiveReport:
    """Every rule of ``source`` over ``index`` (holding ``records`` records); rules of other
    sources are listed as not applicable. A rule that fails is reported, the others go on."""
    report = FalsePositiveReport(records, budgets if budgets is not None else load_budgets())
    for rule in rules:
        if rule.index != source:
            report.results.append(RuleFalsePositives(rule.id, applicable=False))
            continue
        try:
            report.results.append(measure_rule(client, rule, index, exceptions, organization))
        except Exception as error:  # one broken rule must not hide the others' numbers
            report.results.append(RuleFalsePositives(rule.id, error=f"{type(error).__name__}: {error}"))
    return report


__all__ = [
    "BUDGETS_FILE",
    "CORPUS_EXCEPTIONS_FILE",
    "INGESTED",
    "PER_RECORDS",
    "BudgetError",
    "Budgets",
    "FalsePositiveReport",
    "RuleFalsePositives",
    "index_records",
    "load_budgets",
    "measure",
    "measure_rule",
    "parse_budgets",
]
