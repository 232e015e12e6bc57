"""Links into OpenSearch Dashboards: a saved dashboard on a time window and a Lucene query.

The recipe (docs/assets.md): ``<dashboards>/app/dashboards#/view/<id>?_g=(time:(...))&_a=(query:(...))``
with Rison values, percent-encoded like any URL query. One builder for every page that links
to a dashboard (the investigation, alerts, the period report).
"""

from __future__ import annotations

from urllib.parse import quote

import prison

_RISON_SAFE = "()',:!*~-._/"


def dashboard_url(base: str, dashboard_id: str, start: str, end: str, query: str) -> str:
    """Dashboard ``dashboard_id`` at ``base`` (``https://.../_dashboards``) on a window and a Lucene query."""
    global_state = prison.dumps({"time": {"from": start, "to": end}})
    app_state = prison.dumps({"query": {"language": "lucene", "query": query}})
    return (
        f"{base.rstrip('/')}/app/dashboards#/view/{dashboard_id}"
        f"?_g={quote(global_state, safe=_RISON_SAFE)}&_a={quote(app_state, safe=_RISON_SAFE)}"
    )


def lucene_quote(value: str) -> str:
    """``"value"``, quoted so that no character of it is Lucene syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
