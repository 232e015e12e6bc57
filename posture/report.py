"""A period's report per account: findings new, resolved and open by severity, failed
controls and their trend, alerts raised, the identities behind high-severity alerts, notable
configuration changes, and the open findings in detail (docs/report.md).

Every number is read from the indices as they were at the period's end: each finding's newest
update up to then (:func:`posture.state.newest_per_key`), so a rerun for a closed period gives
the same report.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from opensearchpy.exceptions import NotFoundError

from posture.state import Scope, Searcher, by_account, current_states, newest_per_key

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
HIGH_ALERT = 70
"""``event.severity`` from which an alert is high (the schema's 0-100 scale: high and critical)."""
_PERIOD = re.compile(r"\A(\d{4})-(0[1-9]|1[0-2])\Z")
SH, GD = "aws.securityhub_findings", "aws.guardduty"
ALERTS_INDEX = "alerts"
INDICES = ("securityhub", "guardduty", "config", ALERTS_INDEX)
"""The indices (after the prefix) a report reads: findings, Config items and rules, alerts."""


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start: str
    end: str
    """Inclusive bounds, RFC 3339 UTC (``2026-11-30T23:59:59.999Z``)."""


def weeks(period: Period) -> list[str]:
    """The period's weeks as day ranges (``01-07``, ..., ``29-30``): the buckets of the
    severity trend. A month's last week is its remaining days."""
    last = int(period.end[8:10])
    return [f"{first:02d}-{min(first + 6, last):02d}" for first in range(1, last + 1, 7)]


def week_of(moment: str) -> int:
    """The index in :func:`weeks` of a moment inside the period (RFC 3339)."""
    return (int(moment[8:10]) - 1) // 7


def parse_period(text: str) -> Period:
    """``2026-11`` -> November 2026; ``ValueError`` for anything else."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(f"invalid period {text!r}: use a month, YYYY-MM (e.g. 2026-11)")
    year, month = int(match.group(1)), int(match.group(2))
    last = calendar.monthrange(year, month)[1]
    return Period(
        f"{year:04d}-{month:02d}",
        f"{year:04d}-{month:02d}-01T00:00:00.000Z",
        f"{year:04d}-{month:02d}-{last:02d}T23:59:59.999Z",
    )


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding's newest update up to the period's end."""

    account: str
    source: str
    id: str
    title: str
    severity: str
    status: str
    resource: str
    created: str
    updated: str
    open: bool


@dataclass
class AccountReport:
    account: str
    new: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)
    open: Counter[str] = field(default_factory=Counter)
    new_by_week: Counter[tuple[int, str]] = field(default_factory=Counter)
    """New findings per (week of the period, :func:`weeks`' index; severity): the trend."""
    failed_controls_start: int = 0
    failed_controls_end: int = 0
    passed_controls_end: int = 0
    failing: list[tuple[str, str, str]] = field(default_factory=list)
    """(control or rule, resource, status) failing at the period's end."""
    alerts: int = 0
    alerts_missing: str | None = None
    """The alerts index searched, when it does not exist: the alerts are unknown, not 0."""
    high_alert_identities: list[tuple[str, int]] = field(default_factory=list)
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(time, resource type, resource id, status) of the period's configuration items."""
    open_findings: list[Finding] = field(default_factory=list)


