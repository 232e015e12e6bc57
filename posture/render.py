"""A period's reports as files: a summary (Markdown, HTML) and a detail CSV of open findings.

Rerun for the same period and data, every file is byte-identical: nothing depends on the
clock, rows are sorted, and the CSV is written with fixed settings (UTF-8 with a byte order
mark, so that spreadsheet programs in Japanese and other locales read it as UTF-8; CRLF line
ends as RFC 4180 gives them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from html_pages import bar_chart, column_chart, link, page, paragraph, section, table
from opensearch_client.dashboards import dashboard_url, lucene_quote
from posture.report import SEVERITIES, AccountReport, Period, weeks

ACCOUNT_DASHBOARD = "siem-dashboard-compliance-account"
"""The "Compliance: account drill-down" dashboard (docs/posture.md) each account section links to."""

FORMATS = ("html", "csv", "md")
CSV_COLUMNS = (
    "account",
    "source",
    "severity",
    "title",
    "resource",
    "status",
    "created",
    "updated",
    "finding_id",
)


def detail_csv(reports: Sequence[AccountReport]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for f in report.open_findings:
            writer.writerow(
                (f.account, f.source, f.severity, f.title, f.resource, f.status, f.created, f.updated, f.id)
            )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _severity_rows(report: AccountReport) -> list[tuple[str, int, int, int]]:
    return [(s, report.new[s], report.resolved[s], report.open[s]) for s in SEVERITIES]


def _trend(report: AccountReport) -> str:
    change = report.failed_controls_end - report.failed_controls_start
    sign = "+" if change > 0 else ""
    return f"{report.failed_controls_start} -> {report.failed_controls_end} ({sign}{change})"


def alerts_raised(report: AccountReport) -> str:
    """The count of alerts, or why it is unknown: a missing alerts index is not 0 alerts."""
    if report.alerts_missing:
        return f"unknown: the alerts index {report.alerts_missing} was not found"
    return str(report.alerts)


def markdown(reports: Sequence[AccountReport], period: Period) -> str:
    out = [f"# Security report {period.label}", "", f"Period {period.start} to {period.end}.", ""]
    for r in reports:
        out += [f"## Account {r.account}", ""]
        out += ["| severity | new | resolved | open |", "|---|---:|---:|---:|"]
        out += [f"| {s} | {n} | {d} | {o} |" for s, n, d, o in _severity_rows(r)]
        if r.new_by_week:
            out += ["", "New findings by week:", ""]
            out += ["| days | " + " | ".join(SEVERITIES) + " |", "|---|" + "---:|" * len(SEVERITIES)]
            for days, counts in zip(weeks(period), _weekly_rows(r, period), strict=True):
                out.append(f"| {days} | " + " | ".join(str(c) for c in counts) + " |")
        out += [
            "",
            f"Failed controls and rules: {_trend(r)}; passing at the end: {r.passed_controls_end}.",
            "",
        ]
        if r.failing:
            out += ["| control or rule | resource | status |", "|---|---|---|"]
            out += [f"| {_md(c)} | {_md(res)} | {s} |" for c, res, s in r.failing]
            out.append("")
        out += [f"Alerts raised: {_md(alerts_raised(r))}.", ""]
        if r.high_alert_identities:
            out.append(
                "Identities behind high-severity alerts: "
                + ", ".join(f"{_md(n)} ({c})" for n, c in r.high_alert_identities)
                + "."
            )
            out.append("")
        if r.changes:
            out += ["| time | resource type | resource | status |", "|---|---|---|---|"]
            out += [f"| {t} | {_md(k)} | {_md(i)} | {_md(s)} |" for t, k, i, s in r.changes]
            out.append("")
        out += [f"Open findings: {len(r.open_findings)} (detail CSV).", ""]
    return "\n".join(out)


def _md(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


SEVERITY_SERIES = (("new", "#1f5fae"), ("resolved", "#2e7d32"), ("open at the end", "#b42318"))
SEVERITY_COLOURS = dict(zip(SEVERITIES, ("#7a0916", "#b42318", "#d97706", "#1f5fae", "#6b7280"), strict=True))


def _weekly_rows(r: AccountReport, period: Period) -> list[tuple[int, ...]]:
    """New findings per week of the period (rows) and severity (columns, :data:`SEVERITIES`)."""
    return [tuple(r.new_by_week[(week, s)] for s in SEVERITIES) for week in range(len(weeks(period)))]


def account_dashboard_url(dashboards: str, account: str, period: Period) -> str:
    """The account drill-down dashboard on ``account`` over ``period``."""
    return dashboard_url(
        dashboards, ACCOUNT_DASHBOARD, period.start, period.end, f"cloud.account.id:{lucene_quote(account)}"
    )


def html_report(reports: Sequence[AccountReport], period: Period, dashboards: str | None = None) -> str:
    """``dashboards``: the OpenSearch Dashboards URL; each account section then links to its
    drill-down dashboard over the period."""
    sections = []
    for r in reports:
        rows = _severity_rows(r)
        parts = [
            *(
                [
                    f"<p>{link('Open in OpenSearch Dashboards', account_dashboard_url(dashboards, r.account, period))}</p>"
                ]
                if dashboards
                else []
            ),
            "<h3>Findings by severity</h3>",
            column_chart(
                f"Findings of account {r.account} by severity: new and resolved in the period, open at its end",
                SEVERITIES,
                SEVERITY_SERIES,
                [(new, resolved, open_) for _, new, resolved, open_ in rows],
            ),
            table(("severity", "new", "resolved", "open"), rows, numeric=(1, 2, 3)),
            *(
                [
                    "<h3>New findings by week</h3>",
                    column_chart(
                        f"New findings of account {r.account} by week of the period and severity",
                        weeks(period),
                        [(s, SEVERITY_COLOURS[s]) for s in SEVERITIES],
                        _weekly_rows(r, period),
                    ),
                ]
                if r.new_by_week
                else []
            ),
            "<h3>Failed controls and rules</h3>",
            paragraph(
                f"At the start {r.failed_controls_start}, at the end {r.failed_controls_end}; "
                f"passing at the end {r.passed_controls_end}."
            ),
            bar_chart(
                "Failed controls and rules: start and end of the period",
                [("start", r.failed_controls_start), ("end", r.failed_controls_end)],
                "#b42318",
            ),
        ]
        if r.failing:
            parts.append(table(("control or rule", "resource", "status"), r.failing))
        raised = f"Alerts raised in the period: {alerts_raised(r)}."
        parts += ["<h3>Alerts</h3>", paragraph(raised)]
        if r.high_alert_identities:
            parts.append(
                table(
                    ("identity behind high-severity alerts", "alerts"), r.high_alert_identities, numeric=(1,)
                )
            )
        if r.changes:
            parts += [
                "<h3>Notable changes</h3>",
                table(("time", "resource type", "resource", "status"), r.changes),
            ]
        parts.append(f"<p>Open findings: {len(r.open_findings)} (see the detail CSV).</p>")
        sections.append(section(f"Account {r.account}", "\n".join(parts), "account"))
    return page(
        f"Security report {period.label}", "\n".join(sections), f"Period {period.start} to {period.end}"
    )


CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
"""Each format's media type (the S3 objects of the scheduled report carry it)."""


def report_files(
    reports: Sequence[AccountReport],
    period: Period,
    formats: Sequence[str],
    suffix: str = "",
    dashboards: str | None = None,
) -> list[tuple[str, str, bytes]]:
    """``(format, file name, bytes)`` of each asked format, in order; the HTML links to
    ``dashboards`` when given."""
    stem = f"{period.label}{suffix}"
    files: list[tuple[str, str, bytes]] = []
    for kind in formats:
        if kind == "csv":
            files.append((kind, f"open-findings-{stem}.csv", detail_csv(reports)))
        elif kind == "md":
            files.append((kind, f"report-{stem}.md", markdown(reports, period).encode("utf-8")))
        else:
            files.append(
                (kind, f"report-{stem}.html", html_report(reports, period, dashboards).encode("utf-8"))
            )
    return files


def write_reports(
    reports: Sequence[AccountReport],
    period: Period,
    formats: Sequence[str],
    directory: Path,
    suffix: str = "",
    dashboards: str | None = None,
) -> list[Path]:
    """Write the asked formats under ``directory``; the paths written, in format order."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for _, name, data in report_files(reports, period, formats, suffix, dashboards):
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written
