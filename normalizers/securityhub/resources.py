"""A Security Hub finding's resources: the ``resources`` block, hosts, addresses, and the
retired ``Network`` object as a fallback for the endpoints."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.activity import Activity
from normalizers.ecs.address import Endpoint, endpoint, parse_ip
from normalizers.ecs.getters import optional_list
from normalizers.ecs.values import as_list, as_text, objects, prune, unique
from normalizers.securityhub.tables import IP_INDICATORS


def resource_block(resource: dict[str, Any]) -> dict[str, Any]:
    """Bounded fields mapped; ``details`` and ``tags`` are flat_object containers."""
    return {
        "type": as_text(resource.get("Type")),
        "id": as_text(resource.get("Id")),
        "region": as_text(resource.get("Region")),
        "partition": as_text(resource.get("Partition")),
        "role": as_text(resource.get("ResourceRole")),
        "details": resource.get("Details") if isinstance(resource.get("Details"), dict) else None,
        "tags": resource.get("Tags") if isinstance(resource.get("Tags"), dict) else None,
    }


def details_of(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    details = resource.get("Details")
    inner = details.get(kind) if isinstance(details, dict) else None
    return inner if isinstance(inner, dict) else {}


def hosts(resources: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Instance ids (``related.hosts``) and addresses (``related.ip``) of EC2 instances,
    and the addresses of EC2 network interfaces."""
    ids: list[Any] = []
    addresses: list[Any] = []
    for resource in resources:
        kind = resource.get("Type")
        if kind == "AwsEc2NetworkInterface":
            addresses += _interface_addresses(details_of(resource, kind))
        if kind != "AwsEc2Instance":
            continue
        resource_id = as_text(resource.get("Id")) or ""
        ids.append(resource_id.rsplit("/", 1)[-1] if ":instance/" in resource_id else resource_id)
        details = details_of(resource, "AwsEc2Instance")
        for key in ("IpV4Addresses", "IpV6Addresses"):
            value = details.get(key)
            addresses += value if isinstance(value, list) else []
    return unique(ids), unique(parse_ip(address) for address in addresses)


def _interface_addresses(details: dict[str, Any]) -> list[Any]:
    """``AwsEc2NetworkInterface``: its private, public and IPv6 addresses."""
    private = [entry.get("PrivateIpAddress") for entry in objects(as_list(details.get("PrivateIpAddresses")))]
    ipv6 = [entry.get("Ipv6Address") for entry in objects(as_list(details.get("Ipv6Addresses")))]
    return [*private, details.get("PublicIp"), *ipv6]


def indicator_ips(finding: dict[str, Any]) -> list[str]:
    """``ThreatIntelIndicators`` whose ``Type`` is an IP address: their valid ``Value``s."""
    indicators = objects(optional_list(finding, "ThreatIntelIndicators"))
    values = (item.get("Value") for item in indicators if item.get("Type") in IP_INDICATORS)
    return unique(parse_ip(value) for value in values)


def network_fallback(activity: Activity, network: dict[str, Any]) -> None:
    """The retired ``Network`` object: used when ``Action`` names no endpoints."""
    if not network:
        return
    source, destination = _network_endpoint(network, "Source"), _network_endpoint(network, "Destination")
    others = [
        parse_ip(network.get(key))
        for key in ("SourceIpV4", "SourceIpV6", "DestinationIpV4", "DestinationIpV6")
    ]
    activity.extra_ips += [ip for ip in others if ip]
    if not activity.source.fields and not activity.destination.fields:
        activity.source, activity.destination = source, destination
    if not activity.network:
        direction = {"IN": "inbound", "OUT": "outbound"}.get(as_text(network.get("Direction")) or "")
        protocol = as_text(network.get("Protocol"))
        activity.network = prune(
            {"direction": direction, "transport": protocol.lower() if protocol else None}
        )


def _network_endpoint(network: dict[str, Any], side: str) -> Endpoint:
    """One side of ``Network``: the IP (else the domain) and port; the domain beside an IP."""
    domain = network.get(f"{side}Domain")
    address = network.get(f"{side}IpV4") or network.get(f"{side}IpV6") or domain
    side_endpoint = endpoint(address, network.get(f"{side}Port"))
    if side_endpoint.ips and as_text(domain):
        side_endpoint.fields["domain"] = domain
    return side_endpoint
