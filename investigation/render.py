"""Render a report as text, Markdown, HTML or JSON.

Text, Markdown and HTML share one layout (sections of paragraphs and tables) so the three
always say the same thing; JSON is :meth:`Report.to_dict`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import orjson

from investigation.chain import Link
from investigation.report import Count, Report

Format = Literal["text", "json", "markdown", "html"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown", "html")
BAR_WIDTH = 40
LIST_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass(slots=True)
class Section:
    title: str
    blocks: list[str | Table] = field(default_factory=list)

    def text(self, line: str) -> None:
        self.blocks.append(line)

    def table(self, headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        if rows:
            self.blocks.append(Table(headers, rows))


def render(report: Report, format: Format = "text") -> str:
    """The report in ``format`` (``text``, ``json``, ``markdown`` or ``html``)."""
    if format == "json":
        return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode()
    renderers: dict[str, Callable[[str, list[Section]], str]] = {
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


def _title(report: Report) -> str:
    finding = report.finding
    return f"Investigation of {finding.source} finding {finding.type or ''} ({finding.id})"


def _finding(report: Report) -> Section:
    finding = report.finding
    section = Section("Finding")
    severity = f"{finding.severity:g}" if finding.severity is not None else "?"
    section.text(f"{finding.title or '(no title)'}")
    section.text(
        f"Type {finding.type or '?'}, severity {severity} {finding.severity_label or ''}".rstrip()
        + f", account {finding.account_id or '?'}, region {finding.region or '?'}."
    )
    section.text(
        f"Observed from {finding.first_observed} to {finding.last_observed}; "
        f"investigated by its {_MODE_WORDS[finding.mode]}."
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
    section.text(who.summary)
    if who.chain:
        whose = "the finding's credential" if who.mode == "credential" else who.chain[0].label
        section.text(f"Chain, from {whose} to its origin:")
        section.table(
            ("#", "type", "identity", "account", "access key", "obtained by"),
            [_chain_row(number, link) for number, link in enumerate(who.chain, 1)],
        )
    if who.stopped:
        section.text(f"The chain is incomplete: {who.stopped}.")
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
        f"Finding observed {when.finding_first_observed} to {when.finding_last_observed}; "
        f"CloudTrail searched {when.window_start} to {when.window_end}."
    )
    if when.first_seen:
        section.text(f"First activity {when.first_seen}, last activity {when.last_seen}.")
    busy = [(time, count) for time, count in when.histogram if count]
    if busy:
        peak = max(count for _, count in busy)
        section.text(f"Activity per {when.interval} (empty intervals omitted):")
        section.table(
            ("interval start", "events", ""),
            [(time, str(count), "#" * max(1, round(count * BAR_WIDTH / peak))) for time, count in busy],
        )
    return section


def _what(report: Report) -> Section:
    what = report.what
    section = Section("What")
    section.text(what.summary)
    section.table(
        ("service", "action", "calls", "errors"),
        [(a.provider, a.action, str(a.count), str(a.errors)) for a in what.actions],
    )
    section.table(("error code", "count"), _count_rows(what.error_codes))
    if what.resources:
        section.text(
            "Resources named: "
            + ", ".join(what.resources[:LIST_LIMIT])
            + (" ..." if len(what.resources) > LIST_LIMIT else "")
        )
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
        section.text(f"Finding investigation dashboard: {report.dashboards_url}")
    section.text(f"{report.queries} searches.")
    return section


def _count_rows(counts: list[Count]) -> list[tuple[str, ...]]:
    return [(count.value, str(count.count)) for count in counts]


def _text(title: str, sections: list[Section]) -> str:
    lines = [title, "=" * len(title)]
    for section in sections:
        lines += ["", section.title.upper()]
        for block in section.blocks:
            lines += _text_table(block) if isinstance(block, Table) else [f"  {block}"]
    return "\n".join(lines) + "\n"


def _text_table(table: Table) -> list[str]:
    widths = [max(len(row[i]) for row in (table.headers, *table.rows)) for i in range(len(table.headers))]

    def line(cells: tuple[str, ...]) -> str:
        return (
            "    " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        )

    return [line(table.headers), line(tuple("-" * width for width in widths)), *map(line, table.rows)]


def _markdown(title: str, sections: list[Section]) -> str:
    lines = [f"# {_md(title)}"]
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines += [
                    "| " + " | ".join(map(_md, block.headers)) + " |",
                    "|" + "---|" * len(block.headers),
                    *("| " + " | ".join(map(_md, row)) + " |" for row in block.rows),
                    "",
                ]
            else:
                lines += [_md(block), ""]
    return "\n".join(lines).rstrip() + "\n"


def _md(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _html(title: str, sections: list[Section]) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;font-size:90%}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        out.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            out.append(_html_table(block) if isinstance(block, Table) else f"<p>{_html_text(block)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in table.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _html_text(value: str) -> str:
    """Escaped text; a trailing URL becomes a link."""
    head, sep, tail = value.rpartition(" ")
    if sep and tail.startswith(("https://", "http://")):
        return f'{html.escape(head)} <a href="{html.escape(tail)}">{html.escape(tail)}</a>'
    return html.escape(value)
