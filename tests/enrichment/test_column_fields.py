"""``Enricher.column_fields``: a flow batch's accounts and addresses resolved once per distinct
value, merged into the documents as the normalizer builds them, give the documents, byte for
byte, that enriching each built document gives (docs/enrichment.md, "Cost")."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from enrichment import enrich as enrich_module
from enrichment.accounts import Account, AccountDirectory
from enrichment.enrich import Enricher
from enrichment.geoip import GeoIp
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import GOLDEN
from tests.enrichment.conftest import PAYMENTS
from tests.enrichment.mmdb import asn_database, city_database

HEADER = b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
LINES = [
    b"2 111122223333 eni-1 81.2.69.142 10.0.0.5 443 50000 6 10 1000 1714564800 1714564860 ACCEPT OK",
    b"2 111122223333 eni-1 10.0.0.5 175.16.199.5 50000 443 6 10 1000 1714564800 1714564860 ACCEPT OK",
    b"2 444455556666 eni-2 2001:218::1 fd00:ec2::254 1 2 17 1 10 1714564800 1714564860 REJECT OK",
    b"2 444455556666 eni-2 1.130.0.1 2600:6000::1 3 4 6 1 10 1714564800 1714564860 ACCEPT OK",
    b"2 unknown eni-3 127.0.0.1 169.254.169.254 3 4 6 1 10 1714564800 1714564860 ACCEPT OK",
    b"2 - eni-3 100.64.1.1 192.0.2.1 3 4 6 1 10 1714564800 1714564860 ACCEPT OK",
    b"2 777788889999 eni-3 ec2.amazonaws.com 8.8.8.8 3 4 6 1 10 1714564800 1714564860 ACCEPT OK",
    b"2 777788889999 eni-3 not-an-ip 81.2.69.143 3 4 6 1 10 1714564800 1714564860 ACCEPT OK",
    b"2 999999999999 eni-4 - - - - - - - 1714564800 1714564860 - NODATA",
    b"2 111122223333 eni-1 81.2.69.142 10.0.0.5 443 50000 6 10 1000 1714564800 1714564860 ACCEPT OK",
]
FLOWS = HEADER + b"\n".join(LINES) + b"\n"
NO_AWS_FIELDS = (
    b"account-id srcaddr dstaddr start\n111122223333 8.8.8.8 10.1.1.1 1714564800\n- - - 1714564800\n"
)
"""A custom format whose documents have no ``aws.vpcflow``: ``aws`` is made by the enrichment."""
DIRECTORY = AccountDirectory(
    [
        PAYMENTS,
        Account(
            id="444455556666", name="security-tooling", ou_path="Root/Security", tags={"owner": "secops"}
        ),
        Account(id="210987654321", name="shared-network", ou_path="Root/Infrastructure"),
        Account(id="123456789010", name="transit"),
        Account(id="777788889999"),
    ]
)


def _documents(raw: bytes, enricher: Enricher, columns: bool) -> list[bytes]:
    origin = Origin(
        object="s3://logs/AWSLogs/111122223333/vpcflowlogs/flows.log",
        ingested="2024-05-01T12:00:00.000Z",
        column_fields=enricher.column_fields if columns else None,
    )
    documents = [
        item for item in normalize_object(io.BytesIO(raw), origin) if not isinstance(item, DeadLetter)
    ]
    return [orjson.dumps(enricher.enrich(document, columns_done=columns)) for document in documents]


ENRICHERS: dict[str, Callable[[Path], Enricher]] = {
    "registry country": lambda tmp: Enricher(),
    "account directory": lambda tmp: Enricher(accounts=DIRECTORY),
    "databases and directory": lambda tmp: Enricher(
        accounts=DIRECTORY, geoip=GeoIp(city_database(tmp), asn_database(tmp))
    ),
}
INPUTS = {
    "addresses of every scope": FLOWS,
    "no aws fields": NO_AWS_FIELDS,
    "NAT gateway (packet addresses)": (GOLDEN / "vpcflow/nat-gateway/input.log").read_bytes(),
    "transit gateway (other accounts)": (GOLDEN / "vpcflow/transit-gateway/input.log").read_bytes(),
    "invalid addresses": (GOLDEN / "vpcflow/invalid-ip/input.log").read_bytes(),
    "IPv6": (GOLDEN / "vpcflow/ipv6/input.log").read_bytes(),
}


@pytest.mark.parametrize("raw", INPUTS.values(), ids=INPUTS.keys())
@pytest.mark.parametrize("make", ENRICHERS.values(), ids=ENRICHERS.keys())
def test_column_fields_write_what_enrich_writes(
    raw: bytes, make: Callable[[Path], Enricher], tmp_path: Path
) -> None:
    by_document = _documents(raw, make(tmp_path), columns=False)
    by_columns = _documents(raw, make(tmp_path), columns=True)
    assert by_columns == by_document
    assert by_columns != _documents(raw, Enricher(geoip=None, agents=None), columns=False)  # enriched


def test_every_step_is_exercised(tmp_path: Path) -> None:
    enricher = ENRICHERS["databases and directory"](tmp_path)
    text = b"\n".join(_documents(FLOWS, enricher, columns=True))
    for field in (
        b'"name":"prod-payments"',
        b'"account":{"ou_path":"Root/Workloads/Prod"',
        b'"city_name":"London"',
        b'"as":{"number":20712',
        b'"destination":{"scope":"private"}',
        b'"source":{"scope":"aws_service"}',
    ):
        assert field in text
    tgw = b"\n".join(_documents(INPUTS["transit gateway (other accounts)"], enricher, columns=True))
    assert b'"tgw_dst_vpc_account_name":"shared-network"' in tgw


def test_the_merges_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emptied when full, as the address cache (a batch's own addresses stay for its rows):
    the documents do not change."""
    monkeypatch.setattr(enrich_module, "MERGES_CACHE_SIZE", 4)
    enricher = Enricher()
    _documents(NO_AWS_FIELDS, enricher, columns=True)
    assert "10.1.1.1" in enricher._merges["destination"]
    assert _documents(FLOWS, enricher, columns=True) == _documents(FLOWS, Enricher(), columns=False)
    assert "10.1.1.1" not in enricher._merges["destination"]
    assert len(enricher._merges["destination"]) <= 1 + len(LINES)


def test_a_failing_batch_is_counted_and_indexed(monkeypatch: pytest.MonkeyPatch) -> None:
    enricher = Enricher()

    def broken(address: str) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(enricher.geoip, "lookup", broken)
    documents = _documents(FLOWS, enricher, columns=True)
    assert len(documents) == len(LINES) and enricher.failures == 1
    assert all(b'"scope"' not in document for document in documents)
