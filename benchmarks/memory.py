"""Peak memory against object size, per source (issue 15.5): it must stay flat.

For each source, one valid object of ``records`` records and one eight times larger go
through the loader's path (``normalize_object`` and the ``_bulk`` encoding of each item, as
``benchmarks/vpcflow.py`` does), each in a fresh process, measured twice:

- ``peak_memory_*``: the rise of resident memory, read from ``/proc/self/status`` (as
  ``benchmarks/hostile.py``): what the process takes, allocator and arena noise included;
- ``traced_peak_*``: the peak of Python's own allocations (``tracemalloc``), started after a
  warm-up on the object's first items (imports, compiled patterns, first cache entries): the
  same on every run of the same object (to the byte for JSON, within 0.1 % where Arrow reads),
  so its growth is the code's, not the allocator's.
  Arrow's buffers (Parquet, the flow log text reader) are not Python allocations:
  ``arrow_peak_*`` is the Arrow memory pool's peak.

``peak_growth`` and ``traced_growth`` are the large object's peak divided by the small one's:
about 1 when memory is flat in object size, about 8 when it grows with the object. Objects
smaller than one compressed read (``normalizers.stream.CHUNK``, 256 KiB) are held whole, so
a ratio between two objects on either side of it shows that bounded difference, not growth.

    python -m benchmarks.memory [--records N]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import multiprocessing
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from benchmarks import cloudtrail, vpcflow
from benchmarks.hostile import ASFF, GUARDDUTY

RECORDS = 20_000
GROWTH = 8
ACTION_LINE = b'{"create":{}}\n'


def _cloudtrail(folder: Path, records: int) -> Path:
    path = folder / f"111122223333_CloudTrail_us-east-1_20240501T0000Z_{records}.json.gz"
    path.write_bytes(cloudtrail.build_file(records))
    return path


def _vpcflow_text(folder: Path, records: int) -> Path:
    return vpcflow.write_text(
        folder / f"111111111111_vpcflowlogs_eu-west-3_fl-0bench_{records}.log.gz", records
    )


def _vpcflow_parquet(folder: Path, records: int) -> Path:
    text = _vpcflow_text(folder, records)
    return vpcflow.write_parquet(
        folder / f"111111111111_vpcflowlogs_eu-west-3_fl-0bench_{records}.parquet", text
    )


def _guardduty(folder: Path, records: int) -> Path:
    """A GuardDuty export object: gzip JSON Lines, one finding per line."""
    path = folder / f"guardduty-export-{records}.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=6) as out:
        for n in range(records):
            out.write(orjson.dumps({**GUARDDUTY, "id": f"{n:032x}"}) + b"\n")
    return path


def _securityhub(folder: Path, records: int) -> Path:
    """Security Hub findings as one ``{"Findings": [...]}`` batch, gzip."""
    findings = [
        {**ASFF, "Id": f"arn:aws:securityhub:us-east-1:123456789012:finding/{n}"} for n in range(records)
    ]
    path = folder / f"securityhub-{records}.json.gz"
    path.write_bytes(gzip.compress(orjson.dumps({"Findings": findings}), compresslevel=6))
    return path


SOURCES: dict[str, Callable[[Path, int], Path]] = {
    "cloudtrail (gzip JSON)": _cloudtrail,
    "vpcflow text v2 (gzip)": _vpcflow_text,
    "vpcflow parquet v2": _vpcflow_parquet,
    "guardduty export (gzip JSON Lines)": _guardduty,
    "securityhub findings (gzip JSON)": _securityhub,
}


WARM_UP_ITEMS = 200
"""Items normalized before tracing starts: imports, compiled patterns and first cache entries
are then not counted as growth."""


def _loader_path(path: str, limit: int | None = None) -> dict[str, int]:
    """The object (its first ``limit`` items) through the loader's path: ``normalize_object``
    and each document's bulk encoding, nothing kept."""
    from normalizers import DeadLetter, Origin, normalize_object

    origin = Origin(object=path, ingested="2026-01-01T00:00:00.000Z")
    documents = dead = bulk_bytes = 0
    with open(path, "rb") as handle:
        for item in normalize_object(handle, origin):
            if isinstance(item, DeadLetter):
                dead += 1
            else:
                documents += 1
                bulk_bytes += len(ACTION_LINE) + len(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
            if limit is not None and documents + dead >= limit:
                break
    return {"documents": documents, "dead_letters": dead, "bulk_bytes": bulk_bytes}


def measure_resident(path: str) -> dict[str, Any]:
    """The rise of resident memory (``/proc/self/status``) over the loader's path: what the
    process really takes, allocator and arena noise included."""
    import normalizers  # noqa: F401  (imports are not the object's)

    baseline = vpcflow.start_peak_tracking()
    result = _loader_path(path)
    return {**result, "peak_memory": vpcflow.peak_since(baseline)}


def measure_traced(path: str) -> dict[str, Any]:
    """The peak of memory Python allocated (``tracemalloc``) over the loader's path, after a
    warm-up on the object's first items: its growth with the object is the code's, not the
    allocator's. Arrow's buffers are not Python allocations:
    ``arrow_peak`` is the Arrow memory pool's own peak (over the process, warm-up included)."""
    _loader_path(path, WARM_UP_ITEMS)
    gc.collect()
    tracemalloc.start()
    try:
        result = _loader_path(path)
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrow = sys.modules.get("pyarrow")
    arrow_peak = arrow.default_memory_pool().max_memory() if arrow else 0
    return {**result, "traced_peak": traced_peak, **({"arrow_peak": arrow_peak} if arrow_peak else {})}


def _in_fresh_process(measure: Callable[[str], dict[str, Any]], path: Path) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: dict[str, Any] = pool.apply(measure, (str(path),))
        return result


def run(records: int = RECORDS) -> list[dict[str, Any]]:
    """One row per source: the peaks (resident and traced) of an object of ``records`` records
    and of one ``GROWTH`` times larger, their ratios, and the bulk bytes per document."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for name, build in SOURCES.items():
            paths = {"small": build(Path(tmp), records), "large": build(Path(tmp), records * GROWTH)}
            resident = {size: _in_fresh_process(measure_resident, path) for size, path in paths.items()}
            traced = {size: _in_fresh_process(measure_traced, path) for size, path in paths.items()}
            for result in (*resident.values(), *traced.values()):
                if result["dead_letters"]:
                    raise RuntimeError(f"{name}: the generated objects have dead letters: {result}")
            small, large = resident["small"], resident["large"]
            raw_bytes = (
                None
                if paths["large"].suffix == ".parquet"
                else len(gzip.decompress(paths["large"].read_bytes()))
            )
            rows.append(
                {
                    "name": f"peak memory, {name}",
                    "records": f"{records:,} / {records * GROWTH:,}",
                    "object_bytes": " / ".join(f"{path.stat().st_size:,}" for path in paths.values()),
                    "peak_memory_small": small["peak_memory"],
                    "peak_memory_large": large["peak_memory"],
                    "peak_growth": _ratio(large["peak_memory"], small["peak_memory"]),
                    "traced_peak_small": traced["small"]["traced_peak"],
                    "traced_peak_large": traced["large"]["traced_peak"],
                    "traced_growth": _ratio(traced["large"]["traced_peak"], traced["small"]["traced_peak"]),
                    **(
                        {
                            "arrow_peak_small": traced["small"]["arrow_peak"],
                            "arrow_peak_large": traced["large"]["arrow_peak"],
                        }
                        if "arrow_peak" in traced["large"]
                        else {}
                    ),
                    "bytes_per_document": round(large["bulk_bytes"] / max(1, large["documents"]), 1),
                    **({"bulk_to_raw": round(large["bulk_bytes"] / raw_bytes, 2)} if raw_bytes else {}),
                }
            )
            for path in paths.values():
                path.unlink()
    return rows


def _ratio(large: int, small: int) -> float:
    return round(large / max(1, small), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records", type=int, default=RECORDS, help=f"records of the small object (default {RECORDS})"
    )
    args = parser.parse_args()
    for row in run(args.records):
        print(orjson.dumps(row).decode(), flush=True)


if __name__ == "__main__":
    main()
