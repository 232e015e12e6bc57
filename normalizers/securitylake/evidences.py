"""A finding's network evidences (OCSF Evidence Artifacts: ``src_endpoint``, ``dst_endpoint``,
``connection_info``) -> the ASFF members that say who talked to whom: ``Network``, and
``Action.NetworkConnectionAction`` when the connection's direction tells the remote side
(docs/sources/securitylake.md, "Findings").

The evidence read is the first that names an endpoint or a connection and no API call (an
API call's ``src_endpoint`` is its caller: ``Action.AwsApiCallAction``, read beside). Every
evidence's endpoint addresses are pivots (``related.ip``)."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import bounded_objects
from normalizers.securitylake.bounded import integer, string

INBOUND, OUTBOUND = 1, 2
"""``connection_info.direction_id`` (0 Unknown, 1 Inbound, 2 Outbound, 3 Lateral, 99 Other)."""
_DIRECTION_NAMES = {"inbound": INBOUND, "outbound": OUTBOUND}
_DIRECTION_CODES = {INBOUND: "IN", OUTBOUND: "OUT"}
"""ASFF ``Network.Direction``."""
_PROTOCOL_NUMBERS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPV6-ICMP"}
"""IANA protocol numbers of ``connection_info.protocol_num`` when ``protocol_name`` is absent."""
_ENDPOINTS = ("src_endpoint", "dst_endpoint")


def network_evidence(evidences: Any) -> dict[str, Any] | None:
    """The first evidence naming an endpoint or a connection, and no API call."""
    for evidence in bounded_objects(evidences):
        if isinstance(evidence.get("api"), dict):
            continue
        if any(isinstance(evidence.get(name), dict) for name in (*_ENDPOINTS, "connection_info")):
            return evidence
    return None


def asff_network(evidence: dict[str, Any] | None) -> dict[str, Any] | None:
    """ASFF ``Network``: both sides' address, port and host name, the direction, the protocol."""
    if evidence is None:
        return None
    connection = evidence.get("connection_info")
    network = {
        "Direction": _DIRECTION_CODES.get(_direction(connection) or 0),
        "Protocol": _protocol(connection),
        **_side("Source", evidence.get("src_endpoint")),
        **_side("Destination", evidence.get("dst_endpoint")),
    }
    return present(network)


def network_connection_action(evidence: dict[str, Any] | None) -> dict[str, Any] | None:
    """ASFF ``Action`` (``NETWORK_CONNECTION``) when the evidence says the direction: the
    remote side is the source of inbound traffic and the destination of outbound traffic;
    its location and autonomous system go to ``RemoteIpDetails``."""
    if evidence is None:
        return None
    connection = evidence.get("connection_info")
    direction = _direction(connection)
    if direction not in (INBOUND, OUTBOUND):
        return None
    source, destination = evidence.get("src_endpoint"), evidence.get("dst_endpoint")
    remote, local = (source, destination) if direction == INBOUND else (destination, source)
    action = {
        "ConnectionDirection": "INBOUND" if direction == INBOUND else "OUTBOUND",
        "RemoteIpDetails": remote_ip_details(remote),
        "RemotePortDetails": present({"Port": integer(remote, "port")}),
        "LocalPortDetails": present({"Port": integer(local, "port")}),
        "Protocol": _protocol(connection),
    }
    return {"ActionType": "NETWORK_CONNECTION", "NetworkConnectionAction": present(action)}


def remote_ip_details(endpoint: Any) -> dict[str, Any] | None:
    """An OCSF Network Endpoint -> ASFF ``RemoteIpDetails`` (address, AS, country, city)."""
    if not isinstance(endpoint, dict):
        return None
    ip = string(endpoint, "ip")
    system, location = endpoint.get("autonomous_system"), endpoint.get("location")
    return present(
        {
            "IpAddressV6" if ip and ":" in ip else "IpAddressV4": ip,
            "Organization": present({"Asn": integer(system, "number"), "AsnOrg": string(system, "name")}),
            "Country": present({"CountryCode": string(location, "country")}),
            "City": present({"CityName": string(location, "city")}),
        }
    )


def evidence_ips(evidences: Any) -> list[str]:
    """The valid addresses of every evidence's endpoints (``related.ip``)."""
    return [
        ip
        for evidence in bounded_objects(evidences)
        for name in _ENDPOINTS
        if (ip := parse_ip(string(evidence.get(name), "ip")))
    ]


def present(members: dict[str, Any]) -> dict[str, Any] | None:
    """The members that have a value; ``None`` when none has."""
    found = {name: value for name, value in members.items() if value is not None}
    return found or None


def _side(side: str, endpoint: Any) -> dict[str, Any]:
    ip = string(endpoint, "ip")
    return {
        f"{side}IpV6" if ip and ":" in ip else f"{side}IpV4": ip,
        f"{side}Port": integer(endpoint, "port"),
        f"{side}Domain": string(endpoint, "domain") or string(endpoint, "hostname"),
    }


def _direction(connection: Any) -> int | None:
    return integer(connection, "direction_id") or _DIRECTION_NAMES.get(
        (string(connection, "direction") or "").lower()
    )


def _protocol(connection: Any) -> str | None:
    name = string(connection, "protocol_name")
    number = integer(connection, "protocol_num")
    return name.upper() if name else _PROTOCOL_NUMBERS.get(number) if number is not None else None
