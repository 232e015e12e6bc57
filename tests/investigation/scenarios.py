"""Five incidents told as raw AWS records, each with its ground truth written by hand.

Accounts: 111111111111 (workloads), 222222222222 (shared services), 333333333333 (prod).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from demo.ids import iso
from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from demo.records import securityhub as sh

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
    return iso(T0 + timedelta(minutes=minutes))


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
    error: str | None = None,
    agent: str = CLI,
    **extra: Any,
) -> dict[str, Any]:
    return ct.api_call(
        identity,
        event_name=name,
        event_source=source,
        time=t(minutes),
        source_ip=ip,
        user_agent=agent,
        recipient_account=account,
        read_only=read_only,
        error_code=error,
        error_message=f"User is not authorized to perform {source.split('.')[0]}:{name}" if error else None,
        **extra,
    )


def _finding(
    finding_id: str,
    finding_type: str,
    account: str,
    first_seen: float,
    last_seen: float,
    *,
    resource: dict[str, Any],
    action: dict[str, Any],
    severity: float = 8.0,
) -> dict[str, Any]:
    """A GuardDuty finding (export shape) created at ``first_seen``, updated at ``last_seen``."""
    first, last = T0 + timedelta(minutes=first_seen), T0 + timedelta(minutes=last_seen)
    spec = gd.FindingSpec(
        type=finding_type,
        severity=severity,
        account=account,
        id=finding_id,
        created=first,
        updated=last,
        first_seen=first,
        last_seen=last,
        resource=resource,
        action=action,
        count=3,
    )
    return gd.finding(spec)


def _control(control: str, title: str, uuid: str, resource: dict[str, Any]) -> dict[str, Any]:
    """A failed control on ``resource`` in the workloads account, evaluated at 09:15."""
    when = T0 + timedelta(minutes=15)
    spec = sh.ControlSpec(
        control, title, title, "FAILED", "HIGH", WORKLOADS, "us-east-1", resource, when, when, uuid
    )
    return sh.control_finding(spec)


def _session(account: str, role: str, session: str, key: str, role_id: str) -> ct.RoleSession:
    return ct.role_session(account, role, session, key, role_id, created=T0)


def stolen_instance_key() -> Scenario:
    """An EC2 instance-profile key, issued by EC2 to i-0abc..., replayed from outside AWS."""
    instance = "i-0abc123def4567890"
    key, other_key = "ASIAWEBAPP0000000001", "ASIAWEBAPP0000000002"
    issued = _session(WORKLOADS, "web-app-role", instance, key, "AROAWEBAPP000000001")
    other_issued = _session(
        WORKLOADS, "web-app-role", "i-0fff000000000000f", other_key, "AROAWEBAPP000000001"
    )
    session, other = ct.assumed_role(issued), ct.assumed_role(other_issued)
    bob = ct.iam_user(WORKLOADS, "bob", "AIDABOB00000000001", "AKIABOB0000000000001")
    ec2 = ct.aws_service("ec2.amazonaws.com")
    attacker, inside = "198.51.100.23", "10.0.1.15"
    records = [
        ct.assume_role(ec2, issued, recorded_by=WORKLOADS, time=t(0)),
        ct.assume_role(ec2, other_issued, recorded_by=WORKLOADS, time=t(1)),
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
    details = gd.access_key_resource(key, f"AROAWEBAPP000000001:{instance}", "web-app-role", "AssumedRole")
    main = _finding(
        "11" * 16,
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        WORKLOADS,
        30,
        36,
        resource=details,
        action=gd.api_call_action("ListBuckets", "s3.amazonaws.com", attacker),
    )
    same_key = _finding(
        "12" * 16,
        "Discovery:S3/MaliciousIPCaller",
        WORKLOADS,
        31,
        34,
        severity=5.0,
        resource=details,
        action=gd.api_call_action("ListBuckets", "s3.amazonaws.com", attacker),
    )
    unrelated = _finding(
        "13" * 16,
        "Recon:IAMUser/MaliciousIPCaller",
        WORKLOADS,
        20,
        20,
        severity=5.0,
        resource=gd.access_key_resource("AKIABOB0000000000001", "AIDABOB00000000001", "bob", "IAMUser"),
        action=gd.api_call_action("ListRoles", "iam.amazonaws.com", "192.0.2.10"),
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
    alice = ct.iam_user(WORKLOADS, "alice", "AIDAALICE000000001", alice_key)
    issued_a = _session(SHARED, "RoleA", "alice-a", key_a, "AROAROLEA000000001")
    issued_b = _session(PROD, "RoleB", "alice-b", key_b, "AROAROLEB000000001")
    role_a, role_b = ct.assumed_role(issued_a), ct.assumed_role(issued_b)
    ip = "198.51.100.7"
    records = [
        _call("GetCallerIdentity", "sts.amazonaws.com", 0, alice, ip, WORKLOADS),
        # A cross-account AssumeRole is logged by the caller's account and by the role's.
        *[
            ct.assume_role(alice, issued_a, recorded_by=account, time=t(1), source_ip=ip)
            for account in (WORKLOADS, SHARED)
        ],
        *[
            ct.assume_role(role_a, issued_b, recorded_by=account, time=t(3), source_ip=ip)
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
    details = gd.access_key_resource(key_b, "AROAROLEB000000001:alice-b", "RoleB", "AssumedRole")
    main = _finding(
        "21" * 16,
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        PROD,
        8,
        8,
        severity=5.0,
        resource=details,
        action=gd.api_call_action("StopLogging", "cloudtrail.amazonaws.com", ip),
    )
    on_alice = _finding(
        "22" * 16,
        "Recon:IAMUser/MaliciousIPCaller.Custom",
        WORKLOADS,
        0,
        1,
        severity=5.0,
        action=gd.api_call_action("GetCallerIdentity", "sts.amazonaws.com", ip),
        resource=gd.access_key_resource(alice_key, "AIDAALICE000000001", "alice", "IAMUser"),
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
    carol_failed = ct.iam_user_failed_sign_in(WORKLOADS, "carol", "AIDACAROL00000000001")
    carol = ct.iam_user(WORKLOADS, "carol", "AIDACAROL00000000001", "AKIACAROL0000000001")
    instance = ct.assumed_role(
        _session(
            WORKLOADS, "web-app-role", "i-0web0000000000001", "ASIAWEBAPP0000000009", "AROAWEBAPP000000001"
        )
    )
    failures = [
        ct.console_login(
            carol_failed,
            time=t(-10 + n),
            source_ip=outside,
            success=False,
            login_to=None,
            user_agent=BROWSER,
        )
        for n in range(2)
    ]
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
    probe = _finding(
        "31" * 16,
        "Recon:EC2/PortProbeUnprotectedPort",
        WORKLOADS,
        0,
        5,
        severity=2.0,
        action=gd.port_probe_action(outside, instance_ip, (22,)),
        resource=gd.instance_resource(gd.Instance("i-0web0000000000001", instance_ip)),
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
    dave = ct.iam_user(WORKLOADS, "dave", "AIDADAVE0000000001", "AKIADAVE000000000001")
    bob = ct.iam_user(WORKLOADS, "bob", "AIDABOB00000000001", "AKIABOB0000000000001")
    key = "ASIANETADMIN00000001"
    netadmin_session = _session(WORKLOADS, "NetAdmin", "dave", key, "AROANETADMIN000001")
    netadmin = ct.assumed_role(netadmin_session)
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
        ct.assume_role(dave, netadmin_session, recorded_by=WORKLOADS, time=t(0), source_ip="192.0.2.44"),
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
    control = _control(
        "EC2.19",
        "Security groups should not allow unrestricted access to ports with high risk",
        "0f0e0d0c-0001",
        sh.resource("AwsEc2SecurityGroup", group_arn),
    )
    sibling = _control(
        "EC2.18",
        "Security groups should only allow unrestricted incoming traffic for authorized ports",
        "0f0e0d0c-0002",
        sh.resource("AwsEc2SecurityGroup", group_arn),
    )
    elsewhere = _control(
        "S3.8",
        "S3 general purpose buckets should block public access",
        "0f0e0d0c-0003",
        sh.resource("AwsS3Bucket", "arn:aws:s3:::web-assets"),
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
    erin = ct.iam_user(WORKLOADS, "erin", "AIDAERIN0000000001", key)
    bob = ct.iam_user(WORKLOADS, "bob", "AIDABOB00000000001", "AKIABOB0000000000001")
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
    finding = _finding(
        "51" * 16,
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        WORKLOADS,
        0,
        5,
        resource=gd.access_key_resource(key, "AIDAERIN0000000001", "erin", "IAMUser"),
        action=gd.api_call_action("ListBuckets", "s3.amazonaws.com", "198.51.100.80"),
    )
    return Scenario(
        finding_id=finding["id"],
        cloudtrail=records,
        guardduty=[finding],
        chain=[link(None, "IAMUser", WORKLOADS, key)],
        actions=[],
    )