def build_reports(
    client: Searcher,
    prefix: str,
    period: Period,
    accounts: tuple[str, ...] = (),
    alerts: Searcher | None = None,
    quiet: tuple[str, ...] = (),
) -> list[AccountReport]:
    """One report per account that has anything in the period (or per asked account).

    ``alerts``: the alerts collection when it is not ``client``'s (the deployed stack keeps
    alerts in a SEARCH collection of their own). ``quiet``: accounts that get a report even
    with nothing in the period (unlike ``accounts``, no filter). Without the alerts index,
    every report says so (:attr:`AccountReport.alerts_missing`) and the rest is reported."""
    reports: dict[str, AccountReport] = {account: AccountReport(account) for account in (*accounts, *quiet)}

    def of(account: str) -> AccountReport:
        return reports.setdefault(account, AccountReport(account))

    for finding in _findings(client, prefix, period, accounts):
        report = of(finding.account)
        if period.start <= finding.created <= period.end:
            report.new[finding.severity] += 1
            report.new_by_week[(week_of(finding.created), finding.severity)] += 1
        if finding.open:
            report.open[finding.severity] += 1
            report.open_findings.append(finding)
        elif period.start <= finding.updated <= period.end:
            report.resolved[finding.severity] += 1
    before = _minus_one_ms(period.start)
    for posture in by_account(current_states(client, prefix, Scope(before, accounts))):
        of(posture.account).failed_controls_start = posture.failed
    end_states = current_states(client, prefix, Scope(period.end, accounts))
    for posture in by_account(end_states):
        report = of(posture.account)
        report.failed_controls_end, report.passed_controls_end = posture.failed, posture.passed
    for state in end_states:
        if state.failed:
            of(state.account).failing.append((state.control, state.resource, state.status))
    alerts_missing = _alerts(alerts or client, prefix, period, accounts, of)
    _changes(client, prefix, period, accounts, of)
    for report in reports.values():
        report.alerts_missing = alerts_missing
        report.failing.sort()
        report.open_findings.sort(
            key=lambda f: (SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 9, f.id)
        )
    return [reports[account] for account in sorted(reports)]


def missing_alerts_index(reports: list[AccountReport]) -> str | None:
    """The alerts index the reports did not find, if any (one for all of them)."""
    return next((report.alerts_missing for report in reports if report.alerts_missing), None)


