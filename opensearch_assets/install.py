"""Install the assets on a collection: templates through the REST API, existing indices brought
up to them (:mod:`opensearch_assets.upgrade`), saved objects through the Dashboards import API.
Used by ``siem assets install`` and the CDK custom resource.

Each step overwrites or adds what it finds missing, so running the installer again is harmless
and is how an upgrade is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from opensearchpy import OpenSearch

from opensearch_assets.mappings import UNDOCUMENTED_ON_SERVERLESS
from opensearch_assets.saved_objects import render, to_ndjson
from opensearch_assets.settings import TIMEOUT_SECONDS, InstallSettings
from opensearch_assets.templates import component_templates, index_templates, install_templates
from opensearch_assets.upgrade import IndexUpgrade, upgrade_indices
from opensearch_client import AuthMode, dashboards_session, make_client

T = TypeVar("T")
IMPORT_PATH = "/api/saved_objects/_import"
NOT_IMPORTED = "saved objects not imported: no Dashboards URL given (pass --dashboards-url)"


class InstallError(RuntimeError):
    """The engine or Dashboards refused a step; the message says which and why."""


@dataclass(slots=True)
class InstallReport:
    endpoint: str
    prefix: str
    component_templates: list[str] = field(default_factory=list)
    index_templates: list[str] = field(default_factory=list)
    indices: list[IndexUpgrade] = field(default_factory=list)
    """The existing indices the templates match, each brought up to its template."""
    indices_error: str | None = None
    """Why the existing indices could not be listed (none was then upgraded)."""
    dashboards_url: str | None = None
    saved_objects_imported: int = 0
    saved_objects_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def saved_objects_skipped(self) -> bool:
        return self.dashboards_url is None

    @property
    def indices_ok(self) -> bool:
        """Every existing index listed and its mapping updated (a field left alone is not a failure)."""
        return self.indices_error is None and not any(each.error for each in self.indices)

    @property
    def ok(self) -> bool:
        return not self.saved_objects_errors and self.indices_ok

    def lines(self) -> list[str]:
        """A human summary, one fact per line."""
        out = [
            f"endpoint {self.endpoint}: {len(self.component_templates)} component templates and "
            f"{len(self.index_templates)} index templates installed ({', '.join(self.index_templates)})",
            *self._indices_lines(),
        ]
        if self.saved_objects_skipped:
            out.append(NOT_IMPORTED)
        else:
            out.append(
                f"dashboards {self.dashboards_url}: {self.saved_objects_imported} saved objects imported"
            )
        return out + self.saved_objects_error_lines()

    def saved_objects_error_lines(self) -> list[str]:
        return [
            f"saved object {error.get('type')}/{error.get('id')} failed: {error.get('error')}"
            for error in self.saved_objects_errors
        ]

    def _indices_lines(self) -> list[str]:
        if self.indices_error:
            return [f"existing indices not upgraded: {self.indices_error}"]
        if not self.indices:
            return ["existing indices: none matches a template"]
        out = [line for each in self.indices for line in each.lines()]
        changed = sum(1 for each in self.indices if each.added)
        failed = sum(1 for each in self.indices if each.error)
        current = len(self.indices) - changed - failed
        out.append(
            f"existing indices: {len(self.indices)} checked, {changed} given new fields, "
            f"{current} already had every field of their template"
            + (f", {failed} failed (see above)" if failed else "")
        )
        return out


def import_saved_objects(
    dashboards_url: str,
    ndjson: bytes,
    session: requests.Session,
) -> dict[str, Any]:
    """``POST <dashboards>/api/saved_objects/_import?overwrite=true`` (multipart ``file``).

    Returns the Dashboards answer (``success``, ``successCount``, ``errors``); raises
    :class:`InstallError` when the request itself is refused.
    """
    url = dashboards_url.rstrip("/") + IMPORT_PATH
    try:
        response = session.post(
            url,
            params={"overwrite": "true"},
            headers={"osd-xsrf": "true"},
            files={"file": ("saved_objects.ndjson", ndjson, "application/ndjson")},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise InstallError(f"saved objects import: {url}: {error}") from error
    if response.status_code >= 300:
        raise InstallError(f"saved objects import: {url}: HTTP {response.status_code}: {response.text[:500]}")
    answer: dict[str, Any] = response.json()
    return answer


def install(
    settings: InstallSettings,
    *,
    client: OpenSearch | None = None,
    session: requests.Session | None = None,
) -> InstallReport:
    """Install the templates on the settings' endpoint, add their new fields to the indices
    they match (a failing index is in the report), and, given a Dashboards URL, the saved
    objects.

    ``client`` and ``session`` replace the ones built from the connection settings (tests, or
    callers that already hold a configured client).
    """
    connection, prefix = settings.connection, settings.prefix
    # opensearch-py's own retries (connection errors, 502-504) stay on for the installer.
    engine = client or _authenticated(lambda: make_client(connection, max_retries=3), connection.auth)
    report = InstallReport(connection.endpoint, prefix, dashboards_url=settings.dashboards_url or None)
    try:
        install_templates(engine, prefix)
    except Exception as error:
        raise InstallError(
            f"index templates on {connection.endpoint}: {error}{_undocumented(error)}"
        ) from error
    report.component_templates = list(component_templates(prefix))
    report.index_templates = list(index_templates(prefix))
    try:
        report.indices = upgrade_indices(engine, prefix)
    except Exception as error:  # the templates are in place: report it and go on to Dashboards
        report.indices_error = f"listing them failed: {type(error).__name__}: {error}"
    if report.dashboards_url:
        http = session or _authenticated(lambda: dashboards_session(connection), connection.auth)
        answer = import_saved_objects(report.dashboards_url, to_ndjson(render(prefix)), http)
        report.saved_objects_imported = int(answer.get("successCount", 0))
        report.saved_objects_errors = list(answer.get("errors", []))
    return report


def _undocumented(error: Exception) -> str:
    """Name the mapping features a refusal is about when the Serverless reference does not
    document them: the flow index relies on them to keep its documents small."""
    named = [name for name in UNDOCUMENTED_ON_SERVERLESS if name in str(error)]
    if not named:
        return ""
    return (
        f" ({', '.join(named)}: used by the flow index's template, not documented for OpenSearch"
        ' Serverless; see docs/sources/vpcflow.md, "Document size")'
    )


def _authenticated(build: Callable[[], T], auth: AuthMode) -> T:
    """``build()``, with a missing region or missing credentials reported as an install error."""
    try:
        return build()
    except ValueError as error:
        raise InstallError(f"--auth {auth}: {error}") from error
