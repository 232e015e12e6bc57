"""Settings of the ingest path, read from the Lambda's environment or from CLI options.

The connection to OpenSearch is the shared :class:`opensearch_client.ConnectionSettings`; the
rest (bulk sizes, ledger, dead letters, deadline) is the ingest path's own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.defaults import DEADLINE_MARGIN_SECONDS, REQUEST_TIMEOUT_SECONDS
from normalizers import SOURCES
from normalizers.limits import DEFAULT_LIMITS, Limits
from normalizers.vpcflow.formats import parse_formats
from opensearch_client import ConnectionSettings

MIB = 1024 * 1024
LOCAL_ENDPOINT = "http://127.0.0.1:9200"
LOCAL_CONNECTION = ConnectionSettings(LOCAL_ENDPOINT, timeout=REQUEST_TIMEOUT_SECONDS)
DEFAULT_SOURCE_PREFIXES: Mapping[str, str] = {source: f"{source}/" for source in SOURCES}
"""The CDK app's default key prefix of each source (infra/config.py)."""
_ACCOUNT_ID = re.compile(r"^\d{12}$")
SERVERLESS_VISIBILITY_SECONDS = 60.0


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
    config_snapshot_inventory: bool = False
    """Index every item of AWS Config snapshot files, not only their compliance items
    (``CONFIG_SNAPSHOT_INVENTORY``; docs/sources/config.md, "Snapshots")."""
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

    source_prefixes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCE_PREFIXES))
    """Source -> key prefix in the log bucket: what may be found under each (ingest.provenance)."""
    delegated_admin_account_ids: frozenset[str] = frozenset()
    """Accounts whose member delivery may carry other accounts' findings (GuardDuty and Security
    Hub delegated administrators)."""
    search_visibility_seconds: float | None = None
    """How long a write may take to become searchable; a resume of a chunk that was in flight
    waits until then before looking its documents up. ``None``: by engine (:meth:`visibility_delay`)."""

    def index_for(self, source: str) -> str:
        return f"{self.index_prefix}{source}"

    def visibility_delay(self) -> float:
        """Serverless makes a write searchable within 10-60 s; other engines refresh every second."""
        if self.search_visibility_seconds is not None:
            return self.search_visibility_seconds
        return SERVERLESS_VISIBILITY_SECONDS if self.connection.auth == "aoss" else 1.0


def account_ids(value: str) -> frozenset[str]:
    """``"111111111111,222222222222"`` -> the account ids; ``ValueError`` for anything else."""
    accounts = frozenset(part.strip() for part in value.split(",") if part.strip())
    wrong = sorted(account for account in accounts if not _ACCOUNT_ID.match(account))
    if wrong:
        raise ValueError(f"not 12-digit account ids: {', '.join(wrong)}")
    return accounts


def source_prefixes(value: str) -> dict[str, str]:
    """``"cloudtrail=ct/,vpcflow=flows/"`` -> {source: prefix}; sources not named keep their default."""
    prefixes = dict(DEFAULT_SOURCE_PREFIXES)
    for part in filter(None, (part.strip() for part in value.split(","))):
        source, equals, prefix = part.partition("=")
        if not equals or source not in SOURCES or not prefix.endswith("/"):
            raise ValueError(f"SOURCE_PREFIXES: expected <source>=<prefix ending in />, got {part!r}")
        prefixes[source] = prefix
    return prefixes


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
    "CONFIG_SNAPSHOT_INVENTORY": ("config_snapshot_inventory", _flag),
    "DEADLINE_MARGIN_SECONDS": ("deadline_margin", float),
    "MAX_OBJECT_BYTES": ("max_object_bytes", int),
    "MAX_COMPRESSION_RATIO": ("max_compression_ratio", int),
    "MAX_RECORD_BYTES": ("max_record_bytes", int),
    "SOURCE_PREFIXES": ("source_prefixes", source_prefixes),
    "DELEGATED_ADMIN_ACCOUNT_IDS": ("delegated_admin_account_ids", account_ids),
    "SEARCH_VISIBILITY_SECONDS": ("search_visibility_seconds", float),
}


def provenance_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The provenance settings of the environment (the CLI reads them like the Lambda);
    ``ValueError`` for a malformed one."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for variable in ("SOURCE_PREFIXES", "DELEGATED_ADMIN_ACCOUNT_IDS"):
        if environ.get(variable):
            name, convert = _ENVIRONMENT[variable]
            values[name] = convert(environ[variable])
    return values


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
