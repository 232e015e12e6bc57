"""Firehose error output of the member stack, recovered: the live path (S3 notification -> the
Lambda -> ``process_object``), ``siem ingest`` of the bucket, the backfill's key table, replays.

Error records are built as the Amazon Data Firehose Developer Guide shows them for a record whose
processing failed (``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp``, ``rawData``), around real findings (``../shared/samples/guardduty``,
``../shared/samples/securityhub``) wrapped in the EventBridge events infra/member_stack.py's rules
put into the streams, one per line as its ``AppendDelimiterToRecord`` processor writes them.
"""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo.records import guardduty as gd
from ingest import handler
from ingest.enqueue import Filters, Listed, classify
from ingest.processor import ObjectResult
from ingest.provenance import ACCOUNT_MISMATCH, SOURCE_MISMATCH
from ingest.reader import open_bytes
from ingest.replay import replayed_items
from ingest.runtime import Runtime
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.firehose_errors.normalize import NO_RECORD
from normalizers.layouts import read_key
from normalizers.limits import Limits
from siem_cli import main as cli
from tests.conftest import GOLDEN
from tests.ingest.conftest import BUCKET, Aws, lambda_runtime, s3_dead_letters
from tests.ingest.harness import LambdaContext, drain

MEMBER = "333333333333"
VICTIM = "000000000001"
DAY = "2026/03/14"
ERROR_KEY = f"guardduty/AWSLogs/{MEMBER}/firehose-errors/us-east-1/processing-failed/{DAY}/stream-1-abc.gz"
STREAM_KEY = f"guardduty/AWSLogs/{MEMBER}/firehose/us-east-1/{DAY}/stream-1-abc.gz"
FAILURE = {
    "attemptsMade": 1,
    "arrivalTimestamp": 1773482400000,  # 2026-03-14T10:00:00Z
    "errorCode": "Processor.Failure",
    "errorMessage": "The record could not be processed.",
    "attemptEndingTimestamp": 1773482460000,
}
PROVENANCE = {
    "recovered": True,
    "error_code": "Processor.Failure",
    "error_message": "The record could not be processed.",
    "error_output_type": "processing-failed",
    "attempts_made": 1,
    "arrival_time": "2026-03-14T10:00:00Z",
}


def guardduty_event(finding: dict[str, Any]) -> dict[str, Any]:
    """The "GuardDuty Finding" event EventBridge gives the member stack's rule."""
    return {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": finding.get("accountId", MEMBER),
        "time": "2026-03-14T10:00:00Z",
        "region": finding.get("region", "us-east-1"),
        "resources": [],
        "detail": finding,
    }


def securityhub_event(finding: dict[str, Any]) -> dict[str, Any]:
    """The "Security Hub Findings - Imported" event of one finding."""
    return {
        "version": "0",
        "id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": finding.get("AwsAccountId", MEMBER),
        "time": "2026-03-14T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"findings": [finding]},
    }


def stream_object(events: list[dict[str, Any]]) -> bytes:
    """What the stream delivers: one event per line, gzip."""
    return gzip.compress(b"".join(orjson.dumps(event) + b"\n" for event in events))


def error_line(record: bytes | None, **members: Any) -> bytes:
    """One error record whose ``rawData`` is ``record`` (``None``: no rawData)."""
    body: dict[str, Any] = dict(FAILURE)
    if record is not None:
        body["rawData"] = base64.b64encode(record).decode("ascii")
    body.update(members)
    return orjson.dumps(body) + b"\n"


def error_object(lines: list[bytes]) -> bytes:
    return gzip.compress(b"".join(lines))


def recovered_lines(events: list[dict[str, Any]]) -> list[bytes]:
    # The record as the rule put it: the event and the delimiter the processor appends.
    return [error_line(orjson.dumps(event) + b"\n") for event in events]


def _items(body: bytes, key: str, limits: Limits | None = None) -> tuple[list[Any], Any]:
    origin = Origin(object=f"s3://{BUCKET}/{key}", ingested="2026-03-14T12:00:00.000Z")
    if limits is not None:
        origin = Origin(object=origin.object, ingested=origin.ingested, limits=limits)
    normalized = normalize_object(io.BytesIO(body), origin)
    items = list(normalized)
    return items, normalized.outcome


def _documents(items: list[Any]) -> list[dict[str, Any]]:
    return [item for item in items if not isinstance(item, DeadLetter)]


