"""Silence rules: an entity (an account, in one data stream) that sent every hour stops sending.

Every other rule type fires on what arrives; this one on what no longer does (docs/detections.md,
"Silence"). Arrivals are counted on ``event.ingested`` (delivery, not event time: CloudTrail's
delivery delay and a late backfill are arrivals now) in UTC hour slots.

- **Regular**: the state has known the entity for the whole ``history`` before its last
  arrival, and over those ``history`` hours it never went :func:`gap` hours in a row without an
  arrival (``quiet // 2`` hours, at least 1: with ``quiet: 3h``, an arrival every hour).
- **Silent**: the run's end is ``quiet`` or more after the last arrival. Before alerting, the
  run reads the entity's latest document in the logs (the alert's sample): a document the state
  missed ends the silence instead.
- **One alert per episode** (the last arrival): the state records it (``alerted``); when the
  entity sends again, the hours of that reported silence count as sent, so it alerts again if it
  stops again.
- **Wide**: :data:`WIDE` or more regular entities *overdue* in one run (:meth:`Entity.overdue`:
  :func:`gap` whole hour slots without an arrival, which they never had in ``history``), one of
  them silent: one alert for all of them (our delivery or the organization trail stopped, not
  500 accounts each cut). The state keeps that wide silence open: an entity overdue meanwhile
  joins it without an alert; at the first run where one of its entities sends again it ends,
  and those still silent are judged again, their silence counted from that run (``after``).

The state is one document per rule definition in the terms state index of the SEARCH
collection (:class:`detections.new_terms.TermsState`): per entity its last arrival, the first
hour slot it was known in, a bitmap of the last ``history + 1`` hour slots with arrivals, and
the episode alerted. A run reads its window once (a composite of entity x hour, with the latest
``event.ingested``), never the history: that lives in the state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections.grouping import key_of, of_keys, sources
from detections.matches import Match, Matches
from detections.new_terms import TermsState
from detections.rules import Rule
from detections.search import (
    Cost,
    Sources,
    composite,
    from_ms,
    ingested_before,
    ingested_range,
    search,
    time_range,
)
from detections.windows import Window, iso, parse_time

HOUR = timedelta(hours=1)
Key = tuple[Any, ...]
WIDE = 5
"""Regular entities overdue in one run that make one wide alert instead of one alert each: a
count (the pages it saves), not a share of the regular entities (docs/detections.md, "Silence")."""
NAMED = 50
"""Entities named in a wide alert's ``what`` (``alert.silent`` lists them all)."""
CAUSES = {
    "cloudtrail": "our delivery or the organization trail",
    "vpcflow": "our delivery or the flow logs' bucket",
}
"""What stops many entities' records at once, per data stream (a wide alert says it)."""


