"""``siem incidents ack / close / reopen ID``: on-call's status changes (detections/triage.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from detections.incident_lease import LeaseBusy, LeaseExpired
from detections.incident_status import RESOLUTIONS, StatusChange, TriageError, status_text
from detections.triage import triage
from investigation.safe_text import one_line
from opensearch_client import make_client
from siem_cli.caller import caller_name
from siem_cli.options import UsageError, connection_from, prefixed_index

WIDTH = 400
BY_HELP = (
    "who makes the change (default: the caller's AWS identity, an ARN, with --auth aoss or es; "
    "else the login name, $USER)"
)


def register(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    ack = commands.add_parser(
        "ack",
        help="acknowledge an incident: someone is on it (alerts keep joining it; a message only on escalation)",
        description="Acknowledge an incident: someone is on it. Alerts keep joining it; a message is sent "
        "only when its severity rises. A closed incident is refused (reopen it first). Exit status 1 "
        "when it is not found, merged, closed, or a detection run holds the incidents past the wait.",
    )
    _identify(ack, common)
    ack.set_defaults(func=triage_command, action="acknowledged", resolution=None)
    close = commands.add_parser(
        "close",
        help="close an incident with its resolution (a new alert on it within 6 hours reopens it)",
        description="Close an incident. A new alert joining it reopens it, whatever the resolution: "
        "to stop alerts on something benign or a false positive, add an exception "
        '(detections/exceptions.yml, docs/detections.md "Exceptions").',
    )
    close.add_argument("--resolution", required=True, choices=RESOLUTIONS, help="what the incident was")
    _identify(close, common)
    close.set_defaults(func=triage_command, action="closed")
    reopen = commands.add_parser(
        "reopen",
        help="open an acknowledged or closed incident again (no message sent)",
        description="Open an acknowledged or closed incident again; no message is sent. Exit status 1 "
        "when it is not found or merged, or a detection run holds the incidents past the wait.",
    )
    _identify(reopen, common)
    reopen.set_defaults(func=triage_command, action="reopened", resolution=None)


def _identify(parser: argparse.ArgumentParser, common: Callable[[argparse.ArgumentParser], None]) -> None:
    parser.add_argument("incident_id", metavar="ID", help="the incident id (from siem incidents list)")
    parser.add_argument("--by", metavar="NAME", help=BY_HELP)
    parser.add_argument("--note", metavar="TEXT", help="why, recorded in the incident's history")
    common(parser)


def triage_command(args: argparse.Namespace) -> int:
    """0 changed or already so; 1 an unknown or merged incident, a refused change, or the
    lease held by a detection run past the wait (docs/cli.md)."""
    if not args.endpoint:
        raise UsageError("no endpoint: pass --endpoint or set ALERTS_ENDPOINT")
    connection = connection_from(args)
    args.index = prefixed_index(args.index, "INCIDENTS_INDEX", args.index_prefix, "incidents")
    change = StatusChange(args.action, args.by or caller_name(connection), args.note, args.resolution)
    try:
        outcome = triage(make_client(connection), args.index, args.incident_id, change, datetime.now(UTC))
    except (TriageError, LeaseBusy, LeaseExpired) as error:
        print(f"siem incidents {args.incidents_command}: {error}", file=sys.stderr)
        return 1
    details = outcome.incident["incident"]
    if args.json:
        print(json.dumps(outcome.incident, indent=2))
    elif outcome.changed:
        print(one_line(f"{details['id']}: {status_text(details)} (was {outcome.previous})", WIDTH))
    else:
        print(one_line(f"{details['id']}: already {status_text(details)}; nothing changed", WIDTH))
    return 0
