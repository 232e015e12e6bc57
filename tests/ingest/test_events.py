"""Event parsing: the shapes S3, SNS, EventBridge and SQS really deliver (moto for S3 -> SQS)."""

from __future__ import annotations

import orjson
import pytest

from ingest.events import ObjectRef, UnrecognizedEvent, parse_event
from tests.ingest.conftest import BUCKET, Aws
from tests.ingest.harness import receive

AWKWARD_KEYS = [
    "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/plain.json.gz",
    "exports/with space/and+plus.jsonl.gz",
    "exports/ünïcødé/日本語 ファイル.json",
    "exports/percent%41literal.json",
]


@pytest.mark.integration
def test_s3_to_sqs_notifications_decode_keys_and_skip_the_test_event(aws: Aws) -> None:
    for key in AWKWARD_KEYS:
        aws.s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
    messages = []
    while batch := receive(aws.sqs, aws.queue_url, visibility=60)["Records"]:
        messages += parse_event({"Records": batch})
        for record in batch:
            aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=record["receiptHandle"])

    keys = sorted(ref.key for message in messages for ref in message.objects)
    assert keys == sorted(AWKWARD_KEYS)
    assert all(ref.bucket == BUCKET and ref.etag for m in messages for ref in m.objects)
    assert [m.ignored for m in messages if not m.objects] == [("s3:TestEvent",)]
    assert all(m.message_id for m in messages)


def _s3_record(key: str, event_name: str = "ObjectCreated:Put") -> dict:
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": event_name,
        "s3": {"bucket": {"name": "b"}, "object": {"key": key, "size": 12, "eTag": "e1", "versionId": "v1"}},
    }


def _sqs(*bodies: object) -> dict:
    return {
        "Records": [
            {"messageId": f"m{i}", "eventSource": "aws:sqs", "body": orjson.dumps(body).decode()}
            for i, body in enumerate(bodies)
        ]
    }


def test_direct_s3_notification() -> None:
    (message,) = parse_event({"Records": [_s3_record("a+b%2Bc/%C3%BC.gz")]})
    assert message.message_id is None
    assert message.objects == (ObjectRef("b", "a b+c/ü.gz", "v1", "e1", 12),)


def test_sns_wrapped_in_sqs_and_sns_invoking_directly() -> None:
    notification = {"Records": [_s3_record("x%20y.gz")]}
    envelope = {"Type": "Notification", "MessageId": "n1", "Message": orjson.dumps(notification).decode()}
    (via_sqs,) = parse_event(_sqs(envelope))
    (direct,) = parse_event({"Records": [{"EventSource": "aws:sns", "Sns": envelope}]})
    assert via_sqs.objects == direct.objects == (ObjectRef("b", "x y.gz", "v1", "e1", 12),)
    assert via_sqs.message_id == "m0"


def test_eventbridge_object_created_direct_and_through_sqs() -> None:
    event = {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {
            "bucket": {"name": "b"},
            "object": {"key": "k%20with+space", "size": 5, "etag": "e2", "version-id": "v2"},
        },
    }
    (direct,) = parse_event(event)
    (queued,) = parse_event(_sqs(event))
    assert direct.objects == queued.objects == (ObjectRef("b", "k with space", "v2", "e2", 5),)
    (deleted,) = parse_event({**event, "detail-type": "Object Deleted"})
    assert deleted.objects == () and deleted.ignored == ("Object Deleted",)


def test_non_creation_events_are_ignored_not_ingested() -> None:
    (message,) = parse_event({"Records": [_s3_record("k", "ObjectRemoved:Delete")]})
    assert message.objects == () and message.ignored == ("ObjectRemoved:Delete",)


def test_an_unreadable_sqs_message_fails_alone() -> None:
    event = _sqs({"Records": [_s3_record("good")]}, {"unexpected": True})
    event["Records"].append({"messageId": "m2", "eventSource": "aws:sqs", "body": "not json"})
    good, odd, broken = parse_event(event)
    assert good.objects[0].key == "good" and good.error is None
    assert odd.error and "unrecognized" in odd.error
    assert broken.error and "not JSON" in broken.error


def test_an_unknown_direct_event_is_refused() -> None:
    with pytest.raises(UnrecognizedEvent):
        parse_event({"hello": "world"})


@pytest.mark.parametrize(
    "body",
    [
        {"Records": ["x"]},
        {"Records": [_s3_record("k") | {"s3": {"bucket": {"name": "b"}, "object": {"key": None}}}]},
        {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]},
        {"source": "aws.s3", "detail-type": "Object Created", "detail": "x"},
        {"Records": [{"EventSource": "aws:sns"}]},
        {"Type": "Notification", "Message": "[1, 2]"},
    ],
    ids=["record-not-object", "key-null", "no-s3", "detail-string", "sns-without-Sns", "sns-list"],
)
def test_a_malformed_message_fails_alone_whatever_its_shape(body: dict[str, object]) -> None:
    good, bad = parse_event(_sqs({"Records": [_s3_record("a+b%2Bc")]}, body))
    assert good.error is None and good.objects[0].key == "a b+c"
    assert bad.error and bad.error.startswith("unrecognized message") and not bad.objects


S3_TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2014-10-13T15:57:02.089Z",
    "Bucket": "b",
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
}


def test_the_test_event_is_ignored_directly_through_sns_and_through_sqs() -> None:
    envelope = {"Type": "Notification", "Message": orjson.dumps(S3_TEST_EVENT).decode()}
    (direct,) = parse_event(S3_TEST_EVENT)
    (queued, wrapped) = parse_event(_sqs(S3_TEST_EVENT, envelope))
    assert direct.ignored == queued.ignored == wrapped.ignored == ("s3:TestEvent",)
    assert not (direct.objects or queued.objects or wrapped.objects or queued.error or wrapped.error)


def test_unversioned_buckets_notify_no_version_id_in_either_shape() -> None:
    # S3 omits versionId (classic) and version-id (EventBridge) when versioning is off.
    classic = _s3_record("k", "ObjectCreated:CompleteMultipartUpload")
    del classic["s3"]["object"]["versionId"]
    eventbridge = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "111122223333",
        "time": "2021-11-12T00:00:00Z",
        "region": "ca-central-1",
        "resources": ["arn:aws:s3:::b"],
        "detail": {
            "version": "0",
            "bucket": {"name": "b"},
            "object": {"key": "k", "size": 12, "etag": "e1", "sequencer": "617f08299329d189"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }
    (from_s3,) = parse_event({"Records": [classic]})
    (from_eventbridge,) = parse_event(_sqs(eventbridge))
    assert from_s3.objects == from_eventbridge.objects == (ObjectRef("b", "k", None, "e1", 12),)


def test_an_sqs_record_without_a_body_fails_alone() -> None:
    event = _sqs({"Records": [_s3_record("good")]})
    event["Records"].append({"messageId": "m1", "eventSource": "aws:sqs"})
    good, broken = parse_event(event)
    assert good.objects[0].key == "good"
    assert broken.message_id == "m1" and broken.error and "SQS body is not JSON" in broken.error
