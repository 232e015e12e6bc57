"""Alerts and incidents on an EventBridge event bus, for a remediation tool or a SOAR to subscribe.

Published by the detection run at the point where it notifies SNS (detections/runner.py), with
the same "once per transition" bookkeeping: one ``SIEM Incident`` event when an incident opens
or escalates, one ``SIEM Alert`` event per alert when it is first grouped into an incident.
Every event has ``Source: aws-siem``; its ``Detail`` is the summary below (docs/handoffs.md,
"Alerts and incidents on an EventBridge bus", shows both), never the matched events themselves.

PutEvents takes at most 10 entries per request and a bounded request size (1 MB in the current
API reference, 256 KB before: we stay under the smaller); an entry's size is its ``Source``,
``DetailType`` and ``Detail`` in UTF-8 bytes (plus 14 for a ``Time`` and each ``Resources``
ARN, which we do not send). A request can fail in part: ``FailedEntryCount`` and, per entry,
``ErrorCode``/``ErrorMessage`` at the entry's position. The entries that failed are sent again
(:data:`ATTEMPTS` in all); what still fails is returned, and the runner leaves it pending for
the next run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from detections.incident_status import last_closure
from detections.incidents import alert_count, listed_alert_ids

SOURCE = "aws-siem"
ALERT_DETAIL_TYPE = "SIEM Alert"
INCIDENT_DETAIL_TYPE = "SIEM Incident"
MAX_ENTRIES = 10
"""Entries per PutEvents request (the API's ``Entries`` list: 1 to 10)."""
MAX_REQUEST_BYTES = 256 * 1024
"""Entry bytes per request: the smaller of the limits PutEvents has had (256 KB, now 1 MB)."""
MAX_DETAIL_BYTES = 64 * 1024
"""An event's ``Detail``: lists are shortened (``truncated: true``) until it fits."""
MAX_LISTED = 50
"""Alert ids, event ids, lines, actors and addresses listed in one event before bounding."""
ATTEMPTS = 3
"""PutEvents calls per entry before it is reported failed (left pending for the next run)."""


@dataclass(frozen=True, slots=True)
class BusEvent:
    key: str
    """What the event is about (``incident:<id>``, ``alert:<id>``): how its failure is reported."""
    detail_type: str
    detail: dict[str, Any]

    def entry(self, bus: str) -> dict[str, str]:
        return {
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, separators=(",", ":"), ensure_ascii=False),
            "EventBusName": bus,
        }


@dataclass(frozen=True, slots=True)
class Failure:
    key: str
    error: str


class EventPublisher(Protocol):
    def publish(self, events: Sequence[BusEvent]) -> list[Failure]: ...


def entry_size(entry: dict[str, str]) -> int:
    """The size PutEvents counts for an entry (the AWS "Calculating PutEvents event entry size")."""
    return sum(len(entry[name].encode()) for name in ("Source", "DetailType", "Detail"))


