"""Sequence rules: ordered events of the same entity within ``maxspan``, across sources.

Each step is a query on one or more sources with its own join key (``by``: e.g. a finding's
``related.user`` and CloudTrail's ``aws.cloudtrail.user_identity.access_key_id``) and its
own time field (a finding is placed at ``event.start``, when its activity began).

**Partial sequences live in the logs.** A step seen in one run and the step that completes
it in a later one are found by looking the earlier step up again, by join key, within
``maxspan`` of the new one: no copy of partial sequences is kept (DynamoDB or the SEARCH
collection would have to store every first step, e.g. every AssumeRole, to be read back for
the few that continue), late events of any step complete a sequence in whatever order they
arrive, and the look-up is bounded by ``maxspan`` (at most a day) and by the keys of the run's
new events. The logs' retention outlives any ``maxspan``.

One run (docs/detections.md, "Sequence"):

1. **new keys**: per step, a composite aggregation over the step's documents ingested in the
   window gives the join keys they carry and their earliest and latest times.
2. **timelines**: step by step, for the keys still in play, a composite over the step's
   documents (ingested before the window's end) around those times, one bucket per key and
   second (``maxspan`` + ``suppression`` before, ``maxspan`` after); a key missing from a step
   is dropped, so the next steps read fewer keys.
3. **chains**: per key, each first-step second starts the earliest ordered chain within
   ``maxspan`` (:func:`detections.sliding.chains`); a first step with ``new_terms`` is checked
   against its history (one search per candidate chain, not per event).
   With exceptions (detections.exceptions), the excepted events keep their place and a chain
   must hold at least one event no exception names (docs/detections.md, "Exceptions and
   sequences"); they teach a first step's ``new_terms`` no history.
4. **episodes** like thresholds: a chain starting within ``suppression`` after another is the
   same episode; one alert per key and episode, its events read back (one search per step).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections import sliding
from detections.matches import Match, Matches
from detections.rules import Rule, Step
from detections.search import (
    Cost,
    Sources,
    any_of,
    chunks,
    composite,
    documents,
    earliest,
    from_ms,
    ingested_before,
    ingested_range,
    key_of,
    keys_in_spans,
    keys_per_search,
    search,
    seconds_source,
    terms_sources,
    time_range,
)
from detections.windows import Window, iso

Key = tuple[Any, ...]
Timeline = dict[Key, dict[int, set[tuple[Any, ...]]]]
"""Per key, the seconds holding the step's events and, for a step with ``new_terms``, the
term values each second carries."""
Kept = dict[Key, set[int]] | None
"""Per key, the seconds holding a step event no exception names; ``None``: the step has no
exceptions (every second)."""
SAMPLES_PER_STEP = 3
SECOND = "@second"


def find(client: OpenSearch, rule: Rule, sources: Sources, window: Window) -> Matches:
    assert rule.maxspan is not None
    cost = Cost()
    maxspan = int(rule.maxspan.total_seconds())
    suppression = int(rule.suppression.total_seconds())
    new = _new_keys(client, rule, sources, window, cost)
    timelines: list[Timeline] = []
    kept: list[Kept] = []
    keys = set(new)
    for step in rule.steps:
        if not keys:
            return Matches([], cost.hits, cost=cost)
        reach = {key: (new[key][0] - maxspan - suppression, new[key][1] + maxspan + 1) for key in keys}
        timeline, step_kept = _timeline(client, rule, step, sources, window, reach, cost)
        timelines.append(timeline)
        kept.append(step_kept)
        keys &= set(timeline)
    matches = []
    for key in sorted(keys, key=str):
        low, high = new[key]
        accept = _novelty(client, rule, sources, window, key, timelines[0][key], cost)
        found = _chains([timeline[key] for timeline in timelines], kept, key, maxspan, accept)
        starts = set(sliding.episode_starts((chain[0] for chain in found), suppression))
        for chain in found:
            if chain[0] in starts and low - maxspan <= chain[0] <= high:
                matches.append(_match(client, rule, sources, window, key, chain, cost))
    return Matches(matches, cost.hits, cost=cost)


def _step_filters(rule: Rule, step: Step) -> list[dict[str, Any]]:
    return [rule.query_clause(), step.query_clause()]


def _chains(
    seconds: list[dict[int, Any]],
    kept: list[Kept],
    key: Key,
    maxspan: int,
    accept: Callable[[int], bool] | None,
) -> list[tuple[int, ...]]:
    """The key's chains (:func:`detections.sliding.chains`) that hold at least one event no
    exception names: the earliest such chain from each first-step second. A chain of excepted
    events only is accepted activity; with one step nobody accepted, it is the rule's case."""
    steps = [sorted(step) for step in seconds]
    if any(step_kept is None for step_kept in kept):
        return sliding.chains(steps, maxspan, accept)
    if accept is not None:
        accept = functools.cache(accept)  # one history look-up per second, however many passes
    earliest: dict[int, tuple[int, ...]] = {}
    for number, step_kept in enumerate(kept):
        assert step_kept is not None
        pinned = [*steps[:number], sorted(step_kept.get(key, ())), *steps[number + 1 :]]
        for chain in sliding.chains(pinned, maxspan, accept):
            earliest[chain[0]] = min(chain, earliest.get(chain[0], chain))
    return [earliest[first] for first in sorted(earliest)]


