"""Guardrail upkeep: the routine look-alikes of the logging, S3 exposure and credential rules.

The calls an attacker uses to blind the trail or expose a bucket are also the calls a
well-run organization makes to keep them tight: a StackSet resending the organization trail,
Terraform tightening public access blocks, private bucket ACLs for server access logging,
access points for the account's own roles, CloudTrail Lake retention raised, load balancers
open to the internet on HTTPS, an IAM user's own SSH key for CodeCommit, instance software
asking "who am I" through its own account's STS endpoint. Shapes follow the APIs (botocore's
models) as CloudTrail logs them, the same shapes as the rules' own tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import CLI, Clock, Context, Record
from demo.benign.org import HOME_REGION, Account, Role, service_role, stable_hex
from demo.benign.pipelines import CFN, _terraform_session, assume_role, terraform_writes
from demo.records import cloudtrail as ct

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
CLOUDWATCH_AGENT = "aws-sdk-go/1.44.328 (go1.20.12; linux; amd64) CWAgent/1.300032.3"


def canonical_id(account: Account) -> str:
    """The account's S3 canonical user id (64 hex digits; stable per account)."""
    return stable_hex(64, account.id, "canonical")


def trail_stack_update(ctx: Context, start: datetime) -> list[Record]:
    """The security team's StackSet updates the organization trail in the management account:
    CloudFormation (invokedBy) resends the trail's whole configuration, its bucket, key,
    CloudWatch Logs delivery and validation setting included."""
    clock = Clock(ctx.rng, start)
    management, archive = ctx.org.management, ctx.org.one("log-archive")
    role = service_role(management, "AWSCloudFormationStackSetExecutionRole")
    session = ctx.org.session(role, "AWSCloudFormation", clock.tick())
    records = assume_role(ctx, ct.aws_service(CFN), session, session.created, CFN, CFN)
    executor = ct.assumed_role(session, invoked_by=CFN)
    trail = f"arn:aws:cloudtrail:{HOME_REGION}:{management.id}:trail/organization-trail"
    log_group = f"arn:aws:logs:{HOME_REGION}:{management.id}:log-group:aws-cloudtrail-organization:*"
    logs_role = f"arn:aws:iam::{management.id}:role/CloudTrail_CloudWatchLogs_Role"
    key = f"arn:aws:kms:{HOME_REGION}:{archive.id}:key/{ctx.ids.uuid()}"
    settings = {
        "s3BucketName": f"org-cloudtrail-logs-{archive.id}",
        "includeGlobalServiceEvents": True,
        "isMultiRegionTrail": True,
        "enableLogFileValidation": True,
        "cloudWatchLogsLogGroupArn": log_group,
        "cloudWatchLogsRoleArn": logs_role,
        "kmsKeyId": key,
        "isOrganizationTrail": True,
    }
    response = {
        "name": "organization-trail",
        "s3BucketName": settings["s3BucketName"],
        "includeGlobalServiceEvents": True,
        "isMultiRegionTrail": True,
        "trailARN": trail,
        "logFileValidationEnabled": True,
        "cloudWatchLogsLogGroupArn": log_group,
        "cloudWatchLogsRoleArn": logs_role,
        "kmsKeyId": key,
        "isOrganizationTrail": True,
    }

    def call(name: str, request: Any, response: Any = None) -> Record:
        return ctx.call(
            executor, clock.tick(1, 10), "cloudtrail.amazonaws.com", name,
            account=management.id, ip=CFN, agent=CFN, request=request, response=response,
        )  # fmt: skip

    records.append(call("GetTrail", {"name": trail}))
    records.append(call("UpdateTrail", {"name": trail, **settings}, response))
    records.append(call("GetTrailStatus", {"name": trail}))
    return records


