"""IP context: special-purpose scopes (IANA registries), registry country, city and ASN databases."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from enrichment.addresses import scope_of_ip, scope_of_name
from enrichment.geoip import GeoIp, GeoIpError, IpContext
from tests.enrichment.mmdb import asn_database, city_database


@pytest.mark.parametrize(
    ("address", "scope"),
    [
        # IANA IPv4 Special-Purpose Address Registry
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("172.32.0.1", None),  # just past 172.16.0.0/12
        ("192.168.10.4", "private"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("100.128.0.1", None),  # past 100.64.0.0/10
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link_local"),  # EC2 instance metadata
        ("192.0.2.10", "documentation"),
        ("198.51.100.7", "documentation"),
        ("203.0.113.124", "documentation"),
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "reserved"),
        ("192.0.0.9", "reserved"),
        ("198.18.0.1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("8.8.8.8", None),
        ("52.94.76.1", None),
        # IANA IPv6 Special-Purpose Address Registry
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1", "link_local"),
        ("fd00:ec2::254", "private"),  # EC2 instance metadata over IPv6
        ("fc00::1", "private"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("ff02::1", "multicast"),
        ("64:ff9b::808:808", "reserved"),
        ("2001::1", "reserved"),
        ("2a00:1450:4001:80b::200e", None),
    ],
)
def test_special_purpose_scopes(address: str, scope: str | None) -> None:
    assert scope_of_ip(address) == scope


def test_every_first_octet_agrees_with_the_registry() -> None:
    """Most IPv4 addresses are answered by their first octet alone: the first, a middle and the
    last address of each /8 get the scope of the most specific IANA block holding them."""
    blocks = [
        (ipaddress.ip_network(cidr), scope)
        for cidr, scope in [
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
        ]
    ]

    def registry(address: ipaddress.IPv4Address) -> str | None:
        holding = [(network.prefixlen, scope) for network, scope in blocks if address in network]
        return max(holding)[1] if holding else None

    for octet in range(256):
        for rest in ("0.0.0", "0.0.1", "16.0.1", "64.0.1", "88.99.1", "168.0.1", "255.255.255"):
            address = ipaddress.IPv4Address(f"{octet}.{rest}")
            assert scope_of_ip(str(address)) == registry(address), address


def test_a_string_that_is_no_address_is_refused() -> None:
    for text in ("8.8.8", "8.8.8.8.8", "8.8.8.256", "example.com", "1.2.3.4 "):
        with pytest.raises(ValueError, match="not an IP address"):
            scope_of_ip(text)


@pytest.mark.parametrize(
    ("address", "scope"),
    [
        ("ec2.amazonaws.com", "aws_service"),
        ("lambda.amazonaws.com", "aws_service"),
        ("AWS Internal", "aws_service"),
        ("ssm.cn-north-1.amazonaws.com.cn", "aws_service"),
        ("example.com", None),
        ("211.9.016.253", None),  # a malformed address is not a service
        ("evil amazonaws.com", None),
    ],
)
def test_aws_service_callers(address: str, scope: str | None) -> None:
    assert scope_of_name(address) == scope


def test_registry_country_without_any_database() -> None:
    geo = GeoIp()
    # Assignments in the RIRs' delegation files: Google's 8.8.8.0/24 (ARIN, US) and
    # APNIC's research block 1.1.1.0/24 (AU).
    assert geo.lookup("8.8.8.8") == IpContext(geo={"country_iso_code": "US"})
    assert geo.lookup("1.1.1.1") == IpContext(geo={"country_iso_code": "AU"})


def test_special_addresses_get_a_scope_and_no_geo() -> None:
    assert GeoIp().lookup("10.0.0.5") == IpContext(scope="private")


def test_city_and_asn_databases(tmp_path: Path) -> None:
    geo = GeoIp(city_database(tmp_path), asn_database(tmp_path))
    assert geo.lookup("81.2.69.142") == IpContext(
        geo={
            "country_iso_code": "GB",
            "country_name": "United Kingdom",
            "region_name": "England",
            "city_name": "London",
            "location": {"lat": 51.5142, "lon": -0.0931},
        },
        autonomous={"number": 20712, "organization": {"name": "Andrews & Arnold Ltd"}},
    )
    assert geo.lookup("175.16.199.4").geo["city_name"] == "Changchun"  # type: ignore[index]
    # Country only in the city database; no ASN entry.
    assert geo.lookup("2001:218::1") == IpContext(geo={"country_iso_code": "JP", "country_name": "Japan"})
    # Not in the city database: the registry country; the ASN database still answers.
    assert geo.lookup("1.128.0.1") == IpContext(
        geo={"country_iso_code": "AU"},
        autonomous={"number": 1221, "organization": {"name": "Telstra Pty Ltd"}},
    )
    geo.close()


def test_each_distinct_address_is_looked_up_once() -> None:
    geo = GeoIp()
    for _ in range(3):
        geo.lookup("8.8.8.8")
        geo.lookup("1.1.1.1")
    assert geo.misses == 2


def test_a_full_cache_starts_over() -> None:
    geo = GeoIp(cache_size=2)
    for address in ("8.8.8.8", "1.1.1.1", "9.9.9.9", "8.8.8.8"):
        geo.lookup(address)
    assert geo.misses == 4  # the third address emptied the cache


def test_an_unreadable_database_is_a_clear_error(tmp_path: Path) -> None:
    not_mmdb = tmp_path / "GeoLite2-City.mmdb"
    not_mmdb.write_bytes(b"this is not a database")
    with pytest.raises(GeoIpError, match="not a readable MaxMind database"):
        GeoIp(city_database=not_mmdb)
    with pytest.raises(GeoIpError, match=r"absent\.mmdb"):
        GeoIp(asn_database=tmp_path / "absent.mmdb")
