"""The same CloudTrail event, native and as Security Lake's OCSF API Activity row, gives the
same pivot fields (docs/schema.md, "Pivot contract"; docs/sources/securitylake.md).

``data/ocsf_pairs.json`` pairs records of the CloudTrail golden cases (an IAM user's failed
call; an IAM Identity Center role session from an IPv6 address; an IAM user's AssumeRole, whose
response issues credentials; the root user's console sign-in, delivered by EventBridge) with
their OCSF rows, written by hand from the OCSF class definition and the CloudTrail mapping
Security Lake documents (1.1.0 for the first three, 1.0.0-rc.2 for the last). Both go through
the whole pipeline; the fields a query pivots on must be equal, whatever the mappers become.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from demo.records.securitylake import parquet_from_rows
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import GOLDEN, PROJECT

PAIRS = json.loads((PROJECT / "tests" / "normalizers" / "data" / "ocsf_pairs.json").read_text())
PIVOT = (
    "@timestamp",
    "user",
    "related.user",
    "related.ip",
    "source.ip",
    "cloud.account.id",
    "event.action",
    "event.outcome",
    "event.provider",
    "event.category",
    "event.type",
)


def _native_raw(reference: str) -> bytes:
    """``cloudtrail/<case>/input.json#N``: the N-th record of a log file or an array, or the
    N-th line of JSON lines."""
    path, index = reference.split("#")
    text = (GOLDEN / path).read_text(encoding="utf-8").lstrip()
    if text.startswith('{"Records"'):
        return json.dumps(json.loads(text)["Records"][int(index)]).encode()
    if text.startswith("["):
        return json.dumps(json.loads(text)[int(index)]).encode()
    return text.splitlines()[int(index)].encode()


def _document(body: bytes, source: str) -> dict[str, Any]:
    normalized = normalize_object(io.BytesIO(body), Origin(f"pair/{source}", "2026-01-01T00:00:00Z"))
    [item] = list(normalized)
    assert not isinstance(item, DeadLetter), item
    assert normalized.outcome.source == "cloudtrail"
    return item


def _value(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for name in path.split("."):
        value = value.get(name) if isinstance(value, dict) else None
    return value


@pytest.mark.parametrize("pair", PAIRS, ids=[pair["native"] for pair in PAIRS])
def test_native_and_ocsf_records_of_one_event_pivot_alike(pair: dict[str, Any]) -> None:
    native = _document(_native_raw(pair["native"]), "native")
    ocsf = _document(parquet_from_rows([pair["ocsf"]]), "ocsf")
    for path in PIVOT:
        assert _value(ocsf, path) == _value(native, path), path
    assert (
        _value(native, "user.name") and _value(native, "related.user") and _value(native, "cloud.account.id")
    )
    assert ocsf["aws"]["securitylake"]["class_uid"] == 6003
