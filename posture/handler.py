"""Lambda entry point of the scheduled report (infra/reports.py, docs/report.md "Scheduled").

EventBridge Scheduler runs it once a month (``reportSchedule``). It builds the report of the
previous full month (of the schedule's time, so that a retried or late invocation reports the
same month), writes each account's files to the reports bucket and publishes one SNS message
per account, with the message attributes alerts and incidents carry (``account_id``,
``account_name``, ``ou_path``, the owner tags: :func:`detections.notify.account_attributes`),
so that each team's subscription filter policy selects its own accounts' reports.

Keys: ``<REPORTS_PREFIX><period>/<account>/report-<period>-<account>.html`` (``.md``) and
``open-findings-<period>-<account>.csv``. A rerun for the same period writes the same bytes
under the same keys (posture/render.py depends on no clock).

Each (period, account) message goes out once, whatever retries the schedule or an operator
makes: after SNS accepts it, a marker ``<REPORTS_PREFIX><period>/<account>/notified.json`` is
written with ``If-None-Match: *`` (a conditional write: it never replaces one), and a run
publishes only for the accounts whose marker it did not find when it listed the period's keys.
A run that dies halfway leaves the remaining accounts without a marker: the retry sends those
and only those. What remains: a run that dies between SNS's answer and the marker's write (or
two runs of one period at the same moment, which the reserved concurrency of 1 prevents in the
stack) sends that account's message twice. Never zero times: the marker is written after the
publish, not before.

Event: ``{"scheduled_time": "<aws.scheduler.scheduled-time>"}`` (the schedule's input), or
``{"period": "2026-11"}`` to run a month again by hand; without either, the previous month of
the current time. ``"resend": true`` publishes every account's message again (and rewrites
its marker).

Environment: ``OPENSEARCH_ENDPOINT`` (logs collection), ``ALERTS_ENDPOINT`` (alerts collection;
default the logs one), ``INDEX_PREFIX`` (default ``siem-``), ``OPENSEARCH_AUTH`` (default
``aoss``), ``REPORTS_BUCKET``, ``REPORTS_PREFIX`` (default ``reports/``; the function may list it,
write under it, and read nothing), ``REPORT_TOPIC_ARN``
(optional: no message without it), ``ACCOUNTS_LOCATION`` (optional: the account directory
whose names, OU paths and tags the messages carry), ``REPORT_FORMATS`` (default
``html,csv,md``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from detections.notify import SUBJECT_LIMIT, account_attributes
from enrichment.account_store import open_store
from enrichment.accounts import Account, AccountDirectory
from investigation.safe_text import one_line
from opensearch_client import ConnectionSettings, make_client
from posture.render import CONTENT_TYPES, FORMATS, alerts_raised, report_files
from posture.report import (
    SEVERITIES,
    AccountReport,
    Period,
    build_reports,
    missing_alerts_index,
    parse_period,
)

LOGGER = logging.getLogger(__name__)
MARKER = "notified.json"
"""The object that records an account's message of a period (posture/handler.py docstring)."""


@dataclass(frozen=True, slots=True)
class ReportSettings:
    logs: ConnectionSettings
    alerts: ConnectionSettings
    prefix: str
    bucket: str
    key_prefix: str
    topic_arn: str | None
    accounts_location: str | None
    formats: tuple[str, ...]
    dashboards_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ReportSettings:
        env = os.environ if environ is None else environ
        endpoint, bucket = env.get("OPENSEARCH_ENDPOINT"), env.get("REPORTS_BUCKET")
        if not endpoint or not bucket:
            raise ValueError("OPENSEARCH_ENDPOINT and REPORTS_BUCKET must be set")
        formats = tuple(part.strip() for part in (env.get("REPORT_FORMATS") or ",".join(FORMATS)).split(","))
        unknown = [kind for kind in formats if kind not in FORMATS]
        if unknown or not formats:
            raise ValueError(f"REPORT_FORMATS: unknown format {unknown}: use {','.join(FORMATS)}")
        return cls(
            logs=ConnectionSettings.from_env(endpoint, env),
            alerts=ConnectionSettings.from_env(env.get("ALERTS_ENDPOINT") or endpoint, env),
            prefix=env.get("INDEX_PREFIX") or "siem-",
            bucket=bucket,
            key_prefix=env.get("REPORTS_PREFIX") or "reports/",
            topic_arn=env.get("REPORT_TOPIC_ARN") or None,
            accounts_location=env.get("ACCOUNTS_LOCATION") or None,
            formats=formats,
            dashboards_url=env.get("DASHBOARDS_URL") or None,
        )


def report_period(event: Mapping[str, Any] | None, now: datetime) -> Period:
    """The asked ``period``, else the month before the schedule's time (or ``now``)."""
    event = event or {}
    if event.get("period"):
        return parse_period(str(event["period"]))
    moment = now
    if event.get("scheduled_time"):
        moment = datetime.fromisoformat(str(event["scheduled_time"]).replace("Z", "+00:00"))
    moment = moment.astimezone(UTC)
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return parse_period(f"{year:04d}-{month:02d}")


