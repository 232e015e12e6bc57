"""The scheduled monthly report: a reports bucket, a report topic, the function and its schedule.

EventBridge Scheduler runs ``posture.handler`` on ``reportSchedule`` (default 06:00 UTC on the
2nd of each month: a day for late deliveries of the last day's findings). It reports the
previous full month of the schedule's time, writes each account's HTML, CSV and Markdown to
``s3://<reports bucket>/reports/<period>/<account>/`` and publishes one message per account to
the report topic, with the account attributes (id, name, OU path, owner tags) that each
team's subscription filter policy selects on (docs/report.md, "Scheduled").
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.account_sync import AccountSync
from infra.buckets import private_bucket
from infra.config import Config
from infra.functions import FunctionBuilder, FunctionSpec, invoke_on_schedule
from infra.nag import logical_id, suppress
from infra.search import SearchAccess, SearchCollections

REPORT_HANDLER = "posture.handler.lambda_handler"
REPORTS_PREFIX = "reports/"
REPORT_INPUT = '{"scheduled_time": "<aws.scheduler.scheduled-time>"}'
"""The schedule's time in the event: a retried invocation still reports the month before it."""
NONCURRENT_DAYS = 30
"""A rerun overwrites a period's objects; the replaced versions are kept this long."""


class ScheduledReports(Construct):
    """The reports bucket and topic, the report function with only the grants it uses, the schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        collections: SearchCollections,
        accounts: AccountSync,
        functions: FunctionBuilder,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = self._bucket()
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{config.name_prefix}-reports",
            description="Encrypts the SIEM report topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.topic = sns.Topic(
            self, "Topic", display_name="SIEM monthly reports", master_key=self.key, enforce_ssl=True
        )
        self.handler = functions.build(
            self,
            "Report",
            FunctionSpec(
                handler=REPORT_HANDLER,
                description="SIEM monthly report per account: the indices -> S3 + SNS",
                timeout=Duration.minutes(15),
                memory_mb=1024,
                reserved_concurrency=1,
                environment={
                    # Each account's HTML section links to its compliance drill-down (Dashboards).
                    **collections.environment(alerts=True, dashboards=True),
                    "REPORTS_BUCKET": self.bucket.bucket_name,
                    "REPORTS_PREFIX": REPORTS_PREFIX,
                    "REPORT_TOPIC_ARN": self.topic.topic_arn,
                    "ACCOUNTS_LOCATION": accounts.location,
                    "POWERTOOLS_SERVICE_NAME": "siem-reports",
                },
            ),
        )
        role = self.handler.role
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{REPORTS_PREFIX}*")]
            )
        )
        # Listing the period's keys finds the accounts already told (the markers of
        # posture/handler.py): a retried run sends no message twice.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{REPORTS_PREFIX}*"]}},
            )
        )
        suppress(
            role,
            "AwsSolutions-IAM5",
            "The report function writes one object per account and format under the reports/ prefix "
            "of its own bucket; the keys name the period and the account, known only at run time.",
            findings=[f"Resource::<{logical_id(self.bucket)}.Arn>/{REPORTS_PREFIX}*"],
        )
        # Publish, and the exact KMS calls SNS makes on the publisher's behalf.
        role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn]))
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn])
        )
        accounts.grant_read(role)
        self.handler.grant_search(
            collections, SearchAccess("ReportAccess", "reports", collections.report_rules(), alerts=True)
        )
        self.schedule = invoke_on_schedule(
            self,
            self.handler.function,
            what="report",
            description="Write the SIEM monthly report per account",
            expression=config.report_schedule,
            flexible_minutes=60,
            input=REPORT_INPUT,
            # A report run is idempotent (same keys, same bytes): retry for a few hours.
            retry=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_retry_attempts=3, maximum_event_age_in_seconds=6 * 3600
            ),
        )

    def _bucket(self) -> s3.Bucket:
        return private_bucket(
            self,
            "Bucket",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS))],
            no_access_logs="The reports bucket holds documents derived from the indices, rewritten "
            "identically by a rerun; only the report function writes it, and the readers are the account "
            "owners the topic names the objects to (their reads are CloudTrail data events where enabled).",
        )
