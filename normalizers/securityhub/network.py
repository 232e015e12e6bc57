"""A Security Hub finding's network facts besides its ``Action``: the ``Network`` object and
the ``NetworkPath`` components (docs/sources/securityhub.md, "Network").

``Network`` says who talked to whom as plainly as ASFF can (source and destination IPs,
ports, domains, direction, protocol). An ``Action`` may name the same endpoints with their
geo (a connection, a probe), or only some of them (a probe whose remote has no address, a
DNS request with none): each side takes what ``Network`` adds to it, never replacing an
address the action gave.
"""

from __future__ import annotations

from typing import Any

from normalizers.ecs.activity import Activity
from normalizers.ecs.address import Endpoint, endpoint, parse_ip
from normalizers.ecs.bounded import bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.values import as_dict, as_text, unique

_DIRECTIONS = {"IN": "inbound", "OUT": "outbound"}
_INSTANCE_COMPONENT = "AWS::EC2::Instance"


def add_network(activity: Activity, network: dict[str, Any]) -> None:
    """Complete ``activity`` with what ``Network`` says (every valid IP also goes to ``related.ip``)."""
    if not network:
        return
    activity.source = _completed(activity.source, _side(network, "Source"))
    activity.destination = _completed(activity.destination, _side(network, "Destination"))
    activity.extra_ips += [
        ip
        for ip in (
            parse_ip(network.get(key))
            for key in ("SourceIpV4", "SourceIpV6", "DestinationIpV4", "DestinationIpV6")
        )
        if ip
    ]
    protocol = as_text(network.get("Protocol"))
    stated = {
        "direction": _DIRECTIONS.get(as_text(network.get("Direction")) or ""),
        "transport": protocol.lower() if protocol else None,
    }
    given = {key: value for key, value in activity.network.items() if value is not None}
    activity.network = {**{key: value for key, value in stated.items() if value}, **given}


def path_addresses(path: list[Any]) -> tuple[list[str], list[str]]:
    """``NetworkPath``: the valid IPs of its components' ingress and egress (``related.ip``; CIDR
    blocks are not addresses) and the instance ids among its components (``related.hosts``): of
    its first :data:`~normalizers.ecs.bounded.LIST_LIMIT` components (and addresses of each), as
    many of each at most."""
    components = bounded_objects(path)
    addresses: list[Any] = []
    for component in components:
        for header in ("Ingress", "Egress"):
            for side in ("Source", "Destination"):
                addresses += bounded_strings(as_dict(as_dict(component.get(header)).get(side)).get("Address"))
    instances = [
        as_text(component.get("ComponentId"))
        for component in components
        if component.get("ComponentType") == _INSTANCE_COMPONENT
    ]
    return bounded_unique(parse_ip(address) for address in addresses), unique(instances)


def _side(network: dict[str, Any], side: str) -> Endpoint:
    """One side of ``Network``: the IP (else the domain) and port; the domain beside an IP."""
    domain = network.get(f"{side}Domain")
    address = network.get(f"{side}IpV4") or network.get(f"{side}IpV6") or domain
    side_endpoint = endpoint(address, network.get(f"{side}Port"))
    if side_endpoint.ips and as_text(domain):
        side_endpoint.fields["domain"] = domain
    return side_endpoint


def _completed(action: Endpoint, network: Endpoint) -> Endpoint:
    """The action's side, completed by ``Network``'s: all of it when the action gave no
    address (its geo stays), only what is missing (port, domain) when both name the same
    address, nothing when they name different ones."""
    fields = action.fields
    given = fields.get("ip") or fields.get("address")
    if not given:
        return Endpoint({**network.fields, **fields}, network.ips)
    if given in (network.fields.get("ip"), network.fields.get("address")):
        return Endpoint({**network.fields, **fields}, action.ips)
    return action
