"""Time per MB of hostile objects at growing sizes: work per object must be linear (issue 19).

Each case builds an object whose contents an attacker chooses (runs of blanks between records,
reads of a few bytes, one line or record as large as allowed, thousands of tiny items, deep
nesting, one Parquet row group per row...) at three sizes, and reads it through
``normalize_object`` (or, for the cases named ``splitter``, the JSON splitter alone, fed reads
of 7 bytes as a stream of tiny gzip members used to give it). Each size runs in a fresh
process: seconds, seconds per MB of the object (decompressed: of a gzip's content, whatever
its members), resident memory before (the object built, held whole) and at its peak. The row's ``ratio`` is
the largest size's seconds per MB over the smallest's: about 1 for linear work (noise aside),
4 or more for quadratic work. Never run by the tests: ``make bench`` or

    python -m benchmarks.scaling [--case SUBSTRING] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import base64
import datetime
import gzip
import io
import multiprocessing
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

if __package__ in (None, ""):  # run as a file: another tree on PYTHONPATH comes first
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from benchmarks.hostile import ASFF, CLOUDTRAIL, GUARDDUTY, VPC_HEADER, VPC_LINE

MB = 1 << 20
STANDARD = (1, 4, 16)
"""Sizes in MB of the cases read in large reads."""
TRICKLE = (0.25, 1, 4)
"""Sizes in MB of the cases read a few bytes at a time (a step per byte costs microseconds)."""
TIMEOUT = 600.0
TRAIL = orjson.dumps(CLOUDTRAIL)
VPC_KEY = (
    "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/123456789012_vpcflowlogs_us-east-1_fl-1_x.log"
)
TRAIL_KEY = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_x.json"
ERRORS_KEY = "AWSLogs/123456789012/firehose-errors/us-east-1/processing-failed/2024/05/01/x"
SNAPSHOT_KEY = (
    "AWSLogs/123456789012/Config/us-east-1/2024/5/1/ConfigSnapshot/"
    "123456789012_Config_us-east-1_ConfigSnapshot_20240501T000000Z_7c1e0a52-3b1d-4f6e-9a8b-0c1d2e3f4a5b.json"
)


def _repeat(unit: bytes, size: int) -> bytes:
    return unit * max(1, size // len(unit))


def _one_byte_members(data: bytes) -> bytes:
    """A gzip of one member per byte (about 20 compressed bytes each)."""
    members: dict[int, bytes] = {}
    for byte in set(data):
        deflate = zlib.compressobj(1, zlib.DEFLATED, 31)
        members[byte] = deflate.compress(bytes([byte])) + deflate.flush()
    return b"".join(members[byte] for byte in data)


def _trail_records(size: int) -> bytes:
    return b'{"Records":[' + b",".join([TRAIL] * max(1, size // (len(TRAIL) + 1))) + b"]}"


def _trail_blank_runs(size: int) -> bytes:
    """Records each followed by a run of blanks shorter than a read (60 kB): the splitter
    waits for the next record's start through the run."""
    unit = TRAIL + b" \n" * 30_000 + b","
    return b'{"Records":[' + _repeat(unit, size) + TRAIL + b"]}"


def _secret_record(size: int) -> bytes:
    """One record full of the names the CloudTrail screen looks for in each read."""
    return b'{"Records":[{"eventVersion":"1.08",' + _repeat(b'"password":"x",', size) + b'"eventName":"x"}]}'


