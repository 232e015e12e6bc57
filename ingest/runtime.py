"""Wire settings to real components: OpenSearch client, ledger, dead-letter sink, S3 client, enricher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from opensearchpy import OpenSearch

from enrichment import Enricher, EnrichmentSettings
from ingest.config import Settings
from ingest.deadletters import DeadLetterSink, LocalDeadLetterSink, S3DeadLetterSink
from ingest.ledger import DynamoLedger, Ledger, SqliteLedger
from ingest.ledger_files import Destination
from ingest.live_mapping import LiveMappings
from ingest.processor import Hooks, Services
from ingest.template_check import IndexTemplateCheck
from ingest.writer import BulkWriter
from opensearch_client import make_client


@dataclass(slots=True)
class Runtime:
    services: Services
    s3: Any

    def close(self) -> None:
        self.services.writer.close()


def make_ledger(settings: Settings, dynamodb: Any | None = None) -> Ledger:
    if settings.ledger_table:
        client = dynamodb or boto3.client("dynamodb", region_name=settings.connection.region)
        return DynamoLedger(settings.ledger_table, client, settings.ledger_ttl_days)
    if settings.ledger_path:
        settings.ledger_path.parent.mkdir(parents=True, exist_ok=True)
        destination = Destination.of(settings.connection.endpoint, settings.index_prefix)
        return SqliteLedger(settings.ledger_path, str(destination))
    raise ValueError("no ledger configured: set LEDGER_TABLE (DynamoDB) or LEDGER_PATH / --ledger (SQLite)")


def make_sink(settings: Settings, s3: Any) -> DeadLetterSink:
    if settings.dead_letter_bucket:
        return S3DeadLetterSink(s3, settings.dead_letter_bucket, settings.dead_letter_prefix)
    if settings.dead_letter_dir:
        return LocalDeadLetterSink(settings.dead_letter_dir)
    raise ValueError(
        "no dead-letter sink configured: set DEAD_LETTER_BUCKET or DEAD_LETTER_DIR / --dead-letter"
    )


def build_runtime(
    settings: Settings,
    *,
    client: OpenSearch | None = None,
    s3: Any | None = None,
    dynamodb: Any | None = None,
    ledger: Ledger | None = None,
    hooks: Hooks | None = None,
    enrichment: EnrichmentSettings | None = None,
) -> Runtime:
    """Everything the processor needs; tests pass their guarded client and moto clients.

    ``enrichment``: what the enricher reads (the CLI passes its local account file); ``None``
    reads the Lambda's environment (``ENRICHMENT``, ``ACCOUNTS_LOCATION``..., docs/enrichment.md).
    The enricher is built here, once per container or CLI run: its caches (accounts, addresses,
    user agents) then serve every object. A configured GeoIP database that does not open raises
    ``GeoIpError`` (a ``ValueError``) here, at start-up.
    """
    s3 = s3 or boto3.client("s3", region_name=settings.connection.region)
    # One pooled connection per concurrent bulk request, plus one for searches.
    client = client or make_client(settings.connection, pool_maxsize=settings.concurrency + 1)
    enricher = Enricher.from_settings(enrichment or EnrichmentSettings.from_env(), s3=s3)
    services = Services(
        settings=settings,
        # Never into an index without a template: checked once per index and process (container).
        writer=BulkWriter(client, settings, templates=IndexTemplateCheck(client)),
        ledger=ledger or make_ledger(settings, dynamodb),
        sink=make_sink(settings, s3),
        hooks=hooks or Hooks(),
        search=client,
        enricher=enricher,
        # Documents fit an index created under an older template: its mapping read once per index.
        mappings=LiveMappings(client),
    )
    return Runtime(services, s3)
