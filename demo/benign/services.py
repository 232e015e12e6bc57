"""AWS services at work in the accounts: credentials for instances and functions, the SSM
agent, KMS on behalf of services, AWS Config, Security Hub, GuardDuty, Backup, Auto Scaling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from demo.benign.apis import Api, reads
from demo.benign.calls import SSM_AGENT, Clock, Context, Record
from demo.benign.org import HOME_REGION, Account, Role, service_linked_role, service_role
from demo.benign.pipelines import assume_role
from demo.records import cloudtrail as ct


def _with_instances(ctx: Context) -> Account:
    return ctx.rng.choice([account for account in ctx.org.accounts if account.instances])


def instance_credentials(ctx: Context, start: datetime) -> list[Record]:
    """EC2 refreshes an instance profile's credentials (``AssumeRole`` by ec2.amazonaws.com,
    the session named after the instance) for a few instances of one account."""
    clock = Clock(ctx.rng, start)
    account = _with_instances(ctx)
    service = ct.aws_service("ec2.amazonaws.com")
    records = []
    for instance in ctx.rng.sample(account.instances, min(len(account.instances), ctx.rng.randint(1, 4))):
        session = ctx.org.session(Role(account.id, "app-instance-role"), instance, clock.tick(1, 120))
        records += assume_role(
            ctx, service, session, session.created, "ec2.amazonaws.com", "ec2.amazonaws.com"
        )
    return records


def lambda_credentials(ctx: Context, start: datetime) -> list[Record]:
    """Lambda assumes functions' execution roles for new execution environments (cold starts)."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice([account for account in ctx.org.accounts if account.functions])
    service = ct.aws_service("lambda.amazonaws.com")
    records = []
    for function in ctx.rng.sample(account.functions, min(len(account.functions), ctx.rng.randint(1, 3))):
        session = ctx.org.session(service_role(account, f"{function}-role"), function, clock.tick(1, 60))
        records += assume_role(
            ctx, service, session, session.created, "lambda.amazonaws.com", "lambda.amazonaws.com"
        )
    return records


def ssm_agent(ctx: Context, start: datetime) -> list[Record]:
    """The SSM agent on an instance reports in (``UpdateInstanceInformation`` every five
    minutes), checks its associations and sends its software inventory, with the instance
    profile's IMDSv2 credentials through the VPC endpoint."""
    clock = Clock(ctx.rng, start)
    account = _with_instances(ctx)
    instance = ctx.rng.choice(account.instances)
    session = ctx.org.session(Role(account.id, "app-instance-role"), instance, start)
    identity = ct.assumed_role(session, ec2_role_delivery="2.0")
    ip = ctx.private_ip()
    source = "ssm.amazonaws.com"
    records = []
    for beat in range(ctx.rng.randint(3, 12)):
        when = clock.wait(300 + ctx.rng.uniform(-5, 5)) if beat else clock.tick()
        records.append(
            ctx.call(
                identity,
                when,
                source,
                "UpdateInstanceInformation",
                account=account.id,
                ip=ip,
                agent=SSM_AGENT,
                read_only=False,
                request={
                    "instanceId": instance,
                    "agentVersion": "3.3.40.0",
                    "agentStatus": "Active",
                    "platformType": "Linux",
                    "platformName": "Amazon Linux",
                    "platformVersion": "2023",
                },
            )
        )
        if beat % 6 == 0:
            records.append(
                ctx.call(
                    identity,
                    clock.tick(),
                    source,
                    "ListInstanceAssociations",
                    account=account.id,
                    ip=ip,
                    agent=SSM_AGENT,
                    request={"instanceId": instance},
                )
            )
        if beat % 6 == 3:
            records.append(
                ctx.call(
                    identity,
                    clock.tick(),
                    source,
                    "PutInventory",
                    account=account.id,
                    ip=ip,
                    agent=SSM_AGENT,
                    read_only=False,
                    request={
                        "instanceId": instance,
                        "items": [{"typeName": "AWS:Application", "schemaVersion": "1.1"}],
                    },
                )
            )
    return records


