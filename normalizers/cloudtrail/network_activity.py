"""Which CloudTrail documents are copies of calls: the one definition every reader leaves out.

A call made through a VPC endpoint is logged twice when the endpoint owner logs network
activity events: once as the call's own management or data event, once as the endpoint's
record of it (``eventType: AwsVpceEvent``, ``eventCategory: NetworkActivity``, another
``eventID``). Counted with the calls, each such call would count twice: a rule keyed on the
call would alert twice, a table of actions per actor would double, a timeline would list the
call twice. So the detections (``Rule.query_clause``), the saved searches and visualizations
(``opensearch_assets/catalogue.py``) and the investigation's searches
(``investigation/scope.py``) all leave the copies out, through this module, in the two forms
they speak: a query clause and a Lucene query bar.

A network activity event the endpoint's policy denied (``errorCode: VpceAccessDenied``) is no
copy: the call never reached the service, so it is the attempt's only record, and it stays
everywhere. The copies stay searchable: a rule with ``network_activity_copies: true``, the
saved search "VPC endpoint network activity" and ``siem investigate --network-activity-copies``
read them (docs/detections.md, docs/assets.md, docs/investigate.md).

The definition reads the normalized fields (``aws.cloudtrail.event_category``,
``aws.cloudtrail.error_code``), which hold the record's values as they are (docs/schema.md).
"""

from __future__ import annotations

from typing import Any

from normalizers.cloudtrail.tables import VPCE_ACCESS_DENIED

CATEGORY_FIELD = "aws.cloudtrail.event_category"
ERROR_FIELD = "aws.cloudtrail.error_code"
NETWORK_ACTIVITY = "NetworkActivity"
"""``eventCategory`` of a network activity event."""

COPY_OF_A_CALL: dict[str, Any] = {
    "bool": {
        "filter": [{"term": {CATEGORY_FIELD: NETWORK_ACTIVITY}}],
        "must_not": [{"term": {ERROR_FIELD: VPCE_ACCESS_DENIED}}],
    }
}
"""A network activity event of a call the endpoint let through: the call has its own event."""

COPY_OF_A_CALL_LUCENE = f"{CATEGORY_FIELD}:{NETWORK_ACTIVITY} AND NOT {ERROR_FIELD}:{VPCE_ACCESS_DENIED}"
""":data:`COPY_OF_A_CALL` as Lucene (a Dashboards query bar, ``query_string``)."""

NETWORK_ACTIVITY_LUCENE = f"{CATEGORY_FIELD}:{NETWORK_ACTIVITY}"
"""Every network activity event: the copies and the endpoint's denials."""


def without_copies(clause: dict[str, Any]) -> dict[str, Any]:
    """``clause``, leaving out the network activity copies of calls."""
    return {"bool": {"filter": [clause], "must_not": [COPY_OF_A_CALL]}}


def without_copies_lucene(query: str) -> str:
    """The Lucene ``query``, leaving out the network activity copies of calls (an empty query
    or ``*``: every document but the copies)."""
    if query.strip() in ("", "*"):
        return f"NOT ({COPY_OF_A_CALL_LUCENE})"
    return f"({query}) AND NOT ({COPY_OF_A_CALL_LUCENE})"
