"""Read-only API calls as the trail records them: the event source, the name, the request.

Catalogues of the reads each kind of caller makes (Terraform refreshing state, a security
scanner, AWS Config describing a changed resource...), with request parameters in the form
CloudTrail logs them (``instancesSet``/``filterSet`` for EC2's query API, ``bucketName`` and
``Host`` for S3, camelCase for JSON APIs). :func:`read_calls` turns a catalogue into records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from demo.benign.calls import (
    EC2_THROTTLED,
    EC2_UNAUTHORIZED,
    S3_NOT_CONFIGURED,
    THROTTLED,
    Clock,
    Context,
    Error,
)
from demo.benign.org import HOME_REGION, Account

Record = dict[str, Any]
Api = tuple[str, str]
"""``(eventSource, eventName)``."""


def _ec2(*names: str) -> list[Api]:
    return [("ec2.amazonaws.com", name) for name in names]


def _s3(*names: str) -> list[Api]:
    return [("s3.amazonaws.com", name) for name in names]


def _iam(*names: str) -> list[Api]:
    return [("iam.amazonaws.com", name) for name in names]


TERRAFORM_REFRESH: list[Api] = [
    *_ec2(
        "DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups", "DescribeSecurityGroupRules",
        "DescribeRouteTables", "DescribeVpcAttribute", "DescribeNetworkAcls", "DescribeInstances",
        "DescribeInstanceAttribute", "DescribeLaunchTemplates", "DescribeLaunchTemplateVersions",
        "DescribeVolumes", "DescribeTags", "DescribeAvailabilityZones", "DescribeVpcEndpoints",
        "DescribeNatGateways", "DescribeInternetGateways", "DescribePrefixLists", "DescribeImages",
    ),
    *_iam(
        "GetRole", "ListRolePolicies", "ListAttachedRolePolicies", "GetRolePolicy", "GetPolicy",
        "GetPolicyVersion", "ListInstanceProfilesForRole", "GetInstanceProfile", "GetOpenIDConnectProvider",
    ),
    *_s3(
        "GetBucketAcl", "GetBucketPolicy", "GetBucketVersioning", "GetBucketEncryption", "GetBucketTagging",
        "GetBucketLogging", "GetBucketLifecycle", "GetBucketPublicAccessBlock", "GetBucketCors",
        "GetBucketWebsite", "GetBucketReplication", "GetObjectLockConfiguration", "GetAccelerateConfiguration",
        "GetBucketRequestPayment", "GetBucketOwnershipControls", "GetBucketLocation",
    ),
    ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ("lambda.amazonaws.com", "GetPolicy20150331v2"),
    ("lambda.amazonaws.com", "ListVersionsByFunction20150331"),
    ("lambda.amazonaws.com", "GetFunctionCodeSigningConfig"),
    ("kms.amazonaws.com", "DescribeKey"),
    ("kms.amazonaws.com", "GetKeyPolicy"),
    ("kms.amazonaws.com", "GetKeyRotationStatus"),
    ("kms.amazonaws.com", "ListResourceTags"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("logs.amazonaws.com", "ListTagsForResource"),
    ("rds.amazonaws.com", "DescribeDBClusters"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("rds.amazonaws.com", "DescribeDBSubnetGroups"),
    ("rds.amazonaws.com", "ListTagsForResource"),
    ("route53.amazonaws.com", "GetHostedZone"),
    ("route53.amazonaws.com", "ListResourceRecordSets"),
    ("route53.amazonaws.com", "ListTagsForResource"),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers"),
    ("elasticloadbalancing.amazonaws.com", "DescribeTargetGroups"),
    ("elasticloadbalancing.amazonaws.com", "DescribeListeners"),
    ("elasticloadbalancing.amazonaws.com", "DescribeTags"),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancerAttributes"),
    ("dynamodb.amazonaws.com", "DescribeTable"),
    ("dynamodb.amazonaws.com", "DescribeContinuousBackups"),
    ("dynamodb.amazonaws.com", "DescribeTimeToLive"),
    ("dynamodb.amazonaws.com", "ListTagsOfResource"),
    ("sqs.amazonaws.com", "GetQueueAttributes"),
    ("sns.amazonaws.com", "GetTopicAttributes"),
    ("ssm.amazonaws.com", "GetParameter"),
    ("events.amazonaws.com", "DescribeRule"),
    ("events.amazonaws.com", "ListTargetsByRule"),
]  # fmt: skip

SECURITY_SCAN: list[Api] = [
    *_ec2(
        "DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes", "DescribeSnapshots",
        "DescribeImages", "DescribeFlowLogs", "DescribeVpcs", "DescribeNetworkAcls",
        "DescribeVpcEndpoints", "DescribeAddresses", "GetEbsEncryptionByDefault",
        "DescribeSnapshotAttribute", "DescribeInstanceAttribute", "DescribeRegions",
    ),
    *_iam(
        "ListUsers", "ListRoles", "ListPolicies", "GetAccountPasswordPolicy", "GetAccountSummary",
        "ListMFADevices", "ListAccessKeys", "GetAccessKeyLastUsed", "GenerateCredentialReport",
        "GetCredentialReport", "ListAttachedUserPolicies", "ListUserPolicies", "ListSAMLProviders",
        "ListOpenIDConnectProviders", "ListServerCertificates", "GetAccountAuthorizationDetails",
    ),
    *_s3(
        "ListBuckets", "GetBucketAcl", "GetBucketPolicy", "GetBucketEncryption", "GetBucketLogging",
        "GetBucketVersioning", "GetBucketPublicAccessBlock", "GetBucketPolicyStatus", "GetBucketLocation",
        "GetAccountPublicAccessBlock",
    ),
    ("cloudtrail.amazonaws.com", "DescribeTrails"),
    ("cloudtrail.amazonaws.com", "GetTrailStatus"),
    ("cloudtrail.amazonaws.com", "GetEventSelectors"),
    ("config.amazonaws.com", "DescribeConfigurationRecorders"),
    ("config.amazonaws.com", "DescribeConfigurationRecorderStatus"),
    ("guardduty.amazonaws.com", "ListDetectors"),
    ("securityhub.amazonaws.com", "DescribeHub"),
    ("kms.amazonaws.com", "ListKeys"),
    ("kms.amazonaws.com", "DescribeKey"),
    ("kms.amazonaws.com", "GetKeyRotationStatus"),
    ("kms.amazonaws.com", "ListAliases"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("rds.amazonaws.com", "DescribeDBSnapshots"),
    ("rds.amazonaws.com", "DescribeDBClusterSnapshots"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("lambda.amazonaws.com", "GetPolicy20150331v2"),
    ("secretsmanager.amazonaws.com", "ListSecrets"),
    ("ssm.amazonaws.com", "DescribeParameters"),
    ("ssm.amazonaws.com", "DescribeInstanceInformation"),
    ("ecr.amazonaws.com", "DescribeRepositories"),
    ("ecs.amazonaws.com", "ListClusters"),
    ("eks.amazonaws.com", "ListClusters"),
    ("sns.amazonaws.com", "ListTopics"),
    ("sqs.amazonaws.com", "ListQueues"),
    ("ses.amazonaws.com", "ListIdentities"),
    ("ses.amazonaws.com", "GetSendQuota"),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers"),
    ("elasticfilesystem.amazonaws.com", "DescribeFileSystems"),
    ("dynamodb.amazonaws.com", "ListTables"),
    ("acm.amazonaws.com", "ListCertificates"),
    ("access-analyzer.amazonaws.com", "ListAnalyzers"),
    ("backup.amazonaws.com", "ListBackupPlans"),
    ("account.amazonaws.com", "GetContactInformation"),
]  # fmt: skip

ORGANIZATION_READS: list[Api] = [
    ("organizations.amazonaws.com", name)
    for name in (
        "DescribeOrganization", "ListAccounts", "ListRoots", "ListOrganizationalUnitsForParent",
        "ListAccountsForParent", "ListPoliciesForTarget", "DescribePolicy", "ListDelegatedAdministrators",
        "ListAWSServiceAccessForOrganization", "DescribeAccount",
    )
]  # fmt: skip

MONITORING: list[Api] = [
    ("monitoring.amazonaws.com", "GetMetricData"),
    ("monitoring.amazonaws.com", "GetMetricData"),
    ("monitoring.amazonaws.com", "GetMetricData"),
    ("monitoring.amazonaws.com", "GetMetricData"),
    ("monitoring.amazonaws.com", "ListMetrics"),
    ("monitoring.amazonaws.com", "DescribeAlarms"),
    ("tagging.amazonaws.com", "GetResources"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeInstanceStatus"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers"),
    ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("sqs.amazonaws.com", "ListQueues"),
    ("dynamodb.amazonaws.com", "ListTables"),
    ("ecs.amazonaws.com", "ListClusters"),
    ("ecs.amazonaws.com", "DescribeServices"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
]

CONSOLE_BROWSING: list[Api] = [
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeInstanceStatus"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("ec2.amazonaws.com", "DescribeVpcs"),
    ("ec2.amazonaws.com", "DescribeAccountAttributes"),
    ("ec2.amazonaws.com", "DescribeRegions"),
    ("monitoring.amazonaws.com", "DescribeAlarms"),
    ("monitoring.amazonaws.com", "GetMetricData"),
    ("monitoring.amazonaws.com", "GetDashboard"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("logs.amazonaws.com", "DescribeLogStreams"),
    ("logs.amazonaws.com", "StartQuery"),
    ("logs.amazonaws.com", "GetQueryResults"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ("lambda.amazonaws.com", "GetAccountSettings20160819"),
    ("ecs.amazonaws.com", "ListClusters"),
    ("ecs.amazonaws.com", "ListServices"),
    ("ecs.amazonaws.com", "DescribeServices"),
    ("ecs.amazonaws.com", "DescribeTasks"),
    ("cloudformation.amazonaws.com", "DescribeStacks"),
    ("cloudformation.amazonaws.com", "ListStacks"),
    ("cloudformation.amazonaws.com", "DescribeStackEvents"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("s3.amazonaws.com", "GetBucketLocation"),
    ("rds.amazonaws.com", "DescribeDBClusters"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("dynamodb.amazonaws.com", "DescribeTable"),
    ("sqs.amazonaws.com", "ListQueues"),
    ("sqs.amazonaws.com", "GetQueueAttributes"),
    ("health.amazonaws.com", "DescribeEventAggregates"),
    ("ce.amazonaws.com", "GetCostAndUsage"),
    ("servicecatalog-appregistry.amazonaws.com", "ListApplications"),
    ("notifications.amazonaws.com", "ListNotificationEvents"),
    ("iam.amazonaws.com", "GetAccountSummary"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
]

CLI_INVESTIGATION: list[Api] = [
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("logs.amazonaws.com", "FilterLogEvents"),
    ("logs.amazonaws.com", "DescribeLogStreams"),
    ("logs.amazonaws.com", "GetLogEvents"),
    ("ecs.amazonaws.com", "ListTasks"),
    ("ecs.amazonaws.com", "DescribeTasks"),
    ("ecs.amazonaws.com", "DescribeServices"),
    ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ("cloudformation.amazonaws.com", "DescribeStacks"),
    ("dynamodb.amazonaws.com", "DescribeTable"),
    ("sqs.amazonaws.com", "GetQueueAttributes"),
    ("ssm.amazonaws.com", "DescribeInstanceInformation"),
    ("monitoring.amazonaws.com", "GetMetricStatistics"),
]


def request_for(source: str, name: str, account: Account, region: str) -> Any:
    """The request parameters of a read, in CloudTrail's form (``None`` where AWS logs none)."""
    service = source.split(".", 1)[0]
    if service == "s3" and name not in ("ListBuckets", "GetAccountPublicAccessBlock"):
        bucket = account.buckets[0] if account.buckets else f"config-bucket-{account.id}"
        return {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.{region}.amazonaws.com",
            _S3_SUBRESOURCE.get(name, "acl"): "",
        }
    if service == "ec2":
        if name == "DescribeInstanceAttribute":
            instance = account.instances[0] if account.instances else "i-0000000000000000"
            return {"instanceId": instance, "attribute": "userData"}
        if name.startswith("Describe") and name not in ("DescribeRegions", "DescribeAccountAttributes"):
            return {"maxResults": 1000, "filterSet": {}}
        return None
    if service == "iam" and name.startswith(("GetRole", "ListRolePolicies", "ListAttachedRolePolicies")):
        return {"roleName": f"{account.name}-app"}
    if service == "lambda" and name.startswith(("GetFunction", "GetPolicy", "ListVersions")):
        function = account.functions[0] if account.functions else f"{account.name}-fn"
        return {"functionName": function}
    if service == "kms" and name in (
        "DescribeKey",
        "GetKeyPolicy",
        "GetKeyRotationStatus",
        "ListResourceTags",
    ):
        return {"keyId": f"arn:aws:kms:{region}:{account.id}:alias/{account.name}"}
    if service == "logs" and name == "DescribeLogGroups":
        return {"logGroupNamePrefix": f"/aws/lambda/{account.name}"}
    if service == "monitoring" and name == "GetMetricData":
        return {"metricDataQueries": [{"id": "m0", "returnData": True}], "scanBy": "TimestampDescending"}
    if service == "cloudtrail" and name in ("GetTrailStatus", "GetEventSelectors"):
        return {"trailName": "organization-trail"}
    if service == "rds" and name.startswith("DescribeDB"):
        return {"maxRecords": 100}
    return None


