"""A link to the "Finding investigation" dashboard filtered on the subject and window.

The recipe (docs/assets.md): ``<dashboards>/app/dashboards#/view/<id>?_g=(time:(...))&_a=(query:(...))``
with Rison values, percent-encoded like any URL query.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

import prison

DASHBOARD_ID = "siem-finding-investigation"
_RISON_SAFE = "()',:!*~-._/"
MAX_TERMS = 30
"""Values kept in the query bar: enough to name the chain, short enough for a URL."""


def lucene_any(field: str, terms: Iterable[str], limit: int | None = MAX_TERMS) -> str | None:
    """``field:("a" OR "b")`` on the distinct terms (the first ``limit``; ``None``: all)."""
    quoted = [_quote(term) for term in dict.fromkeys(terms) if term][:limit]
    if not quoted:
        return None
    return f"{field}:({' OR '.join(quoted)})"


def lucene_or(*clauses: str | None) -> str:
    return " OR ".join(clause for clause in clauses if clause) or "*"


def dashboard_url(base: str, start: str, end: str, query: str) -> str:
    """The dashboard at ``base`` (``https://.../_dashboards``) on a window and a Lucene query."""
    global_state = prison.dumps({"time": {"from": start, "to": end}})
    app_state = prison.dumps({"query": {"language": "lucene", "query": query}})
    return (
        f"{base.rstrip('/')}/app/dashboards#/view/{DASHBOARD_ID}"
        f"?_g={quote(global_state, safe=_RISON_SAFE)}&_a={quote(app_state, safe=_RISON_SAFE)}"
    )


def _quote(term: str) -> str:
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'
