"""``siem ingest``: backfill local files or an S3 prefix through the same path as the Lambda."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ingest.backfill import Opener
from ingest.processor import ObjectResult, process_object
from ingest.reader import OpenedObject
from ingest.runtime import Runtime
from ingest.writer import Deadline
from siem_cli.backfill import add_target_options, run_all, settings_from
from siem_cli.ingest_workers import run_parallel, worker_count


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="index log files or an S3 prefix into OpenSearch (exactly once, with a ledger)",
        description="Read every object under PATH (a file or a folder) or s3://bucket/prefix, normalize it "
        "and index it, exactly as the Lambda does: bulk writes with retries, dead letters for records "
        "that cannot be normalized or indexed, and a ledger so that running the command again indexes "
        "nothing twice (an interrupted run resumes at the first unfinished chunk). Exit status 1 when "
        "an object could not be finished.",
    )
    parser.add_argument("target", metavar="PATH|s3://bucket/prefix")
    add_target_options(parser)
    parser.add_argument("--original", action="store_true", help="keep each raw record in event.original")
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=1,
        metavar="N",
        help="objects spread over N processes (default: 1)",
    )
    parser.set_defaults(func=run)


def _process(opened: OpenedObject, runtime: Runtime, owner: str, deadline: Deadline) -> ObjectResult:
    return process_object(opened, runtime.services, owner, deadline)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args, keep_original=args.original)
    if args.workers > 1:
        return run_parallel(settings, args.target, args.workers, args.quiet)
    try:
        openers = Opener(args.target, settings.connection.region).sources()
    except FileNotFoundError as error:
        print(f"siem ingest: {error}", file=sys.stderr)
        return 2
    return run_all(settings, openers, _process, args.quiet, "siem ingest", "ingested")
