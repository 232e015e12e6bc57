"""The central log bucket that every account of the organization delivers to.

AWS services deliver with their own service principals, which are not members of the
organization, so ``aws:PrincipalOrgID`` cannot scope them: they are scoped with
``aws:SourceOrgID`` (the organization of the account that owns the trail, flow log or
detector) instead. Firehose streams of the member stack write with an IAM role that *is*
in the organization, so they are scoped with ``aws:PrincipalOrgID`` plus the role name.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import DEAD_LETTER_PREFIX, Config
from infra.nag import suppress

CLOUDTRAIL = "cloudtrail.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
GUARDDUTY = "guardduty.amazonaws.com"


def firehose_role_name_pattern(config: Config) -> str:
    """Roles of the member stack are named ``<namePrefix>-findings-delivery-<region>``."""
    return f"{config.name_prefix}-findings-delivery-*"


class LogStorage(Construct):
    """The log bucket (new or existing), its KMS key and its access-log bucket."""

    bucket: s3.IBucket
    key: kms.IKey | None

    def __init__(self, scope: Construct, construct_id: str, config: Config) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        if config.log_bucket_name:
            self._import_bucket(config)
        else:
            self._create_bucket(config)

    def _import_bucket(self, config: Config) -> None:
        # An existing bucket keeps its own policy and key policy: docs/deploy.md lists
        # the statements its owner must add for organization delivery.
        self.key = (
            kms.Key.from_key_arn(self, "ImportedKey", config.log_bucket_key_arn)
            if config.log_bucket_key_arn
            else None
        )
        self.bucket = s3.Bucket.from_bucket_attributes(
            self, "ImportedBucket", bucket_name=config.log_bucket_name, encryption_key=self.key
        )

    def _create_bucket(self, config: Config) -> None:
        key = kms.Key(
            self,
            "LogKey",
            alias=f"alias/{config.name_prefix}-logs",
            description="Encrypts the SIEM log bucket (organization log delivery)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        access_logs = self._access_log_bucket(config)
        bucket = s3.Bucket(
            self,
            "LogBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="log-bucket/",
            lifecycle_rules=self._lifecycle_rules(config),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key, self.bucket = key, bucket
        self._allow_organization_delivery(bucket, key)

    def _access_log_bucket(self, config: Config) -> s3.Bucket:
        # S3 server access logs can only be delivered to an SSE-S3 bucket, hence no CMK here.
        bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        suppress(
            bucket,
            "AwsSolutions-S1",
            "This bucket is the server access log target of the log bucket; logging it to itself would loop.",
        )
        return bucket

    @staticmethod
    def _lifecycle_rules(config: Config) -> list[s3.LifecycleRule]:
        rules = [
            s3.LifecycleRule(
                id="expire-logs",
                expiration=Duration.days(config.log_retention_days),
                abort_incomplete_multipart_upload_after=Duration.days(7),
                # Glacier Instant Retrieval bills 90 days minimum: only worth it for long retention.
                transitions=(
                    [
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(90),
                        )
                    ]
                    if config.log_retention_days > 180
                    else []
                ),
            ),
            s3.LifecycleRule(
                id="expire-dead-letters",
                prefix=DEAD_LETTER_PREFIX,
                expiration=Duration.days(min(config.log_retention_days, 90)),
            ),
        ]
        return rules

    # -- organization write access ---------------------------------------------------------

    def _allow_organization_delivery(self, bucket: s3.Bucket, key: kms.Key) -> None:
        org = {"aws:SourceOrgID": self._config.organization_id}
        owner_full_control = {"s3:x-amz-acl": "bucket-owner-full-control"}
        prefixes = self._config.prefixes
        self._allow_service(
            bucket,
            CLOUDTRAIL,
            ["s3:GetBucketAcl"],
            f"{prefixes['cloudtrail']}AWSLogs/*",
            {**org, **owner_full_control},
        )
        self._allow_service(
            bucket,
            LOG_DELIVERY,
            ["s3:GetBucketAcl", "s3:ListBucket"],
            f"{prefixes['vpcflow']}AWSLogs/*",
            {**org, **owner_full_control},
        )
        self._allow_service(bucket, GUARDDUTY, ["s3:GetBucketLocation"], f"{prefixes['guardduty']}*", org)
        self._allow_firehose_roles(bucket)
        self._allow_key_use(key)

    def _allow_service(
        self,
        bucket: s3.Bucket,
        service: str,
        bucket_actions: list[str],
        object_pattern: str,
        put_conditions: dict[str, str],
    ) -> None:
        principal = iam.ServicePrincipal(service)
        org = {"aws:SourceOrgID": self._config.organization_id}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal],
                actions=bucket_actions,
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": org},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(object_pattern)],
                conditions={"StringEquals": put_conditions},
            )
        )

    def _firehose_role_conditions(self) -> dict[str, dict[str, str]]:
        return {
            "StringEquals": {"aws:PrincipalOrgID": self._config.organization_id},
            "ArnLike": {
                "aws:PrincipalArn": f"arn:{Aws.PARTITION}:iam::*:role/{firehose_role_name_pattern(self._config)}"
            },
        }

    def _allow_firehose_roles(self, bucket: s3.Bucket) -> None:
        prefixes = self._config.prefixes
        conditions = self._firehose_role_conditions()
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
                conditions=conditions,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[
                    bucket.arn_for_objects(f"{prefixes['guardduty']}*"),
                    bucket.arn_for_objects(f"{prefixes['securityhub']}*"),
                ],
                conditions=conditions,
            )
        )

    def _allow_key_use(self, key: kms.Key) -> None:
        org = {"aws:SourceOrgID": self._config.organization_id}
        for service, actions in (
            (CLOUDTRAIL, ["kms:GenerateDataKey*", "kms:DescribeKey"]),
            (LOG_DELIVERY, ["kms:GenerateDataKey*", "kms:Decrypt", "kms:DescribeKey"]),
            (GUARDDUTY, ["kms:GenerateDataKey"]),
        ):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=actions,
                    resources=["*"],
                    conditions={"StringEquals": org},
                )
            )
        firehose = self._firehose_role_conditions()
        firehose["StringEquals"] = {
            **firehose["StringEquals"],
            "kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com",
        }
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions=firehose,
            )
        )
