"""Inline SVG charts: bars, grouped columns, a timeline of events in lanes, a chain of boxes.

Each chart is one ``<svg role="img">`` with a ``<title>`` (what a screen reader says), drawn
from numbers and times; every text in it (labels, hover titles) is escaped and cut to fit, its
full value kept in the element's ``<title>``. No script, no style sheet of its own, no link:
the page's Content Security Policy holds for them as for the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from html_pages.page import text

INK, MUTED, RULE, BAND, ACCENT = "#1d2433", "#5b6577", "#d5dae3", "#f4f6f9", "#1f5fae"
PALETTE = ("#1f5fae", "#b42318", "#b54708", "#2e7d32", "#6941c6", "#0e7490", "#5b6577")
"""Series and kinds colours, in order: blue, red, orange, green, purple, teal, grey."""
CHAR_WIDTH = 6.6
"""Average advance of a 12px sans-serif character, to cut texts that would overflow."""


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{text(title)}</title>'
    )


def _fit(value: str, width: float, char_width: float = CHAR_WIDTH) -> str:
    """``value`` cut with an ellipsis to fit ``width`` pixels (escaped)."""
    most = max(int(width / char_width), 2)
    return text(value if len(value) <= most else value[: most - 1] + "\u2026")


def _label(x: float, y: float, value: str, width: float, size: int = 12, **attributes: str) -> str:
    """A text that fits ``width``, its whole value as a hover title when it was cut."""
    extra = "".join(f' {name.replace("_", "-")}="{text(v)}"' for name, v in attributes.items())
    shown = _fit(value, width, CHAR_WIDTH * size / 12)
    hover = f"<title>{text(value)}</title>" if shown != text(value) else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{hover}{shown}</text>'


def bar_chart(title: str, bars: Sequence[tuple[str, int]], color: str = ACCENT) -> str:
    """Horizontal bars, one per ``(label, value)``."""
    width, label_width, row = 520, 130, 22
    height = row * max(len(bars), 1) + 8
    top = max((value for _, value in bars), default=0) or 1
    parts = [_open(title, width, height)]
    for index, (label, value) in enumerate(bars):
        y = 4 + index * row
        length = round((width - label_width - 50) * value / top)
        parts.append(
            _label(0, y + 15, label, label_width - 6)
            + f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="15" fill="{color}"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str]],
    values: Sequence[Sequence[int]],
) -> str:
    """Grouped vertical columns: per category, one column per ``(name, colour)`` of ``series``
    (``values[category][series]``), a legend above, each column's value on its top."""
    width, height, top, bottom, left = 640, 230, 34, 30, 8
    plot = height - top - bottom
    group = (width - left) / max(len(categories), 1)
    column = min(28.0, (group - 16) / max(len(series), 1))
    peak = max((v for row in values for v in row), default=0) or 1
    parts = [_open(title, width, height)]
    x = left
    for name, colour in series:
        parts.append(
            f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"></rect>'
            + _label(x + 16, 18, name, 130, fill=MUTED)
        )
        x += 30 + round(len(name) * CHAR_WIDTH)
    base = top + plot
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="{RULE}"></line>')
    for index, (category, row) in enumerate(zip(categories, values, strict=True)):
        start = left + index * group + (group - column * len(series)) / 2
        for which, ((name, colour), value) in enumerate(zip(series, row, strict=True)):
            x0 = start + which * column
            length = round((plot - 16) * value / peak)
            parts.append(
                f'<rect x="{x0 + 1:.1f}" y="{base - length}" width="{column - 2:.1f}" height="{length}" '
                f'fill="{colour}"><title>{text(f"{category}, {name}: {value}")}</title></rect>'
                f'<text x="{x0 + column / 2:.1f}" y="{base - length - 4}" font-size="11" '
                f'text-anchor="middle">{value}</text>'
            )
        parts.append(
            _label(left + index * group + group / 2, base + 18, category, group - 4, text_anchor="middle")
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Mark:
    """One event on a :func:`timeline`."""

    time: datetime
    lane: int
    """Index into the timeline's lanes."""
    kind: int
    """Index into the timeline's kinds (its colour and legend entry)."""
    label: str
    """What the event is (shown when the pointer rests on it)."""


_STEPS = tuple(
    timedelta(minutes=m)
    for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 20160, 43200)
)


