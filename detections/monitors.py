"""OpenSearch Alerting monitors for managed domains (Serverless has no Alerting plugin).

- An event rule becomes a **query-level monitor**: every ``interval`` it counts the rule's
  documents ingested in ``[period_end - interval - lag, period_end - lag)`` (consecutive,
  non-overlapping windows: Alerting has no deterministic alert ids to deduplicate with)
  and triggers when the count is above zero. Field comparisons (``==``, ``!=``) become a
  Painless script query; ``outside_account`` (a policy parsed in Python) has none, so such
  a monitor triggers on every event of the rule's query and the analyst reads the policy.
- A threshold rule becomes a **bucket-level monitor**: every ``window`` it groups the rule's
  documents whose ``@timestamp`` falls in the last ``window`` (ending ``lag`` ago) by the
  rule's ``group_by`` fields and triggers for each bucket whose count reaches the threshold.

Index names are concrete (``<prefix><source>``), as the Alerting plugin needs.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from detections.rules import Comparison, Rule

ALERTING_SEVERITY = {"critical": "1", "high": "2", "medium": "3", "low": "4", "informational": "5"}
AGGREGATION = "composite_agg"
PAINLESS_OPS = ("==", "!=")
"""Comparisons a monitor can run on doc values; ``outside_account`` parses a policy in Python."""


def _minutes(value: timedelta) -> int:
    return max(1, int(value.total_seconds() // 60))


def _time_range(field: str, span: timedelta, lag: timedelta) -> dict[str, Any]:
    return {
        "range": {
            field: {
                "gte": f"{{{{period_end}}}}||-{_minutes(span + lag)}m",
                "lt": f"{{{{period_end}}}}||-{_minutes(lag)}m",
                "format": "epoch_millis",
            }
        }
    }


def comparison_script(comparison: Comparison) -> dict[str, Any]:
    """A script query keeping documents where ``field op other`` (missing counts as different)."""
    left, right = comparison.left, comparison.right
    same = (
        f"doc['{left}'].size() != 0 && doc['{right}'].size() != 0 "
        f"&& doc['{left}'].value == doc['{right}'].value"
    )
    source = same if comparison.op == "==" else f"!({same})"
    return {"script": {"script": {"source": source, "lang": "painless"}}}


def monitor(
    rule: Rule,
    prefix: str = "siem-",
    interval: timedelta = timedelta(minutes=5),
    lag: timedelta = timedelta(minutes=2),
    channel_id: str | None = None,
) -> dict[str, Any]:
    """The Alerting API body (``POST _plugins/_alerting/monitors``) for one rule."""
    if rule.is_threshold:
        return _bucket_monitor(rule, prefix, lag, channel_id)
    return _query_monitor(rule, prefix, interval, lag, channel_id)


def _base(
    rule: Rule, monitor_type: str, period: timedelta, query: dict[str, Any], prefix: str
) -> dict[str, Any]:
    return {
        "type": "monitor",
        "monitor_type": monitor_type,
        "name": f"{rule.id}: {rule.title}"[:250],
        "enabled": rule.enabled,
        "schedule": {"period": {"interval": _minutes(period), "unit": "MINUTES"}},
        "inputs": [{"search": {"indices": [rule.index_name(prefix)], "query": query}}],
        "triggers": [],
    }


def _query_monitor(
    rule: Rule, prefix: str, interval: timedelta, lag: timedelta, channel_id: str | None
) -> dict[str, Any]:
    filters = [rule.query_clause(), _time_range("event.ingested", interval, lag)]
    filters += [comparison_script(comparison) for comparison in rule.where if comparison.op in PAINLESS_OPS]
    query = {"size": 0, "track_total_hits": True, "query": {"bool": {"filter": filters}}}
    body = _base(rule, "query_level_monitor", interval, query, prefix)
    trigger: dict[str, Any] = {
        "name": rule.title[:250],
        "severity": ALERTING_SEVERITY[rule.severity],
        "condition": {"script": {"source": "ctx.results[0].hits.total.value > 0", "lang": "painless"}},
        "actions": [_action(rule, channel_id, bucket=False)] if channel_id else [],
    }
    body["triggers"].append({"query_level_trigger": trigger})
    return body


def _bucket_monitor(rule: Rule, prefix: str, lag: timedelta, channel_id: str | None) -> dict[str, Any]:
    assert rule.window is not None and rule.threshold is not None
    sources = [{name: {"terms": {"field": name}}} for name in rule.group_by]
    query = {
        "size": 0,
        "query": {"bool": {"filter": [rule.query_clause(), _time_range("@timestamp", rule.window, lag)]}},
        "aggregations": {AGGREGATION: {"composite": {"sources": sources}}},
    }
    body = _base(rule, "bucket_level_monitor", rule.window, query, prefix)
    trigger: dict[str, Any] = {
        "name": rule.title[:250],
        "severity": ALERTING_SEVERITY[rule.severity],
        "condition": {
            "buckets_path": {"_count": "_count"},
            "parent_bucket_path": AGGREGATION,
            "script": {"source": f"params._count >= {rule.threshold}", "lang": "painless"},
        },
        "actions": [_action(rule, channel_id, bucket=True)] if channel_id else [],
    }
    body["triggers"].append({"bucket_level_trigger": trigger})
    return body


def _action(rule: Rule, channel_id: str, bucket: bool) -> dict[str, Any]:
    action: dict[str, Any] = {
        "name": f"notify {rule.id}"[:250],
        "destination_id": channel_id,
        "subject_template": {"source": f"[{rule.severity.upper()}] {rule.title}", "lang": "mustache"},
        "message_template": {
            "source": (
                f"Rule {rule.id} ({rule.severity}): {rule.title}\n"
                "Monitor {{ctx.monitor.name}}, period ending {{ctx.periodEnd}}.\n"
                + (
                    "Buckets: {{#ctx.newAlerts}}{{bucket_keys}} ({{agg_alert_content.bucket.doc_count}}) "
                    "{{/ctx.newAlerts}}"
                    if bucket
                    else "Matches: {{ctx.results.0.hits.total.value}}"
                )
            ),
            "lang": "mustache",
        },
        "throttle_enabled": True,
        "throttle": {"value": _minutes(rule.suppression), "unit": "MINUTES"},
    }
    if bucket:
        action["action_execution_policy"] = {
            "action_execution_scope": {"per_alert": {"actionable_alerts": ["NEW"]}}
        }
    return action


def export(
    rules: list[Rule],
    out_dir: Path,
    prefix: str = "siem-",
    interval: timedelta = timedelta(minutes=5),
    lag: timedelta = timedelta(minutes=2),
    channel_id: str | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<rule id>.json`` per rule; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for rule in rules:
        path = out_dir / f"{rule.id}.json"
        body = monitor(rule, prefix, interval, lag, channel_id)
        path.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
