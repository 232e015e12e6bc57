"""``siem findings list``: the findings in the indices, with the ids ``siem investigate`` takes."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from investigation.finding_list import DEFAULT_LIMIT, MAX_LIMIT, SEVERITY_LABELS, FindingFilter, list_findings
from investigation.report import FindingSummary
from investigation.safe_text import one_line
from investigation.times import iso, normalized
from opensearch_client import make_client
from siem_cli.errors import require_findings_indices
from siem_cli.investigate import duration
from siem_cli.options import UsageError, add_connection_options, connection_from


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "findings",
        help="list GuardDuty and Security Hub findings, with ids ready for `siem investigate`",
        description="Findings (docs/investigate.md, 'Listing findings').",
    )
    commands = parser.add_subparsers(dest="findings_command", required=True, metavar="SUBCOMMAND")
    listing = commands.add_parser(
        "list",
        help="one line per finding (its newest update), newest first",
        description="List the findings of both findings indices, one line per finding (its newest "
        "update; a GuardDuty finding imported into Security Hub once), newest first. The first "
        "column is the id `siem investigate` takes; sample findings are marked SAMPLE. One search "
        "(one more when nothing matches, to tell a missing index). Exit status 2 when neither "
        "findings index exists (a wrong --index-prefix, nothing ingested), 1 when the endpoint fails.",
    )
    add_connection_options(listing)
    listing.add_argument(
        "--severity",
        action="append",
        type=str.upper,
        choices=tuple(SEVERITY_LABELS),
        metavar="LABEL",
        help="keep this severity label (repeat for several): " + ", ".join(SEVERITY_LABELS),
    )
    listing.add_argument(
        "--min-severity", type=float, metavar="N", help="keep event.severity >= N (0-100 for both sources)"
    )
    listing.add_argument(
        "--type", dest="type_prefix", metavar="PREFIX", help="finding type or control id starting with PREFIX"
    )
    listing.add_argument("--account", action="append", metavar="ID", help="keep this account (repeatable)")
    listing.add_argument(
        "--since",
        type=_time,
        metavar="TIME",
        help="updated at or after TIME: an ISO 8601 time, or a duration back from now (24h, 7d)",
    )
    listing.add_argument("--until", type=_time, metavar="TIME", help="updated at or before TIME (same forms)")
    sample = listing.add_mutually_exclusive_group()
    sample.add_argument(
        "--sample", dest="sample", action="store_true", default=None, help="sample findings only"
    )
    sample.add_argument("--no-sample", dest="sample", action="store_false", help="real findings only")
    listing.add_argument(
        "--limit",
        type=_limit,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N findings (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
    )
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output (default: text)")
    listing.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    if not args.endpoint:
        raise UsageError("no endpoint: pass --endpoint or set OPENSEARCH_ENDPOINT")
    filters = FindingFilter(
        labels=tuple(args.severity or ()),
        min_severity=args.min_severity,
        type_prefix=args.type_prefix,
        account_ids=tuple(args.account or ()),
        since=args.since,
        until=args.until,
        sample=args.sample,
        limit=args.limit,
    )
    # Connection errors and refusals go to siem_cli.main: one line, exit status 2 (docs/cli.md).
    connection = connection_from(args)
    client = make_client(connection)
    found = list_findings(client, filters, args.index_prefix)
    if not found:
        require_findings_indices(client, args.index_prefix, connection.endpoint)
    if args.format == "json":
        sys.stdout.write(
            orjson.dumps([item.to_dict() for item in found], option=orjson.OPT_INDENT_2).decode()
        )
        sys.stdout.write("\n")
    else:
        sys.stdout.write(table(found))
    return 0


HEADERS = ("id", "updated", "source", "severity", "account", "type", "title")


def table(found: list[FindingSummary]) -> str:
    """The findings as aligned columns, the id first; a sample finding's severity reads ``SAMPLE``."""
    if not found:
        return "No finding matches.\n"
    rows = [HEADERS] + [
        tuple(
            one_line(value)
            for value in (
                item.id,
                item.updated or "",
                item.source,
                _severity(item),
                item.account_id or "",
                item.type or "",
                item.title or "",
            )
        )
        for item in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _severity(item: FindingSummary) -> str:
    shown = f"{item.severity:g}" if item.severity is not None else "?"
    return f"{shown} SAMPLE" if item.sample else shown


def _time(text: str) -> str:
    """An ISO 8601 time, or a duration back from now (argparse type)."""
    moment = normalized(text)
    if moment:
        return moment
    try:
        return iso(datetime.now(UTC) - duration(text))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use an ISO 8601 time (2026-03-14T09:00:00Z) or a duration (24h)"
        ) from None


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"invalid limit {text!r}: a whole number from 1 to {MAX_LIMIT}")
    return value
