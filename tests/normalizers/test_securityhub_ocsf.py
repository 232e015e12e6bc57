"""Security Hub's OCSF findings (its V2 format) by every delivery path: EventBridge "Findings
Imported V2", the ``GetFindingsV2`` output (``{"Findings": [...]}``) and Security Lake's
Parquet rows give one document per finding, the same one (docs/sources/securityhub.md, "OCSF
findings"). The findings are those of ``tests/golden/securityhub/findings-imported-v2``
(written by hand from botocore's ``securityhub`` model and the OCSF classes)."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest

from demo.records.securitylake import parquet_from_rows
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.detect import detect
from tests.conftest import GOLDEN

ORIGIN = Origin("ocsf/object", "2026-01-01T00:00:00Z")
EVENT = json.loads((GOLDEN / "securityhub" / "findings-imported-v2" / "input").read_bytes())
DETECTION, COMPLIANCE, WITHOUT_ID, API_ACTIVITY = EVENT["detail"]["findings"]


def _items(body: bytes, key: str = "ocsf/object") -> tuple[list[Any], Any]:
    normalized = normalize_object(io.BytesIO(body), Origin(key, "2026-01-01T00:00:00Z"))
    return list(normalized), normalized.outcome


def _export(*findings: dict[str, Any]) -> bytes:
    """``GetFindingsV2``'s output shape (botocore: ``Findings``, ``NextToken``)."""
    return json.dumps({"Findings": list(findings), "NextToken": "token-2"}).encode()


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(EVENT).encode(),
        _export(DETECTION, COMPLIANCE),
        json.dumps(DETECTION).encode(),
    ],
    ids=["findings-imported-v2", "get-findings-v2", "bare-finding"],
)
def test_recognized_by_content_whatever_the_key(body: bytes) -> None:
    assert detect(body[:4096], "exports/2026/12/01/part-0000.json").source == "securityhub"


def test_an_export_of_ocsf_findings_gives_the_documents_of_the_event() -> None:
    from_event, _ = _items(json.dumps(EVENT).encode())
    exported, outcome = _items(_export(DETECTION, COMPLIANCE))
    assert outcome.source == "securityhub" and outcome.records == 2
    documents = [item for item in from_event if not isinstance(item, DeadLetter)]
    for document in documents:  # the export has no envelope; everything else is the same
        del document["aws"]["securityhub_findings"]["envelope_account_id"]
    assert exported == documents


def test_a_security_lake_row_of_the_same_finding_gives_the_same_document() -> None:
    [from_export], _ = _items(_export(DETECTION))
    rows, outcome = _items(parquet_from_rows([DETECTION]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet")
    assert outcome.delivery == "securitylake"
    [from_lake] = rows
    assert from_lake["aws"].pop("securitylake")["class_uid"] == 2004
    assert from_lake == from_export
    assert from_lake["related"]["user"][0] == "build-42" and from_lake["related"]["ip"] == ["198.51.100.7"]


def test_a_malformed_finding_is_one_dead_letter_that_replays_standalone() -> None:
    items, outcome = _items(_export(WITHOUT_ID, DETECTION, API_ACTIVITY))
    assert outcome.records == 3
    good = [item for item in items if not isinstance(item, DeadLetter)]
    assert [item["user"]["name"] for item in good] == ["build-42"]
    dead = [item for item in items if isinstance(item, DeadLetter)]
    assert [(d.source, d.position, d.reason.split(":")[0]) for d in dead] == [
        ("securityhub", "record 0", "missing field"),
        ("securityhub", "record 2", "invalid record"),
    ]
    assert dead[0].object == "ocsf/object" and json.loads(dead[0].raw) == WITHOUT_ID
    replayed, _ = _items(dead[0].raw)
    assert [(d.source, d.reason) for d in replayed] == [("securityhub", dead[0].reason)]


def test_an_asff_finding_is_still_read_as_asff_beside_ocsf_ones() -> None:
    asff = json.loads((GOLDEN / "securityhub" / "findings-array-iam" / "input.json").read_bytes())[
        "Findings"
    ][0]
    items, _ = _items(_export(asff, DETECTION))
    assert [item["aws"]["securityhub_findings"]["id"] for item in items] == [
        asff["Id"],
        DETECTION["finding_info"]["uid"],
    ]


def test_a_security_lake_finding_row_with_a_decimal_column_is_indexed() -> None:
    """Parquet decimals (and binaries) are no JSON: the row is read as its JSON text says."""
    row = dict(DETECTION, confidence_score=Decimal("87.5"))
    [document], _ = _items(parquet_from_rows([row]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet")
    assert not isinstance(document, DeadLetter), document
    assert document["user"]["name"] == "build-42"
