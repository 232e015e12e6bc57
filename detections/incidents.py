"""Incidents: the alerts that share an actor within a time span, as one document.

An alert's actors are its principals (the ARNs and access key ids in ``related.user``; a
user name qualified by its account) and its public source addresses. An alert joins the
open incident that holds one of its actors and was last seen less than ``span`` before the
alert's first event; otherwise it opens a new one. The incident's id is a hash of the
grouping key (the first actor of the alert that opened it) and the span start (that alert's
first event, floored to the span), so two runs folding the same alert reach the same id.

The incident is written whole under its id (``index``: the alerts collection is SEARCH,
where a custom ``_id`` is allowed, docs/detections.md "Incidents"); folding an alert twice
changes nothing (alert ids are a set). Alerts on the same events (a Sigma rule and ours on
one sign-in) fold into one line: the line names the most severe rule, ours first, and lists
the others as ``folded``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from opensearchpy import OpenSearch

from detections.rules import SEVERITIES
from detections.windows import bucket_start, iso, parse_time
from investigation.safe_text import one_line

INCIDENT_DATASET = "siem.incidents"
DEFAULT_SPAN = timedelta(hours=6)
"""An alert joins an incident last seen less than this before the alert's first event."""
MAX_KEYS = 50
"""Actors kept per incident (what later alerts are matched on), and related users and addresses."""
MAX_ACCOUNTS = 20
"""Accounts (with names, OU paths, tags) kept per incident, as per alert (detections/alerts.py)."""
MAX_LOOKUP_KEYS = 500
MAX_FOUND = 1000
_ACCESS_KEY = re.compile(r"\A(?:AKIA|ASIA)[A-Z0-9]{12,124}\Z")
_ACCOUNT_ID = re.compile(r"\A\d{12}\Z")
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(block)
    for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_RANK = dict(SEVERITIES)

Change = Literal["new", "escalated", "updated", "unchanged"]


def actor_keys(alert: dict[str, Any]) -> list[str]:
    """The alert's actors, most specific first: ``principal:<ARN or access key id>``,
    ``user:<account>/<name>``, ``ip:<address outside private networks>``."""
    related = alert.get("related", {})
    account = alert.get("cloud", {}).get("account", {}).get("id")
    principals, users = [], []
    for value in related.get("user", []):
        text = str(value)
        if text.startswith("arn:") or _ACCESS_KEY.match(text):
            principals.append(f"principal:{text}")
        elif account and not _ACCOUNT_ID.match(text):  # an account id is not an actor of its own
            users.append(f"user:{account}/{text}")
    addresses = [alert.get("source", {}).get("ip"), *related.get("ip", [])]
    ips = [f"ip:{address}" for address in addresses if _routable(address)]
    return list(dict.fromkeys([*principals, *users, *ips]))


def _routable(address: object) -> bool:
    """Not a private, shared (CGNAT), loopback, link-local or multicast address: those are
    reused across networks and would tie strangers together. Documentation ranges count as
    routable (examples and the demo use them for Internet peers)."""
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return False
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False
    return not any(ip in network for network in _PRIVATE_NETWORKS if network.version == ip.version)


def incident_id(key: str, span_start: datetime) -> str:
    material = json.dumps([key, iso(span_start)])
    return f"incident-{hashlib.sha256(material.encode()).hexdigest()[:32]}"


def _severity(alert: dict[str, Any]) -> tuple[int, str]:
    return int(alert.get("event", {}).get("severity", 0)), str(alert["alert"]["severity"])


def _first_seen(alert: dict[str, Any]) -> str:
    """The alert's first event, as ``iso`` writes it (so times compare as text)."""
    details = alert["alert"]
    return iso(
        parse_time(
            str(alert.get("event", {}).get("start") or details.get("first_seen") or details["created"])
        )
    )


def _last_seen(alert: dict[str, Any]) -> str:
    details = alert["alert"]
    return iso(
        parse_time(str(alert.get("event", {}).get("end") or details.get("last_seen") or details["created"]))
    )


def _line_rank(line: dict[str, Any]) -> tuple[int, int, str]:
    """The rule a line is named after: the most severe, ours before a converted Sigma rule."""
    return (-int(line["severity_number"]), line.get("ruleset") == "sigma", line["rule_id"])