def slot(moment: datetime) -> int:
    """The UTC hour slot of ``moment`` (hours since the epoch)."""
    return int(moment.timestamp() // 3600)


def gap(rule: Rule) -> int:
    """Empty hour slots in a row that make an entity irregular: half of ``quiet``, at least 1."""
    assert rule.quiet is not None
    return max(1, int(rule.quiet / HOUR) // 2)


def rule_key(rule: Rule) -> str:
    """The rule's id and a hash of its entity: another data stream or group_by learns again."""
    return f"{rule.id}@{_digest([rule.type, rule.index, list(rule.group_by)])}"


def _digest(parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


@dataclass(slots=True)
class Entity:
    """What the state knows of one entity (its JSON form: :meth:`to_dict`)."""

    key: Key
    last: datetime
    """Its latest ``event.ingested``."""
    since: int
    """The first hour slot the state knew it in."""
    to: int
    """The hour slot of bit 0 of :attr:`hours` (the latest slot with an arrival)."""
    hours: int
    """Bit ``i``: an arrival in slot ``to - i``."""
    alerted: datetime | None = None
    """The last arrival of the silence episode alerted on (on its own or in a wide alert)."""
    wide: datetime | None = None
    """The wide silence (its key: the earliest last arrival) that reported this episode."""
    after: datetime | None = None
    """The run that ended the wide silence this entity was in while it stayed silent: its
    silence is judged again, counted from there."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entity:
        alerted, wide, after = data.get("alerted"), data.get("wide"), data.get("after")
        return cls(
            tuple(data["key"]),
            parse_time(data["last"]),
            int(data["since"]),
            int(data["to"]),
            int(data["hours"], 16),
            parse_time(alerted) if alerted else None,
            parse_time(wide) if wide else None,
            parse_time(after) if after else None,
        )

    def to_dict(self) -> dict[str, Any]:
        data = {
            "key": list(self.key),
            "last": iso(self.last),
            "since": self.since,
            "to": self.to,
            "hours": format(self.hours, "x"),
            "alerted": iso(self.alerted) if self.alerted else None,
        }
        # Only while set: most entities are in no wide silence, and the state stays as small.
        for name, moment in (("wide", self.wide), ("after", self.after)):
            if moment is not None:
                data[name] = iso(moment)
        return data

    def arrived(self, slots: Mapping[int, datetime], width: int) -> None:
        """Arrivals in ``slots`` (hour slot -> latest ``event.ingested`` in it)."""
        latest = max(slots.values())
        if self.alerted is not None and self.alerted == self.last and latest > self.last:
            # It sends again after a silence we reported: those hours are not held against it.
            resumed = min(number for number, moment in slots.items() if moment > self.last)
            for number in range(slot(self.last) + 1, resumed):
                self._set(number, width)
            self.alerted = self.wide = self.after = None
        for number in sorted(slots):
            self._set(number, width)
        self.last = max(self.last, latest)

    def _set(self, number: int, width: int) -> None:
        if number > self.to:
            self.hours <<= number - self.to
            self.to = number
        if self.to - number < width:
            self.hours |= 1 << (self.to - number)
        self.hours &= (1 << width) - 1

    @property
    def reported(self) -> bool:
        """Its silence was alerted on (alone, or in a wide silence still open)."""
        return self.alerted == self.last and self.after is None

    def silent_since(self) -> datetime:
        """Where its silence is counted from: its last arrival, or the end of a wide silence."""
        return max(self.last, self.after) if self.after else self.last

    def overdue(self, end: datetime, empty_run: int) -> bool:
        """``empty_run`` whole hour slots have passed without an arrival, before ``end``'s slot."""
        return slot(end) - slot(self.silent_since()) - 1 >= empty_run

    def report(self, wide: datetime | None) -> None:
        """Its silence alerted on: alone (``wide`` ``None``) or in the wide silence ``wide``."""
        self.alerted, self.wide, self.after = self.last, wide, None

    def regular(self, history_hours: int, empty_run: int) -> bool:
        """Known for ``history_hours`` before its last arrival's slot, and never ``empty_run``
        slots in a row without an arrival in them."""
        end = slot(self.last)
        if self.since > end - history_hours:
            return False
        run = 0
        for number in range(end - history_hours + 1, end + 1):
            offset = self.to - number
            filled = offset >= 0 and (self.hours >> offset) & 1
            run = 0 if filled else run + 1
            if run >= empty_run:
                return False
        return True


def find(client: OpenSearch, rule: Rule, sources_: Sources, window: Window, store: TermsState) -> Matches:
    """The entities silent at ``window.end`` that sent regularly before, alone or in one wide
    alert; the window's arrivals update the state (written by the returned ``commit`` once the
    alerts are stored)."""
    assert rule.history is not None and rule.quiet is not None
    cost = Cost()
    index = sources_.index(rule.index)
    state_key = rule_key(rule)
    cost.state_reads += 1
    state = store.rule_state(state_key) or {"silence_rule": state_key, "entities": {}}
    entities = {name: Entity.from_dict(data) for name, data in state["entities"].items()}
    query = _digest(rule.query_clause())
    if state.get("query") not in (None, query):
        # Another query (an exception added: an account's documents no longer count) keeps what
        # the state learned; the silences it starts are taken as reported, later ones alert.
        for entity in entities.values():
            entity.alerted, entity.after = entity.last, None
    state["query"] = query
    history_hours = int(rule.history / HOUR)
    width = history_hours + 1
    outage: datetime | None = parse_time(state["outage"]["key"]) if state.get("outage") else None
    resumed = False
    for key, slots in _arrivals(client, index, rule, window, cost).items():
        name = json.dumps(list(key), default=str)
        if name not in entities:
            first = min(slots)
            entities[name] = Entity(key, slots[first], first, first, 0)
        resumed = resumed or (outage is not None and entities[name].wide == outage)
        entities[name].arrived(slots, width)
    for name, entity in list(entities.items()):
        if window.end - entity.last > rule.history + rule.quiet:
            del entities[name]  # long gone (alerted, if it was regular); learns again if it returns
    if outage is not None and (resumed or all(entity.wide != outage for entity in entities.values())):
        # Delivery works again: who is still silent is judged again, from this run on.
        for entity in entities.values():
            if entity.wide == outage:
                entity.after, entity.wide = window.end, None
        outage, state["outage"] = None, None
    regular = {name for name, entity in entities.items() if entity.regular(history_hours, gap(rule))}
    overdue = [
        entity
        for name, entity in entities.items()
        if name in regular and not entity.reported and entity.overdue(window.end, gap(rule))
    ]
    matches = []
    if outage is not None:  # the stragglers of an open wide silence join it
        for entity in overdue:
            entity.report(outage)
    elif _wide(rule, overdue, window.end):
        for entity, newer in _newer(client, index, rule, overdue, window.end, cost):
            entity.arrived({slot(newer): newer}, width)  # missed by the windows: sends again
        overdue = [entity for entity in overdue if entity.overdue(window.end, gap(rule))]
        if _wide(rule, overdue, window.end):
            # Keyed on where their silence is counted from: a region still down after an outage
            # (silent since its end) is a new wide silence, not the first one's id again.
            start = min(entity.silent_since() for entity in overdue)
            for entity in overdue:
                entity.report(start)
            state["outage"] = {"key": iso(start), "raised": iso(window.end), "entities": len(overdue)}
            matches.append(_wide_match(rule, overdue, len(regular), start, window.end))
    for name, entity in entities.items():
        if name not in regular or entity.reported or window.end - entity.silent_since() < rule.quiet:
            continue
        latest = _latest(client, index, rule, entity.key, window.end, cost)
        moment = _ingested(latest) if latest is not None else None
        if moment is not None and moment > entity.last:  # missed by the windows: no silence
            entity.arrived({slot(moment): moment}, width)
            if window.end - entity.last < rule.quiet or not entity.regular(history_hours, gap(rule)):
                continue
        matches.append(_match(rule, entity, window.end, latest))
        entity.report(None)
    state["entities"] = {name: entity.to_dict() for name, entity in entities.items()}

    def commit() -> None:
        store.write({state_key: state}, cost)

    return Matches(matches, cost.hits, cost=cost, commit=commit)


def _wide(rule: Rule, overdue: list[Entity], end: datetime) -> bool:
    """Enough entities overdue at once, one of them silent for ``quiet``."""
    assert rule.quiet is not None
    return len(overdue) >= WIDE and any(end - entity.silent_since() >= rule.quiet for entity in overdue)


def _newer(
    client: OpenSearch, index: str, rule: Rule, overdue: list[Entity], end: datetime, cost: Cost
) -> list[tuple[Entity, datetime]]:
    """The entities with a document ingested after their last arrival that the state missed,
    and its time: one composite for all of them (not one search each)."""
    by_key = {entity.key: entity for entity in overdue}
    start = min(entity.last for entity in overdue)
    filters = [
        rule.query_clause(),
        of_keys(rule.index, rule.group_by, by_key),
        time_range("event.ingested", start, end),
    ]
    metrics = {"latest": {"max": {"field": "event.ingested"}}}
    out = []
    for bucket in composite(client, index, filters, sources(rule.index, rule.group_by), cost, metrics):
        key, value = key_of(rule.index, rule.group_by, bucket), bucket["latest"].get("value")
        entity = by_key.get(key) if key is not None else None
        if entity is not None and value is not None and from_ms(value) > entity.last:
            out.append((entity, from_ms(value)))
    return out


def _arrivals(
    client: OpenSearch, index: str, rule: Rule, window: Window, cost: Cost
) -> dict[Key, dict[int, datetime]]:
    """Per entity, the hour slots of the window's documents and the latest ``event.ingested`` in each."""
    hour = {"@hour": {"date_histogram": {"field": "event.ingested", "fixed_interval": "1h"}}}
    metrics = {"latest": {"max": {"field": "event.ingested"}}}
    filters = [rule.query_clause(), ingested_range(window)]
    out: dict[Key, dict[int, datetime]] = {}
    for bucket in composite(
        client, index, filters, [*sources(rule.index, rule.group_by), hour], cost, metrics
    ):
        key = key_of(rule.index, rule.group_by, bucket)
        value = bucket["latest"].get("value")
        if key is None or value is None:
            continue
        moment = from_ms(value)
        out.setdefault(key, {})[slot(moment)] = moment
    return out


def _latest(
    client: OpenSearch, index: str, rule: Rule, key: Key, end: datetime, cost: Cost
) -> dict[str, Any] | None:
    """The entity's latest document ingested before ``end``."""
    body = {
        "size": 1,
        "query": {
            "bool": {
                "filter": [
                    rule.query_clause(),
                    of_keys(rule.index, rule.group_by, [key]),
                    ingested_before(end),
                ]
            }
        },
        "sort": [{"event.ingested": "desc"}],
    }
    found = search(client, index, body, cost)["hits"]["hits"]
    return dict(found[0]["_source"]) if found else None


def _ingested(document: Mapping[str, Any]) -> datetime | None:
    event = document.get("event")
    value = event.get("ingested") if isinstance(event, Mapping) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    return parse_time(value) if isinstance(value, str) else None


def _match(rule: Rule, entity: Entity, end: datetime, latest: dict[str, Any] | None) -> Match:
    assert rule.history is not None
    silent = int((end - entity.last) / timedelta(minutes=1))
    entity_text = ", ".join(f"{name} {value}" for name, value in zip(rule.group_by, entity.key, strict=True))
    regularity = "in every hour" if gap(rule) == 1 else f"with never {gap(rule)} hours in a row missing"
    resumed = f"; it stayed silent after the others resumed at {iso(entity.after)}" if entity.after else ""
    match = Match(
        tuple(zip(rule.group_by, entity.key, strict=True)),
        entity.last,
        first_seen=iso(entity.last),
        last_seen=iso(end),
        what=(
            f"no {rule.index} records from {entity_text} for {silent // 60}h{silent % 60:02d}m "
            f"(last ingested {iso(entity.last)}); it sent {regularity} of the {rule.history.days} days before"
            f"{resumed}"
        ),
    )
    if latest is not None:
        match.attach([_sample(latest)], None)
    return match


def _wide_match(rule: Rule, overdue: list[Entity], regular: int, start: datetime, end: datetime) -> Match:
    """One alert for the entities silent at once: the count, each one and its last arrival in
    ``alert.silent``, the first :data:`NAMED` in ``what``; no sample (no one account's alert)."""
    overdue = sorted(overdue, key=lambda entity: (entity.last, entity.key))
    count, earliest, latest = len(overdue), overdue[0].last, overdue[-1].last
    noun = (
        "accounts"
        if list(rule.group_by) == ["cloud.account.id"]
        else f"entities ({', '.join(rule.group_by)})"
    )
    names = [", ".join(str(value) for value in entity.key) for entity in overdue]
    first = "; ".join(names[:3]) + (f" and {count - 3} more" if count > 3 else "")
    listed = "; ".join(names[:NAMED]) + (f" and {count - NAMED} more (alert.silent)" if count > NAMED else "")
    return Match(
        tuple((name, "*") for name in rule.group_by),
        start,
        count=count,
        first_seen=iso(start),
        last_seen=iso(end),
        who=f"delivery, not {count} separate silences: {count} of {regular} regular {noun} silent at once ({first})",
        what=(
            f"no {rule.index} records from {count} of {regular} regular {noun} at once "
            f"(last ingested {iso(earliest)} to {iso(latest)}): {CAUSES.get(rule.index, 'our delivery')} "
            f"stopped, not {count} intrusions; {listed}"
        ),
        silent=[
            {"key": dict(zip(rule.group_by, entity.key, strict=True)), "last": iso(entity.last)}
            for entity in overdue
        ],
    )


def _sample(document: Mapping[str, Any]) -> dict[str, Any]:
    """The last record's account and times, not its actor or addresses: whoever made the last
    call did not stop the logs, and an alert naming them would join their incidents."""
    event = _mapping(document.get("event"))
    account = _mapping(document.get("aws")).get("account")
    sample: dict[str, Any] = {
        "@timestamp": document.get("@timestamp"),
        "event": {name: event[name] for name in ("id", "dataset", "ingested") if name in event},
        "cloud": document.get("cloud"),
    }
    if isinstance(account, Mapping):
        sample["aws"] = {"account": account}
    return sample


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
