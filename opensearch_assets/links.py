"""Links into Dashboards relative to its base path, and the URL field formatters built on them.

A field formatter turns a value (an access key, an address, a finding id) into a link to the
Finding investigation dashboard filtered on that value, so an analyst pivots with a click.
The link is the one ``investigation/dashboards.py`` builds for a report, with the value left
as Dashboards' ``{{value}}`` placeholder (tests/assets/test_links.py compares the two for the
same value), and it names no host: it works behind any Dashboards, whatever its base path
(``/_dashboards`` on Serverless and managed domains, often none when self-managed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import prison

VALUE = "{{value}}"
"""The URL formatter's placeholder: Dashboards puts the value there through
``encodeURIComponent`` (``{{rawValue}}`` would put it unencoded)."""
PIVOT_WINDOW = ("now-90d", "now")
"""The time range of a formatter link: a value carries no time of its own, and 90 days is the
indices' default retention (``indexRetentionDays``)."""
_RISON_SAFE = "()',:!*~-._/"
_MARKER = "SIEMFORMATTERVALUE"
"""Stands for the value while the link is built: letters only, so neither Rison nor
percent-encoding changes it."""


def lucene_any(field: str, values: Iterable[str]) -> str | None:
    """``field:("a" OR "b")``, the form the investigation's links use; ``None`` for no value."""
    quoted = ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in dict.fromkeys(values)]
    return f"{field}:({' OR '.join(quoted)})" if quoted else None


def lucene_or(*clauses: str | None) -> str:
    return " OR ".join(clause for clause in clauses if clause) or "*"


def dashboard_link(dashboard_id: str, start: str, end: str, query: str) -> str:
    """``app/dashboards#/view/<id>?_g=(time:...)&_a=(query:...)``: a dashboard on a time range
    and a Lucene query bar, relative to Dashboards' base URL (Rison values, percent-encoded)."""
    global_state = prison.dumps({"time": {"from": start, "to": end}})
    app_state = prison.dumps({"query": {"language": "lucene", "query": query}})
    return (
        f"app/dashboards#/view/{dashboard_id}"
        f"?_g={quote(global_state, safe=_RISON_SAFE)}&_a={quote(app_state, safe=_RISON_SAFE)}"
    )


def url_template(dashboard_id: str, fields: tuple[str, ...]) -> str:
    """A URL formatter template: the dashboard over :data:`PIVOT_WINDOW`, its query bar
    ``field:("{{value}}") OR ...`` for each of ``fields``.

    Dashboards makes a relative template absolute: ``../app/...`` becomes
    ``<origin><base path>/app/../app/...``, which the browser reads as
    ``<origin><base path>/app/...`` for any base path. A template starting ``/app/`` works only
    without a base path (it is prefixed with ``<base path>/app`` otherwise).

    Dashboards encodes the value as a URL component, not as Rison or Lucene: a value holding
    ``'``, ``!``, ``"`` or ``\\`` would break the link. GuardDuty ids, AWS finding ARNs, access
    keys, principal ids, ARNs, IAM and session names and addresses hold none of them.
    """
    query = lucene_or(*(lucene_any(field, [_MARKER]) for field in fields))
    return "../" + dashboard_link(dashboard_id, *PIVOT_WINDOW, query).replace(_MARKER, VALUE)


def url_format(template: str) -> dict[str, Any]:
    """A ``fieldFormatMap`` entry: a link whose text is the value itself."""
    return {
        "id": "url",
        "params": {"type": "a", "urlTemplate": template, "labelTemplate": VALUE, "openLinkInNewTab": False},
    }
