"""CloudTrail benchmark: gzip log files -> bulk-ready NDJSON bytes, against a ceiling.

The ceiling is measured on the same bytes in the same run: gunzip + ``orjson.loads`` of the
whole file, the least any loader must do. ``ratio_to_ceiling`` gunzips with the standard
library's zlib, as issue 15 measured it; the path inflates with zlib-ng where it is installed
(normalizers.stream), so ``ratio_to_zlib_ng_ceiling`` gives the stricter ratio to a ceiling that
inflates with it too (absent without zlib-ng). The measured path is the real one
(``normalize_object``: gunzip, detection, streaming split, mapping) plus the bulk encoding
as ingest.writer sends it to ``/<index>/_bulk``: ``{"create":{}}\\n`` + ``orjson.dumps(doc)``
+ ``\\n`` per record.

Two files, measured in the same run (issue 15.2):

- the stratus-cycled file: the stratus-red-team samples (../shared) cycled with a fresh
  eventID, eventTime and source address per record, or built-in synthetic records when the
  samples are absent;
- the small-records file: small, typical records (``aws-cli``/SDK calls, short parameters)
  from ``../shared/bench/gen_cloudtrail.py`` (deterministic: its seed and clock), as one
  object; the row is left out when the generator is absent.

``ratio_to_ceiling`` is best-of-R over best-of-R, each best from a run of its own moment;
``median_round_ratio_to_ceiling`` is the median of R alternating rounds' own ratios (a ceiling
run, then a path run, moments apart), as benchmarks/ingest.py reports its ratios: on a shared
machine the load moves between the two bests, far less within a round. The ratio to read is
``paired_ratio_to_ceiling``: ``ROUNDS`` short paired rounds (benchmarks/paired.py) on pieces of
``ROUND_RECORDS`` records of the same file, each piece in two rounds, the ceiling first in one
and the path first in the other; the median of the rounds' own ratios, with their spread
(``paired_ratio_to_ceiling_spread``: least, first quartile, third quartile, greatest), and
``paired_user_ratio_to_ceiling``, the same over user seconds only: the ceiling's kernel seconds
are page faults (it holds a whole file and its object graph; the streaming path does not), whose
price the machine sets, so the user-time ratio is the one that measures the code
(docs/sources/cloudtrail.md, "What the ceiling's time is made of").

Each row also splits its time per record into stages, so that no profiler is needed to see
where it goes: ``split_us_per_record`` (gunzip and the streaming split into records),
``map_us_per_record`` (detection, envelopes and the mapper) and ``encode_us_per_record`` (the
bulk lines); each from best-of-R runs that stop after it, the later ones by difference.

Run: ``python -m benchmarks.cloudtrail [--records N] [--repeat R] [--rounds K] [--round-records P]``.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.util
import io
import json
import random
import resource
import statistics
import time
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from benchmarks.paired import paired_rounds, round_ratios, summary
from demo.records import cloudtrail as ct
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.cloudtrail.credentials import SECRET_MARKERS
from normalizers.cloudtrail.spec import SPEC
from normalizers.framing.json_stream import json_record_fields
from normalizers.stream import decompressed

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SAMPLES = SHARED / "samples" / "cloudtrail" / "stratus-red-team"
GENERATOR = SHARED / "bench" / "gen_cloudtrail.py"
ACTION_LINE = b'{"create":{}}\n'
DEFAULT_RECORDS = 100_000
DEFAULT_REPEAT = 2
ROUNDS = 20
"""Paired rounds per file (``paired_ratio_to_ceiling``): each piece twice, once in each order."""
ROUND_RECORDS = 20_000
"""Records per piece of the paired rounds: a fifth to a half of a second per side."""


def sample_records() -> list[dict[str, Any]]:
    """The stratus-red-team records, or synthetic ones when ../shared is absent."""
    if SAMPLES.is_dir():
        records: list[dict[str, Any]] = []
        for path in sorted(SAMPLES.glob("*.json")):
            records.extend(json.loads(path.read_text()))
        return records
    return _synthetic_records()


def _synthetic_records() -> list[dict[str, Any]]:
    session = ct.RoleSession(
        "111122223333", "Admin", "AROAEXAMPLE", "session", "ASIAEXAMPLE", datetime(2024, 5, 1, 10, tzinfo=UTC)
    )
    identity = ct.assumed_role(session, web_id_federation=False)
    common: dict[str, Any] = {
        "user_agent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5",
        "request_id": "5d40662a-49f7-11e6-97e4-d9cb6ff7d6a3",
        "tls": ct.tls_details("ec2.amazonaws.com", "us-east-1"),
    }
    return [
        ct.api_call(
            identity,
            event_name="DescribeInstances",
            event_source="ec2.amazonaws.com",
            request={
                "instancesSet": {},
                "filterSet": {"items": [{"name": "tag:env", "valueSet": {"items": [{"value": "prod"}]}}]},
            },
            **common,
        ),
        ct.api_call(
            identity,
            event_name="RunInstances",
            event_source="ec2.amazonaws.com",
            read_only=False,
            request={
                "instancesSet": {
                    "items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]
                },
                "instanceType": "t3.micro",
            },
            response={
                "reservationId": "r-0123456789abcdef0",
                "instancesSet": {
                    "items": [
                        {"instanceId": "i-0123456789abcdef0", "currentState": {"code": 0, "name": "pending"}}
                    ]
                },
            },
            **common,
        ),
        ct.api_call(
            identity,
            event_name="GetSecretValue",
            event_source="secretsmanager.amazonaws.com",
            error_code="AccessDenied",
            error_message="not authorized",
            request={"secretId": "db"},
            **common,
        ),
    ]


def build_file(records: int) -> bytes:
    """A gzip CloudTrail log file of ``records`` varied records, compact as AWS writes it."""
    return _stratus_file(_stratus_lines(records))


def _stratus_lines(records: int) -> list[bytes]:
    """The serialized records of :func:`build_file`."""
    samples = sample_records()
    start = datetime(2024, 5, 1, tzinfo=UTC)
    parts = []
    for index in range(records):
        record = dict(samples[index % len(samples)])
        record["eventID"] = f"{index:08x}-0000-4000-8000-{index * 7919 % 1_000_000_000_000:012d}"
        record["eventTime"] = (start + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record["sourceIPAddress"] = f"198.51.{index // 256 % 256}.{index % 256}"
        parts.append(orjson.dumps(record))
    return parts


def _stratus_file(lines: list[bytes]) -> bytes:
    return gzip.compress(b'{"Records":[' + b",".join(lines) + b"]}", compresslevel=6)


def build_small_file(records: int) -> bytes | None:
    """A gzip log file of ``records`` small, typical records, as ../shared/bench/gen_cloudtrail.py
    writes them (its seed, clock and serialization; one object rather than files of 1,000),
    or ``None`` when the generator is absent."""
    items = generated_records(records)
    return None if items is None else _small_file(items)


def _small_file(items: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": items}).encode(), compresslevel=6)


def pieces(records: int, piece: int, small: bool = False) -> list[bytes] | None:
    """The file of ``records`` records (:func:`build_file`, or :func:`build_small_file` when
    ``small``) cut into consecutive gzip log files of ``piece`` records (the last may hold
    fewer), built the same way: the inputs of the paired rounds (``None``: no generator)."""
    piece = max(1, min(piece, records))
    if small:
        items = generated_records(records)
        if items is None:
            return None
        return [_small_file(items[at : at + piece]) for at in range(0, records, piece)]
    lines = _stratus_lines(records)
    return [_stratus_file(lines[at : at + piece]) for at in range(0, records, piece)]


def generated_records(count: int, seed: int = 7, generator: Path = GENERATOR) -> list[dict[str, Any]] | None:
    """``count`` records of ../shared/bench/gen_cloudtrail.py from ``seed``, a few hundred
    milliseconds apart, or ``None`` when the generator is absent."""
    if not generator.is_file():
        return None
    spec = importlib.util.spec_from_file_location("gen_cloudtrail", generator)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = random.Random(seed)
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for _ in range(count):
        moment += timedelta(milliseconds=rng.randint(1, 900))
        items.append(module.record(rng, moment))
    return items


def _ceiling(compressed: bytes, inflater: ModuleType = zlib) -> int:
    # The garbage collector is off here only: it slows the build of one huge object graph,
    # and the ceiling must be the best the runtime can do (a stricter ratio for us).
    gc.disable()
    try:
        return len(orjson.loads(inflater.decompress(compressed, wbits=31))["Records"])
    finally:
        gc.enable()


def _zlib_ng_ceiling(compressed: bytes, records: int, repeat: int, seconds: float) -> dict[str, float]:
    """The ratio to the ceiling inflated by zlib-ng, as the path is; none without zlib-ng."""
    if importlib.util.find_spec("zlib_ng") is None:
        return {}
    from zlib_ng import zlib_ng

    ceiling = records / _best_seconds(lambda: _ceiling(compressed, zlib_ng), repeat)
    return {"ratio_to_zlib_ng_ceiling": round(records / seconds / ceiling, 3)}


def _to_ndjson(compressed: bytes) -> tuple[int, int, int]:
    """Normalize and bulk-encode; returns (documents, dead letters, NDJSON bytes)."""
    origin = Origin(object="benchmark.json.gz", ingested="2026-01-01T00:00:00.000Z")
    documents = dead = size = 0
    dumps = orjson.dumps
    for item in normalize_object(io.BytesIO(compressed), origin):
        if isinstance(item, DeadLetter):
            dead += 1
            continue
        size += len(ACTION_LINE) + len(dumps(item)) + 1
        documents += 1
    return documents, dead, size


def _split(compressed: bytes) -> int:
    """The stage before the mapper alone: gunzip and the streaming split into records (with
    the screen for secret keys' names that CloudTrail's splitter runs)."""
    if SPEC.framing is None:
        raise RuntimeError("CloudTrail is a JSON source: it has a framing")
    records = 0
    stream, wrapper = decompressed(io.BytesIO(compressed)), SPEC.framing.wrapper
    for _ in json_record_fields(stream, wrapper, screen=SECRET_MARKERS):  # as normalize() splits
        records += 1
    return records


def _normalize(compressed: bytes) -> int:
    """``normalize_object`` without the bulk encoding: gunzip, detection, split and mapping."""
    origin = Origin(object="benchmark.json.gz", ingested="2026-01-01T00:00:00.000Z")
    items = 0
    for _ in normalize_object(io.BytesIO(compressed), origin):
        items += 1
    return items


def _stages(compressed: bytes, records: int, repeat: int, seconds: float) -> dict[str, float]:
    """Microseconds per record of each stage, from best-of-``repeat`` runs that stop after it:
    split (gunzip, split), map (detection, envelopes, mapping: normalize_object less split),
    encode (the bulk lines: the whole path less normalize_object)."""
    split = _best_seconds(lambda: _split(compressed), repeat)
    normalize = _best_seconds(lambda: _normalize(compressed), repeat)
    per_record = 1e6 / records
    return {
        "split_us_per_record": round(split * per_record, 2),
        "map_us_per_record": round((normalize - split) * per_record, 2),
        "encode_us_per_record": round((seconds - normalize) * per_record, 2),
    }


def _best_seconds(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()  # CPU time of this process: the machine may be shared
        work()
        best = min(best, time.process_time() - began)
    return best


def _peak_memory(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class CpuUse:
    """One run's CPU time split as the kernel accounts it (``getrusage``), and its page faults."""

    user: float
    system: float
    faults: int

    @property
    def total(self) -> float:
        return self.user + self.system


