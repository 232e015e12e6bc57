"""The demo incident, detected: the alerts raised match its ground truth (demo/truth.py)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo import Incident, write_incident
from detections.demo import print_demo_alerts
from detections.windows import iso
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import index_of
from tests.detections.conftest import T0

pytestmark = pytest.mark.integration
INGESTED = T0 + timedelta(hours=3)


@pytest.fixture
def incident(siem: OpenSearch, tmp_path: Path) -> Incident:
    incident = write_incident(tmp_path)
    for item in incident.objects:
        if item.skipped:
            continue
        body: list[dict[str, Any]] = []
        raw = io.BytesIO((tmp_path / item.key).read_bytes())
        for document in normalize_object(raw, Origin(item.key, iso(INGESTED))):
            if not isinstance(document, DeadLetter):
                body += [{"create": {"_index": f"siem-{index_of(document)}"}}, document]
        assert not siem.bulk(body=body)["errors"]
    return incident


def test_the_demo_incident_raises_the_alerts_its_ground_truth_calls_for(
    siem: OpenSearch, incident: Incident
) -> None:
    out = io.StringIO()
    report = print_demo_alerts(siem, out=out, now=INGESTED + timedelta(minutes=5))
    assert not report.errors
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for alert in report.alerts:
        by_rule.setdefault(alert["rule"]["id"], []).append(alert)

    def finding_ids(rule_id: str, field: str) -> set[str]:
        return {
            alert["alert"]["dedup_key"].split("=", 1)[1].strip('"')
            for alert in by_rule.get(rule_id, [])
            if alert["alert"]["dedup_key"].startswith(field)
        }

    serious_guardduty = {f.id for f in incident.guardduty_findings if f.severity >= 7 and not f.sample}
    failed_controls = {
        f.id for f in incident.securityhub_findings if f.compliance_status == "FAILED" and f.severity >= 70
    }
    assert finding_ids("siem-guardduty-high-critical", "aws.guardduty.id") == serious_guardduty
    assert (
        finding_ids("siem-securityhub-new-failed-high-critical", "aws.securityhub_findings.id")
        == failed_controls
    )

    (burst,) = by_rule["siem-vpcflow-rejected-burst"]
    assert burst["source"]["ip"] == incident.attacker_ip
    (backdoor,) = by_rule["siem-iam-access-key-for-another-user"]
    assert backdoor["user"]["target"]["name"] == incident.persistence_user_name
    assert incident.final_session.access_key_id in backdoor["alert"]["summary"]["who"]
    (root,) = by_rule["siem-root-account-usage"]
    assert root["source"]["ip"] == incident.attacker_console_ip
    # The root sign-in without MFA is one event: the root rule's alert, not a second one.
    assert "siem-console-signin-without-mfa" not in by_rule
    # The investigation tells who is behind a finding on the final session: the stolen user.
    on_final = [
        alert
        for alert in by_rule["siem-guardduty-high-critical"]
        if incident.final_session.access_key_id in alert.get("related", {}).get("user", [])
    ]
    assert on_final and all(
        incident.compromised_user_arn in alert["alert"]["summary"]["who"] for alert in on_final
    )
    printed = out.getvalue()
    assert f"Detections: {len(report.alerts)} alerts" in printed and "Who:" in printed
