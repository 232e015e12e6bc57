"""The query window of one rule in one run: lagged, overlapping, on ``event.ingested``.

    end   = now - lag
    start = checkpoint - overlap          (checkpoint = the previous run's end)
            or end - first_lookback       (no checkpoint yet)
    start = max(start, end - max_lookback)

A document stamped ``event.ingested = t`` is searchable by ``t + D`` (D: the longest ingest
invocation plus the collection's refresh delay). The last run whose window holds ``t`` runs
at ``now > t + overlap + lag``, so ``overlap + lag >= D`` guarantees that some run sees every
document; deterministic alert ids make the earlier sightings harmless (docs/detections.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    capped: bool = False
    """The checkpoint was older than ``max_lookback``: the gap before ``start`` was not queried."""

    @property
    def empty(self) -> bool:
        return self.start >= self.end


def next_window(checkpoint: datetime | None, now: datetime, *, lag: timedelta, overlap: timedelta,
                first_lookback: timedelta, max_lookback: timedelta) -> Window:
    end = now - lag
    start = checkpoint - overlap if checkpoint is not None else end - first_lookback
    capped = start < end - max_lookback
    if capped:
        start = end - max_lookback
    return Window(min(start, end), end, capped)


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and ``Z`` (the schema's date format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(text: str) -> datetime:
    """RFC 3339 / ISO 8601 (``Z`` or offset; naive means UTC) -> aware datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def bucket_start(moment: datetime, size: timedelta) -> datetime:
    """The start of the epoch-aligned bucket of ``size`` holding ``moment``."""
    seconds = int(size.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)
