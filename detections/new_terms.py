"""New-terms rules: a value (or tuple of values) never seen for an entity over ``history``.

A term of an entity (``group_by`` values + ``new_terms`` values) is **new** at its first
sighting ``f`` in a run's window when no event of the same entity and term has a
``@timestamp`` in ``[f - history, f)``. Where that history lives: a state index of first-seen
terms on the alerts (SEARCH) collection, ``<alerts index>-terms``, not the logs:

- one document per (rule, entity, term), ``_id`` = a hash of them, holding ``first_seen`` and
  ``last_seen``; one document per rule (its definition hash) holding ``since``, the time from
  which the state knows every term, and ``current``, the ``event.ingested`` up to which it does
  (its last window's end less the overlap: what that run could not have missed);
- a run reads the terms of its window (a composite aggregation), looks them up by id
  (``mget``, 1,000 ids a request), and after its alerts are stored writes the terms that are
  new, earlier than known, or last seen more than a day before (``last_seen`` is refreshed
  at most daily: a term is then judged new after ``history`` minus at most a day of silence).

Querying the logs instead would scan every event of the window's entities over 14 days,
every run: at 100 million events a day, up to 1.4 billion documents per broad rule (every
API call by identity) every 5 minutes, against a few thousand look-ups by id
(docs/detections.md, "New terms", "Where the history lives").

**Learning.** The first run fills the state from the logs (a composite over the rule's
documents of ``history`` + 1 day before its window, pages of 10,000 terms, up to 10 a run until
done); the state knows terms from ``since`` = the later of that start and the index's earliest
event. Until the fill is done the window is held: the run writes the fill's progress only, the
runner keeps the checkpoint, and the run that completes the fill judges the held span (alerts
wait, they are not lost). A term first seen at ``f`` is judged only when
``f - history >= since``: a deployment with less history than that learns silently first
(replay the older logs to shorten it). A rule whose query, fields or exceptions change gets a
new definition hash and fills again. The run that completes a fill judges from the fill's bound
(``fill.to``) on, whatever the checkpoint says: a checkpoint from another store, or one another
definition's runs moved on, cannot open a span neither filled nor judged.

**Taken up again.** A state whose ``current`` is before the window (the definition was reverted
to after another ran, or detections were off) lacks what was used meanwhile: a gap fill first
learns the terms ingested from ``current`` to the window's start (merged with the state's, the
window held as during any fill), then the window is judged. A gap longer than ``history`` + 1
day fills from scratch instead (it reads less).

The alert id is keyed on the entity, the term and the ``history``-aligned bucket of ``f``:
overlapping runs find the term known (the first run wrote it) or, if that run failed before
writing, raise the same id again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from detections.grouping import definition, is_named, key_of, of_keys, sources
from detections.matches import MAX_SAMPLES, Match, Matches
from detections.rules import Rule, comparison_fields
from detections.search import (
    Cost,
    Sources,
    chunks,
    composite,
    documents,
    earliest,
    from_ms,
    ingested_before,
    ingested_range,
    time_range,
)
from detections.windows import Window, iso, parse_time

Key = tuple[Any, ...]
BACKFILL_MARGIN = timedelta(days=1)
"""How much older than ``window.start - history`` the first fill reads (late events of the
first windows have older times)."""
FILL_PAGE = 10_000
"""Terms per composite page of the fill. Each page is one pass of the engine over the rule's
documents of the whole history (a composite aggregation collects every matching document to
find the next page's keys), so fewer, larger pages fill faster: far below ``search.max_buckets``
(65,535)."""
FILL_PAGES = 10
"""Pages one run's fill reads at most (100,000 terms: the run's memory and writes stay bounded);
fewer once the run's fill budget is spent (:class:`detections.runner.RunSettings`)."""
REFRESH = timedelta(days=1)
"""A known term's ``last_seen`` is rewritten when it moved on by more than this."""
LOOKUPS_PER_REQUEST = 1000
WRITES_PER_REQUEST = 500


@dataclass(frozen=True, slots=True)
class Seen:
    first: datetime
    last: datetime
    count: int = 0

    def joined(self, other: Seen | None) -> Seen:
        if other is None:
            return self
        return Seen(min(self.first, other.first), max(self.last, other.last), self.count + other.count)


class TermsState(Protocol):
    """Where a new-terms rule keeps its terms: :class:`TermsStore`, or :class:`MemoryTerms`."""

    def rule_state(self, rule_key: str) -> dict[str, Any] | None: ...

    def terms(self, ids: Iterable[str], cost: Cost) -> dict[str, Seen]: ...

    def write(self, documents: Mapping[str, dict[str, Any]], cost: Cost) -> None: ...