class EventBusPublisher:
    """PutEvents to one bus (name or ARN), in requests of at most 10 entries and 256 KB."""

    def __init__(self, client: Any, bus: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self.bus = bus
        self._sleep = sleep

    def publish(self, events: Sequence[BusEvent]) -> list[Failure]:
        """Send ``events``; retry the entries that failed; return those that never went."""
        waiting = list(events)
        errors: dict[str, str] = {}
        for attempt in range(ATTEMPTS):
            if not waiting:
                break
            if attempt:
                self._sleep(0.2 * 2**attempt)
            failed: list[BusEvent] = []
            for batch in _batches(waiting, self.bus):
                for event, error in self._put(batch):
                    failed.append(event)
                    errors[event.key] = error
            waiting = failed
        return [Failure(event.key, errors[event.key]) for event in waiting]

    def _put(self, batch: list[BusEvent]) -> list[tuple[BusEvent, str]]:
        """The events of one request that failed, with why (the whole request: every one)."""
        try:
            response = self._client.put_events(Entries=[event.entry(self.bus) for event in batch])
        except Exception as error:  # throttled past botocore's retries, endpoint down...
            return [(event, f"{type(error).__name__}: {error}") for event in batch]
        if not response.get("FailedEntryCount"):
            return []
        # Results are in the order of the entries sent; a failed one has an ErrorCode.
        return [
            (event, f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}")
            for event, result in zip(batch, response["Entries"], strict=True)
            if result.get("ErrorCode")
        ]


def _batches(events: Sequence[BusEvent], bus: str) -> Iterator[list[BusEvent]]:
    batch: list[BusEvent] = []
    size = 0
    for event in events:
        length = entry_size(event.entry(bus))
        if batch and (len(batch) == MAX_ENTRIES or size + length > MAX_REQUEST_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += length
    if batch:
        yield batch


def incident_event(incident: dict[str, Any], change: str) -> BusEvent:
    """``change``: ``new`` (never published), ``reopened`` (an alert reopened it after it was
    closed) or ``escalated`` (its severity rose since): :func:`~detections.incidents.announced_change`.
    With the incident's triage status (detections/incident_status.py) and, when reopened, the
    closure the alert undid (``was_closed``)."""
    details = incident["incident"]
    detail = {
        "incident_id": details["id"],
        "change": change,
        "status": details["status"],
        "resolution": details.get("resolution"),
        "status_by": details.get("status_by"),
        "status_updated": details.get("status_updated"),
        "was_closed": _closure(incident) if change == "reopened" else None,
        "severity": details["severity"],
        "severity_number": incident["event"]["severity"],
        "title": details.get("title"),
        "actor": details["key"],
        "first_seen": details["first_seen"],
        "last_seen": details["last_seen"],
        "alert_count": alert_count(details),
        "alert_ids": listed_alert_ids(details, MAX_LISTED),
        "alert_ids_truncated": alert_count(details) > min(len(details["alert_ids"]), MAX_LISTED),
        "merged_from": details.get("merged_from", [])[:MAX_LISTED],
        "rule_ids": details["rule_ids"][:MAX_LISTED],
        "actors": details["keys"][:MAX_LISTED],
        "accounts": details.get("accounts", [])[:MAX_LISTED],
        "related": _related(incident),
        "lines": [
            {
                key: line.get(key)
                for key in (
                    "rule_id",
                    "rule_name",
                    "ruleset",
                    "severity",
                    "folded",
                    "alert_count",
                    "alert_ids",
                    "first_seen",
                    "last_seen",
                    "who",
                    "dashboards_url",
                )
            }
            for line in details["lines"][:MAX_LISTED]
        ],
    }
    return BusEvent(f"incident:{details['id']}", INCIDENT_DETAIL_TYPE, bounded(detail))


def alert_event(alert: dict[str, Any], incident_id: str) -> BusEvent:
    details, rule = alert["alert"], alert["rule"]
    detail = {
        "alert_id": details["id"],
        "incident_id": incident_id,
        "rule": {key: rule.get(key) for key in ("id", "name", "ruleset", "category")},
        "severity": details["severity"],
        "severity_number": alert.get("event", {}).get("severity"),
        "summary": details.get("summary", {}),
        "count": details.get("count"),
        "dedup_key": details.get("dedup_key"),
        "first_seen": details.get("first_seen"),
        "last_seen": details.get("last_seen"),
        "created": details.get("created"),
        "dashboards_url": details.get("dashboards_url"),
        "accounts": details.get("accounts", [])[:MAX_LISTED],
        "source_ip": alert.get("source", {}).get("ip"),
        "related": _related(alert),
        "event_ids": details.get("event_ids", [])[:MAX_LISTED],
    }
    return BusEvent(f"alert:{details['id']}", ALERT_DETAIL_TYPE, bounded(detail))


def _closure(incident: dict[str, Any]) -> dict[str, Any] | None:
    """The latest closure of ``incident`` (when, by whom, the resolution, the note)."""
    closure = last_closure(incident)
    if closure is None:
        return None
    return {key: closure.get(key) for key in ("at", "by", "resolution", "note")}


def _related(document: dict[str, Any]) -> dict[str, list[Any]]:
    related = document.get("related", {})
    return {field: list(related.get(field, []))[:MAX_LISTED] for field in ("user", "ip")}


def bounded(detail: dict[str, Any], limit: int = MAX_DETAIL_BYTES) -> dict[str, Any]:
    """``detail`` whole when its JSON fits ``limit`` bytes; else with its longest lists halved
    (``truncated: true``) until it fits, and at worst its scalar fields only.

    A summary value is one capped line (detections/summary.py), so the lists are what grows.
    """
    detail = dict(detail)
    while _size(detail) > limit:
        detail["truncated"] = True
        path, longest = _longest_list(detail)
        if not longest or len(longest) <= 1:
            return {
                key: value
                for key, value in detail.items()
                if isinstance(value, str | int | float | bool) or value is None
            } | {"truncated": True}
        _set(detail, path, longest[: len(longest) // 2])
    return detail


def _size(detail: dict[str, Any]) -> int:
    return len(json.dumps(detail, separators=(",", ":"), ensure_ascii=False).encode())


def _longest_list(detail: dict[str, Any]) -> tuple[tuple[str, ...], list[Any]]:
    """The list (top level or one level down) whose JSON is longest."""
    found: list[tuple[int, tuple[str, ...], list[Any]]] = []
    for key, value in detail.items():
        if isinstance(value, list):
            found.append((len(json.dumps(value)), (key,), value))
        elif isinstance(value, dict):
            found += [(len(json.dumps(v)), (key, k), v) for k, v in value.items() if isinstance(v, list)]
    if not found:
        return (), []
    _, path, value = max(found, key=lambda item: item[0])
    return path, value


def _set(detail: dict[str, Any], path: tuple[str, ...], value: list[Any]) -> None:
    if len(path) == 1:
        detail[path[0]] = value
    else:
        detail[path[0]] = {**detail[path[0]], path[1]: value}