def lambda_handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    """Report the period; the answer names the period and each account's objects."""
    settings = ReportSettings.from_env()
    session = boto3.Session(region_name=settings.logs.region)
    period = report_period(event, datetime.now(UTC))
    logs = make_client(settings.logs)
    alerts = logs if settings.alerts == settings.logs else make_client(settings.alerts)
    resend = bool((event or {}).get("resend"))
    return run_report(settings, period, logs, alerts, session.client("s3"), session.client("sns"), resend)


def run_report(
    settings: ReportSettings,
    period: Period,
    logs: Any,
    alerts: Any,
    s3: Any,
    sns: Any,
    resend: bool = False,
) -> dict[str, Any]:
    """Build, write and announce each account's report of ``period``: each account's message
    once (``resend``: again), even across retries (the module's docstring)."""
    directory = _directory(settings, s3)
    folder = f"{settings.key_prefix}{period.label}/"
    sent = set() if resend or not settings.topic_arn else _notified_accounts(s3, settings.bucket, folder)
    # An active account of the directory with nothing in the period gets its quiet report too:
    # its owners learn that nothing happened rather than nothing at all.
    active = tuple(a.id for a in directory if a.status in (None, "ACTIVE"))
    reports = build_reports(logs, settings.prefix, period, alerts=alerts, quiet=active)
    missing = missing_alerts_index(reports)
    if missing:  # the rest of the report is still worth sending; each report says it
        LOGGER.warning(
            "report %s: alerts index %s not found: alerts reported as unknown", period.label, missing
        )
    written: dict[str, list[str]] = {}
    notified = 0
    for report in reports:
        account = directory.get(report.account) or Account(report.account)
        keys = []
        for kind, name, data in report_files(
            [report], period, settings.formats, f"-{report.account}", settings.dashboards_url
        ):
            key = f"{folder}{report.account}/{name}"
            s3.put_object(Bucket=settings.bucket, Key=key, Body=data, ContentType=CONTENT_TYPES[kind])
            keys.append(key)
        written[report.account] = keys
        if settings.topic_arn and report.account not in sent:
            answer = sns.publish(
                TopicArn=settings.topic_arn,
                Subject=_subject(period, account),
                Message=_message(period, account, report, [f"s3://{settings.bucket}/{key}" for key in keys]),
                MessageAttributes=account_attributes(
                    {"period": {"DataType": "String", "StringValue": period.label}}, [account.to_json()]
                ),
            )
            notified += 1
            _mark_notified(s3, settings.bucket, f"{folder}{report.account}/{MARKER}", answer, resend)
    LOGGER.info(
        "report %s: %d accounts written to s3://%s, %d notified (%d earlier)",
        period.label,
        len(written),
        settings.bucket,
        notified,
        len(sent & set(written)),
    )
    return {
        "period": period.label,
        "accounts": written,
        "notified": notified,
        "already_notified": sorted(sent & set(written)),
    }


def _notified_accounts(s3: Any, bucket: str, folder: str) -> set[str]:
    """The accounts of the period whose message went out: their markers, in one listing."""
    found = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder):
        for item in page.get("Contents", []):
            account, _, name = item["Key"][len(folder) :].partition("/")
            if name == MARKER:
                found.add(account)
    return found


def _mark_notified(s3: Any, bucket: str, key: str, answer: Mapping[str, Any], resend: bool) -> None:
    """Record the message after SNS took it; an existing marker (a run at the same time) is kept."""
    body = json.dumps({"message_id": answer.get("MessageId")}).encode()
    condition = {} if resend else {"IfNoneMatch": "*"}
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **condition)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in (
            "PreconditionFailed",
            "ConditionalRequestConflict",
        ):
            raise
        LOGGER.warning("%s was written by another run: its message went out twice", key)


def _directory(settings: ReportSettings, s3: Any) -> AccountDirectory:
    """The account directory, or an empty one (messages then name accounts by id only)."""
    if not settings.accounts_location:
        return AccountDirectory()
    try:
        directory, _ = open_store(settings.accounts_location, s3).read()
    except Exception as error:  # a report without account names beats no report
        LOGGER.warning("account directory %s not read: %s", settings.accounts_location, error)
        return AccountDirectory()
    return directory or AccountDirectory()


def _label(account: Account) -> str:
    return f"{account.name} ({account.id})" if account.name else account.id


def _subject(period: Period, account: Account) -> str:
    text = f"Security report {period.label}: {_label(account)}"
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)[:SUBJECT_LIMIT]


def _message(period: Period, account: Account, report: AccountReport, objects: list[str]) -> str:
    open_by_severity = ", ".join(f"{s.lower()} {report.open[s]}" for s in SEVERITIES if report.open[s])
    change = report.failed_controls_end - report.failed_controls_start
    lines = [
        f"Security report {period.label} of account {one_line(_label(account), 200)}",
        f"OU: {one_line(account.ou_path or 'unknown', 500)}",
        f"Period: {period.start} to {period.end}",
        f"Open findings at the end: {sum(report.open.values())}"
        + (f" ({open_by_severity})" if open_by_severity else ""),
        f"New findings: {sum(report.new.values())}; resolved: {sum(report.resolved.values())}",
        f"Failed controls and rules: {report.failed_controls_start} -> {report.failed_controls_end}"
        f" ({'+' if change > 0 else ''}{change})",
        f"Alerts raised: {alerts_raised(report)}",
        "Files:",
        *(f"- {uri}" for uri in objects),
    ]
    return "\n".join(lines) + "\n"
