"""Replays and dead-letter paths (issue 20, deliverable 5): no value from a file or an object
key steers where dead letters go, in a local folder or in S3. The CLI run is in test_cli.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import orjson
import pytest
from opensearchpy import OpenSearch

from ingest.config import Settings
from ingest.deadletters import DeadLetterBatch
from ingest.processor import process_object
from ingest.reader import ObjectIdentity, open_bytes
from ingest.replay import replayed_items
from ingest.runtime import build_runtime
from ingest.writer import Deadline
from tests.ingest.conftest import DEAD_LETTER_BUCKET, Aws

CRAFTED_SOURCES = [
    "../../etc",
    "/abs",
    "cloudtrail/../../x",
    "cloud\x00trail",
    "",
    ".",
    "..",
    "cloudtrail/",
    "CloudTrail",
    "dead-letter/../logs/AWSLogs",
]
IDENTITY = ObjectIdentity("s3://bucket/../../etc/passwd\x00/..", "v1", datetime(2026, 3, 2, tzinfo=UTC))


@pytest.mark.parametrize("source", CRAFTED_SOURCES)
def test_a_batch_of_an_unknown_source_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="not a known source name"):
        DeadLetterBatch(IDENTITY, source, 0, 0, [{"reason": "x"}])


@pytest.mark.parametrize("source", ["cloudtrail", "vpcflow", "guardduty", "securityhub", "unknown"])
def test_the_key_has_the_documented_layout_whatever_the_object_key(source: str) -> None:
    key = DeadLetterBatch(IDENTITY, source, 3, 7, [{"reason": "x"}]).relative_key()
    parts = PurePosixPath(key).parts
    assert parts[:4] == (source, "2026", "03", "02")
    assert len(parts) == 5 and parts[4] == f"{IDENTITY.short_hash}-00003-7.jsonl"
    assert all(char in "0123456789abcdef" for char in IDENTITY.short_hash)


@pytest.mark.integration
def test_a_crafted_file_replayed_to_s3_writes_only_under_the_dead_letter_prefix(
    aws: Aws, templated_engine: OpenSearch, tmp_path: Path
) -> None:
    lines = [
        {"reason": "r", "source": source, "object": "o", "position": "p", "raw": "", "stage": "read"}
        for source in [*CRAFTED_SOURCES, "guardduty"]
    ]
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    opened = open_bytes("s3://siem-dead-letters-test/dead-letter/x.jsonl", body, "v1", IDENTITY.last_modified)
    settings = Settings(dead_letter_bucket=DEAD_LETTER_BUCKET, ledger_path=tmp_path / "ledger.sqlite")
    runtime = build_runtime(settings, client=templated_engine, s3=aws.s3)

    result = process_object(opened, runtime.services, "owner", Deadline(), items=replayed_items(opened))

    assert (result.status, result.records, result.dead_lettered) == ("done", len(lines), len(lines))
    listed = aws.s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET)["Contents"]
    keys = [item["Key"] for item in listed]
    assert keys and all(key.startswith("dead-letter/") and ".." not in key.split("/") for key in keys)
    letters = [
        orjson.loads(line)
        for key in keys
        for line in aws.s3.get_object(Bucket=DEAD_LETTER_BUCKET, Key=key)["Body"].read().splitlines()
    ]
    assert [letter["source"] for letter in letters] == ["unknown"] * len(CRAFTED_SOURCES) + ["guardduty"]
    assert {key.split("/")[1] for key in keys} <= {"unknown", "guardduty"}
