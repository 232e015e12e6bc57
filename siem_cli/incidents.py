"""``siem incidents list`` / ``siem incidents show ID``: the alerts grouped by actor
(detections/incidents.py); ``ack``, ``close`` and ``reopen`` are in siem_cli/incident_triage.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from detections.incident_status import MERGED, TRIAGE_STATUSES, status_text
from detections.incidents import FIRST_ALERT_IDS, alert_count, get_incident, list_incidents
from investigation.safe_text import one_line
from opensearch_client import make_client
from siem_cli import incident_triage
from siem_cli.options import UsageError, add_connection_options, connection_from, prefixed_index

WIDTH = 200


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "incidents",
        help="list the incidents (alerts sharing an actor), show one, acknowledge, close or reopen one",
        description="Incidents group the alerts that share an actor (an ARN or access key, a user of an "
        "account, a public source address) within 6 hours; alerts on the same events (a Sigma rule and "
        'ours) make one line. Written by each detection run (docs/detections.md "Incidents"). '
        "Status: open (untriaged), acknowledged, closed (with a resolution), merged.",
    )
    commands = parser.add_subparsers(dest="incidents_command", required=True, metavar="SUBCOMMAND")
    lister = commands.add_parser(
        "list",
        help="the incidents, most recently seen first",
        description="List the incidents, most recently seen first, one line each: id, severity, status, "
        "first .. last seen, lines and alerts, title. Exit status 1 when the engine fails.",
    )
    lister.add_argument("--size", type=int, default=50, metavar="N", help="at most this many (default: 50)")
    lister.add_argument(
        "--status",
        choices=[*TRIAGE_STATUSES, MERGED],
        help="only the incidents with this status (open: not triaged yet)",
    )
    _common(lister)
    lister.set_defaults(func=list_command)
    shower = commands.add_parser(
        "show",
        help="one incident: its lines, alerts, entities and status history",
        description="Show one incident: its status (with resolution, who, when), actors, accounts, each "
        "line with its folded rules and alert ids, then the status history. Exit status 1 when no "
        "incident has this id.",
    )
    shower.add_argument("incident_id", metavar="ID", help="the incident id (from siem incidents list)")
    _common(shower)
    shower.set_defaults(func=show_command)
    incident_triage.register(commands, _common)


def _common(parser: argparse.ArgumentParser) -> None:
    add_connection_options(
        parser,
        endpoint_help="alerts collection (SEARCH) (default: $ALERTS_ENDPOINT, else $OPENSEARCH_ENDPOINT)",
    )
    parser.set_defaults(endpoint=os.environ.get("ALERTS_ENDPOINT") or os.environ.get("OPENSEARCH_ENDPOINT"))
    parser.add_argument(
        "--index",
        metavar="INDEX",
        help="incidents index (default: $INCIDENTS_INDEX, else <index prefix>incidents: siem-incidents)",
    )
    parser.add_argument("--json", action="store_true", help="print the documents as JSON")


def list_command(args: argparse.Namespace) -> int:
    found = _call(args, lambda client: list_incidents(client, args.index, args.size, args.status))
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for incident in found:
        details = incident["incident"]
        print(
            f"{_shown(details['id'])}  {_shown(details['severity']).upper():<13} {_shown(details['status']):<12} "
            f"{_shown(details['first_seen'])} .. {_shown(details['last_seen'])}  "
            f"{len(details['lines'])} lines / {alert_count(details)} alerts  {_shown(details.get('title'))}"
        )
    print(f"{len(found)} incidents")
    return 0


def show_command(args: argparse.Namespace) -> int:
    incident = _call(args, lambda client: get_incident(client, args.index, args.incident_id))
    if incident is None:
        return 1
    if args.json:
        print(json.dumps(incident, indent=2))
        return 0
    details = incident["incident"]
    print(f"Incident {_shown(details['id'])}: {_shown(details.get('title'))}")
    print(f"Severity: {_shown(details['severity'])}; status {_shown(status_text(details))}")
    print(f"Seen: {_shown(details['first_seen'])} .. {_shown(details['last_seen'])}")
    print(f"Grouped on: {_shown(details['key'])}")
    print(f"Actors: {_shown(', '.join(details['keys']))}")
    print(f"Accounts: {_shown(', '.join(incident.get('cloud', {}).get('account', {}).get('id', [])))}")
    if details.get("merged_into"):
        print(f"Merged into: {_shown(details['merged_into'])} (siem incidents show it)")
    if details.get("merged_from"):
        print(f"Merged from: {_shown(', '.join(details['merged_from']))}")
    print(f"Lines ({len(details['lines'])}, from {alert_count(details)} alerts):")
    for line in details["lines"]:
        folded = f" (also: {', '.join(line['folded'])})" if line["folded"] else ""
        print(
            f"  {_shown(line['first_seen'])} {_shown(line['severity']).upper():<13} "
            f"{_shown(line['rule_id'])}{_shown(folded)}: {_shown(line.get('who') or '')}"
        )
        print(f"    alerts: {_shown(_listed(line))}")
    history = details.get("history") or []
    if history:
        print(f"History ({len(history)}, latest last):")
    for entry in history:
        extra = [entry[key] for key in ("resolution", "alert_id", "note") if entry.get(key)]
        print(
            f"  {_shown(entry['at'])} {_shown(entry['action'])} by {_shown(entry['by'])}"
            + (f": {_shown('; '.join(extra))}" if extra else "")
        )
    return 0


def _call(args: argparse.Namespace, action: Any) -> Any:
    """``action``'s answer; ``None`` (said on stderr) when the incident asked for is not there.

    A usage error (no endpoint) and the connection errors (unreachable, refused, no index) are
    raised: ``siem_cli.main`` prints them in one line with exit status 2, an engine error with 1
    (docs/cli.md, "Exit status and errors")."""
    if not args.endpoint:
        raise UsageError("no endpoint: pass --endpoint or set ALERTS_ENDPOINT")
    args.index = prefixed_index(args.index, "INCIDENTS_INDEX", args.index_prefix, "incidents")
    result = action(make_client(connection_from(args)))
    if result is None:
        print(
            f"siem incidents {args.incidents_command}: no incident {args.incident_id!r} in {args.index}",
            file=sys.stderr,
        )
    return result


def _listed(holder: dict[str, Any]) -> str:
    """The listed alert ids; when some were left out, the first, how many, then the latest."""
    ids, count = holder["alert_ids"], alert_count(holder)
    if count <= len(ids):
        return ", ".join(ids)
    first, latest = ids[:FIRST_ALERT_IDS], ids[FIRST_ALERT_IDS:]
    return f"{', '.join(first)}, ... {count - len(ids)} more ..., {', '.join(latest)}"


def _shown(value: object) -> str:
    return one_line(value, WIDTH)