def _line(alert: dict[str, Any]) -> dict[str, Any]:
    number, label = _severity(alert)
    return {
        "rule_id": alert["rule"]["id"],
        "rule_name": alert["rule"]["name"],
        "ruleset": alert["rule"].get("ruleset", "siem"),
        "severity": label,
        "severity_number": number,
        "alert_ids": [alert["alert"]["id"]],
        "folded": [],
        "event_ids": list(alert["alert"].get("event_ids", [])),
        "first_seen": _first_seen(alert),
        "last_seen": _last_seen(alert),
        "who": alert["alert"].get("summary", {}).get("who"),
        "dashboards_url": alert["alert"].get("dashboards_url"),
    }


def _add_line(lines: list[dict[str, Any]], alert: dict[str, Any]) -> None:
    """Fold the alert into the line sharing one of its events, else add a line."""
    new = _line(alert)
    events = set(new["event_ids"])
    for index, line in enumerate(lines):
        if events and events & set(line["event_ids"]):
            keep, other = sorted([line, new], key=_line_rank)
            keep = dict(keep)
            keep["alert_ids"] = sorted({*line["alert_ids"], *new["alert_ids"]})
            keep["folded"] = sorted({*line["folded"], *new["folded"], other["rule_id"]} - {keep["rule_id"]})
            keep["event_ids"] = list(dict.fromkeys([*line["event_ids"], *new["event_ids"]]))
            keep["first_seen"] = min(line["first_seen"], new["first_seen"])
            keep["last_seen"] = max(line["last_seen"], new["last_seen"])
            lines[index] = keep
            return
    lines.append(new)


def new_incident(identifier: str, key: str, span_start: datetime, now: datetime) -> dict[str, Any]:
    return {
        "@timestamp": iso(now),
        "message": "",
        "event": {"kind": "alert", "dataset": INCIDENT_DATASET, "module": "siem", "severity": 0},
        "incident": {
            "id": identifier,
            "key": key,
            "span_start": iso(span_start),
            "status": "open",
            "created": iso(now),
            "updated": iso(now),
            "severity": "low",
            "keys": [],
            "alert_ids": [],
            "rule_ids": [],
            "lines": [],
            "first_seen": None,
            "last_seen": None,
            "notified_severity": None,
            "published_severity": None,
        },
        "related": {"user": [], "ip": []},
        "cloud": {"account": {"id": []}},
    }


def add_alert(incident: dict[str, Any], alert: dict[str, Any], now: datetime) -> bool:
    """Fold ``alert`` into ``incident`` (in place); ``False`` when it was already in it."""
    details = incident["incident"]
    identifier = alert["alert"]["id"]
    if identifier in details["alert_ids"]:
        return False
    details["alert_ids"].append(identifier)
    details["rule_ids"] = sorted({*details["rule_ids"], alert["rule"]["id"]})
    details["keys"] = list(dict.fromkeys([*details["keys"], *actor_keys(alert)]))[:MAX_KEYS]
    _add_line(details["lines"], alert)
    first, last = _first_seen(alert), _last_seen(alert)
    details["first_seen"] = min(filter(None, [details["first_seen"], first]))
    details["last_seen"] = max(filter(None, [details["last_seen"], last]))
    number, label = _severity(alert)
    if number > incident["event"]["severity"]:
        incident["event"]["severity"], details["severity"] = number, label
    details["updated"] = iso(now)
    incident["@timestamp"] = iso(now)
    incident["event"]["start"], incident["event"]["end"] = details["first_seen"], details["last_seen"]
    related = alert.get("related", {})
    for field in ("user", "ip"):
        merged = dict.fromkeys([*incident["related"][field], *related.get(field, [])])
        incident["related"][field] = list(merged)[:MAX_KEYS]
    account = alert.get("cloud", {}).get("account", {}).get("id")
    if account and account not in incident["cloud"]["account"]["id"]:
        incident["cloud"]["account"]["id"].append(account)
    # The alerts' accounts with their names, OU paths and tags (enrichment): the incident's SNS
    # message carries them as attributes, so each team subscribes to its own accounts.
    known = {item.get("id") for item in details.setdefault("accounts", [])}
    for item in alert["alert"].get("accounts") or []:
        if isinstance(item, dict) and item.get("id") not in known and len(details["accounts"]) < MAX_ACCOUNTS:
            details["accounts"].append(item)
            known.add(item.get("id"))
    lines = details["lines"]
    details["title"] = f"{sorted(lines, key=_line_rank)[0]['rule_name']}" + (
        f" and {len(lines) - 1} more" if len(lines) > 1 else ""
    )
    incident["message"] = f"Incident: {details['title']} ({details['key']})"
    return True


