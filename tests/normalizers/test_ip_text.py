"""``parse_ip`` against the standard library: the C parser and printer it uses
(``inet_pton``/``inet_ntop``) must give exactly the text ``ipaddress`` gives, RFC 5952's
canonical form (lower case, the longest run of two or more zero groups compressed, the first
of equal runs), for every address and every way of writing it; and refuse what it refuses."""

from __future__ import annotations

import ipaddress
import random

import pytest

from normalizers.ecs.address import address_fields, parse_ip


def stdlib_ip(value: str) -> str | None:
    """The reference: ``ipaddress``, an IPv4-mapped address as its IPv4 form, no zone id."""
    if "%" in value:
        return None  # a zone id: an OpenSearch ip field refuses it
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped if mapped is not None else address)


EDGES = [
    "::",
    "::1",
    "::0",
    "0::0",
    "1::",
    "::ffff:1.2.3.4",
    "::FFFF:1.2.3.4",
    "::ffff:0.0.0.0",
    "::ffff:255.255.255.255",
    "0:0:0:0:0:ffff:102:304",
    "::1.2.3.4",  # IPv4-compatible: ipaddress writes ::102:304
    "::0.0.0.1",
    "::255.255.255.255",
    "::ffff:0:1.2.3.4",  # IPv4-translated (RFC 2765): not mapped
    "64:ff9b::1.2.3.4",  # NAT64
    "1:2:3:4:5:6:1.2.3.4",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "2001:DB8::1",
    "2001:db8:0:0:1:0:0:1",  # equal runs: the first is compressed
    "2001:db8:0:1:0:0:0:1",
    "2001:0:0:1::1",
    "1:0:2:3:4:5:6:7",  # a single zero group is not compressed
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "0001:0002:0003:0004:0005:0006:0007:0008",
    "fe80::1",
    "fe80::1%eth0",  # a zone id
    "fe80::1%25",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    ":1::2",
    "1::2:",
    "12345::1",
    "::ffff:1.2.3",
    "::ffff:01.2.3.4",  # a leading zero in the IPv4 tail
    "::ffff:1.2.3.256",
    "::1.2.3.4:5",
    "1.2.3.4::",
    "::g",
    "::1 ",
    " ::1",
    "::1\n",
    "::1\x00",
    "::١",  # a digit, but not an ASCII one
    "1:2",
    ":",
    ":::",
    "1.2.3.4",
    "01.2.3.4",
    "1.2.3",
    "AWS Internal",
    "ec2.amazonaws.com",
]


@pytest.mark.parametrize("value", EDGES)
def test_edge_cases_are_written_as_ipaddress_writes_them(value: str) -> None:
    assert parse_ip(value) == stdlib_ip(value)


def _written(rng: random.Random, packed: int) -> str:
    """One of the ways to write the address ``packed``."""
    address = ipaddress.IPv6Address(packed)
    groups = [f"{(packed >> (112 - 16 * index)) & 0xFFFF:x}" for index in range(8)]
    style = rng.randrange(6)
    if style == 0:
        return address.exploded
    if style == 1:
        return str(address).upper()
    if style == 2:  # leading zeros in some groups, no compression
        return ":".join(group.zfill(rng.choice((len(group), 4))) for group in groups)
    if style == 3:  # the last 32 bits as dotted IPv4
        return ":".join(groups[:6]) + ":" + str(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if style == 4:  # "::" at a random run of zero groups (or where there is none: invalid)
        start = rng.randrange(8)
        end = rng.randrange(start, 9)
        return ":".join(groups[:start]) + "::" + ":".join(groups[end:])
    return str(address)


def _address(rng: random.Random) -> int:
    """An address with zero runs where real ones have them."""
    groups = [rng.choice((0, 0, 0, 1, 0xFFFF, rng.getrandbits(16), rng.getrandbits(4))) for _ in range(8)]
    kind = rng.randrange(5)
    if kind == 0:  # IPv4-mapped
        groups[:6] = [0, 0, 0, 0, 0, 0xFFFF]
    elif kind == 1:  # IPv4-compatible, or ::1-like
        groups[:6] = [0] * 6
    value = 0
    for group in groups:
        value = value << 16 | group
    return value


def test_generated_addresses_are_written_as_ipaddress_writes_them() -> None:
    rng = random.Random(5952)
    for _ in range(20_000):
        text = _written(rng, _address(rng))
        assert parse_ip(text) == stdlib_ip(text), text


def test_random_text_is_refused_or_written_as_ipaddress_writes_it() -> None:
    rng = random.Random(4291)
    alphabet = "0123456789abcdefABCDEF:::..g %"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 24)))
        assert parse_ip(text) == stdlib_ip(text), text


IPV4_EDGES = [
    "0.0.0.0",
    "255.255.255.255",
    "1.2.3.4",
    "01.2.3.4",  # a leading zero: octal in some parsers
    "1.2.3.04",
    "1.2.3.00",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "1.2.3.4\x00",
    "1.2.3.\ud800",  # a lone surrogate
    "١.2.3.4",  # a digit, but not an ASCII one
    "0x1.2.3.4",
    "1.2.3.4/32",
]


@pytest.mark.parametrize("value", [*IPV4_EDGES, *EDGES])
def test_address_fields_give_an_ip_exactly_for_what_ipaddress_takes(value: str) -> None:
    assert address_fields(value).get("ip") == stdlib_ip(value)
    assert address_fields(value).get("ip") == parse_ip(value)


def test_random_dotted_text_gives_an_ip_exactly_for_what_ipaddress_takes() -> None:
    rng = random.Random(791)
    alphabet = "0123456789.....255 x"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
        assert address_fields(text).get("ip") == stdlib_ip(text), text