_S3_SUBRESOURCE = {
    "GetBucketPolicy": "policy",
    "GetBucketVersioning": "versioning",
    "GetBucketEncryption": "encryption",
    "GetBucketTagging": "tagging",
    "GetBucketLogging": "logging",
    "GetBucketLifecycle": "lifecycle",
    "GetBucketPublicAccessBlock": "publicAccessBlock",
    "GetBucketCors": "cors",
    "GetBucketWebsite": "website",
    "GetBucketReplication": "replication",
    "GetObjectLockConfiguration": "object-lock",
    "GetAccelerateConfiguration": "accelerate",
    "GetBucketRequestPayment": "requestPayment",
    "GetBucketOwnershipControls": "ownershipControls",
    "GetBucketLocation": "location",
    "GetBucketPolicyStatus": "policyStatus",
}

GLOBAL_SERVICES = frozenset({"iam", "organizations", "route53", "account", "ce"})
"""Services whose calls CloudTrail records in us-east-1 whatever the caller's region."""

ErrorRule = Callable[[Context, str, str], Error | None]


def routine_errors(ctx: Context, source: str, name: str) -> Error | None:
    """The failures a reader meets every day: unset S3 settings, throttling."""
    if source == "s3.amazonaws.com" and name in S3_NOT_CONFIGURED and ctx.chance(0.6):
        return S3_NOT_CONFIGURED[name]
    if ctx.chance(0.004):
        return EC2_THROTTLED if source == "ec2.amazonaws.com" else THROTTLED
    return None


