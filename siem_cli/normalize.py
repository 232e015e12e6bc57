"""``siem normalize``: files in, one ECS document per line out, a summary on stderr."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from normalizers import SOURCES, DeadLetter, Origin, normalize_object
from normalizers.terms import MAX_TERM_BYTES, cut_immense_values
from normalizers.unencodable import unencodable
from siem_cli.backfill import add_config_snapshot_option, add_flow_formats_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "normalize",
        help="normalize log files to ECS JSON lines on stdout",
        description="Normalize CloudTrail, VPC Flow Logs, GuardDuty, Security Hub or AWS Config files (gzip or "
        "plain, JSON or Parquet), also as CloudWatch Logs subscription payloads, Amazon Security Lake "
        "OCSF Parquet or Firehose error output (each record recovered from rawData), to one ECS document "
        "per line on stdout, as the ingest path indexes it: a value too long to be indexed is cut to its "
        "first 16 KiB and the document says so (siem.cut). A summary per source goes to stderr. "
        "Exit status is non-zero only for usage errors and unreadable files.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument(
        "--source",
        choices=("auto", *SOURCES),
        default="auto",
        help="force the source instead of detecting it from the content (default: auto); a "
        "delivery path's container (CloudWatch Logs payloads, Firehose error output) is still unwrapped, "
        "each record to its source",
    )
    parser.add_argument(
        "--dead-letter",
        type=Path,
        metavar="PATH",
        help="append dead letters (JSON lines: reason, source, object, position, raw) to PATH",
    )
    parser.add_argument("--original", action="store_true", help="keep each raw record in event.original")
    add_flow_formats_option(parser)
    add_config_snapshot_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ingested = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    source = None if args.source == "auto" else args.source
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    out = sys.stdout.buffer
    dead_out: IO[bytes] | None = args.dead_letter.open("ab") if args.dead_letter else None
    status = 0
    try:
        for path in args.files:
            try:
                handle = path.open("rb")
            except OSError as error:
                print(f"siem normalize: cannot read {path}: {error.strerror}", file=sys.stderr)
                status = 1
                continue
            with handle:
                origin = Origin(
                    object=str(path),
                    ingested=ingested,
                    keep_original=args.original,
                    flow_formats=args.vpc_flow_formats,
                    config_snapshot_inventory=args.config_snapshot_inventory,
                )
                status |= _normalize_file(handle, path, source, origin, out, dead_out, totals)
    finally:
        if dead_out:
            dead_out.close()
        out.flush()
    _print_summary(totals)
    return status


def _normalize_file(
    handle: BinaryIO,
    path: Path,
    source: str | None,
    origin: Origin,
    out: IO[bytes],
    dead_out: IO[bytes] | None,
    totals: dict[str, dict[str, int]],
) -> int:
    normalized = normalize_object(handle, origin, source)
    batch: list[bytes] = []
    try:
        for number, item in enumerate(normalized):
            # Counted under the item's own source: a delivery path's object may hold several.
            item_source = normalized.outcome.source or "unknown"
            counts = totals[item_source]
            counts["records"] += 1
            if not isinstance(item, DeadLetter):
                try:
                    batch.append(_indexable(item, orjson.dumps(item), number))
                except TypeError as error:  # orjson.JSONEncodeError: a shape no normalizer foresaw
                    item = unencodable(item, error, item_source, origin.object, f"record {number}")
            if isinstance(item, DeadLetter):
                counts["dead_letters"] += 1
                if dead_out:
                    dead_out.write(orjson.dumps(item.to_json()) + b"\n")
                continue
            counts["documents"] += 1
            if len(batch) >= 1024:
                out.write(b"\n".join(batch) + b"\n")
                batch.clear()
    except OSError as error:
        print(f"siem normalize: cannot read {path}: {error}", file=sys.stderr)
        return 1
    if batch:
        out.write(b"\n".join(batch) + b"\n")
    outcome = normalized.outcome
    counts = totals[outcome.source or "unknown"]
    counts["objects"] += 1
    if outcome.skipped:
        counts["skipped_objects"] += 1
    if outcome.error:
        counts["partially_failed_objects"] += 1
        print(f"siem normalize: {path}: partially failed: {outcome.error}", file=sys.stderr)
    return 0


def _indexable(document: dict[str, Any], body: bytes, number: int) -> bytes:
    """``body``, or, in the rare documents long enough to hold a value too long to be indexed,
    the document with such values cut and marked as the ingest path sends it (``siem.cut``,
    docs/ingest.md "Values too long to index"): the output can be indexed as it is."""
    if len(body) <= MAX_TERM_BYTES:
        return body
    cut = cut_immense_values(document, f"record {number}")
    return body if cut is None else orjson.dumps(cut)


def _print_summary(totals: dict[str, dict[str, int]]) -> None:
    columns = (
        "objects",
        "records",
        "documents",
        "dead_letters",
        "skipped_objects",
        "partially_failed_objects",
    )
    print(
        f"{'source':<12} "
        + " ".join(
            f"{c:>12}" for c in ("objects", "records", "documents", "dead-letters", "skipped", "partial")
        ),
        file=sys.stderr,
    )
    for source in sorted(totals):
        row = totals[source]
        print(f"{source:<12} " + " ".join(f"{row.get(c, 0):>12}" for c in columns), file=sys.stderr)
