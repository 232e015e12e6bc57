"""The network view: the VPC flows of the finding's addresses and of the actor's source addresses.

For each address, its flows in the window on each side (``from``: the address is the source;
``to``: it is the destination) and action (``ACCEPT``/``REJECT``): flows, bytes, packets, first
and last seen, the peers on the other side and the destination ports. One aggregation, sent
with the related-findings search (:func:`investigation.queries.neighbours`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from investigation import fields as f
from investigation.activity import bucket_counts, metric_time
from investigation.report import AddressFlows, FlowSide

MAX_ADDRESSES = 10
PEERS = 10
PORTS = 30
VPCFLOW_DATASET = f.BLOCKS["vpcflow"]
_SIDES = {"from": (f.SOURCE_IP, "destination.ip"), "to": ("destination.ip", f.SOURCE_IP)}
"""Side -> (the field holding the address, the field holding its peer)."""


def flows_clause(ips: Sequence[str], window: dict[str, Any]) -> dict[str, Any]:
    """The flows of any of ``ips`` (either side) in ``window`` (a ``range`` clause)."""
    return {
        "bool": {
            "filter": [
                {"term": {"event.dataset": VPCFLOW_DATASET}},
                {"terms": {f.RELATED_IP: list(ips)}},
                window,
            ]
        }
    }


def flows_aggregation(ips: Sequence[str], window: dict[str, Any]) -> dict[str, Any]:
    per_action = {
        "bytes": {"sum": {"field": "network.bytes"}},
        "packets": {"sum": {"field": "network.packets"}},
        "first": {"min": {"field": f.FIRST_OBSERVED}},
        "last": {"max": {"field": f.LAST_OBSERVED}},
        "ports": {"terms": {"field": "destination.port", "size": PORTS}},
    }
    return {
        "filter": flows_clause(ips, window),
        "aggs": {
            side: {
                "filters": {"filters": {str(number): {"term": {own: ip}} for number, ip in enumerate(ips)}},
                "aggs": {
                    "actions": {
                        "terms": {"field": f.ACTION, "size": 3},
                        "aggs": {**per_action, "peers": {"terms": {"field": peer, "size": PEERS}}},
                    }
                },
            }
            for side, (own, peer) in _SIDES.items()
        },
    }


def network(aggregation: dict[str, Any], ips: Sequence[str]) -> list[AddressFlows]:
    """Each address with its flows per side and action (addresses without flows left out)."""
    found = []
    for number, ip in enumerate(ips):
        sides = [
            _side(side, action)
            for side in _SIDES
            for action in aggregation.get(side, {})
            .get("buckets", {})
            .get(str(number), {})
            .get("actions", {})
            .get("buckets", [])
        ]
        if sides:
            found.append(AddressFlows(ip, sides))
    return found


def _side(side: str, bucket: dict[str, Any]) -> FlowSide:
    return FlowSide(
        side=side,
        action=str(bucket["key"]),
        flows=int(bucket["doc_count"]),
        bytes=int(bucket.get("bytes", {}).get("value") or 0),
        packets=int(bucket.get("packets", {}).get("value") or 0),
        first_seen=metric_time(bucket.get("first", {})),
        last_seen=metric_time(bucket.get("last", {})),
        peers=bucket_counts(bucket.get("peers", {})),
        ports=bucket_counts(bucket.get("ports", {})),
    )