def _cpu_use(work: Callable[[], object]) -> CpuUse:
    before = resource.getrusage(resource.RUSAGE_SELF)
    work()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return CpuUse(
        after.ru_utime - before.ru_utime,
        after.ru_stime - before.ru_stime,
        after.ru_minflt - before.ru_minflt,
    )


def _paired(pieces: list[bytes], rounds: int) -> dict[str, Any]:
    """The path's rate over the ceiling's in ``rounds`` short paired rounds (benchmarks/paired.py):
    rounds 2k and 2k + 1 read piece k (modulo the pieces), the ceiling then the path in even
    rounds and the path then the ceiling in odd ones; a round's ratio is its ceiling's seconds
    over its path's (the same records). ``paired_ratio_to_ceiling`` counts CPU seconds of this
    process, user and kernel; ``paired_user_ratio_to_ceiling`` user seconds only. The ceiling's
    kernel seconds are page faults: it holds each piece's text and object graph whole, so it
    touches fresh memory on every run (each piece's buffers go back to the system when freed),
    at a cost per fault that the virtual machine sets; the streaming path takes none. Beside
    them, per record (medians of the rounds): each side's kernel microseconds and page faults."""

    def piece(number: int) -> int:
        return number // 2 % len(pieces)

    ceilings, paths = paired_rounds(
        rounds,
        lambda number: _cpu_use(lambda: _ceiling(pieces[piece(number)])),
        lambda number: _cpu_use(lambda: _to_ndjson(pieces[piece(number)])),
    )
    counts = [_ceiling(each) for each in pieces]  # records per piece
    sizes = [counts[piece(number)] for number in range(rounds)]

    def per_record(uses: list[CpuUse], value: Callable[[CpuUse], float], scale: float = 1.0) -> float:
        return round(
            statistics.median(value(use) * scale / size for use, size in zip(uses, sizes, strict=True)), 2
        )

    return {
        **summary(
            round_ratios([c.total for c in ceilings], [p.total for p in paths]), "paired_ratio_to_ceiling"
        ),
        **summary(
            round_ratios([c.user for c in ceilings], [p.user for p in paths]), "paired_user_ratio_to_ceiling"
        ),
        "ceiling_kernel_us_per_record": per_record(ceilings, lambda use: use.system, 1e6),
        "ceiling_page_faults_per_record": per_record(ceilings, lambda use: use.faults),
        "path_kernel_us_per_record": per_record(paths, lambda use: use.system, 1e6),
        "path_page_faults_per_record": per_record(paths, lambda use: use.faults),
    }


