"""Hostile records on the ingest path: records in = indexed + dead-lettered, whatever a record holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from opensearchpy import OpenSearch

from ingest.config import Settings
from ingest.deadletters import MemoryDeadLetterSink
from ingest.ledger import SqliteLedger
from ingest.processor import Services, normalized_items, process_object
from ingest.reader import open_bytes
from ingest.writer import BulkWriter, Deadline
from tests.ingest.harness import count
from tests.records import cloudtrail_record

pytestmark = pytest.mark.integration
INDEX = "siem-cloudtrail"
LOCATION = "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json"


def _nested(levels: int) -> object:
    value: object = "v"
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.fixture
def ledger() -> Iterator[SqliteLedger]:
    built = SqliteLedger()
    yield built
    built.close()


def _services(engine: OpenSearch, ledger: SqliteLedger, sink: MemoryDeadLetterSink) -> Services:
    settings = Settings(
        chunk_size=500, bulk_max_docs=200, concurrency=1, backoff_base=0.001, backoff_cap=0.01
    )
    return Services(settings, BulkWriter(engine, settings), ledger, sink, search=engine)


def test_a_record_nested_deeper_than_a_document_can_be_encoded_costs_that_record_alone(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    # orjson parses 1,024 levels but encodes 254: the document of a record whose parameters
    # nested 300 levels could not be sent, and the whole object failed, again on every retry.
    deep = cloudtrail_record(1, requestParameters=_nested(300))
    body = json.dumps(
        {"Records": [cloudtrail_record(0), deep, cloudtrail_record(2)]}
    ).encode()  # orjson: 254 levels
    sink = MemoryDeadLetterSink()
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    result = process_object(opened, _services(templated_engine, ledger, sink), "worker", Deadline())
    assert result.status == "done", result
    letters = sink.entries()
    assert [letter["position"] for letter in letters] == ["record 1"]
    assert letters[0]["reason"].startswith("invalid JSON: ")
    assert json.loads(letters[0]["raw"]) == deep
    assert result.indexed == 2 == count(templated_engine, INDEX)


def test_a_document_that_cannot_be_encoded_is_dead_lettered_not_the_end_of_its_object(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    # Whatever a normalizer (or an enrichment) lets through, one document the encoder refuses
    # costs that record: records in = indexed + dead-lettered.
    body = json.dumps({"Records": [cloudtrail_record(number) for number in range(3)]}).encode()
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    items = list(normalized_items(opened, keep_original=True)[0])
    _, document = items[1]
    assert isinstance(document, dict)
    document["aws"]["cloudtrail"]["request_parameters"] = _nested(300)
    sink = MemoryDeadLetterSink()
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    result = process_object(opened, _services(templated_engine, ledger, sink), "worker", Deadline(), items)
    assert result.status == "done", result
    (letter,) = sink.entries()
    assert letter["reason"].startswith("invalid record: its document cannot be encoded")
    assert letter["position"] == "record 1" and letter["stage"] == "normalize"
    assert json.loads(letter["raw"]) == cloudtrail_record(1)  # event.original: what a replay normalizes again
    assert result.records == 3 and result.indexed == 2 == count(templated_engine, INDEX)
