"""Settings of the ingest path, read from the Lambda's environment or from CLI options.

The connection to OpenSearch is the shared :class:`opensearch_client.ConnectionSettings`; the
rest (bulk sizes, ledger, dead letters, deadline) is the ingest path's own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.defaults import DEADLINE_MARGIN_SECONDS, REQUEST_TIMEOUT_SECONDS
from normalizers.limits import DEFAULT_LIMITS, Limits
from normalizers.vpcflow.formats import parse_formats
from opensearch_client import ConnectionSettings

MIB = 1024 * 1024
LOCAL_ENDPOINT = "http://127.0.0.1:9200"
LOCAL_CONNECTION = ConnectionSettings(LOCAL_ENDPOINT, timeout=REQUEST_TIMEOUT_SECONDS)


@dataclass(frozen=True, slots=True)
class Settings:
    connection: ConnectionSettings = LOCAL_CONNECTION
    """The OpenSearch endpoint and its auth; ``timeout`` bounds one bulk request, and its
    ``region`` is the AWS region of the S3 and DynamoDB clients too."""
    index_prefix: str = "siem-"
    bulk_max_bytes: int = 5 * MIB
    """Upper bound of one ``_bulk`` body (Serverless: stay within 5-10 MiB)."""
    bulk_max_docs: int = 1000
    """Upper bound of documents in one ``_bulk`` body, so a chunk spreads over the pool."""
    concurrency: int = 4
    """Concurrent ``_bulk`` requests (one small thread pool)."""
    chunk_size: int = 4000
    """Records per ledger chunk: the unit of resumption and the bound of the residual window."""
    max_attempts: int = 8
    """Attempts per bulk request or item before it counts as failed (within the deadline)."""
    backoff_base: float = 0.2
    backoff_cap: float = 10.0
    ledger_table: str | None = None
    """DynamoDB table (Lambda); the CLI uses ``ledger_path`` (SQLite) instead."""
    ledger_path: Path | None = None
    ledger_ttl_days: int = 30
    """Longer than SQS's maximum retention (14 days), so no redelivery outlives its entry."""
    dead_letter_bucket: str | None = None
    dead_letter_prefix: str = "dead-letter/"
    dead_letter_dir: Path | None = None
    keep_original: bool = False
    vpc_flow_formats: tuple[tuple[str, str], ...] = ()
    """Flow log formats for flow lines with no header line, by log group or S3 key prefix
    (``VPC_FLOW_FORMATS``; normalizers/vpcflow/formats.py)."""
    deadline_margin: float = DEADLINE_MARGIN_SECONDS
    """Seconds kept free before the Lambda's deadline to save progress and answer."""
    max_object_bytes: int = DEFAULT_LIMITS.max_object_bytes
    """Decompressed bytes read from one object (``normalizers.limits.Limits``)."""
    max_compression_ratio: int = DEFAULT_LIMITS.max_ratio
    max_record_bytes: int = DEFAULT_LIMITS.max_record_bytes

    def limits(self) -> Limits:
        """What one object may cost, for the normalizers."""
        return Limits(
            max_object_bytes=self.max_object_bytes,
            max_ratio=self.max_compression_ratio,
            max_record_bytes=self.max_record_bytes,
        )

    def index_for(self, source: str) -> str:
        return f"{self.index_prefix}{source}"


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


# Environment variable -> (setting, converter); the connection's variables are read by
# ConnectionSettings.from_env (OPENSEARCH_AUTH, AWS_REGION, OPENSEARCH_USERNAME/PASSWORD).
_ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "INDEX_PREFIX": ("index_prefix", str),
    "BULK_MAX_BYTES": ("bulk_max_bytes", int),
    "BULK_MAX_DOCS": ("bulk_max_docs", int),
    "BULK_CONCURRENCY": ("concurrency", int),
    "CHUNK_SIZE": ("chunk_size", int),
    "MAX_ATTEMPTS": ("max_attempts", int),
    "LEDGER_TABLE": ("ledger_table", str),
    "LEDGER_PATH": ("ledger_path", Path),
    "LEDGER_TTL_DAYS": ("ledger_ttl_days", int),
    "DEAD_LETTER_BUCKET": ("dead_letter_bucket", str),
    "DEAD_LETTER_PREFIX": ("dead_letter_prefix", str),
    "DEAD_LETTER_DIR": ("dead_letter_dir", Path),
    "KEEP_ORIGINAL": ("keep_original", _flag),
    "VPC_FLOW_FORMATS": ("vpc_flow_formats", parse_formats),
    "DEADLINE_MARGIN_SECONDS": ("deadline_margin", float),
    "MAX_OBJECT_BYTES": ("max_object_bytes", int),
    "MAX_COMPRESSION_RATIO": ("max_compression_ratio", int),
    "MAX_RECORD_BYTES": ("max_record_bytes", int),
}


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables (names in ``docs/ingest.md``)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable, (name, convert) in _ENVIRONMENT.items():
        raw = environ.get(variable)
        if raw not in (None, ""):
            values[name] = convert(raw)
    connection = ConnectionSettings.from_env(
        environ.get("OPENSEARCH_ENDPOINT") or LOCAL_ENDPOINT,
        environ,
        timeout=float(environ.get("REQUEST_TIMEOUT") or REQUEST_TIMEOUT_SECONDS),
    )
    return Settings(connection=connection, **values)
