"""The account directory of the deployed stack: a state bucket and the hourly sync function.

EventBridge Scheduler runs ``enrichment.sync_handler`` every hour: it reads the organization's
accounts (names, OU paths, selected tags) from AWS Organizations and writes one object,
``s3://<state bucket>/enrichment/accounts.json``; the ingest function reads it
(``ACCOUNTS_LOCATION``, cached per container) to enrich every document (docs/enrichment.md),
the detection function to hold the organization's accounts inside (docs/detections.md).
Not in the log bucket: its notifications would send the directory to ingestion.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.buckets import private_bucket
from infra.config import Config
from infra.functions import FunctionBuilder, FunctionSpec, invoke_on_schedule
from infra.nag import suppress

SYNC_HANDLER = "enrichment.sync_handler.lambda_handler"
ACCOUNTS_KEY = "enrichment/accounts.json"
SYNC_RATE_HOURS = 1
# The calls of enrichment.organizations.sync_from_organizations, all read-only. ListRoots and
# ListAccounts have no resource types (Service Authorization Reference, AWS Organizations):
# they are granted on "*"; the others on the organization's own ARNs (ListParents authorizes
# on the child, an account or an OU).
UNSCOPED_ACTIONS = ("organizations:ListRoots", "organizations:ListAccounts")


class AccountSync(Construct):
    """The state bucket, the sync function, its hourly schedule; readers get :meth:`grant_read`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        functions: FunctionBuilder,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = self._state_bucket()
        self.location = f"s3://{self.bucket.bucket_name}/{ACCOUNTS_KEY}"
        self.handler = functions.build(
            self,
            "AccountSync",
            FunctionSpec(
                handler=SYNC_HANDLER,
                description="SIEM account sync: AWS Organizations -> the account directory (hourly)",
                # 500 accounts cost about 1,100 Organizations calls at a few per second.
                timeout=Duration.minutes(10),
                memory_mb=256,
                reserved_concurrency=1,
                environment={"ACCOUNTS_LOCATION": self.location},
            ),
        )
        role = self.handler.role
        role.add_to_policy(iam.PolicyStatement(actions=list(UNSCOPED_ACTIONS), resources=["*"]))
        arn = self._organization_arn(config)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["organizations:DescribeOrganizationalUnit"], resources=[arn("ou", "ou-*")]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["organizations:ListParents"], resources=[arn("account", "*"), arn("ou", "ou-*")]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["organizations:ListTagsForResource"], resources=[arn("account", "*")]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(ACCOUNTS_KEY)]
            )
        )
        suppress(
            role,
            "AwsSolutions-IAM5",
            "Read-only Organizations calls: ListRoots and ListAccounts have no resource types "
            "(Resource::*); DescribeOrganizationalUnit, ListParents and ListTagsForResource read every "
            "OU and account of this organization (its id in the ARN), whose ids the sync discovers.",
            findings=["Resource::*", *(f"Resource::{finding}" for finding in self._findings(config))],
        )
        self.schedule = self._schedule()

    @staticmethod
    def _organization_arn(config: Config) -> Callable[[str, str], str]:
        """``arn:<partition>:organizations::<management account>:<kind>/<organization id>/<id>``."""
        management = config.management_account_id or "*"
        return lambda kind, ids: (
            f"arn:{Aws.PARTITION}:organizations::{management}:{kind}/{config.organization_id}/{ids}"
        )

    @staticmethod
    def _findings(config: Config) -> list[str]:
        """The scoped ARNs as cdk-nag renders them."""
        management = config.management_account_id or "*"
        return [
            f"arn:<AWS::Partition>:organizations::{management}:{kind}/{config.organization_id}/{ids}"
            for kind, ids in (("ou", "ou-*"), ("account", "*"))
        ]

    def _state_bucket(self) -> s3.Bucket:
        return private_bucket(
            self,
            "StateBucket",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(7))],
            no_access_logs="The state bucket holds one object derived from AWS Organizations and rebuilt "
            "every hour (the account directory); only the sync function writes it (CloudTrail records "
            "the Organizations reads); the ingest, detection and report functions only read it.",
        )

    def grant_read(self, role: iam.IRole) -> None:
        """``GetObject`` on the directory object only."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(ACCOUNTS_KEY)]
            )
        )

    def _schedule(self) -> scheduler.CfnSchedule:
        return invoke_on_schedule(
            self,
            self.handler.function,
            what="account sync",
            description="Sync the SIEM account directory from AWS Organizations",
            expression=f"rate({SYNC_RATE_HOURS} hour)",
            flexible_minutes=15,
            # A missed run is replaced by the next hour's; readers keep the directory they have.
            retry=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_retry_attempts=2, maximum_event_age_in_seconds=3600
            ),
        )