@dataclass(frozen=True, slots=True)
class IncidentChange:
    incident: dict[str, Any]
    change: Change
    """``new``: opened by this fold; ``escalated``: its severity rose; ``updated``: more alerts;
    ``unchanged``: every alert was in it already (a retried fold)."""
    alert_ids: tuple[str, ...]


def fold_alerts(
    client: OpenSearch,
    index: str,
    alerts: Sequence[dict[str, Any]],
    now: datetime,
    span: timedelta = DEFAULT_SPAN,
) -> list[IncidentChange]:
    """Fold ``alerts`` (oldest first) into the incidents index; return what changed.

    One get and one search find the incidents the alerts may join; the changed ones are then
    written whole under their ids (one bulk ``index``). Every incident an alert went to is
    returned, changed or not, so a notification that failed last run can be retried.
    """
    ordered = sorted(alerts, key=lambda alert: (_first_seen(alert), alert["alert"]["id"]))
    known = _open_incidents(client, index, ordered, span)
    before = {identifier: _copy(incident) for identifier, incident in known.items()}
    folded: dict[str, list[str]] = {}
    written: set[str] = set()
    for alert in ordered:
        keys = actor_keys(alert)
        first = parse_time(_first_seen(alert))
        incident = _joinable(known.values(), keys, first, span)
        if incident is None:
            key = _grouping_key(alert)
            start = bucket_start(first, span)
            identifier = incident_id(key, start)
            incident = known.setdefault(identifier, new_incident(identifier, key, start, now))
        added = add_alert(incident, alert, now)
        folded.setdefault(incident["incident"]["id"], []).append(alert["alert"]["id"])
        if added:
            written.add(incident["incident"]["id"])
    changes = [
        IncidentChange(known[identifier], _change(before.get(identifier), known[identifier]), tuple(ids))
        for identifier, ids in folded.items()
    ]
    write_incidents(client, index, [known[identifier] for identifier in folded if identifier in written])
    return changes


def change_line(change: IncidentChange) -> str:
    """``<id> <change> <SEVERITY>: <title> (<n> lines, <n> alerts; actor <key>)``, on one line."""
    details = change.incident["incident"]
    return (
        f"{details['id']} {change.change} {details['severity'].upper()}: {one_line(details['title'])} "
        f"({len(details['lines'])} lines, {len(details['alert_ids'])} alerts; actor {one_line(details['key'])})"
    )


def _copy(incident: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(incident))
    return copied


def _change(before: dict[str, Any] | None, after: dict[str, Any]) -> Change:
    if before is None:
        return "new"
    if after["event"]["severity"] > before["event"]["severity"]:
        return "escalated"
    if after["incident"]["alert_ids"] != before["incident"]["alert_ids"]:
        return "updated"
    return "unchanged"


def _joinable(
    incidents: Iterable[dict[str, Any]], keys: Sequence[str], first: datetime, span: timedelta
) -> dict[str, Any] | None:
    """The earliest incident holding one of ``keys`` and last seen within ``span`` of ``first``."""
    wanted = set(keys)
    candidates = [
        incident
        for incident in incidents
        if wanted & set(incident["incident"]["keys"])
        and parse_time(incident["incident"]["last_seen"]) + span >= first
        and parse_time(incident["incident"]["first_seen"]) - span <= first
    ]
    return min(candidates, key=lambda i: (i["incident"]["first_seen"], i["incident"]["id"]), default=None)


