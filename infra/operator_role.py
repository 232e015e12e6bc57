"""The operator role: backfills, replays and dead-letter-queue redrives, run by a person.

Platform engineers run ``siem ingest s3://...`` (a backfill of objects no notification
announced), ``siem replay-dead-letters s3://<bucket>/dead-letter/...`` (after a fix) and
``aws sqs start-message-move-task`` (the ingest queue's dead-letter queue back into the
queue) from a workstation or CloudShell. This role grants what those calls need and nothing
else (docs/deploy.md, "The operator role"):

- read the four source prefixes and ``dead-letter/`` (the CLI writes its own dead letters to a
  local folder, so the role writes nothing into the evidence bucket), decrypt with its key;
- write the four source indices of the logs collection (the ingest role's data access rules);
- send to the ingest queue (``siem backfill --queue`` and the redrive's destination), read
  both queues' attributes, and move messages out of the dead-letter queue;
- read one ledger item (``dynamodb:GetItem``): what the ingest function recorded for an
  object, when a runbook asks why it did not finish.

It trusts the central account (``arn:aws:iam::<account>:root``): only principals of that
account whose own policies allow ``sts:AssumeRole`` on it can assume it, for example an IAM
Identity Center permission set for the platform team.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import DEAD_LETTER_PREFIX, SOURCES, Config
from infra.ingest_pipeline import object_arn_finding
from infra.nag import suppress
from infra.search import SearchAccess, SearchCollections

# What starting a message move task needs on its source queue (Amazon SQS Developer Guide,
# "Configure queue permissions for dead-letter queue redrive"); the destination needs SendMessage.
REDRIVE_SOURCE_ACTIONS = (
    "sqs:StartMessageMoveTask",
    "sqs:ListMessageMoveTasks",
    "sqs:CancelMessageMoveTask",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
)
# Backfills and replays run for hours; the CLI refreshes the assumed credentials on its own.
MAX_SESSION = Duration.hours(4)


class OperatorRole(Construct):
    """The role, its IAM policy and its data access policy (``<namePrefix>-operator``)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        bucket: s3.IBucket,
        ledger: dynamodb.ITable,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        collections: SearchCollections,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.AccountPrincipal(Stack.of(self).account),
            description="SIEM operator: backfills, dead-letter replays and queue redrives",
            max_session_duration=MAX_SESSION,
        )
        prefixes = [*(config.prefixes[source] for source in SOURCES), DEAD_LETTER_PREFIX]
        self._read_logs(bucket, prefixes)
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[ledger.table_arn])
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes"], resources=[queue.queue_arn]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=list(REDRIVE_SOURCE_ACTIONS), resources=[dead_letter_queue.queue_arn])
        )
        collections.admit(self.role, SearchAccess("OperatorAccess", "operator", collections.ingest_rules()))
        suppress(
            self.role,
            "AwsSolutions-IAM5",
            "The operator reads the objects the delivering services and ingest wrote under the four "
            "source prefixes and dead-letter/ (backfills and replays); they name the keys, so each "
            "prefix ends in a wildcard.",
            findings=[f"Resource::{object_arn_finding(bucket, prefix)}*" for prefix in prefixes],
        )

    def _read_logs(self, bucket: s3.IBucket, prefixes: list[str]) -> None:
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
            )
        )
        # Listing is how a backfill finds its objects; on the bucket, as for the ingest role, so
        # that an object deleted since the listing answers 404 rather than 403.
        self.role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        if bucket.encryption_key is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[bucket.encryption_key.key_arn])
            )
