"""Every public GuardDuty and Security Hub sample normalizes with no dead letter, and every
document carries the fields docs/schema.md makes mandatory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from investigation.activity import with_index_constants
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import FINDING_FIELDS, missing_fields

INGESTED = "2026-01-01T00:00:00Z"


def _normalize(path: Path) -> tuple[list[dict[str, Any]], list[DeadLetter]]:
    with path.open("rb") as handle:
        items = list(normalize_object(handle, Origin(str(path), INGESTED)))
    return (
        [i for i in items if not isinstance(i, DeadLetter)],
        [i for i in items if isinstance(i, DeadLetter)],
    )


def _check(document: dict[str, Any], source: str) -> None:
    missing = missing_fields(document, FINDING_FIELDS)
    assert not missing, f"missing {missing}"
    # As a reader of the index sees it: the index's constants (event.dataset...) beside _source.
    index = "siem-securityhub" if source == "securityhub_findings" else f"siem-{source}"
    document = with_index_constants({"_index": index, "_source": document})  # in place
    assert document["event"]["dataset"] == f"aws.{source}"
    assert document["event"]["kind"] in ("alert", "state")
    assert document["event"]["outcome"] in ("success", "failure", "unknown")
    assert 0 <= document["event"]["severity"] <= 100
    assert document["cloud"]["provider"] == "aws"
    assert document["@timestamp"].endswith("Z")
    label = document["aws"][source]["severity"]["label"]
    assert label in ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def test_guardduty_samples(shared_dir: Path) -> None:
    (path,) = (shared_dir / "samples" / "guardduty").glob("*.jsonl")
    documents, dead = _normalize(path)
    assert dead == []
    assert len(documents) == sum(1 for line in path.read_bytes().splitlines() if line.strip())
    for document in documents:
        assert "kind" not in document["event"]  # `alert`: a constant of the index
        _check(document, "guardduty")
        assert document["event"]["kind"] == "alert"
    samples = [d for d in documents if d.get("tags") == ["sample"]]
    assert len(samples) == 4 and all(d["aws"]["guardduty"]["sample"] is True for d in samples)
    assert {d["aws"]["guardduty"]["severity"]["label"] for d in documents} >= {"CRITICAL", "HIGH", "LOW"}


def test_securityhub_samples(shared_dir: Path) -> None:
    paths = sorted((shared_dir / "samples" / "securityhub").rglob("*.json"))
    assert len(paths) == 109
    for path in paths:
        documents, dead = _normalize(path)
        assert dead == [], path.name
        assert len(documents) >= 1, path.name
        for document in documents:
            _check(document, "securityhub_findings")
            # every sample is a control result
            assert document["event"]["kind"] == "state", path.name
            assert document["aws"]["securityhub_findings"]["compliance"]["status"]


@pytest.mark.parametrize("name", ["cis23.json", "cis28.json"])
def test_securityhub_custom_action_envelopes_keep_the_envelope_account(shared_dir: Path, name: str) -> None:
    path = shared_dir / "samples" / "securityhub" / "asr-simtest" / name
    documents, _ = _normalize(path)
    for document in documents:
        assert document["aws"]["securityhub_findings"]["envelope_account_id"] == "111111111111"
