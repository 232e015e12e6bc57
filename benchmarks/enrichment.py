"""Enrichment benchmark: what account, IP and user-agent enrichment costs CloudTrail ingestion.

The same gzip file as ``benchmarks/cloudtrail.py`` (stratus-red-team samples cycled with a
fresh eventID, eventTime and source address per record: 65,536 distinct addresses, the worst
case for the per-address cache) goes, in the same run, through

- ``normalize``: ``normalize_object`` and the bulk encoding, as ingest does today;
- ``normalize + enrich``: the same, with ``Enricher.enrich`` on each document before encoding,
  an account directory naming every account of the samples as a sync with the default tag keys
  would (a name, a three-level OU path, and of the account's two tags, ``owner`` and
  ``environment``, the one the defaults select: the size of a real organization's values),
  the registry country, user agents;
- ``normalize + enrich (city + ASN MMDB)``: the same with a small MaxMind-format city and ASN
  database covering the benchmark's addresses (written with mmdb-writer, a dev dependency;
  the row is skipped without it).

A new enricher is built for each repetition, so the per-address and per-agent caches start
empty, as for a new file; the one-off start-up of a container (ua-parser's rules) is measured
apart. Times are best-of-R CPU seconds of this process. ``throughput_ratio`` is enriched over
plain records/s (target: at least 0.8); ``ndjson_to_raw`` is the bulk bytes over the raw
file's (target: at most 1.4). The last row is the installed size of the enrichment's runtime
dependencies (this machine's wheels; Lambda's aarch64 ones are within a few percent).

Run: ``python -m benchmarks.enrichment [--records N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import zlib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import orjson

from benchmarks.cloudtrail import ACTION_LINE, DEFAULT_RECORDS, _best_seconds, build_file, sample_records
from enrichment import Account, AccountDirectory, Enricher
from enrichment.accounts import DEFAULT_TAG_KEYS
from enrichment.geoip import GeoIp
from enrichment.useragent import UserAgentParser
from normalizers import DeadLetter, Origin, normalize_object

DEFAULT_REPEAT = 3
DEPENDENCIES = ("iptocc", "maxminddb", "ua-parser", "ua-parser-builtins", "ua-parser-rs")
ACCOUNT_TAGS = {"owner": "platform-team", "environment": "prod"}
"""The tags of every benchmark account in Organizations; the directory keeps the selected ones."""


def benchmark_directory() -> AccountDirectory:
    """Every account id of the samples, named as an organization would name them and synced
    with the default tag keys."""
    ids: set[str] = set()
    for record in sample_records():
        ids.add(str(record.get("recipientAccountId") or ""))
        ids.add(str((record.get("userIdentity") or {}).get("accountId") or ""))
    return AccountDirectory(
        Account(
            id=account_id,
            name=f"workload-{number:02d}-prod",
            email_domain="example.com",
            status="ACTIVE",
            ou_path="Root/Workloads/Prod",
            tags={key: value for key, value in ACCOUNT_TAGS.items() if key in DEFAULT_TAG_KEYS},
        )
        for number, account_id in enumerate(sorted(i for i in ids if i))
    )


def _to_ndjson(compressed: bytes, enrich: Callable[[dict[str, Any]], Any] | None) -> tuple[int, int]:
    """Normalize (and enrich) and bulk-encode; returns (documents, NDJSON bytes)."""
    origin = Origin(object="benchmark.json.gz", ingested="2026-01-01T00:00:00.000Z")
    documents = size = 0
    dumps = orjson.dumps
    for item in normalize_object(io.BytesIO(compressed), origin):
        if isinstance(item, DeadLetter):
            raise RuntimeError(f"benchmark file: dead letter {item.reason}")
        if enrich is not None:
            enrich(item)
        size += len(ACTION_LINE) + len(dumps(item)) + 1
        documents += 1
    return documents, size


def _mmdb_files(directory: Path) -> tuple[Path, Path] | None:
    """A city and an ASN database for 198.51.0.0/16 (the benchmark's addresses), 256 /24s each."""
    try:
        from mmdb_writer import MMDBWriter
        from netaddr import IPSet
    except ImportError:
        return None
    city = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City", languages=["en"])
    asn = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN", languages=["en"])
    for third in range(256):
        network = IPSet([f"198.51.{third}.0/24"])
        city.insert_network(
            network,
            {
                "city": {"names": {"en": f"City {third}"}},
                "country": {"iso_code": "US", "names": {"en": "United States"}},
                "location": {"latitude": 40.0 + third / 100, "longitude": -75.0 - third / 100},
                "subdivisions": [{"iso_code": "PA", "names": {"en": "Pennsylvania"}}],
            },
        )
        asn.insert_network(
            network,
            {"autonomous_system_number": 64500 + third, "autonomous_system_organization": f"Network {third}"},
        )
    paths = directory / "city.mmdb", directory / "asn.mmdb"
    city.to_db_file(str(paths[0]))
    asn.to_db_file(str(paths[1]))
    return paths


def _startup_seconds(directory: AccountDirectory, compressed: bytes) -> float:
    """A container's first document: the enricher built and ua-parser's rules loaded."""
    import ua_parser

    began = time.perf_counter()
    enricher = Enricher(directory, GeoIp(), UserAgentParser())
    _ = ua_parser.parser  # the lazily built global parser
    origin = Origin(object="first.json.gz", ingested="2026-01-01T00:00:00.000Z")
    first = next(iter(normalize_object(io.BytesIO(compressed), origin)))
    if isinstance(first, dict):
        enricher.enrich(first)
    return time.perf_counter() - began


def run(records: int = DEFAULT_RECORDS, repeat: int = DEFAULT_REPEAT) -> list[dict[str, Any]]:
    compressed = build_file(records)
    raw_bytes = len(zlib.decompress(compressed, wbits=31))
    directory = benchmark_directory()
    startup = _startup_seconds(directory, compressed)

    def measured(name: str, make: Callable[[], Enricher] | None) -> dict[str, Any]:
        sizes: list[int] = []

        def once() -> None:
            enrich = make().enrich if make is not None else None
            documents, size = _to_ndjson(compressed, enrich)
            if documents != records:
                raise RuntimeError(f"benchmark file: {documents} documents for {records} records")
            sizes.append(size)

        seconds = _best_seconds(once, repeat)
        return {
            "name": name,
            "records": records,
            "seconds": round(seconds, 4),
            "records_per_second": round(records / seconds),
            "raw_bytes": raw_bytes,
            "ndjson_bytes": sizes[-1],
            "ndjson_to_raw": round(sizes[-1] / raw_bytes, 3),
        }

    plain = measured("cloudtrail normalize -> bulk NDJSON", None)
    rows = [plain]
    with tempfile.TemporaryDirectory() as temporary:
        variants: list[tuple[str, Callable[[], Enricher]]] = [
            ("cloudtrail normalize + enrich -> bulk NDJSON", lambda: Enricher(directory)),
        ]
        databases = _mmdb_files(Path(temporary))
        if databases is not None:
            city, asn = databases
            variants.append(
                (
                    "cloudtrail normalize + enrich (city + ASN MMDB) -> bulk NDJSON",
                    lambda: Enricher(directory, GeoIp(city, asn)),
                )
            )
        for name, make in variants:
            row = measured(name, make)
            row["throughput_ratio"] = round(row["records_per_second"] / plain["records_per_second"], 3)
            row["added_bytes_per_document"] = round(
                (row["ndjson_bytes"] - plain["ndjson_bytes"]) / records, 1
            )
            rows.append(row)
    rows[1]["startup_seconds"] = round(startup, 3)
    rows.append({"name": "enrichment runtime dependencies, installed", **_installed_sizes()})
    return rows


def _installed_sizes() -> dict[str, Any]:
    sizes: dict[str, Any] = {}
    for name in DEPENDENCIES:
        try:
            files = distribution(name).files or []
        except PackageNotFoundError:
            sizes[name] = "absent"
            continue
        sizes[name] = sum(file.size or 0 for file in files)
    sizes["total_bytes"] = sum(value for value in sizes.values() if isinstance(value, int))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description="Enrichment cost on CloudTrail ingestion (one core)")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="records in the generated file")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="runs per measurement (best kept)")
    args = parser.parse_args()
    for row in run(args.records, args.repeat):
        print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
