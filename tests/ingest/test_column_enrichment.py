"""The ingest path enriches flow documents by columns (``ColumnEnrichment``: each distinct
account and address of a batch resolved once, merged as the documents are built) and sends,
byte for byte, the bodies that enriching each document sends; replays and the delivery paths
that add keys to built flow documents are enriched document by document."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from enrichment import Enricher
from enrichment.accounts import Account, AccountDirectory
from ingest.config import Settings
from ingest.deadletters import MemoryDeadLetterSink
from ingest.ledger import SqliteLedger
from ingest.processor import Services, normalized_items, process_object
from ingest.reader import open_bytes
from ingest.writer import BulkWriter, Deadline
from tests.conftest import GOLDEN

FLOWS = (
    b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
    + b"".join(
        b"2 111122223333 eni-1 %d.%d.9.8 10.0.%d.5 443 50000 6 10 1000 1714564800 1714564860 ACCEPT OK\n"
        % (1 + n % 200, n % 7, n % 3)
        for n in range(1200)
    )
)

INGESTED = re.compile(rb'"ingested":(?:[0-9]+|"[^"]*")')


class _Recording:
    """A client that keeps each bulk body and answers every item created."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def bulk(self, body: bytes, **_: Any) -> str:
        self.bodies.append(body)
        items = ",".join('{"create":{"status":201}}' for _ in range(body.count(b"\n") // 2))
        return f'{{"took":1,"errors":false,"items":[{items}]}}'


def _bodies(raw: bytes, location: str, by_document: bool, calls: list[str]) -> list[bytes]:
    client = _Recording()
    settings = Settings(chunk_size=500, bulk_max_docs=100, concurrency=1)

    class Spied(Enricher):
        def column_fields(self, source: str, columns: dict[str, list[Any]]) -> Any:
            calls.append(source)
            return super().column_fields(source, columns)

    enricher = Spied(accounts=AccountDirectory([Account(id="111122223333", name="payments")]))
    ledger = SqliteLedger()
    services = Services(
        settings, BulkWriter(client, settings), ledger, MemoryDeadLetterSink(), enricher=enricher
    )  # type: ignore[arg-type]
    opened = open_bytes(location, raw, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    items = normalized_items(opened, False)[0] if by_document else None  # a replay's items
    result = process_object(opened, services, "test", Deadline(), items)
    services.writer.close()
    ledger.close()
    assert result.status == "done" and result.indexed == result.records > 0
    # The time of ingestion differs between runs: the one field compared by shape only.
    return sorted(INGESTED.sub(b'"ingested":0', body) for body in client.bodies)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("flows.log", FLOWS),
        ("flows.log.gz", gzip.compress(FLOWS)),
        ("mixed", (GOLDEN / "cloudwatch_logs/mixed-log-groups/input.gz").read_bytes()),
        ("lake", (GOLDEN / "securitylake/network-activity-sample/input.parquet").read_bytes()),
    ],
)
def test_flows_enriched_by_columns_are_sent_as_enriched_one_by_one(name: str, raw: bytes) -> None:
    by_columns: list[str] = []
    one_by_one: list[str] = []
    sent = _bodies(raw, name, by_document=False, calls=by_columns)
    assert sent == _bodies(raw, name, by_document=True, calls=one_by_one)
    assert not one_by_one
    if name.startswith("flows"):
        assert set(by_columns) == {"vpcflow"}
        text = b"".join(sent)
        assert text.count(b'"name":"payments"') == 1200 and text.count(b'"scope":"private"') >= 1200
    else:  # the delivery paths add keys to the flow documents they read: enriched one by one
        assert not by_columns
        assert b'"scope":' in b"".join(sent) or b'"geo":' in b"".join(sent)
