"""A Security Hub finding's resources: the ``resources`` block, hosts and addresses."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import LIST_LIMIT, bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.values import as_text, one_or_many, unique
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
    and the addresses of EC2 network interfaces: of the first :data:`LIST_LIMIT` resources
    (and entries of each of their lists), as many ids and addresses at most."""
    ids: list[Any] = []
    addresses: list[Any] = []
    for resource in resources[:LIST_LIMIT]:
        kind = resource.get("Type")
        if kind == "AwsEc2NetworkInterface":
            addresses += _interface_addresses(details_of(resource, kind))
        if kind != "AwsEc2Instance":
            continue
        resource_id = as_text(resource.get("Id")) or ""
        ids.append(resource_id.rsplit("/", 1)[-1] if ":instance/" in resource_id else resource_id)
        details = details_of(resource, "AwsEc2Instance")
        for key in ("IpV4Addresses", "IpV6Addresses"):
            addresses += bounded_strings(details.get(key))
    return bounded_unique(ids), bounded_unique(parse_ip(address) for address in addresses)


def _interface_addresses(details: dict[str, Any]) -> list[Any]:
    """``AwsEc2NetworkInterface``: its private, public and IPv6 addresses, the first 100 of
    each list. The IPv6 list is ``IpV6Addresses[].IpV6Address`` in the API model (what Security
    Hub writes); the ASFF syntax page spells it ``Ipv6Addresses[].Ipv6Address``: both are read."""
    private = [entry.get("PrivateIpAddress") for entry in bounded_objects(details.get("PrivateIpAddresses"))]
    ipv6 = [
        entry.get("IpV6Address") or entry.get("Ipv6Address")
        for key in ("IpV6Addresses", "Ipv6Addresses")
        for entry in bounded_objects(details.get(key))
    ]
    return [*private, details.get("PublicIp"), *ipv6]


def indicator_ips(finding: dict[str, Any]) -> list[str]:
    """``ThreatIntelIndicators`` whose ``Type`` is an IP address: their valid ``Value``s (of
    the first :data:`LIST_LIMIT` indicators)."""
    indicators = bounded_objects(finding.get("ThreatIntelIndicators"))
    values = (item.get("Value") for item in indicators if item.get("Type") in IP_INDICATORS)
    return unique(parse_ip(value) for value in values)


def s3_objects(resources: list[dict[str, Any]], more_buckets: list[str]) -> dict[str, Any]:
    """``aws.s3.*``: the buckets of ``AwsS3Bucket`` resources and the keys of ``AwsS3Object``
    ones, from their ARNs (``arn:aws:s3:::bucket``, ``arn:aws:s3:::bucket/key``), and
    ``more_buckets`` (an attack sequence's): of the first :data:`LIST_LIMIT` resources."""
    buckets: list[str | None] = []
    keys: list[str | None] = []
    for resource in resources[:LIST_LIMIT]:
        kind, arn = resource.get("Type"), as_text(resource.get("Id")) or ""
        path = arn.split(":", 5)[5] if arn.startswith("arn:") and arn.count(":") >= 5 else ""
        bucket, _, key = path.partition("/")
        if kind == "AwsS3Bucket":
            buckets.append(bucket or None)
        elif kind == "AwsS3Object":
            buckets.append(bucket or None)
            keys.append(key or None)
    buckets += more_buckets
    return {
        "bucket": {"name": one_or_many(bounded_unique(buckets))},
        "object": {"key": one_or_many(bounded_unique(keys))},
    }
