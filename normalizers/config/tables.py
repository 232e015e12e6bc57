"""AWS Config's names, as data: EventBridge detail-types, message types, item statuses."""

from __future__ import annotations

ITEM_CHANGE = "Config Configuration Item Change"
COMPLIANCE_CHANGE = "Config Rules Compliance Change"
DETAIL_TYPES = frozenset({ITEM_CHANGE, COMPLIANCE_CHANGE})

ITEM_NOTIFICATION = "ConfigurationItemChangeNotification"
OVERSIZED_NOTIFICATION = "OversizedConfigurationItemChangeNotification"
COMPLIANCE_NOTIFICATION = "ComplianceChangeNotification"

RESOURCE_COMPLIANCE = "AWS::Config::ResourceCompliance"
"""The item Config records for a resource's compliance with its rules (one per resource)."""

# configurationItemStatus -> ECS event.type. "OK" is the API's name for a discovered or
# updated item; the deleted statuses mean the resource is gone (or no longer recorded).
EVENT_TYPES: dict[str, str] = {
    "ResourceDiscovered": "creation",
    "OK": "change",
    "ResourceNotRecorded": "info",
    "ResourceDeleted": "deletion",
    "ResourceDeletedNotRecorded": "deletion",
}

# A rule's category is the AWS service it checks, read from its name (docs/sources/config.md,
# "Rules"). The rules that a service manages carry its prefix, which says nothing of what the
# rule checks, so it is dropped first.
MANAGER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("securityhub-", "securityhub"),
    ("OrgConfigRule-", "organizations"),
    ("FMS_", "firewall-manager"),
)

# Then the name's first words, as AWS Config's managed rules are named: most start with their
# service ("s3-bucket-versioning-enabled", "iam-password-policy"); a few well-known ones say
# what they check instead ("restricted-ssh" checks EC2 security groups). Whole words only
# ("elb" is not "elbv2-..."), the longest entry wins; a name matching none (a custom rule,
# "team-a-check") has no category rather than a guessed one.
RULE_CATEGORIES: dict[str, str] = {
    **{
        service: service
        for service in (
            "acm",
            "autoscaling",
            "backup",
            "cloudformation",
            "cloudfront",
            "cloudtrail",
            "cloudwatch",
            "codebuild",
            "dms",
            "dynamodb",
            "ec2",
            "ecr",
            "ecs",
            "efs",
            "eks",
            "elasticache",
            "emr",
            "guardduty",
            "iam",
            "kinesis",
            "kms",
            "lambda",
            "opensearch",
            "rds",
            "redshift",
            "s3",
            "sagemaker",
            "secretsmanager",
            "sns",
            "sqs",
            "ssm",
            "vpc",
            "waf",
        )
    },
    "alb": "elb",
    "elb": "elb",
    "elbv2": "elb",
    "api-gw": "apigateway",
    "cw": "cloudwatch",
    "ebs": "ec2",
    "elasticsearch": "opensearch",
    "wafv2": "waf",
    # Managed rules named after what they check.
    "access-keys-rotated": "iam",
    "mfa-enabled-for-iam-console-access": "iam",
    "root-account": "iam",
    "restricted-ssh": "ec2",
    "restricted-common-ports": "ec2",
    "restricted-incoming-traffic": "ec2",
    "incoming-ssh-disabled": "ec2",
    "encrypted-volumes": "ec2",
    "approved-amis": "ec2",
    "desired-instance": "ec2",
    "instances-in-vpc": "ec2",
    "eip-attached": "ec2",
    "multi-region-cloudtrail-enabled": "cloudtrail",
    "db-instance-backup-enabled": "rds",
    "cmk-backing-key-rotation-enabled": "kms",
}

# The item's members in the S3 delivery / notification shape -> the API shape
# (botocore's ConfigurationItem): one mapping reads both.
API_NAMES: tuple[tuple[str, str], ...] = (
    ("awsAccountId", "accountId"),
    ("ARN", "arn"),
    ("configurationItemVersion", "version"),
    ("configurationStateMd5Hash", "configurationItemMD5Hash"),
)

NO_ZONE = frozenset({"Not Applicable", "Multiple Availability Zones", "Regional"})
"""``availabilityZone`` values that name no zone."""
