"""Run one rule over one window and group what it finds into would-be alerts (:class:`Match`).

- Event rules (here): every hit whose ``event.ingested`` is in the window, read in one point
  in time with ``search_after`` (Serverless has no scroll) sorted by ``(event.ingested,
  event.id)`` (``event.id`` is unique per document, so the order is total), filtered by the
  rule's field comparisons, grouped by dedup key and suppression bucket. Past ``MAX_HITS``
  the read stops and returns the last hit's sort values as the resume cursor.
- Threshold rules: :mod:`detections.threshold` (sliding windows per group).
- New-terms rules: :mod:`detections.new_terms` (first sightings, state in the SEARCH collection).
- Sequence rules: :mod:`detections.sequence` (ordered steps joined on a key, across sources).
- Silence rules: :mod:`detections.silence` (an entity that sent every hour stops; state in the
  SEARCH collection).
"""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections import new_terms, sequence, silence, threshold
from detections.matches import MAX_EVENT_IDS, MAX_SAMPLES, Match, Matches, window_of
from detections.rules import Rule, get_field
from detections.search import Cost, Sources, hits, ingested_range
from detections.windows import Window, bucket_start, parse_time, source_time

PAGE_SIZE = 500
MAX_HITS = 10_000
"""Hits one event rule reads per run; past it the run stops and the next one resumes there."""
HIT_ORDER: list[dict[str, Any]] = [
    {"event.ingested": "asc"},
    {"event.id": {"order": "asc", "missing": "_last"}},
]


def find_matches(
    client: OpenSearch,
    rule: Rule,
    sources: Sources | str,
    window: Window,
    terms: new_terms.TermsState | None = None,
    fill_until: float | None = None,
    settle: timedelta = timedelta(0),
    oldest: datetime | None = None,
) -> Matches:
    """``rule``'s matches among the documents ingested in ``window``.

    ``sources`` names the index of each source (a string: one index for all of them).
    ``terms`` is where a new-terms rule keeps the terms it has seen and a silence rule its
    entities (the runner's is on the alerts collection); without one, a fresh in-process
    state: the rule's first run.
    ``fill_until`` (``time.monotonic()``) bounds the time a new-terms rule's fill reads more pages;
    ``settle`` (the run's overlap) and ``oldest`` (its maximum look-back) are a new-terms rule's
    (:func:`detections.new_terms.find`).
    """
    if isinstance(sources, str):
        sources = Sources(only=sources)
    if window.empty:
        return Matches([])
    if rule.type == "threshold":
        return threshold.find(client, rule, sources, window)
    if rule.type == "new_terms":
        return new_terms.find(
            client, rule, sources, window, terms or new_terms.MemoryTerms(), fill_until, settle, oldest
        )
    if rule.type == "sequence":
        return sequence.find(client, rule, sources, window)
    if rule.type == "silence":
        return silence.find(client, rule, sources, window, terms or new_terms.MemoryTerms())
    return _event_matches(client, rule, sources.index(rule.index), window)


def _event_matches(client: OpenSearch, rule: Rule, index: str, window: Window) -> Matches:
    groups: dict[tuple[Any, ...], Match] = {}
    read = 0
    cost = Cost()
    last_sort: tuple[Any, ...] | None = None
    filters = [rule.query_clause(), ingested_range(window)]
    stream = hits(client, index, filters, HIT_ORDER, cost, window.resume_after, page_size=PAGE_SIZE)
    with closing(stream):
        for document, sort in stream:
            if read >= MAX_HITS and _may_stop_after(last_sort):
                return Matches(list(groups.values()), read, last_sort, cost)
            read += 1
            last_sort = sort
            if all(comparison.holds(document) for comparison in rule.where):
                _group(groups, rule, document)
    return Matches(list(groups.values()), read, cost=cost)


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


def _event_time(document: dict[str, Any]) -> datetime:
    moment = source_time(document.get("@timestamp"))
    return parse_time(moment) if moment is not None else datetime.fromtimestamp(0, UTC)


__all__ = [
    "MAX_EVENT_IDS",
    "MAX_HITS",
    "MAX_SAMPLES",
    "Match",
    "Matches",
    "Sources",
    "find_matches",
    "window_of",
]
