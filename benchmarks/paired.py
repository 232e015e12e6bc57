"""Paired rounds: a ratio of two throughputs that holds on a shared, noisy machine.

On 2 cores shared with other work, one side's rate measured in a quiet second and the other's
in a busy one read a ratio that says more about the moment than about the code; even a median
of three long rounds moved 0.64 -> 0.81 between consecutive runs of the same code (issue 15).
Here a round measures every side back to back on the same input, in an order that is reversed
from one round to the next (no side always runs first, in a warmer or colder cache, nor always
after another's garbage), so each round's own ratio compares runs made moments apart, which
the load moves together. The ratio reported is the median of many rounds' ratios, its spread
(least, quartiles, greatest) beside it: a reader sees whether most rounds meet a target or
the median alone, and how far one run can be trusted.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar

_T = TypeVar("_T")


def paired_rounds(rounds: int, *measures: Callable[[int], _T]) -> list[list[_T]]:
    """``rounds`` rounds of every measure (called with the round's number, so that a caller
    may give each round its own piece of the input), in the order given in even rounds and
    reversed in odd ones: one list of results per measure, in round order."""
    results: list[list[_T]] = [[] for _ in measures]
    order = list(range(len(measures)))
    for number in range(rounds):
        for which in order if number % 2 == 0 else reversed(order):
            results[which].append(measures[which](number))
    return results


def round_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Each round's own ratio (``numerators[i] / denominators[i]``)."""
    return [top / bottom for top, bottom in zip(numerators, denominators, strict=True)]


def summary(ratios: Sequence[float], name: str) -> dict[str, float | int | list[float]]:
    """``name``: the median of the rounds' ratios; ``<name>_spread``: [least, first quartile,
    third quartile, greatest]; ``<name>_rounds``: how many rounds."""
    if not ratios:
        raise ValueError("no rounds to summarize")
    ordered = sorted(ratios)
    quartiles = statistics.quantiles(ordered, n=4, method="inclusive") if len(ordered) > 1 else ordered * 3
    return {
        name: round(statistics.median(ordered), 3),
        f"{name}_spread": [
            round(ordered[0], 3),
            round(quartiles[0], 3),
            round(quartiles[2], 3),
            round(ordered[-1], 3),
        ],
        f"{name}_rounds": len(ordered),
    }