class MemoryTerms:
    """An in-process terms state (one-off runs: a rule's inline tests, a corpus measured once)."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    def rule_state(self, rule_key: str) -> dict[str, Any] | None:
        state = self.documents.get(rule_key)
        return json.loads(json.dumps(state)) if state is not None else None

    def terms(self, ids: Iterable[str], cost: Cost) -> dict[str, Seen]:
        found = {identifier: self.documents.get(identifier) for identifier in ids}
        cost.state_reads += len(found)
        return {
            identifier: Seen(parse_time(doc["first_seen"]), parse_time(doc["last_seen"]))
            for identifier, doc in found.items()
            if doc is not None
        }

    def write(self, documents: Mapping[str, dict[str, Any]], cost: Cost) -> None:
        self.documents.update(json.loads(json.dumps(documents)))
        cost.state_writes += len(documents)


class TermsStore:
    """The terms state: documents by id in an index of the alerts (SEARCH) collection."""

    def __init__(self, client: OpenSearch, index: str) -> None:
        self._client = client
        self.index = index

    def rule_state(self, rule_key: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.get(index=self.index, id=rule_key)["_source"])
        except NotFoundError:
            return None

    def terms(self, ids: Iterable[str], cost: Cost) -> dict[str, Seen]:
        found: dict[str, Seen] = {}
        for batch in chunks(list(dict.fromkeys(ids)), LOOKUPS_PER_REQUEST):
            cost.state_reads += len(batch)
            try:
                response = self._client.mget(index=self.index, body={"ids": list(batch)})
            except NotFoundError:  # no state index yet
                return {}
            for doc in response.get("docs", []):
                if doc.get("found"):
                    source = doc["_source"]
                    found[doc["_id"]] = Seen(
                        parse_time(source["first_seen"]), parse_time(source["last_seen"])
                    )
        return found

    def write(self, documents: Mapping[str, dict[str, Any]], cost: Cost) -> None:
        items = list(documents.items())
        for batch in chunks(items, WRITES_PER_REQUEST):
            body: list[dict[str, Any]] = []
            for identifier, document in batch:
                body += [{"index": {"_index": self.index, "_id": identifier}}, document]
            response = self._client.bulk(body=body)
            if response.get("errors"):
                failed = [
                    item["index"].get("error") for item in response["items"] if item["index"].get("error")
                ]
                raise RuntimeError(f"terms state not written: {failed[:3]}")
            cost.state_writes += len(batch)


def rule_key(rule: Rule) -> str:
    """The rule's id and a hash of what decides its terms: a changed rule learns again."""
    parts: list[Any] = [rule.index, rule.query_clause(), list(rule.group_by), list(rule.new_terms)]
    if _grouped(rule):  # what a grouping reads decides the terms too
        parts.append(definition(rule.index, rule.group_by))
    if rule.where:  # and which documents the comparisons keep (appended: other rules' hashes stay)
        parts.append([repr(comparison) for comparison in rule.where])
    definition_text = json.dumps(parts, sort_keys=True)
    return f"{rule.id}@{hashlib.sha256(definition_text.encode()).hexdigest()[:12]}"


def term_id(key_of_rule: str, key: Key) -> str:
    material = json.dumps([key_of_rule, list(key)], sort_keys=True, default=str)
    return f"{key_of_rule}-{hashlib.sha256(material.encode()).hexdigest()[:32]}"


