"""Run rules' inline tests on an engine: raw events -> real normalizer -> index -> the rule's query.

Each test case gets its own indices ``<prefix><source>-ruletest-<n>`` (matched by the
sources' index templates, so fields are mapped as in production), written the way the
ingest path writes (``create`` without ``_id``), queried through the same code the runner
uses, then deleted. The case's events are ingested at :data:`INGESTED`, inside the window
the rule is run over; its ``history`` an hour earlier (what earlier runs saw). A new-terms
rule gets its own terms state, filled from that history as a first run fills it.
"""

from __future__ import annotations

import io
import itertools
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections.matching import Match, Sources, find_matches
from detections.rules import Rule, RuleTest, inside_organization
from detections.windows import Window, parse_time
from normalizers import DeadLetter, Origin, normalize_object

INGESTED = "2026-01-01T00:00:00.000Z"
"""``event.ingested`` of every test document; the rule is queried around it."""
HISTORY_INGESTED = "2025-12-31T23:00:00.000Z"
"""``event.ingested`` of a test's ``history``: before the window, as an earlier run saw it."""
SEARCHABLE_TIMEOUT = 60.0
SILENCE_SKIPPED = (
    "a silence rule judges days of runs, not one window: tests/detections/test_silence.py runs it"
)
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CaseResult:
    rule_id: str
    name: str
    expected: bool
    matched: bool | None
    error: str | None = None
    alerts: int | None = None
    """Alerts the rule raised."""
    expected_alerts: int | None = None
    """The case's ``alerts``: how many it must raise (``None``: any number when it matches)."""
    skipped: str | None = None
    """Why the rule has no case to run (a silence rule judges days of runs)."""

    @property
    def passed(self) -> bool:
        if self.skipped is not None:
            return True
        counted = self.expected_alerts is None or self.alerts == self.expected_alerts
        return self.error is None and self.matched == self.expected and counted

    def describe(self) -> str:
        if self.skipped is not None:
            return f"skip {self.rule_id}: {self.skipped}"
        if self.error:
            return f"ERROR {self.rule_id} [{self.name}]: {self.error}"
        verdict = "ok  " if self.passed else "FAIL"
        counts = (
            f", expected {self.expected_alerts} alerts, got {self.alerts}" if self.expected_alerts else ""
        )
        return (
            f"{verdict} {self.rule_id} [{self.name}]: expected match={self.expected}, "
            f"got match={self.matched}{counts}"
        )


def case_documents(rule: Rule, case: RuleTest) -> list[tuple[str, dict[str, Any]]]:
    """The case's events as indexed documents, with their source; raises ``ValueError`` if one
    is dead-lettered. History documents are stamped :data:`HISTORY_INGESTED`."""
    out = [(rule.index, dict(document)) for document in case.documents]
    if case.lines:
        out += _normalized(rule, case.name, rule.index, ("\n".join(case.lines) + "\n").encode(), INGESTED)
    window = ((rule.index, case.records), *case.other_records) if case.records else case.other_records
    for stamp, groups in ((INGESTED, window), (HISTORY_INGESTED, case.history)):
        for source, records in groups:
            out += _normalized(rule, case.name, source, _raw_object(source, records), stamp)
    for _, document in out:
        document.setdefault("event", {}).setdefault("ingested", INGESTED)
    return out


def _normalized(
    rule: Rule, name: str, source: str, raw: bytes, ingested: str
) -> list[tuple[str, dict[str, Any]]]:
    origin = Origin(object=f"rule-test/{rule.id}/{name}", ingested=ingested)
    out = []
    for item in normalize_object(io.BytesIO(raw), origin, source):
        if isinstance(item, DeadLetter):
            raise ValueError(f"test event dead-lettered at {item.position}: {item.reason}")
        item.setdefault("event", {})["ingested"] = ingested
        out.append((source, item))
    return out


def _raw_object(source: str, records: Sequence[Any]) -> bytes:
    if source == "cloudtrail":
        return json.dumps({"Records": list(records)}).encode()
    return "".join(json.dumps(record) + "\n" for record in records).encode()


def run_case(client: OpenSearch, rule: Rule, case: RuleTest, prefix: str = "siem-") -> CaseResult:
    sources = Sources(prefix, f"-ruletest-{next(_counter)}")
    try:
        by_index: dict[str, list[dict[str, Any]]] = {}
        for source, document in case_documents(rule, case):
            by_index.setdefault(sources.index(source), []).append(document)
        for index, documents in by_index.items():
            index_and_wait(client, index, documents)
        found = len(alerts_for(client, inside_organization(rule, case.organization), sources))
        return CaseResult(
            rule.id, case.name, case.match, found > 0, alerts=found, expected_alerts=case.alerts
        )
    except Exception as error:  # reported per case: one bad rule must not hide the others' results
        return CaseResult(rule.id, case.name, case.match, None, f"{type(error).__name__}: {error}")
    finally:
        for source in rule.sources:
            client.indices.delete(index=sources.index(source), ignore_unavailable=True)


def alerts_for(client: OpenSearch, rule: Rule, sources: Sources) -> list[Match]:
    """The alerts ``rule`` raises on ``sources``' documents ingested at :data:`INGESTED`, queried
    through the runner's own code (a new-terms rule with a fresh terms state, filled from the
    documents ingested before)."""
    ingested = parse_time(INGESTED)
    window = Window(ingested - timedelta(minutes=1), ingested + timedelta(minutes=1))
    return find_matches(client, rule, sources, window).matches


def matches(client: OpenSearch, rule: Rule, sources: Sources) -> bool:
    """Whether ``rule`` raises an alert on ``sources``' documents ingested at :data:`INGESTED`."""
    return bool(alerts_for(client, rule, sources))


def index_and_wait(client: OpenSearch, index: str, documents: Sequence[dict[str, Any]]) -> None:
    """Write ``documents`` the way the loader does (``create``, no ``_id``) and wait until
    every one is searchable (Serverless has no refresh)."""
    body: list[dict[str, Any]] = []
    for document in documents:
        body += [{"create": {"_index": index}}, document]
    response = client.bulk(body=body)
    if response.get("errors"):
        failed = [item["create"].get("error") for item in response["items"] if item["create"].get("error")]
        raise ValueError(f"indexing failed: {failed[:3]}")
    # No refresh on Serverless: wait until the documents are searchable, as a client would.
    deadline = time.monotonic() + SEARCHABLE_TIMEOUT
    while client.count(index=index)["count"] < len(documents):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{index}: documents not searchable after {SEARCHABLE_TIMEOUT:.0f} s")
        time.sleep(0.5)


def run_tests(client: OpenSearch, rules: Iterable[Rule], prefix: str = "siem-") -> Iterator[CaseResult]:
    for rule in rules:
        if rule.type == "silence":
            yield CaseResult(rule.id, "(none)", True, None, skipped=SILENCE_SKIPPED)
            continue
        if not rule.tests:
            yield CaseResult(rule.id, "(none)", True, None, "the rule has no inline tests")
        for case in rule.tests:
            yield run_case(client, rule, case, prefix)


__all__ = [
    "HISTORY_INGESTED",
    "INGESTED",
    "CaseResult",
    "alerts_for",
    "case_documents",
    "index_and_wait",
    "matches",
    "run_case",
    "run_tests",
]
