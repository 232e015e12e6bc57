"""A record whose id is 2 KB long, through the ingest path into the Serverless-guarded engine:
its document is found by ``event.id`` (a ``keyword`` indexes 1,024 characters at most), so a
resumed in-flight chunk finds it and sends it once (ingest/searchable.py); the engine names it
by an ``_id`` of its own, far below the 512 bytes OpenSearch allows (the writer sends none)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from opensearchpy import OpenSearch

from ingest.config import Settings
from ingest.deadletters import MemoryDeadLetterSink
from ingest.ledger import SqliteLedger
from ingest.processor import Hooks, Services, process_object
from ingest.reader import ObjectIdentity, open_bytes
from ingest.writer import BulkWriter, Deadline
from normalizers.ecs.ids import MAX_ID_BYTES
from tests.fuzz.models import Generator
from tests.ingest.harness import EMBEDDED_VISIBILITY_SECONDS, count
from tests.records import cloudtrail_record

pytestmark = pytest.mark.integration
LONG_ID = "arn:aws:securityhub:us-east-1:111122223333:finding/" + "x" * 2000
RECORDS = 3


class _Crash(Exception):
    """A kill after the engine took the chunk and before the ledger recorded it."""


def _guardduty(number: int) -> dict[str, object]:
    finding: dict[str, object] = Generator("guardduty", seed=number).finding()
    finding["id"] = f"{LONG_ID}-{number}"
    return finding


OBJECTS = {
    "siem-cloudtrail": (
        "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json",
        lambda: json.dumps(
            {"Records": [cloudtrail_record(n, "ListUsers", eventID=f"{LONG_ID}-{n}") for n in range(RECORDS)]}
        ).encode(),
    ),
    "siem-guardduty": (
        "s3://bucket/AWSLogs/111122223333/GuardDuty/us-east-1/2024/05/01/x.jsonl",
        lambda: b"\n".join(json.dumps(_guardduty(n)).encode() for n in range(RECORDS)),
    ),
}


@pytest.fixture
def ledger() -> Iterator[SqliteLedger]:
    built = SqliteLedger()
    yield built
    built.close()


@pytest.mark.parametrize("index", sorted(OBJECTS))
def test_records_with_2_kb_ids_are_found_by_event_id_and_a_resume_sends_them_once(
    templated_engine: OpenSearch, ledger: SqliteLedger, index: str
) -> None:
    location, body = OBJECTS[index]
    crashed: list[int] = []

    def crash_once(identity: ObjectIdentity, chunk: int) -> None:
        if not crashed:
            crashed.append(chunk)
            raise _Crash("between the bulk answer and the ledger write")

    settings = Settings(
        chunk_size=500,
        concurrency=1,
        backoff_base=0.001,
        backoff_cap=0.01,
        search_visibility_seconds=EMBEDDED_VISIBILITY_SECONDS,
    )
    sink = MemoryDeadLetterSink()
    services = Services(
        settings,
        BulkWriter(templated_engine, settings),
        ledger,
        sink,
        Hooks(after_write=crash_once),
        templated_engine,
    )
    with pytest.raises(_Crash):
        process_object(
            open_bytes(location, body(), "v1", datetime(2024, 5, 1, tzinfo=UTC)), services, "w", Deadline()
        )
    result = process_object(
        open_bytes(location, body(), "v1", datetime(2024, 5, 1, tzinfo=UTC)), services, "w", Deadline()
    )
    assert result.status == "done" and sink.entries() == [], result
    # Found by event.id: none sent again; counted by this run, whose ledger write acknowledges them.
    assert (result.requests, result.indexed, result.already_acknowledged) == (0, RECORDS, 0)
    assert count(templated_engine, index) == RECORDS
    hits = templated_engine.search(index=index, body={"size": 10})["hits"]["hits"]
    for hit in hits:
        event_id = hit["_source"]["event"]["id"]
        assert len(event_id.encode()) <= MAX_ID_BYTES
        found = templated_engine.search(index=index, body={"query": {"term": {"event.id": event_id}}})
        assert [item["_id"] for item in found["hits"]["hits"]] == [hit["_id"]]
        assert len(hit["_id"].encode()) < 512
