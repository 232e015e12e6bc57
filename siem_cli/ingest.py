"""``siem ingest``: backfill local files or an S3 prefix through the same path as the Lambda."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ingest import runtime as ingest_runtime
from ingest.backfill import Opener
from ingest.config import Settings, provenance_from_env
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
        "nothing twice (an interrupted run resumes at the first unfinished chunk of the version it read: "
        "an S3 object overwritten since has the unread rest of that version dead-lettered, and its new "
        "version is read whole). Nothing is written "
        "into an index that no index template covers (the object is left unfinished and says why) "
        "unless --install-templates installs them first. Exit status 1 when an object could not be "
        "finished.",
    )
    parser.add_argument("target", metavar="PATH|s3://bucket/prefix")
    add_target_options(parser)
    parser.add_argument("--original", action="store_true", help="keep each raw record in event.original")
    parser.add_argument(
        "--install-templates",
        action="store_true",
        help="install (or update) the project's index templates before ingesting, "
        "like `siem assets install` without the Dashboards objects",
    )
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
    try:
        settings = settings_from(args, keep_original=args.original, **provenance_from_env())
        opener = Opener(args.target, settings.connection.region)
        refs = opener.refs()  # the one listing, for one process or several
    except (FileNotFoundError, ValueError) as error:
        # No such path; a ledger it must not use; SOURCE_PREFIXES or DELEGATED_ADMIN_ACCOUNT_IDS malformed.
        print(f"siem ingest: {error}", file=sys.stderr)
        return 2
    if args.install_templates and not _install_templates(settings):
        return 1
    if args.workers > 1:
        return run_parallel(settings, args.target, refs, _process, args.workers, args.quiet)
    return run_all(
        settings,
        [opener.listed(ref) for ref in refs],
        _process,
        args.quiet,
        "siem ingest",
        "ingested",
        unlisted=lambda runtime: opener.unlisted(runtime.services.ledger, refs),
    )


def _install_templates(settings: Settings) -> bool:
    from opensearch_assets.templates import install_templates  # only this option needs it

    try:
        client = ingest_runtime.make_client(settings.connection, pool_maxsize=1)
        install_templates(client, settings.index_prefix)
    except Exception as error:  # no credentials, unreachable engine, refused: said, not raised
        print(f"siem ingest: could not install the index templates: {error}", file=sys.stderr)
        return False
    return True
