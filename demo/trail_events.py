"""The CloudTrail side of the demo incident: the attacker's calls and the benign background.

Cross-account ``AssumeRole`` is logged twice, as AWS does: in the caller's account (an
``IAMUser`` identity) and in the role owner's account (an ``AWSAccount`` identity), with
one ``sharedEventID``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from demo.cast import (
    ATTACKER_CLI,
    BOTO,
    BROWSER,
    CI_AGENT,
    DAY,
    OTHER_REGION,
    REGION,
    WINDOW_END,
    WINDOW_START,
    Cast,
)
from demo.ids import Ids, cloudtrail_response_date
from demo.records import cloudtrail as ct
from demo.records.cloudtrail import Call, Record, RoleSession
from demo.truth import AttackEvent


@dataclass
class TrailLog:
    """Records collected per ``(recipient account, region)``, and the attacker's among them."""

    ids: Ids
    records: list[Record] = field(default_factory=list)
    attack: list[AttackEvent] = field(default_factory=list)

    def add(self, call: Call) -> Record:
        record = ct.event(call, self.ids)
        self.records.append(record)
        return record

    def add_attack(self, call: Call) -> Record:
        record = self.add(call)
        self.attack.append(
            AttackEvent(
                event_id=record["eventID"],
                event_name=call.name,
                event_source=call.source,
                account_id=call.recipient_account,
                access_key_id=call.identity.get("accessKeyId") or None,
                source_ip=call.source_ip,
                time=record["eventTime"],
                error_code=call.error[0] if call.error else None,
            )
        )
        return record


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute, second=second)


