"""The account-sync Lambda entry point, ``enrichment.sync_handler.lambda_handler``.

EventBridge Scheduler runs it hourly (infra/account_sync.py): it reads the organization's
accounts from AWS Organizations (:func:`enrichment.organizations.sync_from_organizations`)
and writes the directory to ``ACCOUNTS_LOCATION`` (``s3://<state bucket>/enrichment/accounts.json``),
which the ingest function reads (docs/enrichment.md, "Accounts"). The function's account must
be the organization's management account or an Organizations delegated administrator.

Environment: ``ACCOUNTS_LOCATION`` (required), ``ACCOUNT_TAG_KEYS`` (comma-separated tag keys
to keep; default ``owner,team``). A failure raises, so the scheduler's
retry applies and the previous directory stays in place (its readers keep using it).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from enrichment.account_store import open_store
from enrichment.accounts import DEFAULT_TAG_KEYS
from enrichment.organizations import organizations_client, sync_from_organizations

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)


def sync(environ: Mapping[str, str], organizations: Any, s3: Any | None = None) -> dict[str, Any]:
    """Sync once: read Organizations, write the directory; what was written, for the log."""
    location = environ.get("ACCOUNTS_LOCATION")
    if not location:
        raise ValueError("ACCOUNTS_LOCATION is not set (s3://bucket/key of the account directory)")
    tag_keys = [key for key in environ.get("ACCOUNT_TAG_KEYS", "").split(",") if key.strip()]
    store = open_store(location, s3)
    directory = sync_from_organizations(organizations, tag_keys or DEFAULT_TAG_KEYS)
    store.write(directory)
    result = {
        "accounts": len(directory),
        "organization_id": directory.organization_id,
        "tag_keys": list(directory.tag_keys),
        "location": store.location,
        "synced_at": directory.synced_at,
    }
    LOGGER.info("account directory written: %s", result)
    return result


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return sync(os.environ, organizations_client())
