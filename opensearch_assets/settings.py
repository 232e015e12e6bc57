"""Settings of the asset installer: the collection to install on (the shared connection
settings), its Dashboards and the index prefix. Built from ``siem assets install``'s options,
or from the CDK custom resource's properties and environment (``ResourceSettings.from_env``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from opensearch_assets.templates import DEFAULT_PREFIX
from opensearch_client import ConnectionSettings

TIMEOUT_SECONDS = 60.0
"""Template and saved-objects requests carry the whole asset set: more than a search needs."""


@dataclass(frozen=True, slots=True)
class InstallSettings:
    connection: ConnectionSettings
    """The collection or domain that receives the index templates."""
    dashboards_url: str | None = None
    """OpenSearch Dashboards base URL; ``None``: templates only."""
    prefix: str = DEFAULT_PREFIX


@dataclass(frozen=True, slots=True)
class ResourceSettings:
    """The custom resource's installs: the logs collection (templates and saved objects) and,
    when it is another collection, the alerts collection (templates)."""

    logs: InstallSettings
    alerts: InstallSettings | None
    retry_seconds: float = 300.0
    """How long a failing install is retried (a new collection's access policy propagating)."""

    @classmethod
    def from_env(
        cls, properties: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> ResourceSettings:
        """Resource properties ``Endpoint``, ``AlertsEndpoint``, ``DashboardsUrl`` and
        ``IndexPrefix`` override the environment's ``OPENSEARCH_ENDPOINT``, ``ALERTS_ENDPOINT``,
        ``DASHBOARDS_URL`` and ``INDEX_PREFIX``; ``AUTH`` (default ``aoss``), ``AWS_REGION`` and
        ``INSTALL_RETRY_SECONDS`` come from the environment only."""
        env = os.environ if environ is None else environ
        endpoint = properties.get("Endpoint") or env.get("OPENSEARCH_ENDPOINT")
        if not endpoint:
            raise ValueError("no endpoint: set the Endpoint property or OPENSEARCH_ENDPOINT")
        connection = ConnectionSettings.from_env(
            str(endpoint), env, auth_variable="AUTH", timeout=TIMEOUT_SECONDS
        )
        prefix = resource_prefix(properties, env)
        dashboards_url = properties.get("DashboardsUrl") or env.get("DASHBOARDS_URL") or None
        logs = InstallSettings(connection, dashboards_url, prefix)
        # The alerts index lives in its own SEARCH collection: it needs the templates there too.
        alerts_endpoint = properties.get("AlertsEndpoint") or env.get("ALERTS_ENDPOINT")
        alerts = None
        if alerts_endpoint and alerts_endpoint != endpoint:
            alerts = InstallSettings(replace(connection, endpoint=str(alerts_endpoint)), None, prefix)
        return cls(logs, alerts, float(env.get("INSTALL_RETRY_SECONDS", "300")))


def resource_prefix(properties: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    return str(properties.get("IndexPrefix") or environ.get("INDEX_PREFIX") or DEFAULT_PREFIX)
