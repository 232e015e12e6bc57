"""Raw AWS records -> real normalizers -> the embedded engine, stamped with a chosen ingestion time."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.benign.org import build
from demo.ids import Ids
from demo.records import cloudtrail as ct
from demo.records import vpcflow
from detections.false_positives import load_budgets, measure
from detections.organization import inside_ids
from detections.principals import Organization
from detections.rules import RULES_DIR, Rule, load_rules
from detections.windows import iso
from normalizers import DeadLetter, Origin, normalize_object
from opensearch_assets.templates import install_templates

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def siem(engine: OpenSearch) -> OpenSearch:
    """The engine with the index templates installed (logs and alerts)."""
    install_templates(engine, "siem-")
    return engine


def our_rule(rule_id: str) -> Rule:
    return next(rule for rule in load_rules([RULES_DIR]) if rule.id == rule_id)


def corpus_organizations(count: int) -> Organization:
    """The accounts of the corpus's first ``count`` organizations (seeds 0 to count - 1) as one
    organization: the look-alike tests run each episode in an organization of its own."""
    return Organization(
        frozenset().union(*(inside_ids(build(Ids(seed)).directory()) for seed in range(count)))
    )


def alerts_by_rule(
    siem: OpenSearch, rules: Sequence[Rule], index: str, count: int, organization: Organization
) -> dict[str, int]:
    """The alerts each rule raises over ``index`` (``count`` records), failing on any rule's error."""
    report = measure(siem, list(rules), index, count, organization=organization, budgets=load_budgets())
    assert not [result.error for result in report.results if result.error]
    return {result.rule_id: result.alerts for result in report.results if result.alerts}


def index_raw(client: OpenSearch, source: str, raw: bytes, ingested: datetime) -> int:
    """Normalize one raw object as the loader would at ``ingested`` and index it (no ``_id``)."""
    items = list(normalize_object(io.BytesIO(raw), Origin(object="test", ingested=iso(ingested)), source))
    assert not [item for item in items if isinstance(item, DeadLetter)]
    body: list[dict[str, Any]] = []
    for document in items:
        body += [{"create": {"_index": f"siem-{source}"}}, document]
    response = client.bulk(body=body)
    assert not response["errors"], response
    return len(items)


def cloudtrail_record(event_id: str, when: datetime, **changes: Any) -> dict[str, Any]:
    """A root console sign-in (matched by siem-root-account-usage); ``changes`` override fields."""
    record = ct.console_login(
        ct.root("111122223333", access_key_id=None),
        time=when,
        source_ip="198.51.100.214",
        user_agent="Mozilla/5.0",
        login_to=None,
        event_id=event_id,
    )
    record.update(changes)
    return record


def trail(records: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps({"Records": list(records)}).encode()


def rejected_flows(source_ip: str, start: datetime, count: int, first_port: int = 1) -> bytes:
    """A port scan: ``count`` rejected probes, one a second, to consecutive ports."""
    epoch = int(start.timestamp())
    probes = [
        vpcflow.flow(
            account="111122223333",
            interface="eni-0a1b2c3d",
            src=source_ip,
            dst="10.20.1.161",
            src_port=40000,
            dst_port=first_port + i,
            packets=1,
            byte_count=44,
            start=epoch + i,
            end=epoch + i + 5,
            action="REJECT",
        )
        for i in range(count)
    ]
    return vpcflow.text_body(vpcflow.text_line(probe) for probe in probes)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