def measure(
    name: str,
    compressed: bytes,
    records: int,
    repeat: int,
    pieces: list[bytes] | None = None,
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    """One row: the file's best-of-``repeat`` CPU seconds through the bulk path, and its ceiling;
    with ``pieces`` (the file cut in short files), the ratio of ``rounds`` paired rounds too."""
    raw_bytes = len(zlib.decompress(compressed, wbits=31))
    documents, dead, ndjson_bytes = _to_ndjson(compressed)
    if documents != records or dead:
        raise RuntimeError(f"{name}: {documents} documents and {dead} dead letters for {records} records")
    # Alternating rounds (a ceiling run, then a path run): each round's own ratio compares
    # runs made moments apart, which a shared machine's load changes less than best-of-R apart.
    ceilings, paths = [], []
    for _ in range(repeat):
        ceilings.append(_best_seconds(lambda: _ceiling(compressed), 1))
        paths.append(_best_seconds(lambda: _to_ndjson(compressed), 1))
    ceiling, seconds = records / min(ceilings), min(paths)
    stricter = _zlib_ng_ceiling(compressed, records, repeat, seconds)
    return {
        "name": name,
        "records": records,
        "seconds": round(seconds, 4),
        "records_per_second": round(records / seconds),
        "ceiling_records_per_second": round(ceiling),
        "ratio_to_ceiling": round(records / seconds / ceiling, 3),
        "median_round_ratio_to_ceiling": round(
            statistics.median(c / p for c, p in zip(ceilings, paths, strict=True)), 3
        ),
        **(_paired(pieces, rounds) if pieces else {}),
        **stricter,
        "raw_bytes": raw_bytes,
        "ndjson_bytes": ndjson_bytes,
        "ndjson_to_raw": round(ndjson_bytes / raw_bytes, 3),
        "peak_memory": _peak_memory(lambda: _to_ndjson(compressed)),
        **_stages(compressed, records, repeat, seconds),
    }


def run(
    records: int = DEFAULT_RECORDS,
    repeat: int = DEFAULT_REPEAT,
    rounds: int = ROUNDS,
    round_records: int = ROUND_RECORDS,
) -> list[dict[str, Any]]:
    """Result rows for benchmarks/run.py: best-of-``repeat`` CPU seconds of this one process,
    the stratus-cycled file and the small-records file in the same run, each with its ratio of
    ``rounds`` paired rounds on pieces of ``round_records`` records."""
    rows = [
        measure(
            "cloudtrail gzip -> bulk NDJSON",
            build_file(records),
            records,
            repeat,
            pieces(records, round_records),
            rounds,
        )
    ]
    small = build_small_file(records)
    if small is not None:
        rows.append(
            measure(
                "cloudtrail small records gzip -> bulk NDJSON",
                small,
                records,
                repeat,
                pieces(records, round_records, small=True),
                rounds,
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="CloudTrail normalizer benchmark (one core)")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="records in the generated file")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="runs per measurement (best kept)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"paired rounds (default {ROUNDS})")
    parser.add_argument(
        "--round-records",
        type=int,
        default=ROUND_RECORDS,
        help=f"records per piece of the paired rounds (default {ROUND_RECORDS})",
    )
    args = parser.parse_args()
    for row in run(args.records, args.repeat, args.rounds, args.round_records):
        print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
