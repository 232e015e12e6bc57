"""Five incidents told as raw AWS records, each with its ground truth written by hand.

Accounts: 111111111111 (workloads), 222222222222 (shared services), 333333333333 (prod).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.investigation import records as r

WORKLOADS, SHARED, PROD = "111111111111", "222222222222", "333333333333"
T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")
CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 botocore/2.4.5"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"


@dataclass
class Scenario:
    finding_id: str
    cloudtrail: list[dict[str, Any]] = field(default_factory=list)
    guardduty: list[dict[str, Any]] = field(default_factory=list)
    securityhub: list[dict[str, Any]] = field(default_factory=list)
    chain: list[dict[str, Any]] = field(default_factory=list)
    """Expected ``who.chain``: arn, type, account_id, access_key_id per identity."""
    actions: list[dict[str, Any]] = field(default_factory=list)
    """Expected ``what.actions``: provider, action, count, errors (most calls first)."""
    related: set[str] = field(default_factory=set)


def t(minutes: float) -> str:
    return r.at(T0, minutes)


def link(arn: str | None, kind: str, account: str | None, key: str | None) -> dict[str, Any]:
    return {"arn": arn, "type": kind, "account_id": account, "access_key_id": key}


def action(provider: str, name: str, count: int, errors: int = 0) -> dict[str, Any]:
    return {"provider": provider, "action": name, "count": count, "errors": errors}


def _call(
    name: str,
    source: str,
    minutes: float,
    identity: dict[str, Any],
    ip: str,
    account: str,
    read_only: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    return r.event(name, source, t(minutes), identity, ip, account, read_only=read_only, **extra)


def stolen_instance_key() -> Scenario:
    """An EC2 instance-profile key, issued by EC2 to i-0abc..., replayed from outside AWS."""
    instance = "i-0abc123def4567890"
    key, other_key = "ASIAWEBAPP0000000001", "ASIAWEBAPP0000000002"
    role_arn = f"arn:aws:iam::{WORKLOADS}:role/web-app-role"
    session = r.role_session(WORKLOADS, "web-app-role", instance, key, "AROAWEBAPP000000001")
    other = r.role_session(WORKLOADS, "web-app-role", "i-0fff000000000000f", other_key, "AROAWEBAPP000000001")
    bob = r.iam_user(WORKLOADS, "bob", "AKIABOB0000000000001", "AIDABOB00000000001")
    ec2 = r.aws_service("ec2.amazonaws.com")
    attacker, inside = "198.51.100.23", "10.0.1.15"
    records = [
        r.assume_role(
            ec2, "ec2.amazonaws.com", t(0), role_arn, instance, key, "AROAWEBAPP000000001", WORKLOADS
        ),
        r.assume_role(
            ec2,
            "ec2.amazonaws.com",
            t(1),
            role_arn,
            "i-0fff000000000000f",
            other_key,
            "AROAWEBAPP000000001",
            WORKLOADS,
        ),
        # The instance itself, from inside the VPC.
        _call(
            "GetObject",
            "s3.amazonaws.com",
            5,
            session,
            inside,
            WORKLOADS,
            request={"bucketName": "web-assets"},
        ),
        _call(
            "GetObject",
            "s3.amazonaws.com",
            6,
            session,
            inside,
            WORKLOADS,
            request={"bucketName": "web-assets"},
        ),
        _call(
            "PutObject",
            "s3.amazonaws.com",
            7,
            session,
            inside,
            WORKLOADS,
            read_only=False,
            request={"bucketName": "web-logs", "key": "app.log"},
        ),
        # The same key, from outside.
        _call(
            "GetCallerIdentity",
            "sts.amazonaws.com",
            30,
            session,
            attacker,
            WORKLOADS,
            agent="python-requests/2.31",
        ),
        _call(
            "ListBuckets", "s3.amazonaws.com", 31, session, attacker, WORKLOADS, agent="python-requests/2.31"
        ),
        *[
            _call(
                "GetObject",
                "s3.amazonaws.com",
                32 + n,
                session,
                attacker,
                WORKLOADS,
                agent="python-requests/2.31",
                request={"bucketName": "customer-exports", "key": f"export-{n}.csv"},
            )
            for n in range(3)
        ],
        *[
            _call(
                "ListUsers",
                "iam.amazonaws.com",
                35 + n / 10,
                session,
                attacker,
                WORKLOADS,
                agent="python-requests/2.31",
                error="AccessDenied",
            )
            for n in range(2)
        ],
        _call(
            "DescribeInstances",
            "ec2.amazonaws.com",
            36,
            session,
            attacker,
            WORKLOADS,
            agent="python-requests/2.31",
        ),
        # Noise: the other instance and a human.
        *[
            _call(
                "GetObject",
                "s3.amazonaws.com",
                10 + n,
                other,
                "10.0.2.9",
                WORKLOADS,
                request={"bucketName": "web-assets"},
            )
            for n in range(4)
        ],
        _call("ListRoles", "iam.amazonaws.com", 20, bob, "192.0.2.10", WORKLOADS),
    ]
    details = {
        "accessKeyId": key,
        "principalId": f"AROAWEBAPP000000001:{instance}",
        "userName": "web-app-role",
        "userType": "AssumedRole",
    }
    main = r.guardduty(
        "11" * 16,
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        WORKLOADS,
        t(30),
        t(36),
        access_key=details,
        action=r.api_call("ListBuckets", "s3.amazonaws.com", attacker),
    )
    same_key = r.guardduty(
        "12" * 16,
        "Discovery:S3/MaliciousIPCaller",
        WORKLOADS,
        t(31),
        t(34),
        severity=5.0,
        access_key=details,
        action=r.api_call("ListBuckets", "s3.amazonaws.com", attacker),
    )
    unrelated = r.guardduty(
        "13" * 16,
        "Recon:IAMUser/MaliciousIPCaller",
        WORKLOADS,
        t(20),
        t(20),
        severity=5.0,
        access_key={
            "accessKeyId": "AKIABOB0000000000001",
            "principalId": "AIDABOB00000000001",
            "userName": "bob",
            "userType": "IAMUser",
        },
        action=r.api_call("ListRoles", "iam.amazonaws.com", "192.0.2.10"),
    )
    return Scenario(
        finding_id=main["id"],
        cloudtrail=records,
        guardduty=[main, same_key, unrelated],
        chain=[
            link(
                f"arn:aws:sts::{WORKLOADS}:assumed-role/web-app-role/{instance}",
                "AssumedRole",
                WORKLOADS,
                key,
            ),
            link(None, "AWSService", None, None),
        ],
        actions=[
            action("s3.amazonaws.com", "GetObject", 5),
            action("iam.amazonaws.com", "ListUsers", 2, 2),
            action("ec2.amazonaws.com", "DescribeInstances", 1),
            action("s3.amazonaws.com", "ListBuckets", 1),
            action("s3.amazonaws.com", "PutObject", 1),
            action("sts.amazonaws.com", "GetCallerIdentity", 1),
        ],
        related={same_key["id"]},
    )


def cross_account_chain() -> Scenario:
    """IAM user alice (111...) -> role A (222...) -> role B (333...), then persistence and evasion."""
    alice_key, key_a, key_b = "AKIAALICE00000000001", "ASIAROLEA00000000001", "ASIAROLEB00000000001"
    alice = r.iam_user(WORKLOADS, "alice", alice_key, "AIDAALICE000000001")
    role_a = r.role_session(SHARED, "RoleA", "alice-a", key_a, "AROAROLEA000000001")
    role_b = r.role_session(PROD, "RoleB", "alice-b", key_b, "AROAROLEB000000001")
    role_a_arn, role_b_arn = f"arn:aws:iam::{SHARED}:role/RoleA", f"arn:aws:iam::{PROD}:role/RoleB"
    ip = "198.51.100.7"
    records = [
        _call("GetCallerIdentity", "sts.amazonaws.com", 0, alice, ip, WORKLOADS),
        # A cross-account AssumeRole is logged by the caller's account and by the role's.
        *[
            r.assume_role(alice, ip, t(1), role_a_arn, "alice-a", key_a, "AROAROLEA000000001", account)
            for account in (WORKLOADS, SHARED)
        ],
        *[
            r.assume_role(role_a, ip, t(3), role_b_arn, "alice-b", key_b, "AROAROLEB000000001", account)
            for account in (SHARED, PROD)
        ],
        _call(
            "CreateUser",
            "iam.amazonaws.com",
            5,
            role_b,
            ip,
            PROD,
            read_only=False,
            request={"userName": "backup-svc"},
        ),
        _call(
            "CreateAccessKey",
            "iam.amazonaws.com",
            6,
            role_b,
            ip,
            PROD,
            read_only=False,
            request={"userName": "backup-svc"},
        ),
        _call(
            "AuthorizeSecurityGroupIngress",
            "ec2.amazonaws.com",
            7,
            role_b,
            ip,
            PROD,
            read_only=False,
            request={
                "groupId": "sg-0prod000000000001",
                "ipPermissions": {
                    "items": [
                        {
                            "ipProtocol": "tcp",
                            "fromPort": 22,
                            "toPort": 22,
                            "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                        }
                    ]
                },
            },
        ),
        _call(
            "StopLogging",
            "cloudtrail.amazonaws.com",
            8,
            role_b,
            ip,
            PROD,
            read_only=False,
            request={"name": f"arn:aws:cloudtrail:us-east-1:{PROD}:trail/org-trail"},
        ),
        _call("ListBuckets", "s3.amazonaws.com", 9, role_b, ip, PROD),
        *[
            _call(
                "GetObject",
                "s3.amazonaws.com",
                10 + n / 10,
                role_b,
                ip,
                PROD,
                request={"bucketName": "prod-db-backups", "key": f"dump-{n}.sql.gz"},
            )
            for n in range(4)
        ],
        _call("ListRoles", "iam.amazonaws.com", 11, role_b, ip, PROD, error="AccessDenied"),
    ]
    details = {
        "accessKeyId": key_b,
        "principalId": "AROAROLEB000000001:alice-b",
        "userName": "RoleB",
        "userType": "AssumedRole",
    }
    main = r.guardduty(
        "21" * 16,
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        PROD,
        t(8),
        t(8),
        severity=5.0,
        access_key=details,
        action=r.api_call("StopLogging", "cloudtrail.amazonaws.com", ip),
    )
    on_alice = r.guardduty(
        "22" * 16,
        "Recon:IAMUser/MaliciousIPCaller.Custom",
        WORKLOADS,
        t(0),
        t(1),
        severity=5.0,
        action=r.api_call("GetCallerIdentity", "sts.amazonaws.com", ip),
        access_key={
            "accessKeyId": alice_key,
            "principalId": "AIDAALICE000000001",
            "userName": "alice",
            "userType": "IAMUser",
        },
    )
    return Scenario(
        finding_id=main["arn"],
        cloudtrail=records,
        guardduty=[main, on_alice],
        chain=[
            link(f"arn:aws:sts::{PROD}:assumed-role/RoleB/alice-b", "AssumedRole", PROD, key_b),
            link(f"arn:aws:sts::{SHARED}:assumed-role/RoleA/alice-a", "AssumedRole", SHARED, key_a),
            link(f"arn:aws:iam::{WORKLOADS}:user/alice", "IAMUser", WORKLOADS, alice_key),
        ],
        actions=[
            action("s3.amazonaws.com", "GetObject", 4),
            action("cloudtrail.amazonaws.com", "StopLogging", 1),
            action("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 1),
            action("iam.amazonaws.com", "CreateAccessKey", 1),
            action("iam.amazonaws.com", "CreateUser", 1),
            action("iam.amazonaws.com", "ListRoles", 1, 1),
            action("s3.amazonaws.com", "ListBuckets", 1),
        ],
        related={on_alice["id"]},
    )


def ip_only() -> Scenario:
    """A port probe from an outside address that also tried the console and the API as carol."""
    outside, instance_ip = "203.0.113.50", "10.0.1.20"
    carol_failed = {
        "type": "IAMUser",
        "principalId": "AIDACAROL00000000001",
        "accountId": WORKLOADS,
        "accessKeyId": "",
        "userName": "carol",
    }
    carol = r.iam_user(WORKLOADS, "carol", "AKIACAROL0000000001", "AIDACAROL00000000001")
    instance = r.role_session(
        WORKLOADS, "web-app-role", "i-0web0000000000001", "ASIAWEBAPP0000000009", "AROAWEBAPP000000001"
    )
    failures = []
    for n in range(2):
        record = _call(
            "ConsoleLogin",
            "signin.amazonaws.com",
            -10 + n,
            carol_failed,
            outside,
            WORKLOADS,
            read_only=False,
            agent=BROWSER,
            response={"ConsoleLogin": "Failure"},
        )
        record.update(
            eventType="AwsConsoleSignIn",
            errorMessage="Failed authentication",
            additionalEventData={"MFAUsed": "No", "MobileVersion": "No"},
        )
        failures.append(record)
    records = [
        *failures,
        _call("GetCallerIdentity", "sts.amazonaws.com", 0, carol, outside, WORKLOADS),
        _call("ListBuckets", "s3.amazonaws.com", 1, carol, outside, WORKLOADS),
        _call("DescribeInstances", "ec2.amazonaws.com", 2, carol, outside, WORKLOADS),
        # The probed instance's own calls, from its private address: not the actor.
        *[
            _call(
                "GetObject",
                "s3.amazonaws.com",
                3 + n,
                instance,
                instance_ip,
                WORKLOADS,
                request={"bucketName": "web-assets"},
            )
            for n in range(3)
        ],
        _call("ListBuckets", "s3.amazonaws.com", 4, carol, "192.0.2.99", WORKLOADS),
    ]
    probe = r.guardduty(
        "31" * 16,
        "Recon:EC2/PortProbeUnprotectedPort",
        WORKLOADS,
        t(0),
        t(5),
        severity=2.0,
        action=r.port_probe(outside, 22),
        instance_id="i-0web0000000000001",
        private_ip=instance_ip,
    )
    return Scenario(
        finding_id=probe["id"],
        cloudtrail=records,
        guardduty=[probe],
        chain=[link(f"arn:aws:iam::{WORKLOADS}:user/carol", "IAMUser", WORKLOADS, "AKIACAROL0000000001")],
        actions=[
            action("signin.amazonaws.com", "ConsoleLogin", 2, 2),
            action("ec2.amazonaws.com", "DescribeInstances", 1),
            action("s3.amazonaws.com", "ListBuckets", 1),
            action("sts.amazonaws.com", "GetCallerIdentity", 1),
        ],
    )


def control_on_resource() -> Scenario:
    """EC2.19 fails on sg-0abc...: who opened it? A NetAdmin session that dave assumed."""
    group, other_group = "sg-0abc0000000000001", "sg-0other000000000001"
    group_arn = f"arn:aws:ec2:us-east-1:{WORKLOADS}:security-group/{group}"
    dave = r.iam_user(WORKLOADS, "dave", "AKIADAVE000000000001", "AIDADAVE0000000001")
    bob = r.iam_user(WORKLOADS, "bob", "AKIABOB0000000000001", "AIDABOB00000000001")
    key = "ASIANETADMIN00000001"
    netadmin = r.role_session(WORKLOADS, "NetAdmin", "dave", key, "AROANETADMIN000001")
    ingress = {
        "groupId": group,
        "ipPermissions": {
            "items": [
                {
                    "ipProtocol": "tcp",
                    "fromPort": 3389,
                    "toPort": 3389,
                    "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                }
            ]
        },
    }
    records = [
        r.assume_role(
            dave,
            "192.0.2.44",
            t(0),
            f"arn:aws:iam::{WORKLOADS}:role/NetAdmin",
            "dave",
            key,
            "AROANETADMIN000001",
            WORKLOADS,
        ),
        _call(
            "AuthorizeSecurityGroupIngress",
            "ec2.amazonaws.com",
            2,
            netadmin,
            "192.0.2.44",
            WORKLOADS,
            read_only=False,
            request=ingress,
        ),
        _call(
            "DescribeSecurityGroups",
            "ec2.amazonaws.com",
            3,
            netadmin,
            "192.0.2.44",
            WORKLOADS,
            request={"groupSet": {"items": [{"groupId": group}]}},
        ),
        _call(
            "AuthorizeSecurityGroupIngress",
            "ec2.amazonaws.com",
            4,
            netadmin,
            "192.0.2.44",
            WORKLOADS,
            read_only=False,
            request={**ingress, "groupId": other_group},
        ),
        _call(
            "DescribeSecurityGroups",
            "ec2.amazonaws.com",
            6,
            bob,
            "192.0.2.10",
            WORKLOADS,
            request={"groupSet": {"items": [{"groupId": group}]}},
        ),
    ]
    control = r.control_finding(
        f"arn:aws:securityhub:us-east-1:{WORKLOADS}:security-control/EC2.19/finding/0f0e0d0c-0001",
        "EC2.19",
        "Security groups should not allow unrestricted access to ports with high risk",
        WORKLOADS,
        t(15),
        "AwsEc2SecurityGroup",
        group_arn,
    )
    sibling = r.control_finding(
        f"arn:aws:securityhub:us-east-1:{WORKLOADS}:security-control/EC2.18/finding/0f0e0d0c-0002",
        "EC2.18",
        "Security groups should only allow unrestricted incoming traffic for authorized ports",
        WORKLOADS,
        t(15),
        "AwsEc2SecurityGroup",
        group_arn,
    )
    elsewhere = r.control_finding(
        f"arn:aws:securityhub:us-east-1:{WORKLOADS}:security-control/S3.8/finding/0f0e0d0c-0003",
        "S3.8",
        "S3 general purpose buckets should block public access",
        WORKLOADS,
        t(15),
        "AwsS3Bucket",
        "arn:aws:s3:::web-assets",
    )
    return Scenario(
        finding_id=control["Id"],
        cloudtrail=records,
        securityhub=[control, sibling, elsewhere],
        chain=[
            link(f"arn:aws:sts::{WORKLOADS}:assumed-role/NetAdmin/dave", "AssumedRole", WORKLOADS, key),
            link(f"arn:aws:iam::{WORKLOADS}:user/dave", "IAMUser", WORKLOADS, "AKIADAVE000000000001"),
        ],
        actions=[
            action("ec2.amazonaws.com", "DescribeSecurityGroups", 2),
            action("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 1),
        ],
        related={sibling["Id"]},
    )


def quiet_actor() -> Scenario:
    """A finding on erin's key; erin's CloudTrail is five hours later, outside a 2 h window."""
    key = "AKIAERIN000000000001"
    erin = r.iam_user(WORKLOADS, "erin", key, "AIDAERIN0000000001")
    bob = r.iam_user(WORKLOADS, "bob", "AKIABOB0000000000001", "AIDABOB00000000001")
    records = [
        _call("ListBuckets", "s3.amazonaws.com", 5 * 60, erin, "198.51.100.80", WORKLOADS),
        _call(
            "GetObject",
            "s3.amazonaws.com",
            5 * 60 + 1,
            erin,
            "198.51.100.80",
            WORKLOADS,
            request={"bucketName": "web-assets"},
        ),
        _call("ListRoles", "iam.amazonaws.com", 2, bob, "192.0.2.10", WORKLOADS),
    ]
    finding = r.guardduty(
        "51" * 16,
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        WORKLOADS,
        t(0),
        t(5),
        access_key={
            "accessKeyId": key,
            "principalId": "AIDAERIN0000000001",
            "userName": "erin",
            "userType": "IAMUser",
        },
        action=r.api_call("ListBuckets", "s3.amazonaws.com", "198.51.100.80"),
    )
    return Scenario(
        finding_id=finding["id"],
        cloudtrail=records,
        guardduty=[finding],
        chain=[link(None, "IAMUser", WORKLOADS, key)],
        actions=[],
    )
