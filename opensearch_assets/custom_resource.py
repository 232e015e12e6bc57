"""CDK custom resource handler (``custom_resources.Provider`` ``on_event``): install the assets.

Create and Update install (idempotent), existing indices included (a mapping update refused on
one is logged, never fails the deploy: the templates are in place); Delete leaves the templates, dashboards and data in
place, because deleting a stack must never delete an analyst's saved work or the mappings of
indices that still hold data.

Environment: ``OPENSEARCH_ENDPOINT`` (``https://<collection-id>.<region>.aoss.amazonaws.com``),
``ALERTS_ENDPOINT``, ``DASHBOARDS_URL`` (optional; Serverless: ``<endpoint>/_dashboards``),
``INDEX_PREFIX`` (default ``siem-``), ``AUTH`` (default ``aoss``), ``INSTALL_RETRY_SECONDS``
(default 300). Resource properties with the same names (``Endpoint``, ``AlertsEndpoint``,
``DashboardsUrl``, ``IndexPrefix``) override the environment, so one function can serve
several collections (:meth:`opensearch_assets.settings.ResourceSettings.from_env`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from opensearch_assets.install import InstallError, InstallReport, install
from opensearch_assets.settings import ResourceSettings, resource_prefix

LOG = logging.getLogger(__name__)
RETRY_PAUSE_SECONDS = 15


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_type = event.get("RequestType")
    properties = event.get("ResourceProperties") or {}
    physical_id = (
        event.get("PhysicalResourceId") or f"opensearch-assets-{resource_prefix(properties, os.environ)}"
    )
    if request_type == "Delete":
        LOG.info("delete %s: templates and saved objects are left in place", physical_id)
        return {"PhysicalResourceId": physical_id}
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unknown RequestType {request_type!r}")
    settings = ResourceSettings.from_env(properties)
    deadline = time.monotonic() + settings.retry_seconds
    targets = [settings.logs] if settings.alerts is None else [settings.logs, settings.alerts]
    reports = [_retrying(partial(install, target), deadline) for target in targets]
    for each in reports:
        for line in each.lines():
            LOG.info("%s", line)
        # An index whose mapping could not be updated is logged, not a failed deploy: the
        # templates are in place, the index keeps working as before, the next install retries.
        if not each.indices_ok:
            LOG.error("existing indices not all upgraded: run siem assets install (docs/assets.md)")
        if each.saved_objects_errors:
            raise InstallError("; ".join(each.saved_objects_error_lines()))
    report = reports[0]
    return {
        "PhysicalResourceId": physical_id,
        "Data": {
            "IndexTemplates": ",".join(report.index_templates),
            "SavedObjectsImported": str(report.saved_objects_imported),
        },
    }


def _retrying(step: Callable[[], InstallReport], deadline: float) -> InstallReport:
    """Retry while a new collection's data access policy propagates (403s for a minute or two)."""
    while True:
        try:
            return step()
        except InstallError as error:
            if time.monotonic() + RETRY_PAUSE_SECONDS > deadline:
                raise
            LOG.warning("install failed, retrying in %s s: %s", RETRY_PAUSE_SECONDS, error)
            time.sleep(RETRY_PAUSE_SECONDS)
