"""The HTML page shell and inline SVG charts of the product's reports.

One stylesheet for reading on screen and printing (A4, no backgrounds lost, tables not split
across pages), a strict Content Security Policy (the page loads nothing: no script, no remote
image or font, so a report opened from a mail client tells no one it was read), and charts as
inline SVG built from numbers only. Every text comes through :func:`html.escape`.

Meant to be the one template set of ``siem report`` and ``siem investigate``; the
investigation still renders its own page (docs/report.md, "Not done").
"""

from __future__ import annotations

import html
from collections.abc import Sequence

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root{--ink:#1d2433;--muted:#5b6577;--rule:#d5dae3;--fail:#b42318;--pass:#2e7d32;--accent:#1f5fae}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP",sans-serif;
color:var(--ink);max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--rule)}
h3{font-size:1rem;margin:1.25rem 0 .4rem}.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:13px}
th,td{border-bottom:1px solid var(--rule);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600;background:#f4f6f9}td.n{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:var(--fail)}.pass{color:var(--pass)}svg{max-width:100%}
@media print{body{margin:0;max-width:none;font-size:11pt}section.account{break-before:page}
table,svg{break-inside:avoid}th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{size:A4;margin:15mm}
"""


def page(title: str, body: str, subtitle: str = "") -> str:
    """A whole document around ``body`` (already escaped HTML)."""
    sub = f'<p class="muted">{html.escape(subtitle)}</p>' if subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>{sub}\n{body}\n</body></html>\n"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{html.escape(str(v))}</td>' if i in numeric else f"<td>{html.escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def bar_chart(title: str, bars: Sequence[tuple[str, int]], color: str = "#1f5fae") -> str:
    """Horizontal bars, one per ``(label, value)``, as an inline SVG with a text title."""
    width, label_width, row = 520, 130, 22
    height = row * max(len(bars), 1) + 8
    top = max((value for _, value in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{html.escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(bars):
        y = 4 + index * row
        length = round((width - label_width - 50) * value / top)
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{html.escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="15" fill="{color}"></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 15}" font-size="12">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
