"""SNS notifications: one message per incident when it opens or escalates (its lines: rule,
severity, who), and the text of one alert (rule, severity, who/when/what/where) the CLI prints;
an alert's message attributes carry the matched events' accounts (id, name, OU path, tags) that
subscription filter policies select on.

Every line of the message is written here, label first; the values come through
:func:`investigation.safe_text.one_line`, so a finding title or user name holding a newline,
a terminal escape or a bidi override cannot add a line ("Alert id: ...", "Investigate: ...")
or change how the real ones read.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from detections.incident_status import last_closure, status_text
from detections.incidents import alert_count, announced_change
from investigation.safe_text import one_line

SUBJECT_LIMIT = 100  # SNS rejects longer subjects
LINE_LIMIT = 4000
"""Characters of one line's value: a summary lists a few capped values, far below this."""


class Notifier(Protocol):
    def notify_incident(self, incident: dict[str, Any]) -> None: ...


def message_text(alert: dict[str, Any]) -> str:
    rule, details = alert["rule"], alert["alert"]
    summary = details.get("summary", {})
    lines = [
        f"{_shown(details['severity'].upper())} alert: {_shown(rule['name'])}",
        f"Rule: {_shown(rule['id'])} ({_shown(rule.get('ruleset', 'siem'))})",
        f"Who: {_shown(summary.get('who', 'unknown'))}",
        f"When: {_shown(summary.get('when', 'unknown'))}",
        f"What: {_shown(summary.get('what', 'unknown'))}",
        f"Where: {_shown(summary.get('where', 'unknown'))}",
        f"Events: {_shown(details.get('count', 0))}; dedup key {_shown(details.get('dedup_key'))}",
        f"Alert id: {_shown(details['id'])}",
    ]
    if details.get("dashboards_url"):
        lines.append(f"Investigate: {_shown(details['dashboards_url'])}")
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    return one_line(value, LINE_LIMIT)


MAX_ATTRIBUTES = 10
"""SNS accepts at most 10 message attributes per message."""
ACCOUNT_ATTRIBUTES = (("account_id", "id"), ("account_name", "name"), ("ou_path", "ou_path"))
# SNS: letters, digits, ``_ - .``; no leading, trailing or doubled period; no AWS./Amazon. prefix.
_ATTRIBUTE_NAME = re.compile(r"(?!(?i:aws|amazon)\.)[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")


def account_attributes(attributes: dict[str, dict[str, str]], listed: Any) -> dict[str, dict[str, str]]:
    """``attributes`` and the accounts ``listed`` (``alert.accounts``, docs/enrichment.md) as
    ``String.Array`` attributes: ``account_id``, ``account_name``, ``ou_path`` and one per tag key
    (``owner``, ``team``...) while SNS's limit of 10 attributes allows, so that a team's
    subscription filter policy selects its accounts' messages (``{"owner": ["payments-team"]}``)."""
    attributes = dict(attributes)
    accounts = [item for item in listed or [] if isinstance(item, dict)]
    columns: dict[str, list[str]] = {
        name: [account[key] for account in accounts if isinstance(account.get(key), str)]
        for name, key in ACCOUNT_ATTRIBUTES
    }
    for account in accounts:
        tags = account.get("tags")
        for key, value in tags.items() if isinstance(tags, dict) else ():
            if isinstance(value, str) and key not in attributes and _ATTRIBUTE_NAME.match(key):
                columns.setdefault(key, []).append(value)
    for name, found in columns.items():
        if found and len(attributes) < MAX_ATTRIBUTES:
            distinct = list(dict.fromkeys(found))
            attributes[name] = {"DataType": "String.Array", "StringValue": json.dumps(distinct)}
    return attributes


def incident_kind(incident: dict[str, Any]) -> str:
    """``New`` before its first message, ``Reopened`` when an alert reopened it after it was
    closed, ``Escalated`` once one was sent at a lower severity (:func:`announced_change`)."""
    return announced_change(incident).title()


def incident_text(incident: dict[str, Any]) -> str:
    details = incident["incident"]
    lines = [
        f"{incident_kind(incident)} {_shown(details['severity'].upper())} incident: {_shown(details.get('title'))}",
        f"Actor: {_shown(details['key'])}",
        f"Seen: {_shown(details['first_seen'])} to {_shown(details['last_seen'])}",
        f"Alerts: {alert_count(details)} on {len(details['lines'])} lines",
        f"Status: {_shown(status_text(details))}",
    ]
    closure = last_closure(incident) if announced_change(incident) == "reopened" else None
    if closure:
        lines.append(
            f"Was closed: {_shown(closure.get('resolution'))} by {_shown(closure['by'])} at "
            f"{_shown(closure['at'])}{_shown(_noted(closure))}"
        )
    if details.get("merged_from"):
        lines.append(f"Merged from: {_shown(', '.join(details['merged_from']))}")
    for line in details["lines"]:
        folded = f" (also {', '.join(line['folded'])})" if line["folded"] else ""
        lines.append(
            f"- {_shown(line['severity'].upper())} {_shown(line['rule_id'] + folded)}: {_shown(line.get('who'))}"
        )
        if line.get("dashboards_url"):
            lines.append(f"  Investigate: {_shown(line['dashboards_url'])}")
    lines.append(f"Incident id: {_shown(details['id'])} (siem incidents show)")
    return "\n".join(lines) + "\n"


def _noted(entry: dict[str, Any]) -> str:
    return f" ({entry['note']})" if entry.get("note") else ""


def incident_subject(incident: dict[str, Any]) -> str:
    details = incident["incident"]
    text = f"[{details['severity'].upper()}] {incident_kind(incident)} incident: {details.get('title')}"
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)[:SUBJECT_LIMIT]


class SnsIncidentNotifier:
    """One SNS message per incident opened or escalated."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def notify_incident(self, incident: dict[str, Any]) -> None:
        details = incident["incident"]
        self._client.publish(
            TopicArn=self.topic_arn,
            Subject=incident_subject(incident),
            Message=incident_text(incident),
            MessageAttributes=account_attributes(
                {
                    "incident_id": {"DataType": "String", "StringValue": details["id"]},
                    "severity": {"DataType": "String", "StringValue": details["severity"]},
                    "change": {"DataType": "String", "StringValue": incident_kind(incident).lower()},
                    "status": {"DataType": "String", "StringValue": details["status"]},
                },
                details.get("accounts"),
            ),
        )


class CollectingIncidentNotifier:
    """Keeps the incidents it is given, as they were when notified (tests inspect them)."""

    def __init__(self) -> None:
        self.incidents: list[dict[str, Any]] = []

    def notify_incident(self, incident: dict[str, Any]) -> None:
        self.incidents.append(json.loads(json.dumps(incident)))
