"""The totals line of `siem ingest` / `siem replay-dead-letters` for a resumed object."""

from __future__ import annotations

import pytest

from ingest.processor import ObjectResult
from siem_cli.backfill import Totals


def test_a_resumed_object_says_what_it_read_again_apart_from_what_this_run_settled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The second run of an object whose first run acknowledged 600 of its 1,000 records
    # (ingest/processor.py: each record counted by the one run that acknowledges it).
    totals = Totals()
    totals.add(
        ObjectResult("s3://b/a.json.gz", records=400, indexed=390, dead_lettered=10, already_acknowledged=600)
    )
    totals.add(ObjectResult("s3://b/b.json.gz", records=5, indexed=5))

    assert totals.report("ingested") == 0
    assert capsys.readouterr().err.splitlines() == [
        "ingested: 2 objects (0 already done), 405 records read, 395 indexed, 10 dead-lettered, "
        "600 more read again (an earlier run finished them)"
    ]


def test_a_fresh_run_says_nothing_of_records_read_again(capsys: pytest.CaptureFixture[str]) -> None:
    totals = Totals()
    totals.add(ObjectResult("s3://b/a.json.gz", records=3, indexed=2, dead_lettered=1))

    totals.report("ingested")
    assert (
        capsys.readouterr().err.strip()
        == "ingested: 1 objects (0 already done), 3 records read, 2 indexed, 1 dead-lettered"
    )
