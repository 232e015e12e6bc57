"""Peak memory against object size, per source (issue 15.5): it must stay flat.

For each source, one valid object of ``records`` records and one eight times larger go
through the loader's path (``normalize_object`` and the ``_bulk`` encoding of each item, as
``benchmarks/vpcflow.py`` does), each in a fresh process whose rise of resident memory is
read from ``/proc/self/status`` (as ``benchmarks/hostile.py``). ``peak_growth`` is the large
object's peak divided by the small one's: about 1 when memory is flat in object size, about
8 when it grows with the object.

    python -m benchmarks.memory [--records N]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import tempfile
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


def _measure(path: str) -> dict[str, Any]:
    """In a fresh process: the object through the loader's path; the rise of resident memory."""
    from normalizers import DeadLetter, Origin, normalize_object

    baseline = vpcflow.start_peak_tracking()
    origin = Origin(object=path, ingested="2026-01-01T00:00:00.000Z")
    documents = dead = bulk_bytes = 0
    with open(path, "rb") as handle:
        for item in normalize_object(handle, origin):
            if isinstance(item, DeadLetter):
                dead += 1
                continue
            documents += 1
            bulk_bytes += len(ACTION_LINE) + len(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE))
    return {
        "documents": documents,
        "dead_letters": dead,
        "peak_memory": vpcflow.peak_since(baseline),
        "bulk_bytes": bulk_bytes,
    }


def _in_fresh_process(path: Path) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_measure, (str(path),))
        return result


def run(records: int = RECORDS) -> list[dict[str, Any]]:
    """One row per source: the peak memory of an object of ``records`` records and of one
    ``GROWTH`` times larger, their ratio, and the bulk bytes per document."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for name, build in SOURCES.items():
            small_path = build(Path(tmp), records)
            large_path = build(Path(tmp), records * GROWTH)
            small, large = _in_fresh_process(small_path), _in_fresh_process(large_path)
            if small["dead_letters"] or large["dead_letters"]:
                raise RuntimeError(f"{name}: the generated objects have dead letters: {small} {large}")
            raw_bytes = (
                None if large_path.suffix == ".parquet" else len(gzip.decompress(large_path.read_bytes()))
            )
            rows.append(
                {
                    "name": f"peak memory, {name}",
                    "records": f"{records:,} / {records * GROWTH:,}",
                    "object_bytes": f"{small_path.stat().st_size:,} / {large_path.stat().st_size:,}",
                    "peak_memory_small": small["peak_memory"],
                    "peak_memory_large": large["peak_memory"],
                    "peak_growth": round(large["peak_memory"] / max(1, small["peak_memory"]), 2),
                    "bytes_per_document": round(large["bulk_bytes"] / max(1, large["documents"]), 1),
                    **({"bulk_to_raw": round(large["bulk_bytes"] / raw_bytes, 2)} if raw_bytes else {}),
                }
            )
            small_path.unlink()
            large_path.unlink()
    return rows


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
