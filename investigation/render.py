"""Render a report as text, Markdown, HTML or JSON.

Text, Markdown and HTML share one layout (sections of lines, tables and links) so the three
always say the same thing; JSON is :meth:`Report.to_dict`.

Every value in the layout comes from records and is treated as hostile: a :class:`Line` keeps
the product's words (its template) apart from the values in its slots, every table cell is a
value, and only a :class:`Hyperlink` (a URL the product built) becomes a link. Each format
makes values one line first (:func:`one_line`: no control, escape, bidi or line-breaking
character) and then escapes them for itself: nothing in Markdown (no HTML, link, image,
autolink, emphasis, code span, table cell or block from a value) and HTML-escaped in HTML. JSON
keeps the values as they are (JSON escaping is enough there).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

import orjson

from investigation.chain import Link
from investigation.report import Count, Report
from investigation.safe_text import one_line

Format = Literal["text", "json", "markdown", "html"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown", "html")
BAR_WIDTH = 40
LIST_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Line:
    """The product's words (``template``) with values from records in its ``{}`` slots."""

    template: str
    values: tuple[object, ...] = ()

    def render(self, escape: Callable[[str], str], words: Callable[[str], str] = str) -> str:
        """The line: each value made one line then ``escape``d, the product's words through ``words``."""
        return words(self.template).format(*(escape(one_line(value)) for value in self.values))


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    """The product's column names."""
    rows: Sequence[tuple[str, ...]]
    """Values, every cell."""


@dataclass(frozen=True, slots=True)
class Hyperlink:
    """A link the product built (the Dashboards URL): the only thing any format renders as a link."""

    label: str
    url: str


Block = Line | Table | Hyperlink


