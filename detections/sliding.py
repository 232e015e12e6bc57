"""Sliding-window arithmetic, with no engine: triggers, episodes and ordered chains.

Times are whole epoch seconds: CloudTrail's ``eventTime`` has one-second precision, and the
runner reads per-second buckets (a ``date_histogram`` of 1 s), so events of the same second
are counted together (ties never depend on the order the engine returns them in).

- A **trigger** is a second ``t`` at which a group's events in the window ``(t - W, t]``
  reach the threshold (count, or distinct values). Counts only change at event seconds, so
  only those are tried.
- An **episode** starts at a trigger with no other trigger in the ``suppression`` before it:
  a burst that keeps qualifying is one episode however long it lasts, and the alert is keyed
  on the episode's first trigger, which every overlapping run computes the same.
- A **chain** is one event per step of a sequence, in order (ties allowed: events of the
  same second may be in either order), the last no more than ``maxspan`` after the first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Point:
    """The events of one group in one second."""

    second: int
    count: int = 0
    values: Counter[Hashable] = field(default_factory=Counter)
    """Distinct-counted values and how many events carried each (threshold with ``distinct``)."""


@dataclass(frozen=True, slots=True)
class Trigger:
    second: int
    """The second at which the window ``(second - W, second]`` reached the threshold."""
    first: int
    """The earliest second holding events in that window."""
    measure: int
    """Events, or distinct values, in the window."""


def merge(points: Iterable[Point]) -> list[Point]:
    """Points of the same second combined, sorted by time."""
    by_second: dict[int, Point] = {}
    for point in points:
        merged = by_second.setdefault(point.second, Point(point.second))
        merged.count += point.count
        merged.values.update(point.values)
    return [by_second[second] for second in sorted(by_second)]


def triggers(points: Sequence[Point], window: int, threshold: int, distinct: bool) -> list[Trigger]:
    """Every second at which the last ``window`` seconds hold ``threshold`` events (or values).

    ``points`` are sorted by second, one per second (:func:`merge`).
    """
    out: list[Trigger] = []
    held: Counter[Hashable] = Counter()
    count = 0
    oldest = 0
    for point in points:
        count += point.count
        held.update(point.values)
        while points[oldest].second <= point.second - window:
            count -= points[oldest].count
            held.subtract(points[oldest].values)
            oldest += 1
        measure = sum(1 for value in +held) if distinct else count
        if measure >= threshold:
            out.append(Trigger(point.second, points[oldest].second, measure))
    return out


def episode_starts(seconds: Iterable[int], suppression: int) -> list[int]:
    """The seconds with no other one in the ``suppression`` before them (sorted, distinct)."""
    starts: list[int] = []
    previous: int | None = None
    for second in sorted(set(seconds)):
        if previous is None or second - previous > suppression:
            starts.append(second)
        previous = second
    return starts


def chains(
    steps: Sequence[Sequence[int]], maxspan: int, accept_first: Callable[[int], bool] | None = None
) -> list[tuple[int, ...]]:
    """For each first-step second (in order), the earliest chain it starts: each next step's
    earliest second at or after the previous one, the last within ``maxspan`` of the first.

    ``accept_first`` (when given) is asked only about first-step seconds that complete a chain:
    a costly check (a history look-up) runs for the few candidates, not for every event.
    """
    ordered = [sorted(set(seconds)) for seconds in steps]
    out: list[tuple[int, ...]] = []
    for first in ordered[0]:
        chain = [first]
        for seconds in ordered[1:]:
            following = _first_at_or_after(seconds, chain[-1])
            if following is None or following - first > maxspan:
                break
            chain.append(following)
        if len(chain) == len(ordered) and (accept_first is None or accept_first(first)):
            out.append(tuple(chain))
    return out


def _first_at_or_after(seconds: Sequence[int], moment: int) -> int | None:
    low, high = 0, len(seconds)
    while low < high:
        middle = (low + high) // 2
        if seconds[middle] < moment:
            low = middle + 1
        else:
            high = middle
    return seconds[low] if low < len(seconds) else None


def window_bounds(measures: dict[int, int], size: int) -> dict[int, int]:
    """Per ``size``-aligned bucket holding events (start -> events or distinct values), an upper
    bound of any window of ``size`` seconds *ending* in it: such a window spans at most that
    bucket and the one before, so the bound is their sum (distinct values of two buckets
    number at most the sum of each one's). A bucket whose bound is below the threshold can
    hold no trigger, and its events need not be read one second at a time."""
    return {start: measure + measures.get(start - size, 0) for start, measure in measures.items()}
