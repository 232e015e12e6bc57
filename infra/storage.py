"""The central log bucket that every account of the organization delivers to.

Who may write where (docs/deploy.md, "Trust model"): every key a delivery writes is
``<source prefix>AWSLogs/<account>/...`` and no account can write under another's.

- AWS services deliver with their service principals, scoped by the conditions each
  service documents (``aws:SourceArn``, ``aws:SourceAccount``; ``aws:SourceOrgID`` where
  every account of the organization delivers): the organization trail, the VPC flow logs
  and the AWS Config delivery channels of the organization's accounts, and the GuardDuty
  export of the delegated administrators.
- The Firehose roles of the member stack are IAM roles *in* the organization
  (``aws:PrincipalOrgID``), and each may write only under its own account
  (``${aws:PrincipalAccount}`` in the resource).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.buckets import private_bucket
from infra.config import DEAD_LETTER_PREFIX, Config

CLOUDTRAIL = "cloudtrail.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
GUARDDUTY = "guardduty.amazonaws.com"
CONFIG = "config.amazonaws.com"
OWNER_FULL_CONTROL = {"s3:x-amz-acl": "bucket-owner-full-control"}
# An account id in a key: exactly twelve characters between two slashes.
ANY_ACCOUNT = "?" * 12
# The policy variable IAM replaces with the calling principal's account.
OWN_ACCOUNT = "${aws:PrincipalAccount}"
# The sources the member stack delivers, and the folders its Firehose streams write under
# ``<prefix>AWSLogs/<account>/``: delivered records, and records Firehose could not process.
MEMBER_SOURCES = ("guardduty", "securityhub")
MEMBER_FOLDERS = ("firehose", "firehose-errors")


def firehose_role_name_pattern(config: Config) -> str:
    """Roles of the member stack are named ``<namePrefix>-findings-delivery-<region>``."""
    return f"{config.name_prefix}-findings-delivery-*"


def guardduty_principals(opt_in_regions: tuple[str, ...]) -> list[iam.IPrincipal]:
    """GuardDuty's service principal, and its Regional one in each opt-in Region."""
    return [
        iam.ServicePrincipal(GUARDDUTY),
        *(iam.ServicePrincipal(f"guardduty.{region}.amazonaws.com") for region in opt_in_regions),
    ]


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
            # Evidence nobody can rewrite (docs/deploy.md, "Immutable evidence"): every version
            # is kept, and governance-mode Object Lock forbids deleting or overwriting a
            # version before its retention ends to anyone without s3:BypassGovernanceRetention.
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.governance(
                Duration.days(config.object_lock_retention_days)
            ),
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="log-bucket/",
            lifecycle_rules=self._lifecycle_rules(config),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key, self.bucket = key, bucket
        self._allow_organization_delivery(bucket, key)

    def _access_log_bucket(self, config: Config) -> s3.Bucket:
        # S3 server access logs can only be delivered to an SSE-S3 bucket, hence no CMK here.
        return private_bucket(
            self,
            "AccessLogBucket",
            versioned=False,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
            no_access_logs="This bucket is the server access log target of the log bucket; logging it to "
            "itself would loop.",
        )

    @staticmethod
    def _lifecycle_rules(config: Config) -> list[s3.LifecycleRule]:
        # In a versioned bucket, expiration only adds a delete marker: the version it hides
        # becomes noncurrent and is removed the next day, as is a version replaced by an
        # overwrite, but never while Object Lock retains it (lifecycle cannot bypass it).
        noncurrent = Duration.days(1)
        rules = [
            s3.LifecycleRule(
                id="expire-logs",
                expiration=Duration.days(config.log_retention_days),
                noncurrent_version_expiration=noncurrent,
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
                noncurrent_version_expiration=noncurrent,
            ),
            s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
        ]
        return rules

    # -- organization write access ---------------------------------------------------------

    def _allow_organization_delivery(self, bucket: s3.Bucket, key: kms.Key) -> None:
        self._allow_cloudtrail(bucket, key)
        self._allow_flow_logs(bucket, key)
        self._allow_guardduty_export(bucket, key)
        self._allow_config_delivery(bucket, key)
        self._allow_member_delivery_roles(bucket, key)

    def _allow_cloudtrail(self, bucket: s3.Bucket, key: kms.Key) -> None:
        """The organization trail only (CloudTrail User Guide, "Amazon S3 bucket policy for
        CloudTrail", organization trail; "Configure AWS KMS key policies for CloudTrail").

        An organization trail writes ``<prefix>AWSLogs/<org id>/<account>/CloudTrail/...``; the
        documented policy also admits ``<prefix>AWSLogs/<management account>/``. ``aws:SourceArn``
        is the trail, so a trail of a member account cannot write here.
        """
        config = self._config
        trail = {"aws:SourceArn": config.organization_trail_arn}
        prefix = config.prefixes["cloudtrail"]
        principal = iam.ServicePrincipal(CLOUDTRAIL)
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailAclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": trail},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailWrite",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[
                    bucket.arn_for_objects(f"{prefix}AWSLogs/{config.management_account_id}/*"),
                    bucket.arn_for_objects(f"{prefix}AWSLogs/{config.organization_id}/*"),
                ],
                conditions={"StringEquals": {**trail, **OWNER_FULL_CONTROL}},
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailEncryptLogs",
                principals=[principal],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{Aws.PARTITION}:cloudtrail:*:{config.management_account_id}:trail/*"
                        )
                    },
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailDescribeKey",
                principals=[principal],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": trail},
            )
        )

    def _allow_flow_logs(self, bucket: s3.Bucket, key: kms.Key) -> None:
        """Every organization account's VPC flow logs (VPC User Guide, "Amazon S3 bucket
        permissions for flow logs"; CloudWatch Logs User Guide, "Amazon S3 bucket server-side
        encryption").

        The guide's conditions name each account (``aws:SourceAccount`` and ``aws:SourceArn`` =
        ``arn:aws:logs:<region>:<account>:*``); for every account of an organization the account
        becomes ``aws:SourceOrgID``, which IAM sets wherever it sets ``aws:SourceAccount``. The
        log delivery service writes ``<prefix>AWSLogs/<owner account>/vpcflowlogs/...``: the
        account is the flow log's owner (a destination prefix may not contain ``AWSLogs``), and
        the twelve ``?`` stop another vended log type (its own folder after the account) from
        matching through a ``vpcflowlogs`` folder of its owner's naming.
        """
        prefix = self._config.prefixes["vpcflow"]
        principal = iam.ServicePrincipal(LOG_DELIVERY)
        organization = {"aws:SourceOrgID": self._config.organization_id}
        logs_arn = {"aws:SourceArn": f"arn:{Aws.PARTITION}:logs:*:*:*"}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="FlowLogsAclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": organization, "ArnLike": logs_arn},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="FlowLogsWrite",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{prefix}AWSLogs/{ANY_ACCOUNT}/vpcflowlogs/*")],
                conditions={"StringEquals": {**organization, **OWNER_FULL_CONTROL}, "ArnLike": logs_arn},
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="FlowLogsEncrypt",
                principals=[principal],
                actions=["kms:GenerateDataKey*", "kms:Decrypt", "kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": organization, "ArnLike": logs_arn},
            )
        )

    def _allow_guardduty_export(self, bucket: s3.Bucket, key: kms.Key) -> None:
        """The findings export of each delegated administrator's detectors (GuardDuty User Guide,
        "Exporting findings": bucket policy and key policy, ``aws:SourceAccount`` and
        ``aws:SourceArn``). GuardDuty writes ``<prefix>AWSLogs/<detector account>/GuardDuty/<region>/``.

        Only delegated administrators: their export carries every member's findings, so a
        member's own export would only repeat them, and no other account may write under
        ``<prefix>AWSLogs/<administrator>/``. In an opt-in ("manually enabled") Region GuardDuty
        signs with its Regional endpoint, ``guardduty.<region>.amazonaws.com``, in both the bucket
        and the key policy (same guide, its notes under each policy): those of
        ``guardDutyOptInRegions`` are admitted beside ``guardduty.amazonaws.com``, with the
        same conditions.
        """
        prefix = self._config.prefixes["guardduty"]
        principals = guardduty_principals(self._config.guardduty_opt_in_regions)
        for account in self._config.delegated_admin_account_ids:
            detector = {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:guardduty:*:{account}:detector/*"},
            }
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"GuardDutyBucketLocation{account}",
                    principals=principals,
                    actions=["s3:GetBucketLocation"],
                    resources=[bucket.bucket_arn],
                    conditions=detector,
                )
            )
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"GuardDutyWrite{account}",
                    principals=principals,
                    actions=["s3:PutObject"],
                    resources=[bucket.arn_for_objects(f"{prefix}AWSLogs/{account}/GuardDuty/*")],
                    conditions=detector,
                )
            )
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"GuardDutyEncrypt{account}",
                    principals=principals,
                    actions=["kms:GenerateDataKey"],
                    resources=["*"],
                    conditions=detector,
                )
            )

    def _allow_config_delivery(self, bucket: s3.Bucket, key: kms.Key) -> None:
        """Every organization account's AWS Config delivery channel (AWS Config Developer Guide,
        "Permissions for the Amazon S3 bucket for the AWS Config delivery channel" and "...for
        the KMS key": ``s3:GetBucketAcl``, ``s3:ListBucket``, ``s3:PutObject`` with
        ``bucket-owner-full-control``; ``kms:GenerateDataKey``, ``kms:Decrypt``).

        The guide's ``aws:SourceAccount`` becomes ``aws:SourceOrgID``, as for flow logs. Config
        writes ``<s3KeyPrefix>/AWSLogs/<its account>/Config/...`` (the writability check
        included): the account after ``AWSLogs`` is the service's, the twelve ``?`` pin that
        segment, and since the delivery channel's own ``s3KeyPrefix`` comes *before* it, a
        channel that names ``<config prefix>AWSLogs/<another account>/Config/...`` as its prefix
        makes a key with two ``AWSLogs`` segments, which the deny refuses.
        """
        prefix = self._config.prefixes["config"]
        principal = iam.ServicePrincipal(CONFIG)
        organization = {"aws:SourceOrgID": self._config.organization_id}
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigAclCheck",
                principals=[principal],
                actions=["s3:GetBucketAcl", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringEquals": organization},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigWrite",
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{prefix}AWSLogs/{ANY_ACCOUNT}/Config/*")],
                conditions={"StringEquals": {**organization, **OWNER_FULL_CONTROL}},
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigNoForeignPrefix",
                effect=iam.Effect.DENY,
                principals=[principal],
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{prefix}AWSLogs/*/AWSLogs/*")],
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="ConfigEncrypt",
                principals=[principal],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": organization},
            )
        )

    def _member_role_conditions(self) -> dict[str, dict[str, str]]:
        # The role name is not a trust boundary (any member administrator can create a role of
        # that name): it only keeps the organization's other roles out. What stops account A
        # from writing as account B is ${aws:PrincipalAccount} in the resources.
        return {
            "StringEquals": {"aws:PrincipalOrgID": self._config.organization_id},
            "ArnLike": {
                "aws:PrincipalArn": f"arn:{Aws.PARTITION}:iam::*:role/{firehose_role_name_pattern(self._config)}"
            },
        }

    def _allow_member_delivery_roles(self, bucket: s3.Bucket, key: kms.Key) -> None:
        """The Firehose roles of the member stack: each writes and lists its own account's
        prefix only (``<prefix>AWSLogs/${aws:PrincipalAccount}/firehose/`` and
        ``.../firehose-errors/``, see ``infra.member_stack``)."""
        prefixes = [self._config.prefixes[source] for source in MEMBER_SOURCES]
        conditions = self._member_role_conditions()
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberRolesBucket",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
                conditions=conditions,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberRolesListOwnPrefix",
                principals=[iam.AnyPrincipal()],
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={
                    **conditions,
                    "StringLike": {"s3:prefix": [f"{prefix}AWSLogs/{OWN_ACCOUNT}/*" for prefix in prefixes]},
                },
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberRolesWriteOwnPrefix",
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[
                    bucket.arn_for_objects(f"{prefix}AWSLogs/{OWN_ACCOUNT}/{folder}/*")
                    for prefix in prefixes
                    for folder in MEMBER_FOLDERS
                ],
                conditions=conditions,
            )
        )
        # S3 calls KMS for the role (kms:ViaService): a data key to write, Decrypt to complete a
        # multipart upload. The key cannot tell prefixes apart (with an S3 Bucket Key the
        # encryption context is the bucket), so the bucket policy is what scopes the writes.
        key_conditions = self._member_role_conditions()
        key_conditions["StringEquals"] = {
            **key_conditions["StringEquals"],
            "kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com",
        }
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MemberRolesEncrypt",
                principals=[iam.AnyPrincipal()],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions=key_conditions,
            )
        )
