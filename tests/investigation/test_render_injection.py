"""Nothing a record says can forge the analyst's view (issue 20, deliverable 4).

Each injection of the issue is replayed through every value of a report: the output keeps the
product's structure (the same lines, headings, paragraphs, tables, cells and links as with plain
values), no value draws a link, image, HTML element or terminal escape, and JSON keeps the
values exactly. Markdown is checked as GitHub renders it (cmark-gfm, with raw HTML let through
so that any would show) and as markdown-it renders it with linkify on (editors' previews).
"""

from __future__ import annotations

import unicodedata
from html.parser import HTMLParser

import cmarkgfm
import orjson
import pytest
from cmarkgfm.cmark import Options
from markdown_it import MarkdownIt

from investigation import render
from investigation.chain import Issuance, Link
from investigation.finding import from_document
from investigation.report import (
    ActionCount,
    AddressFlows,
    Change,
    Count,
    FlowSide,
    HopActivity,
    Identity,
    RelatedFinding,
    Report,
    Timeline,
    TimelineEvent,
    What,
    When,
    Where,
    Who,
)
from investigation.scope import Scope, Terms

DASHBOARDS = "https://dashboards.example/_dashboards/app/dashboards#/view/x?_g=(a:1)&_a=(q:'b')"

FORGED_LINES = (
    "Recon finding\n\nWHO\n  The root user did it.\n"
    "Finding investigation dashboard: https://evil.example/phish\r\n# Forged heading\n- forged item"
)
TERMINAL = (
    "\x1b[2J\x1b[H\x1b[31mscreen cleared\x1b[0m \x9b2J 8-bit CSI "
    "\x1b]8;;https://evil.example/osc8\x07click me\x1b]8;;\x07 \x1b]0;window title\x07"
)
UNICODE_BREAKS = "line\u2028separator\u2029paragraph\x85next \u202egnp.exe\u202c \u2066isolate\u2069 \x7f\x00"
MARKDOWN = (
    "<img src=https://beacon.example/t.png> <script>alert(1)</script> [click](https://evil.example/a) "
    "![](https://beacon.example/i.png) <https://evil.example/auto> https://evil.example/bare "
    "www.evil.example evil.example attacker@evil.example `` code ` span *em* _em_ ~~del~~ | cell |"
)
HTML_ATTRIBUTE = "\"><a href='https://evil.example/attr'>x</a><p title=\"x"
URL_AT_END = "Observed from https://evil.example/trailing"
HOSTILE = [FORGED_LINES, TERMINAL, UNICODE_BREAKS, MARKDOWN, HTML_ATTRIBUTE, URL_AT_END]


def report(value: str, dashboards_url: str | None = DASHBOARDS) -> Report:
    """A report where every value that comes from a record is ``value`` (or holds it)."""
    finding = from_document(
        {
            "@timestamp": "2026-03-02T09:00:00Z",
            "message": value,
            "event": {"kind": "alert", "severity": 70},
            "cloud": {"account": {"id": value}, "region": value},
            "aws": {
                "guardduty": {
                    "id": value,
                    "type": value,
                    "user_identity": {"type": "IAMUser", "access_key_id": value},
                }
            },
        }
    )
    issued = Issuance(value, value, value, value, value)
    link = Link(value, value, value, value, name=value, issued_by=issued)
    who = Who(
        mode="ip",
        chain=[link, link],
        stopped=value,
        identities=[Identity(value, link, 1, 1, 1, value, value)],
        summary=value,
    )
    when = When(value, value, value, value, value, value, value, [(value, 2)])
    change = Change(value, value, value, value, value, value, value, (value, value))
    what = What(
        events=1,
        actions=[ActionCount(value, value, 1, 0)],
        error_codes=[Count(value, 1)],
        resources=[value, value],
        changes=[change],
        summary=value,
    )
    where = Where(ips=[Count(value, 1)], user_agents=[Count(value, 1)])
    related = [RelatedFinding(value, value, value, value, 5.0, value, value, value, True, (value,))]
    counts = [Count(value, 1)]
    timeline = Timeline(
        scope=Scope(value, value, ((Terms(value, (value,)),),)),
        events=1,
        important=2,
        hops=[HopActivity(1, value, value, 1, 1, 1, 1, value, value, counts, counts)],
        entries=[
            TimelineEvent(value, value, hop, value, value, value, value, value, value, (value,), (value,))
            for hop in (1, None)
        ],
    )
    network = [AddressFlows(value, [FlowSide(value, value, 1, 1, 1, value, value, counts, counts)])]
    return Report(
        finding,
        who,
        when,
        what,
        where,
        related,
        dashboards_url=dashboards_url,
        timeline=timeline,
        network=network,
        queries=3,
    )


