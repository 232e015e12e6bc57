"""The routine look-alikes of the grants read since the resource-policy sweep
(demo/benign/gaps.py), too rare for the corpus slice, measured on their own with every
enabled rule: silent with the accounts directory; the fellow accounts named by id alert
without it; the same policies naming another account alert."""

from __future__ import annotations

import json

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import NO_ORGANIZATION
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = ("data-platform-policies", "image-factory-sharing", "security-account-subscriptions")
ORGANIZATIONS = 30
OUTSIDE = "999988887777"

pytestmark = pytest.mark.integration


def count(records: list[dict], source: str, *names: str) -> int:
    return sum(record["eventSource"] == source and record["eventName"] in names for record in records)


def test_routine_grants_of_the_new_routes_raise_nothing(siem: OpenSearch) -> None:
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("s3tables.amazonaws.com", "PutTableBucketPolicy"), ("sagemaker.amazonaws.com", "PutModelPackageGroupPolicy"),
        ("aoss.amazonaws.com", "CreateAccessPolicy"), ("dynamodb.amazonaws.com", "CreateTable"),
        ("kafka.amazonaws.com", "PutClusterPolicy"), ("vpc-lattice.amazonaws.com", "PutAuthPolicy"),
        ("signer.amazonaws.com", "AddProfilePermission"), ("imagebuilder.amazonaws.com", "PutComponentPolicy"),
        ("imagebuilder.amazonaws.com", "PutImagePolicy"), ("imagebuilder.amazonaws.com", "UpdateDistributionConfiguration"),
        ("config.amazonaws.com", "PutAggregationAuthorization"), ("securitylake.amazonaws.com", "UpdateSubscriber"),
    } <= calls  # fmt: skip
    index_records(siem, "siem-cloudtrail-gaps", records)
    rules = load_rules(RULE_DIRS)
    assert (
        alerts_by_rule(siem, rules, "siem-cloudtrail-gaps", len(records), corpus_organizations(ORGANIZATIONS))
        == {}
    )
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-gaps", len(records), NO_ORGANIZATION) == {
        "siem-resource-policy-grants-outside": count(
            records, "config.amazonaws.com", "PutAggregationAuthorization"
        )
        + count(records, "securitylake.amazonaws.com", "UpdateSubscriber"),
        "siem-data-copied-to-other-account": count(
            records, "imagebuilder.amazonaws.com", "UpdateDistributionConfiguration"
        ),
    }


def test_the_same_policies_naming_another_account_alert(siem: OpenSearch) -> None:
    """The data platform's policies with the account's id replaced by another's (its roles,
    its SAML group, the services' source account) alert, one each; the VPC Lattice policy,
    pinned to the organization by its id, names no account and stays silent."""
    records = [
        record
        for record in episodes(("data-platform-policies",), ORGANIZATIONS)
        if record["readOnly"] is False
    ]
    changed = []
    for record in records:
        request = json.dumps(record.get("requestParameters") or {})
        changed.append(
            record | {"requestParameters": json.loads(request.replace(record["recipientAccountId"], OUTSIDE))}
        )
    platform = [
        record for record in changed if record["eventSource"] not in ("sts.amazonaws.com", "s3.amazonaws.com")
    ]
    index_records(siem, "siem-cloudtrail-gaps-outside", platform)
    found = alerts_by_rule(
        siem, load_rules(RULE_DIRS), "siem-cloudtrail-gaps-outside", len(platform), NO_ORGANIZATION
    )
    assert found == {
        "siem-resource-policy-grants-outside": len(platform)
        - count(platform, "vpc-lattice.amazonaws.com", "PutAuthPolicy")
    }
