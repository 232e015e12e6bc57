"""Fault injection: throttling, outages, timeouts, rejected items, killed handlers, redelivery.

Seeded end to end (the proxy's decisions depend on the seed and the request bodies, the kills,
deadlines and redeliveries on a seeded generator), >= 50,000 records through the real path:
moto S3 -> SQS notification -> ``handler.handle`` -> fault proxy -> guarded embedded engine,
with the DynamoDB ledger and S3 dead letters.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo import synthetic
from ingest import handler
from ingest.config import Settings
from ingest.processor import Hooks
from ingest.reader import ObjectIdentity
from ingest.runtime import Runtime, build_runtime
from ingest.serverless_guard import ServerlessGuard
from opensearch_client import ConnectionSettings
from tests.ingest.conftest import BUCKET, DEAD_LETTER_BUCKET, TABLE, Aws
from tests.ingest.harness import CountdownContext, LambdaContext, count, drain, duplicated_ids, lean_template
from tests.ingest.proxy import FaultProxy, Faults
from tests.ingest.records import flow_object

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED = 20240501
PREFIX = "siem-fault-"
INDICES = (f"{PREFIX}vpcflow", f"{PREFIX}cloudtrail")
LEAN_TEMPLATE = lean_template(PREFIX)


class SimulatedCrash(Exception):
    """The handler dies here (in Lambda: the process is killed)."""


@pytest.fixture
def lean_engine(engine: OpenSearch) -> OpenSearch:
    engine.indices.put_index_template(name="siem-fault", body=LEAN_TEMPLATE)
    return engine


@pytest.fixture
def proxy(engine_url: str, lean_engine: OpenSearch) -> Iterator[FaultProxy]:
    with FaultProxy(engine_url) as running:
        yield running


def _runtime(
    aws: Aws, proxy: FaultProxy, guard: ServerlessGuard, hooks: Hooks, chunk_size: int, look_up: bool = True
) -> Runtime:
    settings = Settings(
        connection=ConnectionSettings(proxy.url, auth="none", timeout=60.0),
        index_prefix=PREFIX,
        ledger_table=TABLE,
        dead_letter_bucket=DEAD_LETTER_BUCKET,
        chunk_size=chunk_size,
        bulk_max_docs=500,
        concurrency=2,
        max_attempts=6,
        backoff_base=0.05,
        backoff_cap=0.5,
        deadline_margin=0.0,
        search_visibility_seconds=0.0,  # the embedded engine makes a write searchable at once
    )
    client = guard.wrap(OpenSearch(hosts=[proxy.url], timeout=60.0, max_retries=0, pool_maxsize=4))
    runtime = build_runtime(settings, client=client, s3=aws.s3, dynamodb=aws.dynamodb, hooks=hooks)
    if not look_up:  # the path as it was before in-flight chunks were looked up, for comparison
        runtime.services.search = None
    return runtime


def _put_inputs(
    aws: Aws, flow_objects: int, flows_each: int, trail_objects: int, trail_each: int
) -> tuple[int, int]:
    """Upload the input; return (records, records the normalizer must dead-letter)."""
    records = bad = 0
    for number in range(flow_objects):
        flows = flow_object(flows_each, seed=SEED + number, bad_every=499)
        aws.s3.put_object(
            Bucket=BUCKET,
            Key=f"AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/f{number}.log.gz",
            Body=flows.body,
        )
        records, bad = records + flows.records, bad + flows.bad
    for number in range(trail_objects):
        trail = list(synthetic.cloudtrail_records(trail_each, seed=SEED + 1000 + number))
        aws.s3.put_object(
            Bucket=BUCKET,
            Key=f"AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/t{number}.json.gz",
            Body=synthetic.cloudtrail_log_file(trail),
        )
        records += len(trail)
    return records, bad


def _dead_letters(aws: Aws) -> list[dict[str, Any]]:
    pages = aws.s3.get_paginator("list_objects_v2").paginate(Bucket=DEAD_LETTER_BUCKET)
    keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
    return [
        orjson.loads(line)
        for key in keys
        for line in aws.s3.get_object(Bucket=DEAD_LETTER_BUCKET, Key=key)["Body"].read().splitlines()
    ]


def test_fifty_thousand_records_survive_every_fault_exactly_once(
    aws: Aws, proxy: FaultProxy, serverless_guard: ServerlessGuard, lean_engine: OpenSearch
) -> None:
    rng = random.Random(SEED)
    proxy.faults = Faults(
        seed=SEED,
        bulk_429=0.06,
        bulk_503=0.05,
        bulk_timeout=0.03,
        timeout_sleep=1.0,
        item_429=0.03,
        item_400=0.002,
    )
    events: Counter[str] = Counter()

    def kill_between_chunks(identity: ObjectIdentity, chunk: int) -> None:
        if rng.random() < 0.1:
            events["killed between chunks"] += 1
            raise SimulatedCrash(f"{identity.location} after chunk {chunk}")

    def kill_in_the_window(identity: ObjectIdentity, chunk: int) -> None:
        if rng.random() < 0.05:
            events["killed between the bulk answer and the ledger write"] += 1
            raise SimulatedCrash(f"{identity.location} before the ack of chunk {chunk}")

    hooks = Hooks(after_write=kill_in_the_window, after_ack=kill_between_chunks)
    runtime = _runtime(aws, proxy, serverless_guard, hooks, chunk_size=1000)
    records, normalizer_bad = _put_inputs(
        aws, flow_objects=24, flows_each=2000, trail_objects=4, trail_each=600
    )
    assert records >= 50_000

    # Its own sequence: which invocations run short does not depend on how many chunks the
    # kills above were drawn for (a document's size changes the faults, hence the chunks).
    timing = random.Random(SEED)

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        events["invocations"] += 1
        if timing.random() < 0.4:  # this invocation runs out of time part-way
            events["short invocations"] += 1
            return handler.handle(
                event, CountdownContext(timing.randrange(2, 40), f"r{events['invocations']}"), runtime
            )
        return handler.handle(event, LambdaContext(900, f"r{events['invocations']}"), runtime)

    def redeliver(record: dict[str, Any]) -> bool:  # SQS at-least-once: some messages come back
        if rng.random() < 0.2:
            events["redelivered"] += 1
            aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=record["body"])
        return False

    drain(aws.sqs, aws.queue_url, invoke, keep=redeliver)
    runtime.close()

    indexed = sum(count(lean_engine, index) for index in INDICES)
    letters = _dead_letters(aws)
    assert indexed + len(letters) == records
    for index in INDICES:
        assert not duplicated_ids(lean_engine, index), f"duplicates in {index}"
    assert all(letter["reason"] and letter["object"] and letter["position"] for letter in letters)
    stages = Counter(letter["stage"] for letter in letters)
    assert stages["normalize"] == normalizer_bad
    rejected = [letter for letter in letters if letter["stage"] == "index"]
    assert rejected and all(proxy.permanently_rejected(letter["raw"].encode()) for letter in rejected)
    assert all("mapper_parsing_exception" in letter["reason"] for letter in rejected)
    assert len({orjson.loads(letter["raw"])["event"]["id"] for letter in rejected}) == len(rejected)

    print(
        f"\nfault injection: {records} records, {indexed} indexed, {len(letters)} dead-lettered "
        f"({dict(stages)}), duplicates 0; proxy: {proxy.stats.bulk_requests} bulk requests, "
        f"{dict(proxy.stats.injected)}; handler: {dict(events)}"
    )
    # every kind of fault really happened
    for fault in ("bulk 429", "bulk 503", "bulk timeout", "item 429", "item 400"):
        assert proxy.stats.injected[fault] > 0, fault
    for event in (
        "killed between chunks",
        "killed between the bulk answer and the ledger write",
        "short invocations",
        "redelivered",
    ):
        assert events[event] > 0, event


@pytest.mark.parametrize("look_up", [True, False], ids=["looked-up", "sent-again"])
def test_kills_between_the_bulk_answer_and_the_ledger_write_duplicate_nothing(
    aws: Aws, proxy: FaultProxy, serverless_guard: ServerlessGuard, lean_engine: OpenSearch, look_up: bool
) -> None:
    """Each kill lands after OpenSearch acknowledged a chunk's bulk requests and before the ledger
    recorded it (the chunk was recorded in flight). The redelivery looks the chunk's ``event.id``s
    up and sends none of them again; sending the chunk again whole (the path before, kept here
    for comparison) lets in one chunk of duplicates per kill."""
    chunk_size = 500
    kills_at = [2, 3, 5]  # chunk 3 is killed just after the resume of chunk 2 acknowledged it
    crashed: list[int] = []

    def kill_in_the_window(identity: ObjectIdentity, chunk: int) -> None:
        if chunk in kills_at and chunk not in crashed:
            crashed.append(chunk)
            raise SimulatedCrash("between the bulk acknowledgement and the ledger write")

    hooks = Hooks(after_write=kill_in_the_window)
    runtime = _runtime(aws, proxy, serverless_guard, hooks, chunk_size=chunk_size, look_up=look_up)
    flows = flow_object(3000, seed=SEED, bad_every=101)
    aws.s3.put_object(Bucket=BUCKET, Key="flows/window.log.gz", Body=flows.body)
    drain(aws.sqs, aws.queue_url, lambda event: handler.handle(event, LambdaContext(), runtime))
    runtime.close()

    duplicates = duplicated_ids(lean_engine, INDICES[0])
    extra_copies = sum(copies - 1 for copies in duplicates.values())
    letters = _dead_letters(aws)
    assert crashed == kills_at
    assert len(letters) == flows.bad  # each truncated line dead-lettered once, whatever the kills
    assert count(lean_engine, INDICES[0]) == flows.records - flows.bad + extra_copies
    if look_up:
        assert extra_copies == 0
    else:  # every document of each killed chunk (those the normalizer read) once more
        assert extra_copies == sum(
            sum(1 for line in range(chunk * chunk_size, (chunk + 1) * chunk_size) if line % 101 != 100)
            for chunk in kills_at
        )
    print(
        f"\nresidual window ({'looked up' if look_up else 'sent again'}): {len(crashed)} kills after the "
        f"bulk answer, before the ledger write, {chunk_size}-record chunks: {extra_copies} duplicates "
        f"({extra_copies / len(crashed):.0f} per kill)"
    )
