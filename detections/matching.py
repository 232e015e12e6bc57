"""Run one rule over one window and group what it finds into would-be alerts (:class:`Match`).

- Event rules: every hit whose ``event.ingested`` is in the window, read in one point in time
  with ``search_after`` (Serverless has no scroll) sorted by ``(event.ingested, event.id)``
  (``event.id`` is unique per document, so the order is total), filtered by the rule's field
  comparisons, grouped by dedup key and suppression bucket. Past ``MAX_HITS`` the read stops
  and returns the last hit's sort values as the resume cursor.
- Threshold rules: counts per group and epoch-aligned ``window`` bucket of ``@timestamp``.
  The groups and buckets *touched* by documents ingested in the query window are counted
  again over every document of those buckets ingested before the window's end, so a burst
  completed by late data still reaches its threshold once, in the run that sees the last
  late document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, OpenSearchException

from detections.rules import Rule, get_field
from detections.windows import Window, bucket_start, iso, parse_time

LOGGER = logging.getLogger(__name__)

PAGE_SIZE = 500
MAX_HITS = 10_000
"""Hits one event rule reads per run; past it the run stops and the next one resumes there."""
PIT_KEEP_ALIVE = "2m"
"""How long a point in time outlives its last page (it is deleted when the read ends)."""
HIT_ORDER = [{"event.ingested": "asc"}, {"event.id": {"order": "asc", "missing": "_last"}}]
MAX_SAMPLES = 10
"""Documents kept per alert for its summary."""
MAX_EVENT_IDS = 100
COMPOSITE_PAGE = 500


@dataclass(slots=True)
class Match:
    """The events of one dedup key in one suppression bucket: one alert."""

    key: tuple[tuple[str, Any], ...]
    bucket: datetime
    """Start of the suppression bucket (event rules) or threshold window (threshold rules)."""
    count: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    max_severity: float | None = None

    def add(self, document: dict[str, Any], severity_field: str | None) -> None:
        self.count += 1
        moment = document.get("@timestamp")
        if isinstance(moment, str):
            self.first_seen = min(self.first_seen or moment, moment)
            self.last_seen = max(self.last_seen or moment, moment)
        if len(self.documents) < MAX_SAMPLES:
            self.documents.append(document)
        event_id = get_field(document, "event.id")
        if event_id and len(self.event_ids) < MAX_EVENT_IDS:
            self.event_ids.append(str(event_id))
        severity = get_field(document, severity_field) if severity_field else None
        if isinstance(severity, int | float) and not isinstance(severity, bool):
            self.max_severity = max(self.max_severity or 0.0, float(severity))


@dataclass(slots=True)
class Matches:
    matches: list[Match]
    hits: int = 0
    resume_after: tuple[Any, ...] | None = None
    """Sort values of the last hit read when the hit budget stopped the read before the
    window's end (the next run continues after them); ``None``: the whole window was read."""

    @property
    def truncated(self) -> bool:
        return self.resume_after is not None


def find_matches(client: OpenSearch, rule: Rule, index: str, window: Window) -> Matches:
    if window.empty:
        return Matches([])
    if rule.is_threshold:
        return _threshold_matches(client, rule, index, window)
    return _event_matches(client, rule, index, window)


def ingested_range(window: Window) -> dict[str, Any]:
    return {"range": {"event.ingested": {"gte": iso(window.start), "lt": iso(window.end)}}}