def _open_incidents(
    client: OpenSearch, index: str, alerts: Sequence[dict[str, Any]], span: timedelta
) -> dict[str, dict[str, Any]]:
    """The incidents ``alerts`` may join: by id (a get is real time: the incidents each alert's
    keys would open in its span or the one before) and by any actor they hold (a search: an
    incident written by the previous run is searchable by then)."""
    if not alerts:
        return {}
    found: dict[str, dict[str, Any]] = {}
    candidates = list(
        dict.fromkeys(identifier for alert in alerts for identifier in _candidate_ids(alert, span))
    )
    response = client.mget(index=index, body={"ids": candidates})
    found.update({doc["_id"]: doc["_source"] for doc in response.get("docs", []) if doc.get("found")})
    keys = list(dict.fromkeys(key for alert in alerts for key in actor_keys(alert)))[:MAX_LOOKUP_KEYS]
    if keys:
        earliest = min(parse_time(_first_seen(alert)) for alert in alerts) - span
        query = {
            "bool": {
                "filter": [
                    {"terms": {"incident.keys": keys}},
                    {"range": {"incident.last_seen": {"gte": iso(earliest)}}},
                ]
            }
        }
        hits = client.search(
            index=index,
            body={"size": MAX_FOUND, "query": query},
            ignore_unavailable=True,
            allow_no_indices=True,
        )["hits"]["hits"]
        found.update({hit["_id"]: hit["_source"] for hit in hits if hit["_id"] not in found})
    return found


def _grouping_key(alert: dict[str, Any]) -> str:
    """The first actor; an alert without one (a failed control) groups on its rule and dedup key."""
    keys = actor_keys(alert)
    return keys[0] if keys else f"rule:{alert['rule']['id']}|{alert['alert']['dedup_key']}"


def _candidate_ids(alert: dict[str, Any], span: timedelta) -> list[str]:
    start = bucket_start(parse_time(_first_seen(alert)), span)
    keys = actor_keys(alert) or [_grouping_key(alert)]
    return [incident_id(key, moment) for key in keys for moment in (start, start - span)]


def write_incidents(client: OpenSearch, index: str, incidents: Sequence[dict[str, Any]]) -> None:
    """``index`` each incident under its id (a whole document: SEARCH collections allow it)."""
    if not incidents:
        return
    body: list[dict[str, Any]] = []
    for incident in incidents:
        body += [{"index": {"_index": index, "_id": incident["incident"]["id"]}}, incident]
    response = client.bulk(body=body)
    failed = [item["index"] for item in response["items"] if item["index"].get("status") not in (200, 201)]
    if failed:
        raise RuntimeError(f"incidents not written: {failed[:3]}")


NOTIFIED = "notified_severity"
"""The severity the incident's last SNS message announced (``None``: none sent yet)."""
PUBLISHED = "published_severity"
"""The severity of its last event on the EventBridge bus (detections/eventbus.py)."""


def needs_notification(incident: dict[str, Any], channel: str = NOTIFIED) -> bool:
    """New (never sent on ``channel``) or escalated above the severity last sent there."""
    details = incident["incident"]
    notified = details.get(channel)
    return notified is None or _RANK.get(details["severity"], 0) > _RANK.get(notified, 0)


def mark_notified(client: OpenSearch, index: str, incident: dict[str, Any], channel: str = NOTIFIED) -> None:
    severity = incident["incident"]["severity"]
    incident["incident"][channel] = severity
    client.update(
        index=index,
        id=incident["incident"]["id"],
        body={"doc": {"incident": {channel: severity}}},
    )


def list_incidents(client: OpenSearch, index: str, size: int = 50) -> list[dict[str, Any]]:
    """The most recently seen incidents first (a missing index: none)."""
    body = {"size": size, "sort": [{"incident.last_seen": "desc"}, {"incident.id": "asc"}]}
    response = client.search(index=index, body=body, ignore_unavailable=True, allow_no_indices=True)
    return [hit["_source"] for hit in response["hits"]["hits"]]


def get_incident(client: OpenSearch, index: str, identifier: str) -> dict[str, Any] | None:
    response = client.mget(index=index, body={"ids": [identifier]})
    docs = [doc for doc in response.get("docs", []) if doc.get("found")]
    return docs[0]["_source"] if docs else None
