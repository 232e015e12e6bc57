"""SNS notifications: one message per newly created alert (rule, severity, who/when/what/where).

Every line of the message is written here, label first; the values come through
:func:`investigation.safe_text.one_line`, so a finding title or user name holding a newline,
a terminal escape or a bidi override cannot add a line ("Alert id: ...", "Investigate: ...")
or change how the real ones read.
"""

from __future__ import annotations

from typing import Any, Protocol

from investigation.safe_text import one_line

SUBJECT_LIMIT = 100  # SNS rejects longer subjects
LINE_LIMIT = 4000
"""Characters of one line's value: a summary lists a few capped values, far below this."""


class Notifier(Protocol):
    def notify(self, alert: dict[str, Any]) -> None: ...


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


class CollectingNotifier:
    """Keeps the alerts it is given (the CLI prints them; tests inspect them)."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def notify(self, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)