def _guardduty_samples(shared_dir: Path) -> list[dict[str, Any]]:
    path = shared_dir / "samples" / "guardduty" / "panther-guardduty-findings.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _securityhub_samples(shared_dir: Path) -> list[dict[str, Any]]:
    folder = shared_dir / "samples" / "securityhub" / "asr-simtest"
    return [orjson.loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))]


# -- what a recovered finding is ------------------------------------------------------------


@pytest.mark.parametrize("source", ["guardduty", "securityhub"])
def test_every_sample_finding_recovered_is_the_document_its_stream_makes(
    source: str, shared_dir: Path
) -> None:
    if source == "guardduty":
        events = [guardduty_event(finding) for finding in _guardduty_samples(shared_dir)]
    else:
        events = [securityhub_event(finding) for finding in _securityhub_samples(shared_dir)]
    error_key = ERROR_KEY.replace("guardduty/", f"{source}/", 1)
    stream_key = STREAM_KEY.replace("guardduty/", f"{source}/", 1)

    streamed, _ = _items(stream_object(events), stream_key)
    recovered, outcome = _items(error_object(recovered_lines(events)), error_key)

    assert len(_documents(streamed)) > 5
    assert outcome.delivery == "firehose_errors" and outcome.source == source
    assert outcome.records == len(streamed) == len(events)  # one finding per error record
    for index, (normal, item) in enumerate(zip(streamed, recovered, strict=True)):
        if isinstance(normal, DeadLetter):  # a sample its source refuses: the same reason both ways
            assert isinstance(item, DeadLetter) and item.reason == normal.reason
            assert item.position == normal.position.replace(
                f"record {index}", f"record {index} rawData record 0"
            )
            continue
        assert item["aws"].pop("firehose_errors") == PROVENANCE
        # The same document: the same event.id (the duplicate look-up's and the detections'
        # dedup key), the same actor, account and time an analyst pivots on.
        assert item == normal


def test_a_bad_first_line_does_not_make_the_error_object_unrecognized() -> None:
    finding = gd.finding(gd.FindingSpec(account=MEMBER, id="a" * 32))
    lines = [b"\x00\x01 not JSON at all\n", *recovered_lines([guardduty_event(finding)])]

    items, outcome = _items(error_object(lines), ERROR_KEY)
    [letter, document] = items
    assert isinstance(letter, DeadLetter) and letter.position == "record 0"
    assert letter.reason.startswith("invalid JSON") and letter.raw == b"\x00\x01 not JSON at all"
    assert document["aws"]["firehose_errors"]["recovered"] is True
    assert document["event"]["id"].startswith(f"{'a' * 32}@")
    assert outcome.records == 2

    # Out of the member stack's layout, content decides: this object's first line is no format.
    elsewhere, _ = _items(error_object(lines), "uploads/errors.gz")
    assert [item.reason.split(":")[0] for item in elsewhere] == ["unrecognized format"]


def test_a_line_past_the_record_limit_is_one_dead_letter_and_the_lines_after_it_are_recovered() -> None:
    finding = gd.finding(gd.FindingSpec(account=MEMBER, id="b" * 32))
    huge = guardduty_event({**finding, "description": "x" * 60_000})  # decodes to ~60 KB
    lines = [*recovered_lines([huge]), *recovered_lines([guardduty_event(finding)])]

    items, outcome = _items(error_object(lines), ERROR_KEY, Limits(max_record_bytes=48 * 1024))

    [letter, document] = items
    assert isinstance(letter, DeadLetter) and letter.position == "record 0"
    assert (
        letter.reason
        == f"record too large: rawData decodes to {len(orjson.dumps(huge)) + 1} bytes, more than 49152"
    )
    assert letter.source == "unknown" and letter.raw == lines[0].rstrip(b"\n")
    assert document["event"]["id"].startswith("b" * 32)
    assert outcome.records == 2