def timeline(
    title: str,
    lanes: Sequence[str],
    kinds: Sequence[str],
    marks: Sequence[Mark],
    counts: Sequence[tuple[datetime, int]] = (),
    counts_label: str = "events",
) -> str:
    """Events as dots on a time axis, one lane per actor, coloured by kind; below them
    ``counts`` (``(interval start, events)``) as a histogram of all activity. UTC times.
    Nothing (``""``) when there is no event to draw."""
    width, left, right, lane_height, top = 900, 200, 16, 26, 30
    histogram = 56 if counts else 0
    times = [mark.time for mark in marks] + [moment for moment, count in counts if count]
    if not times:
        return ""
    start, end = min(times), max(times)
    span = max(end - start, timedelta(minutes=2))
    start, end = start - span / 40, end + span / 40
    span = end - start
    plot = width - left - right

    def x(moment: datetime) -> float:
        return left + plot * ((moment - start) / span)

    lanes_bottom = top + lane_height * len(lanes)
    axis = lanes_bottom + histogram
    height = axis + 26
    parts = [_open(title, width, height)]
    x_legend = float(left)
    for index, kind in enumerate(kinds):
        parts.append(
            f'<circle cx="{x_legend + 6}" cy="14" r="5" fill="{PALETTE[index % len(PALETTE)]}"></circle>'
            + _label(x_legend + 15, 18, kind, 140, fill=MUTED)
        )
        x_legend += 28 + round(len(kind) * CHAR_WIDTH)
    for index, lane in enumerate(lanes):
        y = top + index * lane_height
        if index % 2 == 0:
            parts.append(f'<rect x="0" y="{y}" width="{width}" height="{lane_height}" fill="{BAND}"></rect>')
        parts.append(_label(4, y + 17, lane, left - 12))
    step = next((s for s in _STEPS if span / s <= 8), _STEPS[-1])
    tick = datetime.fromtimestamp((start.timestamp() // step.total_seconds() + 1) * step.total_seconds(), UTC)
    days = start.date() != end.date()
    while tick < end:
        tx = x(tick)
        label = tick.strftime("%m-%d %H:%M" if days else "%H:%M")
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{axis + 4}" stroke="{RULE}"></line>'
            f'<text x="{tx:.1f}" y="{axis + 18}" font-size="11" fill="{MUTED}" text-anchor="middle">'
            f"{label}</text>"
        )
        tick += step
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{width - right}" y2="{axis}" stroke="{MUTED}"></line>')
    parts.append(
        f'<text x="{width - right}" y="{axis + 18}" font-size="11" fill="{MUTED}" '
        'text-anchor="end">UTC</text>'
    )
    if counts:
        parts.append(_histogram(counts, x, lanes_bottom, axis, counts_label))
    for mark in sorted(marks, key=lambda m: (m.time, m.lane, m.kind)):
        cy = top + mark.lane * lane_height + lane_height / 2
        colour = PALETTE[mark.kind % len(PALETTE)]
        parts.append(
            f'<circle cx="{x(mark.time):.1f}" cy="{cy:.1f}" r="5" fill="{colour}" fill-opacity="0.85" '
            f'stroke="#fff" stroke-width="1"><title>{text(mark.label)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(
    counts: Sequence[tuple[datetime, int]],
    x: Callable[[datetime], float],
    top: int,
    base: int,
    label: str,
) -> str:
    busy = sorted((moment, count) for moment, count in counts if count)
    starts = sorted(moment for moment, _ in counts)
    interval = min((b - a for a, b in itertools.pairwise(starts)), default=timedelta(0))
    peak = max((count for _, count in busy), default=1)
    parts = [
        f'<text x="196" y="{base - 4}" font-size="11" fill="{MUTED}" text-anchor="end">{text(label)}</text>'
    ]
    for moment, count in busy:
        x0 = x(moment)
        bar = max(x(moment + interval) - x0 - 1, 2) if interval else 3
        length = max(round((base - top - 10) * count / peak), 1)
        parts.append(
            f'<rect x="{x0:.1f}" y="{base - length}" width="{bar:.1f}" height="{length}" fill="#9aa5b8">'
            f"<title>{text(f'{moment:%Y-%m-%d %H:%M} UTC: {count} {label}')}</title></rect>"
        )
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Box:
    """One node of a :func:`chain_diagram`."""

    heading: str
    """Small text above the name (the identity's type and account)."""
    name: str
    detail: str = ""
    """Small text under the name (its access key)."""
    unknown: bool = False
    """Drawn dashed: a node the data could not establish (an origin not found)."""


def chain_diagram(title: str, boxes: Sequence[Box], arrows: Sequence[str]) -> str:
    """Boxes from top to bottom joined by arrows; ``arrows[i]`` labels the arrow from
    ``boxes[i]`` to ``boxes[i + 1]`` (how the lower one was obtained from the upper one)."""
    width, box_width, box_height, gap, left = 860, 520, 62, 44, 10
    height = len(boxes) * box_height + max(len(boxes) - 1, 0) * gap + 4
    parts = [
        _open(title, width, height),
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{ACCENT}"></path></marker></defs>',
    ]
    for index, box in enumerate(boxes):
        y = 2 + index * (box_height + gap)
        dash = ' stroke-dasharray="5 4"' if box.unknown else ""
        parts.append(
            f'<rect x="{left}" y="{y}" width="{box_width}" height="{box_height}" rx="6" '
            f'fill="{"#fff" if box.unknown else BAND}" stroke="{ACCENT}" stroke-width="1.5"{dash}></rect>'
            + _label(left + 12, y + 17, box.heading, box_width - 24, 11, fill=MUTED)
            + _label(left + 12, y + 36, box.name, box_width - 24, 13, font_weight="600")
            + _label(left + 12, y + 53, box.detail, box_width - 24, 11, fill=MUTED)
        )
        if index < len(arrows) and index + 1 < len(boxes):
            x = left + box_width / 2
            y1, y2 = y + box_height, y + box_height + gap
            parts.append(
                f'<line x1="{x}" y1="{y1 + 1}" x2="{x}" y2="{y2 - 2}" stroke="{ACCENT}" stroke-width="1.5" '
                'marker-end="url(#arrow)"></line>'
                + _label(x + 12, (y1 + y2) / 2 + 4, arrows[index], width - x - 16, 12, fill=INK)
            )
    parts.append("</svg>")
    return "".join(parts)