@dataclass(slots=True)
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def text(self, template: str, *values: object) -> None:
        self.blocks.append(Line(template, values))

    def table(self, headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        if rows:
            self.blocks.append(Table(headers, rows))

    def link(self, label: str, url: str) -> None:
        self.blocks.append(Hyperlink(label, url))


def render(report: Report, format: Format = "text") -> str:
    """The report in ``format`` (``text``, ``json``, ``markdown`` or ``html``)."""
    if format == "json":
        return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode()
    renderers: dict[str, Callable[[Line, list[Section]], str]] = {
        "text": _text,
        "markdown": _markdown,
        "html": _html,
    }
    if format not in renderers:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    return renderers[format](_title(report), layout(report))


def layout(report: Report) -> list[Section]:
    return [
        _finding(report),
        _who(report),
        _when(report),
        _what(report),
        _where(report),
        _related(report),
        _links(report),
    ]


def _title(report: Report) -> Line:
    finding = report.finding
    return Line("Investigation of {} finding {} ({})", (finding.source, finding.type or "", finding.id))


def _finding(report: Report) -> Section:
    finding = report.finding
    section = Section("Finding")
    severity = f"{finding.severity:g}" if finding.severity is not None else "?"
    section.text("{}", finding.title or "(no title)")
    section.text(
        "Type {}, severity {}, account {}, region {}.",
        finding.type or "?",
        f"{severity} {finding.severity_label or ''}".rstrip(),
        finding.account_id or "?",
        finding.region or "?",
    )
    section.text(
        "Observed from {} to {}; investigated by its " + _MODE_WORDS[finding.mode] + ".",
        finding.first_observed,
        finding.last_observed,
    )
    keys = [
        (name.replace("_", " "), ", ".join(value)) for name, value in finding.keys.to_dict().items() if value
    ]
    section.table(("join key", "values"), keys)
    return section


_MODE_WORDS = {
    "credential": "actor's credential",
    "ip": "remote address",
    "resource": "resource",
    "none": "nothing (no key to pivot on)",
}


def _who(report: Report) -> Section:
    who = report.who
    section = Section("Who")
    section.text("{}", who.summary)
    if who.chain:
        whose = "the finding's credential" if who.mode == "credential" else who.chain[0].label
        section.text("Chain, from {} to its origin:", whose)
        section.table(
            ("#", "type", "identity", "account", "access key", "obtained by"),
            [_chain_row(number, link) for number, link in enumerate(who.chain, 1)],
        )
    if who.stopped:
        section.text("The chain is incomplete: {}.", who.stopped)
    if who.identities and who.mode != "credential":
        section.text("Identities seen in the window:")
        section.table(
            ("identity", "type", "account", "events", "writes", "errors", "origin"),
            [
                (
                    i.link.label,
                    i.link.type or "",
                    i.link.account_id or "",
                    str(i.events),
                    str(i.writes),
                    str(i.errors),
                    i.origin or "",
                )
                for i in who.identities
            ],
        )
    return section


def _chain_row(number: int, link: Link) -> tuple[str, ...]:
    issued = link.issued_by
    how = f"{issued.action} at {issued.time} (account {issued.account_id})" if issued else ""
    return (str(number), link.type or "?", link.label, link.account_id or "", link.access_key_id or "", how)


def _when(report: Report) -> Section:
    when = report.when
    section = Section("When")
    section.text(
        "Finding observed {} to {}; CloudTrail searched {} to {}.",
        when.finding_first_observed,
        when.finding_last_observed,
        when.window_start,
        when.window_end,
    )
    if when.first_seen:
        section.text("First activity {}, last activity {}.", when.first_seen, when.last_seen)
    busy = [(time, count) for time, count in when.histogram if count]
    if busy:
        peak = max(count for _, count in busy)
        section.text("Activity per {} (empty intervals omitted):", when.interval)
        section.table(
            ("interval start", "events", ""),
            [(time, str(count), "#" * max(1, round(count * BAR_WIDTH / peak))) for time, count in busy],
        )
    return section


def _what(report: Report) -> Section:
    what = report.what
    section = Section("What")
    section.text("{}", what.summary)
    section.table(
        ("service", "action", "calls", "errors"),
        [(a.provider, a.action, str(a.count), str(a.errors)) for a in what.actions],
    )
    section.table(("error code", "count"), _count_rows(what.error_codes))
    if what.resources:
        more = " ..." if len(what.resources) > LIST_LIMIT else ""
        names = ", ".join("{}" for _ in what.resources[:LIST_LIMIT])
        section.text(f"Resources named: {names}{more}", *what.resources[:LIST_LIMIT])
    if what.changes:
        section.text("Newest changes (write calls):")
        section.table(
            ("time", "call", "by", "outcome", "from", "resources"),
            [
                (
                    c.time or "",
                    f"{c.provider}:{c.action}",
                    c.actor,
                    c.outcome or "",
                    c.source or "",
                    ", ".join(c.resources[:3]),
                )
                for c in what.changes
            ],
        )
    return section


def _where(report: Report) -> Section:
    where = report.where
    section = Section("From where")
    if not (where.ips or where.user_agents):
        section.text("No source addresses (no CloudTrail activity in the window).")
    section.table(("source IP", "events"), _count_rows(where.ips))
    section.table(("user agent", "events"), _count_rows(where.user_agents))
    section.table(("account", "events"), _count_rows(where.accounts))
    section.table(("country", "events"), _count_rows(where.countries))
    section.table(("network", "events"), _count_rows(where.networks))
    section.table(("caller tool", "events"), _count_rows(where.tools))
    return section


def _related(report: Report) -> Section:
    section = Section("Related findings")
    if not report.related_findings:
        section.text("No other finding names the actor's keys.")
    section.table(
        ("updated", "source", "type", "severity", "title", "shared keys"),
        [
            (
                r.updated or "",
                r.source,
                r.type or "",
                f"{r.severity:g}" if r.severity is not None else "",
                r.title or "",
                ", ".join(r.shared),
            )
            for r in report.related_findings
        ],
    )
    return section


def _links(report: Report) -> Section:
    section = Section("Links")
    if report.dashboards_url:
        section.link("Finding investigation dashboard", report.dashboards_url)
    section.text("{} searches.", report.queries)
    return section


def _count_rows(counts: list[Count]) -> list[tuple[str, ...]]:
    return [(count.value, str(count.count)) for count in counts]


def _text(title: Line, sections: list[Section]) -> str:
    heading = title.render(str)
    lines = [heading, "=" * len(heading)]
    for section in sections:
        lines += ["", section.title.upper()]
        for block in section.blocks:
            if isinstance(block, Table):
                lines += _text_table(block)
            elif isinstance(block, Hyperlink):
                lines.append(f"  {block.label}: {one_line(block.url)}")
            else:
                lines.append(f"  {block.render(str)}")
    return "\n".join(lines) + "\n"


def _text_table(table: Table) -> list[str]:
    rows = [tuple(map(one_line, row)) for row in table.rows]
    widths = [max(len(row[i]) for row in (table.headers, *rows)) for i in range(len(table.headers))]

    def line(cells: tuple[str, ...]) -> str:
        return (
            "    " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        )

    return [line(table.headers), line(tuple("-" * width for width in widths)), *map(line, rows)]


def _markdown(title: Line, sections: list[Section]) -> str:
    lines = [f"# {title.render(_md)}"]
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines += [
                    "| " + " | ".join(block.headers) + " |",
                    "|" + "---|" * len(block.headers),
                    *("| " + " | ".join(_md(one_line(cell)) for cell in row) + " |" for row in block.rows),
                    "",
                ]
            elif isinstance(block, Hyperlink):
                lines += [_md_link(block), ""]
            else:
                lines += [_md_paragraph(block.render(_md)), ""]
    return "\n".join(lines).rstrip() + "\n"


_MD_PUNCTUATION = re.compile(r"[\\`*_{}\[\]()#+!|~$=^.@]")
"""Escaped in a value: emphasis, code spans, links and images, headings, table cells, math and
extensions' syntax; ``.`` too, so no renderer links a bare domain (``www.evil.example``,
``evil.example``: markdown-it's linkify does). ``<``, ``>`` and ``&`` become entities (no raw
HTML, ``<...>`` autolink or entity) and ``://`` is broken up (no ``http://`` autolink)."""
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w.-]+")
"""What GFM could link as an e-mail address (or ``mailto:``/``xmpp:``) whatever is escaped in it:
shown as code instead, where nothing is parsed (no backtick or ``|`` can be in it)."""


