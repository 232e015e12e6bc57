"""Which addresses point outside the organization's networks."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

# Addresses that never identify an outside actor: private, shared (CGNAT), loopback and
# link-local ranges. Documentation ranges (203.0.113.0/24...) count as outside on purpose:
# examples and demos use them for attackers, and Python's ``is_global`` would hide them.
_INTERNAL = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


@lru_cache(maxsize=4096)
def parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_ip(value: str) -> bool:
    return parse(value) is not None


def is_external(value: str) -> bool:
    """True for a valid address outside every internal range."""
    address = parse(value)
    if address is None:
        return False
    return not any(address.version == net.version and address in net for net in _INTERNAL)