def kms_for_services(ctx: Context, start: datetime) -> list[Record]:
    """Services use customer keys: CloudTrail encrypts log files in the log archive, CloudWatch
    Logs its log groups, and S3 objects written by applications (``invokedBy`` s3)."""
    clock = Clock(ctx.rng, start)
    records = []
    for _ in range(ctx.rng.randint(3, 15)):
        choice = ctx.rng.randrange(3)
        if choice == 0:
            account = ctx.org.one("log-archive")
            service = "cloudtrail.amazonaws.com"
            identity = ct.aws_service(service)
            context = {
                "aws:cloudtrail:arn": f"arn:aws:cloudtrail:{HOME_REGION}:{ctx.org.management.id}:trail/organization-trail"
            }
            name = "GenerateDataKey"
        elif choice == 1:
            account = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
            service = "logs.amazonaws.com"
            identity = ct.aws_service(service)
            context = {
                "aws:logs:arn": f"arn:aws:logs:{HOME_REGION}:{account.id}:log-group:/aws/lambda/{account.functions[0]}"
            }
            name = ctx.rng.choice(("Decrypt", "GenerateDataKey"))
        else:
            account = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
            service = "s3.amazonaws.com"
            app = ctx.org.session(
                Role(account.id, f"{account.name}-task-role", "/app/"), ctx.hex(32), clock.now
            )
            identity = ct.assumed_role(app, invoked_by=service)
            context = {"aws:s3:arn": f"arn:aws:s3:::{account.buckets[0]}/data/{ctx.ids.uuid()}.json"}
            name = ctx.rng.choice(("Decrypt", "GenerateDataKey"))
        key = f"arn:aws:kms:{HOME_REGION}:{account.id}:key/{ctx.ids.uuid()}"
        request: dict[str, Any] = {"encryptionContext": context, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        if name == "GenerateDataKey":
            request = {"keySpec": "AES_256", "encryptionContext": context}
        records.append(
            ctx.call(
                identity,
                clock.tick(1, 60),
                "kms.amazonaws.com",
                name,
                account=account.id,
                ip=service,
                agent=service,
                read_only=True,
                request=request,
                resources=({"accountId": account.id, "type": "AWS::KMS::Key", "ARN": key},),
                shared_event_id=ctx.ids.uuid(),
            )
        )
    return records


_CONFIG_DESCRIBES: dict[str, list[tuple[str, str]]] = {
    "instance": [
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("ec2.amazonaws.com", "DescribeNetworkInterfaces"),
        ("ec2.amazonaws.com", "DescribeVolumes"),
    ],
    "security group": [
        ("ec2.amazonaws.com", "DescribeSecurityGroups"),
        ("ec2.amazonaws.com", "DescribeSecurityGroupRules"),
    ],
    "bucket": [
        ("s3.amazonaws.com", "GetBucketAcl"),
        ("s3.amazonaws.com", "GetBucketPolicy"),
        ("s3.amazonaws.com", "GetBucketVersioning"),
        ("s3.amazonaws.com", "GetBucketEncryption"),
        ("s3.amazonaws.com", "GetBucketTagging"),
        ("s3.amazonaws.com", "GetBucketLogging"),
    ],
    "role": [
        ("iam.amazonaws.com", "GetRole"),
        ("iam.amazonaws.com", "ListRolePolicies"),
        ("iam.amazonaws.com", "ListAttachedRolePolicies"),
    ],
    "function": [
        ("lambda.amazonaws.com", "GetFunction20150331v2"),
        ("lambda.amazonaws.com", "GetPolicy20150331v2"),
    ],
    "database": [("rds.amazonaws.com", "DescribeDBClusters"), ("rds.amazonaws.com", "DescribeDBInstances")],
}


def config_recorder(ctx: Context, start: datetime) -> list[Record]:
    """AWS Config's service-linked role (session ``AWSConfig-Describe``) describes resources that
    changed, to record their configuration items."""
    groups = list(_CONFIG_DESCRIBES.values())
    return _service_linked_reads(
        ctx,
        start,
        "config.amazonaws.com",
        ("AWSServiceRoleForConfig", "AWSConfig-Describe"),
        lambda: [api for _ in range(ctx.rng.randint(1, 5)) for api in ctx.rng.choice(groups)],
    )


_SECURITY_HUB_CHECKS = [
    ("cloudtrail.amazonaws.com", "DescribeTrails"),
    ("cloudtrail.amazonaws.com", "GetTrailStatus"),
    ("cloudtrail.amazonaws.com", "GetEventSelectors"),
    ("iam.amazonaws.com", "GetAccountPasswordPolicy"),
    ("iam.amazonaws.com", "GetAccountSummary"),
    ("iam.amazonaws.com", "GenerateCredentialReport"),
    ("iam.amazonaws.com", "GetCredentialReport"),
    ("ec2.amazonaws.com", "GetEbsEncryptionByDefault"),
    ("ec2.amazonaws.com", "DescribeFlowLogs"),
    ("ec2.amazonaws.com", "DescribeVpcs"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("s3.amazonaws.com", "GetAccountPublicAccessBlock"),
    ("s3.amazonaws.com", "GetBucketPublicAccessBlock"),
    ("s3.amazonaws.com", "GetBucketPolicy"),
    ("config.amazonaws.com", "DescribeConfigurationRecorders"),
    ("kms.amazonaws.com", "GetKeyRotationStatus"),
    ("guardduty.amazonaws.com", "ListDetectors"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
]

_GUARDDUTY_READS = [
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeImages"),
    ("ec2.amazonaws.com", "DescribeVpcEndpoints"),
    ("ec2.amazonaws.com", "DescribeRouteTables"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("s3.amazonaws.com", "GetBucketPolicy"),
    ("s3.amazonaws.com", "GetBucketAcl"),
    ("s3.amazonaws.com", "GetBucketPublicAccessBlock"),
    ("s3.amazonaws.com", "GetBucketLocation"),
    ("organizations.amazonaws.com", "DescribeOrganization"),
]


def securityhub_checks(ctx: Context, start: datetime) -> list[Record]:
    """Security Hub's service-linked role reads what its controls (CIS, FSBP) evaluate."""
    return _service_linked_reads(
        ctx,
        start,
        "securityhub.amazonaws.com",
        ("AWSServiceRoleForSecurityHub", "securityhub"),
        lambda: ctx.rng.choices(_SECURITY_HUB_CHECKS, k=ctx.rng.randint(4, 25)),
    )


def guardduty_reads(ctx: Context, start: datetime) -> list[Record]:
    """GuardDuty's service-linked role reads the instances, images and buckets it reports on."""
    return _service_linked_reads(
        ctx,
        start,
        "guardduty.amazonaws.com",
        ("AWSServiceRoleForAmazonGuardDuty", "GuardDuty"),
        lambda: ctx.rng.choices(_GUARDDUTY_READS, k=ctx.rng.randint(2, 12)),
    )


def _service_linked_reads(
    ctx: Context, start: datetime, service: str, role: tuple[str, str], draw: Callable[[], list[Api]]
) -> list[Record]:
    """A service reads in one account through its service-linked role ``(role name, session name)``."""
    account = ctx.rng.choice(ctx.org.accounts)
    session = ctx.org.session(service_linked_role(account, service, role[0]), role[1], start)
    identity = ct.assumed_role(session, invoked_by=service)
    return reads(
        ctx, identity, Clock(ctx.rng, start), account, draw(), ip=service, agent=service, pace=(0.1, 5)
    )


def backup_job(ctx: Context, start: datetime) -> list[Record]:
    """The nightly AWS Backup plan: Backup assumes its service role, snapshots volumes and the
    database cluster, tags them, waits, and deletes the recovery points past retention."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod"))
    service = "backup.amazonaws.com"
    session = ctx.org.session(
        service_role(account, "AWSBackupDefaultServiceRole"), "AWSBackup-AWSBackupDefaultServiceRole", start
    )
    records = assume_role(ctx, ct.aws_service(service), session, start, service, service)
    identity = ct.assumed_role(session, invoked_by=service)

    def call(source: str, name: str, request: Any = None, pause: tuple[float, float] = (0.5, 10)) -> Record:
        return ctx.call(
            identity,
            clock.tick(*pause),
            source,
            name,
            account=account.id,
            ip=service,
            agent=service,
            request=request,
        )

    for _ in range(ctx.rng.randint(1, 4)):
        volume = f"vol-0{ctx.hex(16)}"
        snapshot = f"snap-0{ctx.hex(16)}"
        records.append(
            call(
                "ec2.amazonaws.com",
                "CreateSnapshot",
                {"volumeId": volume, "description": "This snapshot is created by the AWS Backup service."},
            )
        )
        records.append(
            call(
                "ec2.amazonaws.com",
                "CreateTags",
                {
                    "resourcesSet": {"items": [{"resourceId": snapshot}]},
                    "tagSet": {"items": [{"key": "aws:backup:source-resource", "value": volume}]},
                },
            )
        )
        records += [
            call(
                "ec2.amazonaws.com",
                "DescribeSnapshots",
                {"snapshotSet": {"items": [{"snapshotId": snapshot}]}},
                (30, 120),
            )
            for _ in range(ctx.rng.randint(1, 5))
        ]
    if account.databases:
        cluster = account.databases[0]
        records.append(
            call(
                "rds.amazonaws.com",
                "CreateDBClusterSnapshot",
                {
                    "dBClusterIdentifier": cluster,
                    "dBClusterSnapshotIdentifier": f"awsbackup:job-{ctx.ids.uuid()}",
                },
            )
        )
        records += [
            call(
                "rds.amazonaws.com", "DescribeDBClusterSnapshots", {"dBClusterIdentifier": cluster}, (30, 120)
            )
            for _ in range(ctx.rng.randint(1, 4))
        ]
        records.append(
            call(
                "rds.amazonaws.com",
                "DeleteDBClusterSnapshot",
                {"dBClusterSnapshotIdentifier": f"awsbackup:job-{ctx.ids.uuid()}"},
            )
        )
    records.append(call("ec2.amazonaws.com", "DeleteSnapshot", {"snapshotId": f"snap-0{ctx.hex(16)}"}))
    return records


def autoscaling(ctx: Context, start: datetime) -> list[Record]:
    """Auto Scaling's service-linked role scales a group out or in: RunInstances or
    TerminateInstances, load balancer registration, then EC2 hands the new instance its role."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    service = "autoscaling.amazonaws.com"
    role = service_linked_role(account, service, "AWSServiceRoleForAutoScaling")
    identity = ct.assumed_role(ctx.org.session(role, "AutoScaling", start), invoked_by=service)
    instance = f"i-0{ctx.hex(16)}"
    group = f"{account.name}-asg"
    target_group = (
        f"arn:aws:elasticloadbalancing:{HOME_REGION}:{account.id}:targetgroup/{account.name}/{ctx.hex(16)}"
    )

    def call(source: str, name: str, request: Any) -> Record:
        return ctx.call(
            identity,
            clock.tick(0.5, 20),
            source,
            name,
            account=account.id,
            ip=service,
            agent=service,
            request=request,
        )

    if ctx.chance(0.5):
        records = [
            call(
                "ec2.amazonaws.com",
                "RunInstances",
                {
                    "instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
                    "launchTemplate": {"launchTemplateId": f"lt-0{ctx.hex(16)}", "version": "$Latest"},
                    "instanceType": ctx.rng.choice(("m6i.large", "c6i.xlarge", "t3.medium")),
                    "tagSpecificationSet": {
                        "items": [
                            {
                                "resourceType": "instance",
                                "tags": [{"key": "aws:autoscaling:groupName", "value": group}],
                            }
                        ]
                    },
                },
            ),
            call(
                "ec2.amazonaws.com",
                "DescribeInstances",
                {"instancesSet": {"items": [{"instanceId": instance}]}},
            ),
            call(
                "elasticloadbalancing.amazonaws.com",
                "RegisterTargets",
                {"targetGroupArn": target_group, "targets": [{"id": instance}]},
            ),
        ]
        session = ctx.org.session(Role(account.id, "app-instance-role"), instance, clock.tick(20, 90))
        return records + assume_role(
            ctx,
            ct.aws_service("ec2.amazonaws.com"),
            session,
            session.created,
            "ec2.amazonaws.com",
            "ec2.amazonaws.com",
        )
    return [
        call(
            "elasticloadbalancing.amazonaws.com",
            "DeregisterTargets",
            {"targetGroupArn": target_group, "targets": [{"id": instance}]},
        ),
        call(
            "ec2.amazonaws.com", "TerminateInstances", {"instancesSet": {"items": [{"instanceId": instance}]}}
        ),
    ]
