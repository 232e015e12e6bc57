"""The page shell and its charts: escaping, links, and what each chart draws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import html_pages
from html_pages import Box, Mark
from tests.html_pages.parsed import Parsed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAYLOAD = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"


def test_every_text_of_a_page_is_escaped_and_the_page_loads_nothing() -> None:
    body = html_pages.paragraph(PAYLOAD) + html_pages.table(("a",), [(PAYLOAD,)])
    tree = Parsed(html_pages.page(PAYLOAD, body, PAYLOAD))
    assert set(tree.tags()) - {"meta", "style"} == {
        *("html", "head", "title", "body", "header", "h1", "p"),
        *("table", "thead", "tbody", "tr", "th", "td", "wbr"),
    }
    assert sum(data == PAYLOAD for data in tree.pieces) == 4  # title, h1, subtitle, paragraph
    cell = tree.pieces[tree.pieces.index("a") + 1 :]
    assert "".join(cell).strip() == PAYLOAD  # the cell's text, with places it may wrap
    csp = [attrs["content"] for tag, attrs in tree.elements if attrs.get("http-equiv")]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_only_a_web_url_becomes_a_link() -> None:
    assert Parsed(html_pages.link("open", 'https://d.example/x?a=1&b="2"')).elements == [
        ("a", {"href": 'https://d.example/x?a=1&b="2"', "rel": "noreferrer"})
    ]
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd"):
        tree = Parsed(html_pages.link("open", url))
        assert tree.elements == [] and "".join(tree.pieces) == f"open: {url}"


def test_the_timeline_draws_one_dot_per_event_in_its_lane_and_a_bar_per_busy_interval() -> None:
    marks = [
        Mark(T0, 0, 0, "sign-in"),
        Mark(T0 + timedelta(minutes=10), 1, 1, PAYLOAD),
        Mark(T0 + timedelta(minutes=20), 1, 2, "write"),
    ]
    counts = [(T0, 3), (T0 + timedelta(minutes=5), 0), (T0 + timedelta(minutes=10), 7)]
    svg = html_pages.timeline("activity", ["hop 1", PAYLOAD], ["sign-in", "error", "write"], marks, counts)
    tree = Parsed(svg)
    assert tree.tags().count("svg") == 1 and "script" not in tree.tags() and "img" not in tree.tags()
    dots = [attrs for tag, attrs in tree.elements if tag == "circle" and attrs.get("stroke") == "#fff"]
    assert len(dots) == 3  # the legend's circles have no stroke
    ys = [float(dot["cy"] or 0) for dot in dots]
    assert ys[1] == ys[2] > ys[0]  # two events in the second lane, below the first
    xs = [float(dot["cx"] or 0) for dot in dots]
    assert xs[0] < xs[1] < xs[2] and xs[2] - xs[1] == pytest.approx(xs[1] - xs[0], abs=0.2)  # linear
    bars = [attrs for tag, attrs in tree.elements if tag == "rect" and attrs.get("fill") == "#9aa5b8"]
    assert len(bars) == 2  # the empty interval draws nothing
    assert float(bars[1]["height"] or 0) > float(bars[0]["height"] or 0)
    assert "09:00" in tree.pieces and "UTC" in tree.pieces
    assert PAYLOAD in tree.pieces  # the hover title of the dot, as text


def test_an_empty_timeline_is_no_chart() -> None:
    assert html_pages.timeline("activity", ["hop 1"], ["write"], [], [(T0, 0)]) == ""


def test_the_chain_diagram_joins_each_box_to_the_next_with_its_labelled_arrow() -> None:
    boxes = [Box("IAMUser", "ci-deploy"), Box("AssumedRole", PAYLOAD, "ASIA1"), Box("?", "?", unknown=True)]
    tree = Parsed(html_pages.chain_diagram("chain", boxes, ["AssumeRole at 09:00", "AssumeRole at 09:05"]))
    rects = [attrs for tag, attrs in tree.elements if tag == "rect"]
    arrows = [attrs for tag, attrs in tree.elements if tag == "line"]
    assert len(rects) == 3 and len(arrows) == 2
    assert [r.get("stroke-dasharray") for r in rects] == [None, None, "5 4"]
    assert "AssumeRole at 09:05" in tree.pieces and "ci-deploy" in tree.pieces
    assert "script" not in tree.tags()


def test_a_long_label_is_cut_to_fit_and_kept_whole_in_its_hover_title() -> None:
    name = "arn:aws:sts::111122223333:assumed-role/" + "x" * 200
    tree = Parsed(html_pages.chain_diagram("chain", [Box("AssumedRole", name)], []))
    assert name in tree.pieces  # the <title>
    shown = [data for data in tree.pieces if data.endswith("\u2026")]
    assert len(shown) == 1 and name.startswith(shown[0][:-1]) and len(shown[0]) < 90


def test_columns_are_as_tall_as_their_values_and_coloured_by_series() -> None:
    svg = html_pages.column_chart(
        "findings", ("HIGH", "LOW"), (("new", "#111111"), ("open", "#222222")), [(4, 2), (0, 2)]
    )
    columns = [
        (attrs["fill"], float(attrs["height"] or 0))
        for tag, attrs in Parsed(svg).elements
        if tag == "rect" and attrs.get("width") != "12"  # the legend's squares are 12 wide
    ]
    tallest = columns[0][1]
    assert columns == [
        ("#111111", tallest),
        ("#222222", tallest / 2),
        ("#111111", 0),
        ("#222222", tallest / 2),
    ]
    assert {"HIGH", "LOW", "new", "open", "4", "2", "0"} <= set(Parsed(svg).pieces)
