"""Golden tests: ``tests/golden/<source>/<case>/`` holds a raw input beside the documents
expected from it, written by hand from the AWS specifications (see each case's SOURCE.md).

A case folder contains:

- ``input*``: the raw object, exactly as AWS delivers it (``.gz`` when gzip);
- ``expected.json``: the list of expected documents, in order (``event.ingested`` omitted);
- ``expected-dead-letters.json`` (optional): ``[{"reason": "<prefix>", "position": "..."}]``;
- ``case.json`` (optional): ``{"source": "auto"|<source>, "keep_original": bool,
  "skipped": "<reason>" , "partial": true, "flow_formats": {"<log group or key prefix>":
  "<format>"}, "skipped_records": {"<reason>": count}, "config_snapshot_inventory": bool}``;
- ``SOURCE.md``: where the input comes from and what the case covers;
- ``xfail.txt`` (optional): why the normalizer's output is known to differ from the expected
  documents (a gap found against the specification, to be fixed in a unit someone else is
  changing). The case is then expected to fail on an assertion, strictly: once the output
  matches, it fails until ``xfail.txt`` is removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.vpcflow.formats import parse_formats
from tests.conftest import GOLDEN, golden_input

INGESTED = "2026-01-01T00:00:00.000Z"
INGESTED_MILLIS = 1767225600000
"""``INGESTED`` as flow and CloudTrail documents write it: epoch milliseconds
(docs/sources/vpcflow.md, docs/sources/cloudtrail.md "Document size")."""
IN_MILLIS = ("vpcflow", "cloudtrail")


def _cases() -> list[Any]:
    return [_param(case) for case in sorted(p for p in GOLDEN.glob("*/*") if p.is_dir())]


def _param(case: Path) -> Any:
    known_gap = case / "xfail.txt"
    marks = (
        [pytest.mark.xfail(reason=known_gap.read_text().strip(), raises=AssertionError, strict=True)]
        if known_gap.exists()
        else []
    )
    return pytest.param(case, marks=marks, id=f"{case.parent.name}/{case.name}")


def _input(case: Path) -> Path:
    inputs = sorted(case.glob("input*"))
    assert len(inputs) == 1, f"{case}: expected exactly one input* file, found {inputs}"
    return inputs[0]


@pytest.mark.parametrize("case", _cases())
def test_golden(case: Path) -> None:
    config: dict[str, Any] = (
        json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    )
    assert (case / "SOURCE.md").exists(), f"{case}: SOURCE.md (origin and licence) is missing"
    source = config.get("source", "auto")
    origin = Origin(
        object=f"golden/{case.parent.name}/{case.name}",
        ingested=INGESTED,
        keep_original=config.get("keep_original", False),
        flow_formats=parse_formats(config.get("flow_formats", {})),
        config_snapshot_inventory=config.get("config_snapshot_inventory", False),
    )
    with golden_input(_input(case)) as handle:
        normalized = normalize_object(handle, origin, None if source == "auto" else source)
        # Each item's source as it comes (as the loader picks its index).
        routed = [(normalized.outcome.source, item) for item in normalized]
    items = [item for _, item in routed]
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    dead = [item for item in items if isinstance(item, DeadLetter)]

    for item_source, document in routed:
        if not isinstance(document, DeadLetter):
            millis = item_source in IN_MILLIS
            assert document["event"].pop("ingested") == (INGESTED_MILLIS if millis else INGESTED)
    expected = json.loads((case / "expected.json").read_text())
    assert len(documents) == len(expected), f"{len(documents)} documents, expected {len(expected)}"
    for index, (got, want) in enumerate(zip(documents, expected, strict=True)):
        assert got == want, f"document {index} differs"

    expected_dead = (
        json.loads((case / "expected-dead-letters.json").read_text())
        if (case / "expected-dead-letters.json").exists()
        else []
    )
    assert [(d.reason.split(":")[0], d.position) for d in dead] == [
        (e["reason"], e["position"]) for e in expected_dead
    ]
    for letter in dead:
        assert letter.object == origin.object and letter.source

    outcome = normalized.outcome
    assert outcome.records == len(items)
    assert outcome.skipped == config.get("skipped")
    assert bool(outcome.error) == bool(config.get("partial", False))
    assert outcome.skipped_records == config.get("skipped_records", {})
    if source == "auto" and not config.get("skipped") and documents:
        # A delivery path's case (tests/golden/<delivery>/) holds its sources' records.
        assert case.parent.name in (outcome.source, outcome.delivery)
