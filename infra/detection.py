"""The alert topic and the detection Lambda that EventBridge Scheduler runs every few minutes.

OpenSearch Serverless has no Alerting plugin, so detections run outside the cluster: a
scheduled function queries the logs collection, writes alerts and the incidents grouping them
to the alerts collection and publishes new and escalated incidents to SNS, and alerts and
incidents to the EventBridge bus (infra/handoffs.py).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import Config
from infra.functions import FunctionBuilder, FunctionSpec, invoke_on_schedule
from infra.handoffs import AlertBus
from infra.search import SearchAccess, SearchCollections

DETECTION_HANDLER = "detections.handler.lambda_handler"
CHECKPOINT_PARTITION_KEY = "pk"
# The only DynamoDB calls of ``detections.checkpoints.DynamoCheckpoints``: a consistent
# GetItem and a conditional PutItem (a checkpoint never moves backwards).
CHECKPOINT_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem")


class AlertTopic(Construct):
    """Our own KMS-encrypted topic (with the optional e-mail subscription), or the given one."""

    topic: sns.ITopic
    key: kms.IKey | None = None
    """Our topic's key; an existing topic's key policy is its owner's business (docs/deploy.md)."""

    def __init__(self, scope: Construct, construct_id: str, config: Config) -> None:
        super().__init__(scope, construct_id)
        if config.alert_topic_arn:
            self.topic = sns.Topic.from_topic_arn(self, "Existing", config.alert_topic_arn)
            return
        # A customer managed key, because CloudWatch alarms cannot publish to a topic
        # encrypted with the AWS managed SNS key (its policy cannot be extended).
        key = kms.Key(
            self,
            "Key",
            alias=f"alias/{config.name_prefix}-alerts",
            description="Encrypts the SIEM alert topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal("cloudwatch.amazonaws.com"))
        topic = sns.Topic(self, "Topic", display_name="SIEM alerts", master_key=key, enforce_ssl=True)
        if config.alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(config.alert_email))
        self.topic, self.key = topic, key

    def grant_publish(self, role: iam.IRole) -> None:
        """Publish, and the exact KMS calls SNS makes on the publisher's behalf (no ``GenerateDataKey*``)."""
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn])
        )
        if self.key is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn]
                )
            )


class Detections(Construct):
    """The detection function and its schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: Config,
        alerts: AlertTopic,
        bus: AlertBus,
        collections: SearchCollections,
        functions: FunctionBuilder,
    ) -> None:
        super().__init__(scope, construct_id)
        rate = config.detection_rate_minutes
        self.checkpoints = self._checkpoint_table()
        self.handler = functions.build(
            self,
            "Detection",
            FunctionSpec(
                handler=DETECTION_HANDLER,
                description="SIEM detections: scheduled queries over the logs -> alerts + SNS",
                # A run must end before the next one starts: they share checkpoints.
                timeout=Duration.minutes(min(rate, 15)),
                memory_mb=512,
                reserved_concurrency=1,
                environment={
                    # Alerts link to the investigation dashboard of the logs collection.
                    **collections.environment(alerts=True, dashboards=True),
                    "ALERTS_INDEX": config.alerts_index,
                    "INCIDENTS_INDEX": config.incidents_index,
                    "ALERT_TOPIC_ARN": alerts.topic.topic_arn,
                    **({"EVENT_BUS": bus.bus.event_bus_arn} if bus.bus is not None else {}),
                    "STATE_TABLE": self.checkpoints.table_name,
                    "FILL_BUDGET_SECONDS": str(config.detection_fill_budget_seconds),
                    "POWERTOOLS_SERVICE_NAME": "siem-detections",
                    **(
                        {"DETECTION_EXCEPTIONS": config.detection_exceptions}
                        if config.detection_exceptions
                        else {}
                    ),
                },
            ),
        )
        role = self.handler.role
        alerts.grant_publish(role)
        bus.grant_put(role)
        role.add_to_policy(
            iam.PolicyStatement(actions=list(CHECKPOINT_ACTIONS), resources=[self.checkpoints.table_arn])
        )
        self.handler.grant_search(
            collections,
            SearchAccess("DetectionAccess", "detections", collections.detection_rules(), alerts=True),
        )
        self.schedule = self._schedule(rate)

    def _checkpoint_table(self) -> dynamodb.Table:
        """One item per rule (``detections#checkpoint#<rule id>``). Losing it costs one re-read
        of each rule's first-run window, deduplicated by the alerts' ids: no retention."""
        return dynamodb.Table(
            self,
            "Checkpoints",
            partition_key=dynamodb.Attribute(
                name=CHECKPOINT_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _schedule(self, rate_minutes: int) -> scheduler.CfnSchedule:
        return invoke_on_schedule(
            self,
            self.handler.function,
            what="detection",
            description="Run the SIEM detections",
            expression=f"rate({rate_minutes} minute{'s' if rate_minutes > 1 else ''})",
            # A missed run is covered by the next one's overlapping window: no long retries.
            retry=scheduler.CfnSchedule.RetryPolicyProperty(
                maximum_retry_attempts=1, maximum_event_age_in_seconds=rate_minutes * 60
            ),
        )
