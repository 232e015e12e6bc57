"""Roles trusting the account's OIDC providers, each naming whose tokens (demo/benign/oidc.py),
raise nothing; their attacker's twins, the GitHub trusts' subject widened to ``repo:*`` and the
identity pool's audience dropped, alert in the trust rule of each call."""

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
GITHUB = "token.actions.githubusercontent.com"
RULES = {
    "CreateRole": ("assumeRolePolicyDocument", "siem-iam-role-created-trusting-outside"),
    "UpdateAssumeRolePolicy": ("policyDocument", "siem-iam-role-trust-grants-outside"),
}


def _twin(record: dict[str, Any]) -> dict[str, Any] | None:
    """The trust turned the attacker's way, or None for an EKS cluster's (its issuer is the
    account's own cluster: no twin lets outsiders in)."""
    member = RULES[record["eventName"]][0]
    trust = json.loads(record["requestParameters"][member])
    statement = trust["Statement"][0]
    federated = statement["Principal"]["Federated"]
    if federated.endswith(f"/{GITHUB}"):
        statement["Condition"] = {
            "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB}:sub": "repo:*"},
        }
    elif federated == "cognito-identity.amazonaws.com":
        del statement["Condition"]["StringEquals"]
    else:
        assert ":oidc-provider/oidc.eks." in federated
        return None
    twin = copy.deepcopy(record)
    twin["eventID"] = f"twin-{record['eventID']}"
    twin["requestParameters"][member] = json.dumps(trust)
    return twin


@pytest.mark.integration
def test_oidc_trusts_raise_nothing_and_their_twins_alert(siem: OpenSearch) -> None:
    records = episodes(("oidc-trusts",), ORGANIZATIONS)
    trusts = [record for record in records if record["eventName"] in RULES]
    assert len(trusts) == ORGANIZATIONS
    assert {record["eventName"] for record in trusts} == set(RULES)
    organization = corpus_organizations(ORGANIZATIONS)
    rules = [rule for rule in load_rules() if rule.index == "cloudtrail"]

    index_records(siem, "siem-cloudtrail-oidc", records)
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-oidc", len(records), organization) == {}

    twins = [twin for twin in map(_twin, trusts) if twin is not None]
    assert len(twins) >= ORGANIZATIONS // 2
    index_records(siem, "siem-cloudtrail-oidc-twins", twins)
    expected: dict[str, int] = {}
    for twin in twins:
        rule = RULES[twin["eventName"]][1]
        expected[rule] = expected.get(rule, 0) + 1
    assert alerts_by_rule(siem, rules, "siem-cloudtrail-oidc-twins", len(twins), organization) == expected
