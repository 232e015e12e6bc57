"""The ingest Lambda's settings from its environment (the variables infra/ingest_pipeline.py sets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.config import LOCAL_ENDPOINT, from_env
from ingest.defaults import DEADLINE_MARGIN_SECONDS, REQUEST_TIMEOUT_SECONDS


def test_the_deployed_environment_becomes_connection_and_ingest_settings() -> None:
    settings = from_env(
        {
            "OPENSEARCH_ENDPOINT": "https://abc.eu-west-1.aoss.amazonaws.com",
            "OPENSEARCH_AUTH": "aoss",
            "AWS_REGION": "eu-west-1",
            "INDEX_PREFIX": "org-",
            "LEDGER_TABLE": "ledger",
            "DEAD_LETTER_BUCKET": "logs",
            "DEAD_LETTER_PREFIX": "dead-letter/",
            "BULK_MAX_BYTES": "1048576",
            "KEEP_ORIGINAL": "true",
            "REQUEST_TIMEOUT": "12.5",
        }
    )
    connection = settings.connection
    assert (connection.endpoint, connection.auth, connection.region, connection.timeout) == (
        "https://abc.eu-west-1.aoss.amazonaws.com",
        "aoss",
        "eu-west-1",
        12.5,
    )
    assert (settings.index_prefix, settings.ledger_table, settings.dead_letter_bucket) == (
        "org-",
        "ledger",
        "logs",
    )
    assert settings.bulk_max_bytes == 1024 * 1024 and settings.keep_original


def test_unset_or_empty_variables_keep_the_defaults() -> None:
    settings = from_env({"OPENSEARCH_AUTH": "", "LEDGER_PATH": "/tmp/l.sqlite"})
    assert settings.connection.endpoint == LOCAL_ENDPOINT and settings.connection.auth == "aoss"
    assert settings.connection.timeout == REQUEST_TIMEOUT_SECONDS
    assert settings.deadline_margin == DEADLINE_MARGIN_SECONDS
    assert settings.ledger_path == Path("/tmp/l.sqlite") and settings.index_prefix == "siem-"


def test_basic_auth_reads_its_credentials_and_an_unknown_mode_is_refused() -> None:
    settings = from_env(
        {"OPENSEARCH_AUTH": "basic", "OPENSEARCH_USERNAME": "u", "OPENSEARCH_PASSWORD": "s3cr3t!"}
    )
    assert (settings.connection.username, settings.connection.password) == ("u", "s3cr3t!")
    assert "s3cr3t!" not in repr(settings)
    with pytest.raises(ValueError, match="OPENSEARCH_AUTH must be one of"):
        from_env({"OPENSEARCH_AUTH": "sigv4"})