def find(
    client: OpenSearch,
    rule: Rule,
    sources: Sources,
    window: Window,
    store: TermsState,
    fill_until: float | None = None,
    settle: timedelta = timedelta(0),
    oldest: datetime | None = None,
) -> Matches:
    """``fill_until``: the ``time.monotonic()`` after which a fill reads no further page (it
    reads one at least); ``None``: up to :data:`FILL_PAGES`. ``settle``: the runner's overlap
    (every document stamped before ``window.end - settle`` was searchable when the window was
    read: docs/detections.md, "Windows, lag and overlap"). ``oldest``: how far back a held span
    is judged at most (the run's ``max_lookback``)."""
    assert rule.history is not None
    cost = Cost()
    index = sources.index(rule.index)
    fields = (*rule.group_by, *rule.new_terms)
    state_key = rule_key(rule)
    stored = store.rule_state(state_key)
    state_before = json.dumps(stored, sort_keys=True)
    state = _picked_up(stored, state_key, rule.history, window)
    fill = state.get("fill")
    filled = _fill(client, index, rule, state, cost, fill_until) if fill else {}
    filling = state.get("fill") is not None
    judged, capped = window, False
    if fill and not filling:
        # This run completed a fill: it judges everything from the fill's bound on, whatever
        # the checkpoint says (one from another store, or moved on by another definition's runs).
        start = min(window.start, parse_time(fill["to"]))
        capped = oldest is not None and start < min(oldest, window.start)
        if capped and oldest is not None:  # as far back as any window: a gap, reported
            start = min(oldest, window.start)
        judged = Window(start, window.end, capped)
    # While the fill goes on, the window is held: neither judged nor learned (its terms would
    # otherwise be known before anyone judged them); the runner keeps the checkpoint, and the
    # run that completes the fill judges the whole held span against the full history. A first
    # fill's pages hold distinct terms the state does not have yet (a page read again after a
    # failed write gives the same documents): nothing to look up; a gap fill's are merged.
    seen = (
        {}
        if filling
        else _seen(client, index, rule, [rule.query_clause(), ingested_range(judged)], fields, cost)
    )
    ids = {key: term_id(state_key, key) for key in {*seen, *filled}}
    gap = fill is not None and bool(fill.get("gap"))
    # A grouping's term may come in several pages (a principal's sessions): an earlier run's
    # page may have written it, and it is merged, not overwritten.
    known = {} if filling and not gap and not _grouped(rule) else store.terms(ids.values(), cost)
    since = parse_time(state["since"]) if state.get("since") else None
    matches = []
    for key, sighting in seen.items():
        if since is None or sighting.first - rule.history < since:
            continue  # learning: the logs do not hold this term's whole history
        before = [earlier.last for earlier in (known.get(ids[key]), filled.get(key)) if earlier]
        if before and max(before) >= sighting.first - rule.history:
            continue
        matches.append(_match(client, index, rule, judged, fields, key, sighting, cost))
    writes = _updates(ids, seen, filled, known, rule.history)
    if not filling:
        current = judged.end - settle
        if state.get("current") is None or parse_time(state["current"]) < current:
            state["current"] = iso(current)
    if json.dumps(state, sort_keys=True) != state_before:
        writes[state_key] = state  # last: the fill's cursor moves on once its terms are written

    def commit() -> None:
        if writes:
            store.write(writes, cost)

    judged_from = judged.start if judged.start != window.start else None
    return Matches(
        matches, cost.hits, cost=cost, commit=commit, filling=filling, window_start=judged_from, capped=capped
    )


def _picked_up(
    state: dict[str, Any] | None, state_key: str, history: timedelta, window: Window
) -> dict[str, Any]:
    """The rule's state as this run takes it up: a first fill for a new definition; a gap fill
    for one not kept up to date (``current``, the ingestion time up to which it holds every
    term, is before the window: another definition ran meanwhile, or detections were off),
    or a first fill again when that gap is longer than the history a first fill reads."""
    current = parse_time(state["current"]) if state and state.get("current") else None
    stale = state is not None and not state.get("fill") and current is not None and current < window.start
    if state is None or (
        stale and current is not None and window.start - current > history + BACKFILL_MARGIN
    ):
        start = window.start - history - BACKFILL_MARGIN
        return {"terms_rule": state_key, "since": None, "fill": {"from": iso(start), "to": iso(window.start)}}
    if stale:
        # What was ingested since the state was last current: learned, not judged (another
        # definition judged it, or nothing did), before the window is judged.
        state["fill"] = {"from": state["current"], "to": iso(window.start), "gap": True}
    return state


def _grouped(rule: Rule) -> bool:
    return any(is_named(name) for name in rule.group_by)


def _seen(
    client: OpenSearch,
    index: str,
    rule: Rule,
    filters: list[dict[str, Any]],
    fields: tuple[str, ...],
    cost: Cost,
    **pages: Any,
) -> dict[Key, Seen]:
    """The terms of the documents ``filters`` keep (a principal's sessions merged) and the
    rule's ``where`` comparisons keep: each field they read is a composite source of its own
    (kept when missing), so every bucket holds one combination of their values, judged as a
    document holding those values would be."""
    metrics = {"first": {"min": {"field": "@timestamp"}}, "last": {"max": {"field": "@timestamp"}}}
    compared = [
        {f"{WHERE}{name}": {"terms": {"field": name, "missing_bucket": True}}}
        for name in comparison_fields(rule.where)
    ]
    out: dict[Key, Seen] = {}
    for bucket in composite(
        client, index, filters, [*sources(rule.index, fields), *compared], cost, metrics, **pages
    ):
        if not _kept(rule, _compared_values(bucket)):
            continue
        key = key_of(rule.index, fields, bucket)
        if key is not None and bucket["first"].get("value") is not None:
            first, last = from_ms(bucket["first"]["value"]), from_ms(bucket["last"]["value"])
            out[key] = Seen(first, last, bucket["doc_count"]).joined(out.get(key))
    return out