def _new_keys(
    client: OpenSearch, rule: Rule, sources: Sources, window: Window, cost: Cost
) -> dict[Key, tuple[int, int]]:
    """Join keys of the events ingested in the window (any step) -> their earliest and latest second."""
    new: dict[Key, tuple[int, int]] = {}
    for step in rule.steps:
        metrics = {"low": {"min": {"field": step.timestamp}}, "high": {"max": {"field": step.timestamp}}}
        filters = [*_step_filters(rule, step), ingested_range(window)]
        index = sources.indices(step.sources)
        for bucket in composite(client, index, filters, terms_sources(step.by), cost, metrics):
            if bucket["low"].get("value") is None:
                continue
            key = key_of(bucket, step.by)
            low, high = int(bucket["low"]["value"] // 1000), int(bucket["high"]["value"] // 1000)
            known = new.get(key)
            new[key] = (min(low, known[0]), max(high, known[1])) if known else (low, high)
    return new


def _timeline(
    client: OpenSearch,
    rule: Rule,
    step: Step,
    sources: Sources,
    window: Window,
    reach: dict[Key, tuple[int, int]],
    cost: Cost,
) -> tuple[Timeline, Kept]:
    """The step's seconds per key and, when exceptions name some of its events, the seconds
    holding one they do not name."""
    timeline: Timeline = defaultdict(lambda: defaultdict(set))
    kept: Kept = None if step.excepted is None else defaultdict(set)
    fields = [*terms_sources(step.by), seconds_source(step.timestamp, SECOND), *terms_sources(step.new_terms)]
    metrics = None if step.excepted is None else {"kept": {"filter": _not_excepted(step)}}
    index = sources.indices(step.sources)
    for keys in chunks(sorted(reach, key=str), keys_per_search(step.by, 1)):
        clause = keys_in_spans(step.by, {key: [reach[key]] for key in keys}, step.timestamp)
        filters = [*_step_filters(rule, step), ingested_before(window.end), clause]
        for bucket in composite(client, index, filters, fields, cost, metrics):
            key = key_of(bucket, step.by)
            if key in reach:
                second = int(bucket["key"][SECOND] // 1000)
                timeline[key][second].add(key_of(bucket, step.new_terms))
                if kept is not None and bucket["kept"]["doc_count"]:
                    kept[key].add(second)
    return timeline, kept


def _not_excepted(step: Step) -> dict[str, Any]:
    return {"bool": {"must_not": [step.excepted]}} if step.excepted else {"match_all": {}}


def _novelty(
    client: OpenSearch,
    rule: Rule,
    sources: Sources,
    window: Window,
    key: Key,
    seconds: dict[int, set[tuple[Any, ...]]],
    cost: Cost,
) -> Callable[[int], bool] | None:
    """For a first step with ``new_terms``: whether the event at a second carries terms its key
    never had over the step's ``history`` before it (and that history is in the logs)."""
    step = rule.steps[0]
    if not step.new_terms:
        return None
    index = sources.indices(step.sources)
    history = int(step.history.total_seconds())
    oldest: list[Any] = []

    def covered(second: int) -> bool:
        if not oldest:
            found = earliest(client, index, step.timestamp, cost)
            oldest.append(int(found.timestamp()) if found else second)
        return bool(second - history >= oldest[0])

    def seen_before(terms: tuple[Any, ...], second: int) -> bool:
        filters = [
            *_step_filters(rule, step),
            _not_excepted(step),  # excepted activity teaches no history, as in a new-terms rule
            ingested_before(window.end),
            any_of(step.by, [key]),
            any_of(step.new_terms, [terms]),
            time_range(step.timestamp, from_ms((second - history) * 1000), from_ms(second * 1000)),
        ]
        body = {"size": 0, "track_total_hits": 1, "query": {"bool": {"filter": filters}}}
        return bool(search(client, index, body, cost)["hits"]["total"]["value"] > 0)

    def accept(second: int) -> bool:
        return covered(second) and any(not seen_before(terms, second) for terms in seconds[second])

    return accept


def _match(
    client: OpenSearch,
    rule: Rule,
    sources: Sources,
    window: Window,
    key: Key,
    chain: tuple[int, ...],
    cost: Cost,
) -> Match:
    first, last = from_ms(chain[0] * 1000), from_ms(chain[-1] * 1000)
    match = Match(
        tuple(zip(rule.steps[0].by, key, strict=True)),
        first,
        count=len(chain),
        first_seen=iso(first),
        last_seen=iso(last),
    )
    for step, second in zip(rule.steps, chain, strict=True):
        moment = from_ms(second * 1000)
        filters = [
            *_step_filters(rule, step),
            ingested_before(window.end),
            any_of(step.by, [key]),
            time_range(step.timestamp, moment, moment + timedelta(seconds=1)),
        ]
        index = sources.indices(step.sources)
        match.attach(
            documents(client, index, filters, SAMPLES_PER_STEP, cost, step.timestamp), rule.severity_field
        )
    return match
