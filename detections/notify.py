"""SNS notifications: one message per incident when it opens or escalates (its lines: rule,
severity, who), and the text of one alert (rule, severity, who/when/what/where) the CLI prints.

Every line of the message is written here, label first; the values come through
:func:`investigation.safe_text.one_line`, so a finding title or user name holding a newline,
a terminal escape or a bidi override cannot add a line ("Alert id: ...", "Investigate: ...")
or change how the real ones read.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

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


def subject(alert: dict[str, Any]) -> str:
    text = f"[{alert['alert']['severity'].upper()}] {alert['rule']['name']}"
    # Subjects are ASCII without line breaks; SNS refuses anything else.
    text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return text[:SUBJECT_LIMIT]


class SnsNotifier:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def notify(self, alert: dict[str, Any]) -> None:
        self._client.publish(
            TopicArn=self.topic_arn,
            Subject=subject(alert),
            Message=message_text(alert),
            MessageAttributes={
                "rule_id": {"DataType": "String", "StringValue": alert["rule"]["id"]},
                "severity": {"DataType": "String", "StringValue": alert["alert"]["severity"]},
                "alert_id": {"DataType": "String", "StringValue": alert["alert"]["id"]},
            },
        )


def incident_kind(incident: dict[str, Any]) -> str:
    """``New`` before its first message, ``Escalated`` once one was sent at a lower severity."""
    return "New" if incident["incident"].get("notified_severity") is None else "Escalated"


def incident_text(incident: dict[str, Any]) -> str:
    details = incident["incident"]
    lines = [
        f"{incident_kind(incident)} {_shown(details['severity'].upper())} incident: {_shown(details.get('title'))}",
        f"Actor: {_shown(details['key'])}",
        f"Seen: {_shown(details['first_seen'])} to {_shown(details['last_seen'])}",
        f"Alerts: {len(details['alert_ids'])} on {len(details['lines'])} lines",
    ]
    for line in details["lines"]:
        folded = f" (also {', '.join(line['folded'])})" if line["folded"] else ""
        lines.append(
            f"- {_shown(line['severity'].upper())} {_shown(line['rule_id'] + folded)}: {_shown(line.get('who'))}"
        )
        if line.get("dashboards_url"):
            lines.append(f"  Investigate: {_shown(line['dashboards_url'])}")
    lines.append(f"Incident id: {_shown(details['id'])} (siem incidents show)")
    return "\n".join(lines) + "\n"


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
            MessageAttributes={
                "incident_id": {"DataType": "String", "StringValue": details["id"]},
                "severity": {"DataType": "String", "StringValue": details["severity"]},
                "change": {"DataType": "String", "StringValue": incident_kind(incident).lower()},
            },
        )


class CollectingIncidentNotifier:
    """Keeps the incidents it is given, as they were when notified (tests inspect them)."""

    def __init__(self) -> None:
        self.incidents: list[dict[str, Any]] = []

    def notify_incident(self, incident: dict[str, Any]) -> None:
        self.incidents.append(json.loads(json.dumps(incident)))
