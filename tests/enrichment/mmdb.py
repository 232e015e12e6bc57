"""Tiny MaxMind-format databases for tests, written with ``mmdb-writer`` (MIT).

Records follow MaxMind's documented GeoIP2/GeoLite2 City and ASN layouts (the same layout as
DB-IP's Lite databases); the networks and values are those of MaxMind's own test databases
(GeoIP2-City-Test, GeoLite2-ASN-Test), typed by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

LONDON: dict[str, Any] = {
    "city": {"geoname_id": 2643743, "names": {"en": "London", "de": "London"}},
    "continent": {"code": "EU", "geoname_id": 6255148, "names": {"en": "Europe"}},
    "country": {"geoname_id": 2635167, "iso_code": "GB", "names": {"en": "United Kingdom"}},
    "location": {
        "accuracy_radius": 100,
        "latitude": 51.5142,
        "longitude": -0.0931,
        "time_zone": "Europe/London",
    },
    "registered_country": {"geoname_id": 6252001, "iso_code": "US", "names": {"en": "United States"}},
    "subdivisions": [{"geoname_id": 6269131, "iso_code": "ENG", "names": {"en": "England"}}],
}
CHANGCHUN: dict[str, Any] = {
    "city": {"geoname_id": 2038180, "names": {"en": "Changchun"}},
    "country": {"geoname_id": 1814991, "iso_code": "CN", "names": {"en": "China"}},
    "location": {"accuracy_radius": 100, "latitude": 43.88, "longitude": 125.3228},
    "subdivisions": [{"geoname_id": 2036500, "iso_code": "22", "names": {"en": "Jilin Sheng"}}],
}
# A country-only record (a Country database, or a City database that knows only the country).
JAPAN_ONLY: dict[str, Any] = {"country": {"geoname_id": 1861060, "iso_code": "JP", "names": {"en": "Japan"}}}

CITY_NETWORKS = {"81.2.69.142/31": LONDON, "175.16.199.0/24": CHANGCHUN, "2001:218::/32": JAPAN_ONLY}
ASN_NETWORKS = {
    "1.128.0.0/11": {"autonomous_system_number": 1221, "autonomous_system_organization": "Telstra Pty Ltd"},
    "81.2.69.142/31": {
        "autonomous_system_number": 20712,
        "autonomous_system_organization": "Andrews & Arnold Ltd",
    },
    "2600:6000::/20": {
        "autonomous_system_number": 237,
        "autonomous_system_organization": "Merit Network Inc.",
    },
}


def write_mmdb(path: Path, database_type: str, networks: dict[str, dict[str, Any]]) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=database_type, languages=["en"])
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


def city_database(directory: Path) -> Path:
    return write_mmdb(directory / "city.mmdb", "GeoLite2-City", CITY_NETWORKS)


def asn_database(directory: Path) -> Path:
    return write_mmdb(directory / "asn.mmdb", "GeoLite2-ASN", ASN_NETWORKS)
