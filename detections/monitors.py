"""OpenSearch Alerting monitors for managed domains (Serverless has no Alerting plugin).

- An event rule becomes a **query-level monitor**: every ``interval`` it counts the rule's
  documents ingested in ``[period_end - interval - lag, period_end - lag)`` (consecutive,
  non-overlapping windows: Alerting has no deterministic alert ids to deduplicate with)
  and triggers when the count is above zero. Field comparisons (``==``, ``!=``) become a
  Painless script query; ``outside_account`` (a policy parsed in Python) has none, so such
  a monitor triggers on every event of the rule's query and the analyst reads the policy.
- A threshold rule becomes a **bucket-level monitor**: every ``interval`` it groups the
  rule's documents whose ``@timestamp`` falls in the last ``window`` (ending ``lag`` ago) by
  the rule's ``group_by`` fields (a ``cardinality`` of the ``distinct`` field when it counts
  values) and triggers for each bucket that reaches the threshold. Windows evaluated every
  ``interval`` overlap: a burst shorter than ``window - interval`` is always inside one of
  them (the runner's windows slide by the second). Alerting keeps a bucket's alert active
  while it stays over the threshold and the action fires for new alerts only.
- What Alerting cannot express is not exported, with the reason (:func:`unsupported`):
  new-terms rules (a first sighting needs the terms seen over the history: a monitor keeps
  no such state), sequence rules (a monitor cannot join documents on a key across time and
  indices), and a ``distinct`` field inside a ``flat_object`` (no aggregation on its
  sub-fields) or several ``distinct`` fields (a ``cardinality`` counts one field).

Index names are concrete (``<prefix><source>``), as the Alerting plugin needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from detections.grouping import is_named, painless
from detections.rules import Comparison, Rule
from detections.threshold import aggregated_distinct

ALERTING_SEVERITY = {"critical": "1", "high": "2", "medium": "3", "low": "4", "informational": "5"}
AGGREGATION = "composite_agg"
PAINLESS_OPS = ("==", "!=", "same_name")
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
    """A script query keeping documents where ``field op other`` (missing counts as different);
    with ``applies_to``, also every document whose field holds none of its values."""
    left, right = comparison.left, comparison.right
    equal = (
        f"doc['{left}'].value.equalsIgnoreCase(doc['{right}'].value)"
        if comparison.op == "same_name"
        else f"doc['{left}'].value == doc['{right}'].value"
    )
    same = f"doc['{left}'].size() != 0 && doc['{right}'].size() != 0 && {equal}"
    source = f"!({same})" if comparison.op == "!=" else same
    if comparison.applies_to is not None:
        field, values = comparison.applies_to
        listed = ", ".join("'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'" for value in values)
        source = f"!(doc['{field}'].size() != 0 && [{listed}].contains(doc['{field}'].value)) || ({source})"
    return {"script": {"script": {"source": source, "lang": "painless"}}}


def unsupported(rule: Rule) -> str | None:
    """Why ``rule`` has no Alerting monitor (``None``: it has one)."""
    if rule.type == "new_terms":
        return (
            "new_terms: a first sighting needs the terms seen over the history, a state no "
            "Alerting monitor keeps (the runner keeps it in <alerts index>-terms)"
        )
    if rule.type == "silence":
        return (
            "silence: an entity's arrivals over days of runs are a state no Alerting monitor keeps "
            "(the runner keeps it in <alerts index>-terms)"
        )
    if rule.type == "sequence":
        return (
            "sequence: Alerting cannot join documents on a key across time and indices "
            "(composite monitors chain monitors, not events)"
        )
    if rule.distinct and aggregated_distinct(rule) is None:
        if len(rule.distinct) > 1:
            return f"distinct {', '.join(rule.distinct)}: a cardinality counts one field, not values pooled"
        return f"distinct {rule.distinct[0]}: OpenSearch aggregates no flat_object sub-field"
    return None


def monitor(
    rule: Rule,
    prefix: str = "siem-",
    interval: timedelta = timedelta(minutes=5),
    lag: timedelta = timedelta(minutes=2),
    channel_id: str | None = None,
) -> dict[str, Any]:
    """The Alerting API body (``POST _plugins/_alerting/monitors``) for one rule; ``ValueError``
    for a rule Alerting cannot run (:func:`unsupported` says why)."""
    reason = unsupported(rule)
    if reason:
        raise ValueError(f"{rule.id}: no Alerting monitor: {reason}")
    if rule.is_threshold:
        return _bucket_monitor(rule, prefix, interval, lag, channel_id)
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


def _bucket_monitor(
    rule: Rule, prefix: str, interval: timedelta, lag: timedelta, channel_id: str | None
) -> dict[str, Any]:
    assert rule.window is not None and rule.threshold is not None
    sources = [
        {name: {"terms": {"script": {"source": painless(rule.index, name), "lang": "painless"}}}}
        if is_named(name)
        else {name: {"terms": {"field": name}}}
        for name in rule.group_by
    ]
    aggregation: dict[str, Any] = {"composite": {"sources": sources}}
    measure, path = "_count", "_count"
    if rule.distinct:
        aggregation["aggs"] = {"distinct": {"cardinality": {"field": rule.distinct[0]}}}
        measure, path = "distinct", "distinct"
    query = {
        "size": 0,
        "query": {"bool": {"filter": [rule.query_clause(), _time_range("@timestamp", rule.window, lag)]}},
        "aggregations": {AGGREGATION: aggregation},
    }
    body = _base(rule, "bucket_level_monitor", min(interval, rule.window), query, prefix)
    trigger: dict[str, Any] = {
        "name": rule.title[:250],
        "severity": ALERTING_SEVERITY[rule.severity],
        "condition": {
            "buckets_path": {measure: path},
            "parent_bucket_path": AGGREGATION,
            "script": {"source": f"params.{measure} >= {rule.threshold}", "lang": "painless"},
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


@dataclass(slots=True)
class Exported:
    paths: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Rule id -> why it has no monitor."""


def export(
    rules: list[Rule],
    out_dir: Path,
    prefix: str = "siem-",
    interval: timedelta = timedelta(minutes=5),
    lag: timedelta = timedelta(minutes=2),
    channel_id: str | None = None,
) -> Exported:
    """Write ``<out_dir>/<rule id>.json`` per rule Alerting can run; list the others with why."""
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = Exported()
    for rule in rules:
        reason = unsupported(rule)
        if reason:
            exported.skipped[rule.id] = reason
            continue
        path = out_dir / f"{rule.id}.json"
        body = monitor(rule, prefix, interval, lag, channel_id)
        path.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        exported.paths.append(path)
    return exported
