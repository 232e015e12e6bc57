"""S3 notifications -> SQS (with a dead-letter queue) -> the ingest Lambda -> OpenSearch Serverless."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import DEAD_LETTER_PREFIX, SOURCES, Config
from infra.functions import FunctionBuilder, FunctionSpec
from infra.nag import logical_id, suppress
from infra.search import SearchAccess, SearchCollections

INGEST_HANDLER = "ingest.handler.lambda_handler"
LEDGER_PARTITION_KEY = "pk"
LEDGER_TTL_ATTRIBUTE = "expires_at"
# AWS: the visibility timeout must be at least six times the function timeout, so that a
# message is not handed to a second invocation while the first one may still retry it.
VISIBILITY_TIMEOUT_FACTOR = 6
MAX_RECEIVE_COUNT = 5


# The only DynamoDB calls of ``ingest.ledger.DynamoLedger``: conditional UpdateItem (claim,
# acknowledge, save partial progress, finish, release) and a consistent GetItem (progress).
LEDGER_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")
# What the Lambda service needs to poll an SQS queue for the function (Lambda Developer
# Guide, "Using Lambda with Amazon SQS": execution role permissions).
SQS_POLLING_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


def ledger_table(scope: Construct, config: Config) -> dynamodb.Table:
    """Exactly-once bookkeeping of the ingest function, and nothing else (detections keep
    their checkpoints in a table of their own)."""
    table = dynamodb.Table(
        scope,
        "Ledger",
        partition_key=dynamodb.Attribute(name=LEDGER_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=LEDGER_TTL_ATTRIBUTE,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        removal_policy=RemovalPolicy.RETAIN,
    )
    return table


class IngestPipeline(Construct):
    """The queue pair, the ingest function and the bucket notifications that feed them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        bucket: s3.IBucket,
        ledger: dynamodb.Table,
        collections: SearchCollections,
        functions: FunctionBuilder,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = Duration.seconds(config.ingest_timeout_seconds)
        self.dead_letter_queue = self._dead_letter_queue()
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(config.ingest_timeout_seconds * VISIBILITY_TIMEOUT_FACTOR),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )
        self.handler = functions.build(
            self,
            "Ingest",
            FunctionSpec(
                handler=INGEST_HANDLER,
                description="SIEM ingest: S3 objects -> ECS documents -> OpenSearch Serverless",
                timeout=timeout,
                memory_mb=config.ingest_memory_mb,
                reserved_concurrency=config.ingest_reserved_concurrency,
                environment=self._environment(config, bucket, ledger, collections),
            ),
        )
        self._grant(config, bucket, ledger, collections)
        self._subscribe(config)
        self._notify(config, bucket)

    def _dead_letter_queue(self) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        suppress(queue, "AwsSolutions-SQS3", "This queue is the dead-letter queue of the ingest queue.")
        return queue

    @staticmethod
    def _environment(
        config: Config, bucket: s3.IBucket, ledger: dynamodb.Table, collections: SearchCollections
    ) -> dict[str, str]:
        formats = {"VPC_FLOW_FORMATS": config.vpc_flow_formats} if config.vpc_flow_formats else {}
        return {
            **formats,
            **collections.environment(),
            "LEDGER_TABLE": ledger.table_name,
            "DEAD_LETTER_BUCKET": bucket.bucket_name,
            "DEAD_LETTER_PREFIX": DEAD_LETTER_PREFIX,
            "BULK_MAX_BYTES": str(config.bulk_max_bytes),
            "KEEP_ORIGINAL": str(config.keep_original).lower(),
            "CONFIG_SNAPSHOT_INVENTORY": str(config.config_snapshot_inventory).lower(),
            # What may be found under each prefix, and the accounts whose member delivery may carry
            # other accounts' findings (ingest.provenance; docs/deploy.md, "Trust model").
            "SOURCE_PREFIXES": ",".join(f"{source}={config.prefixes[source]}" for source in SOURCES),
            "DELEGATED_ADMIN_ACCOUNT_IDS": ",".join(config.delegated_admin_account_ids),
            "POWERTOOLS_SERVICE_NAME": "siem-ingest",
        }

    def _grant(
        self, config: Config, bucket: s3.IBucket, ledger: dynamodb.Table, collections: SearchCollections
    ) -> None:
        role = self.handler.role
        source_objects = [bucket.arn_for_objects(f"{config.prefixes[source]}*") for source in SOURCES]
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:GetObjectVersion"], resources=source_objects)
        )
        # Without ListBucket, S3 answers 403 AccessDenied for a key that does not exist; with it,
        # 404 NoSuchKey, which the handler needs to tell a deleted object from a permission error.
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{DEAD_LETTER_PREFIX}*")]
            )
        )
        if bucket.encryption_key is not None:
            # Reading needs Decrypt; writing dead letters into an SSE-KMS bucket needs a data key.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[bucket.encryption_key.key_arn]
                )
            )
        role.add_to_policy(iam.PolicyStatement(actions=list(LEDGER_ACTIONS), resources=[ledger.table_arn]))
        self.handler.grant_search(
            collections, SearchAccess("IngestAccess", "ingest", collections.ingest_rules())
        )
        suppress(
            role,
            "AwsSolutions-IAM5",
            "Ingest reads the objects S3 notifies under the four source prefixes (the notified version: "
            "GetObjectVersion) and writes dead letters under dead-letter/; the delivering services and "
            "ingest name the keys, so each prefix ends in a wildcard.",
            findings=[f"Resource::{object_arn_finding(bucket, prefix)}*" for prefix in _prefixes(config)],
        )

    def _subscribe(self, config: Config) -> None:
        # A mapping of our own rather than SqsEventSource, whose grant also gives
        # ChangeMessageVisibility and GetQueueUrl: not among the poller's permissions.
        self.handler.role.add_to_policy(
            iam.PolicyStatement(actions=list(SQS_POLLING_ACTIONS), resources=[self.queue.queue_arn])
        )
        self.event_source = self.handler.function.add_event_source_mapping(
            "QueueEvents",
            event_source_arn=self.queue.queue_arn,
            batch_size=config.ingest_batch_size,
            max_batching_window=Duration.seconds(config.ingest_batching_window_seconds),
            report_batch_item_failures=True,
            # Never poll more batches than the function may run at once: excess invocations
            # would be throttled and count as receives towards the dead-letter redrive.
            max_concurrency=config.ingest_reserved_concurrency,
        )

    def _notify(self, config: Config, bucket: s3.IBucket) -> None:
        destination = s3n.SqsDestination(self.queue)
        for source in SOURCES:
            bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                destination,
                s3.NotificationKeyFilter(prefix=config.prefixes[source]),
            )


def _prefixes(config: Config) -> list[str]:
    return [*(config.prefixes[source] for source in SOURCES), DEAD_LETTER_PREFIX]


def object_arn_finding(bucket: s3.IBucket, prefix: str) -> str:
    """How cdk-nag renders ``bucket.arn_for_objects(prefix)`` (a new or an imported bucket)."""
    if isinstance(bucket, s3.Bucket):
        return f"<{logical_id(bucket)}.Arn>/{prefix}"
    # An imported bucket's ARN resolves to a literal once the partition is known (region set).
    resolved = Stack.of(bucket).resolve(bucket.arn_for_objects(prefix))
    return (
        resolved if isinstance(resolved, str) else f"arn:<AWS::Partition>:s3:::{bucket.bucket_name}/{prefix}"
    )
