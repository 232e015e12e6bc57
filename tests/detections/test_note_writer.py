"""A finding updated only by our "Investigate in SIEM" note raises no alert: neither its copy
that comes back through the findings delivery nor the CloudTrail BatchUpdateFindings call our
role made. Every enabled rule runs, with the settings the detection Lambda reads."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections.checkpoints import MemoryCheckpoints
from detections.rules import load_rules
from detections.runner import run
from detections.settings import DetectionSettings
from detections.windows import iso
from tests.detections.conftest import T0, index_raw, minutes, trail

pytestmark = pytest.mark.integration
ACCOUNT = "111122223333"
NOTE_WRITER = f"arn:aws:iam::{ACCOUNT}:role/AwsSiem-HandoffsInvestigateRole1A2B3C4D-5E6F7G8H9I0J"
FINDING_ID = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:security-control/IAM.9/finding/6f1c1f52"


def failed_root_mfa_control(**changes: Any) -> dict[str, Any]:
    """A new, active, failed critical control (ASFF), as the findings delivery writes it."""
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": FINDING_ID,
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": "security-control/IAM.9",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": iso(T0 - minutes(30)),
        "LastObservedAt": iso(T0 - minutes(10)),
        "CreatedAt": iso(T0 - minutes(30)),
        "UpdatedAt": iso(T0 - minutes(10)),
        "Severity": {"Label": "CRITICAL", "Normalized": 90, "Original": "CRITICAL"},
        "Title": "MFA should be enabled for the root user",
        "Description": "This control checks whether your AWS account is enabled to use MFA for the root user.",
        "Resources": [
            {
                "Type": "AwsAccount",
                "Id": f"AWS::::Account:{ACCOUNT}",
                "Partition": "aws",
                "Region": "us-east-1",
            }
        ],
        "Compliance": {"Status": "FAILED", "SecurityControlId": "IAM.9"},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }
    finding.update(changes)
    return finding


def batch_update_findings(event_id: str, when: datetime, identity: dict[str, Any]) -> dict[str, Any]:
    """The CloudTrail record of a note written with BatchUpdateFindings (a write, not read-only)."""
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": "securityhub.amazonaws.com",
        "eventName": "BatchUpdateFindings",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "3.80.1.2",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux exec-env/AWS_Lambda_python3.12",
        "requestParameters": {
            "FindingIdentifiers": [
                {"Id": FINDING_ID, "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub"}
            ],
            "Note": {"Text": "SIEM investigation ...", "UpdatedBy": "aws-siem"},
        },
        "responseElements": {"processedFindings": [{"id": FINDING_ID}], "unprocessedFindings": []},
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventID": event_id,
        "eventCategory": "Management",
    }


def lambda_session(role_arn: str) -> dict[str, Any]:
    role_name = role_arn.rsplit("/", 1)[1]
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEID:investigate",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/investigate",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEID",
                "arn": role_arn,
                "accountId": ACCOUNT,
                "userName": role_name,
            },
            "attributes": {"creationDate": iso(T0), "mfaAuthenticated": "false"},
        },
    }


def test_our_note_raises_no_alert_where_the_same_call_by_someone_else_does(siem: OpenSearch) -> None:
    settings = DetectionSettings.from_env(
        {
            "OPENSEARCH_ENDPOINT": "http://unused",
            "OPENSEARCH_AUTH": "none",
            "NOTE_WRITER_ROLE_ARN": NOTE_WRITER,
        }
    ).run
    rules, store = load_rules(), MemoryCheckpoints()
    # The control as first delivered: it alerts (the rule that must stay quiet on the note's copy).
    index_raw(siem, "securityhub", json.dumps({"Findings": [failed_root_mfa_control()]}).encode(), T0)
    first = run(siem, siem, rules, T0 + minutes(5), store, None, settings)
    assert [alert["rule"]["id"] for alert in first.alerts] == ["siem-securityhub-new-failed-high-critical"]

    # The analyst runs "Investigate in SIEM": our role writes the note (CloudTrail), and Security
    # Hub delivers the finding again with its Note; BatchUpdateFindings leaves UpdatedAt as it was.
    note = {"Text": "SIEM investigation ...", "UpdatedBy": "aws-siem", "UpdatedAt": iso(T0 + minutes(6))}
    index_raw(
        siem,
        "securityhub",
        json.dumps({"Findings": [failed_root_mfa_control(Note=note)]}).encode(),
        T0 + minutes(7),
    )
    ours = batch_update_findings("note-1", T0 + minutes(6), lambda_session(NOTE_WRITER))
    index_raw(siem, "cloudtrail", trail([ours]), T0 + minutes(7))
    second = run(siem, siem, rules, T0 + minutes(12), store, None, settings)
    assert [alert["rule"]["id"] for alert in second.alerts] == [] and not second.errors

    # The same call by another role is what the evasion rule is for: it alerts.
    someone = batch_update_findings(
        "note-2", T0 + minutes(13), lambda_session(f"arn:aws:iam::{ACCOUNT}:role/ops")
    )
    index_raw(siem, "cloudtrail", trail([someone]), T0 + minutes(14))
    third = run(siem, siem, rules, T0 + minutes(19), store, None, settings)
    assert [alert["rule"]["id"] for alert in third.alerts] == ["sigma-a607e1fe-74bf-4440-a3ec-b059b9103157"]
