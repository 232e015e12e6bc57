"""What a rule found in one run: its matches (one alert each) and what reading them cost."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from detections.rules import Rule, get_field
from detections.search import Cost
from detections.windows import parse_time, source_time

MAX_SAMPLES = 10
"""Documents kept per alert for its summary."""
MAX_EVENT_IDS = 100


@dataclass(slots=True)
class Match:
    """The events of one alert: one dedup key in one suppression bucket (event rules), one
    burst (threshold), one new term (new_terms), one chain (sequence) or one silence (silence)."""

    key: tuple[tuple[str, Any], ...]
    bucket: datetime
    """A moment of the suppression bucket the alert id is keyed on: the event's time (event
    rules), the episode's first trigger (threshold), the term's first sighting (new_terms),
    the chain's first event (sequence)."""
    count: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    max_severity: float | None = None
    what: str | None = None
    """What happened, when the events cannot say it (silence: what stopped arriving)."""
    who: str | None = None
    """Who, when the events cannot say it (a wide silence: delivery, and how many entities)."""
    silent: list[dict[str, Any]] | None = None
    """A wide silence's entities and their last arrivals (``alert.silent``)."""

    def add(self, document: dict[str, Any], severity_field: str | None) -> None:
        """Count ``document`` as one of the alert's events (event rules)."""
        self.count += 1
        moment = source_time(document.get("@timestamp"))
        if moment is not None:
            self.first_seen = min(self.first_seen or moment, moment)
            self.last_seen = max(self.last_seen or moment, moment)
        self.attach([document], severity_field)

    def attach(self, documents: Iterable[dict[str, Any]], severity_field: str | None) -> None:
        """Keep ``documents`` as the alert's sample events (the count is the rule type's)."""
        for document in documents:
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
    cost: Cost = field(default_factory=Cost)
    commit: Callable[[], None] | None = None
    """State to write once the alerts are stored (new_terms: the terms seen), so that a run
    that fails before its alerts leaves the state as it was and the next run finds them again."""
    filling: bool = False
    """A new-terms rule's history is still being filled from the logs: the window was not
    judged, and the runner holds it (the checkpoint stays) until the fill completes."""
    window_start: datetime | None = None
    """Where the judged span started when not at the window's start: a new-terms fill that
    completed judges from its own bound (what it held), which may be earlier."""
    capped: bool = False
    """That span was cut at the run's ``max_lookback``: what was ingested before it was not judged."""

    @property
    def truncated(self) -> bool:
        return self.resume_after is not None


def window_of(match: Match, rule: Rule) -> tuple[datetime, datetime]:
    """The span an alert covers: its events' first and last times."""
    first = parse_time(match.first_seen) if match.first_seen else match.bucket
    last = parse_time(match.last_seen) if match.last_seen else first
    return first, last + timedelta(seconds=1)
