"""Addresses (docs/schema.md, "Addresses"): an IP only ever in an ``ip`` field, anything else
in ``address`` (and a host name also in ``domain``), the same way in every source."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from normalizers.ecs.values import as_dict, as_text, is_number, prune

_HOST_NAME = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z][A-Za-z0-9-]*\Z"
)
"""Dot-separated labels whose last one (the top-level domain) starts with a letter:
``ec2.amazonaws.com``, never ``211.9.016.253``."""


def parse_ip(value: Any) -> str | None:
    """Return the canonical text of a valid IPv4/IPv6 address, else ``None``.

    Strict on purpose: ``211.9.016.253`` (a leading zero, octal in some parsers) is not an
    address, a service name such as ``ec2.amazonaws.com`` is not either, and neither is an
    IPv6 address with a zone (``fe80::1%eth0``), which an OpenSearch ``ip`` field refuses.
    Any other type (a list, an object) is not an address either.
    """
    if value.__class__ is str and _CANONICAL_IPV4.match(value):
        return value  # already canonical: what ipaddress would return
    if not isinstance(value, str) or not value or len(value) > 45 or "%" in value:
        return None
    return _parse_ip_text(value)


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")
"""An IPv4 address in canonical form: four octets of 0 to 255, no leading zero (one match,
without splitting: the most common address of all)."""


def _parse_ip_text(value: str) -> str | None:
    # A text without ":" is no IPv6 address, and the canonical IPv4 pattern above is exactly
    # what ipaddress accepts as IPv4 (no leading zero, octets of 0 to 255): not an address.
    if ":" not in value:
        return None
    # The C parser and printer: several times faster than ipaddress, for the same text (a test
    # compares them over many addresses), and faster than a cache of its results.
    try:
        packed = socket.inet_pton(socket.AF_INET6, value)
    except (OSError, ValueError):  # not an address, or a NUL inside
        return None
    if packed.startswith(_IPV4_MAPPED):
        # ::ffff:1.2.3.4 is an IPv4 client seen through an IPv6 socket: keep the IPv4 form.
        return socket.inet_ntoa(packed[12:])
    text = socket.inet_ntop(socket.AF_INET6, packed)
    # inet_ntop writes an IPv4-compatible address (::1.2.3.4) with its dotted tail, which
    # ipaddress (RFC 5952's hex form) does not: that rare one goes the slow way.
    return text if "." not in text else str(ipaddress.IPv6Address(packed))


_IPV4_MAPPED = bytes(10) + b"\xff\xff"


def is_host_name(value: str) -> bool:
    return _HOST_NAME.match(value) is not None


def address_fields(address: Any) -> dict[str, str]:
    """``{"ip": ...}`` for a valid IP (canonical form), ``{"address": ..., "domain": ...}`` for
    a host name, ``{"address": ...}`` for any other text, ``{}`` for nothing."""
    if address.__class__ is not str:
        return _address_fields(address)
    fields = _TEXTS.get(address)
    if fields is None:
        # The most common address of all, found at once: the C parser takes exactly the
        # canonical dotted quad (four octets of 0 to 255 in ASCII digits, no leading zero),
        # what _CANONICAL_IPV4 matches, in a quarter of the time. After the cache: a text
        # that is no IPv4 address costs the exception once, then is found there.
        try:
            _inet_pton(_AF_INET, address)
        except (OSError, ValueError):  # not an address, or a NUL or a lone surrogate inside
            pass
        else:
            return {"ip": address}
        fields = _address_fields(address)
        if len(address) <= MAX_CACHED_TEXT:
            if len(_TEXTS) >= MAX_TEXTS:
                _TEXTS.clear()
            _TEXTS[address] = fields
    return fields.copy()  # the caller's to change: no two documents share a mutable object


_inet_pton, _AF_INET = socket.inet_pton, socket.AF_INET
_TEXTS: dict[str, dict[str, str]] = {}
"""``address_fields`` of texts other than a canonical IPv4 address: service names
(``ec2.amazonaws.com``, ``AWS Internal``) are most records' in many files, and a file's IPv6
clients repeat."""
MAX_TEXTS = 4096
MAX_CACHED_TEXT = 64
"""Longer texts (no address is: an IPv6 one has at most 45 characters) are not kept, so the
cache holds at most some hundreds of kilobytes whatever the records hold."""


def _address_fields(address: Any) -> dict[str, str]:
    ip = parse_ip(address)
    if ip is not None:
        return {"ip": ip}
    if not isinstance(address, str) or not address.strip():
        return {}
    if _HOST_NAME.match(address):
        return {"address": address, "domain": address}
    return {"address": address}


@dataclass(slots=True)
class Endpoint:
    """One side of an action; ``fields`` go to ``source``/``destination``, ``ips`` to ``related.ip``."""

    fields: dict[str, Any]
    ips: list[str]


def endpoint(address: Any, port: Any = None, ip_details: dict[str, Any] | None = None) -> Endpoint:
    """ECS endpoint fields for an address (an IP, a host name, or anything else) and port.

    ``ip_details`` is GuardDuty's ``remoteIpDetails`` or ASFF's ``RemoteIpDetails``,
    already snake_cased: it gives the geo and AS fields.
    """
    fields: dict[str, Any] = address_fields(address)
    ips = [fields["ip"]] if "ip" in fields else []
    if isinstance(port, int) and not isinstance(port, bool) and 0 <= port <= 65535:
        fields["port"] = port
    elif isinstance(port, str) and port.isdigit() and int(port) <= 65535:
        fields["port"] = int(port)
    if ip_details:
        fields.update(_geo_and_as(ip_details))
    return Endpoint(prune(fields), ips)


_HEX = "[0-9A-Fa-f]"
_SEPARATED_MAC = re.compile(
    rf"{_HEX}{{2}}([:-])(?:{_HEX}{{2}}\1){{4}}(?:(?:{_HEX}{{2}}\1){{2}})?{_HEX}{{2}}\Z"
)
"""EUI-48 or EUI-64 written in octets separated by ``:`` or ``-`` (the same separator throughout)."""
_DOTTED_MAC = re.compile(rf"{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}}\Z")
"""EUI-48 in three dotted groups of four digits (``001a.2b3c.4d5e``)."""
_BARE_MAC = re.compile(rf"{_HEX}{{12}}\Z")


def mac_address(value: Any) -> str | None:
    """A MAC address in ECS's form (RFC 7042: upper-case octets separated by ``-``,
    ``00-1A-2B-3C-4D-5E``), from the usual spellings: ``00:1a:2b:3c:4d:5e``, ``00-1A-...``,
    ``001a.2b3c.4d5e``, ``001a2b3c4d5e``, and EUI-64's eight octets; anything else is none."""
    if not isinstance(value, str) or len(value) > 23:
        return None
    text = value.strip()
    if _SEPARATED_MAC.match(text):
        digits = text.replace(":", "").replace("-", "")
    elif _DOTTED_MAC.match(text):
        digits = text.replace(".", "")
    elif _BARE_MAC.match(text):
        digits = text
    else:
        return None
    return "-".join(digits[index : index + 2] for index in range(0, len(digits), 2)).upper()


