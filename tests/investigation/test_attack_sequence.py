"""Investigating a GuardDuty attack sequence (docs/investigate.md, "What is investigated"): every
credential its actors name is followed to its origin (role chains and cross-account hops
included) within the search budget, and the findings its signals stand for are related
findings even when they share no key with it.

The sequence's shape is botocore's GuardDuty ``Sequence``; the ground truth is written by hand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from investigation import MAX_QUERIES, investigate, render
from tests.investigation.conftest import Siem
from tests.investigation.scenarios import PROD, SHARED, T0, WORKLOADS, t

pytestmark = pytest.mark.integration

ALICE_KEY, KEY_A, KEY_B, INSTANCE_KEY = (
    "AKIAALICE00000000001",
    "ASIAROLEA00000000001",
    "ASIAROLEB00000000001",
    "ASIAWEBAPP0000000001",
)
INSTANCE = "i-0abc123def4567890"
OUTSIDE = "198.51.100.7"
SEQUENCE_ID, TOR_ID, ALICE_FINDING_ID, UNRELATED_ID = "51" * 16, "52" * 16, "53" * 16, "54" * 16


def _finding(finding_id: str, finding_type: str, account: str, **spec: Any) -> dict[str, Any]:
    when = T0 + timedelta(minutes=20)
    return gd.finding(
        gd.FindingSpec(
            type=finding_type,
            account=account,
            id=finding_id,
            created=when,
            first_seen=T0,
            last_seen=when,
            **spec,
        )
    )


def _actor(
    actor_id: str, name: str, uid: str, kind: str, key: str, account: str, issuer: str | None
) -> dict[str, Any]:
    session: dict[str, Any] = {"mfaStatus": "DISABLED"}
    if issuer:
        session["issuer"] = issuer
    return {
        "id": actor_id,
        "user": {"name": name, "uid": uid, "type": kind, "credentialUid": key, "account": {"uid": account}},
        "session": session,
    }


def _incident(siem: Siem) -> dict[str, Any]:
    """alice (workloads) -> RoleA (shared) -> RoleB (prod) reads backups; EC2's instance
    session of web-app-role is used from outside; GuardDuty correlates both in one sequence."""
    alice = ct.iam_user(WORKLOADS, "alice", "AIDAALICE000000001", ALICE_KEY)
    issued_a = ct.role_session(SHARED, "RoleA", "alice-a", KEY_A, "AROAROLEA000000001", created=T0)
    issued_b = ct.role_session(PROD, "RoleB", "alice-b", KEY_B, "AROAROLEB000000001", created=T0)
    instance = ct.role_session(
        WORKLOADS, "web-app-role", INSTANCE, INSTANCE_KEY, "AROAWEBAPP000000001", created=T0
    )
    role_a, role_b, web = ct.assumed_role(issued_a), ct.assumed_role(issued_b), ct.assumed_role(instance)
    records = [
        ct.assume_role(ct.aws_service("ec2.amazonaws.com"), instance, recorded_by=WORKLOADS, time=t(0)),
        *[
            ct.assume_role(alice, issued_a, recorded_by=a, time=t(1), source_ip=OUTSIDE)
            for a in (WORKLOADS, SHARED)
        ],
        *[
            ct.assume_role(role_a, issued_b, recorded_by=a, time=t(2), source_ip=OUTSIDE)
            for a in (SHARED, PROD)
        ],
        *[
            ct.api_call(
                role_b,
                event_name="GetObject",
                event_source="s3.amazonaws.com",
                time=t(5 + n),
                source_ip=OUTSIDE,
                recipient_account=PROD,
                request={"bucketName": "prod-db-backups", "key": f"dump-{n}.sql.gz"},
            )
            for n in range(3)
        ],
        ct.api_call(
            web, event_name="ListBuckets", event_source="s3.amazonaws.com", time=t(10), source_ip=OUTSIDE
        ),
    ]
    siem.cloudtrail(records)
    tor = _finding(
        TOR_ID,
        "UnauthorizedAccess:EC2/TorClient",
        WORKLOADS,
        resource=gd.instance_resource(gd.Instance(instance_id="i-0fff000000000000f")),
        action=gd.network_connection_action("198.51.100.99"),
    )
    on_alice = _finding(
        ALICE_FINDING_ID,
        "Discovery:IAMUser/AnomalousBehavior",
        WORKLOADS,
        resource=gd.access_key_resource(ALICE_KEY, "AIDAALICE000000001", "alice", "IAMUser"),
        action=gd.api_call_action("AssumeRole", "sts.amazonaws.com", "192.0.2.200"),
    )
    unrelated = _finding(
        UNRELATED_ID,
        "Recon:IAMUser/MaliciousIPCaller",
        WORKLOADS,
        resource=gd.access_key_resource("AKIAOTHER00000000001", "AIDAOTHER000000001", "dave", "IAMUser"),
        action=gd.api_call_action("ListUsers", "iam.amazonaws.com", "192.0.2.201"),
    )
    sequence = {
        "uid": "seq-1",
        "description": "A sequence of actions indicating a possible data compromise.",
        "actors": [
            _actor(
                "a-b",
                "alice-b",
                "AROAROLEB000000001:alice-b",
                "AssumedRole",
                KEY_B,
                PROD,
                f"arn:aws:iam::{PROD}:role/RoleB",
            ),
            _actor(
                "a-web",
                INSTANCE,
                f"AROAWEBAPP000000001:{INSTANCE}",
                "AssumedRole",
                INSTANCE_KEY,
                WORKLOADS,
                f"arn:aws:iam::{WORKLOADS}:role/web-app-role",
            ),
            _actor("a-alice", "alice", "AIDAALICE000000001", "IAMUser", ALICE_KEY, WORKLOADS, None),
        ],
        "endpoints": [{"id": OUTSIDE, "ip": OUTSIDE}],
        "signals": [
            {"uid": tor["arn"], "type": "FINDING", "name": tor["type"], "description": "Tor", "count": 4},
            {
                "uid": ALICE_FINDING_ID,
                "type": "FINDING",
                "name": on_alice["type"],
                "description": "Discovery",
            },
            {
                "uid": "api-1",
                "type": "S3_DATA_EVENTS",
                "name": "GetObject",
                "description": "Bulk reads",
                "count": 3,
            },
        ],
    }
    main = _finding(
        SEQUENCE_ID,
        "AttackSequence:S3/CompromisedData",
        WORKLOADS,
        severity=9.5,
        resource={"resourceType": "AttackSequence"},
        action=None,
        extra_service={"featureName": "Correlation", "detection": {"sequence": sequence}},
    )
    siem.guardduty([main, tor, on_alice, unrelated])
    return main


def test_every_credential_of_a_sequence_is_followed_to_its_origin(siem: Siem) -> None:
    main = _incident(siem)
    siem.recorder.requests.clear()
    report = investigate(siem.client, SEQUENCE_ID)

    assert report.finding.mode == "credential"
    assert report.queries <= MAX_QUERIES
    assert len(siem.recorder.searches()) == report.queries
    origins = {identity.key: (identity.link.arn, identity.origin) for identity in report.who.identities}
    assert origins == {
        KEY_B: (f"arn:aws:sts::{PROD}:assumed-role/RoleB/alice-b", f"arn:aws:iam::{WORKLOADS}:user/alice"),
        INSTANCE_KEY: (
            f"arn:aws:sts::{WORKLOADS}:assumed-role/web-app-role/{INSTANCE}",
            "AWS service ec2.amazonaws.com",
        ),
        ALICE_KEY: (f"arn:aws:iam::{WORKLOADS}:user/alice", None),  # her own long-term key
    }
    events = {identity.key: identity.events for identity in report.who.identities}
    # alice's AssumeRole: the role's account logs the caller as AWSAccount, without her key
    assert events == {KEY_B: 3, INSTANCE_KEY: 1, ALICE_KEY: 1}
    # The first actor's chain is the report's chain: two hops, two accounts, to alice.
    assert [link.access_key_id for link in report.who.chain] == [KEY_B, KEY_A, ALICE_KEY]
    assert report.who.complete
    assert "names 3 credentials" in report.who.summary
    assert {related.id for related in report.related_findings} == {TOR_ID, ALICE_FINDING_ID}
    tor = next(related for related in report.related_findings if related.id == TOR_ID)
    assert tor.shared == (main["arn"].replace(SEQUENCE_ID, TOR_ID),)  # only the signal links it
    text = render(report, "text")
    assert "Credentials the attack sequence names" in text and "AWS service ec2.amazonaws.com" in text


def test_the_security_hub_import_of_a_sequence_is_followed_the_same_way(siem: Siem) -> None:
    native = _incident(siem)
    imported = sh.from_guardduty(native)
    imported["Detection"] = {
        "Sequence": {
            "Uid": "seq-1",
            "Actors": [
                {
                    "Id": "a-b",
                    "User": {
                        "Name": "alice-b",
                        "Uid": "AROAROLEB000000001:alice-b",
                        "Type": "AssumedRole",
                        "CredentialUid": KEY_B,
                    },
                    "Session": {"Issuer": f"arn:aws:iam::{PROD}:role/RoleB"},
                }
            ],
            "Signals": [
                {"Type": "FINDING", "Id": native["arn"].replace(SEQUENCE_ID, TOR_ID), "Title": "Tor"}
            ],
        }
    }
    imported["Id"] = "arn:aws:securityhub:us-east-1:111111111111:finding/imported-sequence"
    siem.securityhub([imported])
    report = investigate(siem.client, imported["Id"])
    assert report.finding.source == "securityhub"
    assert report.queries <= MAX_QUERIES
    assert [link.access_key_id for link in report.who.chain] == [KEY_B, KEY_A, ALICE_KEY]
    assert TOR_ID in {related.id for related in report.related_findings}
