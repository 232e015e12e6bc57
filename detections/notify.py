"""SNS notifications: one message per newly created alert (rule, severity, who/when/what/where),
with the rule, severity and the matched events' accounts (id, name, OU path, tags) as message
attributes that subscription filter policies select on.

Every line of the message is written here, label first; the values come through
:func:`investigation.safe_text.one_line`, so a finding title or user name holding a newline,
a terminal escape or a bidi override cannot add a line ("Alert id: ...", "Investigate: ...")
or change how the real ones read.
"""

from __future__ import annotations

import json
import re
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


MAX_ATTRIBUTES = 10
"""SNS accepts at most 10 message attributes per message."""
ACCOUNT_ATTRIBUTES = (("account_id", "id"), ("account_name", "name"), ("ou_path", "ou_path"))
# SNS: letters, digits, ``_ - .``; no leading, trailing or doubled period; no AWS./Amazon. prefix.
_ATTRIBUTE_NAME = re.compile(r"(?!(?i:aws|amazon)\.)[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")


def message_attributes(alert: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``rule_id``, ``severity``, ``alert_id``, then the matched events' accounts
    (``alert.accounts``, docs/enrichment.md) as ``String.Array`` attributes: ``account_id``,
    ``account_name``, ``ou_path`` and one per tag key (``owner``, ``team``...) while SNS's
    limit of 10 attributes allows, so that a team's subscription filter policy selects its
    accounts' alerts (``{"owner": ["payments-team"]}``)."""
    attributes = {
        "rule_id": {"DataType": "String", "StringValue": alert["rule"]["id"]},
        "severity": {"DataType": "String", "StringValue": alert["alert"]["severity"]},
        "alert_id": {"DataType": "String", "StringValue": alert["alert"]["id"]},
    }
    accounts = [item for item in alert["alert"].get("accounts") or [] if isinstance(item, dict)]
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


class SnsNotifier:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def notify(self, alert: dict[str, Any]) -> None:
        self._client.publish(
            TopicArn=self.topic_arn,
            Subject=subject(alert),
            Message=message_text(alert),
            MessageAttributes=message_attributes(alert),
        )


class CollectingNotifier:
    """Keeps the alerts it is given (the CLI prints them; tests inspect them)."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def notify(self, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)