def _search(client: OpenSearch, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = client.search(
        index=index, body=body, ignore_unavailable=True, allow_no_indices=True
    )
    return response


def _event_matches(client: OpenSearch, rule: Rule, index: str, window: Window) -> Matches:
    groups: dict[tuple[Any, ...], Match] = {}
    hits = 0
    last_sort: tuple[Any, ...] | None = None
    filters = [rule.query_clause(), ingested_range(window)]
    with closing(_hits(client, index, filters, window.resume_after)) as stream:
        for document, sort in stream:
            if hits >= MAX_HITS and _may_stop_after(last_sort):
                return Matches(list(groups.values()), hits, last_sort)
            hits += 1
            last_sort = sort
            if all(comparison.holds(document) for comparison in rule.where):
                _group(groups, rule, document)
    return Matches(list(groups.values()), hits)


def _may_stop_after(last: tuple[Any, ...] | None) -> bool:
    """A cut needs a cursor that names one document: ``(event.ingested, event.id)``, unique per
    document (docs/schema.md), so the next run resumes exactly after it even in the middle of
    one object's records, which all share one ``event.ingested``."""
    return last is not None and None not in last


def _group(groups: dict[tuple[Any, ...], Match], rule: Rule, document: dict[str, Any]) -> None:
    key = tuple((name, get_field(document, name)) for name in rule.dedup_key)
    bucket = bucket_start(_event_time(document), rule.suppression)
    group_id = (json.dumps(key, sort_keys=True, default=str), bucket)
    match = groups.get(group_id)
    if match is None:
        match = groups[group_id] = Match(key, bucket)
    match.add(document, rule.severity_field)


def _hits(
    client: OpenSearch, index: str, filters: list[dict[str, Any]], after: tuple[Any, ...] | None
) -> Generator[tuple[dict[str, Any], tuple[Any, ...]], None, None]:
    """``(source, sort values)`` of every matching document after ``after``, oldest ingestion
    first, paged with ``search_after`` in one point in time (a stable view across pages)."""
    try:
        pit_id: str = client.create_pit(index=index, keep_alive=PIT_KEEP_ALIVE)["pit_id"]
    except NotFoundError:  # the source has no index yet: nothing to read
        return
    body: dict[str, Any] = {
        "size": PAGE_SIZE,
        "query": {"bool": {"filter": filters}},
        "sort": HIT_ORDER,
        "pit": {"id": pit_id, "keep_alive": PIT_KEEP_ALIVE},
    }
    if after is not None:
        body["search_after"] = list(after)
    try:
        while True:
            response = client.search(body=body)
            page = response["hits"]["hits"]
            for hit in page:
                yield hit["_source"], tuple(hit["sort"])
            if len(page) < PAGE_SIZE:
                return
            body["search_after"] = page[-1]["sort"]
            body["pit"]["id"] = response.get("pit_id") or pit_id
    finally:
        _delete_pit(client, pit_id)


def _delete_pit(client: OpenSearch, pit_id: str) -> None:
    try:
        client.delete_pit(body={"pit_id": [pit_id]})
    except OpenSearchException as error:  # it expires after PIT_KEEP_ALIVE anyway
        LOGGER.warning("could not delete a point in time: %s", error)


def _event_time(document: dict[str, Any]) -> datetime:
    moment = document.get("@timestamp")
    return parse_time(moment) if isinstance(moment, str) else datetime.fromtimestamp(0, UTC)


def _threshold_matches(client: OpenSearch, rule: Rule, index: str, window: Window) -> Matches:
    assert rule.window is not None and rule.threshold is not None
    sources = _composite_sources(rule)
    touched = {
        tuple(bucket["key"][name] for name in _source_names(rule))
        for bucket in _composite(client, index, [rule.query_clause(), ingested_range(window)], sources, {})
    }
    if not touched:
        return Matches([])
    starts = [key[-1] for key in touched]
    earliest = datetime.fromtimestamp(min(starts) / 1000, UTC)
    latest = datetime.fromtimestamp(max(starts) / 1000, UTC) + rule.window
    filters = [
        rule.query_clause(),
        {"range": {"@timestamp": {"gte": iso(earliest), "lt": iso(latest)}}},
        {"range": {"event.ingested": {"lt": iso(window.end)}}},
    ]
    matches: list[Match] = []
    hits = 0
    for bucket in _composite(client, index, filters, sources, _threshold_metrics(rule)):
        key = tuple(bucket["key"][name] for name in _source_names(rule))
        hits += bucket["doc_count"]
        if key not in touched or bucket["doc_count"] < rule.threshold:
            continue
        matches.append(_threshold_match(rule, key, bucket))
    return Matches(matches, hits)


def _source_names(rule: Rule) -> list[str]:
    return [*rule.group_by, "@window"]


def _composite_sources(rule: Rule) -> list[dict[str, Any]]:
    assert rule.window is not None
    seconds = int(rule.window.total_seconds())
    terms = [{name: {"terms": {"field": name}}} for name in rule.group_by]
    return [*terms, {"@window": {"date_histogram": {"field": "@timestamp", "fixed_interval": f"{seconds}s"}}}]


def _threshold_metrics(rule: Rule) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "first_seen": {"min": {"field": "@timestamp"}},
        "last_seen": {"max": {"field": "@timestamp"}},
        "samples": {"top_hits": {"size": MAX_SAMPLES, "sort": [{"@timestamp": "asc"}]}},
    }
    if rule.severity_field:
        metrics["severity"] = {"max": {"field": rule.severity_field}}
    return metrics


def _composite(
    client: OpenSearch,
    index: str,
    filters: list[dict[str, Any]],
    sources: list[dict[str, Any]],
    metrics: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    composite: dict[str, Any] = {"size": COMPOSITE_PAGE, "sources": sources}
    aggregation: dict[str, Any] = {"composite": composite}
    if metrics:
        aggregation["aggs"] = metrics
    body = {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": {"groups": aggregation}}
    while True:
        result = _search(client, index, body).get("aggregations", {}).get("groups", {})
        buckets = result.get("buckets", [])
        yield from buckets
        if len(buckets) < COMPOSITE_PAGE or "after_key" not in result:
            return
        composite["after"] = result["after_key"]


def _threshold_match(rule: Rule, key: tuple[Any, ...], bucket: dict[str, Any]) -> Match:
    window_start = datetime.fromtimestamp(key[-1] / 1000, UTC)
    match = Match(tuple(zip(rule.group_by, key[:-1], strict=True)), window_start, count=bucket["doc_count"])
    match.first_seen = bucket["first_seen"].get("value_as_string")
    match.last_seen = bucket["last_seen"].get("value_as_string")
    for hit in bucket["samples"]["hits"]["hits"]:
        match.documents.append(hit["_source"])
        event_id = get_field(hit["_source"], "event.id")
        if event_id:
            match.event_ids.append(str(event_id))
    severity = bucket.get("severity", {}).get("value")
    match.max_severity = float(severity) if severity is not None else None
    return match


def window_of(match: Match, rule: Rule) -> tuple[datetime, datetime]:
    """The span an alert covers: its threshold window, or its events' first and last times."""
    if rule.is_threshold and rule.window is not None:
        return match.bucket, match.bucket + rule.window
    first = parse_time(match.first_seen) if match.first_seen else match.bucket
    last = parse_time(match.last_seen) if match.last_seen else first
    return first, last + timedelta(seconds=1)
