"""A link to the "Finding investigation" dashboard filtered on the subject and window
(the URL recipe: :mod:`opensearch_client.dashboards`)."""

from __future__ import annotations

from collections.abc import Iterable

from opensearch_client import dashboards

DASHBOARD_ID = "siem-finding-investigation"
MAX_TERMS = 30
"""Values kept in the query bar: enough to name the chain, short enough for a URL."""


def lucene_any(field: str, terms: Iterable[str], limit: int | None = MAX_TERMS) -> str | None:
    """``field:("a" OR "b")`` on the distinct terms (the first ``limit``; ``None``: all)."""
    quoted = [dashboards.lucene_quote(term) for term in dict.fromkeys(terms) if term][:limit]
    if not quoted:
        return None
    return f"{field}:({' OR '.join(quoted)})"


def lucene_or(*clauses: str | None) -> str:
    return " OR ".join(clause for clause in clauses if clause) or "*"


def dashboard_url(base: str, start: str, end: str, query: str) -> str:
    """The dashboard at ``base`` (``https://.../_dashboards``) on a window and a Lucene query."""
    return dashboards.dashboard_url(base, DASHBOARD_ID, start, end, query)
