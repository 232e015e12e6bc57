"""The routine look-alikes of the grants read since the third pass (demo/benign/grants3.py),
too rare for the corpus slice, measured on their own with every enabled rule: silent with the
accounts directory; without it only the grant rules alert, on the calls naming a fellow
account; and a request holding a structured add to a fellow account beside a flat remove of
another account's share alerts in neither case."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import NO_ORGANIZATION
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = ("bi-sharing", "data-mesh-environments", "queue-topic-perimeters", "flat-image-shares")
ORGANIZATIONS = 30

pytestmark = pytest.mark.integration


def test_routine_grants_of_the_third_pass_raise_nothing(siem: OpenSearch) -> None:
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("quicksight.amazonaws.com", "UpdateDashboardPermissions"), ("quicksight.amazonaws.com", "UpdateTemplatePermissions"),
        ("datazone.amazonaws.com", "CreateEnvironment"), ("datazone.amazonaws.com", "CreateSubscriptionTarget"),
        ("sqs.amazonaws.com", "SetQueueAttributes"), ("sns.amazonaws.com", "SetTopicAttributes"),
        ("ec2.amazonaws.com", "ModifyImageAttribute"), ("ec2.amazonaws.com", "ModifySnapshotAttribute"),
    } <= calls  # fmt: skip
    index_records(siem, "siem-cloudtrail-grants3", records)
    rules = load_rules(RULE_DIRS)
    assert (
        alerts_by_rule(
            siem, rules, "siem-cloudtrail-grants3", len(records), corpus_organizations(ORGANIZATIONS)
        )
        == {}
    )
    without = alerts_by_rule(siem, rules, "siem-cloudtrail-grants3", len(records), NO_ORGANIZATION)
    assert without.keys() == {
        "siem-resource-policy-grants-outside",
        "siem-ec2-ami-shared",
        "siem-ec2-snapshot-shared",
    }


def test_a_flat_remove_beside_a_structured_add_alerts_in_neither_case(siem: OpenSearch) -> None:
    mixed = [
        record
        for record in episodes(["flat-image-shares"], ORGANIZATIONS)
        if record["eventName"] == "ModifyImageAttribute"
        and "launchPermission" in record["requestParameters"]
        and record["requestParameters"].get("operationType") == "remove"
    ]
    assert mixed
    index_records(siem, "siem-cloudtrail-grants3-mixed", mixed)
    rules = load_rules(RULE_DIRS)
    found = alerts_by_rule(
        siem, rules, "siem-cloudtrail-grants3-mixed", len(mixed), corpus_organizations(ORGANIZATIONS)
    )
    assert found == {}
