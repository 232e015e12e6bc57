"""``make bench``: run every benchmark module that exists and print one table.

Each module exposes ``run() -> list[dict]``; a row's keys become columns. A module that is
not written yet is skipped with a note, so the table grows as the project does.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

MODULES = (
    "benchmarks.cloudtrail",
    "benchmarks.enrichment",
    "benchmarks.vpcflow",
    "benchmarks.delivery_paths",
    "benchmarks.investigate",
    "benchmarks.ingest",
    "benchmarks.false_positives",
    "benchmarks.detections",
    "benchmarks.labelled",
    "benchmarks.new_terms_fill",
    "benchmarks.silence",
    "benchmarks.hostile",
    "benchmarks.scaling",
    "benchmarks.memory",
)


def _collect() -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            notes.append(f"{name}: not present, skipped")
            continue
        started = time.perf_counter()
        produced = module.run()
        rows += [{"module": name.rsplit(".", 1)[-1], **row} for row in produced]
        notes.append(f"{name}: {len(produced)} rows in {time.perf_counter() - started:.1f} s")
    return rows, notes


def _table(rows: list[dict[str, Any]]) -> str:
    """One table, three columns: rows of different modules measure different things, so each
    row's measurements are listed as ``key=value`` pairs rather than spread over sparse columns."""
    cells = [
        [
            str(row.get("module", "")),
            str(row.get("name", "")),
            "  ".join(f"{key}={_cell(value)}" for key, value in row.items() if key not in ("module", "name")),
        ]
        for row in rows
    ]
    header = ["module", "name", "measurements"]
    widths = [max(len(header[i]), *(len(line[i]) for line in cells)) for i in range(2)]
    lines = [f"{header[0]:<{widths[0]}}  {header[1]:<{widths[1]}}  {header[2]}"]
    lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(header[2])}")
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> int:
    rows, notes = _collect()
    print(_table(rows) if rows else "no benchmark rows")
    for note in notes:
        print(note, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
