"""Which addresses are not on the public Internet, and what they are instead.

The ranges are IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
updates). An address in one of them has no country and no network: the enricher writes its
scope (``aws.source.scope``) instead of geo fields. Values:

======================  ==================================================================
``private``             RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 unique local (fc00::/7,
                        which holds EC2's IPv6 metadata address fd00:ec2::254), local-use NAT64
``cgnat``               100.64.0.0/10, the carrier-grade NAT "shared address space" (RFC 6598)
``loopback``            127/8, ::1
``link_local``          169.254/16 (EC2's instance metadata 169.254.169.254 is one), fe80::/10
``documentation``       192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
``multicast``           224/4, ff00::/8
``unspecified``         0.0.0.0, ::
``reserved``            the other special-purpose blocks: 0/8, 192.0.0/24, 192.88.99/24,
                        198.18/15 (benchmarking), 240/4 (future use) and broadcast,
                        64:ff9b::/96 (NAT64), 100::/64 (discard), 2001::/23 (IETF protocols)
``aws_service``         not an IP: the record names an AWS service as the caller
                        (``ec2.amazonaws.com``, ``AWS Internal``), see :func:`scope_of_name`
======================  ==================================================================

An AWS *public* IP (an EC2 instance, a Lambda's egress) is not recognized as AWS: that needs
AWS's ``ip-ranges.json``, which no PyPI package ships offline (docs/enrichment.md).
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from socket import AF_INET, AF_INET6, inet_pton

_V4 = (
    ("0.0.0.0/8", "reserved"),
    ("0.0.0.0/32", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "cgnat"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link_local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "reserved"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "reserved"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_V6 = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b::/96", "reserved"),
    ("64:ff9b:1::/48", "private"),
    ("100::/64", "reserved"),
    ("2001::/23", "reserved"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link_local"),
    ("ff00::/8", "multicast"),
)


class _Ranges:
    """Non-overlapping ``[start, end]`` integer intervals with a label, searched by bisection.

    Nested blocks (0.0.0.0/32 inside 0/8) are split so that the most specific label wins.
    """

    def __init__(self, blocks: tuple[tuple[str, str], ...]) -> None:
        networks = [(ipaddress.ip_network(cidr), label) for cidr, label in blocks]
        # Most specific last, so it overwrites the broader block on the points it covers.
        networks.sort(key=lambda item: item[0].prefixlen)
        points: dict[int, str | None] = {}
        boundaries: set[int] = set()
        for network, _ in networks:
            boundaries.update((int(network.network_address), int(network.broadcast_address) + 1))
        for boundary in sorted(boundaries):
            label = None
            for network, candidate in networks:
                if int(network.network_address) <= boundary <= int(network.broadcast_address):
                    label = candidate
            points[boundary] = label
        self._starts = sorted(points)
        self._labels = [points[start] for start in self._starts]

    def label(self, value: int) -> str | None:
        index = bisect_right(self._starts, value) - 1
        return self._labels[index] if index >= 0 else None

    def unlabelled(self, start: int, end: int) -> bool:
        """Whether no value of ``[start, end)`` has a label."""
        following = bisect_right(self._starts, start)  # the interval holding start is the one before
        unlabelled_start = following == 0 or self._labels[following - 1] is None
        return unlabelled_start and bisect_right(self._starts, end - 1) == following


_V4_RANGES = _Ranges(_V4)
_V6_RANGES = _Ranges(_V6)
_V4_PUBLIC_FIRST_OCTETS = frozenset(
    octet for octet in range(256) if _V4_RANGES.unlabelled(octet << 24, (octet + 1) << 24)
)
"""First octets under which no special-purpose IPv4 block lies (1-223 but 10, 100, 127, 169,
172, 192, 198 and 203): an address under one is public without a search, the common case of
a flow log's remote addresses."""

SCOPES = frozenset({label for _, label in _V4 + _V6} | {"aws_service"})
"""Every scope this module names (the table above): a closed vocabulary."""


def scope_of_ip(address: str) -> str | None:
    """The special-purpose scope of an IP address (see module doc), ``None`` if public.

    Raises ``ValueError`` for a string that is not an address. ``socket.inet_pton`` parses
    about twenty times as fast as ``ipaddress`` (this runs once per distinct address).
    """
    try:
        if ":" in address:
            return _V6_RANGES.label(int.from_bytes(inet_pton(AF_INET6, address)))
        packed = inet_pton(AF_INET, address)
    except OSError:
        raise ValueError(f"not an IP address: {address!r}") from None
    return None if packed[0] in _V4_PUBLIC_FIRST_OCTETS else _V4_RANGES.label(int.from_bytes(packed))


def scope_of_name(address: str) -> str | None:
    """``aws_service`` for a caller that is an AWS service rather than an IP address.

    CloudTrail's ``sourceIPAddress`` holds the service's name when a service calls on a
    principal's behalf (``lambda.amazonaws.com``, ``ec2.amazonaws.com``) and ``AWS Internal``
    for calls AWS makes internally (the CloudTrail record contents reference).
    """
    text = address.strip().lower()
    if text == "aws internal" or text.startswith("aws internal/"):
        return "aws_service"
    if text.endswith((".amazonaws.com", ".amazonaws.com.cn")) and " " not in text:
        return "aws_service"
    return None
