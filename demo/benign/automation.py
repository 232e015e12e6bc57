"""The organization's own automation: inventory and security scans, monitoring, findings
triage, patching, clean-up jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.benign.apis import (
    MONITORING,
    ORGANIZATION_READS,
    SECURITY_SCAN,
    denied_outside,
    read_calls,
    routine_errors,
)
from demo.benign.calls import BOTO3, GO_SDK, JAVA, Clock, Context, Record, s3_object
from demo.benign.org import HOME_REGION, VENDOR_ACCOUNT, Role, service_role
from demo.benign.pipelines import assume_role
from demo.records import cloudtrail as ct

SCANNED_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_SCANNER_SERVICES = (
    "ec2",
    "iam",
    "s3",
    "cloudtrail",
    "config",
    "guardduty",
    "securityhub",
    "kms",
    "rds",
    "lambda",
    "ssm",
    "ecr",
    "ecs",
    "eks",
    "sns",
    "sqs",
    "ses",
    "elasticloadbalancing",
    "elasticfilesystem",
    "dynamodb",
    "acm",
    "access-analyzer",
    "backup",
    "organizations",
    "sts",
)
"""What the inventory role's policy (SecurityAudit plus a few) allows: anything else is AccessDenied."""


def inventory_scan(ctx: Context, start: datetime) -> list[Record]:
    """The security tooling account's scanner (an ECS task) assumes the inventory role in one
    account and reads its configuration in every region; it meets AccessDenied where its
    policy stops (``secretsmanager:ListSecrets``...), unset S3 settings and throttling."""
    clock = Clock(ctx.rng, start)
    security = ctx.org.one("security")
    target = ctx.rng.choice(ctx.org.accounts)
    task = ctx.org.session(Role(security.id, "inventory-scanner-task", "/security/"), ctx.hex(32), start)
    scanner = ct.assumed_role(task)
    ip = f"203.0.113.{ctx.rng.randrange(80, 90)}"
    session = ctx.org.session(
        Role(target.id, "inventory-reader", "/security/"), "inventory-scanner", clock.tick()
    )
    records = assume_role(ctx, scanner, session, session.created, ip, BOTO3)
    identity = ct.assumed_role(session)
    errors = denied_outside(_SCANNER_SERVICES, session.arn)
    for region in SCANNED_REGIONS if ctx.chance(0.5) else target.regions:
        records += read_calls(
            ctx,
            identity,
            clock,
            target,
            SECURITY_SCAN,
            ctx.rng.randint(10, 50),
            ip=ip,
            agent=BOTO3,
            region=region,
            errors=errors,
        )
    if target.kind == "management":
        records += read_calls(
            ctx, identity, clock, target, ORGANIZATION_READS, ctx.rng.randint(10, 40), ip=ip, agent=BOTO3
        )
    return records


