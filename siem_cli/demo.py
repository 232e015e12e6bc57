"""``make demo``: the whole ingest path on this machine, with real components.

1. start the embedded engine (osmem-server) and install the index templates;
2. write the demo incident (``demo.write_incident``: raw objects as AWS delivers them);
3. put them into a moto S3 bucket whose S3 -> SQS notification is configured in moto;
4. drain the queue through ``ingest.handler`` (DynamoDB ledger, S3 dead letters, all moto),
   with every request checked by the Serverless guard;
5. print the documents per index against the ground truth, and the dead letters;
6. run the post-ingest steps (investigation, alerts...) registered in :data:`POST_INGEST_STEPS`.

To plug a step in, add ``"package.module:function"`` to :data:`POST_INGEST_STEPS`; the function
receives a :class:`DemoContext` and prints what it has to show.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson
from opensearchpy import OpenSearch

from ingest import handler
from ingest.config import Settings
from ingest.observability import logger
from ingest.runtime import Runtime, build_runtime
from ingest.serverless_guard import ServerlessGuard
from opensearch_client import ConnectionSettings, make_client
from siem_cli.local_aws import create_local_aws

POST_INGEST_STEPS: list[str] = ["detections.demo:show", "investigation.demo:show", "posture.demo:show"]
"""``"module:function"`` names called in order after ingestion with a :class:`DemoContext`."""

DEAD_LETTER_BUCKET = "siem-demo-dead-letters"
LEDGER_TABLE = "siem-demo-ledger"
INDEX_PREFIX = "siem-"
LOG_FILE = Path("build/demo/ingest-log.jsonl")


@dataclass
class DemoContext:
    client: OpenSearch
    """Guarded client on the embedded engine (answers like Serverless)."""
    engine_url: str
    incident: Any
    """The :class:`demo.truth.Incident` ground truth."""
    directory: Path
    """Where the raw objects were written (relative path = S3 key)."""
    s3: Any
    bucket: str
    index_prefix: str
    guard: ServerlessGuard


def _aws_environment() -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
        "AWS_SESSION_TOKEN": "demo",
    }.items():
        os.environ.setdefault(name, value)


def _upload(s3: Any, bucket: str, directory: Path) -> int:
    files = sorted(path for path in directory.rglob("*") if path.is_file())
    for path in files:
        s3.put_object(Bucket=bucket, Key=path.relative_to(directory).as_posix(), Body=path.read_bytes())
    return len(files)


class _Context:
    """A Lambda context with 15 minutes to go."""

    aws_request_id = "demo"

    def __init__(self) -> None:
        self._end = time.monotonic() + 900

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - time.monotonic()) * 1000)


def _drain(sqs: Any, queue_url: str, runtime: Runtime) -> tuple[int, int]:
    """Deliver the queue to the handler in batches of 10, as the event source mapping does."""
    batches = failures = 0
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        messages = answer.get("Messages", [])
        if not messages:
            return batches, failures
        event = {
            "Records": [
                {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"} for m in messages
            ]
        }
        failed = {
            f["itemIdentifier"] for f in handler.handle(event, _Context(), runtime)["batchItemFailures"]
        }
        batches, failures = batches + 1, failures + len(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _dead_letters(s3: Any) -> list[dict[str, Any]]:
    listing = s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET).get("Contents", [])
    return [
        orjson.loads(line)
        for entry in listing
        for line in s3.get_object(Bucket=DEAD_LETTER_BUCKET, Key=entry["Key"])["Body"].read().splitlines()
    ]


def _report(client: OpenSearch, incident: Any, letters: list[dict[str, Any]]) -> bool:
    expected = incident.expected_documents
    print(f"\n{'index':<20} {'documents':>10} {'expected':>10}")
    ok = True
    for source, want in expected.items():
        index = INDEX_PREFIX + source
        got = int(client.count(index=index)["count"]) if client.indices.exists(index=index) else 0
        ok &= got == want
        print(f"{index:<20} {got:>10} {want:>10}{'' if got == want else '  <- differs'}")
    print(f"\ndead letters: {len(letters)} (expected {sum(incident.expected_dead_letters.values())})")
    for letter in letters:
        print(
            f"  {letter['source']:<12} {letter['reason'][:60]:<60} {letter['object'].rsplit('/', 1)[-1]} "
            f"{letter['position']}"
        )
    return ok and len(letters) == sum(incident.expected_dead_letters.values())


@contextlib.contextmanager
def _logs_to(stream: TextIO) -> Iterator[None]:
    """Send the handler's log lines (a handler bound to stdout) and EMF metrics (print) to ``stream``."""
    handler_ = logger.registered_handler
    previous = handler_.setStream(stream) if isinstance(handler_, logging.StreamHandler) else None
    try:
        with contextlib.redirect_stdout(stream):
            yield
    finally:
        if previous is not None and isinstance(handler_, logging.StreamHandler):
            handler_.setStream(previous)


def _step(name: str) -> Callable[[DemoContext], None]:
    module, _, function = name.partition(":")
    step: Callable[[DemoContext], None] = getattr(importlib.import_module(module), function)
    return step


def main() -> int:
    from moto import mock_aws
    from osmem_server import OsmemServer

    from demo import write_incident
    from opensearch_assets.templates import install_templates

    _aws_environment()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch, OsmemServer.start(japanese=False) as server, mock_aws():
        guard = ServerlessGuard()
        engine = ConnectionSettings(server.url, auth="none", timeout=60)
        client = guard.wrap(make_client(engine, pool_maxsize=5))
        install_templates(client, prefix=INDEX_PREFIX)
        print(f"engine: {server.url} (osmem-server {server.version}), templates installed")
        directory = Path(scratch) / "bucket"
        incident = write_incident(directory)
        local = create_local_aws(incident.bucket, DEAD_LETTER_BUCKET, LEDGER_TABLE)
        print(
            f"incident written: {_upload(local.s3, incident.bucket, directory)} objects put into "
            f"s3://{incident.bucket} (moto), S3 -> SQS notification configured"
        )
        settings = Settings(
            connection=ConnectionSettings(server.url, auth="none"),
            index_prefix=INDEX_PREFIX,
            ledger_table=LEDGER_TABLE,
            dead_letter_bucket=DEAD_LETTER_BUCKET,
            deadline_margin=5.0,
        )
        runtime = build_runtime(settings, client=client, s3=local.s3, dynamodb=local.dynamodb)
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        with LOG_FILE.open("w") as log, _logs_to(log):  # JSON log lines and EMF metrics
            batches, failures = _drain(local.sqs, local.queue_url, runtime)
        runtime.close()
        print(
            f"queue drained through ingest.handler.lambda_handler: {batches} batches, {failures} failed messages; "
            f"log lines and EMF metrics in {LOG_FILE}"
        )
        ok = _report(client, incident, _dead_letters(local.s3))
        context = DemoContext(
            client, server.url, incident, directory, local.s3, incident.bucket, INDEX_PREFIX, guard
        )
        for name in POST_INGEST_STEPS:
            _step(name)(context)
        if guard.violations:
            print(f"requests Serverless would reject: {guard.violations}", file=sys.stderr)
            ok = False
    print(f"\ndemo {'finished' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