def test_an_object_mixing_every_hostile_line_counts_each_record_once() -> None:
    good = guardduty_event(gd.finding(gd.FindingSpec(account=MEMBER, id="c" * 32)))
    other_source = securityhub_event({"SchemaVersion": "2018-10-08", "Id": "x"})
    trail = {"eventVersion": "1.08", "eventTime": "2026-03-14T10:00:00Z", "eventSource": "s3.amazonaws.com"}
    nested = b'{"version":"0","detail-type":"GuardDuty Finding","detail":' + b"[" * 500 + b"]" * 500 + b"}"
    empty = {**securityhub_event({}), "detail": {"findings": []}}
    lines = [
        error_line(orjson.dumps(good)),
        error_line(None, rawData="%%% not base64 %%%"),
        error_line(None),
        b"Traceback (most recent call last):\n",
        error_line(orjson.dumps(trail)),
        error_line(nested),
        error_line(orjson.dumps(other_source)),
        error_line(orjson.dumps(empty)),
        b"[1, 2]\n",
        error_line(b"\x1f\x8b\x08\x00 gzip inside"),
        error_line(orjson.dumps({**good, "detail": {**good["detail"], "description": "x" * 60_000}})),
    ]

    items, outcome = _items(error_object(lines), ERROR_KEY, Limits(max_record_bytes=48 * 1024))

    letters = [
        (item.source, item.reason.split(":")[0], item.position)
        for item in items
        if isinstance(item, DeadLetter)
    ]
    assert letters == [
        ("unknown", "invalid record", "record 1"),
        ("unknown", "missing field", "record 2"),
        ("unknown", "invalid JSON", "record 3"),
        ("cloudtrail", "unrecognized format", "record 4 rawData"),
        ("guardduty", "invalid JSON", "record 5 rawData record 0"),
        # A Security Hub finding in the GuardDuty stream's error output is read as what it is
        # (the loader refuses it under the guardduty/ prefix): here, Security Hub's own reason.
        ("securityhub", "missing field", "record 6 rawData record 0 finding 0"),
        ("unknown", "invalid record", "record 8"),
        ("unknown", "invalid record", "record 9"),
        ("unknown", "unrecognized format", "record 10 rawData"),
        ("unknown", "record too large", "record 11"),
    ]
    assert len(_documents(items)) == 1
    # 12 values in ([1, 2] is two): 1 document + 10 dead letters + the empty batch, skipped.
    assert outcome.skipped_records == {NO_RECORD: 1}
    assert outcome.records == len(items) == 11


def test_the_dead_letters_replay_as_they_were_read(tmp_path: Path) -> None:
    no_id = gd.finding(gd.FindingSpec(account=MEMBER, id="d" * 32))
    del no_id["id"]
    trail = orjson.loads((GOLDEN / "cloudtrail" / "docs-iam-create-user" / "input.json").read_bytes())[
        "Records"
    ][0]
    lines = [
        error_line(None, rawData="@@"),
        error_line(orjson.dumps(guardduty_event(no_id))),
        error_line(orjson.dumps(trail)),
    ]
    items, _ = _items(error_object(lines), ERROR_KEY)
    letters = [item for item in items if isinstance(item, DeadLetter)]
    assert [letter.source for letter in letters] == ["unknown", "guardduty", "cloudtrail"]
    body = b"".join(orjson.dumps(letter.to_json()) + b"\n" for letter in letters)

    replayed = list(
        replayed_items(open_bytes(str(tmp_path / "letters.jsonl"), body, "v1", datetime.now(UTC)))
    )

    # The line goes back through the error output reader (its key), the finding through
    # GuardDuty's normalizer, the CloudTrail record through CloudTrail's: each as it was read.
    [(_, again), (_, finding), (trail_source, document)] = replayed
    assert isinstance(again, DeadLetter) and again.reason == letters[0].reason
    assert isinstance(finding, DeadLetter) and finding.reason == letters[1].reason
    assert trail_source == "cloudtrail" and document["event"]["action"] == "CreateUser"


# -- the key table: siem backfill and the live path read the same layout ---------------------


def test_the_key_layout_gives_error_output_its_source_region_and_day() -> None:
    layout = read_key(ERROR_KEY)
    assert (layout.service, layout.account, layout.region, layout.day) == (
        "firehose-errors",
        MEMBER,
        "us-east-1",
        date(2026, 3, 14),
    )
    assert (layout.source, layout.skip, layout.delivery) == ("guardduty", None, "firehose_errors")
    listed = Listed(ERROR_KEY, 100, '"e"', datetime(2026, 3, 14, tzinfo=UTC))
    day = date(2026, 3, 14)
    assert classify(listed, Filters(sources=frozenset({"guardduty"}), since=day, until=day)) is None
    assert classify(listed, Filters(accounts=frozenset({MEMBER}), regions=frozenset({"us-east-1"}))) is None
    assert classify(listed, Filters(sources=frozenset({"securityhub"}))) == "other source"
    assert classify(listed, Filters(since=date(2026, 3, 15))) == "outside dates"