def monitoring_poll(ctx: Context, start: datetime) -> list[Record]:
    """The monitoring vendor's account assumes the integration role (with its external id)
    every few minutes and collects metrics and resource lists."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "prod", "nonprod", "network", "shared", "cicd"))
    ip = f"192.0.2.{ctx.rng.randrange(200, 250)}"
    session = ctx.org.session(Role(target.id, "monitoring-integration"), "monitoring-poller", clock.tick())
    vendor = ct.aws_account(VENDOR_ACCOUNT, f"AROA{ctx.hex(17).upper()}:poller")
    request = {**ct.assume_role_request(session), "externalId": "8f4c2a1e6b7d4e3f9a0b1c2d3e4f5a6b"}
    records = [
        ctx.call(
            vendor,
            session.created,
            "sts.amazonaws.com",
            "AssumeRole",
            account=target.id,
            ip=ip,
            agent=GO_SDK,
            read_only=True,
            request=request,
            response=ct.assume_role_response(session),
            resources=ct.role_resources(session),
        )
    ]
    identity = ct.assumed_role(session)
    for region in target.regions:
        records += read_calls(
            ctx,
            identity,
            clock,
            target,
            MONITORING,
            ctx.rng.randint(8, 30),
            ip=ip,
            agent=GO_SDK,
            region=region,
            pace=(0.05, 0.5),
        )
    return records


def findings_triage(ctx: Context, start: datetime) -> list[Record]:
    """The security team's triage Lambda reads new Security Hub findings and marks the ones of
    sandbox accounts and accepted risks (``BatchUpdateFindings``: workflow SUPPRESSED or NOTIFIED)."""
    clock = Clock(ctx.rng, start)
    security = ctx.org.one("security")
    session = ctx.org.session(service_role(security, "findings-triage-role"), "findings-triage", start)
    identity = ct.assumed_role(session)
    ip = f"203.0.113.{ctx.rng.randrange(80, 90)}"

    def call(source: str, name: str, request: Any = None, read_only: bool | None = None) -> Record:
        return ctx.call(
            identity,
            clock.tick(),
            source,
            name,
            account=security.id,
            ip=ip,
            agent=BOTO3,
            request=request,
            read_only=read_only,
        )

    records = [
        call("securityhub.amazonaws.com", "GetFindings", {"MaxResults": 100})
        for _ in range(ctx.rng.randint(1, 4))
    ]
    records.append(call("guardduty.amazonaws.com", "ListDetectors"))
    records.append(
        call("guardduty.amazonaws.com", "ListFindings", {"detectorId": ctx.hex(32), "maxResults": 50})
    )
    if ctx.chance(0.7):
        sandbox = ctx.rng.choice(ctx.org.of_kind("sandbox"))
        identifiers = [
            {
                "Id": f"arn:aws:securityhub:{HOME_REGION}:{sandbox.id}:subscription/aws-foundational-security-best-practices/v/1.0.0/EC2.19/finding/{ctx.ids.uuid()}",
                "ProductArn": f"arn:aws:securityhub:{HOME_REGION}::product/aws/securityhub",
            }
            for _ in range(ctx.rng.randint(1, 20))
        ]
        status = ctx.rng.choice(("SUPPRESSED", "NOTIFIED"))
        records.append(
            call(
                "securityhub.amazonaws.com",
                "BatchUpdateFindings",
                {
                    "FindingIdentifiers": identifiers,
                    "Workflow": {"Status": status},
                    "Note": {"Text": "triage: sandbox account", "UpdatedBy": "findings-triage"},
                },
                read_only=False,
            )
        )
    return records


def patching(ctx: Context, start: datetime) -> list[Record]:
    """A Systems Manager maintenance window patches an account's instances (Run Command
    ``AWS-RunPatchBaseline``, sent by SSM with the maintenance window's service role)."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(
        [account for account in ctx.org.of_kind("prod", "nonprod", "shared", "cicd") if account.instances]
    )
    service = "ssm.amazonaws.com"
    session = ctx.org.session(service_role(target, "MaintenanceWindowRole"), f"{ctx.hex(32)}", start)
    records = assume_role(ctx, ct.aws_service(service), session, session.created, service, service)
    identity = ct.assumed_role(session, invoked_by=service)
    command = ctx.ids.uuid()
    records.append(
        ctx.call(
            identity,
            clock.tick(),
            service,
            "SendCommand",
            account=target.id,
            ip=service,
            agent=service,
            read_only=False,
            request={
                "instanceIds": list(target.instances),
                "documentName": "AWS-RunPatchBaseline",
                "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
                "maxConcurrency": "50%",
                "maxErrors": "10%",
            },
            response={
                "command": {"commandId": command, "documentName": "AWS-RunPatchBaseline", "status": "Pending"}
            },
        )
    )
    for instance in target.instances:
        agent_session = ctx.org.session(Role(target.id, "app-instance-role"), instance, clock.now)
        agent = ct.assumed_role(agent_session, ec2_role_delivery="2.0")
        records.append(
            ctx.call(
                agent,
                clock.tick(30, 300),
                service,
                "PutComplianceItems",
                account=target.id,
                ip=ctx.private_ip(),
                agent="aws-sdk-go/1.44.260 (go1.20.10; linux; amd64) amazon-ssm-agent/3.3.40.0",
                read_only=False,
                request={
                    "resourceId": instance,
                    "resourceType": "ManagedInstance",
                    "complianceType": "Patch",
                },
            )
        )
    records += [
        ctx.call(
            identity,
            clock.tick(30, 90),
            service,
            "ListCommandInvocations",
            account=target.id,
            ip=service,
            agent=service,
            request={"commandId": command},
        )
        for _ in range(ctx.rng.randint(2, 6))
    ]
    return records


def export_cleanup(ctx: Context, start: datetime) -> list[Record]:
    """A nightly job deletes the report exports older than their retention (S3 data events)."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod"))
    session = ctx.org.session(
        Role(account.id, f"{account.name}-exports-cleanup", "/app/"), ctx.hex(32), start
    )
    identity = ct.assumed_role(session)
    ip = ctx.private_ip()
    bucket = account.buckets[1]
    host = f"{bucket}.s3.{HOME_REGION}.amazonaws.com"
    records = [
        ctx.call(
            identity,
            clock.tick(),
            "s3.amazonaws.com",
            "ListObjects",
            account=account.id,
            ip=ip,
            agent=JAVA,
            category="Data",
            request={"bucketName": bucket, "Host": host, "prefix": "exports/", "list-type": "2"},
            resources=(
                {"accountId": account.id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
            ),
        )
    ]
    for _ in range(ctx.rng.randint(5, 40)):
        key = f"exports/{ctx.ids.uuid()}.csv.gz"
        records.append(
            ctx.call(
                identity,
                clock.tick(0.05, 0.5),
                "s3.amazonaws.com",
                "DeleteObject",
                account=account.id,
                ip=ip,
                agent=JAVA,
                category="Data",
                read_only=False,
                error=routine_errors(ctx, "s3.amazonaws.com", "DeleteObject"),
                **s3_object(account.id, bucket, key),
            )
        )
    return records
