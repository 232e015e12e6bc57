"""A step of ``make demo``: the compliance posture per account, and the incident's month report.

``siem_cli/demo.py`` calls :func:`show` after ingestion (``POST_INGEST_STEPS``) with its
context: the guarded client on the embedded engine, the incident's ground truth and the
demo's ``--out`` folder, under which the report is written (:data:`REPORT_FOLDER`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from posture.render import FORMATS, write_reports
from posture.report import build_reports, parse_period
from posture.state import by_account, current_states

REPORT_FOLDER = "report"
"""The report's folder under the demo's ``--out`` (``build/demo/report/`` by default)."""


class DemoContext(Protocol):
    client: Any
    incident: Any
    index_prefix: str
    out: Path
    left: list[Path]


def show(context: DemoContext) -> None:
    """Print each account's passed and failed controls and rules; write the month's report."""
    states = current_states(context.client, context.index_prefix)
    print("\n== Compliance posture (newest state of each control and rule) ==\n")
    print(f"{'account':<14} {'passed':>7} {'failed':>7} {'other':>6} {'pass rate':>10}")
    for posture in by_account(states):
        rate = "-" if posture.pass_rate is None else f"{posture.pass_rate:.0%}"
        print(f"{posture.account:<14} {posture.passed:>7} {posture.failed:>7} {posture.other:>6} {rate:>10}")
    period = parse_period(context.incident.window_start[:7])
    reports = build_reports(context.client, context.index_prefix, period)
    written = write_reports(reports, period, FORMATS, context.out / REPORT_FOLDER)
    context.left.extend(written)
    print(f"\nmonthly report {period.label} (siem report): " + ", ".join(str(path) for path in written))
