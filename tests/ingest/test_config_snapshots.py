"""The ingest path reads AWS Config snapshot files compliance-only unless its setting
``CONFIG_SNAPSHOT_INVENTORY`` asks for the whole inventory (docs/sources/config.md, "Snapshots")."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
from opensearchpy import OpenSearch

from demo.records import config as cfg
from ingest.config import from_env
from ingest.deadletters import MemoryDeadLetterSink
from ingest.ledger import SqliteLedger
from ingest.processor import Services, process_object
from ingest.reader import open_bytes
from ingest.writer import BulkWriter, Deadline
from tests.ingest.harness import count
from tests.normalizers.test_config_snapshots import ITEMS, SNAPSHOT_ID, SNAPSHOT_KEY

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("environment", "indexed"), [({}, 2), ({"CONFIG_SNAPSHOT_INVENTORY": "true"}, 4)])
def test_a_snapshot_indexes_compliance_unless_the_inventory_is_asked_for(
    templated_engine: OpenSearch, environment: dict[str, str], indexed: int
) -> None:
    settings = from_env(environment)
    body = gzip.compress(cfg.snapshot_file(ITEMS, SNAPSHOT_ID))
    opened = open_bytes(f"s3://bucket/config/{SNAPSHOT_KEY}", body, "v1", datetime(2026, 11, 5, tzinfo=UTC))
    ledger, sink = SqliteLedger(), MemoryDeadLetterSink()
    try:
        result = process_object(
            opened, Services(settings, BulkWriter(templated_engine, settings), ledger, sink), "w", Deadline()
        )
    finally:
        ledger.close()
    assert result.status == "done" and result.indexed == indexed and sink.entries() == []
    assert count(templated_engine, "siem-config") == indexed