PLAIN = report("plain")


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_text_keeps_its_lines_and_carries_no_control_character(value: str) -> None:
    text = render(report(value), "text")
    plain = render(PLAIN, "text")

    assert len(text.splitlines()) == len(plain.splitlines())
    assert _headings(text)[2:] == _headings(plain)[2:]  # after the title and its underline
    assert not [ch for ch in text if ch != "\n" and _unsafe(ch)]
    assert "\x1b" not in text and "\x9b" not in text
    dashboards = [line for line in text.splitlines() if line.startswith("  Finding investigation dashboard:")]
    assert dashboards == [f"  Finding investigation dashboard: {DASHBOARDS}"]


def test_text_shows_what_was_escaped() -> None:
    text = render(report(FORGED_LINES + TERMINAL), "text")
    assert "  Recon finding\\n\\nWHO\\n  The root user did it.\\n" in text
    assert "\\x1b]8;;https://evil.example/osc8\\x07click me" in text
    assert "\\x9b2J" in text


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_markdown_renders_no_markup_or_link_from_a_value(value: str) -> None:
    markdown = render(report(value), "markdown")

    assert not [ch for ch in markdown if ch != "\n" and _unsafe(ch)]
    assert "](http" not in markdown.replace(f"[Finding investigation dashboard](<{DASHBOARDS}", "")
    for rendered, plain in _markdown_renderings(markdown, render(PLAIN, "markdown")):
        elements = Elements.of(rendered)
        assert elements.links == [DASHBOARDS]
        # An e-mail address in a value is shown as code (GFM links it whatever the escaping).
        assert [tag for tag in elements.shape if tag != "code"] == Elements.of(plain).shape
        for forbidden in ("<img", "<script", "<del", "<em", "<h3", "<li"):
            assert forbidden not in rendered


def test_markdown_shows_the_values_as_they_are() -> None:
    markdown = render(report(MARKDOWN), "markdown")
    for rendered, _ in _markdown_renderings(markdown, markdown):
        assert MARKDOWN in Elements.of(rendered).cells
        assert MARKDOWN in Elements.of(rendered).texts


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_html_links_only_what_the_product_built(value: str) -> None:
    page = render(report(value), "html")
    elements = Elements.of(page)

    assert elements.links == [DASHBOARDS]
    assert elements.shape == Elements.of(render(PLAIN, "html")).shape
    page_tags = {"html", "head", "meta", "title", "style", "body", "header", "section", "h1", "h2", "p"}
    table_tags = {"table", "thead", "tbody", "tr", "th", "td", "wbr", "a", "figure"}
    svg_tags = {"svg", "title", "defs", "marker", "path", "rect", "text", "line", "circle"}
    assert elements.tags <= page_tags | table_tags | svg_tags
    assert {"svg", "rect", "line"} <= elements.tags  # the chain diagram
    assert not [ch for ch in page if ch != "\n" and _unsafe(ch)]


def test_html_shows_a_trailing_url_as_text_and_forbids_loading_anything() -> None:
    page = render(report(URL_AT_END, dashboards_url=None), "html")
    elements = Elements.of(page)

    assert elements.links == []
    assert URL_AT_END in elements.texts
    assert elements.csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_a_dashboards_url_that_is_not_a_web_url_is_not_a_link() -> None:
    page = render(report("x", dashboards_url="javascript:alert(1)"), "html")
    assert Elements.of(page).links == []
    assert "javascript:alert(1)" in Elements.of(page).texts[-2]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_json_keeps_every_value_exactly(value: str) -> None:
    data = orjson.loads(render(report(value), "json"))
    assert data["finding"]["title"] == value
    assert data["who"]["summary"] == value
    assert data["where"]["user_agents"] == [{"user_agent": value, "count": 1}]


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def _headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(" ")]


def _markdown_renderings(markdown: str, plain: str) -> list[tuple[str, str]]:
    def github(source: str) -> str:
        return cmarkgfm.github_flavored_markdown_to_html(source, options=Options.CMARK_OPT_UNSAFE)

    linkify = MarkdownIt("gfm-like")
    return [(github(markdown), github(plain)), (linkify.render(markdown), linkify.render(plain))]


class Elements(HTMLParser):
    """What a browser builds from a page: tags, link targets, text of paragraphs and cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.shape: list[str] = []
        self.links: list[str] = []
        self.csp: list[str] = []
        self.texts: list[str] = []
        self.cells: list[str] = []
        self._text: list[str] | None = None
        self._svg = 0

    @classmethod
    def of(cls, page: str) -> Elements:
        parser = cls()
        parser.feed(page)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._svg += tag == "svg"
        if not self._svg and tag != "wbr":  # a label cut to fit gets a hover <title>; <wbr>: a
            self.shape.append(tag)  # place a long value may wrap
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href") or "")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(values.get("content") or "")
        if tag in ("p", "td", "h1"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        self._svg -= tag == "svg"
        if tag in ("p", "td", "h1") and self._text is not None:
            text = "".join(self._text)
            (self.cells if tag == "td" else self.texts).append(text)
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