# -- end to end ---------------------------------------------------------------------------------


@pytest.fixture
def runtime(aws: Aws, templated_engine: OpenSearch) -> Iterator[Runtime]:
    with lambda_runtime(aws, templated_engine, deadline_margin=0.0) as built:
        yield built


def _indexed(engine: OpenSearch, index: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    if not engine.indices.exists(index=index):
        return []
    answer = engine.search(index=index, body={"size": 100, "query": query or {"match_all": {}}})
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def _member_error_object() -> bytes:
    mine = gd.finding(gd.FindingSpec(account=MEMBER, id="e" * 32))
    victims = gd.finding(gd.FindingSpec(account=VICTIM, id="f" * 32))
    hub = securityhub_event(
        {
            "SchemaVersion": "2018-10-08",
            "Id": "arn:aws:securityhub:us-east-1:333333333333:finding/1",
            "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
            "GeneratorId": "g",
            "AwsAccountId": MEMBER,
            "Types": ["Software and Configuration Checks"],
            "CreatedAt": "2026-03-14T10:00:00Z",
            "UpdatedAt": "2026-03-14T10:00:00Z",
            "Severity": {"Label": "LOW"},
            "Title": "t",
            "Description": "d",
            "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{MEMBER}"}],
        }
    )
    return error_object(
        [
            *recovered_lines([guardduty_event(mine), guardduty_event(victims), hub]),
            error_line(None, rawData="not base64!"),
            b"not JSON\n",
        ]
    )


@pytest.mark.integration
def test_the_lambda_recovers_error_output_and_checks_it_like_the_stream(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    results: list[ObjectResult] = []
    monkeypatch.setattr(handler, "log_object", results.append)
    aws.s3.put_object(Bucket=BUCKET, Key=ERROR_KEY, Body=_member_error_object())

    drain(aws.sqs, aws.queue_url, lambda event: handler.handle(event, LambdaContext(), runtime))

    # The object's log line and metrics name the source it recovered, though its last line is
    # a dead letter of no source.
    assert [result.source for result in results if result.object.endswith(ERROR_KEY)] == ["guardduty"]

    [document] = _indexed(templated_engine, "siem-guardduty")
    assert document["aws"]["firehose_errors"] == PROVENANCE
    assert document["cloud"]["account"]["id"] == MEMBER
    assert document["siem"]["object"]["key"] == ERROR_KEY
    # Mapped: a saved search finds what was recovered, and by why it failed.
    for term in (
        {"aws.firehose_errors.recovered": True},
        {"aws.firehose_errors.error_code": "Processor.Failure"},
    ):
        assert len(_indexed(templated_engine, "siem-guardduty", {"term": term})) == 1
    letters = sorted((letter["position"], letter["reason"]) for letter in s3_dead_letters(aws))
    assert letters == [
        ("record 1", f"{ACCOUNT_MISMATCH}: record of account {VICTIM} delivered by account {MEMBER}"),
        ("record 2", f"{SOURCE_MISMATCH}: securityhub record under the guardduty prefix"),
        ("record 3", "invalid record: rawData is not base64: Only base64 data is allowed"),
        ("record 4", letters[-1][1]),
    ]
    assert letters[-1][1].startswith("invalid JSON")
    assert not _indexed(templated_engine, "siem-securityhub")  # 5 records in = 1 indexed + 4 dead letters


@pytest.mark.integration
def test_siem_ingest_of_the_bucket_recovers_error_output_too(
    aws: Aws, tmp_path: Path, engine_url: str, templated_engine: OpenSearch, guarded_clients: None
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=ERROR_KEY, Body=_member_error_object())
    options = ["--endpoint", engine_url, "--auth", "none", "--quiet", "--ledger", str(tmp_path / "l.sqlite")]
    options += ["--dead-letter", str(tmp_path / "dead")]

    assert cli.main(["ingest", f"s3://{BUCKET}/guardduty/", *options]) == 0

    [document] = _indexed(templated_engine, "siem-guardduty")
    assert document["aws"]["firehose_errors"] == PROVENANCE
    letters = [
        orjson.loads(line)
        for path in (tmp_path / "dead").rglob("*.jsonl")
        for line in path.read_bytes().splitlines()
    ]
    assert len(letters) == 4
