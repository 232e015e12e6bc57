"""Hostile objects (issue 19): each case's time and peak resident memory through ``normalize_object``.

Every account of an organization can put objects into the log bucket, so one object can be
a gzip bomb, gigabytes of whitespace, one gigabyte-long line or record, or a batch whose
parsing was quadratic. Each case runs in a fresh process (its peak resident size is its own,
read from ``/proc/self/status``) with a time limit; a case still running then is reported as
``timeout``. Sizes are the issue's (1 GiB) by default; ``--scale 16`` divides them by 16 (to
measure a slow implementation, then extrapolate: every case is linear once fixed).

Plain (uncompressed) inputs of a gigabyte are generated as they are read, never written to
disk; gzip inputs are compressed once into a temporary folder.

    python -m benchmarks.hostile [--scale N] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import gzip
import io
import multiprocessing
import resource
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

GIB = 1 << 30
MIB = 1 << 20
TIMEOUT = 300.0
VPC_HEADER = (
    b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    b"action log-status"
)
VPC_LINE = (
    b"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    b"1418530010 1418530070 ACCEPT OK"
)
CLOUDTRAIL = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "123456789012"},
    "eventTime": "2024-05-01T12:00:00Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateUser",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.7",
    "userAgent": "aws-cli/2.15.0",
    "requestParameters": {"userName": "bob"},
    "responseElements": None,
    "requestID": "0f8c2c3a-0000-4000-8000-000000000000",
    "eventID": "9b0a3c3a-0000-4000-8000-000000000000",
    "eventType": "AwsApiCall",
    "recipientAccountId": "123456789012",
}
GUARDDUTY = {
    "schemaVersion": "2.0",
    "accountId": "123456789012",
    "region": "us-east-1",
    "id": "e4b3d1a0f0000000000000000000000a",
    "arn": "arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/e4b3",
    "type": "Recon:EC2/PortProbeUnprotectedPort",
    "resource": {"resourceType": "Instance"},
    "service": {"serviceName": "guardduty", "count": 1},
    "severity": 2,
    "createdAt": "2024-05-01T12:00:00.000Z",
    "updatedAt": "2024-05-01T12:00:00.000Z",
    "title": "Unprotected port on EC2 instance is being probed.",
    "description": "d",
}
ASFF = {
    "SchemaVersion": "2018-10-08",
    "Id": "arn:aws:securityhub:us-east-1:123456789012:finding/1",
    "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
    "GeneratorId": "generator",
    "AwsAccountId": "123456789012",
    "Types": ["Software and Configuration Checks"],
    "CreatedAt": "2024-05-01T12:00:00Z",
    "UpdatedAt": "2024-05-01T12:00:00Z",
    "Severity": {"Label": "LOW"},
    "Title": "t",
    "Description": "d",
}


@dataclass(frozen=True)
class Repeated:
    """``prefix + filler * count + suffix``, generated as it is read."""

    prefix: bytes
    filler: bytes
    count: int
    suffix: bytes = b""

    def stream(self) -> BinaryIO:
        return io.BufferedReader(_RepeatedRaw(self), buffer_size=1 << 20)

    def gzip_to(self, path: Path) -> Path:
        deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
        block_count = max(1, MIB // len(self.filler))
        block = self.filler * block_count
        with path.open("wb") as out:
            out.write(deflate.compress(self.prefix))
            whole, rest = divmod(self.count, block_count)
            for _ in range(whole):
                out.write(deflate.compress(block))
            out.write(deflate.compress(self.filler * rest + self.suffix))
            out.write(deflate.flush())
        return path


class _RepeatedRaw(io.RawIOBase):
    def __init__(self, spec: Repeated) -> None:
        self._parts = [spec.prefix]
        self._filler, self._left, self._suffix = spec.filler, spec.count, spec.suffix
        self._block = spec.filler * max(1, MIB // len(spec.filler))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._parts:
            if self._left > 0:
                count = min(self._left, len(self._block) // len(self._filler))
                self._parts.append(self._block[: count * len(self._filler)])
                self._left -= count
            elif self._suffix:
                self._parts.append(self._suffix)
                self._suffix = b""
            else:
                return 0
        part = self._parts[0]
        n = min(len(buffer), len(part))
        buffer[:n] = part[:n]
        if n == len(part):
            self._parts.pop(0)
        else:
            self._parts[0] = part[n:]
        return n


def _asff_batch(resources: int) -> bytes:
    finding = {**ASFF, "Resources": [{"Type": "Other", "Id": f"r{n}"} for n in range(resources)]}
    return orjson.dumps({"Findings": [finding]})


def _large_identities_file(path: Path, identities: int) -> Path:
    """CloudTrail records whose ``userIdentity`` holds 32 KiB of its own, each identity in two
    records in a row (the second a cache hit, were it kept), gzip, written as it is made."""
    padding = "x" * (32 * 1024)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(b'{"Records":[')
        for number in range(identities):
            identity = {"type": "IAMUser", "accessKeyId": f"AKIA{number:016d}", "padding": padding}
            record = orjson.dumps({**CLOUDTRAIL, "userIdentity": identity, "eventID": f"id-{number}"})
            out.write((b"," if number else b"") + record + b"," + record)
        out.write(b"]}")
    return path


def _cloudtrail_file(records: int) -> bytes:
    body = b",".join(orjson.dumps({**CLOUDTRAIL, "eventID": f"id-{n}"}) for n in range(records))
    return b'{"Records":[' + body + b"]}"


@dataclass(frozen=True)
class Case:
    name: str
    key: str
    """The object's name (a VPC flow log is recognized by its key when its head is blank)."""
    build: Callable[[Path, int], Path | Repeated]
    """``(folder, scale) -> file or generated stream``."""
    deadline: float | None = None
    """Seconds after which ``should_stop`` answers ``True`` (the deadline case)."""


