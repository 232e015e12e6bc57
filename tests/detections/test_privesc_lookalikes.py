"""The privilege escalation rules (siem-iam-policy-grants-escalation, siem-iam-self-escalation,
siem-passrole-compute-first-use) on their routine look-alikes (demo/benign/privesc.py), too
rare for the corpus slice, measured on their own, and the same calls made the attacker's way."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.rules import load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = ("pipeline-iam-delegation", "operator-read-only-attach", "compute-role-upkeep")
ORGANIZATIONS = 30


def _unbounded(document: str) -> str:
    """The policy without its conditions: IAM writes no longer held to a boundary or a list."""
    policy = json.loads(document)
    for statement in policy["Statement"]:
        statement.pop("Condition", None)
    return json.dumps(policy)


def _attack(record: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The look-alike call made the attacker's way and the rule it alerts in, or None."""
    twin = copy.deepcopy(record)
    twin["eventID"] = f"attack-{record['eventID']}"
    request = twin.get("requestParameters") or {}
    if record["eventName"] in ("PutRolePolicy", "CreatePolicy"):
        request["policyDocument"] = _unbounded(request["policyDocument"])
        return "siem-iam-policy-grants-escalation", twin
    if record["eventName"] == "AttachRolePolicy":
        request["roleName"] = record["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"]
        return "siem-iam-self-escalation", twin
    return None


@pytest.mark.integration
def test_routine_look_alikes_raise_nothing_and_their_attack_twins_alert(siem: OpenSearch) -> None:
    """30 episodes of each activity (one organization each): no enabled rule alerts on them.
    The same policies without their boundary or policy-list condition, and the same
    attachment made by the engineer to their own role, each alert in its rule."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("iam.amazonaws.com", "PutRolePolicy"), ("iam.amazonaws.com", "CreatePolicy"),
        ("iam.amazonaws.com", "AttachRolePolicy"), ("codebuild.amazonaws.com", "StartBuild"),
        ("ec2.amazonaws.com", "ReplaceIamInstanceProfileAssociation"),
    } <= calls  # fmt: skip
    stacks = [r for r in records if r["eventName"] == "PutRolePolicy" and r["userIdentity"].get("invokedBy")]
    assert stacks, "a stack update (CloudFormation) writes a deploy role's policy too"
    organization = corpus_organizations(ORGANIZATIONS)
    rules = [rule for rule in load_rules() if rule.index == "cloudtrail"]

    index_records(siem, "siem-cloudtrail-privesc", records)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-privesc", len(records), organization) == {}

    attacks = [attack for record in records if (attack := _attack(record)) is not None]
    index_records(siem, "siem-cloudtrail-privesc-attacks", [twin for _, twin in attacks])
    expected: dict[str, int] = {}
    for rule_id, _ in attacks:
        expected[rule_id] = expected.get(rule_id, 0) + 1
    assert set(expected) == {"siem-iam-policy-grants-escalation", "siem-iam-self-escalation"}
    mine = [rule for rule in rules if rule.id in expected]
    assert (
        alerts_by_rule(siem, mine, "siem-cloudtrail-privesc-attacks", len(attacks), organization) == expected
    )
