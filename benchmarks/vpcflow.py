"""VPC Flow Logs normalizer throughput: gzip text and Parquet files -> bulk-ready NDJSON bytes.

Generates realistic flow logs (a few hundred interfaces, internet scanners and clients, 1 in
5 flows rejected, NODATA records, the odd multi-gigabyte flow), then times the whole object
path (``normalizers.normalize_object``: decompression, detection, normalization) plus the
serialization of every document into a ``_bulk`` body, as the loader does.

Each case runs in a fresh process so that its peak resident memory is its own.

    python -m benchmarks.vpcflow [--rows N]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from demo.records import vpcflow
from normalizers import DeadLetter, Origin, normalize_object

ROWS = 500_000
ACCOUNT = "123456789012"
BULK_ACTION = b'{"create":{}}\n'
"""As ``ingest/writer.py`` sends it: the index is in the URL."""
BULK_BODY_BYTES = 5 << 20
"""The loader sends ``_bulk`` bodies of about this size; the benchmark builds them the same way."""


def _flows(rows: int, fields: Sequence[str], seed: int = 20240501) -> Iterator[dict[str, object]]:
    """Deterministic, realistic flow records; every v5 field, so any header can be written."""
    version = vpcflow.field_version(fields)
    rng = random.Random(seed)
    interfaces = [
        (
            f"eni-{rng.getrandbits(68):017x}",
            f"10.0.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            f"i-{rng.getrandbits(68):017x}",
        )
        for _ in range(300)
    ]
    remote = [
        f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        for _ in range(20_000)
    ]
    services = [(443, 6), (80, 6), (22, 6), (53, 17), (123, 17), (3389, 6), (0, 1)]
    window = 1_714_564_800
    for _ in range(rows):
        eni, local, instance = rng.choice(interfaces)
        start = window + rng.randrange(300)
        where = {
            "vpc-id": "vpc-0a1b2c3d",
            "subnet-id": "subnet-0a1b2c3d",
            "instance-id": instance,
            "region": "eu-west-3",
            "az-id": "euw3-az1",
        }
        if rng.random() < 0.01:
            yield vpcflow.nodata(start=start, account=ACCOUNT, interface=eni, version=version, extra=where)
            continue
        port, protocol = rng.choice(services)
        ingress = rng.random() < 0.5
        peer = rng.choice(remote)
        ephemeral = rng.randrange(1024, 65536) if protocol != 1 else 0
        packets = rng.randrange(1, 2000)
        size = packets * rng.randrange(40, 1500) if rng.random() > 0.001 else rng.randrange(2**32, 2**40)
        src, dst = (peer, local) if ingress else (local, peer)
        yield vpcflow.flow(
            src=src,
            dst=dst,
            src_port=ephemeral if ingress else port,
            dst_port=port if ingress else ephemeral,
            protocol=protocol,
            packets=packets,
            byte_count=size,
            start=start,
            end=start + rng.randrange(1, 60),
            action="REJECT" if rng.random() < 0.2 else "ACCEPT",
            account=ACCOUNT,
            interface=eni,
            version=version,
            extra={
                **where,
                "tcp-flags": rng.choice((2, 18, 19, 3, 1, 0)) if protocol == 6 else 0,
                "type": "IPv4",
                "pkt-srcaddr": src,
                "pkt-dstaddr": dst,
                "flow-direction": "ingress" if ingress else "egress",
                "traffic-path": None if ingress else 8,
            },
        )


def write_text(path: Path, rows: int, fields: Sequence[str] = vpcflow.DEFAULT_FIELDS) -> Path:
    """A gzip text flow log, written in slices so that generating it needs little memory."""
    with gzip.open(path, "wt", compresslevel=6, encoding="utf-8") as out:
        out.write(" ".join(fields) + "\n")
        block: list[str] = []
        for flow in _flows(rows, fields):
            block.append(vpcflow.text_line(flow, fields))
            if len(block) == 10_000:
                out.write("\n".join(block) + "\n")
                block.clear()
        if block:
            out.write("\n".join(block) + "\n")
    return path


def write_parquet(path: Path, text_path: Path) -> Path:
    """The same records as a Parquet file with AWS's column names and types."""
    names = vpcflow.DEFAULT_FIELDS
    schema = vpcflow.parquet_schema(names)
    reader = pacsv.open_csv(
        str(text_path),
        parse_options=pacsv.ParseOptions(delimiter=" "),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(zip(names, schema.types, strict=True)), null_values=["-"]
        ),
    )
    with pq.ParquetWriter(path, schema, compression="gzip") as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
    return path


