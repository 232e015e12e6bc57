"""Policies in the spellings IAM matches but our rules used to miss: the routine module policy
(demo/benign/evasion.py) raises nothing, and its attacker's twins, the same spellings on every
role or bounded by every policy, alert in siem-iam-policy-grants-escalation."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.rules import load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ORGANIZATIONS = 30


def _twins(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The module policy widened the attacker's way, in the spellings the old code missed: its
    roles' ARN pattern on every role (``arn:aws:iam:*:<account>:role/*``), or its boundary
    naming every policy (``arn:aws:iam:*:*:policy/*``)."""
    twins = []
    for variant in ("roles", "boundary"):
        twin = copy.deepcopy(record)
        twin["eventID"] = f"{variant}-{record['eventID']}"
        policy = json.loads(twin["requestParameters"]["policyDocument"])
        for statement in policy["Statement"]:
            if variant == "roles" and statement["Sid"] == "OwnRoles":
                statement["Resource"] = [re.sub(r"role/.*", "role/*", arn) for arn in statement["Resource"]]
            if variant == "boundary" and "Condition" in statement:
                statement["Condition"] = {"ArnLike": {"iam:PermissionsBoundary": "arn:aws:iam:*:*:policy/*"}}
        twin["requestParameters"]["policyDocument"] = json.dumps(policy, indent=2)
        twins.append(twin)
    return twins


@pytest.mark.integration
def test_module_policies_raise_nothing_and_their_widened_twins_alert(siem: OpenSearch) -> None:
    records = episodes(("iam-module-policies",), ORGANIZATIONS)
    writes = [record for record in records if record["eventName"] == "PutRolePolicy"]
    assert len(writes) == ORGANIZATIONS
    organization = corpus_organizations(ORGANIZATIONS)
    rules = [rule for rule in load_rules() if rule.index == "cloudtrail"]

    index_records(siem, "siem-cloudtrail-evasion", records)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-evasion", len(records), organization) == {}

    twins = [twin for record in writes for twin in _twins(record)]
    index_records(siem, "siem-cloudtrail-evasion-twins", twins)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-evasion-twins", len(twins), organization) == {
        "siem-iam-policy-grants-escalation": len(twins)
    }
