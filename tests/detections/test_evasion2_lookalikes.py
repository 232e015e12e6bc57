"""Services acting for the account's own resources, a sign-in role held to its audience and
CodeBuild upkeep (demo/benign/evasion2.py) raise nothing; their attacker's twins, the same
grants naming another account's resource or no audience, alert in the grant rules."""

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

ORGANIZATIONS = 30
OUTSIDE = "999988887777"
"""An account of no organization in the corpus."""
GRANTS = {
    "PutBucketPolicy": "siem-s3-bucket-policy-grants-outside",
    "SetQueueAttributes": "siem-resource-policy-grants-outside",
    "AddPermission20150331v2": "siem-lambda-permission-grants-outside",
    "UpdateAssumeRolePolicy": "siem-iam-role-trust-grants-outside",
}


def _twin(record: dict[str, Any]) -> dict[str, Any]:
    """The grant turned the attacker's way: the source resource another account's, or the
    sign-in role's audience condition dropped."""
    twin = copy.deepcopy(record)
    twin["eventID"] = f"twin-{record['eventID']}"
    account = record["recipientAccountId"]
    if record["eventName"] == "UpdateAssumeRolePolicy":
        trust = json.loads(twin["requestParameters"]["policyDocument"])
        del trust["Statement"][0]["Condition"]
        twin["requestParameters"]["policyDocument"] = json.dumps(trust)
        return twin
    text = json.dumps(twin["requestParameters"])
    source = text.replace(f":{account}:distribution", f":{OUTSIDE}:distribution")
    if record["eventName"] == "SetQueueAttributes":
        source = source.replace(
            f"sns:{record['awsRegion']}:{account}", f"sns:{record['awsRegion']}:{OUTSIDE}"
        )
    if record["eventName"] == "AddPermission20150331v2":
        source = source.replace(f'"sourceAccount": "{account}"', f'"sourceAccount": "{OUTSIDE}"')
    twin["requestParameters"] = json.loads(source)
    assert twin["requestParameters"] != record["requestParameters"]
    return twin


@pytest.mark.integration
def test_own_service_grants_and_codebuild_upkeep_raise_nothing_and_grant_twins_alert(
    siem: OpenSearch,
) -> None:
    records = episodes(("own-service-grants", "codebuild-upkeep"), ORGANIZATIONS)
    grants = [record for record in records if record["eventName"] in GRANTS]
    builds = [record for record in records if record["eventSource"] == "codebuild.amazonaws.com"]
    assert len(grants) == len(builds) == ORGANIZATIONS
    assert {record["eventName"] for record in grants} == set(GRANTS)
    organization = corpus_organizations(ORGANIZATIONS)
    rules = [rule for rule in load_rules() if rule.index == "cloudtrail"]

    index_records(siem, "siem-cloudtrail-evasion2", records)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-evasion2", len(records), organization) == {}

    twins = [_twin(record) for record in grants]
    index_records(siem, "siem-cloudtrail-evasion2-twins", twins)
    expected: dict[str, int] = {}
    for record in grants:
        expected[GRANTS[record["eventName"]]] = expected.get(GRANTS[record["eventName"]], 0) + 1
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-evasion2-twins", len(twins), organization) == expected