def _status_kib(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status (Linux), in KiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def start_peak_tracking() -> int:
    """Reset the peak resident size where Linux allows it; return the baseline in bytes."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current VmRSS
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return (_status_kib("VmRSS") or 0) * 1024


def peak_since(baseline: int) -> int:
    peak = _status_kib("VmHWM")
    peak_bytes = (
        peak * 1024 if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    return max(0, peak_bytes - baseline)


def _measure(name: str, path: str) -> dict[str, Any]:
    """Run in a child process: normalize one file into bulk bodies and time it.

    ``peak_memory`` is how far the resident size rose above where it was before the run
    (Python objects, Arrow buffers, the bulk body being built), in bytes.
    """
    baseline = start_peak_tracking()
    origin = Origin(object=path, ingested="2026-01-01T00:00:00.000Z")
    documents = dead = body_bytes = 0
    body: list[bytes] = []
    size = 0
    began, began_cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        for item in normalize_object(handle, origin):
            if isinstance(item, DeadLetter):
                dead += 1
                continue
            documents += 1
            line = orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)
            body += (BULK_ACTION, line)
            size += len(BULK_ACTION) + len(line)
            if size >= BULK_BODY_BYTES:
                body_bytes += len(b"".join(body))
                body.clear()
                size = 0
    body_bytes += len(b"".join(body))
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - began_cpu
    peak = peak_since(baseline)
    rows = documents + dead
    return {
        "name": name,
        "rows": rows,
        "dead_letters": dead,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        # The CPU time of this process alone: on a shared machine, wall time also counts the
        # time other processes held the core.
        "cpu_seconds": round(cpu_seconds, 3),
        "rows_per_cpu_second": round(rows / cpu_seconds),
        "peak_memory": peak,
        "bulk_bytes": body_bytes,
        "bytes_per_document": round(body_bytes / max(1, documents), 1),
        "file_bytes": Path(path).stat().st_size,
    }


def run(rows: int = ROWS) -> list[dict[str, Any]]:
    """Benchmark result rows: text v2 (gzip) and Parquet v2 of ``rows`` records, and a fifth as
    many records in a 29-field custom v5 text format (wider records cost more per record)."""
    with tempfile.TemporaryDirectory(prefix="bench-vpcflow-") as tmp:
        folder = Path(tmp)
        v2 = write_text(
            folder / "111111111111_vpcflowlogs_eu-west-3_fl-0bench_20240501T1200Z_v2.log.gz", rows
        )
        v5 = write_text(
            folder / "111111111111_vpcflowlogs_eu-west-3_fl-0bench_20240501T1200Z_v5.log.gz",
            max(1, rows // 5),
            vpcflow.ALL_V5_FIELDS,
        )
        parquet = write_parquet(
            folder / "111111111111_vpcflowlogs_eu-west-3_fl-0bench_20240501T1200Z.parquet", v2
        )
        cases = [
            ("vpcflow text v2 (gzip)", v2),
            ("vpcflow text custom v5 (gzip)", v5),
            ("vpcflow parquet v2", parquet),
        ]
        context = multiprocessing.get_context("spawn")
        results = []
        for name, path in cases:
            with context.Pool(1) as pool:
                results.append(pool.apply(_measure, (name, str(path))))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help=f"records per file (default {ROWS})")
    args = parser.parse_args()
    for result in run(args.rows):
        print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