CASES = (
    Case(
        "gzip of 1 GiB of NUL bytes (1 MB)",
        "bomb.gz",
        lambda folder, scale: Repeated(b"", b"\0", GIB // scale).gzip_to(folder / "bomb.gz"),
    ),
    Case(
        '{"Records":[ + 1 GiB of whitespace, gzip',
        "ws.json.gz",
        lambda folder, scale: Repeated(b'{"Records":[', b" \n", GIB // 2 // scale, b"]}").gzip_to(
            folder / "ws.json.gz"
        ),
    ),
    Case(
        '{"Records":[ + 1 GiB of whitespace, plain',
        "ws.json",
        lambda folder, scale: Repeated(b'{"Records":[', b" \n", GIB // 2 // scale, b"]}"),
    ),
    Case(
        "GuardDuty finding + 1 GiB of spaces, plain",
        "guardduty.jsonl",
        lambda folder, scale: Repeated(orjson.dumps(GUARDDUTY), b" ", GIB // scale),
    ),
    Case(
        "VPC header + 1 GiB of blank lines, plain",
        "1_vpcflowlogs_us-east-1_fl-1_x.log",
        lambda folder, scale: Repeated(VPC_HEADER + b"\n", b"\n", GIB // scale, VPC_LINE + b"\n"),
    ),
    Case(
        "VPC header + one 1 GiB line, plain",
        "1_vpcflowlogs_us-east-1_fl-1_x.log",
        lambda folder, scale: Repeated(VPC_HEADER + b"\n", b"x", GIB // scale, b"\n" + VPC_LINE + b"\n"),
    ),
    Case(
        "CloudTrail record of 1 GiB, plain",
        "ct.json",
        lambda folder, scale: Repeated(
            b'{"Records":[{"eventVersion":"1.08","blob":"', b"a", GIB // scale, b'"}]}'
        ),
    ),
    Case(
        "ASFF batch, 1 finding with 20,000 Resources (0.6 MB)",
        "asff.json",
        lambda folder, scale: _write(folder / "asff-small.json", _asff_batch(20_000)),
    ),
    Case(
        "ASFF batch, 1 finding with 100,000 Resources (3.1 MB)",
        "asff.json",
        lambda folder, scale: _write(folder / "asff.json", _asff_batch(100_000)),
    ),
    Case(
        "CloudTrail, 4,096 distinct identities of 32 KiB, each in 2 records (256 MiB), gzip",
        "ct.json.gz",
        lambda folder, scale: _large_identities_file(folder / "identities.json.gz", 4096 // scale),
    ),
    Case(
        "deadline 2 s into 400,000 CloudTrail records",
        "ct.json",
        lambda folder, scale: _write(folder / "ct.json", _cloudtrail_file(400_000 // scale)),
        deadline=2.0,
    ),
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _measure(case_index: int, built: Path | Repeated) -> dict[str, Any]:
    """In a fresh process: normalize the object, count its items, time it, read the peak RSS."""
    from normalizers import DeadLetter, Origin, normalize_object

    case = CASES[case_index]
    stream = built.open("rb") if isinstance(built, Path) else built.stream()
    origin_fields: dict[str, Any] = {}
    began = time.perf_counter()
    if case.deadline is not None and "should_stop" in Origin.__dataclass_fields__:
        stop_at = began + case.deadline
        origin_fields["should_stop"] = lambda: time.perf_counter() >= stop_at
    origin = Origin(f"s3://bench/{case.key}", "2026-01-01T00:00:00.000Z", **origin_fields)
    before_kib = _status_kib("VmRSS")
    began, began_cpu = time.perf_counter(), time.process_time()
    documents, letters, reasons, outcome = 0, 0, set(), "done"
    try:
        for item in normalize_object(stream, origin):
            if isinstance(item, DeadLetter):
                letters += 1
                reasons.add(item.reason.split(":")[0])
            else:
                documents += 1
            if case.deadline is not None and "should_stop" not in origin_fields:
                outcome = "no deadline hook"
    except BaseException as error:  # Interrupted (the deadline), or what escaped before the fix
        outcome = type(error).__name__
    seconds = time.perf_counter() - began
    row: dict[str, Any] = {
        "name": case.name,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - began_cpu, 2),
        "peak_rss_mb": round(_status_kib("VmHWM") / 1024),
        "rss_before_mb": round(before_kib / 1024),
        "documents": documents,
        "dead_letters": letters,
        "reasons": "|".join(sorted(reasons)) or "-",
        "outcome": outcome,
    }
    if case.deadline is not None:
        row["seconds_past_deadline"] = round(max(0.0, seconds - case.deadline), 2)
    return row


def run(scale: int = 1, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        for index, case in enumerate(CASES):
            built = case.build(Path(tmp), scale)
            size = built.stat().st_size if isinstance(built, Path) else None
            pool = context.Pool(1)
            try:
                row = pool.apply_async(_measure, (index, built)).get(timeout)
            except multiprocessing.TimeoutError:
                row = {"name": case.name, "outcome": f"timeout after {timeout:.0f} s"}
            finally:
                pool.terminate()
                pool.join()
            if scale != 1:
                row["scale"] = f"1/{scale}"
            if size is not None:
                row["object_bytes"] = size
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="divide the 1 GiB sizes by this")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per case")
    args = parser.parse_args()
    for row in run(args.scale, args.timeout):
        print(orjson.dumps(row).decode(), flush=True)


if __name__ == "__main__":
    main()
