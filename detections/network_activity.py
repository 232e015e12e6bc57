"""What rules leave out of CloudTrail: the network activity copies of calls.

A call made through a VPC endpoint is logged twice when the endpoint owner logs network
activity events: once as the call's own management or data event, once as the endpoint's
record of it (``eventType: AwsVpceEvent``, ``eventCategory: NetworkActivity``, another
``eventID``). A rule keyed on the call (``event.action``...) would alert twice for it, and a
threshold counting events would count it twice. So every rule reading CloudTrail leaves the
copies out, in one clause added to its query (``Rule.query_clause``), the way a pySigma
pipeline adds a condition rather than every rule repeating it.

A network activity event the endpoint's policy denied (``errorCode: VpceAccessDenied``) is no
copy: the call never reached the service, so it is the attempt's only record, and rules about
denials (``siem-access-denied-burst``) count it. A rule about endpoint use itself reads every
network activity event with ``network_activity_copies: true``.
"""

from __future__ import annotations

from typing import Any

CATEGORY_FIELD = "aws.cloudtrail.event_category"
ERROR_FIELD = "aws.cloudtrail.error_code"

COPY_OF_A_CALL: dict[str, Any] = {
    "bool": {
        "filter": [{"term": {CATEGORY_FIELD: "NetworkActivity"}}],
        "must_not": [{"term": {ERROR_FIELD: "VpceAccessDenied"}}],
    }
}
"""A network activity event of a call the endpoint let through: the call has its own event."""


def without_copies(clause: dict[str, Any]) -> dict[str, Any]:
    """``clause``, leaving out the network activity copies of calls."""
    return {"bool": {"filter": [clause], "must_not": [COPY_OF_A_CALL]}}
