"""The page shell: a whole document, its stylesheet, and the escaped pieces a body is made of.

One stylesheet for reading on screen and printing (A4, no backgrounds lost, tables and charts
not split across pages, a link's target printed after it) and a strict Content Security Policy:
the page loads and runs nothing (no script, no remote image, font or frame), so a page opened
from disk or a mail client tells no third party that it is being read, and markup that ever
slipped through escaping could not run. Every text is escaped by :func:`text`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
:root{--ink:#1d2433;--muted:#5b6577;--rule:#d5dae3;--band:#f4f6f9;--fail:#b42318;--pass:#2e7d32;
--accent:#1f5fae;--warn:#b54708}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK JP","DejaVu Sans",sans-serif;
color:var(--ink);max-width:68rem;margin:0 auto;padding:1.5rem 1rem 3rem}
header{border-bottom:3px solid var(--accent);padding-bottom:.5rem;margin-bottom:1rem}
h1{font-size:1.45rem;line-height:1.25;margin:0 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid var(--rule)}
h3{font-size:1rem;margin:1.25rem 0 .4rem}p{margin:.4rem 0;overflow-wrap:anywhere}.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:12px}
th,td{border-bottom:1px solid var(--rule);padding:.3rem .4rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{font-weight:600;background:var(--band);white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:var(--fail)}.pass{color:var(--pass)}
.banner{background:#fff4e5;border-left:4px solid var(--warn);padding:.5rem .75rem;font-weight:600}
figure{margin:.75rem 0 1rem}svg{display:block;max-width:100%;height:auto;font-family:inherit}
a{color:var(--accent)}a.button{display:inline-block;padding:.35rem .8rem;border:1px solid var(--accent);
border-radius:4px;text-decoration:none;font-weight:600}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}table{font-size:7.5pt}section.account{break-before:page}
section.account:first-of-type{break-before:auto}h2,h3{break-after:avoid}table,figure,tr{break-inside:avoid}
th,.banner,header{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a[href]::after{content:" (" attr(href) ")";font-size:8pt;color:var(--muted);overflow-wrap:anywhere}
a.button{border:0;padding:0}}
@page{size:A4;margin:14mm}
"""


def text(value: object) -> str:
    """``value`` as HTML text or attribute value: ``& < > " '`` escaped."""
    return html.escape(str(value), quote=True)


_BREAK_AFTER = re.compile(r"[/,=]|:(?!\d)")
"""Where a long identifier may wrap: after a path separator, a comma, an ``=``, and a colon not
followed by a digit (ARNs and ``service:Action`` wrap; times do not)."""


def cell(value: object) -> str:
    """``value`` as the text of a table cell: escaped, and allowed to wrap inside a long ARN or
    path (``<wbr>``) rather than widen its column past the page."""
    return _BREAK_AFTER.sub(lambda match: match.group() + "<wbr>", text(value))


def paragraph(value: str, css_class: str = "") -> str:
    """A paragraph of ``value``, plain text (escaped here)."""
    attribute = f' class="{text(css_class)}"' if css_class else ""
    return f"<p{attribute}>{text(value)}</p>"


def banner(value: str) -> str:
    """A paragraph that stands out (a SAMPLE finding, a warning)."""
    return paragraph(value, "banner")


def is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def link(label: str, url: str, css_class: str = "") -> str:
    """A link to ``url`` when it is a web URL; otherwise both as text (no ``javascript:``,
    ``data:`` or ``file:`` link, whatever a caller was given)."""
    if not is_web_url(url):
        return text(f"{label}: {url}")
    attribute = f' class="{text(css_class)}"' if css_class else ""
    return f'<a{attribute} href="{text(url)}" rel="noreferrer">{text(label)}</a>'


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()) -> str:
    """A table of text cells; the columns in ``numeric`` right-aligned."""
    head = "".join(
        f'<th class="n">{text(h)}</th>' if i in numeric else f"<th>{text(h)}</th>"
        for i, h in enumerate(headers)
    )
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{text(v)}</td>' if i in numeric else f"<td>{cell(v)}</td>"
            for i, v in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def section(title: str, body: str, css_class: str = "", level: int = 2) -> str:
    """A ``<section>`` headed by ``title`` (escaped) around ``body`` (HTML already)."""
    attribute = f' class="{text(css_class)}"' if css_class else ""
    return f"<section{attribute}><h{level}>{text(title)}</h{level}>\n{body}\n</section>"


def page(title: str, body: str, subtitle: str = "") -> str:
    """A whole document around ``body`` (HTML already); ``title`` and ``subtitle`` are text."""
    sub = f'<p class="muted">{text(subtitle)}</p>' if subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><header><h1>{text(title)}</h1>{sub}</header>\n{body}\n</body></html>\n"
    )
