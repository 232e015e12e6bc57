"""``siem investigate``: from a GuardDuty or Security Hub finding to the actor behind it."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import timedelta
from typing import Any

from opensearchpy.exceptions import OpenSearchException

from investigation import DEFAULT_WINDOW, FORMATS, FindingNotFound, investigate, render
from investigation.settings import InvestigationSettings
from opensearch_client import make_client
from siem_cli.options import SIGV4_OR_NONE, connection_from

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
        description="Load a finding (a Security Hub Id, or a GuardDuty finding id or ARN) from the "
        "findings indices and report who did it (the identity and the chain of roles and accounts "
        "its temporary credentials came through), when, what API calls it made, from which "
        "addresses, each hop's own activity and one timeline of the whole chain's important "
        "events, and other findings sharing its keys. A finding on a resource (a failed control) "
        "reports who changed that resource. At most 10 searches. Exit status 1 when the finding is "
        "not found or the endpoint fails (docs/investigate.md).",
    )
    parser.add_argument(
        "finding_id", metavar="FINDING_ID", help="Security Hub finding Id, or GuardDuty finding id or ARN"
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        default=os.environ.get("OPENSEARCH_ENDPOINT"),
        help="collection or domain endpoint (default: $OPENSEARCH_ENDPOINT)",
    )
    parser.add_argument(
        "--auth",
        choices=SIGV4_OR_NONE,
        default="aoss",
        help="SigV4 for Serverless (aoss) or a managed domain (es), or none (default: aoss)",
    )
    parser.add_argument("--region", metavar="R", help="AWS region for SigV4 (default: AWS_REGION / profile)")
    parser.add_argument(
        "--window",
        type=duration,
        default=DEFAULT_WINDOW,
        metavar="DURATION",
        help="CloudTrail is searched from first observed minus DURATION to last observed "
        "plus DURATION, e.g. 30m, 2h, 1d (default: 2h)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--prefix", default="siem-", help="index name prefix (default: siem-)")
    parser.add_argument(
        "--dashboards-url",
        metavar="URL",
        default=os.environ.get("DASHBOARDS_URL"),
        help="OpenSearch Dashboards base URL, to print a link to the Finding investigation "
        "dashboard (default: $DASHBOARDS_URL)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.endpoint:
        print("siem investigate: no endpoint: pass --endpoint or set OPENSEARCH_ENDPOINT", file=sys.stderr)
        return 2
    try:
        settings = InvestigationSettings(connection_from(args), args.prefix, args.window, args.dashboards_url)
        report = investigate(
            make_client(settings.connection),
            args.finding_id,
            window=settings.window,
            prefix=settings.prefix,
            dashboards_url=settings.dashboards_url,
        )
    except FindingNotFound as error:
        print(f"siem investigate: {error}", file=sys.stderr)
        return 1
    except (OpenSearchException, ValueError) as error:
        print(f"siem investigate: {args.endpoint}: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(render(report, args.format))
    return 0
