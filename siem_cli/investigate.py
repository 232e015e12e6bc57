"""``siem investigate``: from a GuardDuty or Security Hub finding to the actor behind it."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from typing import Any

from investigation import DEFAULT_WINDOW, FORMATS, FindingNotFound, investigate, render
from investigation.settings import InvestigationSettings
from opensearch_client import make_client
from siem_cli.errors import require_findings_indices
from siem_cli.options import add_connection_options, add_dashboards_url_option, connection_from

_DURATION = re.compile(r"\A\s*(\d+)\s*([smhd])\s*\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    """``90m``, ``2h``, ``1d`` -> a timedelta (argparse type)."""
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r}: use a number and s, m, h or d (e.g. 2h)"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "investigate",
        help="pivot from a finding to its CloudTrail actor: who, when, what, from where",
        description="Load a finding (a Security Hub Id, a GuardDuty finding id or ARN, or the "
        "event.id of a Config NON_COMPLIANT verdict) from the findings and config indices and report who did it (the identity and the chain of roles and accounts "
        "its temporary credentials came through), when, what API calls it made, from which "
        "addresses, each hop's own activity and one timeline of the whole chain's important "
        "events, and other findings sharing its keys. A finding on a resource (a failed control) "
        "reports who changed that resource: the CloudTrail events AWS Config recorded behind its "
        "changes, else the newest writes in the window. At most 10 searches. Exit status 1 when the finding is "
        "not found or the endpoint fails (docs/investigate.md).",
    )
    parser.add_argument(
        "finding_id",
        metavar="FINDING_ID",
        help="Security Hub finding Id, GuardDuty finding id or ARN, or a Config verdict's event.id",
    )
    add_connection_options(parser)
    parser.add_argument(
        "--window",
        type=duration,
        default=DEFAULT_WINDOW,
        metavar="DURATION",
        help="CloudTrail is searched from first observed minus DURATION to last observed "
        "plus DURATION, e.g. 30m, 2h, 1d (default: 2h)",
    )
    parser.add_argument(
        "--network-activity-copies",
        action="store_true",
        help="also count and list the CloudTrail network activity events that copy calls made "
        "through a VPC endpoint (left out by default: each call counts once; the calls an "
        "endpoint's policy denied are always in)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    add_dashboards_url_option(parser, "to print a link to the Finding investigation dashboard")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = InvestigationSettings(
        connection_from(args), args.index_prefix, args.window, args.dashboards_url
    )
    client = make_client(settings.connection)
    try:
        report = investigate(
            client,
            args.finding_id,
            window=settings.window,
            prefix=settings.prefix,
            dashboards_url=settings.dashboards_url,
            network_activity_copies=args.network_activity_copies,
        )
    except FindingNotFound as error:
        require_findings_indices(client, settings.prefix, settings.connection.endpoint)
        print(f"siem investigate: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(render(report, args.format))
    return 0
