"""Threshold rules: a group reaching N events, or N distinct values of a field, within *any*
window of ``W`` (sliding, not epoch buckets: a burst that straddles two buckets still counts).

One run, for the documents ingested in its query window (docs/detections.md, "Threshold"):

1. **touched**: a composite aggregation over those documents gives each group they belong
   to and the earliest and latest ``@timestamp`` they bring (1 search per 1,000 groups).
2. **bound**: for the touched groups, a composite over ``W``-aligned buckets of
   ``@timestamp`` around those times (every document ingested before the window's end, late
   ones included) gives each bucket's events (or distinct values: ``cardinality``). A window
   of ``W`` spans at most two adjacent buckets, so their sum bounds it: groups and buckets
   whose bound stays under the threshold are done (:func:`detections.sliding.window_bounds`).
   Events bound the values of one field (one value per event: an id); several ``distinct``
   fields pool values an event may carry many of, so there is no bound and step 3 reads them.
3. **seconds**: the remaining buckets are read one second at a time (a composite with a 1 s
   ``date_histogram``; with a ``distinct`` field inside a ``flat_object``, which cannot be
   aggregated, or several ``distinct`` fields whose values are pooled, the events themselves), and the sliding arithmetic finds the triggers and
   the episodes (:mod:`detections.sliding`).
4. **samples**: one search per episode found, for the alert's events.

A ``group_by`` naming ``principal`` reads the fields it comes from in the same aggregations
(:mod:`detections.grouping`): buckets per session, merged per principal (events and times add
up; distinct values per session add up to a bound of the principal's, and the seconds pass
reads the values themselves).

An episode is reported by every run whose touched times it follows; its alert id is keyed on
the group and its first trigger's suppression bucket, so overlapping runs raise it once.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import timedelta
from functools import partial
from itertools import product
from typing import Any

from opensearchpy import OpenSearch

from detections import grouping, sliding
from detections.fields import field_kind
from detections.matches import MAX_EVENT_IDS, Match, Matches
from detections.rules import Rule, field_values, get_field
from detections.search import (
    Cost,
    Sources,
    chunks,
    composite,
    documents,
    from_ms,
    hits,
    ingested_before,
    ingested_range,
    keys_in_spans,
    keys_per_search,
    seconds_source,
    time_range,
)
from detections.windows import Window, iso

LOGGER = logging.getLogger(__name__)

Key = tuple[Any, ...]
Span = tuple[int, int]
"""``[start, end)`` in epoch seconds."""

PRECISION = 3000
"""``cardinality`` precision threshold: counts below it are exact in practice (thresholds are
far smaller), and a bound that undercounted would drop a group that qualifies."""
MAX_EVENTS_READ = 50_000
"""Events one run reads for a ``distinct`` field inside a ``flat_object`` (past it, the groups
left are not evaluated this run and a warning is logged)."""
SECOND = "@second"
BUCKET = "@bucket"
VALUE = "@value"


def find(client: OpenSearch, rule: Rule, sources: Sources, window: Window) -> Matches:
    assert rule.window is not None and rule.threshold is not None
    index = sources.index(rule.index)
    cost = Cost()
    size = int(rule.window.total_seconds())
    suppression = int(rule.suppression.total_seconds())
    touched = _touched(client, index, rule, window, cost)
    spans = _candidate_spans(client, index, rule, window, touched, cost)
    points = _seconds(client, index, rule, window, spans, cost)
    matches: list[Match] = []
    for key, (low, high) in touched.items():
        found = sliding.triggers(
            sliding.merge(points.get(key, ())), size, rule.threshold, bool(rule.distinct)
        )
        by_second = {trigger.second: trigger for trigger in found}
        for start in sliding.episode_starts(by_second, suppression):
            if low <= start <= high + size:
                matches.append(_match(client, index, rule, window, key, by_second[start], cost))
    return Matches(matches, cost.hits, cost=cost)


def _filters(rule: Rule, window: Window) -> list[dict[str, Any]]:
    """The rule's documents that a run ending at ``window.end`` may count (late ones included)."""
    return [rule.query_clause(), ingested_before(window.end)]


