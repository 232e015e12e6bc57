"""The deployed AWS resources of the ingest path, created in moto for the demo and the tests.

A log bucket whose S3 -> SQS notification is configured (so messages carry the real S3 event
shapes), a dead-letter bucket and the DynamoDB ledger table. Call inside ``moto.mock_aws()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True, slots=True)
class LocalAws:
    s3: Any
    sqs: Any
    dynamodb: Any
    queue_url: str
    queue_arn: str


def create_local_aws(bucket: str, dead_letter_bucket: str, ledger_table: str) -> LocalAws:
    s3, sqs, dynamodb = boto3.client("s3"), boto3.client("sqs"), boto3.client("dynamodb")
    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=dead_letter_bucket)
    queue_url = sqs.create_queue(QueueName="siem-ingest", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    # The ledger's key and TTL attribute match infra/storage.py.
    dynamodb.create_table(
        TableName=ledger_table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    return LocalAws(s3, sqs, dynamodb, queue_url, queue_arn)
