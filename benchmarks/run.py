"""``make bench``: run every benchmark module that exists and print one table.

Each module exposes ``run() -> list[dict]``; a row's keys become columns. A module that is
not written yet is skipped with a note, so the table grows as the project does.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

MODULES = ("benchmarks.cloudtrail", "benchmarks.vpcflow", "benchmarks.investigate", "benchmarks.ingest")


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
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in cells
    ]
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
