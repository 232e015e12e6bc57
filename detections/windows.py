"""The query window of one rule in one run: lagged, overlapping, on ``event.ingested``.

    end   = now - lag
    start = checkpoint - overlap          (checkpoint = the previous run's end)
            or end - first_lookback       (no checkpoint yet)
    start = max(start, end - max_lookback)

A document stamped ``event.ingested = t`` is searchable by ``t + D`` (D: the longest ingest
invocation plus the collection's refresh delay). The last run whose window holds ``t`` runs
at ``now > t + overlap + lag``, so ``overlap + lag >= D`` guarantees that some run sees every
document; deterministic alert ids make the earlier sightings harmless (docs/detections.md).

A window cut short by the per-run hit budget is finished first: the checkpoint keeps its end
and the sort values of the last hit read (``resume_after``), and the next window runs from
there to that same end, with no overlap subtracted (it would re-read what was just read and
never get past it). Only a finished window moves on to ``[end - overlap, now - lag)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a rule stopped: the end of its last window and, if that window was cut short, where."""

    end: datetime
    resume_after: tuple[Any, ...] | None = None
    """Sort values (``event.ingested`` in epoch milliseconds, ``event.id``) of the last hit read
    when the hit budget stopped the window before ``end``; ``None`` once the window is done."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    capped: bool = False
    """The checkpoint was older than ``max_lookback``: the gap before ``start`` was not queried."""
    resume_after: tuple[Any, ...] | None = None
    """Read only the hits sorted after these values (the rest of a window cut short)."""

    @property
    def empty(self) -> bool:
        return self.start >= self.end


def next_window(
    checkpoint: Checkpoint | None,
    now: datetime,
    *,
    lag: timedelta,
    overlap: timedelta,
    first_lookback: timedelta,
    max_lookback: timedelta,
) -> Window:
    end = now - lag
    if checkpoint is not None and checkpoint.resume_after is not None and checkpoint.end > end - max_lookback:
        return Window(
            resume_time(checkpoint.resume_after), checkpoint.end, resume_after=checkpoint.resume_after
        )
    start = checkpoint.end - overlap if checkpoint is not None else end - first_lookback
    capped = start < end - max_lookback
    if capped:
        start = end - max_lookback
    return Window(min(start, end), end, capped)


def resume_time(resume_after: tuple[Any, ...]) -> datetime:
    """The ``event.ingested`` of a resume cursor (its first sort value, epoch milliseconds)."""
    return datetime.fromtimestamp(int(resume_after[0]) / 1000, UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds and ``Z`` (the schema's date format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def source_time(value: Any) -> str | None:
    """A date read from a document's ``_source`` as RFC 3339 text: flow documents write their
    dates in epoch milliseconds (docs/sources/vpcflow.md, "Document size")."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value // 1000, UTC).replace(microsecond=value % 1000 * 1000)
        return iso(moment) if moment.microsecond else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def parse_time(text: str) -> datetime:
    """RFC 3339 / ISO 8601 (``Z`` or offset; naive means UTC) -> aware datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def bucket_start(moment: datetime, size: timedelta) -> datetime:
    """The start of the epoch-aligned bucket of ``size`` holding ``moment``."""
    seconds = int(size.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)
