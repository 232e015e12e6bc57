"""``siem replay-dead-letters``: send dead letters through the pipeline again, after a fix.

Each dead-letter file is an object for the ledger (keyed by its path or S3 key and content
hash or ETag), so replaying the same files twice indexes nothing twice. Entries of stage
``normalize`` go back through their source's normalizer; entries of stage ``index`` (documents
OpenSearch refused) are sent again as they are. Records that fail again become new dead letters
in new files, which a later replay picks up once.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ingest.backfill import Opener
from ingest.processor import ObjectResult, process_object
from ingest.reader import OpenedObject
from ingest.replay import replayed_items
from ingest.runtime import Runtime
from ingest.writer import Deadline
from siem_cli.backfill import add_target_options, run_all, settings_from


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay-dead-letters",
        help="re-drive dead letters through the normalizers and the index (exactly once)",
        description="Read dead-letter files (*.jsonl) under PATH or s3://bucket/prefix and send every "
        "record through the pipeline again: raw records through their source's normalizer, refused "
        "documents straight to the index. The ledger makes a second replay of the same files a no-op; "
        "records that fail again are written as new dead letters.",
    )
    parser.add_argument("target", metavar="PATH|s3://bucket/prefix")
    add_target_options(parser)
    parser.set_defaults(func=run)


def _process(opened: OpenedObject, runtime: Runtime, owner: str, deadline: Deadline) -> ObjectResult:
    return process_object(opened, runtime.services, owner, deadline, items=replayed_items(opened))


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        openers = Opener(args.target, settings.connection.region).sources()
    except FileNotFoundError as error:
        print(f"siem replay-dead-letters: {error}", file=sys.stderr)
        return 2
    return run_all(settings, openers, _process, args.quiet, "siem replay-dead-letters", "replayed")
