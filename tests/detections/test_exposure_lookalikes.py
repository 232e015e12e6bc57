"""The rules on data stores, networks and domains an intruder opens (database password reset
or made public, IMDSv1, networks joined to another account, EC2 guards off, domains taken):
their routine look-alikes (demo/benign/exposure.py), too rare for the corpus slice, measured
on their own with every enabled rule, ours and the converted Sigma rules."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = (
    "database-terraform",
    "managed-password-rotation",
    "ec2-hardening",
    "network-sharing",
    "domain-upkeep",
)
ORGANIZATIONS = 30


@pytest.mark.integration
def test_routine_databases_instances_networks_and_domains_raise_nothing(siem: OpenSearch) -> None:
    """30 episodes of each activity (one organization each) hold every look-alike call; with
    the organizations' accounts directories no enabled rule alerts. Without a directory the
    fellow account is another account: the peerings with it alert, the RAM shares do not
    (the organization's ARN is compared by its id, and RAM itself says the fellow account is
    not external)."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("rds.amazonaws.com", "CreateDBInstance"), ("rds.amazonaws.com", "ModifyDBCluster"),
        ("ec2.amazonaws.com", "ModifyInstanceMetadataOptions"), ("ec2.amazonaws.com", "ModifyInstanceMetadataDefaults"),
        ("ec2.amazonaws.com", "RunInstances"), ("ec2.amazonaws.com", "EnableEbsEncryptionByDefault"),
        ("ec2.amazonaws.com", "EnableSnapshotBlockPublicAccess"), ("ec2.amazonaws.com", "EnableImageBlockPublicAccess"),
        ("ec2.amazonaws.com", "CreateVpcPeeringConnection"), ("ec2.amazonaws.com", "AcceptVpcPeeringConnection"),
        ("ec2.amazonaws.com", "CreateTransitGatewayPeeringAttachment"),
        ("ram.amazonaws.com", "CreateResourceShare"), ("ram.amazonaws.com", "AssociateResourceShare"),
        ("route53domains.amazonaws.com", "EnableDomainTransferLock"),
        ("route53domains.amazonaws.com", "DisableDomainAutoRenew"),
    } <= calls  # fmt: skip
    rotations = [r for r in records if r["userIdentity"].get("invokedBy") == "secretsmanager.amazonaws.com"]
    assert rotations and all("masterUserPassword" in r["requestParameters"] for r in rotations)
    organization = corpus_organizations(ORGANIZATIONS)
    index_records(siem, "siem-cloudtrail-exposure", records)
    rules = load_rules(RULE_DIRS)

    def alerts(inside: Organization) -> dict[str, int]:
        return alerts_by_rule(siem, rules, "siem-cloudtrail-exposure", len(records), inside)

    assert alerts(organization) == {}
    peerings = {
        "CreateVpcPeeringConnection",
        "AcceptVpcPeeringConnection",
        "CreateTransitGatewayPeeringAttachment",
    }
    assert alerts(NO_ORGANIZATION) == {
        "siem-network-joined-to-outside-account": sum(r["eventName"] in peerings for r in records)
    }