def _deep_records(size: int) -> bytes:
    record = b'{"eventVersion":"1.08","deep":' + b"[" * 1000 + b"]" * 1000 + b"}"
    return b'{"Records":[' + b",".join([record] * max(1, size // len(record))) + b"]}"


def _asff_resources(size: int) -> bytes:
    resource = b'{"Type":"Other","Id":"r00000000"},'
    head = orjson.dumps(ASFF)[:-1] + b',"Resources":['
    return b'{"Findings":[' + head + _repeat(resource, size)[:-1] + b"]}]}"


def _cwl_tiny_events(size: int) -> bytes:
    """Subscription payloads of 256 kB, each of 1,500 one-line flow records."""
    from demo.records import cloudwatch_logs as cwl

    line = VPC_LINE.decode()
    events = [
        cwl.log_event(line, 1_714_564_800_000, cwl.event_id(1_714_564_800_000, n)) for n in range(6_000)
    ]
    payload = cwl.payload_bytes(
        cwl.subscription_payload(
            owner="123456789012", log_group="/aws/vpc/flowlogs", log_stream="s", events=events
        )
    )
    return cwl.firehose_object([payload] * max(1, size // (256 << 10)), gzip_again=True)


def _firehose_error_lines(size: int) -> bytes:
    raw = base64.b64encode(orjson.dumps(GUARDDUTY)).decode()
    line = orjson.dumps(
        {"attemptsMade": 1, "arrivalTimestamp": 1714564800000, "errorCode": "x", "rawData": raw}
    )
    return gzip.compress(_repeat(line + b"\n", size), compresslevel=1)


def _config_snapshot(size: int) -> bytes:
    from demo.records import config

    moment = datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)
    item = config.configuration_item(
        "123456789012",
        "us-east-1",
        "AWS::EC2::SecurityGroup",
        "sg-0123456789abcdef0",
        moment,
        {"groupName": "g"},
    )
    unit = len(orjson.dumps(item)) + 1
    return config.snapshot_file([item] * max(1, size // unit))


def _lake_row_groups(size: int) -> bytes:
    """Security Lake API Activity rows, one row group per row (a row group's overhead each)."""
    from demo.records import securitylake as sl

    row = sl.api_activity_row(CLOUDTRAIL)
    return sl.parquet_from_rows([row] * max(1, size // 2_600), row_group_size=1)


@dataclass(frozen=True)
class Case:
    name: str
    key: str
    build: Callable[[int], bytes]
    sizes: tuple[float, ...] = STANDARD
    splitter: bool = False
    """Read by the JSON splitter alone, in reads of 7 bytes (with the CloudTrail screen)."""
    members: bool = False
    """The object is a gzip of one member per byte of what ``build`` gives."""


CASES = (
    Case(
        "cloudtrail records, gzip of one-byte members",
        TRAIL_KEY + ".gz",
        _trail_records,
        TRICKLE,
        members=True,
    ),
    Case(
        "vpc text lines, gzip of one-byte members",
        VPC_KEY + ".gz",
        lambda n: VPC_HEADER + b"\n" + _repeat(VPC_LINE + b"\n", n),
        TRICKLE,
        members=True,
    ),
    Case(
        "splitter, 7 B reads: records between 60 kB runs of blanks",
        TRAIL_KEY,
        _trail_blank_runs,
        TRICKLE,
        True,
    ),
    Case("splitter, 7 B reads: one record full of secret names", TRAIL_KEY, _secret_record, TRICKLE, True),
    Case(
        "splitter, 7 B reads: a number without end of line",
        TRAIL_KEY,
        lambda n: b"1" * n + b"\n" + TRAIL,
        TRICKLE,
        True,
    ),
    Case("cloudtrail records between 60 kB runs of blanks", TRAIL_KEY, _trail_blank_runs),
    Case("cloudtrail: one record as large as the object", TRAIL_KEY, lambda n: _secret_record(n)),
    Case("cloudtrail records nested 1,000 levels", TRAIL_KEY, _deep_records),
    Case("asff: one finding, tiny Resources (false ends)", "findings.json", _asff_resources),
    Case("vpc text: one line with no end of line", VPC_KEY, lambda n: VPC_HEADER + b"\n" + b"x" * n),
    Case(
        "cloudwatch logs: payloads of tiny logEvents",
        "firehose/2024/05/01/x.gz",
        _cwl_tiny_events,
        (0.5, 2, 8),
    ),
    Case("firehose errors: one line per failed record", ERRORS_KEY, _firehose_error_lines),
    Case("config snapshot: many configuration items", SNAPSHOT_KEY, _config_snapshot),
    Case(
        "security lake parquet: one row group per row", "ext/lake/x.parquet", _lake_row_groups, (0.25, 1, 4)
    ),
)


class _Trickle(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        chunk = self._data[self._pos : self._pos + 7]
        self._pos += len(chunk)
        return chunk

    read = read1


def _items(case: Case, data: bytes) -> Iterator[bool]:
    """Whether each item is a document (else a dead letter)."""
    if case.splitter:
        from normalizers.cloudtrail.credentials import SECRET_MARKERS
        from normalizers.cloudtrail.spec import SPEC
        from normalizers.framing.json_stream import json_record_fields

        wrapper = SPEC.framing.wrapper  # type: ignore[union-attr]
        for _, _, _, error, _ in json_record_fields(_Trickle(data), wrapper, screen=SECRET_MARKERS):  # type: ignore[arg-type]
            yield error is None
        return
    from normalizers import DeadLetter, Origin, normalize_object

    origin = Origin(f"s3://bench/{case.key}", "2026-01-01T00:00:00.000Z", config_snapshot_inventory=True)
    for item in normalize_object(io.BytesIO(data), origin):
        yield not isinstance(item, DeadLetter)


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    """Set the peak resident size (``VmHWM``) to the current one (Linux: ``clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:  # not Linux, or not allowed: the peak includes the object's building
        pass


def _measure(case_index: int, size: float) -> dict[str, Any]:
    case = CASES[case_index]
    data = case.build(int(size * MB))
    # Per MB of what the reader reads: the decompressed bytes of a gzip.
    megabytes = (len(gzip.decompress(data)) if data[:2] == b"\x1f\x8b" else len(data)) / MB
    if case.members:
        data = _one_byte_members(data)
    _reset_peak()  # building the object has a peak of its own (a list of its members)
    before = _status_mb("VmRSS")  # the object built, held in memory: not the reader's
    began = time.perf_counter()
    documents = letters = 0
    for document in _items(case, data):
        documents += document
        letters += not document
    seconds = time.perf_counter() - began
    return {
        "object_mb": megabytes,
        "seconds": seconds,
        "peak_rss_mb": _status_mb("VmHWM"),
        "rss_before_mb": before,
        "documents": documents,
        "dead_letters": letters,
    }


def run(only: str = "", timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    rows = []
    for index, case in enumerate(CASES):
        if only not in case.name:
            continue
        row: dict[str, Any] = {"name": case.name}
        per_mb = []
        for size in case.sizes:
            pool = context.Pool(1)
            try:
                result = pool.apply_async(_measure, (index, size)).get(timeout)
            except multiprocessing.TimeoutError:
                row[f"{size}MB"] = f"timeout after {timeout:.0f} s"
                break
            finally:
                pool.terminate()
                pool.join()
            per_mb.append(result["seconds"] / result["object_mb"])
            row[f"{size}MB"] = (
                f"{result['seconds']:.2f}s {per_mb[-1]:.3f}s/MB "
                f"rss={result['rss_before_mb']:.0f}->{result['peak_rss_mb']:.0f}MB "
                f"obj={result['object_mb']:.1f}MB docs={result['documents']} dl={result['dead_letters']}"
            )
        if len(per_mb) == len(case.sizes):
            row["ratio"] = round(per_mb[-1] / per_mb[0], 2)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", default="", help="only the cases whose name holds this")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per size of a case")
    args = parser.parse_args()
    for row in run(args.case, args.timeout):
        print(orjson.dumps(row).decode(), flush=True)


if __name__ == "__main__":
    main()
