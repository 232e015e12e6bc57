"""An API call finding's ``AffectedResources`` (GuardDuty ``service.action.awsApiCallAction``,
ASFF ``Action.AwsApiCallAction``: resource type -> ARN) is the resource the finding is about.

The real sample (Panther's GuardDuty findings) names no identity: the call came through
CloudFormation (``callerType: Domain``), and its only pivot is the role the call changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from demo.records import cloudtrail as ct
from detections.summary import from_investigation
from investigation import investigate, render
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

FINDING_ID = "eeb88ab56556eb7771b266670dddee5a"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/IAMRole"


def _sample_finding(shared_dir: Path) -> dict[str, Any]:
    lines = (shared_dir / "samples/guardduty/panther-guardduty-findings.jsonl").read_bytes().splitlines()
    finding: dict[str, Any] = next(
        found
        for found in map(orjson.loads, lines)
        if found["id"] == FINDING_ID and not found["service"]["additionalInfo"]
    )
    assert finding["service"]["action"]["awsApiCallAction"]["affectedResources"] == {
        "AWS::IAM::Role": ROLE_ARN
    }
    return finding


def _ingest(siem: Siem, shared_dir: Path) -> str:
    """The sample finding, the role session's ``PutRolePolicy`` through CloudFormation, and an
    unrelated user's call at the same time; returns the session's ARN."""
    session = ct.role_session(
        ACCOUNT, "IAMRole", "AWSCloudFormation", "ASIAIAMROLE000000001", "AROAIAMROLE00000001"
    )
    when = datetime(2020, 2, 14, 17, 59, 17, tzinfo=UTC)
    put_policy = ct.api_call(
        ct.assumed_role(session, invoked_by="cloudformation.amazonaws.com"),
        event_name="PutRolePolicy",
        event_source="iam.amazonaws.com",
        time=when,
        source_ip="cloudformation.amazonaws.com",
        user_agent="cloudformation.amazonaws.com",
        read_only=False,
        request={"roleName": "IAMRole", "policyName": "admin", "policyDocument": "{}"},
    )
    bystander = ct.api_call(
        ct.iam_user(ACCOUNT, "bob", "AIDABOB000000000001", "AKIABOB0000000000001"),
        event_name="ListBuckets",
        event_source="s3.amazonaws.com",
        time=when,
    )
    siem.cloudtrail([put_policy, bystander])
    siem.guardduty([_sample_finding(shared_dir)])
    return session.arn


def test_the_affected_role_is_the_pivot_of_a_guardduty_api_call_finding(siem: Siem, shared_dir: Path) -> None:
    """The role's own session, through CloudFormation, put the policy on the role (what the
    finding says: "attempted to add a policy to themselves"); the bystander is not in the answer."""
    session_arn = _ingest(siem, shared_dir)

    report = investigate(siem.client, FINDING_ID).to_dict()

    assert report["finding"]["mode"] == "resource"
    assert report["finding"]["keys"]["resource_arns"] == [ROLE_ARN]
    assert report["finding"]["keys"]["resource_ids"] == ["IAMRole"]
    assert [action["action"] for action in report["what"]["actions"]] == ["PutRolePolicy"]
    assert [identity["arn"] for identity in report["who"]["identities"]] == [session_arn]
    assert report["who"]["chain"][0]["arn"] == session_arn


def test_a_call_made_by_an_aws_service_says_which_service_it_came_from(siem: Siem, shared_dir: Path) -> None:
    """CloudTrail's ``sourceIPAddress`` of a call an AWS service made is the service's name
    (``source.address``, no ``source.ip``): "from where" names it in the report and the alert."""
    _ingest(siem, shared_dir)

    report = investigate(siem.client, FINDING_ID)

    assert report.to_dict()["where"]["ips"] == []
    assert report.to_dict()["where"]["addresses"] == [{"address": "cloudformation.amazonaws.com", "count": 1}]
    where = render(report, "text").split("FROM WHERE", 1)[1].split("\n\n", 1)[0]
    assert "No source addresses" not in where and "cloudformation.amazonaws.com  1" in where
    summary = from_investigation(siem.client, FINDING_ID, "siem-")
    assert summary is not None and summary.where == "from cloudformation.amazonaws.com"
