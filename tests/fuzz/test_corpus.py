"""Inputs that once failed a fuzz invariant, replayed as regression tests.

A file ``tests/fuzz/corpus/<source>/<name>`` holds one object's bytes as the fuzzer built it
(with the source whose key the object is read under); its name says what it broke."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from demo.records.securitylake import api_activity_row, parquet_from_rows
from normalizers import DeadLetter
from tests.conftest import GOLDEN
from tests.fuzz import deliveries
from tests.fuzz.harness import check_object

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(path for path in CORPUS.glob("*/*") if path.is_file())


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_a_once_failing_input_keeps_the_invariants(path: Path) -> None:
    check_object(path.read_bytes(), path.parent.name)


def test_the_corpus_is_not_empty() -> None:
    assert CASES


@pytest.mark.parametrize("delivery", ["cloudtrail", "cloudwatch_logs", "securitylake"])
def test_a_cloudtrail_record_without_its_region_is_dead_lettered(delivery: str) -> None:
    record = orjson.loads((GOLDEN / "cloudtrail" / "docs-error-code" / "input.json").read_bytes())["Records"][
        0
    ]
    del record["awsRegion"]
    body = {
        "cloudtrail": orjson.dumps({"Records": [record]}),
        "cloudwatch_logs": deliveries.decompressed(_trail_payloads(record)),
        "securitylake": parquet_from_rows(
            [{**api_activity_row({**record, "awsRegion": "x"}), "cloud": None}]
        ),
    }[delivery]
    # Every record has awsRegion (the spec): one without is invalid and dead-lettered, with its
    # bytes, on every path alike (a CloudWatch Logs delivery's key names no Region to guess from).
    [item] = check_object(body, delivery, items_expected=1)
    assert isinstance(item, DeadLetter) and item.reason == "missing field: awsRegion", item


def _trail_payloads(record: dict[str, object]) -> list[object]:
    return list(deliveries.payloads("cloudtrail", [orjson.dumps(record)], ()))
