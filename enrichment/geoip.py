"""Where an IP address is: scope, country, city and network (autonomous system).

Sources, in order (docs/enrichment.md, "IP context"):

1. the special-purpose ranges (:mod:`enrichment.addresses`): such an address gets its scope
   and nothing else;
2. a MaxMind-format database the user supplies for city and country (GeoLite2-City or
   DB-IP "IP to City Lite", or their Country editions), read with ``maxminddb``;
3. a MaxMind-format ASN database (GeoLite2-ASN or DB-IP "IP to ASN Lite"): ``as.number``
   and ``as.organization.name``;
4. otherwise the registry country from ``iptocc`` (no download, data in the wheel): the
   country to which a regional Internet registry *assigned* the block, which is not
   necessarily where the host is (a multinational's block, a VPN, a cloud region).

Each distinct address is resolved once while in the cache of :class:`GeoIp`
(``cache_size`` entries); the result is shared by the documents the enricher writes it into.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import iptocc
import maxminddb

from enrichment.addresses import scope_of_ip

DEFAULT_CACHE_SIZE = 65536


@dataclass(frozen=True, slots=True)
class IpContext:
    """What is known of one address; ``geo`` and ``autonomous`` are ECS ``geo.*`` / ``as.*``."""

    scope: str | None = None
    geo: Mapping[str, Any] | None = None
    autonomous: Mapping[str, Any] | None = None


PUBLIC_UNKNOWN = IpContext()


class GeoIp:
    """Offline IP context; ``city_database`` and ``asn_database`` are optional MMDB paths."""

    def __init__(
        self,
        city_database: Path | None = None,
        asn_database: Path | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._city = _open(city_database)
        self._asn = _open(asn_database)
        self._cache: dict[str, IpContext] = {}
        self.resolved: Mapping[str, IpContext] = self._cache
        """The cache itself, to read and never write: ``resolved.get(address) or
        resolve(address)`` answers a cached address without a call (the enricher's path)."""
        self._cache_size = cache_size
        self.misses = 0
        """Addresses resolved (not answered from the cache), for tests and metrics."""

    def lookup(self, address: str) -> IpContext:
        """The context of a canonical IP address, resolved once while it stays in the cache.

        The cache is a plain dict emptied when full: cheaper than an LRU on the path that
        matters (a batch of mostly distinct addresses), and each address is still resolved
        once per batch of up to ``cache_size`` distinct ones.
        """
        context = self._cache.get(address)
        return self.resolve(address) if context is None else context

    def resolve(self, address: str) -> IpContext:
        """The context of an address not in the cache (``resolved.get(address)`` is ``None``),
        resolved and cached: :meth:`lookup` without its look-up."""
        context = self._lookup(address)
        self.misses += 1
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[address] = context
        return context

    def close(self) -> None:
        for reader in (self._city, self._asn):
            if reader is not None:
                reader.close()

    def _lookup(self, address: str) -> IpContext:
        """``address`` is a canonical valid IP (``normalizers.ecs.address.parse_ip``'s output)."""
        try:
            scope = scope_of_ip(address)
        except ValueError:  # not an IP after all (a document built elsewhere)
            return PUBLIC_UNKNOWN
        if scope is not None:
            return IpContext(scope=scope)
        if self._city is None and self._asn is None:  # the default: one shared context per country
            return _registry_country(iptocc.country_code(address))
        geo = _city_fields(_record(self._city, address))
        if not geo.get("country_iso_code"):
            country = iptocc.country_code(address)
            if country:
                geo["country_iso_code"] = country
        autonomous = _asn_fields(_record(self._asn, address))
        if not geo and not autonomous:
            return PUBLIC_UNKNOWN
        return IpContext(geo=geo or None, autonomous=autonomous or None)


@lru_cache(maxsize=512)
def _registry_country(code: str | None) -> IpContext:
    return IpContext(geo={"country_iso_code": code}) if code else PUBLIC_UNKNOWN


def _open(path: Path | None) -> maxminddb.Reader | None:
    if path is None:
        return None
    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
        raise GeoIpError(f"{path}: not a readable MaxMind database ({error})") from None


class GeoIpError(ValueError):
    """A configured database that cannot be opened."""


def _record(reader: maxminddb.Reader | None, address: str) -> Mapping[str, Any]:
    if reader is None:
        return {}
    try:
        found = reader.get(address)
    except ValueError:  # an IPv6 address against an IPv4-only database
        return {}
    return found if isinstance(found, dict) else {}


def _english(block: Any) -> str | None:
    if not isinstance(block, dict):
        return None
    names = block.get("names")
    name = names.get("en") if isinstance(names, dict) else None
    return name if isinstance(name, str) and name else None


def _city_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """ECS ``geo`` from a GeoIP2/GeoLite2 (or DB-IP Lite, same layout) City or Country record."""
    if not record:
        return {}
    geo: dict[str, Any] = {}
    country = record.get("country")
    if isinstance(country, dict):
        code = country.get("iso_code")
        if isinstance(code, str) and code:
            geo["country_iso_code"] = code
        if name := _english(country):
            geo["country_name"] = name
    subdivisions = record.get("subdivisions")
    if isinstance(subdivisions, list) and subdivisions and (region := _english(subdivisions[0])):
        geo["region_name"] = region
    if city := _english(record.get("city")):
        geo["city_name"] = city
    location = record.get("location")
    if isinstance(location, dict):
        lat: Any = location.get("latitude")
        lon: Any = location.get("longitude")
        if _number(lat) and _number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180:
            geo["location"] = {"lat": lat, "lon": lon}
    return geo


def _asn_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    """ECS ``as`` from a GeoLite2-ASN / DB-IP ASN Lite record (or an Enterprise ``traits`` block)."""
    if not record:
        return {}
    traits = record.get("traits")
    source = traits if isinstance(traits, dict) and "autonomous_system_number" in traits else record
    number = source.get("autonomous_system_number")
    organization = source.get("autonomous_system_organization")
    autonomous: dict[str, Any] = {}
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        autonomous["number"] = number
    if isinstance(organization, str) and organization:
        autonomous["organization"] = {"name": organization}
    return autonomous


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
