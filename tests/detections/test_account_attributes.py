"""Alerts carry their accounts' names, OU paths and owner tags (issue 13, deliverable 4): in the
alert document, in the summary's "where", and as SNS message attributes that a team's
subscription filter policy selects on (moto SNS -> SQS)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from detections.checkpoints import MemoryCheckpoints
from detections.notify import MAX_ATTRIBUTES, SnsIncidentNotifier, account_attributes
from detections.runner import RunSettings, run
from detections.windows import iso
from enrichment import Account, AccountDirectory, Enricher
from normalizers import DeadLetter, Origin, normalize_object
from tests.detections.conftest import T0, cloudtrail_record, minutes, our_rule, trail

PAYMENTS = Account(
    "111122223333",
    "prod-payments",
    ou_path="Root/Workloads/Prod",
    tags={"owner": "payments-team", "team": "payments", "environment": "prod"},
)


def _index_enriched(client: OpenSearch, raw: bytes) -> None:
    """Normalize and enrich as the ingest path does, then index."""
    enricher = Enricher(AccountDirectory([PAYMENTS]))
    body: list[Any] = []
    for item in normalize_object(io.BytesIO(raw), Origin(object="test", ingested=iso(T0)), "cloudtrail"):
        assert not isinstance(item, DeadLetter)
        body += [{"create": {"_index": "siem-cloudtrail"}}, enricher.enrich(item)]
    assert not client.bulk(body=body)["errors"]


@pytest.fixture
def topic() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        yield sns, sqs, sns.create_topic(Name="siem-alerts")["TopicArn"]


def _queue_with_policy(sns: Any, sqs: Any, topic_arn: str, name: str, policy: dict[str, Any]) -> str:
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy)},
    )
    return str(queue)


@pytest.mark.integration
def test_each_team_receives_the_alerts_of_its_accounts(siem: OpenSearch, topic: tuple[Any, Any, str]) -> None:
    sns, sqs, topic_arn = topic
    payments = _queue_with_policy(sns, sqs, topic_arn, "payments", {"owner": ["payments-team"]})
    prod_ou = _queue_with_policy(sns, sqs, topic_arn, "prod", {"ou_path": ["Root/Workloads/Prod"]})
    search = _queue_with_policy(sns, sqs, topic_arn, "search", {"owner": ["search-team"]})
    _index_enriched(siem, trail([cloudtrail_record("root-1", T0 - minutes(10))]))

    report = run(
        siem,
        siem,
        [our_rule("siem-root-account-usage")],
        T0 + minutes(5),
        MemoryCheckpoints(),
        SnsIncidentNotifier(sns, topic_arn),  # one message per incident, with its alerts' accounts
        RunSettings(first_lookback=minutes(30)),
    )

    assert report.created == 1
    alert = report.alerts[0]
    assert alert["alert"]["accounts"] == [
        {
            "id": "111122223333",
            "name": "prod-payments",
            "ou_path": "Root/Workloads/Prod",
            "tags": dict(PAYMENTS.tags),
        }
    ]
    assert alert["cloud"]["account"] == {"id": "111122223333", "name": "prod-payments"}
    assert alert["aws"]["account"]["ou_path"] == "Root/Workloads/Prod"
    assert "account 111122223333 (prod-payments)" in alert["alert"]["summary"]["where"]
    (message,) = sqs.receive_message(QueueUrl=payments)["Messages"]
    attributes = json.loads(message["Body"])["MessageAttributes"]
    assert attributes["account_id"] == {"Type": "String.Array", "Value": '["111122223333"]'}
    assert attributes["account_name"] == {"Type": "String.Array", "Value": '["prod-payments"]'}
    assert attributes["change"] == {"Type": "String", "Value": "new"}
    assert "Incident id: incident-" in json.loads(message["Body"])["Message"]
    assert len(sqs.receive_message(QueueUrl=prod_ou).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=search).get("Messages", []) == []
    stored = siem.search(
        index="siem-alerts", body={"query": {"term": {"alert.accounts.tags.owner": "payments-team"}}}
    )
    assert stored["hits"]["total"]["value"] == 1


def _attributes(accounts: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """An incident message's attributes: its three own, then the accounts."""
    own = {
        "incident_id": {"DataType": "String", "StringValue": "i"},
        "severity": {"DataType": "String", "StringValue": "high"},
        "change": {"DataType": "String", "StringValue": "new"},
    }
    return account_attributes(own, accounts)


def test_attributes_list_every_account_once_and_stay_within_the_sns_limit() -> None:
    accounts = [
        {"id": "111122223333", "name": "prod-payments", "tags": {"owner": "payments-team"}},
        {"id": "444455556666", "name": "prod-search", "tags": {"owner": "search-team", "team": "search"}},
        {"id": "777788889999", "tags": {"owner": "payments-team"}},  # not in the directory: no name
    ]
    attributes = _attributes(accounts)
    assert json.loads(attributes["account_id"]["StringValue"]) == [
        "111122223333",
        "444455556666",
        "777788889999",
    ]
    assert json.loads(attributes["account_name"]["StringValue"]) == ["prod-payments", "prod-search"]
    assert json.loads(attributes["owner"]["StringValue"]) == ["payments-team", "search-team"]
    assert "ou_path" not in attributes  # no account has one: no attribute rather than an empty array
    many_tags = {f"k{number}": "v" for number in range(20)}
    crowded = _attributes([{"id": "111122223333", "tags": many_tags}])
    assert len(crowded) == MAX_ATTRIBUTES


def test_tag_keys_sns_refuses_as_attribute_names_are_left_out() -> None:
    tags = {
        "aws.reserved": "x",
        "Amazon.x": "x",
        "a..b": "x",
        "trailing.": "x",
        "incident_id": "forged",
        "cost-center": "cc",
    }
    attributes = _attributes([{"id": "111122223333", "tags": tags}])
    assert set(attributes) == {"incident_id", "severity", "change", "account_id", "cost-center"}
    assert attributes["incident_id"] == {"DataType": "String", "StringValue": "i"}
