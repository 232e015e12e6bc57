"""The Lambda entry point with its environment (DynamoDB checkpoints, SNS), as the CDK app sets it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from detections.checkpoints import KEY_PREFIX
from detections.handler import lambda_handler
from detections.settings import DetectionSettings
from tests.detections.conftest import cloudtrail_record, index_raw, trail

pytestmark = pytest.mark.integration


def test_lambda_handler_runs_the_rules_with_dynamodb_checkpoints_and_sns(
    siem: OpenSearch, engine_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    index_raw(
        siem,
        "cloudtrail",
        trail([cloudtrail_record("root-1", now - timedelta(minutes=10))]),
        ingested=now - timedelta(minutes=5),
    )
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="ledger",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        for name, value in {
            "OPENSEARCH_ENDPOINT": engine_url,
            "ALERTS_ENDPOINT": engine_url,
            "ALERTS_INDEX": "siem-alerts",
            "INCIDENTS_INDEX": "siem-incidents",
            "ALERT_TOPIC_ARN": topic,
            "STATE_TABLE": "ledger",
            "INDEX_PREFIX": "siem-",
            "OPENSEARCH_AUTH": "none",
            "AWS_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(name, value)

        first = lambda_handler({}, None)
        second = lambda_handler({}, None)

        assert not first["errors"] and not second["errors"]
        created = {alert["rule"] for alert in first["alerts"]}
        assert "siem-root-account-usage" in created and second["created"] == 0
        # One message per incident opened (a root sign-in: one incident), none for the re-run.
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        assert len(messages) == first["notified"] == len(first["incidents"]) and second["notified"] == 0
        assert {incident["change"] for incident in first["incidents"]} == {"new"}
        item = dynamodb.get_item(
            TableName="ledger", Key={"pk": {"S": KEY_PREFIX + "siem-root-account-usage"}}
        )
        assert item["Item"]["checkpoint"]["S"] >= (now - timedelta(minutes=3)).isoformat()[:16]


def test_settings_need_an_endpoint_and_default_the_rest() -> None:
    with pytest.raises(ValueError, match="OPENSEARCH_ENDPOINT"):
        DetectionSettings.from_env({})
    settings = DetectionSettings.from_env({"OPENSEARCH_ENDPOINT": "https://logs"})
    assert settings.alerts == settings.logs
    assert (
        settings.alerts.endpoint,
        settings.run.alerts_index,
        settings.logs.auth,
        settings.state_table,
    ) == (
        "https://logs",
        "siem-alerts",
        "aoss",
        None,
    )
    with pytest.raises(ValueError, match="OPENSEARCH_AUTH must be one of"):
        DetectionSettings.from_env({"OPENSEARCH_ENDPOINT": "https://logs", "OPENSEARCH_AUTH": "iam"})
