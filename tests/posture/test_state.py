"""The current posture on the embedded engine, answering like Serverless: for every (account,
control or rule, resource) the newest document wins; archived and resolved findings and
not-applicable verdicts drop out; a period's end sees the states as they were then."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import config as cfg
from demo.records import securityhub as sh
from opensearch_assets.templates import install_templates
from posture.state import Scope, by_account, current_states
from tests.assets.fixtures import normalize_bytes
from tests.assets.indexing import PREFIX, index_documents

pytestmark = pytest.mark.integration

A, B = "111111111111", "222222222222"
T1, T2 = datetime(2026, 11, 3, 9, tzinfo=UTC), datetime(2026, 11, 20, 9, tzinfo=UTC)


def _control(
    finding_id: str, status: str, updated: datetime, account: str = A, **extra: Any
) -> dict[str, Any]:
    spec = sh.ControlSpec(
        status=status,
        account=account,
        resource=sh.resource("AwsS3Bucket", f"arn:aws:s3:::{finding_id}"),
        created=T1,
        updated=updated,
        finding_id=finding_id,
        **extra,
    )
    return sh.control_finding(spec)


def _documents() -> list[tuple[str, dict[str, Any]]]:
    resolved = _control("resolved", "FAILED", T2)
    resolved["Workflow"] = {"Status": "RESOLVED"}
    findings = [
        _control("fixed", "FAILED", T1),
        _control("fixed", "PASSED", T2),  # its newest update: it passes now
        _control("archived", "FAILED", T1),
        _control("archived", "FAILED", T2, record_state="ARCHIVED"),
        _control("resolved", "FAILED", T1),
        resolved,
        _control("still-failing", "FAILED", T1, account=B),
    ]
    items = [
        cfg.resource_compliance_item(
            A,
            "us-east-1",
            "AWS::EC2::SecurityGroup",
            "sg-1",
            T1,
            (("restricted-ssh", "NON_COMPLIANT"), ("vpc-sg-open-only-to-authorized-ports", "NOT_APPLICABLE")),
        ),
        cfg.resource_compliance_item(
            A, "us-east-1", "AWS::EC2::SecurityGroup", "sg-1", T2, (("restricted-ssh", "COMPLIANT"),)
        ),
    ]
    _, hub = normalize_bytes("posture/sh.json", json.dumps(sh.get_findings_response(findings)).encode())
    _, config = normalize_bytes("posture/config.json", cfg.history_file(items))
    return [("securityhub", d) for d in hub] + [("config", d) for d in config]


@pytest.fixture
def loaded(engine: OpenSearch) -> OpenSearch:
    install_templates(engine, PREFIX)
    assert index_documents(engine, _documents()) == []
    return engine


def _table(states: list[Any]) -> set[tuple[str, str, str, str]]:
    return {(s.account, s.source, s.resource, s.status) for s in states}


def test_the_newest_update_of_each_control_and_rule_wins(loaded: OpenSearch) -> None:
    states = current_states(loaded, PREFIX)
    assert _table(states) == {
        (A, "securityhub", "arn:aws:s3:::fixed", "PASSED"),
        (B, "securityhub", "arn:aws:s3:::still-failing", "FAILED"),
        (A, "config", "AWS::EC2::SecurityGroup/sg-1", "COMPLIANT"),
    }
    assert [(p.account, p.passed, p.failed, p.pass_rate) for p in by_account(states)] == [
        (A, 2, 0, 1.0),
        (B, 0, 1, 0.0),
    ]


def test_a_period_end_sees_the_states_of_then(loaded: OpenSearch) -> None:
    states = current_states(loaded, PREFIX, Scope(until="2026-11-10T00:00:00Z"))
    assert _table(states) == {
        (A, "securityhub", "arn:aws:s3:::fixed", "FAILED"),
        (A, "securityhub", "arn:aws:s3:::archived", "FAILED"),
        (A, "securityhub", "arn:aws:s3:::resolved", "FAILED"),
        (B, "securityhub", "arn:aws:s3:::still-failing", "FAILED"),
        (A, "config", "AWS::EC2::SecurityGroup/sg-1", "NON_COMPLIANT"),
    }
    only_b = current_states(loaded, PREFIX, Scope(accounts=(B,)))
    assert _table(only_b) == {(B, "securityhub", "arn:aws:s3:::still-failing", "FAILED")}