def _denied(arn: str, action: str, resource: str = "*") -> str:
    return (
        f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


# --- the attack -------------------------------------------------------------------------


def attack(log: TrailLog, cast: Cast) -> None:
    recon(log, cast)
    assume_chain(log, cast)
    persistence(log, cast)
    open_ssh(log, cast)
    stop_logging(log, cast)
    exfiltrate(log, cast)
    root_sign_in(log, cast)


def _ci_identity(cast: Cast) -> Record:
    return ct.iam_user(cast.dev_account, cast.ci_user, cast.ci_user_id, cast.ci_key)


def recon(log: TrailLog, cast: Cast) -> None:
    """Who am I, what can I see: the stolen AKIA key from the attacker's host."""
    identity = _ci_identity(cast)

    def call(when: datetime, source: str, name: str, command: str, **extra: Any) -> None:
        base = Call(
            identity=identity,
            time=when,
            source=source,
            name=name,
            region=extra.pop("region", REGION),
            source_ip=cast.attacker_ip,
            user_agent=ATTACKER_CLI.format(command=command),
            recipient_account=cast.dev_account,
            read_only=True,
        )
        log.add_attack(replace(base, **extra))

    arn = cast.ci_user_arn
    call(at(9, 2, 10), "sts.amazonaws.com", "GetCallerIdentity", "sts.get-caller-identity")
    call(
        at(9, 3, 5),
        "s3.amazonaws.com",
        "ListBuckets",
        "s3.ls",
        request={"Host": "s3.amazonaws.com"},
        error=("AccessDenied", "Access Denied"),
    )
    call(at(9, 3, 40), "iam.amazonaws.com", "ListUsers", "iam.list-users", request={"maxItems": 100})
    call(
        at(9, 4, 2),
        "iam.amazonaws.com",
        "ListAttachedUserPolicies",
        "iam.list-attached-user-policies",
        request={"userName": cast.ci_user},
    )
    call(
        at(9, 4, 30),
        "iam.amazonaws.com",
        "GetAccountAuthorizationDetails",
        "iam.get-account-authorization-details",
        error=("AccessDenied", _denied(arn, "iam:GetAccountAuthorizationDetails")),
    )
    call(
        at(9, 5, 10),
        "ec2.amazonaws.com",
        "DescribeInstances",
        "ec2.describe-instances",
        request={"instancesSet": {}, "filterSet": {}},
    )
    call(
        at(9, 5, 31),
        "ec2.amazonaws.com",
        "DescribeInstances",
        "ec2.describe-instances",
        region=OTHER_REGION,
        request={"instancesSet": {}, "filterSet": {}},
        error=(
            "Client.UnauthorizedOperation",
            "You are not authorized to perform this operation. " + _denied(arn, "ec2:DescribeInstances"),
        ),
    )
    call(at(9, 6, 0), "iam.amazonaws.com", "ListRoles", "iam.list-roles", request={"maxItems": 100})


def _assume_role_response(session: RoleSession, ids: Ids) -> Record:
    expiration = cloudtrail_response_date(session.created + timedelta(hours=1))
    return ct.assume_role_response(session, ids.session_token(), expiration)


def assume_chain(log: TrailLog, cast: Cast) -> None:
    """User -> role in another account (logged in both) -> second role (role chaining)."""
    first, second = cast.deploy_role, cast.admin_role
    shared = log.ids.uuid()
    response = _assume_role_response(first, log.ids)
    cross = Call(
        identity=_ci_identity(cast),
        time=first.created,
        source="sts.amazonaws.com",
        name="AssumeRole",
        region=REGION,
        source_ip=cast.attacker_ip,
        user_agent=ATTACKER_CLI.format(command="sts.assume-role"),
        recipient_account=cast.dev_account,
        read_only=True,
        request=ct.assume_role_request(first),
        response=response,
        resources=ct.role_resources(first),
        shared_event_id=shared,
    )
    log.add_attack(cross)
    log.add_attack(
        replace(
            cross,
            identity=ct.aws_account(cast.dev_account, cast.ci_user_id),
            recipient_account=cast.prod_account,
        ),
    )
    call = _attacker_call(log, cast, ct.assumed_role(first), read_only=True)

    call(at(9, 9, 10), "sts.amazonaws.com", "GetCallerIdentity", "sts.get-caller-identity")
    call(at(9, 9, 40), "iam.amazonaws.com", "ListRoles", "iam.list-roles", request={"maxItems": 100})
    call(
        second.created,
        "sts.amazonaws.com",
        "AssumeRole",
        "sts.assume-role",
        request=ct.assume_role_request(second),
        response=_assume_role_response(second, log.ids),
        resources=ct.role_resources(second),
    )


def _attacker_call(
    log: TrailLog, cast: Cast, identity: dict[str, Any], read_only: bool
) -> Callable[..., Record]:
    """A recorder of the attacker's calls from one session, on the CLI from the outside IP."""

    def call(when: datetime, source: str, name: str, command: str, **extra: Any) -> Record:
        base = Call(
            identity=identity,
            time=when,
            source=source,
            name=name,
            region=REGION,
            source_ip=cast.attacker_ip,
            user_agent=ATTACKER_CLI.format(command=command),
            recipient_account=cast.prod_account,
            read_only=read_only,
        )
        return log.add_attack(replace(base, **extra))

    return call


def _admin_call(log: TrailLog, cast: Cast) -> Callable[..., Record]:
    return _attacker_call(log, cast, ct.assumed_role(cast.admin_role), read_only=False)


def persistence(log: TrailLog, cast: Cast) -> None:
    call = _admin_call(log, cast)
    user, account = cast.backdoor_user, cast.prod_account
    created = at(9, 14, 0)
    call(
        created,
        "iam.amazonaws.com",
        "CreateUser",
        "iam.create-user",
        request={"userName": user},
        response={
            "user": {
                "path": "/",
                "userName": user,
                "userId": cast.backdoor_user_id,
                "arn": f"arn:aws:iam::{account}:user/{user}",
                "createDate": cloudtrail_response_date(created),
            }
        },
    )
    call(
        at(9, 14, 30),
        "iam.amazonaws.com",
        "AttachUserPolicy",
        "iam.attach-user-policy",
        request={"userName": user, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )
    key_created = at(9, 15, 5)
    call(
        key_created,
        "iam.amazonaws.com",
        "CreateAccessKey",
        "iam.create-access-key",
        request={"userName": user},
        response={
            "accessKey": {
                "userName": user,
                "accessKeyId": cast.backdoor_key,
                "status": "Active",
                "createDate": cloudtrail_response_date(key_created),
            }
        },
    )


def open_ssh(log: TrailLog, cast: Cast) -> None:
    call = _admin_call(log, cast)
    call(
        at(9, 17, 20),
        "ec2.amazonaws.com",
        "DescribeSecurityGroups",
        "ec2.describe-security-groups",
        read_only=True,
        request={"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
    )
    rule = {
        "ipProtocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "groups": {},
        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
        "ipv6Ranges": {},
        "prefixListIds": {},
    }
    call(
        at(9, 18, 2),
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        "ec2.authorize-security-group-ingress",
        request={"groupId": cast.security_group, "ipPermissions": {"items": [rule]}},
        response={
            "requestId": log.ids.uuid(),
            "_return": True,
            "securityGroupRuleSet": {
                "items": [
                    {
                        "groupOwnerId": cast.prod_account,
                        "groupId": cast.security_group,
                        "securityGroupRuleId": f"sgr-{log.ids.hex(17)}",
                        "isEgress": False,
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrIpv4": "0.0.0.0/0",
                    }
                ]
            },
        },
    )


def stop_logging(log: TrailLog, cast: Cast) -> None:
    """The account's own trail stops; the security trail that feeds the SIEM keeps recording."""
    call = _admin_call(log, cast)
    call(
        at(9, 26, 40),
        "cloudtrail.amazonaws.com",
        "StopLogging",
        "cloudtrail.stop-logging",
        request={"name": cast.stopped_trail_arn},
    )


def exfiltrate(log: TrailLog, cast: Cast) -> None:
    call = _admin_call(log, cast)
    bucket = cast.data_bucket
    host = f"{bucket}.s3.{REGION}.amazonaws.com"
    bucket_resource = {
        "accountId": cast.prod_account,
        "type": "AWS::S3::Bucket",
        "ARN": f"arn:aws:s3:::{bucket}",
    }
    call(
        at(9, 28, 0),
        "s3.amazonaws.com",
        "ListObjects",
        "s3.ls",
        read_only=True,
        category="Data",
        request={"list-type": "2", "bucketName": bucket, "prefix": "exports/", "Host": host},
        additional=_s3_additional(log.ids, 0),
        resources=(bucket_resource,),
    )
    for index, key in enumerate(cast.data_keys):
        size = 48_000_000 + 1_337_000 * index
        call(
            at(9, 29 + index, 12),
            "s3.amazonaws.com",
            "GetObject",
            "s3.cp",
            read_only=True,
            category="Data",
            request={"bucketName": bucket, "Host": host, "key": key},
            additional=_s3_additional(log.ids, size),
            resources=({"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}, bucket_resource),
        )


def _s3_additional(ids: Ids, bytes_out: int) -> Record:
    return {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": ids.mixed_alnum(76),
        "bytesTransferredOut": bytes_out,
    }


def root_sign_in(log: TrailLog, cast: Cast) -> None:
    """A failed then a successful root console sign-in, no MFA, from a second outside address."""
    for when, outcome in ((at(10, 4, 40), "Failure"), (at(10, 5, 12), "Success")):
        call = Call(
            identity=ct.root(cast.prod_account),
            time=when,
            source="signin.amazonaws.com",
            name="ConsoleLogin",
            region=REGION,
            source_ip=cast.attacker_console_ip,
            user_agent=BROWSER,
            recipient_account=cast.prod_account,
            read_only=False,
            response={"ConsoleLogin": outcome},
            additional={
                "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                "MobileVersion": "No",
                "MFAUsed": "No",
            },
            event_type="AwsConsoleSignIn",
            error=(None, "Failed authentication") if outcome == "Failure" else None,
        )
        log.add_attack(call)


# --- the background ---------------------------------------------------------------------


def background(log: TrailLog, cast: Cast) -> None:
    ci_pipeline(log, cast)
    instance_role(log, cast)
    sso_admin(log, cast)
    aws_services(log, cast)


def _minutes(log: TrailLog, start: datetime, end: datetime, every: tuple[int, int]) -> list[datetime]:
    """Times from ``start`` to ``end`` with a random gap of ``every`` minutes (plus seconds)."""
    times, moment = [], start
    while moment < end:
        times.append(moment)
        moment += timedelta(minutes=log.ids.random.randint(*every), seconds=log.ids.random.randint(0, 59))
    return times


def ci_pipeline(log: TrailLog, cast: Cast) -> None:
    """The normal use of the key that gets stolen: the CI runner, from the company NAT address."""
    calls = (
        ("ecr.amazonaws.com", "GetAuthorizationToken", "ecr", True, None),
        ("cloudformation.amazonaws.com", "DescribeStacks", "cloudformation", True, {"stackName": "web-app"}),
        ("s3.amazonaws.com", "GetBucketLocation", "s3", True, {"bucketName": "acme-build-artifacts"}),
    )
    for when in _minutes(log, WINDOW_START, DAY.replace(hour=8, minute=55), (6, 14)):
        source, name, api, read_only, request = log.ids.random.choice(calls)
        log.add(
            Call(
                identity=_ci_identity(cast),
                time=when,
                source=source,
                name=name,
                region=REGION,
                source_ip=cast.nat_ip,
                user_agent=CI_AGENT.format(api=f"{api}#1.30.0"),
                recipient_account=cast.dev_account,
                read_only=read_only,
                request=request,
            )
        )


def instance_role(log: TrailLog, cast: Cast) -> None:
    """The web instance's profile role; its session name is the instance id."""
    identity = ct.assumed_role(cast.instance_role, ec2_role_delivery="2.0")
    for when in _minutes(log, WINDOW_START, WINDOW_END, (4, 9)):
        name, request, read_only = log.ids.random.choice(
            (
                (
                    "UpdateInstanceInformation",
                    {
                        "instanceId": cast.instance_id,
                        "agentVersion": "3.3.40.0",
                        "platformType": "Linux",
                        "platformName": "Amazon Linux",
                    },
                    False,
                ),
                ("GetParameter", {"name": "/web/prod/db-endpoint", "withDecryption": False}, True),
            )
        )
        log.add(
            Call(
                identity=identity,
                time=when,
                source="ssm.amazonaws.com",
                name=name,
                region=REGION,
                source_ip=cast.instance_public_ip,
                user_agent=BOTO,
                recipient_account=cast.prod_account,
                read_only=read_only,
                request=request,
            )
        )


def sso_admin(log: TrailLog, cast: Cast) -> None:
    """An engineer signed in through IAM Identity Center, browsing the console."""
    identity = ct.assumed_role(cast.sso_role)
    actions: tuple[tuple[str, str, Record], ...] = (
        ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
        ("ec2.amazonaws.com", "DescribeSecurityGroups", {"securityGroupSet": {}, "filterSet": {}}),
        (
            "s3.amazonaws.com",
            "GetBucketPolicy",
            {"bucketName": cast.data_bucket, "policy": "", "Host": "s3.amazonaws.com"},
        ),
        ("cloudtrail.amazonaws.com", "LookupEvents", {"maxResults": 50}),
        ("securityhub.amazonaws.com", "GetFindings", {"maxResults": 100}),
    )
    for when in _minutes(log, cast.sso_role.created, WINDOW_END, (5, 12)):
        source, name, request = log.ids.random.choice(actions)
        log.add(
            Call(
                identity=identity,
                time=when,
                source=source,
                name=name,
                region=REGION,
                source_ip=cast.office_ip,
                user_agent=BROWSER,
                recipient_account=cast.prod_account,
                read_only=True,
                request=request,
            )
        )


def aws_services(log: TrailLog, cast: Cast) -> None:
    """Services acting on the accounts' behalf: ``sourceIPAddress`` is a service name."""
    instance = cast.instance_role
    for when in _minutes(log, WINDOW_START + timedelta(minutes=7), WINDOW_END, (45, 70)):
        session = replace(instance, created=when)
        log.add(
            Call(
                identity=ct.aws_service("ec2.amazonaws.com"),
                time=when,
                source="sts.amazonaws.com",
                name="AssumeRole",
                region=REGION,
                source_ip="ec2.amazonaws.com",
                user_agent="ec2.amazonaws.com",
                recipient_account=cast.prod_account,
                read_only=True,
                request=ct.assume_role_request(session),
                response=_assume_role_response(session, log.ids),
                resources=ct.role_resources(session),
            )
        )
    for account in (cast.admin_account, cast.dev_account, cast.prod_account):
        for when in _minutes(log, WINDOW_START + timedelta(minutes=3), WINDOW_END, (20, 40)):
            log.add(
                Call(
                    identity=ct.aws_service("cloudtrail.amazonaws.com"),
                    time=when,
                    source="kms.amazonaws.com",
                    name="GenerateDataKey",
                    region=REGION,
                    source_ip="cloudtrail.amazonaws.com",
                    user_agent="cloudtrail.amazonaws.com",
                    recipient_account=account,
                    read_only=True,
                    request={
                        "keySpec": "AES_256",
                        "encryptionContext": {
                            "aws:cloudtrail:arn": f"arn:aws:cloudtrail:{REGION}:{account}:trail/{cast.trail_name}"
                        },
                    },
                    resources=(
                        {
                            "accountId": cast.admin_account,
                            "type": "AWS::KMS::Key",
                            "ARN": f"arn:aws:kms:{REGION}:{cast.admin_account}:key/{log.ids.uuid()}",
                        },
                    ),
                )
            )
    for when in _minutes(log, WINDOW_START + timedelta(minutes=11), WINDOW_END, (25, 50)):
        log.add(
            Call(
                identity=ct.aws_service("config.amazonaws.com"),
                time=when,
                source="ec2.amazonaws.com",
                name="DescribeSecurityGroups",
                region=REGION,
                source_ip="config.amazonaws.com",
                user_agent="config.amazonaws.com",
                recipient_account=cast.prod_account,
                read_only=True,
                request={"securityGroupIdSet": {"items": [{"groupId": cast.security_group}]}},
            )
        )
        log.add(
            Call(
                identity=ct.aws_service("guardduty.amazonaws.com"),
                time=when + timedelta(seconds=31),
                source="securityhub.amazonaws.com",
                name="BatchImportFindings",
                region=REGION,
                source_ip="AWS Internal",
                user_agent="AWS Internal",
                recipient_account=cast.admin_account,
                read_only=False,
                request={
                    "findings": [{"productArn": f"arn:aws:securityhub:{REGION}::product/aws/guardduty"}]
                },
            )
        )
