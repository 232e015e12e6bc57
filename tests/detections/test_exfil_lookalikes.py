"""The rules on data and networks moved to another account (backup copies, exports,
replication, transit gateway peerings, RAM shares, the EBS default key): their routine
look-alikes (demo/benign/exfil.py), too rare for the corpus slice, measured on their own with
every enabled rule, ours and the converted Sigma rules."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.false_positives import index_records
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import RULE_DIRS, load_rules
from tests.detections.conftest import alerts_by_rule, corpus_organizations

ACTIVITIES = ("central-backup-copies", "data-exports", "image-archive", "network-and-keys-terraform")
ORGANIZATIONS = 30


@pytest.mark.integration
def test_routine_copies_exports_peerings_and_keys_raise_nothing(siem: OpenSearch) -> None:
    """30 episodes of each activity (one organization each) hold every look-alike call; with
    the organizations' accounts directories no enabled rule alerts. Without a directory the
    fellow account is another account: the copies to the central vault, the replication to
    the shared registry, the accepted peering and the shared services key alert; the exports
    to the account's own buckets and the renamed RAM share do not."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("backup.amazonaws.com", "CreateBackupPlan"), ("backup.amazonaws.com", "UpdateBackupPlan"),
        ("ecr.amazonaws.com", "PutReplicationConfiguration"),
        ("dynamodb.amazonaws.com", "ExportTableToPointInTime"), ("rds.amazonaws.com", "StartExportTask"),
        ("ec2.amazonaws.com", "CreateStoreImageTask"), ("ec2.amazonaws.com", "ExportImage"),
        ("ec2.amazonaws.com", "AcceptTransitGatewayPeeringAttachment"),
        ("ram.amazonaws.com", "UpdateResourceShare"), ("ec2.amazonaws.com", "ModifyEbsDefaultKmsKeyId"),
    } <= calls  # fmt: skip
    organization = corpus_organizations(ORGANIZATIONS)
    index_records(siem, "siem-cloudtrail-exfil", records)
    rules = load_rules(RULE_DIRS)

    def alerts(inside: Organization) -> dict[str, int]:
        return alerts_by_rule(siem, rules, "siem-cloudtrail-exfil", len(records), inside)

    assert alerts(organization) == {}

    def count(*names: str) -> int:
        return sum(record["eventName"] in names for record in records)

    own_key = [
        record
        for record in records
        if record["eventName"] == "ModifyEbsDefaultKmsKeyId"
        and record["requestParameters"]["ModifyEbsDefaultKmsKeyIdRequest"]["KmsKeyId"].startswith("alias/")
    ]
    assert 0 < len(own_key) < count("ModifyEbsDefaultKmsKeyId")
    assert alerts(NO_ORGANIZATION) == {
        "siem-data-copied-to-other-account": count(
            "CreateBackupPlan", "UpdateBackupPlan", "PutReplicationConfiguration"
        ),
        "siem-network-joined-to-outside-account": count("AcceptTransitGatewayPeeringAttachment"),
        "siem-ebs-default-key-outside-account": count("ModifyEbsDefaultKmsKeyId") - len(own_key),
    }
