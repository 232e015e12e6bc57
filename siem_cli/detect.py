"""``siem detect run``: one detection run (what the scheduled Lambda does), from a shell."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from detections.demo import print_incidents
from detections.exceptions import ExceptionsError
from detections.notify import message_text
from detections.rules import RULE_DIRS, RuleError, load_rules
from detections.runner import DEFAULT_FILL_BUDGET, RunReport, RunSettings
from detections.runtime import clients, run_once
from detections.settings import (
    FILL_BUDGET_VARIABLE,
    MAX_FILL_BUDGET,
    DetectionSettings,
    FillBudgetError,
    exceptions_from_env,
    fill_budget,
)
from detections.windows import parse_time
from enrichment import EnrichmentSettings
from siem_cli.errors import AccessRefused, refused, require_reachable
from siem_cli.options import (
    UsageError,
    add_alerts_endpoint_option,
    add_connection_options,
    add_dashboards_url_option,
    connection_from,
    prefixed_index,
)
from siem_cli.rules import chosen


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="run the detection rules once: alerts to the alerts index, grouped into incidents; new and escalated incidents to SNS",
        description="Detections (docs/detections.md).",
    )
    commands = parser.add_subparsers(dest="detect_command", required=True, metavar="SUBCOMMAND")
    runner = commands.add_parser(
        "run",
        help="query every enabled rule over its window and raise new alerts",
        description="Query every enabled rule over its lagged, overlapping window on event.ingested "
        "(from its checkpoint), write alerts with deterministic ids to the alerts index (re-runs never "
        "duplicate), group them into incidents by actor (in --incidents-index; see "
        "siem incidents list), notify SNS once per incident opened or escalated and put the incidents "
        "and new alerts on the EventBridge bus (retrying what an earlier run left unnotified), and "
        "advance each rule's checkpoint (a window cut short by the 10,000-hit budget resumes next run). "
        "A failing rule or notification is reported and the others go on. Accepted activity is left out "
        "per $DETECTION_EXCEPTIONS (a YAML document or file; default detections/exceptions.yml), and so are "
        "the BatchUpdateFindings notes of $NOTE_WRITER_ROLE_ARN (the Investigate in SIEM role). With the "
        "accounts directory ($ACCOUNTS_LOCATION, else the file `siem accounts sync` writes, when present), "
        "a policy granting an active account of the organization, or pinned to its organization id, "
        "is not a grant outside, and one pinned to another organization's id is. Prints each "
        "new alert; exit status 1 when a rule or a notification failed.",
    )
    add_connection_options(runner, endpoint_help="logs collection or domain (default: $OPENSEARCH_ENDPOINT)")
    add_alerts_endpoint_option(runner)
    runner.add_argument(
        "--alerts-index",
        metavar="INDEX",
        help="alerts index (default: $ALERTS_INDEX, else <index prefix>alerts: siem-alerts)",
    )
    runner.add_argument(
        "--incidents-index",
        metavar="INDEX",
        help="incidents index, on the alerts collection "
        "(default: $INCIDENTS_INDEX, else <index prefix>incidents: siem-incidents)",
    )
    runner.add_argument(
        "--now",
        metavar="TIME",
        type=parse_time,
        help="run as if it were TIME (RFC 3339, e.g. 2026-03-14T11:00:00Z; default: now)",
    )
    runner.add_argument(
        "--topic-arn",
        default=os.environ.get("ALERT_TOPIC_ARN"),
        metavar="ARN",
        help="SNS topic for new and escalated incidents (default: $ALERT_TOPIC_ARN; none: print only)",
    )
    runner.add_argument(
        "--event-bus",
        metavar="NAME_OR_ARN",
        default=os.environ.get("EVENT_BUS"),
        help="EventBridge bus that gets an event per incident opened or escalated and per new alert "
        "(source aws-siem; default: $EVENT_BUS; none: no events)",
    )
    runner.add_argument(
        "--state-table",
        default=os.environ.get("STATE_TABLE"),
        metavar="TABLE",
        help="DynamoDB table for checkpoints (default: $STATE_TABLE; none: "
        "<alerts index>-state on the alerts endpoint)",
    )
    runner.add_argument(
        "--fill-budget",
        metavar="SECONDS",
        default=os.environ.get(FILL_BUDGET_VARIABLE),
        help="seconds from the run's start during which new-terms history fills read more than one "
        f"page each, 0 to {MAX_FILL_BUDGET.total_seconds():.0f} (default: ${FILL_BUDGET_VARIABLE}, "
        f"else {DEFAULT_FILL_BUDGET.total_seconds():.0f}; docs/detections.md, 'New terms')",
    )
    add_dashboards_url_option(runner, "for links in alerts")
    runner.add_argument("--rule", action="append", metavar="ID", help="run only this rule (repeatable)")
    runner.add_argument("--json", action="store_true", help="print the run report as JSON")
    runner.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except (ExceptionsError, FillBudgetError, ValueError) as error:
        # A setting of the user's (an option, DETECTION_EXCEPTIONS, ACCOUNTS_TTL_SECONDS...): a usage
        # error, in one line (a YAML error spans several), as for every command (docs/cli.md).
        raise UsageError(" ".join(str(error).split())) from None
    try:
        rules = load_rules(RULE_DIRS)
    except RuleError as error:  # a rule of the project's: the work failed, not the user
        print(f"siem detect run: {error}", file=sys.stderr)
        return 1
    rules = chosen(rules, args.rule, "enabled rule")
    require_reachable(settings.logs.endpoint, settings.alerts.endpoint)
    logs, alerts = clients(settings)
    report = run_once(settings, args.now or datetime.now(UTC), logs, alerts, rules=rules)
    refusals = {_refusal(outcome.error) for outcome in report.outcomes}
    if report.outcomes and None not in refusals:  # no rule could read: say why once
        raise AccessRefused(refused("/".join(sorted(map(str, refusals))), "on every rule", settings.logs))
    print_report(report, as_json=args.json)
    return 1 if report.failed else 0


def _refusal(error: str | None) -> str | None:
    """401 or 403 when a rule failed because the endpoint refused the credentials, else None."""
    for exception, status in (("AuthenticationException", "401"), ("AuthorizationException", "403")):
        if error and error.startswith(exception):
            return status
    return None


def _settings(args: argparse.Namespace) -> DetectionSettings:
    logs = connection_from(args)
    directory = EnrichmentSettings.from_env(local_default=True)
    return DetectionSettings(
        logs=logs,
        alerts=replace(logs, endpoint=args.alerts_endpoint or args.endpoint),
        run=RunSettings(
            prefix=args.index_prefix,
            alerts_index=prefixed_index(args.alerts_index, "ALERTS_INDEX", args.index_prefix, "alerts"),
            incidents_index=prefixed_index(
                args.incidents_index, "INCIDENTS_INDEX", args.index_prefix, "incidents"
            ),
            dashboards_url=args.dashboards_url,
            exceptions=exceptions_from_env(os.environ),
            fill_budget=fill_budget(args.fill_budget),
        ),
        topic_arn=args.topic_arn,
        event_bus=args.event_bus,
        state_table=args.state_table,
        accounts_location=directory.accounts_location,
        accounts_ttl=directory.accounts_ttl,
    )


def print_report(report: RunReport, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    for alert in report.alerts:
        print(message_text(alert))
    for outcome in report.errors:
        print(f"rule {outcome.rule_id} failed: {outcome.error}", file=sys.stderr)
    for error in report.notify_errors:
        print(f"not notified (retried next run): {error}", file=sys.stderr)
    for outcome in report.outcomes:
        if outcome.filling:
            print(
                f"rule {outcome.rule_id} is filling its new-terms history from the logs: "
                f"its window from {outcome.window_start} waits (alerts late, not lost)"
            )
        if outcome.capped:
            print(
                f"rule {outcome.rule_id}: what was ingested before {outcome.window_start} "
                "was not queried (checkpoint older than the maximum look-back)",
                file=sys.stderr,
            )
    print_incidents(report)
    print(
        f"{len(report.outcomes)} rules run at {report.now}: {report.created} new alerts, "
        f"{report.notified} incident messages, {report.published} bus events, {len(report.errors)} rules failed"
    )
