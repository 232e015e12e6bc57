"""The Lambda handler end to end: moto S3 -> SQS notifications, DynamoDB ledger, S3 dead letters,
the guarded embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo import synthetic
from ingest import handler
from ingest.deadletters import S3DeadLetterSink
from ingest.ledger import DynamoLedger
from ingest.processor import BOOKKEEPING_ATTEMPTS, Hooks, ObjectResult
from ingest.reader import ObjectIdentity
from ingest.runtime import Runtime
from tests.ingest.conftest import BUCKET, TABLE, Aws, lambda_runtime, s3_dead_letters
from tests.ingest.harness import (
    ACK,
    CountdownContext,
    LambdaContext,
    LedgerWriteFails,
    count,
    drain,
    duplicated_ids,
    receive,
)
from tests.ingest.records import flow_object

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(aws: Aws, templated_engine: OpenSearch) -> Iterator[Runtime]:
    settings = {"chunk_size": 300, "bulk_max_docs": 100, "concurrency": 2, "deadline_margin": 0.0}
    with lambda_runtime(aws, templated_engine, **settings) as built:
        yield built


def _invoke(runtime: Runtime, seconds: float = 900.0) -> Any:
    return lambda event: handler.handle(event, LambdaContext(seconds), runtime)


def test_every_source_is_indexed_once_even_when_every_message_is_delivered_twice(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    flows = flow_object(1000, seed=1, bad_every=97)
    trail = list(synthetic.cloudtrail_records(700, seed=2))
    aws.s3.put_object(
        Bucket=BUCKET, Key="AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/a b.log.gz", Body=flows.body
    )
    aws.s3.put_object(
        Bucket=BUCKET,
        Key="AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/t+1.json.gz",
        Body=synthetic.cloudtrail_log_file(trail),
    )
    aws.s3.put_object(
        Bucket=BUCKET, Key="guardduty/export.jsonl.gz", Body=synthetic.guardduty_export(40, seed=3)
    )

    delivered: dict[str, int] = {}

    def deliver_twice(record: dict[str, Any]) -> bool:  # keep each message for one redelivery
        delivered[record["messageId"]] = delivered.get(record["messageId"], 0) + 1
        return delivered[record["messageId"]] == 1

    drain(aws.sqs, aws.queue_url, _invoke(runtime), keep=deliver_twice)

    assert count(templated_engine, "siem-vpcflow") == flows.records - flows.bad
    assert count(templated_engine, "siem-cloudtrail") == len(trail)
    assert count(templated_engine, "siem-guardduty") == 40
    for index in ("siem-vpcflow", "siem-cloudtrail", "siem-guardduty"):
        assert not duplicated_ids(templated_engine, index)
    letters = s3_dead_letters(aws)
    assert len(letters) == flows.bad
    assert all(
        letter["reason"].startswith("invalid record") and letter["stage"] == "normalize" for letter in letters
    )
    assert all(letter["object"].endswith("/a b.log.gz") for letter in letters)
    assert all(count >= 2 for count in delivered.values())


def test_one_failing_object_is_reported_alone(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key="flows/good.log.gz", Body=flow_object(50, seed=4).body)
    missing = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "no-such-bucket-here"}, "object": {"key": "x.gz"}},
            }
        ]
    }
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=orjson.dumps(missing).decode())
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody="this is not an S3 notification")

    event: dict[str, Any] = {"Records": []}
    while batch := receive(aws.sqs, aws.queue_url, visibility=60)["Records"]:
        event["Records"] += batch
    answer = handler.handle(event, LambdaContext(), runtime)

    failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    bodies = {record["messageId"]: record["body"] for record in event["Records"]}
    assert {bodies[message_id][:20] for message_id in failed} == {
        orjson.dumps(missing).decode()[:20],
        "this is not an S3 no",
    }
    assert count(templated_engine, "siem-vpcflow") == 50


def test_a_deadline_mid_object_resumes_without_duplicates(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    flows = flow_object(1500, seed=5)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/big.log.gz", Body=flows.body)
    budgets = iter([7, 12, 20])
    results: list[str] = []

    def short_then_long(event: dict[str, Any]) -> dict[str, Any]:
        # The first invocations run out of time after a few chunks or in the middle of one.
        answer = handler.handle(event, CountdownContext(next(budgets, 10**6)), runtime)
        results.append("failed" if answer["batchItemFailures"] else "ok")
        return answer

    drain(aws.sqs, aws.queue_url, short_then_long)
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert results.count("failed") >= 2 and results[-1] == "ok"
    progress = aws.dynamodb.scan(TableName=TABLE)["Items"]
    assert [int(item["records_indexed"]["N"]) for item in progress] == [flows.records]


def test_a_message_delivered_twice_at_once_is_written_by_one_delivery_and_finished_by_the_other(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch, caplog: pytest.LogCaptureFixture
) -> None:
    # SQS standard queues may hand one message to two invocations at once: the second comes in
    # while the first is between its chunks.
    flows = flow_object(900, seed=6)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/twice.log.gz", Body=flows.body)
    event = receive(aws.sqs, aws.queue_url, visibility=60)
    (message_id,) = [record["messageId"] for record in event["Records"] if "twice.log.gz" in record["body"]]
    answers: list[dict[str, Any]] = []

    def second_delivery(identity: object, chunk: int) -> None:
        if chunk == 0 and not answers:
            answers.append(handler.handle(event, LambdaContext(request_id="request-2"), runtime))

    runtime.services.hooks = Hooks(after_ack=second_delivery)
    first = handler.handle(event, LambdaContext(request_id="request-1"), runtime)

    assert answers == [{"batchItemFailures": [{"itemIdentifier": message_id}]}]  # busy: retried later
    assert first == {"batchItemFailures": []}
    assert any(record.getMessage() == "object busy elsewhere" for record in caplog.records)
    # the second delivery's retry, once its visibility timeout is over
    assert handler.handle(event, LambdaContext(request_id="request-3"), runtime) == {"batchItemFailures": []}
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    (item,) = aws.dynamodb.scan(TableName=TABLE)["Items"]
    assert item["finished"]["BOOL"] and int(item["records_indexed"]["N"]) == flows.records


@pytest.mark.parametrize(
    ("times", "applied"), [(BOOKKEEPING_ATTEMPTS, False), (1, True)], ids=["refused", "applied, answer lost"]
)
def test_a_ledger_write_failing_after_the_engine_indexed_a_chunk_doubles_nothing(
    times: int, applied: bool, aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    runtime.services.settings = replace(runtime.services.settings, backoff_base=0.001, backoff_cap=0.01)
    ledger_client = LedgerWriteFails(aws.dynamodb, ACK, times, applied)
    runtime.services.ledger = DynamoLedger(TABLE, ledger_client)
    flows = flow_object(900, seed=7)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/ack-fails.log.gz", Body=flows.body)
    results: list[str] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        answer = handler.handle(event, LambdaContext(), runtime)
        results.append("failed" if answer["batchItemFailures"] else "ok")
        return answer

    drain(aws.sqs, aws.queue_url, invoke)
    assert ledger_client.times == 0 and "failed" in results and results[-1] == "ok"
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    (item,) = aws.dynamodb.scan(TableName=TABLE)["Items"]
    assert item["finished"]["BOOL"] and int(item["records_indexed"]["N"]) == flows.records


def test_direct_invocations_raise_when_an_object_fails(aws: Aws, runtime: Runtime) -> None:
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "no-such-bucket-here"}, "object": {"key": "x.gz"}},
            }
        ]
    }
    with pytest.raises(handler.IngestFailed):
        handler.handle(event, LambdaContext(), runtime)


def test_an_object_deleted_before_it_is_read_becomes_a_dead_letter(aws: Aws, runtime: Runtime) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key="flows/gone.log.gz", Body=b"x")
    aws.s3.delete_object(Bucket=BUCKET, Key="flows/gone.log.gz")
    drain(aws.sqs, aws.queue_url, _invoke(runtime))
    (letter,) = s3_dead_letters(aws)
    assert letter["reason"].startswith("object not found") and letter["object"].endswith("flows/gone.log.gz")


def test_an_object_deleted_after_it_was_ingested_is_not_a_dead_letter(aws: Aws, runtime: Runtime) -> None:
    flows = flow_object(200, seed=11)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/done-then-deleted.log.gz", Body=flows.body)
    event = receive(aws.sqs, aws.queue_url)
    assert handler.handle(event, LambdaContext(), runtime)["batchItemFailures"] == []
    aws.s3.delete_object(Bucket=BUCKET, Key="flows/done-then-deleted.log.gz")
    # the same notification delivered again (SQS is at-least-once)
    assert handler.handle(event, LambdaContext(), runtime)["batchItemFailures"] == []
    assert s3_dead_letters(aws) == []


def test_a_dead_letter_sink_failure_for_a_deleted_object_fails_that_message_only(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    runtime.services.settings = replace(runtime.services.settings, backoff_base=0.001, backoff_cap=0.01)
    runtime.services.sink = S3DeadLetterSink(aws.s3, "no-such-dead-letter-bucket")
    flows = flow_object(100, seed=12)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/gone.log.gz", Body=b"x")
    aws.s3.delete_object(Bucket=BUCKET, Key="flows/gone.log.gz")
    aws.s3.put_object(Bucket=BUCKET, Key="flows/kept.log.gz", Body=flows.body)
    event = receive(aws.sqs, aws.queue_url)
    gone = next(r["messageId"] for r in event["Records"] if "gone.log.gz" in r["body"])
    answer = handler.handle(event, LambdaContext(), runtime)
    assert answer["batchItemFailures"] == [{"itemIdentifier": gone}]
    assert count(templated_engine, "siem-vpcflow") == flows.records


def _discard_queued(aws: Aws) -> None:
    for record in receive(aws.sqs, aws.queue_url, visibility=60)["Records"]:
        aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=record["receiptHandle"])


def test_an_unversioned_object_overwritten_before_it_is_read_loses_nothing_silently(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: list[ObjectResult] = []
    monkeypatch.setattr(handler, "log_object", results.append)
    _discard_queued(aws)  # the s3:TestEvent sent when the notification was configured
    key = "flows/overwritten.log.gz"
    first, second = flow_object(120, seed=13), flow_object(80, seed=14, bad_every=40)
    first_etag = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=first.body)["ETag"].strip('"')
    first_message = receive(aws.sqs, aws.queue_url, visibility=60)
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=second.body)  # before the first one is read
    second_message = receive(aws.sqs, aws.queue_url, visibility=60)
    assert len(first_message["Records"]) == len(second_message["Records"]) == 1

    assert handler.handle(first_message, LambdaContext(), runtime)["batchItemFailures"] == []
    (letter,) = s3_dead_letters(aws)
    assert letter == {
        "reason": "overwritten before read",
        "source": "unknown",
        "object": f"s3://{BUCKET}/{key}",
        "position": "object",
        "raw": "",
        "stage": "read",
        "etag": first_etag,
    }
    assert not templated_engine.indices.exists(index="siem-vpcflow") or not count(
        templated_engine, "siem-vpcflow"
    )

    for delivery in (second_message, second_message):  # the second version's, delivered twice
        assert handler.handle(delivery, LambdaContext(), runtime)["batchItemFailures"] == []
    assert count(templated_engine, "siem-vpcflow") == second.records - second.bad
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert len(s3_dead_letters(aws)) == 1 + second.bad

    overwritten, done, again = results
    assert (overwritten.status, overwritten.version) == ("overwritten", first_etag)
    assert (done.status, again.status) == ("done", "already done")
    for result in (overwritten, done):
        assert result.records == result.indexed + result.dead_lettered > 0
    assert done.records == second.records


def test_an_unversioned_object_overwritten_part_way_says_what_of_it_was_indexed(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    _discard_queued(aws)
    key = "flows/overwritten-part-way.log.gz"
    first, second = flow_object(900, seed=18), flow_object(100, seed=19)
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=first.body)
    first_message = receive(aws.sqs, aws.queue_url, visibility=60)
    # the first delivery runs out of time after its first chunk (300 records)
    assert handler.handle(first_message, CountdownContext(9), runtime)["batchItemFailures"]
    indexed = count(templated_engine, "siem-vpcflow")
    assert 0 < indexed < first.records
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=second.body)  # before the redelivery reads the rest
    second_message = receive(aws.sqs, aws.queue_url, visibility=60)

    assert handler.handle(first_message, LambdaContext(), runtime)["batchItemFailures"] == []
    (letter,) = s3_dead_letters(aws)
    assert (
        letter["reason"] == f"overwritten part-way, after {indexed} records were indexed and 0 dead-lettered"
    )
    assert handler.handle(second_message, LambdaContext(), runtime)["batchItemFailures"] == []
    assert count(templated_engine, "siem-vpcflow") == indexed + second.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")


def test_a_finished_version_overwritten_later_is_not_a_dead_letter(aws: Aws, runtime: Runtime) -> None:
    key = "flows/done-then-overwritten.log.gz"
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=flow_object(60, seed=15).body)
    first_message = receive(aws.sqs, aws.queue_url, visibility=60)
    assert handler.handle(first_message, LambdaContext(), runtime)["batchItemFailures"] == []
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=flow_object(60, seed=16).body)
    # the first notification delivered again, after the overwrite (SQS is at-least-once)
    assert handler.handle(first_message, LambdaContext(), runtime)["batchItemFailures"] == []
    assert s3_dead_letters(aws) == []


def _notify_suspended_version(aws: Aws, key: str, body: bytes) -> dict[str, Any]:
    """``body`` put at ``key`` of the bucket with its versioning suspended, and the SQS batch of
    its notification as S3 writes it there: version id ``null`` (the version the next PUT or
    DELETE replaces in place) and the ETag. moto's own notification names no version."""
    for status in ("Enabled", "Suspended"):
        aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": status})
    etag = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"].strip('"')
    _discard_queued(aws)
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
            "object": {"key": key, "size": len(body), "eTag": etag, "versionId": "null", "sequencer": "01"},
        },
    }
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=orjson.dumps({"Records": [record]}).decode())
    return receive(aws.sqs, aws.queue_url, visibility=60)