def ip_of(details: dict[str, Any]) -> Any:
    """The address in (snake_cased) IP details: v4 first, then v6."""
    return details.get("ip_address_v4") or details.get("ip_address_v6")


def details_endpoint(details: dict[str, Any], port: Any = None, *, geo: bool = True) -> Endpoint:
    """The endpoint (snake_cased) IP details name: GuardDuty's and ASFF's ``remoteIpDetails``
    (``geo``: with its geo and AS fields) or ``localIpDetails``. Both of its addresses when it
    has an IPv4 and an IPv6 one (the models allow both): the first in the ECS fields."""
    side = endpoint(ip_of(details), port, details if geo else None)
    return also_related(side, details.get("ip_address_v4"), details.get("ip_address_v6"))


def also_related(side: Endpoint, first: Any, second: Any) -> Endpoint:
    """``side``, made from ``first`` (else ``second``), with ``second`` in its ``ips`` too
    when both are given: a search for either address (``related.ip``) finds the finding."""
    ip = parse_ip(second) if first and second else None
    if ip is not None and ip not in side.ips:
        side.ips.append(ip)
    return side


def _geo_and_as(details: dict[str, Any]) -> dict[str, Any]:
    country, city = as_dict(details.get("country")), as_dict(details.get("city"))
    organization = as_dict(details.get("organization"))
    location = details.get("geo_location") or details.get("geolocation")
    geo = {
        "location": _geo_point(location),
        "country_iso_code": as_text(country.get("country_code")),
        "country_name": as_text(country.get("country_name")),
        "city_name": as_text(city.get("city_name")),
    }
    autonomous = {
        "number": _as_number(organization.get("asn")),
        "organization": {"name": as_text(organization.get("asn_org"))},
    }
    return {"geo": geo, "as": autonomous}


def _geo_point(location: Any) -> dict[str, float] | None:
    if not isinstance(location, dict):
        return None
    lat: Any = location.get("lat")
    lon: Any = location.get("lon")
    if not (is_number(lat) and is_number(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": lat, "lon": lon}


_MAX_ASN = 2**32 - 1
"""AS numbers are 32-bit (RFC 6793)."""


def _as_number(value: Any) -> int | None:
    """GuardDuty writes the ASN as a string, ASFF as a number; ``-1``/junk means unknown.

    Bounded before it becomes an integer: ``int(Decimal("1e999999999"))`` is a billion digits,
    hours of CPU for 13 bytes, and an integer no ``long`` holds cannot be encoded at all."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number.is_finite() and 1 <= number <= _MAX_ASN else None
