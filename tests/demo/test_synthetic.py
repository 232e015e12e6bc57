"""Synthetic volume data: deterministic, varied, valid per format, and clean through the pipeline."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
import pytest

from demo import synthetic
from demo.records.vpcflow import CUSTOM_V5_FIELDS, DEFAULT_FIELDS
from normalizers import DeadLetter, Origin, normalize_object


def _pipeline(data: bytes, name: str) -> tuple[int, list[DeadLetter], str | None]:
    source = name.split("-")[0]
    if importlib.util.find_spec(f"normalizers.{source}") is None:
        pytest.skip(f"normalizers/{source}.py is not written yet")
    normalized = normalize_object(io.BytesIO(data), Origin(object=name, ingested="2026-03-01T00:00:00Z"))
    items = list(normalized)
    return len(items), [i for i in items if isinstance(i, DeadLetter)], normalized.outcome.source


def test_cloudtrail_records_are_deterministic_and_varied() -> None:
    records = list(synthetic.cloudtrail_records(3000, seed=3))
    assert records == list(synthetic.cloudtrail_records(3000, seed=3))
    assert records != list(synthetic.cloudtrail_records(3000, seed=4))
    identity_types = Counter(r["userIdentity"]["type"] for r in records)
    assert {
        "IAMUser",
        "AssumedRole",
        "Root",
        "AWSService",
        "FederatedUser",
        "WebIdentityUser",
        "AWSAccount",
    } <= set(identity_types)
    assert len({r["eventSource"] for r in records}) >= 8
    assert 0 < sum("errorCode" in r for r in records) < len(records) // 5
    assert {"Management", "Data"} == {r["eventCategory"] for r in records}
    shapes = {type(r["requestParameters"]).__name__ for r in records}
    assert {"dict", "NoneType"} <= shapes
    assert len({r["eventID"] for r in records}) == len(records)


def test_cloudtrail_log_file_normalizes_without_dead_letters() -> None:
    data = synthetic.cloudtrail_log_file(synthetic.cloudtrail_records(2000, seed=1))
    assert len(json.loads(gzip.decompress(data))["Records"]) == 2000
    count, dead, source = _pipeline(data, "cloudtrail-synthetic.json.gz")
    assert (count, dead, source) == (2000, [], "cloudtrail")


@pytest.mark.parametrize(
    "fields", [DEFAULT_FIELDS, CUSTOM_V5_FIELDS, ("srcaddr", "dstaddr", "action", "start", "log-status")]
)
def test_vpcflow_text_follows_the_header(fields: tuple[str, ...]) -> None:
    data = synthetic.vpcflow_text(5000, seed=2, fields=fields)
    assert data == synthetic.vpcflow_text(5000, seed=2, fields=fields)
    header, *lines = gzip.decompress(data).decode().splitlines()
    assert tuple(header.split(" ")) == fields and len(lines) == 5000
    assert all(len(line.split(" ")) == len(fields) for line in lines)
    statuses = Counter(line.split(" ")[fields.index("log-status")] for line in lines)
    assert statuses["NODATA"] >= 1 and statuses["OK"] > 4900
    count, dead, source = _pipeline(data, "vpcflow-synthetic.log.gz")
    assert (count, dead, source) == (5000, [], "vpcflow")


def test_vpcflow_parquet_matches_the_text_rows() -> None:
    table = pq.read_table(io.BytesIO(synthetic.vpcflow_parquet(4000, seed=5)))
    assert table.num_rows == 4000
    assert table.column_names == [f.replace("-", "_") for f in DEFAULT_FIELDS]
    text_rows = gzip.decompress(synthetic.vpcflow_text(4000, seed=5)).decode().splitlines()[1:]
    first = table.slice(0, 1).to_pylist()[0]
    assert text_rows[0].split(" ") == ["-" if v is None else str(v) for v in first.values()]
    assert max(table.column("bytes").to_pylist(), key=lambda v: v or 0) > 2**31
    count, dead, _ = _pipeline(synthetic.vpcflow_parquet(4000, seed=5), "vpcflow-synthetic.log.parquet")
    assert (count, dead) == (4000, [])


def _lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(data).splitlines()]


def test_guardduty_export_has_every_kind_and_severity_band() -> None:
    data = synthetic.guardduty_export(700, seed=6)
    findings = _lines(data)
    assert len(findings) == 700 and len({f["id"] for f in findings}) == 700
    assert {f["type"].split(":")[0] for f in findings} >= {
        "UnauthorizedAccess",
        "Recon",
        "Stealth",
        "Exfiltration",
        "AttackSequence",
    }
    assert any(f["severity"] >= 9 for f in findings) and any(f["severity"] < 4 for f in findings)
    assert any(f["service"]["additionalInfo"].get("sample") for f in findings)
    count, dead, source = _pipeline(data, "guardduty-synthetic.jsonl.gz")
    assert (count, dead, source) == (700, [], "guardduty")


def test_securityhub_firehose_mixes_imports_and_controls() -> None:
    data = synthetic.securityhub_firehose(400, seed=7)
    text = gzip.decompress(data).decode()
    decoder, position, products = json.JSONDecoder(), 0, Counter()
    while position < len(text):
        envelope, position = decoder.raw_decode(text, position)
        products[envelope["detail"]["findings"][0]["ProductName"]] += 1
    assert products == {"GuardDuty": 200, "Security Hub": 200}
    count, dead, source = _pipeline(data, "securityhub-synthetic.gz")
    assert (count, dead, source) == (400, [], "securityhub")
