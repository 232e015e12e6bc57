"""One huge value never makes its record unsearchable: Lucene refuses a document holding one
indexed term over 32,766 UTF-8 bytes (the guard answers as Serverless would), so the ingest path
cuts such values in the rare documents long enough to hold one (normalizers/terms.py)."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from opensearchpy import OpenSearch

from demo.records.cloudwatch_logs import firehose_object
from ingest.config import Settings
from ingest.deadletters import MemoryDeadLetterSink
from ingest.ledger import SqliteLedger
from ingest.processor import Services, normalized_items, process_object
from ingest.reader import open_bytes
from ingest.writer import BulkWriter, Deadline, Pending, PendingWrite
from siem_cli.main import main as cli
from tests.fuzz import deliveries
from tests.fuzz.models import Generator
from tests.ingest.harness import count
from tests.records import cloudtrail_record

pytestmark = pytest.mark.integration
INDEX = "siem-cloudtrail"
LOCATION = "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json"
LONG = 40_000


@pytest.fixture
def ledger() -> Iterator[SqliteLedger]:
    built = SqliteLedger()
    yield built
    built.close()


def _ingest(
    engine: OpenSearch, ledger: SqliteLedger, records: list[dict[str, object]]
) -> MemoryDeadLetterSink:
    settings = Settings(
        chunk_size=500, bulk_max_docs=200, concurrency=1, backoff_base=0.001, backoff_cap=0.01
    )
    sink = MemoryDeadLetterSink()
    body = json.dumps({"Records": records}).encode()
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    services = Services(settings, BulkWriter(engine, settings), ledger, sink, search=engine)
    result = process_object(opened, services, "worker", Deadline())
    assert result.status == "done", result
    return sink


def _hits(engine: OpenSearch, query: dict[str, object]) -> list[dict[str, object]]:
    answer = engine.search(index=INDEX, body={"query": query})
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def test_a_request_parameter_of_40_kb_is_cut_and_its_record_indexed_and_searchable(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    # An attacker who can log one 40 KB string (a policy document, a user data) hid the call
    # from every search and rule: the engine refused the document (it was dead-lettered).
    policy = "Statement" + "A" * LONG
    sink = _ingest(
        templated_engine,
        ledger,
        [
            cloudtrail_record(0, "PutUserPolicy"),
            cloudtrail_record(
                1, "PutUserPolicy", requestParameters={"userName": "mallory", "policyDocument": policy}
            ),
        ],
    )
    assert sink.entries() == []
    assert count(templated_engine, INDEX) == 2
    (document,) = _hits(templated_engine, {"term": {"event.id": "8b7f5a1e-0000-4000-8000-000000000001"}})
    parameters = document["aws"]["cloudtrail"]["request_parameters"]  # type: ignore[index]
    assert parameters["userName"] == "mallory"
    kept = parameters["policyDocument"]
    assert policy.startswith(kept) and 8_000 < len(kept) < 16_384
    field = "aws.cloudtrail.request_parameters.policyDocument"
    assert document["siem"]["cut"] == {  # type: ignore[index]
        "fields": [field],
        "bytes": len(policy) - len(kept),
        "position": "record 1",
    }
    # Searchable by its other fields, by the beginning of the long value, and as cut.
    by_user = _hits(templated_engine, {"term": {"aws.cloudtrail.request_parameters.userName": "mallory"}})
    assert [hit["event"]["id"] for hit in by_user] == ["8b7f5a1e-0000-4000-8000-000000000001"]  # type: ignore[index]
    assert len(_hits(templated_engine, {"prefix": {field: "StatementAAA"}})) == 1
    assert _hits(templated_engine, {"prefix": {field: "StatementB"}}) == []
    assert len(_hits(templated_engine, {"term": {"siem.cut.fields": field}})) == 1
    assert len(_hits(templated_engine, {"range": {"siem.cut.bytes": {"gte": LONG - 16_384}}})) == 1


class _RecordingWriter(BulkWriter):
    """The bulk writer, keeping the bodies it is given."""

    bodies: list[bytes]

    def start(self, documents: Sequence[Pending], deadline: Deadline) -> PendingWrite:
        self.bodies = [document.body for document in documents]
        return super().start(documents, deadline)


def test_documents_that_cannot_hold_an_immense_term_are_sent_byte_for_byte_as_encoded(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    records = [
        cloudtrail_record(
            0, "PutUserPolicy", requestParameters={"policyDocument": "A" * 30_000}
        ),  # under the limit: never looked at
        cloudtrail_record(
            1, "PutUserPolicy", requestParameters={"a": "A" * 16_000}, userAgent="U" * 40_000
        ),  # long, at no risk
        cloudtrail_record(
            2, "PutUserPolicy", requestParameters={"a": "B" * 16_000, "b": "é" * 9_000}
        ),  # over the limit, no term is
    ]
    body = json.dumps({"Records": records}).encode()
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    items = list(normalized_items(opened, keep_original=False)[0])
    settings = Settings(chunk_size=500, concurrency=1)
    writer = _RecordingWriter(templated_engine, settings)
    sink = MemoryDeadLetterSink()
    services = Services(settings, writer, ledger, sink, search=templated_engine)
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    result = process_object(opened, services, "worker", Deadline(), items)
    assert result.status == "done" and sink.entries() == []
    # The documents as the path stamped them (provenance), encoded: what was sent.
    expected = [orjson.dumps(document) for _, document in items]
    assert len(expected[0]) < 32_766 < min(len(expected[1]), len(expected[2]))
    assert writer.bodies == expected
    assert count(templated_engine, INDEX) == 3


def test_a_multibyte_value_is_cut_on_a_character_boundary_and_the_raw_record_kept(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    value = "€" * 15_000  # 45,000 bytes: 3 per character
    record = cloudtrail_record(0, "PutUserPolicy", requestParameters={"policyDocument": value})
    body = json.dumps({"Records": [record]}).encode()
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    items = list(normalized_items(opened, keep_original=True)[0])
    settings = Settings(chunk_size=500, concurrency=1)
    sink = MemoryDeadLetterSink()
    services = Services(
        settings, BulkWriter(templated_engine, settings), ledger, sink, search=templated_engine
    )
    opened = open_bytes(LOCATION, body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    assert process_object(opened, services, "worker", Deadline(), items).status == "done"
    (document,) = _hits(templated_engine, {"exists": {"field": "siem.cut.fields"}})
    kept = document["aws"]["cloudtrail"]["request_parameters"]["policyDocument"]  # type: ignore[index]
    term = len("aws.cloudtrail.request_parameters.policyDocument=") + len(kept.encode())
    assert set(kept) == {"€"} and 16_384 - 3 < term <= 16_384  # whole characters only
    assert document["siem"]["cut"]["bytes"] == len(value.encode()) - len(kept.encode())  # type: ignore[index]
    assert json.loads(document["event"]["original"]) == record  # type: ignore[index]


def test_a_key_of_40_kb_is_cut_and_its_record_indexed(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    # A key is a term too (flat_object's paths): a forged record could hide behind one.
    key = "Key" + "K" * LONG
    sink = _ingest(
        templated_engine,
        ledger,
        [cloudtrail_record(0, "PutUserPolicy", requestParameters={key: "v", "userName": "mallory"})],
    )
    assert sink.entries() == []
    (document,) = _hits(templated_engine, {"term": {"aws.cloudtrail.request_parameters.userName": "mallory"}})
    (kept,) = (name for name in document["aws"]["cloudtrail"]["request_parameters"] if name != "userName")  # type: ignore[index]
    assert key.startswith(kept) and len(kept) < 8_192
    assert document["siem"]["cut"]["fields"] == [f"aws.cloudtrail.request_parameters.{kept}"]  # type: ignore[index]


FIELD = "aws.cloudtrail.request_parameters"


def _value_for_term(length: int, char: str = "a") -> str:
    """A value whose ``_valueAndPath`` term (``<field>.k=<value>``, UTF-8) is ``length`` bytes."""
    room = length - len(f"{FIELD}.k=".encode())
    width = len(char.encode())
    return char * (room // width) + "a" * (room % width)


def test_the_bound_is_the_longest_term_indexed_to_the_byte(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    """``<field>.<key path>=<value>`` of 32,765 and 32,766 bytes is indexed as it is, one of
    32,767 is cut and marked: the guard refuses what Lucene refuses, and the path cuts exactly
    that (ASCII and three-byte characters)."""
    lengths = [(32_765, "a"), (32_766, "a"), (32_767, "a"), (32_766, "€"), (32_767, "€")]
    values = [_value_for_term(length, char) for length, char in lengths]
    assert [len(f"{FIELD}.k={value}".encode()) for value in values] == [length for length, _ in lengths]
    sink = _ingest(
        templated_engine,
        ledger,
        [
            cloudtrail_record(n, "PutUserPolicy", requestParameters={"k": value})
            for n, value in enumerate(values)
        ],
    )
    assert sink.entries() == []
    assert count(templated_engine, INDEX) == len(values)
    for number, value in enumerate(values):
        (document,) = _hits(
            templated_engine, {"term": {"event.id": f"8b7f5a1e-0000-4000-8000-{number:012d}"}}
        )
        kept = document["aws"]["cloudtrail"]["request_parameters"]["k"]  # type: ignore[index]
        if lengths[number][0] <= 32_766:
            assert kept == value and "cut" not in document.get("siem", {})  # type: ignore[operator]
        else:
            assert value.startswith(kept) and len(f"{FIELD}.k={kept}".encode()) <= 16_384
            assert document["siem"]["cut"] == {  # type: ignore[index]
                "fields": [f"{FIELD}.k"],
                "bytes": len(value.encode()) - len(kept.encode()),
                "position": f"record {number}",
            }


def _cut_marks(document: dict[str, object]) -> tuple[object, object]:
    """What a cut leaves of a document, whatever path wrote it: the cut parameters, the marker
    without its position (each path counts records in its own object)."""
    cut = dict(document["siem"]["cut"])  # type: ignore[index]
    cut.pop("position")
    return document["aws"]["cloudtrail"]["request_parameters"], cut  # type: ignore[index]


def test_every_path_that_writes_documents_for_indexing_cuts_and_marks_alike(
    templated_engine: OpenSearch,
    ledger: SqliteLedger,
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """A 40 KB request parameter: the S3 object through the ingest path, the same record in a
    CloudWatch Logs subscription payload delivered by Firehose, and ``siem normalize``."""
    record = cloudtrail_record(
        1, "PutUserPolicy", requestParameters={"userName": "mallory", "policyDocument": "S" + "A" * LONG}
    )
    _ingest(templated_engine, ledger, [cloudtrail_record(0, "PutUserPolicy"), record])
    (direct,) = _hits(templated_engine, {"exists": {"field": "siem.cut.fields"}})
    expected = _cut_marks(direct)

    payloads = deliveries.payloads("cloudtrail", [orjson.dumps(record)], [])
    key = "s3://bucket/firehose/2024/05/01/12/to-s3-1-2024-05-01-12-00-00-0b5e7a4c.gz"
    settings = Settings(chunk_size=500, concurrency=1, backoff_base=0.001, backoff_cap=0.01)
    sink = MemoryDeadLetterSink()
    services = Services(
        settings, BulkWriter(templated_engine, settings), SqliteLedger(), sink, search=templated_engine
    )
    opened = open_bytes(key, firehose_object(payloads), "v1", datetime(2024, 5, 1, tzinfo=UTC))
    assert process_object(opened, services, "worker", Deadline()).status == "done" and sink.entries() == []
    cut = _hits(templated_engine, {"exists": {"field": "siem.cut.fields"}})
    delivered = [hit for hit in cut if hit["siem"]["object"]["id"] != direct["siem"]["object"]["id"]]  # type: ignore[index]
    assert len(cut) == 2 and [_cut_marks(document) for document in delivered] == [expected]

    trail = tmp_path / "trail.json"
    trail.write_bytes(orjson.dumps({"Records": [cloudtrail_record(0, "PutUserPolicy"), record]}))
    assert cli(["normalize", str(trail)]) == 0
    lines = [orjson.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert "siem" not in lines[0]
    assert _cut_marks(lines[1]) == expected and lines[1]["siem"]["cut"]["position"] == "record 1"


def test_firehose_error_output_cuts_a_recovered_finding_as_its_export_is_cut(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    """A GuardDuty finding with a 40 KB ``additionalInfo`` value, from the S3 export and
    recovered from Firehose error output (``rawData``: the EventBridge event)."""
    member = "333333333333"
    finding = Generator("guardduty", seed=5).finding()
    finding.update(accountId=member, region="us-east-1")
    finding.setdefault("service", {})["additionalInfo"] = {"blob": "B" * LONG, "type": "default"}
    event = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": member,
        "time": "2026-03-14T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": finding,
    }
    failure = {"attemptsMade": 1, "arrivalTimestamp": 1773482400000, "errorCode": "Processor.Failure"}
    error_line = orjson.dumps({**failure, "rawData": base64.b64encode(orjson.dumps(event) + b"\n").decode()})
    objects = {
        f"s3://bucket/AWSLogs/{member}/GuardDuty/us-east-1/2026/03/14/x.jsonl.gz": gzip.compress(
            orjson.dumps(finding)
        ),
        f"s3://bucket/guardduty/AWSLogs/{member}/firehose-errors/us-east-1/processing-failed/2026/03/14/s-1.gz": (
            gzip.compress(error_line + b"\n")
        ),
    }
    settings = Settings(chunk_size=500, concurrency=1, backoff_base=0.001, backoff_cap=0.01)
    sink = MemoryDeadLetterSink()
    services = Services(
        settings, BulkWriter(templated_engine, settings), ledger, sink, search=templated_engine
    )
    for key, body in objects.items():
        opened = open_bytes(key, body, "v1", datetime(2026, 3, 14, tzinfo=UTC))
        assert process_object(opened, services, "worker", Deadline()).status == "done"
    assert sink.entries() == []
    answer = templated_engine.search(
        index="siem-guardduty", body={"query": {"exists": {"field": "siem.cut.fields"}}}
    )
    documents = [hit["_source"] for hit in answer["hits"]["hits"]]
    assert len(documents) == 2
    cuts = [{**document["siem"]["cut"], "position": None} for document in documents]
    kept = [document["aws"]["guardduty"]["service"]["additional_info"]["blob"] for document in documents]
    assert (
        cuts[0]
        == cuts[1]
        == {
            "fields": ["aws.guardduty.service.additional_info.blob"],
            "bytes": LONG - len(kept[0]),
            "position": None,
        }
    )
    assert kept[0] == kept[1] and ("B" * LONG).startswith(kept[0])
