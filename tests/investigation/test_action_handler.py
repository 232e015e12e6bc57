"""The Security Hub custom action "Investigate in SIEM": each finding of the event investigated,
its summary and Dashboards link written into its note (BatchUpdateFindings, checked with
botocore's Stubber: moto has no Security Hub BatchUpdateFindings)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from demo import Incident
from investigation import action_handler, investigate
from investigation.action_handler import (
    MIN_SUMMARY,
    NOTE_LIMIT,
    ActionFailed,
    annotate,
    findings_of,
    note_text,
)
from investigation.settings import InvestigationSettings
from opensearch_client import ConnectionSettings
from tests.investigation.conftest import Siem

NOW = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
PRODUCT = "arn:aws:securityhub:us-east-1::product/aws/securityhub"
DASHBOARDS = "https://abc123.us-east-1.aoss.amazonaws.com/_dashboards"
SETTINGS = InvestigationSettings(ConnectionSettings("http://unused"), dashboards_url=DASHBOARDS)


def custom_action_event(*finding_ids: str) -> dict[str, Any]:
    """As Security Hub sends it (Security Hub User Guide, "EventBridge event formats")."""
    return {
        "version": "0",
        "id": "1a1111a1-b22b-3c33-444d-5555e5ee5555",
        "detail-type": "Security Hub Findings - Custom Action",
        "source": "aws.securityhub",
        "account": "111122223333",
        "time": "2026-03-02T12:30:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:securityhub:us-east-1:111122223333:action/custom/InvestigateInSIEM"],
        "detail": {
            "actionName": "Investigate in SIEM",
            "actionDescription": "Write the SIEM investigation into the finding's note",
            "findings": [
                {"Id": finding_id, "ProductArn": PRODUCT, "Title": "t"} for finding_id in finding_ids
            ],
        },
    }


def stubbed() -> tuple[Any, Stubber, list[dict[str, Any]]]:
    client = boto3.client("securityhub", region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.securityhub.BatchUpdateFindings", lambda params, **_: sent.append(params)
    )
    return client, Stubber(client), sent


@pytest.mark.integration
def test_the_root_mfa_control_gets_its_investigation_in_its_note(siem: Siem, demo_incident: Incident) -> None:
    control = next(t for t in demo_incident.securityhub_findings if t.kind == "IAM.9")
    report = investigate(siem.client, control.id, dashboards_url=DASHBOARDS)
    assert report.dashboards_url and report.who.summary
    securityhub, stubber, sent = stubbed()
    identifier = {"Id": control.id, "ProductArn": PRODUCT}
    stubber.add_response(
        "batch_update_findings",
        {"ProcessedFindings": [identifier], "UnprocessedFindings": []},
        {"FindingIdentifiers": [identifier], "Note": {"Text": ANY, "UpdatedBy": "aws-siem"}},
    )

    with stubber:
        answer = annotate(
            siem.client, securityhub, findings_of(custom_action_event(control.id)), SETTINGS, NOW
        )

    stubber.assert_no_pending_responses()
    assert answer == {"updated": [control.id]}
    (params,) = sent
    text = params["Note"]["Text"]
    assert len(text) <= NOTE_LIMIT
    assert text.startswith("SIEM investigation 2026-03-02T12:30Z: Who: The root user acted in the account")
    link = f" Dashboards: {report.dashboards_url}"
    head = "SIEM investigation 2026-03-02T12:30Z: "
    if len(head) + len(link) + MIN_SUMMARY <= NOTE_LIMIT:  # room left for a summary: the link goes whole
        assert text.endswith(link)
    else:
        assert text.endswith(" Full report: siem investigate with this finding's Id.")


@pytest.mark.integration
def test_a_finding_not_ingested_yet_says_so_and_a_refused_update_fails_the_invocation(siem: Siem) -> None:
    securityhub, stubber, sent = stubbed()
    missing = "arn:aws:securityhub:us-east-1:111122223333:security-control/S3.1/finding/0000"
    identifier = {"Id": missing, "ProductArn": PRODUCT}
    stubber.add_response(
        "batch_update_findings",
        {
            "ProcessedFindings": [],
            "UnprocessedFindings": [
                {
                    "FindingIdentifier": identifier,
                    "ErrorCode": "FindingNotFound",
                    "ErrorMessage": "no such finding",
                }
            ],
        },
        {"FindingIdentifiers": [identifier], "Note": {"Text": ANY, "UpdatedBy": "aws-siem"}},
    )

    with stubber, pytest.raises(ActionFailed, match="FindingNotFound: no such finding"):
        annotate(siem.client, securityhub, findings_of(custom_action_event(missing)), SETTINGS, NOW)

    assert sent[0]["Note"]["Text"] == (
        "SIEM investigation 2026-03-02T12:30Z: this finding is not in the SIEM yet (findings are "
        "indexed within minutes of being updated); run the action again later."
    )


def test_the_note_keeps_the_link_whole_and_cuts_the_summary() -> None:
    from investigation.report import Report, What, When, Where, Who

    report = Report(
        finding=None,  # type: ignore[arg-type]  # the note reads who, what and the link only
        who=Who(mode="credential", summary="x" * 600),
        when=When("a", "b", "c", "d"),
        what=What(summary="y" * 100),
        where=Where(),
        dashboards_url=DASHBOARDS + "/app/dashboards#/view/siem-finding-investigation?_g=(q)",
    )
    text = note_text(report, NOW)
    assert len(text) == NOTE_LIMIT
    assert text.endswith(f" Dashboards: {report.dashboards_url}") and "…" in text
    report.dashboards_url = DASHBOARDS + "/" + "z" * 600
    assert note_text(report, NOW).endswith(" Full report: siem investigate with this finding's Id.")


def test_findings_without_an_id_or_product_arn_are_skipped() -> None:
    event = custom_action_event("a")
    event["detail"]["findings"] += [{"Id": "b"}, "not a finding"]
    assert [finding.id for finding in findings_of(event)] == ["a"]
    assert findings_of({"detail": {}}) == []


@pytest.mark.integration
def test_the_lambda_entry_point_reads_its_environment(
    siem: Siem, engine_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    securityhub, stubber, sent = stubbed()
    missing = "arn:aws:securityhub:us-east-1:111122223333:security-control/S3.1/finding/0001"
    identifier = {"Id": missing, "ProductArn": PRODUCT}
    stubber.add_response(
        "batch_update_findings",
        {"ProcessedFindings": [identifier], "UnprocessedFindings": []},
        {"FindingIdentifiers": [identifier], "Note": {"Text": ANY, "UpdatedBy": "aws-siem"}},
    )

    class Session:
        def __init__(self, region_name: str | None = None) -> None:
            assert region_name == "us-east-1"

        def client(self, service: str) -> Any:
            assert service == "securityhub"
            return securityhub

    monkeypatch.setattr(action_handler.boto3, "Session", Session)
    for name, value in {
        "OPENSEARCH_ENDPOINT": engine_url,
        "OPENSEARCH_AUTH": "none",
        "AWS_REGION": "us-east-1",
        "INDEX_PREFIX": "siem-",
    }.items():
        monkeypatch.setenv(name, value)

    with stubber:
        assert action_handler.lambda_handler(custom_action_event(missing), None) == {"updated": [missing]}
    assert "not in the SIEM yet" in sent[0]["Note"]["Text"]
