"""SNS notifications: one message per newly created alert (rule, severity, who/when/what/where)."""

from __future__ import annotations

from typing import Any, Protocol

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


class Notifier(Protocol):
    def notify(self, alert: dict[str, Any]) -> None: ...


def message_text(alert: dict[str, Any]) -> str:
    rule, details = alert["rule"], alert["alert"]
    summary = details.get("summary", {})
    lines = [
        f"{details['severity'].upper()} alert: {rule['name']}",
        f"Rule: {rule['id']} ({rule.get('ruleset', 'siem')})",
        f"Who: {summary.get('who', 'unknown')}",
        f"When: {summary.get('when', 'unknown')}",
        f"What: {summary.get('what', 'unknown')}",
        f"Where: {summary.get('where', 'unknown')}",
        f"Events: {details.get('count', 0)}; dedup key {details.get('dedup_key')}",
        f"Alert id: {details['id']}",
    ]
    if details.get("dashboards_url"):
        lines.append(f"Investigate: {details['dashboards_url']}")
    return "\n".join(lines) + "\n"


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