def test_an_object_of_a_suspended_bucket_deleted_after_it_was_ingested_is_not_a_dead_letter(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    flows = flow_object(100, seed=17)
    event = _notify_suspended_version(aws, "flows/suspended.log.gz", flows.body)
    assert handler.handle(event, LambdaContext(), runtime)["batchItemFailures"] == []
    assert count(templated_engine, "siem-vpcflow") == flows.records
    aws.s3.delete_object(Bucket=BUCKET, Key="flows/suspended.log.gz")  # replaces the null version
    # the same notification delivered again (SQS is at-least-once): the ledger says it is done
    assert handler.handle(event, LambdaContext(), runtime)["batchItemFailures"] == []
    assert s3_dead_letters(aws) == []


def test_another_services_log_notified_live_is_skipped_and_counted_not_dead_lettered(
    aws: Aws, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    alb = (
        b"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 "
        b'10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" '
        b'"curl/7.46.0" - -\n'
    )
    key = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2024/05/01/123456789012_elasticloadbalancing_x.log"
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=alb * 100)
    drain(aws.sqs, aws.queue_url, _invoke(runtime))
    assert s3_dead_letters(aws) == []
    (logged,) = [record for record in caplog.records if str(getattr(record, "key", "")).endswith(key)]
    fields = vars(logged)  # the log line's fields, as the Logger's ``extra``
    assert (fields["status"], fields["skipped"], fields["records"]) == (
        "skipped",
        "Elastic Load Balancing access logs (not read)",
        0,
    )


def _metrics_emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The Embedded Metric Format documents the handler printed since the last call."""
    lines = capsys.readouterr().out.splitlines()
    return [document for line in lines if "_aws" in (document := orjson.loads(line))]


def _summed(documents: list[dict[str, Any]], *names: str) -> tuple[int, ...]:
    """Each metric summed over ``documents`` (a document gives a metric's values as a list)."""
    return tuple(int(sum(sum(document.get(name, [])) for document in documents)) for name in names)


@pytest.mark.parametrize("checks", [7, 12], ids=["between chunks", "inside a chunk"])
def test_an_object_resumed_after_a_deadline_counts_each_record_once_in_the_metrics(
    checks: int, aws: Aws, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    flows = flow_object(1500, seed=8, bad_every=89)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/resumed.log.gz", Body=flows.body)
    event = receive(aws.sqs, aws.queue_url, visibility=60)
    capsys.readouterr()

    first = handler.handle(event, CountdownContext(checks), runtime)
    interrupted = _metrics_emitted(capsys)
    second = handler.handle(event, LambdaContext(request_id="request-2"), runtime)
    resumed = _metrics_emitted(capsys)

    assert first["batchItemFailures"] and not second["batchItemFailures"]
    records, indexed, dead = _summed(interrupted, "Records", "Indexed", "DeadLettered")
    assert 0 < records == indexed + dead < flows.records  # part of the object, each record settled
    (acknowledged,) = _summed(resumed, "AlreadyAcknowledged")
    assert acknowledged > 0  # the resume read what the first run acknowledged, and skipped it
    both = interrupted + resumed
    assert _summed(both, "Records", "Indexed", "DeadLettered") == (
        flows.records,
        flows.records - flows.bad,
        flows.bad,
    )


def test_an_object_another_invocation_is_writing_is_counted_busy(
    aws: Aws, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/busy.log.gz"
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=flow_object(20, seed=9).body)
    head = aws.s3.head_object(Bucket=BUCKET, Key=key)
    version = head.get("VersionId") or head["ETag"].strip('"')
    runtime.services.ledger.claim(f"s3://{BUCKET}/{key}#{version}", "another-invocation", 600.0, 300)
    event = receive(aws.sqs, aws.queue_url, visibility=60)
    capsys.readouterr()

    answer = handler.handle(event, LambdaContext(), runtime)

    (message_id,) = [record["messageId"] for record in event["Records"] if "busy.log.gz" in record["body"]]
    assert answer["batchItemFailures"] == [{"itemIdentifier": message_id}]  # retried later
    (document,) = _metrics_emitted(capsys)
    assert document["source"] == "vpcflow"  # named by the key's layout: the object was not read
    assert _summed([document], "Objects", "ObjectsBusy", "ObjectsNotFinished", "Records") == (1, 1, 0, 0)


def test_an_object_failed_part_way_and_retried_counts_each_record_once_in_the_metrics(
    aws: Aws, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    # The second chunk's acknowledgement is refused, every attempt of the first run: the object
    # fails with its first chunk acknowledged and its second indexed (in flight), not acknowledged.
    runtime.services.settings = replace(runtime.services.settings, backoff_base=0.001, backoff_cap=0.01)
    ledger_client = LedgerWriteFails(aws.dynamodb, ACK, 0, applied=False)
    runtime.services.ledger = DynamoLedger(TABLE, ledger_client)
    refused: list[int] = []

    def refuse_the_first_ack_of_chunk_1(identity: object, chunk: int) -> None:
        if chunk == 1 and not refused:
            refused.append(chunk)
            ledger_client.times = BOOKKEEPING_ATTEMPTS

    runtime.services.hooks = Hooks(after_write=refuse_the_first_ack_of_chunk_1)
    flows = flow_object(900, seed=10, bad_every=89)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/failed.log.gz", Body=flows.body)
    capsys.readouterr()

    drain(aws.sqs, aws.queue_url, _invoke(runtime))

    runs = _metrics_emitted(capsys)
    assert _summed(runs, "ObjectsNotFinished") == (1,)  # the failed run, then the one that finished
    assert _summed(runs, "Records", "Indexed", "DeadLettered") == (
        flows.records,
        flows.records - flows.bad,
        flows.bad,
    )


class _Killed(BaseException):
    """Lambda ending the process (its timeout, out of memory): nothing after it runs, not even
    ``except Exception`` blocks."""


def test_an_invocation_killed_outright_has_printed_the_metrics_of_the_objects_it_finished(
    aws: Aws, runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    _discard_queued(aws)
    flows = {
        f"flows/killed-{name}.log.gz": flow_object(500, seed=seed, bad_every=83)
        for name, seed in (("a", 20), ("b", 21))
    }
    for key, body in flows.items():
        aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body.body)
    event = receive(aws.sqs, aws.queue_url, visibility=60)
    assert len(event["Records"]) == 2
    objects_begun: list[str] = []

    def kill_in_the_second_object(identity: ObjectIdentity, chunk: int) -> None:
        if identity.location not in objects_begun:
            objects_begun.append(identity.location)
        if len(objects_begun) == 2:  # its first chunk is acknowledged: the kill comes now
            raise _Killed

    runtime.services.hooks = Hooks(after_ack=kill_in_the_second_object)
    capsys.readouterr()

    with pytest.raises(_Killed):
        handler.handle(event, LambdaContext(), runtime)

    (document,) = _metrics_emitted(capsys)  # the first object's; the second was cut off with the process
    finished = flows[objects_begun[0].removeprefix(f"s3://{BUCKET}/")]
    assert document["source"] == "vpcflow"
    assert _summed([document], "Objects", "Records", "Indexed", "DeadLettered") == (
        1,
        finished.records,
        finished.records - finished.bad,
        finished.bad,
    )