def _touched(
    client: OpenSearch, index: str, rule: Rule, window: Window, cost: Cost
) -> dict[Key, tuple[int, int]]:
    """Groups with documents ingested in the window -> the earliest and latest second they bring."""
    metrics = {"low": {"min": {"field": "@timestamp"}}, "high": {"max": {"field": "@timestamp"}}}
    filters = [rule.query_clause(), ingested_range(window)]
    touched: dict[Key, tuple[int, int]] = {}
    for bucket in composite(
        client, index, filters, grouping.sources(rule.index, rule.group_by), cost, metrics
    ):
        key = grouping.key_of(rule.index, rule.group_by, bucket)
        if key is None or bucket["low"].get("value") is None:
            continue
        low, high = int(bucket["low"]["value"] // 1000), int(bucket["high"]["value"] // 1000)
        earlier = touched.get(key)
        touched[key] = (min(low, earlier[0]), max(high, earlier[1])) if earlier else (low, high)
    return touched


def _keys_in_spans(rule: Rule, spans: dict[Key, list[Span]]) -> dict[str, Any]:
    return keys_in_spans(rule.group_by, spans, "@timestamp", partial(grouping.key_term, rule.index))


def _chunks(rule: Rule, keys: list[Key], spans: int) -> Iterable[Sequence[Key]]:
    return chunks(keys, keys_per_search(grouping.width(rule.index, rule.group_by), spans))


def _candidate_spans(
    client: OpenSearch,
    index: str,
    rule: Rule,
    window: Window,
    touched: dict[Key, tuple[int, int]],
    cost: Cost,
) -> dict[Key, list[Span]]:
    """Per touched group, the spans whose events may reach the threshold (bound pass)."""
    assert rule.window is not None and rule.threshold is not None
    size = int(rule.window.total_seconds())
    lookback = size + int(rule.suppression.total_seconds())
    reach = {key: (low - lookback, high + size + 1) for key, (low, high) in touched.items()}
    if len(rule.distinct) > 1:
        # Pooled fields: one event may carry many values (GetParameters names up to ten), so
        # event counts bound nothing. Every event of the touched groups is read.
        return {key: [span] for key, span in reach.items()}
    measures: dict[Key, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    values: dict[Key, dict[int, set[Any]]] = defaultdict(lambda: defaultdict(set))
    sources = [
        *grouping.sources(rule.index, rule.group_by),
        {BUCKET: {"date_histogram": {"field": "@timestamp", "fixed_interval": f"{size}s"}}},
    ]
    metrics = _distinct_metric(rule)
    pooled = metrics is not None and any(grouping.is_named(name) for name in rule.group_by)
    if pooled:
        # A principal's buckets are its sessions: the values themselves, united per principal
        # (the sum of the sessions' counts would bound nothing useful for a role whose many
        # sessions make the same few calls).
        sources.append({VALUE: {"terms": {"field": rule.distinct[0]}}})
        metrics = None
    for keys in _chunks(rule, list(reach), 1):
        clause = _keys_in_spans(rule, {key: [reach[key]] for key in keys})
        for bucket in composite(client, index, [*_filters(rule, window), clause], sources, cost, metrics):
            key = grouping.key_of(rule.index, rule.group_by, bucket)
            if key in reach:
                start = int(bucket["key"][BUCKET] // 1000)
                if pooled:
                    values[key][start].add(bucket["key"][VALUE])
                else:  # events add up (a field has one bucket a group)
                    measures[key][start] += (
                        int(bucket["distinct"]["value"]) if metrics else bucket["doc_count"]
                    )
    for key, buckets in values.items():
        measures[key] = {start: len(found) for start, found in buckets.items()}
    spans: dict[Key, list[Span]] = {}
    for key, (low, high) in touched.items():
        bounds = sliding.window_bounds(measures.get(key, {}), size)
        hot = sorted(start for start, bound in bounds.items() if bound >= rule.threshold)
        # Only triggers from ``low`` on are reported (earlier ones were another run's), but the
        # suppression before them must be known: the spans reach back ``suppression + W``.
        if any(low - size < start <= high + size for start in hot):
            spans[key] = _merged((start - size, start + size) for start in hot)
    return spans


def aggregated_distinct(rule: Rule) -> str | None:
    """The ``distinct`` field the engine can count: one field, aggregatable. Several fields
    (values pooled) or a ``flat_object`` path are counted from the events themselves."""
    if len(rule.distinct) == 1 and field_kind(rule.index, rule.distinct[0]) == "aggregatable":
        return rule.distinct[0]
    return None


def _distinct_metric(rule: Rule) -> dict[str, Any] | None:
    """Distinct values per bucket when the field can be aggregated; otherwise events bound them."""
    field = aggregated_distinct(rule)
    if field is None:
        return None
    return {"distinct": {"cardinality": {"field": field, "precision_threshold": PRECISION}}}


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _seconds(
    client: OpenSearch,
    index: str,
    rule: Rule,
    window: Window,
    spans: dict[Key, list[Span]],
    cost: Cost,
) -> dict[Key, list[sliding.Point]]:
    """The candidate spans, one point per group and second (and distinct value)."""
    if not spans:
        return {}
    readable = not rule.distinct or aggregated_distinct(rule) is not None
    longest = max(len(ranges) for ranges in spans.values())
    points: dict[Key, list[sliding.Point]] = defaultdict(list)
    budget = [MAX_EVENTS_READ]
    for keys in _chunks(rule, list(spans), longest):
        filters = [*_filters(rule, window), _keys_in_spans(rule, {key: spans[key] for key in keys})]
        if readable:
            _aggregated_points(client, index, rule, filters, set(keys), points, cost)
        else:
            _read_points(client, index, rule, filters, set(keys), points, cost, budget)
    return points


def _aggregated_points(
    client: OpenSearch,
    index: str,
    rule: Rule,
    filters: list[dict[str, Any]],
    keys: set[Key],
    points: dict[Key, list[sliding.Point]],
    cost: Cost,
) -> None:
    sources = [*grouping.sources(rule.index, rule.group_by), seconds_source("@timestamp", SECOND)]
    if rule.distinct:
        sources.append({VALUE: {"terms": {"field": rule.distinct[0]}}})
    for bucket in composite(client, index, filters, sources, cost):
        key = grouping.key_of(rule.index, rule.group_by, bucket)
        if key not in keys:
            continue
        point = sliding.Point(int(bucket["key"][SECOND] // 1000), bucket["doc_count"])
        if rule.distinct:
            point.values[bucket["key"][VALUE]] += bucket["doc_count"]
        points[key].append(point)


def _read_points(
    client: OpenSearch,
    index: str,
    rule: Rule,
    filters: list[dict[str, Any]],
    keys: set[Key],
    points: dict[Key, list[sliding.Point]],
    cost: Cost,
    budget: list[int],
) -> None:
    """The events themselves (a ``distinct`` path inside a ``flat_object`` has no doc values;
    several ``distinct`` fields pool their values)."""
    assert rule.distinct
    fields = ["@timestamp", *grouping.fields_of(rule.index, rule.group_by), *rule.distinct]
    order: list[dict[str, Any]] = [{"@timestamp": "asc"}, {"event.id": {"order": "asc", "missing": "_last"}}]
    with closing(hits(client, index, filters, order, cost, source=fields)) as stream:
        for document, sort in stream:
            if budget[0] <= 0:
                LOGGER.warning("%s: more than %d events to read: the rest waits", rule.id, MAX_EVENTS_READ)
                return
            budget[0] -= 1
            second = int(sort[0] // 1000)
            values = [str(value) for name in rule.distinct for value in field_values(document, name)]
            for key in product(*(_values(rule, document, name) for name in rule.group_by)):
                if key in keys:
                    points[key].append(sliding.Point(second, 1, Counter(values)))


def _values(rule: Rule, document: dict[str, Any], name: str) -> list[Any]:
    """A document's values of a ``group_by`` name: a field's, or the grouping's one."""
    if not grouping.is_named(name):
        return field_values(document, name)
    fields = grouping.reads(rule.index, name)
    value = grouping.resolve(rule.index, name, {field: get_field(document, field) for field in fields})
    return [] if value is None else [value]


def _match(
    client: OpenSearch,
    index: str,
    rule: Rule,
    window: Window,
    key: Key,
    trigger: sliding.Trigger,
    cost: Cost,
) -> Match:
    first, last = from_ms(trigger.first * 1000), from_ms(trigger.second * 1000)
    match = Match(
        tuple(zip(rule.group_by, key, strict=True)),
        last,
        count=trigger.measure,
        first_seen=iso(first),
        last_seen=iso(last),
    )
    filters = [
        *_filters(rule, window),
        grouping.of_keys(rule.index, rule.group_by, [key]),
        time_range("@timestamp", first, last + timedelta(seconds=1)),
    ]
    match.attach(documents(client, index, filters, MAX_EVENT_IDS, cost, "@timestamp"), rule.severity_field)
    return match
