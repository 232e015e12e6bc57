"""``siem replay-dead-letters``: send dead letters through the pipeline again, after a fix.

Each dead-letter file is an object for the ledger (keyed by its path or S3 key and content
hash or ETag), so replaying the same files twice indexes nothing twice. Entries of stage
``normalize`` go back through their source's normalizer; entries of stage ``index`` (documents
OpenSearch refused) are sent again as they are. Records that fail again become new dead letters
in another folder (``dead-letters-replay`` by default): a replay never writes into the folder
it reads, so it never reads its own output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ingest.backfill import Opener
from ingest.processor import ObjectResult, process_object
from ingest.reader import OpenedObject
from ingest.replay import replayed_items
from ingest.runtime import Runtime
from ingest.writer import Deadline
from siem_cli.backfill import DEFAULT_REPLAY_DEAD_LETTERS, add_target_options, run_all, settings_from


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay-dead-letters",
        help="re-drive dead letters through the normalizers and the index (exactly once)",
        description="Read dead-letter files (*.jsonl) under PATH or s3://bucket/prefix and send every "
        "record through the pipeline again: raw records through their source's normalizer, refused "
        "documents straight to the index. The ledger makes a second replay of the same files a no-op; "
        f"records that fail again are written as new dead letters into --dead-letter "
        f"(default: {DEFAULT_REPLAY_DEAD_LETTERS}), which must lie outside PATH.",
    )
    parser.add_argument("target", metavar="PATH|s3://bucket/prefix")
    add_target_options(parser, dead_letters=DEFAULT_REPLAY_DEAD_LETTERS)
    parser.set_defaults(func=run)


def _process(opened: OpenedObject, runtime: Runtime, owner: str, deadline: Deadline) -> ObjectResult:
    return process_object(opened, runtime.services, owner, deadline, items=replayed_items(opened))


def _overlap(target: str, dead_letters: Path) -> str | None:
    """Why a replay of ``target`` must not write its dead letters into ``dead_letters``, if so."""
    if target.startswith("s3://"):
        return None  # the command line writes dead letters to a local folder only
    read, written = Path(target).resolve(), dead_letters.resolve()
    if written.is_relative_to(read) or read.is_relative_to(written):
        return (
            f"its dead letters would go to {dead_letters}, where it reads: a later replay would read "
            "them again; pass --dead-letter DIR, a folder outside the one replayed"
        )
    return None


def run(args: argparse.Namespace) -> int:
    overlap = _overlap(args.target, args.dead_letter)
    if overlap:
        print(f"siem replay-dead-letters: {overlap}", file=sys.stderr)
        return 2
    try:
        settings = settings_from(args)
        openers = Opener(args.target, settings.connection.region).sources()
    except (FileNotFoundError, ValueError) as error:  # no such path; a ledger it must not use
        print(f"siem replay-dead-letters: {error}", file=sys.stderr)
        return 2
    return run_all(settings, openers, _process, args.quiet, "siem replay-dead-letters", "replayed")
