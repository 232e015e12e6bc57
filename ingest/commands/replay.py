"""``siem replay-dead-letters``: send dead letters through the pipeline again, after a fix.

Each dead-letter file is an object for the ledger (keyed by its path or S3 key and content
hash or ETag), so replaying the same files twice indexes nothing twice. Entries of stage
``normalize`` go back through their source's normalizer; entries of stage ``index`` (documents
OpenSearch refused) are sent again as they are. Records that fail again become new dead letters
in new files, which a later replay picks up once.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator
from typing import Any

import orjson

from ingest.commands._options import Opener, add_target_options, run_all, settings_from
from ingest.processor import ObjectResult, SourcedItem, ingested_now, process_object
from ingest.reader import OpenedObject
from ingest.runtime import Runtime
from ingest.writer import Deadline
from normalizers import SOURCES, DeadLetter, Origin, normalize_object


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


def replayed_items(opened: OpenedObject) -> Iterator[SourcedItem]:
    """The items a dead-letter file stands for, in file order."""
    ingested = ingested_now()
    for number, line in enumerate(opened.stream, start=1):
        if not line.strip():
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield (
                "unknown",
                DeadLetter(
                    "unknown",
                    "invalid dead letter: not JSON",
                    opened.identity.location,
                    f"line {number}",
                    line.rstrip(b"\n"),
                ),
            )
            continue
        yield from _entry_items(entry, ingested)


def _entry_items(entry: dict[str, Any], ingested: str) -> Iterator[SourcedItem]:
    source = str(entry.get("source", "unknown"))
    raw = DeadLetter.raw_from_json(entry)
    if entry.get("stage") == "index":
        yield source, orjson.loads(raw)
        return
    if entry.get("stage") == "read" or not raw:
        # Nothing to replay (the object was gone, or the input was cut); keep it visible.
        yield (
            source,
            DeadLetter(
                source, str(entry.get("reason")), str(entry.get("object")), str(entry.get("position")), raw
            ),
        )
        return
    origin = Origin(object=str(entry.get("object")), ingested=ingested)
    forced = source if source in SOURCES else None
    for item in normalize_object(io.BytesIO(raw), origin, forced):
        if isinstance(item, DeadLetter):
            item = DeadLetter(item.source, item.reason, item.object, str(entry.get("position")), item.raw)
        yield source if source in SOURCES else "unknown", item


def _process(opened: OpenedObject, runtime: Runtime, owner: str, deadline: Deadline) -> ObjectResult:
    return process_object(opened, runtime.services, owner, deadline, items=replayed_items(opened))


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        openers = Opener(args.target, args.region).sources()
    except FileNotFoundError as error:
        print(f"siem replay-dead-letters: {error}", file=sys.stderr)
        return 2
    return run_all(settings, openers, _process, args.quiet, "replayed")