def _minus_one_ms(moment: str) -> str:
    """The last moment before ``moment``: the states at a period's start."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00")) - timedelta(milliseconds=1)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _scope_filters(period: Period, accounts: tuple[str, ...], since: bool) -> list[dict[str, Any]]:
    bounds = {"lte": period.end, **({"gte": period.start} if since else {})}
    filters: list[dict[str, Any]] = [{"range": {"@timestamp": bounds}}]
    if accounts:
        filters.append({"terms": {"cloud.account.id": list(accounts)}})
    return filters


def _findings(client: Searcher, prefix: str, period: Period, accounts: tuple[str, ...]) -> list[Finding]:
    out: list[Finding] = []
    # Security Hub: a finding is resolved when its newest update archives it, resolves or
    # suppresses it, or (a control's) passes; a passing control is never "new".
    query = {"bool": {"filter": _scope_filters(period, accounts, since=False)}}
    keys = [{"account": {"terms": {"field": "cloud.account.id"}}}, {"id": {"terms": {"field": f"{SH}.id"}}}]
    fields: tuple[str, ...] = ("@timestamp", "cloud.account.id", "message", "event.created", SH)
    for hit in newest_per_key(client, f"{prefix}securityhub", (query, keys), fields):
        block = hit.get("aws", {}).get("securityhub_findings", {})
        passing = block.get("compliance", {}).get("status") in ("PASSED", "NOT_AVAILABLE")
        resolved = passing or block.get("record_state") == "ARCHIVED"
        resolved = resolved or block.get("workflow", {}).get("status") in ("RESOLVED", "SUPPRESSED")
        resources = block.get("resources") or [{}]
        out.append(
            Finding(
                account=str(hit["cloud"]["account"]["id"]),
                source="Security Hub",
                id=str(block.get("id")),
                title=str(hit.get("message") or block.get("title") or ""),
                severity=str(block.get("severity", {}).get("label") or "INFORMATIONAL"),
                status=str(block.get("workflow", {}).get("status") or block.get("record_state") or ""),
                resource=str(resources[0].get("id") or ""),
                created="" if passing else str(hit.get("event", {}).get("created") or hit["@timestamp"]),
                updated=str(hit["@timestamp"]),
                open=not resolved,
            )
        )
    # GuardDuty: archived findings are resolved.
    query = {"bool": {"filter": _scope_filters(period, accounts, since=False)}}
    keys = [{"account": {"terms": {"field": "cloud.account.id"}}}, {"id": {"terms": {"field": f"{GD}.id"}}}]
    fields = ("@timestamp", "cloud.account.id", "message", "event.created", "rule.id", GD)
    for hit in newest_per_key(client, f"{prefix}guardduty", (query, keys), fields):
        block = hit.get("aws", {}).get("guardduty", {})
        archived = block.get("service", {}).get("archived") is True
        resource = block.get("resource", {})
        out.append(
            Finding(
                account=str(hit["cloud"]["account"]["id"]),
                source="GuardDuty",
                id=str(block.get("id")),
                title=str(hit.get("message") or hit.get("rule", {}).get("id") or ""),
                severity=str(block.get("severity", {}).get("label") or "INFORMATIONAL").upper(),
                status="ARCHIVED" if archived else "ACTIVE",
                resource=str(resource.get("type") or ""),
                created=str(hit.get("event", {}).get("created") or hit["@timestamp"]),
                updated=str(hit["@timestamp"]),
                open=not archived,
            )
        )
    return out


def _alerts(client: Searcher, prefix: str, period: Period, accounts: tuple[str, ...], of: Any) -> str | None:
    """An alert counts in the period of the activity it reports (``event.start``), not of the
    detection run that wrote it (``@timestamp``): a late run or a backfill still counts where
    the activity happened. The alerts index's name when it does not exist (told by the
    search's ``index_not_found_exception``, as on Serverless), else ``None``."""
    filters: list[dict[str, Any]] = [{"range": {"event.start": {"gte": period.start, "lte": period.end}}}]
    if accounts:
        filters.append({"terms": {"cloud.account.id": list(accounts)}})
    body = {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {
            "accounts": {
                "terms": {"field": "cloud.account.id", "size": 1000},
                "aggs": {
                    "high": {
                        "filter": {"range": {"event.severity": {"gte": HIGH_ALERT}}},
                        "aggs": {"who": {"terms": {"field": "user.name", "size": 10}}},
                    }
                },
            }
        },
    }
    index = f"{prefix}{ALERTS_INDEX}"
    try:
        answer = client.search(index=index, body=body, ignore_unavailable=False)
    except NotFoundError as error:
        if error.error != "index_not_found_exception":
            raise
        return index
    for bucket in answer.get("aggregations", {}).get("accounts", {}).get("buckets", []):
        report = of(str(bucket["key"]))
        report.alerts = int(bucket["doc_count"])
        who = bucket["high"]["who"]["buckets"]
        report.high_alert_identities = sorted(
            ((str(b["key"]), int(b["doc_count"])) for b in who), key=lambda x: (-x[1], x[0])
        )
    return None


def _changes(client: Searcher, prefix: str, period: Period, accounts: tuple[str, ...], of: Any) -> None:
    """The period's configuration items that create, change or delete a resource, newest first (50 at most per account)."""
    filters = [
        *_scope_filters(period, accounts, since=True),
        {"term": {"event.dataset": "aws.config"}},
        {"term": {"event.kind": "event"}},
        {"terms": {"event.type": ["creation", "deletion", "change"]}},
    ]
    body = {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {
            "accounts": {
                "terms": {"field": "cloud.account.id", "size": 1000},
                "aggs": {
                    "latest": {
                        "top_hits": {
                            "size": 50,
                            "sort": [{"@timestamp": {"order": "desc"}}, {"event.id": {"order": "asc"}}],
                            "_source": {"includes": ["@timestamp", "aws.config.resource", "event.action"]},
                        }
                    }
                },
            }
        },
    }
    answer = client.search(index=f"{prefix}config", body=body, ignore_unavailable=True)
    for bucket in answer.get("aggregations", {}).get("accounts", {}).get("buckets", []):
        report = of(str(bucket["key"]))
        for hit in bucket["latest"]["hits"]["hits"]:
            source = hit["_source"]
            resource = source.get("aws", {}).get("config", {}).get("resource", {})
            report.changes.append(
                (
                    str(source["@timestamp"]),
                    str(resource.get("type", "")),
                    str(resource.get("id", "")),
                    str(source.get("event", {}).get("action", "")),
                )
            )
