"""The one template set of the product's HTML pages (``siem report``, ``siem investigate``).

A page shell (:mod:`html_pages.page`: layout, one stylesheet for reading and printing, a
Content Security Policy that loads nothing, escaping) and inline SVG charts built from numbers
and escaped text (:mod:`html_pages.charts`). Standard library only and no import of the
project's other packages: it sits at the bottom layer so that every package may render a page.

Every value a caller passes is treated as hostile (finding titles, session names and user
agents are written by whoever writes the logs): each text is HTML-escaped here, and only a
web URL passed as a link target becomes a link.
"""

from html_pages.charts import Box, Mark, bar_chart, chain_diagram, column_chart, timeline
from html_pages.page import CSP, banner, is_web_url, link, page, paragraph, section, table, text

__all__ = [
    "CSP",
    "Box",
    "Mark",
    "banner",
    "bar_chart",
    "chain_diagram",
    "column_chart",
    "is_web_url",
    "link",
    "page",
    "paragraph",
    "section",
    "table",
    "text",
    "timeline",
]
