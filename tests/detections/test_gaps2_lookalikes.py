"""The routine look-alikes of the grants read since the second sweep (demo/benign/gaps2.py),
too rare for the corpus slice, measured on their own with every enabled rule: silent with the
accounts directory; the fellow accounts named by id alert without it, one alert per call that
names one; the same calls naming another account instead alert too."""

from __future__ import annotations

import json

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import NO_ORGANIZATION
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = (
    "cluster-access-entries",
    "security-administrator-accepted",
    "data-platform-access",
    "api-policies",
    "fpga-image-share",
)
ORGANIZATIONS = 30
OUTSIDE = "999988887777"

pytestmark = pytest.mark.integration


def names_a_fellow(record: dict) -> bool:
    """Whether a write names an account of the organization other than its own (its request
    holds a 12-digit id that is not the recipient's), ignoring the API's description."""
    request = dict(record.get("requestParameters") or {})
    operations = [item for item in request.pop("patchOperations", []) if item.get("path") != "/description"]
    text = json.dumps(request | {"patchOperations": operations})
    own = record["recipientAccountId"]
    return any(
        word != own
        for word in (text.replace(":", " ").replace('"', " ").replace("/", " ").split())
        if len(word) == 12 and word.isdigit()
    )


def grants(records: list[dict]) -> list[dict]:
    """The writes the grant rules read (the invitations sent by the security account are not)."""
    return [
        record
        for record in records
        if record["readOnly"] is False
        and record["eventName"] not in ("CreateMembers", "InviteMembers", "GetCallerIdentity", "AssumeRole")
        and record["eventSource"] != "s3.amazonaws.com"
    ]


def test_routine_grants_of_the_second_sweep_raise_nothing(siem: OpenSearch) -> None:
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("eks.amazonaws.com", "CreateAccessEntry"), ("eks.amazonaws.com", "AssociateAccessPolicy"),
        ("guardduty.amazonaws.com", "AcceptAdministratorInvitation"), ("guardduty.amazonaws.com", "InviteMembers"),
        ("securityhub.amazonaws.com", "AcceptAdministratorInvitation"), ("macie2.amazonaws.com", "AcceptInvitation"),
        ("detective.amazonaws.com", "AcceptInvitation"), ("lakeformation.amazonaws.com", "PutDataLakeSettings"),
        ("qbusiness.amazonaws.com", "AssociatePermission"), ("fsx.amazonaws.com", "CreateAndAttachS3AccessPoint"),
        ("apigateway.amazonaws.com", "CreateRestApi"), ("apigateway.amazonaws.com", "UpdateRestApi"),
        ("ec2.amazonaws.com", "ModifyFpgaImageAttribute"),
    } <= calls  # fmt: skip
    index_records(siem, "siem-cloudtrail-gaps2", records)
    rules = load_rules(RULE_DIRS)
    organization = corpus_organizations(ORGANIZATIONS)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-gaps2", len(records), organization) == {}
    fellows = [record for record in grants(records) if names_a_fellow(record)]
    fpga = sum(record["eventName"] == "ModifyFpgaImageAttribute" for record in fellows)
    assert fpga and len(fellows) > fpga
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-gaps2", len(records), NO_ORGANIZATION) == {
        "siem-resource-policy-grants-outside": len(fellows) - fpga,
        "siem-ec2-ami-shared": fpga,
    }


def test_the_same_calls_naming_another_account_alert(siem: OpenSearch) -> None:
    """Every write with its fellow account's id replaced by another's alerts, one each; the
    writes naming only the account's own (the node role, the private API) stay silent."""
    organization = corpus_organizations(ORGANIZATIONS)
    changed = []
    for record in grants(episodes(ACTIVITIES, ORGANIZATIONS)):
        request = json.dumps(record.get("requestParameters") or {})
        for account in organization.accounts - {record["recipientAccountId"]}:
            request = request.replace(account, OUTSIDE)
        changed.append(record | {"requestParameters": json.loads(request)})
    outside = [record for record in changed if names_a_fellow(record)]
    fpga = sum(record["eventName"] == "ModifyFpgaImageAttribute" for record in outside)
    index_records(siem, "siem-cloudtrail-gaps2-outside", changed)
    found = alerts_by_rule(
        siem, load_rules(RULE_DIRS), "siem-cloudtrail-gaps2-outside", len(changed), organization
    )
    assert found == {"siem-resource-policy-grants-outside": len(outside) - fpga, "siem-ec2-ami-shared": fpga}
