"""``benchmarks/memory.py`` on tiny objects, in this process: the shape of its rows only (the
measurements belong to ``make bench``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks import memory


def _here(measure: Callable[[str], dict[str, Any]], path: Path) -> dict[str, Any]:
    return measure(str(path))


def test_each_source_gets_resident_and_traced_peaks_of_both_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_in_fresh_process", _here)
    monkeypatch.setattr(memory, "GROWTH", 2)
    records = memory.WARM_UP_ITEMS + 100  # tracing starts after a warm-up shorter than the object
    rows = {row["name"]: row for row in memory.run(records)}
    assert set(rows) == {f"peak memory, {name}" for name in memory.SOURCES}
    for row in rows.values():
        assert row["records"] == f"{records:,} / {records * 2:,}"
        for size in ("small", "large"):
            assert row[f"peak_memory_{size}"] >= 0
            assert row[f"traced_peak_{size}"] > 0
        assert row["traced_growth"] == round(row["traced_peak_large"] / row["traced_peak_small"], 2)
    # Arrow's buffers are not Python allocations: the Arrow memory pool's peak is reported apart.
    parquet = rows["peak memory, vpcflow parquet v2"]
    assert parquet["arrow_peak_small"] > 0 and parquet["arrow_peak_large"] > 0


def test_the_traced_run_reads_the_whole_object_after_its_warm_up(tmp_path: Path) -> None:
    path = memory.SOURCES["securityhub findings (gzip JSON)"](tmp_path, 500)
    measured = memory.measure_traced(str(path))
    assert (measured["documents"], measured["dead_letters"]) == (500, 0)
