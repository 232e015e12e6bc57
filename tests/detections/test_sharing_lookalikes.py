"""The sharing rules' routine look-alikes (demo/benign/sharing.py): runbooks, data lake
grants, replicas, links and endpoint services handed to fellow accounts, too rare for the
corpus slice, measured on their own with every enabled rule, ours and the converted Sigma
rules."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = ("ssm-document-sharing", "data-lake-grants", "platform-links-terraform")
ORGANIZATIONS = 30


@pytest.mark.integration
def test_routine_shares_with_fellow_accounts_raise_nothing(siem: OpenSearch) -> None:
    """30 episodes of each activity (one organization each) hold every look-alike call; with
    the organizations' accounts directories no enabled rule alerts. Without a directory the
    fellow account is another account and every share by account id alerts in its rule; a
    withdrawn share and the package domain pinned to the organization do not."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("ssm.amazonaws.com", "ModifyDocumentPermission"), ("ssm.amazonaws.com", "PutResourcePolicy"),
        ("lakeformation.amazonaws.com", "GrantPermissions"), ("lakeformation.amazonaws.com", "BatchGrantPermissions"),
        ("glue.amazonaws.com", "PutResourcePolicy"), ("elasticfilesystem.amazonaws.com", "CreateReplicationConfiguration"),
        ("oam.amazonaws.com", "CreateLink"),
        ("redshift-serverless.amazonaws.com", "PutResourcePolicy"),
        ("ec2.amazonaws.com", "ModifyVpcEndpointServicePermissions"),
        ("codeartifact.amazonaws.com", "PutDomainPermissionsPolicy"),
        ("dlm.amazonaws.com", "CreateLifecyclePolicy"), ("ses.amazonaws.com", "PutIdentityPolicy"),
        ("acm-pca.amazonaws.com", "PutPolicy"),
    } <= calls  # fmt: skip
    organization = corpus_organizations(ORGANIZATIONS)
    index_records(siem, "siem-cloudtrail-sharing", records)
    rules = load_rules(RULE_DIRS)

    def alerts(inside: Organization) -> dict[str, int]:
        return alerts_by_rule(siem, rules, "siem-cloudtrail-sharing", len(records), inside)

    assert alerts(organization) == {}

    def count(source: str, *names: str) -> int:
        return sum(record["eventSource"] == source and record["eventName"] in names for record in records)

    shares = sum(
        record["eventName"] == "ModifyDocumentPermission" and "accountIdsToAdd" in record["requestParameters"]
        for record in records
    )
    assert 0 < shares < count("ssm.amazonaws.com", "ModifyDocumentPermission")
    assert alerts(NO_ORGANIZATION) == {
        "siem-ssm-document-shared": shares,
        "siem-resource-policy-grants-outside": count("ssm.amazonaws.com", "PutResourcePolicy")
        + count("lakeformation.amazonaws.com", "GrantPermissions", "BatchGrantPermissions")
        + count("glue.amazonaws.com", "PutResourcePolicy")
        + count("redshift-serverless.amazonaws.com", "PutResourcePolicy")
        + count("ses.amazonaws.com", "PutIdentityPolicy")
        + count("acm-pca.amazonaws.com", "PutPolicy"),
        "siem-data-copied-to-other-account": count(
            "elasticfilesystem.amazonaws.com", "CreateReplicationConfiguration"
        )
        + count("dlm.amazonaws.com", "CreateLifecyclePolicy"),
        "siem-logs-delivered-to-other-account": count("oam.amazonaws.com", "CreateLink"),
        "siem-network-joined-to-outside-account": count(
            "ec2.amazonaws.com", "ModifyVpcEndpointServicePermissions"
        ),
    }
