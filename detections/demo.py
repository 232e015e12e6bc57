"""The detections step of ``make demo``: run every enabled rule once over what the demo just
indexed and print the alerts raised, one block per alert (rule, severity, who/when/what/where),
then the incidents grouping them, one line each.

    from detections.demo import print_demo_alerts
    print_demo_alerts(client)          # after the demo incident is indexed into ``client``
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Protocol, TextIO

from opensearchpy import OpenSearch

from detections.checkpoints import MemoryCheckpoints
from detections.incidents import change_line
from detections.notify import message_text
from detections.rules import load_rules
from detections.runner import RunReport, RunSettings, run

DEMO_LOOKBACK = timedelta(hours=6)


def demo_alerts(client: OpenSearch, prefix: str = "siem-", now: datetime | None = None) -> RunReport:
    """One run, as the scheduler would start it just after the demo's ingestion (alerts and
    incidents under ``prefix``, as the stack names them)."""
    settings = RunSettings(prefix=prefix, first_lookback=DEMO_LOOKBACK)
    moment = now or datetime.now(UTC) + settings.lag + timedelta(seconds=1)
    return run(client, client, load_rules(), moment, MemoryCheckpoints(), None, settings)


def print_demo_alerts(
    client: OpenSearch, prefix: str = "siem-", out: TextIO | None = None, now: datetime | None = None
) -> RunReport:
    """``out``: standard output as it is at the call (a default bound at import would keep a
    stream a test harness has since closed)."""
    out = out or sys.stdout
    report = demo_alerts(client, prefix, now=now)
    ordered = sorted(
        report.alerts, key=lambda alert: (alert["alert"].get("first_seen") or "", alert["rule"]["id"])
    )
    print(f"Detections: {len(ordered)} alerts from {len(report.outcomes)} rules", file=out)
    for alert in ordered:
        print(message_text(alert), file=out)
    for outcome in report.errors:
        print(f"rule {outcome.rule_id} failed: {outcome.error}", file=out)
    print_incidents(report, out)
    return report


def print_incidents(report: RunReport, out: TextIO | None = None) -> None:
    """One line per incident the run opened or added alerts to (``siem incidents show ID``)."""
    out = out or sys.stdout
    print(f"Incidents: {len(report.incidents)} from {len(report.alerts)} alerts", file=out)
    for change in report.incidents:
        print(f"  {change_line(change)}", file=out)
    if report.incident_error:
        print(report.incident_error, file=out)


class DemoContext(Protocol):
    client: OpenSearch
    index_prefix: str


def show(context: DemoContext) -> None:
    """The ``make demo`` step (``siem_cli.demo.POST_INGEST_STEPS``)."""
    print("\n== Alerts raised on the demo incident (siem detect run) ==\n")
    print_demo_alerts(context.client, context.index_prefix)
