"""The routine look-alikes of the grant and key rules (demo/benign/grantrules.py), too rare for
the 5,000-record slice of tests/detections/test_false_positives.py, measured on their own:
30 episodes of each activity hold every look-alike call, and the rules raise nothing; the
same calls granting another account do alert (the look-alikes are the rules' calls)."""

from __future__ import annotations

import json

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records, load_budgets, measure
from tests.detections.conftest import our_rule

pytestmark = pytest.mark.integration

ACTIVITY_NAMES = ("policy-stack", "key-teardown", "bucket-replication")
RULES = (
    "siem-resource-policy-grants-outside",
    "siem-kms-key-disabled-or-deletion-scheduled",
    "siem-s3-data-delivered-to-other-account",
)
OUTSIDE = "999988887777"


def lookalikes() -> list[dict]:
    return episodes(ACTIVITY_NAMES)


def alerts(siem: OpenSearch, index: str, records: list[dict]) -> dict[str, int]:
    index_records(siem, index, records)
    rules = [our_rule(rule_id) for rule_id in RULES]
    report = measure(siem, rules, index, len(records), budgets=load_budgets())
    return {result.rule_id: result.alerts for result in report.results if result.alerts or result.error}


def test_routine_policies_keys_and_replication_raise_nothing(siem: OpenSearch) -> None:
    records = lookalikes()
    calls = {record["eventName"] for record in records}
    assert {
        "CreateKey", "PutKeyPolicy", "CreateGrant", "SetQueueAttributes", "SetTopicAttributes",
        "SetRepositoryPolicy", "PutResourcePolicy", "AddLayerVersionPermission20181031", "PutPermission",
        "ScheduleKeyDeletion", "PutBucketReplication", "PutBucketInventoryConfiguration",
    } <= calls  # fmt: skip
    assert alerts(siem, "siem-cloudtrail-grant-lookalikes", records) == {}


def test_the_same_calls_naming_another_account_alert(siem: OpenSearch) -> None:
    """Each look-alike's own account replaced by another in what it grants (the policies, the
    grantee, the replication and inventory destinations), and the key deletion made by hand:
    the rules see them, so the silence above is the comparison's, not the query's."""
    records = lookalikes()
    changed: list[dict] = []
    for record in records:
        if record["eventName"] in ("AssumeRole", "GetCallerIdentity", "GetObject", "PutObject"):
            continue
        account = record["recipientAccountId"]
        request = json.dumps(record.get("requestParameters") or {})
        if record["eventName"] == "ScheduleKeyDeletion":
            identity = {k: v for k, v in record["userIdentity"].items() if k != "invokedBy"}
            changed.append(record | {"userIdentity": identity, "sourceIPAddress": "203.0.113.9"})
        elif account in request and record["eventName"] not in (
            "PutPermission",
            "AddLayerVersionPermission20181031",
        ):
            changed.append(record | {"requestParameters": json.loads(request.replace(account, OUTSIDE))})
    found = alerts(siem, "siem-cloudtrail-grant-outside", changed)
    assert set(found) == set(RULES), found
    assert found["siem-resource-policy-grants-outside"] >= 20
