"""Helpers shared by the ingest tests: a Lambda context, a ledger client that fails, draining the
queue, counting documents."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ReadTimeoutError
from opensearchpy import OpenSearch


class LambdaContext:
    """What the handler reads from Lambda's context object."""

    def __init__(self, seconds: float = 900.0, request_id: str = "request-1") -> None:
        self._end = time.monotonic() + seconds
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


class CountdownContext(LambdaContext):
    """A Lambda that has plenty of time for ``checks`` deadline checks, then none: a
    deterministic way to stop an invocation part-way, whatever the machine's speed."""

    def __init__(self, checks: int, request_id: str = "request-1") -> None:
        super().__init__(900.0, request_id)
        self._checks = checks

    def get_remaining_time_in_millis(self) -> int:
        self._checks -= 1
        return 900_000 if self._checks >= 0 else 0


ACK = "chunks_done = chunks_done + :one"
PARTIAL_SAVE = "partial_offsets = :partial"


class LedgerWriteFails:
    """The ledger's DynamoDB client, whose next ``times`` updates whose expression holds ``what``
    fail with a read timeout: refused before DynamoDB applies them, or applied and their answer
    lost."""

    def __init__(self, client: Any, what: str, times: int, applied: bool) -> None:
        self._client, self._what, self.times, self._applied = client, what, times, applied

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def update_item(self, **request: Any) -> Any:
        if self.times and self._what in request["UpdateExpression"]:
            self.times -= 1
            if self._applied:
                self._client.update_item(**request)
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
        return self._client.update_item(**request)


def receive(sqs: Any, queue_url: str, visibility: int = 0) -> dict[str, Any]:
    """One SQS batch as the Lambda event source mapping would deliver it (empty if none).
    The test queue's visibility timeout is 0, so what is not deleted is redelivered at once."""
    answer = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=visibility
    )
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:siem-ingest",
                "awsRegion": "us-east-1",
            }
            for m in answer.get("Messages", [])
        ]
    }


def drain(
    sqs: Any,
    queue_url: str,
    handler: Callable[[dict[str, Any]], dict[str, Any]],
    keep: Callable[[dict[str, Any]], bool] = lambda record: False,
    max_batches: int = 1000,
) -> int:
    """Deliver batches to ``handler`` until the queue is empty; delete what it did not report
    as failed (like the event source mapping), except records ``keep`` selects (redelivered).
    Returns the number of batches."""
    for batches in range(max_batches):
        event = receive(sqs, queue_url)
        if not event["Records"]:
            return batches
        failed = {f["itemIdentifier"] for f in handler(event)["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] not in failed and not keep(record):
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
    raise AssertionError(f"queue not drained after {max_batches} batches")


def count(client: OpenSearch, index: str) -> int:
    return int(client.count(index=index)["count"])


def duplicated_ids(client: OpenSearch, index: str) -> dict[str, int]:
    """``event.id`` values present more than once, with their number of copies."""
    answer = client.search(
        index=index,
        body={
            "size": 0,
            "aggs": {"ids": {"terms": {"field": "event.id", "min_doc_count": 2, "size": 10000}}},
        },
    )
    return {b["key"]: b["doc_count"] for b in answer["aggregations"]["ids"]["buckets"]}


def lean_template(prefix: str) -> dict[str, Any]:
    """An index template mapping only what duplicate counting needs (``@timestamp``, ``event.id``):
    the guarantees under test do not depend on field mappings, and the embedded engine indexes
    about six times faster, which keeps tens of thousands of records within a test's budget."""
    return {
        "index_patterns": [f"{prefix}*"],
        "priority": 1000,
        "template": {
            "mappings": {
                "dynamic": False,
                "properties": {
                    "@timestamp": {"type": "date"},
                    "event": {"properties": {"id": {"type": "keyword"}}},
                },
            }
        },
    }


EMBEDDED_VISIBILITY_SECONDS = 1.0
"""How long a write takes to become searchable in the embedded engine (as the code assumes of
any engine but Serverless): a resume of a chunk in flight waits that long, not Serverless's 60 s
on the wall clock. The Serverless wait has its own tests (test_processor.py)."""
