"""Alert documents: deterministic ids, the document shape (``ALERTS`` in
opensearch_assets/mappings.py), exactly-once creation in the alerts index, and the
notification flag.

The ``_id`` is a hash of the rule id, the dedup key's values and the suppression bucket, so
the same events seen by two overlapping runs make the same id; ``create`` answers 409 for
the second one. With a notifier, an alert is created with ``alert.notified: false`` and set to
``true`` (update by id: the alerts collection is SEARCH) once published; every run publishes
the alerts still ``false``, so an alert created is notified even if its run failed after the
create.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opensearchpy import OpenSearch

from detections.matches import Match, window_of
from detections.rules import SEVERITIES, Rule, get_field, label_for
from detections.summary import Summary, dashboards_link, related_ips, values
from detections.windows import Window, bucket_start, iso

ALERT_DATASET = "siem.alerts"
MAX_TACTICS = 10
MAX_ACCOUNTS = 20
"""Accounts listed in one alert (``alert.accounts``); an alert spanning more is organization-wide."""


def alert_id(rule: Rule, match: Match) -> str:
    bucket = bucket_start(match.bucket, rule.suppression)
    material = json.dumps(
        [rule.id, [list(pair) for pair in match.key], iso(bucket)], sort_keys=True, default=str
    )
    return f"{rule.id}-{hashlib.sha256(material.encode()).hexdigest()[:32]}"


def dedup_text(match: Match) -> str:
    return "|".join(f"{name}={json.dumps(value, default=str)}" for name, value in match.key)


def severity_of(rule: Rule, match: Match) -> tuple[int, str]:
    """``(event.severity, label)``: the events' own severity when the rule says so, else the rule's."""
    if match.max_severity is not None:
        return round(match.max_severity), label_for(match.max_severity)
    return SEVERITIES[rule.severity], rule.severity


def build_alert(
    rule: Rule,
    match: Match,
    window: Window,
    now: datetime,
    summary: Summary,
    dashboards_url: str | None = None,
    notified: bool | None = None,
) -> dict[str, Any]:
    """``notified``: ``False`` when a notifier will publish the alert; ``None`` (no field) without one."""
    number, label = severity_of(rule, match)
    first, last = window_of(match, rule)
    documents = match.documents
    accounts = matched_accounts(documents)
    document: dict[str, Any] = {
        "@timestamp": iso(now),
        "message": f"{rule.title}: {summary.what}",
        "tags": list(rule.tags),
        "event": {
            "kind": "alert",
            "dataset": ALERT_DATASET,
            "module": "siem",
            "provider": "detections",
            "severity": number,
            "created": iso(now),
            "start": match.first_seen or iso(first),
            "end": match.last_seen or iso(last),
        },
        "rule": _rule_fields(rule),
        "alert": {
            "id": alert_id(rule, match),
            "notified": notified,
            "dedup_key": dedup_text(match),
            "severity": label,
            "status": "open",
            "count": match.count,
            "index": ",".join(rule.sources),
            "query": rule.query_text(),
            # The entity (threshold), entity and new term (new_terms), join key (sequence).
            "group_by": None if rule.is_event else dict(match.key),
            "first_seen": match.first_seen,
            "last_seen": match.last_seen,
            "window_start": iso(window.start),
            "window_end": iso(window.end),
            "created": iso(now),
            "summary": summary.to_dict(),
            "accounts": accounts,
            "silent": match.silent,  # a wide silence's entities: unmapped, in _source
            "event_ids": match.event_ids,
            "dashboards_url": dashboards_link(
                dashboards_url, documents, match.event_ids, match.first_seen, match.last_seen
            ),
        },
        "threat": _threat(rule),
        **_actor_and_addresses(documents),
    }
    if len(accounts) == 1:  # one account: its OU path and tags at their usual place too
        document["aws"] = {"account": {key: accounts[0].get(key) for key in ("ou_path", "tags")}}
    return _prune(document)


def _rule_fields(rule: Rule) -> dict[str, Any]:
    sigma = rule.sigma
    return {
        "id": rule.id,
        "name": rule.title,
        "description": rule.description,
        "category": rule.tactics[0] if rule.tactics else None,
        "ruleset": rule.ruleset,
        "reference": list(rule.references) or None,
        "author": sigma.get("author") or rule.author,
        "license": sigma.get("license") or rule.license,
        "version": str(sigma["modified"]) if sigma.get("modified") else None,
    }


def _threat(rule: Rule) -> dict[str, Any]:
    return {"technique": {"id": list(rule.mitre)}, "tactic": {"name": list(rule.tactics[:MAX_TACTICS])}}


def _actor_and_addresses(documents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    def single(path: str) -> Any:
        found = values(documents, path)
        return found[0] if len(found) == 1 else None

    return {
        "user": {
            "name": single("user.name"),
            "id": single("user.id"),
            "target": {"name": single("user.target.name")},
        },
        "related": {"user": values(documents, "related.user"), "ip": related_ips(documents)},
        "source": {"ip": single("source.ip"), "address": single("source.address")},
        "destination": {"ip": single("destination.ip")},
        "cloud": {
            "provider": "aws",
            "account": {"id": single("cloud.account.id"), "name": single("cloud.account.name")},
            "region": single("cloud.region"),
        },
    }


def matched_accounts(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The accounts the matched events happened in (``cloud.account.id``), with the name, OU
    path and tags enrichment gave them (docs/enrichment.md), at most :data:`MAX_ACCOUNTS`:
    what the SNS message attributes carry, so that each team subscribes to its own accounts."""
    accounts: dict[str, dict[str, Any]] = {}
    for document in documents:
        account_id = get_field(document, "cloud.account.id")
        if not isinstance(account_id, str) or account_id in accounts:
            continue
        if len(accounts) == MAX_ACCOUNTS:
            break
        context = get_field(document, "aws.account")
        context = context if isinstance(context, dict) else {}
        accounts[account_id] = _prune(
            {
                "id": account_id,
                "name": get_field(document, "cloud.account.name"),
                "ou_path": context.get("ou_path"),
                "tags": context.get("tags") if isinstance(context.get("tags"), dict) else None,
            }
        )
    return list(accounts.values())


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in (None, "", [], {})}
    return value


