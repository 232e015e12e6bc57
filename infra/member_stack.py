"""The optional member-account stack: GuardDuty and Security Hub findings -> Firehose -> the central bucket.

It has no assets and no bootstrap dependency (``BootstraplessSynthesizer``), so its
synthesized template is what a service-managed StackSet deploys to every account and
region of the organization. The central bucket and key are parameters because a new
bucket's name is only known after the central stack is deployed.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, BootstraplessSynthesizer, CfnParameter, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import Config
from infra.nag import suppress
from infra.storage import MEMBER_FOLDERS

# (source, EventBridge source, detail-types) of the findings the stack forwards. Security
# Hub's OCSF findings come as "Findings Imported V2" (docs/sources/securityhub.md).
FINDING_RULES = (
    ("guardduty", "aws.guardduty", ("GuardDuty Finding",)),
    ("securityhub", "aws.securityhub", ("Security Hub Findings - Imported", "Findings Imported V2")),
)
BUFFER_SECONDS = 300
BUFFER_MIB = 5


class MemberFindingsStack(Stack):
    """Deployed in each member account and region (directly or through StackSets)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, synthesizer=BootstraplessSynthesizer(), **kwargs)
        self._config = config
        self.bucket_name = CfnParameter(
            self, "LogBucketName", description="Name of the central SIEM log bucket (output LogBucketName)"
        ).value_as_string
        self.key_arn = CfnParameter(
            self,
            "LogBucketKeyArn",
            description="ARN of the central log bucket's KMS key (output LogBucketKeyArn)",
        ).value_as_string
        self.prefixes = {
            source: CfnParameter(
                self,
                _prefix_parameter(source),
                default=config.prefixes[source],
                description=f"Key prefix for {source} findings in the central bucket",
            ).value_as_string
            for source, _, _ in FINDING_RULES
        }
        self.bucket_arn = f"arn:{Aws.PARTITION}:s3:::{self.bucket_name}"
        self.log_group = logs.LogGroup(
            self,
            "DeliveryLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.log_stream = logs.LogStream(
            self, "DeliveryLogStream", log_group=self.log_group, log_stream_name="S3Delivery"
        )
        self.delivery_role = self._delivery_role()
        self.streams = {source: self._stream(source) for source, _, _ in FINDING_RULES}
        self._rules()

    def _account_prefix(self, source: str) -> str:
        """``<prefix>AWSLogs/<this account>/``: the only part of the bucket this account writes."""
        return f"{self.prefixes[source]}AWSLogs/{Aws.ACCOUNT_ID}/"

    def _delivery_role(self) -> iam.Role:
        # The central bucket policy admits roles of this name pattern from the organization,
        # each under its own account's prefix only (infra.storage).
        role = iam.Role(
            self,
            "DeliveryRole",
            role_name=f"{self._config.name_prefix}-findings-delivery-{Aws.REGION}",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}
            ),
            description="Firehose: deliver GuardDuty and Security Hub findings to the central SIEM bucket",
        )
        sources = [source for source, _, _ in FINDING_RULES]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[
                    f"{self.bucket_arn}/{self._account_prefix(source)}{folder}/{Aws.REGION}/*"
                    for source in sources
                    for folder in MEMBER_FOLDERS
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                resources=[self.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{self._account_prefix(s)}*" for s in sources]}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:PutLogEvents"],
                resources=[
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{self.log_group.log_group_name}:"
                    f"log-stream:{self.log_stream.log_stream_name}"
                ],
            )
        )
        suppress(
            role,
            "AwsSolutions-IAM5",
            "Firehose names each object it writes, so the key ends in a wildcard; the wildcard stays inside "
            "this account's and region's own folders (<prefix>AWSLogs/<this account>/firehose/<region>/ and "
            "firehose-errors/<region>/). The central bucket policy enforces the same account scoping "
            "with ${aws:PrincipalAccount}, whatever this policy says.",
            findings=[
                f"Resource::arn:<AWS::Partition>:s3:::<LogBucketName>/<{_prefix_parameter(source)}>AWSLogs/"
                f"<AWS::AccountId>/{folder}/<AWS::Region>/*"
                for source in sources
                for folder in MEMBER_FOLDERS
            ],
        )
        return role

    def _stream(self, source: str) -> firehose.CfnDeliveryStream:
        account_prefix = self._account_prefix(source)
        stream = firehose.CfnDeliveryStream(
            self,
            f"{source.capitalize()}Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket_arn,
                role_arn=self.delivery_role.role_arn,
                # <prefix>AWSLogs/<account>/firehose/<region>/...: the layout every delivery follows
                # (docs/deploy.md, "Trust model"); errors stay under this account's prefix too.
                prefix=f"{account_prefix}firehose/{Aws.REGION}/!{{timestamp:yyyy/MM/dd}}/",
                error_output_prefix=(
                    f"{account_prefix}firehose-errors/{Aws.REGION}/"
                    "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
                ),
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MIB
                ),
                compression_format="GZIP",
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=self.key_arn
                    )
                ),
                # One event per line: the ingest reader splits JSON lines.
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[firehose.CfnDeliveryStream.ProcessorProperty(type="AppendDelimiterToRecord")],
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=self.log_group.log_group_name,
                    log_stream_name=self.log_stream.log_stream_name,
                ),
            ),
        )
        # The role's policy must exist before Firehose validates its access to the bucket.
        stream.node.add_dependency(self.delivery_role)
        return stream

    def _rules(self) -> None:
        invoker = iam.Role(
            self,
            "EventsRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="EventBridge: put findings into the SIEM Firehose streams",
        )
        invoker.add_to_policy(
            iam.PolicyStatement(
                actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                resources=[stream.attr_arn for stream in self.streams.values()],
            )
        )
        # In the GuardDuty administrator's account the rule also sees every member's findings,
        # which the findings export may already deliver: the deployer can turn it off there.
        guardduty_state = CfnParameter(
            self,
            "GuarddutyRuleState",
            default="ENABLED",
            allowed_values=["ENABLED", "DISABLED"],
            description="DISABLED where GuardDuty findings reach the bucket through the findings export",
        ).value_as_string
        for source, event_source, detail_types in FINDING_RULES:
            events.CfnRule(
                self,
                f"{source.capitalize()}Rule",
                description=f"Forward {' and '.join(detail_types)} events to the SIEM",
                event_pattern={"source": [event_source], "detail-type": list(detail_types)},
                state=guardduty_state if source == "guardduty" else "ENABLED",
                targets=[
                    events.CfnRule.TargetProperty(
                        arn=self.streams[source].attr_arn, id="siem-firehose", role_arn=invoker.role_arn
                    )
                ],
            )


def _prefix_parameter(source: str) -> str:
    return f"{source.capitalize()}Prefix"
