"""``siem backfill``: enqueue S3 notifications for every log object under a prefix, so the
deployed ingest Lambda fleet does a large backfill (``ingest/enqueue.py``)."""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
from datetime import date
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from tqdm import tqdm

from ingest.enqueue import SOURCES, Checkpoint, Enqueuer, Filters, RateLimit, SendFailed, Target, list_objects
from siem_cli.options import number_within

CHECKPOINTS = Path(".siem/backfill")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backfill",
        help="enqueue S3 notifications for the objects under s3://bucket/prefix into the ingest queue",
        description="List s3://bucket/prefix and send one S3 event notification per log object to the "
        "deployed ingest queue (SendMessageBatch, 10 per call), so the ingest Lambda fleet indexes them "
        "exactly as it indexes live notifications; its ledger makes a re-run index nothing twice, as long "
        "as it remembers the objects (LEDGER_TTL_DAYS, 30 days after each one's last delivery: an older "
        "object is indexed again, so backfill the days before live ingest began). Keys "
        "are read as the AWS delivery layouts AWSLogs/[<org id>/]<account>/<service>/<region>/YYYY/MM/DD/ "
        "and Security Lake's: objects that hold no records of ours (CloudTrail digests, Config's writability "
        "check file, load balancer and S3 access logs, other services, empty objects) are skipped and "
        "counted by reason, the objects the ingest function would skip (docs/ingest.md). The listing is resumable: a checkpoint file keeps the last "
        "key enqueued, and running the same command again goes on after it. Needs s3:ListBucket on the "
        "bucket and sqs:SendMessage on the queue (the operator role has both). Exit status 1 when "
        "something could not be listed or sent (run again to resume).",
    )
    parser.add_argument("target", metavar="s3://bucket/prefix")
    parser.add_argument(
        "--queue", required=True, metavar="URL", help="the ingest queue's URL (IngestQueueUrl)"
    )
    parser.add_argument(
        "--region", help="AWS region of the bucket and the queue (default: the AWS configuration)"
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="AWS named profile for the listing and the queue (default: $AWS_PROFILE)",
    )
    parser.add_argument(
        "--source", action="append", choices=SOURCES, default=[], help="only this source (repeatable)"
    )
    parser.add_argument(
        "--account", action="append", default=[], metavar="ID", help="only this account (repeatable)"
    )
    parser.add_argument(
        "--log-region",
        action="append",
        default=[],
        metavar="REGION",
        help="only logs of this region (repeatable)",
    )
    parser.add_argument(
        "--since", type=_day, metavar="YYYY-MM-DD", help="only keys dated on or after this day"
    )
    parser.add_argument(
        "--until", type=_day, metavar="YYYY-MM-DD", help="only keys dated on or before this day"
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=100.0,
        metavar="N",
        help="at most N messages per second, 0 for no limit (default: 100); keep it at or below the pace "
        "the Lambda fleet drains the queue: a message queued longer than the queue's retention (4 days) "
        "is deleted unread",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help=f"the listing's checkpoint file (default: one per target, queue and filters under {CHECKPOINTS}/)",
    )
    parser.add_argument("--restart", action="store_true", help="ignore the checkpoint: list from the start")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


_rate = number_within(0.0, math.inf, "messages per second, 0 (no limit) or more")
"""``--rate``: a negative rate would run unlimited, unsaid."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(
        frozenset(args.source), frozenset(args.account), frozenset(args.log_region), args.since, args.until
    )


def _identity(args: argparse.Namespace, filters: Filters) -> str:
    """What a checkpoint belongs to: resuming with other filters would skip objects silently."""
    chosen = {
        "sources": sorted(filters.sources),
        "accounts": sorted(filters.accounts),
        "regions": sorted(filters.regions),
        "since": str(filters.since or ""),
        "until": str(filters.until or ""),
    }
    return f"{args.target} -> {args.queue} {chosen}"


def run(args: argparse.Namespace) -> int:
    try:
        target = Target.parse(args.target)
    except ValueError as error:
        print(f"siem backfill: {error}", file=sys.stderr)
        return 2
    filters = _filters(args)
    identity = _identity(args, filters)
    path = args.checkpoint or CHECKPOINTS / f"{hashlib.sha256(identity.encode()).hexdigest()[:16]}.json"
    try:
        checkpoint = Checkpoint.load(None if args.restart else path, identity)
    except ValueError as error:
        print(f"siem backfill: {error} (use another --checkpoint, or --restart)", file=sys.stderr)
        return 2
    checkpoint.path = path
    session = boto3.Session(profile_name=args.profile)  # an unknown profile: exit 2 (siem_cli.main)
    try:
        s3 = session.client("s3", region_name=args.region)
        enqueuer = Enqueuer(
            session.client("sqs", region_name=args.region),
            args.queue,
            target.bucket,
            s3.meta.region_name,
            checkpoint,
            RateLimit(args.rate or None),
        )
        with tqdm(unit="obj", disable=args.quiet, file=sys.stderr) as bar:
            if checkpoint.last_key:
                bar.write(f"resuming after {checkpoint.last_key}", file=sys.stderr)
            enqueuer.run(list_objects(s3, target, checkpoint.last_key), filters, bar.update)
    except SendFailed as error:
        return _failed(str(error), checkpoint)
    except (BotoCoreError, ClientError) as error:  # no credentials, no bucket, no queue, access denied
        return _failed(str(error), checkpoint)
    except KeyboardInterrupt:
        return _failed("interrupted", checkpoint)
    _summary(checkpoint)
    return 0


def _failed(reason: str, checkpoint: Checkpoint) -> int:
    print(f"siem backfill: {reason}", file=sys.stderr)
    _summary(checkpoint)
    print(f"run the same command again to resume after {checkpoint.last_key or 'the start'}", file=sys.stderr)
    return 1


def _summary(checkpoint: Checkpoint) -> None:
    counts = checkpoint.counts
    skipped = ", ".join(
        f"{n} {why[len('skipped: ') :]}" for why, n in sorted(counts.items()) if why != "enqueued"
    )
    print(
        f"backfill: {counts['enqueued']} objects enqueued, {sum(counts.values()) - counts['enqueued']} skipped"
        + (f" ({skipped})" if skipped else "")
        + f"; checkpoint {checkpoint.path}",
        file=sys.stderr,
    )