def existing_ids(client: OpenSearch, index: str, ids: Iterable[str]) -> set[str]:
    """The ids already in the alerts index (a missing index means none)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return set()
    response = client.mget(index=index, body={"ids": wanted}, _source=False)
    return {doc["_id"] for doc in response.get("docs", []) if doc.get("found")}


@dataclass(frozen=True, slots=True)
class WriteResult:
    created: list[dict[str, Any]]
    duplicates: int
    errors: list[str]


def create_alerts(client: OpenSearch, index: str, alerts: Sequence[dict[str, Any]]) -> WriteResult:
    """``create`` each alert under its id: 201 is new, 409 means another run raised it already."""
    if not alerts:
        return WriteResult([], 0, [])
    body: list[dict[str, Any]] = []
    for alert in alerts:
        body += [{"create": {"_index": index, "_id": alert["alert"]["id"]}}, alert]
    response = client.bulk(body=body)
    created, duplicates, errors = [], 0, []
    for alert, item in zip(alerts, response["items"], strict=True):
        status = item["create"].get("status")
        if status in (200, 201):
            created.append(alert)
        elif status == 409:
            duplicates += 1
        else:
            errors.append(f"{alert['alert']['id']}: {status} {item['create'].get('error')}")
    return WriteResult(created, duplicates, errors)


def mark_notified(client: OpenSearch, index: str, identifier: str) -> None:
    client.update(index=index, id=identifier, body={"doc": {"alert": {"notified": True}}})


def record_incidents(client: OpenSearch, index: str, incident_of: dict[str, str]) -> None:
    """Set ``alert.incident_id`` on each alert (one bulk ``update``): the incident that counts it,
    so that a later run folding it again (still pending) knows, past the incident's bounded
    ``alert_ids`` (detections/incidents.py)."""
    if not incident_of:
        return
    body: list[dict[str, Any]] = []
    for alert_id, incident_id in incident_of.items():
        body += [
            {"update": {"_index": index, "_id": alert_id}},
            {"doc": {"alert": {"incident_id": incident_id}}},
        ]
    response = client.bulk(body=body)
    failed = [item["update"] for item in response["items"] if item["update"].get("status") not in (200, 201)]
    if failed:
        raise RuntimeError(f"alerts not recorded in their incidents: {failed[:3]}")


def mark_published(client: OpenSearch, index: str, alert: dict[str, Any]) -> None:
    """The EventBridge bus has the alert's event while another hand-off still lacks it (the
    alert stays pending): the next run does not put it on the bus again."""
    alert["alert"]["published"] = True
    client.update(index=index, id=alert["alert"]["id"], body={"doc": {"alert": {"published": True}}})


def pending_notifications(client: OpenSearch, index: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` alerts created but not notified yet, oldest first (a missing index: none)."""
    body = {"size": limit, "query": {"term": {"alert.notified": False}}, "sort": [{"@timestamp": "asc"}]}
    response = client.search(index=index, body=body, ignore_unavailable=True, allow_no_indices=True)
    return [hit["_source"] for hit in response["hits"]["hits"]]
