"""Run rules' inline tests on an engine: raw events -> real normalizer -> index -> the rule's query.

Each test case gets its own index ``<prefix><source>-ruletest-<n>`` (matched by the
source's index template, so fields are mapped as in production), written the way the
ingest path writes (``create`` without ``_id``), queried through the same code the runner
uses, then deleted.
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

from detections.matching import find_matches
from detections.rules import Rule, RuleTest
from detections.windows import Window, parse_time
from normalizers import DeadLetter, Origin, normalize_object

INGESTED = "2026-01-01T00:00:00.000Z"
"""``event.ingested`` of every test document; the rule is queried around it."""
SEARCHABLE_TIMEOUT = 60.0
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CaseResult:
    rule_id: str
    name: str
    expected: bool
    matched: bool | None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.matched == self.expected

    def describe(self) -> str:
        if self.error:
            return f"ERROR {self.rule_id} [{self.name}]: {self.error}"
        verdict = "ok  " if self.passed else "FAIL"
        return f"{verdict} {self.rule_id} [{self.name}]: expected match={self.expected}, got match={self.matched}"


def case_documents(rule: Rule, case: RuleTest) -> list[dict[str, Any]]:
    """The case's events as indexed documents; raises ``ValueError`` if one is dead-lettered."""
    documents = [dict(document) for document in case.documents]
    raw = _raw_object(rule.index, case)
    if raw is not None:
        origin = Origin(object=f"rule-test/{rule.id}/{case.name}", ingested=INGESTED)
        for item in normalize_object(io.BytesIO(raw), origin, rule.index):
            if isinstance(item, DeadLetter):
                raise ValueError(f"test event dead-lettered at {item.position}: {item.reason}")
            documents.append(item)
    for document in documents:
        document.setdefault("event", {})["ingested"] = INGESTED
    return documents


def _raw_object(source: str, case: RuleTest) -> bytes | None:
    if case.lines:
        return ("\n".join(case.lines) + "\n").encode()
    if not case.records:
        return None
    if source == "cloudtrail":
        return json.dumps({"Records": list(case.records)}).encode()
    return "".join(json.dumps(record) + "\n" for record in case.records).encode()


def run_case(client: OpenSearch, rule: Rule, case: RuleTest, prefix: str = "siem-") -> CaseResult:
    index = f"{prefix}{rule.index}-ruletest-{next(_counter)}"
    try:
        index_and_wait(client, index, case_documents(rule, case))
        return CaseResult(rule.id, case.name, case.match, matches(client, rule, index))
    except Exception as error:  # reported per case: one bad rule must not hide the others' results
        return CaseResult(rule.id, case.name, case.match, None, f"{type(error).__name__}: {error}")
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)


def matches(client: OpenSearch, rule: Rule, index: str) -> bool:
    """Whether ``rule`` raises an alert on ``index``'s documents (ingested at :data:`INGESTED`),
    queried through the runner's own code."""
    ingested = parse_time(INGESTED)
    window = Window(ingested - timedelta(minutes=1), ingested + timedelta(minutes=1))
    return bool(find_matches(client, rule, index, window).matches)


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
        if not rule.tests:
            yield CaseResult(rule.id, "(none)", True, None, "the rule has no inline tests")
        for case in rule.tests:
            yield run_case(client, rule, case, prefix)


__all__ = ["INGESTED", "CaseResult", "case_documents", "index_and_wait", "matches", "run_case", "run_tests"]
