"""A Security Hub finding's resources: the ``resources`` block, hosts and addresses."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.address import parse_ip
from normalizers.ecs.getters import optional_list
from normalizers.ecs.values import as_list, as_text, objects, unique
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