WHERE = "where@"
"""The names of the composite sources of the fields a ``where`` reads (apart from the terms')."""


def _compared_values(bucket: Mapping[str, Any]) -> dict[str, Any]:
    """The values a bucket holds of the fields a ``where`` reads, as a nested document."""
    document: dict[str, Any] = {}
    for source, value in bucket["key"].items():
        if source.startswith(WHERE):
            *parents, last = source.removeprefix(WHERE).split(".")
            holder = document
            for part in parents:
                holder = holder.setdefault(part, {})
            holder[last] = value
    return document


def _kept(rule: Rule, document: Mapping[str, Any]) -> bool:
    """Whether the rule's ``where`` keeps a document (or a bucket's values as one)."""
    return all(comparison.holds(document) for comparison in rule.where)


def _fill(
    client: OpenSearch,
    index: str,
    rule: Rule,
    state: dict[str, Any],
    cost: Cost,
    until: float | None,
) -> dict[Key, Seen]:
    """The next pages of the fill: one, then more up to :data:`FILL_PAGES` while ``until`` is
    not past. A first fill reads the rule's terms in the logs before its first window and, on its
    last page, sets ``since``; a gap fill reads those ingested from ``from`` to ``to``."""
    fill = state["fill"]
    start, end = parse_time(fill["from"]), parse_time(fill["to"])
    if fill.get("gap"):
        filters = [rule.query_clause(), time_range("event.ingested", start, end)]
    else:
        filters = [rule.query_clause(), {"range": {"@timestamp": {"gte": iso(start)}}}, ingested_before(end)]
    cursor = {"after": fill.get("after")}
    fields = (*rule.group_by, *rule.new_terms)
    found: dict[Key, Seen] = {}
    for page in range(FILL_PAGES):
        if page and until is not None and time.monotonic() >= until:
            break
        # Pages hold distinct buckets: a field's term is in one of them, a grouping's may be in
        # several (a principal's sessions), merged here and with the state's.
        page_terms = _seen(
            client, index, rule, filters, fields, cost, cursor=cursor, max_pages=1, size=FILL_PAGE
        )
        for key, sighting in page_terms.items():
            found[key] = sighting.joined(found.get(key))
        if cursor["after"] is None:
            if not fill.get("gap"):
                oldest = earliest(client, index, "@timestamp", cost) or end
                state["since"] = iso(max(start, oldest))
            state["fill"] = None
            return found
    fill["after"] = cursor["after"]
    return found


def _updates(
    ids: Mapping[Key, str],
    seen: Mapping[Key, Seen],
    filled: Mapping[Key, Seen],
    known: Mapping[str, Seen],
    history: timedelta,
) -> dict[str, dict[str, Any]]:
    """Term documents to write: new terms, terms seen earlier than known, stale ones, and
    ``last_seen`` moved on by more than :data:`REFRESH`."""
    writes: dict[str, dict[str, Any]] = {}
    for key, identifier in ids.items():
        current = seen[key].joined(filled.get(key)) if key in seen else filled[key]
        stored = known.get(identifier)
        if stored is not None and stored.last < current.first - history:
            stored = None  # silent for longer than the history: this sighting starts afresh
        merged = current.joined(stored)
        if stored is None or merged.first < stored.first or merged.last - stored.last > REFRESH:
            writes[identifier] = {
                # Names the alerts template (``siem-alerts*``) does not map: kept in _source only.
                "term": [str(value) for value in key],
                "first_seen": iso(merged.first),
                "last_seen": iso(merged.last),
            }
    return writes


def _match(
    client: OpenSearch,
    index: str,
    rule: Rule,
    window: Window,
    fields: tuple[str, ...],
    key: Key,
    sighting: Seen,
    cost: Cost,
) -> Match:
    match = Match(
        tuple(zip(fields, key, strict=True)),
        sighting.first,
        count=sighting.count,
        first_seen=iso(sighting.first),
        last_seen=iso(sighting.last),
    )
    filters = [
        rule.query_clause(),
        ingested_range(window),
        of_keys(rule.index, fields, [key]),
        {"range": {"@timestamp": {"gte": iso(sighting.first)}}},
    ]
    samples = documents(client, index, filters, MAX_SAMPLES, cost, "@timestamp")
    match.attach([document for document in samples if _kept(rule, document)], rule.severity_field)
    return match
