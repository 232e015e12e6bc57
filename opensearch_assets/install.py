"""Install the assets on a collection: templates through the REST API, saved objects through
the Dashboards import API. Used by ``siem assets install`` and the CDK custom resource.

Both steps overwrite what they find, so running the installer again is harmless and is how
an upgrade is applied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from opensearchpy import OpenSearch, RequestsHttpConnection

from opensearch_assets.saved_objects import render, to_ndjson
from opensearch_assets.templates import (
    DEFAULT_PREFIX,
    component_templates,
    index_templates,
    install_templates,
)

AuthMode = Literal["aoss", "es", "none"]
AUTH_MODES: tuple[AuthMode, ...] = ("aoss", "es", "none")
IMPORT_PATH = "/api/saved_objects/_import"
TIMEOUT_SECONDS = 60
NOT_IMPORTED = "saved objects not imported: no Dashboards URL given (pass --dashboards-url)"


class InstallError(RuntimeError):
    """The engine or Dashboards refused a step; the message says which and why."""


@dataclass(slots=True)
class InstallReport:
    endpoint: str
    prefix: str
    component_templates: list[str] = field(default_factory=list)
    index_templates: list[str] = field(default_factory=list)
    dashboards_url: str | None = None
    saved_objects_imported: int = 0
    saved_objects_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def saved_objects_skipped(self) -> bool:
        return self.dashboards_url is None

    @property
    def ok(self) -> bool:
        return not self.saved_objects_errors

    def lines(self) -> list[str]:
        """A human summary, one fact per line."""
        out = [
            f"endpoint {self.endpoint}: {len(self.component_templates)} component templates and "
            f"{len(self.index_templates)} index templates installed ({', '.join(self.index_templates)})",
        ]
        if self.saved_objects_skipped:
            out.append(NOT_IMPORTED)
        else:
            out.append(
                f"dashboards {self.dashboards_url}: {self.saved_objects_imported} saved objects imported"
            )
        for error in self.saved_objects_errors:
            out.append(f"saved object {error.get('type')}/{error.get('id')} failed: {error.get('error')}")
        return out


def request_auth(auth: AuthMode, region: str | None) -> requests.auth.AuthBase | None:
    """SigV4 for ``aoss`` (Serverless) or ``es`` (managed domain); nothing for ``none``.

    Credentials come from the usual AWS chain (environment, profile, instance or Lambda role).
    """
    if auth == "none":
        return None
    if auth not in AUTH_MODES:
        raise ValueError(f"unknown auth mode {auth!r}; expected one of {AUTH_MODES}")
    import boto3
    from opensearchpy import RequestsAWSV4SignerAuth

    session = boto3.Session(region_name=region) if region else boto3.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise InstallError(f"--auth {auth}: no AWS credentials found")
    if not session.region_name:
        raise InstallError(f"--auth {auth}: no region (pass --region or set AWS_REGION)")
    signer: requests.auth.AuthBase = RequestsAWSV4SignerAuth(credentials, session.region_name, auth)
    return signer


def make_client(endpoint: str, http_auth: requests.auth.AuthBase | None) -> OpenSearch:
    return OpenSearch(
        hosts=[endpoint],
        http_auth=http_auth,
        connection_class=RequestsHttpConnection,
        timeout=TIMEOUT_SECONDS,
    )


def import_saved_objects(
    dashboards_url: str,
    ndjson: bytes,
    http_auth: requests.auth.AuthBase | None,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """``POST <dashboards>/api/saved_objects/_import?overwrite=true`` (multipart ``file``).

    Returns the Dashboards answer (``success``, ``successCount``, ``errors``); raises
    :class:`InstallError` when the request itself is refused.
    """
    url = dashboards_url.rstrip("/") + IMPORT_PATH
    http = session or requests.Session()
    try:
        response = http.post(
            url,
            params={"overwrite": "true"},
            headers={"osd-xsrf": "true"},
            files={"file": ("saved_objects.ndjson", ndjson, "application/ndjson")},
            auth=http_auth,
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise InstallError(f"saved objects import: {url}: {error}") from error
    if response.status_code >= 300:
        raise InstallError(f"saved objects import: {url}: HTTP {response.status_code}: {response.text[:500]}")
    answer: dict[str, Any] = response.json()
    return answer


def install(
    endpoint: str,
    dashboards_url: str | None = None,
    auth: AuthMode = "aoss",
    region: str | None = None,
    prefix: str = DEFAULT_PREFIX,
    *,
    client: OpenSearch | None = None,
    session: requests.Session | None = None,
) -> InstallReport:
    """Install the templates on ``endpoint`` and, given a Dashboards URL, the saved objects.

    ``client`` and ``session`` replace the ones built from ``endpoint``/``auth`` (tests, or
    callers that already hold a configured client).
    """
    needs_auth = client is None or bool(dashboards_url)
    http_auth = request_auth(auth, region or os.environ.get("AWS_REGION")) if needs_auth else None
    engine = client or make_client(endpoint, http_auth)
    report = InstallReport(endpoint=endpoint, prefix=prefix, dashboards_url=dashboards_url or None)
    try:
        install_templates(engine, prefix)
    except Exception as error:
        raise InstallError(f"index templates on {endpoint}: {error}") from error
    report.component_templates = list(component_templates(prefix))
    report.index_templates = list(index_templates(prefix))
    if report.dashboards_url:
        answer = import_saved_objects(report.dashboards_url, to_ndjson(render(prefix)), http_auth, session)
        report.saved_objects_imported = int(answer.get("successCount", 0))
        report.saved_objects_errors = list(answer.get("errors", []))
    return report