def terraform_guardrails(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform apply of an account's guardrails module: a few of its routine
    changes (public access blocks tightened, a private or log-delivery bucket ACL, an access
    point for the account's own role, a load balancer open on HTTPS, CloudWatch Logs added
    to a trail, Lake retention raised or data events added beside management events: the
    security tooling account's, where the organization's event data store lives)."""
    clock = Clock(ctx.rng, start)
    security = ctx.org.one("security") if ctx.chance(0.2) else None
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply", security)
    changes = _guardrail_changes(ctx, target)
    chosen = ctx.rng.sample(changes, ctx.rng.randint(1, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def _guardrail_changes(ctx: Context, target: Account) -> list[tuple[str, str, Any, Any]]:
    bucket, logs_bucket = target.buckets[0], f"{target.name}-access-logs-{target.id}"
    owner = canonical_id(target)
    tight = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    group = f"sg-0{ctx.hex(16)}"
    web = {
        "items": [
            {"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
             "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "internet"}]},
             "ipv6Ranges": {"items": [{"cidrIpv6": "::/0", "description": "internet"}]}, "prefixListIds": {}}
            for port in (80, 443)
        ] + [
            # SSH from the bastions' and the office's ranges in the same call: the internet's
            # permissions hold no admin port, and no range of SSH's is wider than a private one.
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
             "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8", "description": "bastion"},
                                    {"cidrIp": "198.51.0.0/16", "description": "office"}]},
             "ipv6Ranges": {"items": [{"cidrIpv6": "2600:1f18:4c2:a100::/56", "description": "vpc"}]},
             "prefixListIds": {}}
        ]
    }  # fmt: skip
    point = f"{target.name}-reports"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{target.id}:role/{target.name}-app"},
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:{HOME_REGION}:{target.id}:accesspoint/{point}/object/*",
            }
        ],
    }
    changes: list[tuple[str, str, Any, Any]] = [
        ("s3.amazonaws.com", "PutAccountPublicAccessBlock",
         {"x-amz-account-id": target.id, "PublicAccessBlockConfiguration": {"xmlns": S3_XMLNS, **tight}}, None),
        ("s3.amazonaws.com", "PutBucketPublicAccessBlock",
         {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "publicAccessBlock": "",
          "PublicAccessBlockConfiguration": {"xmlns": S3_XMLNS, **tight}}, None),
        ("s3.amazonaws.com", "PutBucketAcl",
         {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "acl": "", "x-amz-acl": ["private"]}, None),
        ("s3.amazonaws.com", "PutBucketAcl",
         {"bucketName": logs_bucket, "Host": f"{logs_bucket}.s3.amazonaws.com", "acl": "",
          "AccessControlPolicy": {
              "xmlns": S3_XMLNS,
              "Owner": {"ID": owner},
              "AccessControlList": {"Grant": [
                  {"Grantee": {"xsi:type": "CanonicalUser", "xmlns:xsi": XSI, "ID": owner}, "Permission": "FULL_CONTROL"},
                  {"Grantee": {"xsi:type": "Group", "xmlns:xsi": XSI, "URI": LOG_DELIVERY}, "Permission": "WRITE"},
                  {"Grantee": {"xsi:type": "Group", "xmlns:xsi": XSI, "URI": LOG_DELIVERY}, "Permission": "READ_ACP"},
              ]},
          }}, None),
        ("s3.amazonaws.com", "PutAccessPointPolicy",
         {"name": point, "x-amz-account-id": target.id,
          "PutAccessPointPolicyRequest": {"xmlns": S3_XMLNS, "Policy": json.dumps(policy, separators=(",", ":"))}}, None),
        ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", {"groupId": group, "ipPermissions": web},
         {"requestId": ctx.ids.uuid(), "_return": True}),
    ]  # fmt: skip
    if target.kind == "security":
        store = f"arn:aws:cloudtrail:{HOME_REGION}:{target.id}:eventdatastore/{ctx.ids.uuid()}"
        changes += [
            ("cloudtrail.amazonaws.com", "UpdateEventDataStore",
             {"eventDataStore": store, "retentionPeriod": ctx.rng.choice((2557, 3653)), "terminationProtectionEnabled": True}, None),
            ("cloudtrail.amazonaws.com", "UpdateEventDataStore",
             {"eventDataStore": store, "advancedEventSelectors": [
                 {"name": "Management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
                 {"name": "S3 writes to the exports", "fieldSelectors": [
                     {"field": "eventCategory", "equals": ["Data"]},
                     {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                     {"field": "readOnly", "equals": ["false"]},
                 ]},
             ]}, None),
            ("cloudtrail.amazonaws.com", "UpdateTrail", *_cloudwatch_logs_added(target)),
        ]  # fmt: skip
    return changes


def _cloudwatch_logs_added(account: Account) -> tuple[Any, Any]:
    """A trail of the account given CloudWatch Logs delivery (CIS: metric filters and alarms)."""
    log_group = f"arn:aws:logs:{HOME_REGION}:{account.id}:log-group:cloudtrail-{account.name}:*"
    logs_role = f"arn:aws:iam::{account.id}:role/CloudTrail_CloudWatchLogs_Role"
    name = f"{account.name}-trail"
    response = {
        "name": name,
        "s3BucketName": account.buckets[0],
        "includeGlobalServiceEvents": True,
        "isMultiRegionTrail": True,
        "trailARN": f"arn:aws:cloudtrail:{HOME_REGION}:{account.id}:trail/{name}",
        "logFileValidationEnabled": True,
        "cloudWatchLogsLogGroupArn": log_group,
        "cloudWatchLogsRoleArn": logs_role,
        "isOrganizationTrail": False,
    }
    return {
        "name": name,
        "cloudWatchLogsLogGroupArn": log_group,
        "cloudWatchLogsRoleArn": logs_role,
    }, response


def codecommit_ssh_key(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox IAM user uploads their own SSH public key (for CodeCommit over SSH)."""
    clock = Clock(ctx.rng, start)
    user = ctx.rng.choice(ctx.org.iam_users[1:])
    identity = ct.iam_user(user.account, user.name, user.principal_id, user.access_key_id)
    key_id = f"APKA{ctx.ids.mixed_alnum(16).upper()}"
    fingerprint = ":".join(ctx.hex(32)[n : n + 2] for n in range(0, 32, 2))
    uploaded = clock.tick(2, 30)

    def call(name: str, request: Any, response: Any = None) -> Record:
        return ctx.call(
            identity, clock.tick(2, 30), "iam.amazonaws.com", name, account=user.account,
            ip=user.address, agent=CLI, request=request, response=response,
        )  # fmt: skip

    body = f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{ctx.ids.mixed_alnum(43)} {user.name}@laptop"
    return [
        call("ListSSHPublicKeys", {"userName": user.name}),
        call(
            "UploadSSHPublicKey",
            {"userName": user.name, "sSHPublicKeyBody": body},
            {
                "sSHPublicKey": {
                    "userName": user.name,
                    "sSHPublicKeyId": key_id,
                    "fingerprint": fingerprint,
                    "status": "Active",
                    "uploadDate": uploaded.strftime("%b %d, %Y %I:%M:%S %p"),
                }
            },
        ),
    ]


def instance_whoami(ctx: Context, start: datetime) -> list[Record]:
    """Software on an instance (the CloudWatch agent at start-up) asks STS who it is with the
    instance profile's credentials, through the account's own STS interface endpoint."""
    account = ctx.rng.choice([account for account in ctx.org.accounts if account.instances])
    instance = ctx.rng.choice(account.instances)
    session = ctx.org.session(Role(account.id, "app-instance-role"), instance, start)
    record = ctx.call(
        ct.assumed_role(session, ec2_role_delivery="2.0"),
        Clock(ctx.rng, start).tick(),
        "sts.amazonaws.com",
        "GetCallerIdentity",
        account=account.id,
        ip=ctx.private_ip(),
        agent=CLOUDWATCH_AGENT,
    )
    record["vpcEndpointId"] = f"vpce-0{stable_hex(16, account.id, 'sts-endpoint')}"
    record["vpcEndpointAccountId"] = account.id
    return [record]


__all__ = [
    "canonical_id",
    "codecommit_ssh_key",
    "instance_whoami",
    "terraform_guardrails",
    "trail_stack_update",
]
