"""The central stack: everything that runs in the security tooling account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.account_sync import AccountSync
from infra.assets_installer import AssetInstaller
from infra.config import Config
from infra.detection import AlertTopic, Detections
from infra.functions import FunctionBuilder
from infra.handoffs import AlertBus, InvestigateAction
from infra.ingest_pipeline import IngestPipeline, ledger_table
from infra.monitoring import PipelineAlarms
from infra.nag import BASIC_EXECUTION_POLICY, suppress_child
from infra.network import FunctionNetwork
from infra.operator_role import OperatorRole
from infra.reports import ScheduledReports
from infra.search import SearchCollections
from infra.storage import LogStorage


class SiemStack(Stack):
    """Log bucket -> SQS -> ingest (enriched with the hourly account sync) -> OpenSearch
    Serverless; detections -> SNS; the monthly report -> S3 + SNS; alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        network = FunctionNetwork(self, "Network", config.vpc, config.name_prefix)
        # One bundle per function, each its own packages.
        functions = FunctionBuilder(network, install_dependencies=not config.skip_dependency_bundling)
        self.storage = LogStorage(self, "Storage", config)
        self.collections = SearchCollections(self, "Search", config, network)
        self.ledger = ledger_table(self, config)
        self.alert_topic = AlertTopic(self, "Alerts", config)
        self.topic = self.alert_topic.topic
        self.alert_bus = AlertBus(self, "Handoffs", config)
        self.ingest = IngestPipeline(
            self,
            "Ingest",
            config=config,
            bucket=self.storage.bucket,
            ledger=self.ledger,
            collections=self.collections,
            functions=functions,
        )
        self.account_sync = AccountSync(self, "Accounts", config=config, functions=functions)
        # Ingest enriches every document with the account directory the sync writes.
        self.ingest.handler.function.add_environment("ACCOUNTS_LOCATION", self.account_sync.location)
        self.account_sync.grant_read(self.ingest.handler.role)
        self.detections = Detections(
            self,
            "Detections",
            config=config,
            alerts=self.alert_topic,
            bus=self.alert_bus,
            collections=self.collections,
            functions=functions,
        )
        # Grants to the organization's own accounts are not grants outside (detections.organization).
        self.detections.handler.function.add_environment("ACCOUNTS_LOCATION", self.account_sync.location)
        self.account_sync.grant_read(self.detections.handler.role)
        self.investigate_action = (
            InvestigateAction(
                self,
                "Handoff",
                config=config,
                collections=self.collections,
                functions=functions,
            )
            if config.security_hub_action
            else None
        )
        if self.investigate_action is not None:
            # Its notes come back through CloudTrail: not a findings evasion (detections/settings.py).
            self.detections.handler.function.add_environment(
                "NOTE_WRITER_ROLE_ARN", self.investigate_action.handler.role.role_arn
            )
        self.reports = ScheduledReports(
            self,
            "Reports",
            config=config,
            collections=self.collections,
            accounts=self.account_sync,
            functions=functions,
        )
        self.installer = AssetInstaller(
            self,
            "Assets",
            config=config,
            collections=self.collections,
            functions=functions,
        )
        # No message is handed to ingest before the index templates exist: the first document
        # would create its index with dynamic mappings (ingest also refuses to, docs/ingest.md).
        self.ingest.event_source.node.add_dependency(self.installer.resource)
        self.alarms = PipelineAlarms(
            self,
            "Alarms",
            topic=self.topic,
            queue=self.ingest.queue,
            dead_letter_queue=self.ingest.dead_letter_queue,
            functions={
                "Ingest": self.ingest.handler.function,
                "Detection": self.detections.handler.function,
                "AccountSync": self.account_sync.handler.function,
                "Report": self.reports.handler.function,
            },
        )
        self._analyst_access(config)
        self.operator = (
            OperatorRole(
                self,
                "Operator",
                config=config,
                bucket=self.storage.bucket,
                ledger=self.ledger,
                queue=self.ingest.queue,
                dead_letter_queue=self.ingest.dead_letter_queue,
                collections=self.collections,
            )
            if config.operator_role
            else None
        )
        self._suppress_library_findings()
        self._outputs()

    def _analyst_access(self, config: Config) -> None:
        collections = self.collections
        # Analysts' roles may live in other accounts, so the stack cannot attach IAM policies
        # to them: it publishes one managed policy for their administrators to attach.
        self.analyst_policy = iam.ManagedPolicy(
            self,
            "AnalystPolicy",
            description="Attach to SIEM analysts: OpenSearch Serverless API and Dashboards access (read-only by data policy)",
            statements=[collections.api_access([collections.logs, collections.alerts], dashboards=True)],
        )
        if config.analyst_principal_arns:
            collections.grant(
                "AnalystAccess", "analysts", config.analyst_principal_arns, collections.analyst_rules()
            )
        if config.triage_principal_arns:
            collections.grant(
                "TriageAccess", "triage", config.triage_principal_arns, collections.triage_rules()
            )

    def _suppress_library_findings(self) -> None:
        # S3 bucket notifications are configured by a singleton function of the CDK library.
        handler = next(
            (child for child in self.node.children if child.node.id.startswith("BucketNotificationsHandler")),
            None,
        )
        if handler is not None:
            suppress_child(
                handler,
                "Role/Resource",
                "AwsSolutions-IAM4",
                "The CDK BucketNotificationsHandler only writes its own logs (AWSLambdaBasicExecutionRole).",
                findings=[f"Policy::{BASIC_EXECUTION_POLICY}"],
            )

    def _outputs(self) -> None:
        CfnOutput(self, "LogBucketName", value=self.storage.bucket.bucket_name)
        CfnOutput(self, "LogsCollectionEndpoint", value=self.collections.logs.attr_collection_endpoint)
        CfnOutput(self, "AlertsCollectionEndpoint", value=self.collections.alerts.attr_collection_endpoint)
        CfnOutput(self, "DashboardsUrl", value=self.collections.logs.attr_dashboard_endpoint)
        CfnOutput(self, "IngestQueueUrl", value=self.ingest.queue.queue_url)
        CfnOutput(self, "AlertTopicArn", value=self.topic.topic_arn)
        if self.alert_bus.bus is not None:
            CfnOutput(self, "AlertEventBusArn", value=self.alert_bus.bus.event_bus_arn)
        CfnOutput(self, "AccountsLocation", value=self.account_sync.location)
        CfnOutput(self, "ReportsBucketName", value=self.reports.bucket.bucket_name)
        CfnOutput(self, "ReportTopicArn", value=self.reports.topic.topic_arn)
        CfnOutput(self, "AnalystPolicyArn", value=self.analyst_policy.managed_policy_arn)
        if self.storage.key is not None:
            CfnOutput(self, "LogBucketKeyArn", value=self.storage.key.key_arn)
        if self.operator is not None:
            CfnOutput(self, "OperatorRoleArn", value=self.operator.role.role_arn)
