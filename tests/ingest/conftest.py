"""Fixtures of the ingest tests: moto AWS (S3 -> SQS notifications, DynamoDB), engine helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

BUCKET = "siem-logs-test"
DEAD_LETTER_BUCKET = "siem-dead-letters-test"
TABLE = "siem-ingest-ledger"


@dataclass
class Aws:
    s3: Any
    sqs: Any
    dynamodb: Any
    sns: Any
    queue_url: str
    queue_arn: str


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto in-process: a log bucket whose S3 -> SQS notification is configured, a dead-letter
    bucket and the ledger table; messages carry the real S3 event shapes."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        dynamodb, sns = boto3.client("dynamodb"), boto3.client("sns")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=DEAD_LETTER_BUCKET)
        queue_url = sqs.create_queue(QueueName="siem-ingest", Attributes={"VisibilityTimeout": "0"})[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        yield Aws(s3, sqs, dynamodb, sns, queue_url, queue_arn)


@pytest.fixture
def templated_engine(engine: OpenSearch) -> OpenSearch:
    """The guarded engine with the project's index templates, when they are importable."""
    try:
        from opensearch_assets.templates import install_templates
    except ImportError:
        return engine
    install_templates(engine)
    return engine