def _md(value: str) -> str:
    """A one-line value as literal Markdown text: nothing in it is markup, a link or a cell break."""
    parts, end = [], 0
    for match in _EMAIL_LIKE.finditer(value):
        parts += [_md_text(value[end : match.start()]), f"`{match.group()}`"]
        end = match.end()
    parts.append(_md_text(value[end:]))
    return "".join(parts)


def _md_text(value: str) -> str:
    text = _MD_PUNCTUATION.sub(lambda match: "\\" + match.group(), value)
    return re.sub("[&<>]", lambda match: _MD_ENTITIES[match.group()], text).replace("://", "\\://")


def _md_paragraph(text: str) -> str:
    """A paragraph that stays one: a leading ``-`` from a value starts no list (``.`` is escaped)."""
    text = text.lstrip(" ")
    return "\\" + text if text.startswith("-") else text


def _md_link(link: Hyperlink) -> str:
    if not _is_web_url(link.url):
        return _md(f"{link.label}: {one_line(link.url)}")
    # In <...> the destination may hold ( ) and spaces; < > and line breaks are all it must not.
    return f"[{link.label}](<{quote(link.url, safe=_URL_SAFE)}>)"


_URL_SAFE = "".join(ch for ch in map(chr, range(33, 127)) if ch not in '<>"\\`{}|^ ')
"""URL characters kept as they are; anything else (spaces, < >, non-ASCII) is percent-encoded."""


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The report loads and runs nothing: no script, no remote image, font or frame (reports are
opened from disk, where a beacon would tell a third party that a finding is being looked at)."""


def _html(title: Line, sections: list[Section]) -> str:
    heading = title.render(html.escape, html.escape)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{heading}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;font-size:90%}</style>",
        "</head><body>",
        f"<h1>{heading}</h1>",
    ]
    for section in sections:
        out.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Table):
                out.append(_html_table(block))
            elif isinstance(block, Hyperlink):
                out.append(f"<p>{_html_link(block)}</p>")
            else:
                out.append(f"<p>{block.render(html.escape, html.escape)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in table.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(one_line(cell))}</td>" for cell in row) + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _html_link(link: Hyperlink) -> str:
    if not _is_web_url(link.url):
        return html.escape(f"{link.label}: {one_line(link.url)}")
    return f'<a href="{html.escape(link.url)}">{html.escape(link.label)}</a>'