def denied_outside(allowed: tuple[str, ...], caller_arn: str) -> ErrorRule:
    """A read-only role whose policy covers ``allowed`` services only: the rest is AccessDenied."""

    def rule(ctx: Context, source: str, name: str) -> Error | None:
        service = source.split(".", 1)[0]
        if service not in allowed:
            if service == "ec2":
                return EC2_UNAUTHORIZED
            return _denied(caller_arn, service, name)
        return routine_errors(ctx, source, name)

    return rule


def _denied(caller_arn: str, service: str, name: str) -> Error:
    action = name.removesuffix("20150331").removesuffix("20150331v2").removesuffix("20160819")
    prefix = {"monitoring": "cloudwatch", "elasticloadbalancing": "elasticloadbalancing"}.get(
        service, service
    )
    return (
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: {prefix}:{action} on resource: * "
        f"because no identity-based policy allows the {prefix}:{action} action",
    )


def read_calls(
    ctx: Context,
    identity: Record,
    clock: Clock,
    account: Account,
    apis: Sequence[Api],
    count: int,
    **how: Any,
) -> list[Record]:
    """``count`` reads drawn from the catalogue ``apis`` (with repeats): :func:`reads`."""
    return reads(ctx, identity, clock, account, [ctx.rng.choice(apis) for _ in range(count)], **how)


def reads(
    ctx: Context,
    identity: Record,
    clock: Clock,
    account: Account,
    calls: Sequence[Api],
    *,
    ip: str,
    agent: str | Callable[[str], str],
    region: str | None = None,
    errors: ErrorRule = routine_errors,
    pace: tuple[float, float] = (0.05, 1.5),
) -> list[Record]:
    """One read per ``calls`` item, one after the other, in ``region`` (default: one of the
    account's regions per call; us-east-1 for global services). ``agent`` may depend on the
    service (Terraform names it)."""
    out = []
    for source, name in calls:
        service = source.split(".", 1)[0]
        where = HOME_REGION if service in GLOBAL_SERVICES else region or ctx.rng.choice(account.regions)
        out.append(
            ctx.call(
                identity,
                clock.tick(*pace),
                source,
                name,
                account=account.id,
                ip=ip,
                agent=agent(service) if callable(agent) else agent,
                region=where,
                read_only=True,
                request=request_for(source, name, account, where),
                error=errors(ctx, source, name),
            )
        )
    return out
