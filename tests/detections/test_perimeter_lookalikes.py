"""Data perimeter policies (demo/benign/perimeter.py) raise nothing; their attacker's twins,
whose ``Deny`` no longer refuses every caller outside, alert in the grant rule of each call:
the bucket's ``Deny`` narrowed to ``s3:PutObject`` (reads stay open), the key's lifted for
callers over TLS (``Bool aws:SecureTransport false`` ANDed in), the queue's naming another
organization or account, the deploy role's naming no owner (``repo:*``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from demo.benign.org import ORG_ID
from detections.false_positives import index_records
from detections.principals import Organization
from detections.rules import load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ORGANIZATIONS = 30
GITHUB = "token.actions.githubusercontent.com"
RULES = {
    "PutBucketPolicy": "siem-s3-bucket-policy-grants-outside",
    "PutKeyPolicy": "siem-resource-policy-grants-outside",
    "SetQueueAttributes": "siem-resource-policy-grants-outside",
    "UpdateAssumeRolePolicy": "siem-iam-role-trust-grants-outside",
}


def _policy(record: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The record's request parameters holding the policy, and the member's name."""
    parameters = record["requestParameters"]
    name = record["eventName"]
    if name == "PutBucketPolicy":
        return parameters, "bucketPolicy"
    if name == "SetQueueAttributes":
        return parameters["attributes"], "Policy"
    return parameters, "policy" if name == "PutKeyPolicy" else "policyDocument"


def _twin(record: dict[str, Any]) -> dict[str, Any]:
    twin = copy.deepcopy(record)
    twin["eventID"] = f"twin-{record['eventID']}"
    holder, member = _policy(twin)
    text = isinstance(holder[member], str)
    policy = json.loads(holder[member]) if text else holder[member]
    (deny,) = [statement for statement in policy["Statement"] if statement["Effect"] == "Deny"]
    name = record["eventName"]
    if name == "PutBucketPolicy":
        deny["Action"] = "s3:PutObject"
    elif name == "PutKeyPolicy":
        deny["Condition"]["Bool"] = {"aws:SecureTransport": "false"}
    elif name == "SetQueueAttributes":
        for block in deny["Condition"].values():
            if "aws:PrincipalOrgID" in block:
                block["aws:PrincipalOrgID"] = "o-zzzzzzzzzz"
            if "aws:PrincipalAccount" in block:
                block["aws:PrincipalAccount"] = [block["aws:PrincipalAccount"], "999988887777"]
    else:
        deny["Condition"]["StringNotLike"][f"{GITHUB}:sub"] = "repo:*"
    holder[member] = json.dumps(policy) if text else policy
    return twin


@pytest.mark.integration
def test_data_perimeters_raise_nothing_and_their_twins_alert(siem: OpenSearch) -> None:
    records = episodes(("data-perimeter-policies",), ORGANIZATIONS)
    policies = [record for record in records if record["eventName"] in RULES]
    assert len(policies) == ORGANIZATIONS
    assert {record["eventName"] for record in policies} == set(RULES)
    organization = Organization(corpus_organizations(ORGANIZATIONS).accounts, ORG_ID)
    rules = [rule for rule in load_rules() if rule.index == "cloudtrail"]

    index_records(siem, "siem-cloudtrail-perimeter", records)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-perimeter", len(records), organization) == {}

    twins = [_twin(record) for record in policies]
    index_records(siem, "siem-cloudtrail-perimeter-twins", twins)
    expected: dict[str, int] = {}
    for twin in twins:
        expected[RULES[twin["eventName"]]] = expected.get(RULES[twin["eventName"]], 0) + 1
    assert (
        alerts_by_rule(siem, rules, "siem-cloudtrail-perimeter-twins", len(twins), organization) == expected
    )
