"""The installer, the CLI and the CDK custom resource, against the embedded engine (through the
Serverless guard) and a fake Dashboards: an HTTP server on 127.0.0.1 recording each request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

from opensearch_assets import custom_resource
from opensearch_assets import install as installer
from opensearch_assets.install import NOT_IMPORTED, InstallError, install
from opensearch_assets.saved_objects import render, to_ndjson
from opensearch_assets.settings import InstallSettings, ResourceSettings
from opensearch_assets.templates import index_templates
from opensearch_client import ConnectionSettings
from siem_cli import main as cli

pytestmark = pytest.mark.integration


def _settings(dashboards_url: str | None, prefix: str = "siem-") -> InstallSettings:
    return InstallSettings(ConnectionSettings("http://engine", auth="none"), dashboards_url, prefix)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    parts: dict[str, tuple[str | None, bytes]]
    """Multipart form parts: name -> (file name, content)."""


@dataclass
class FakeDashboards:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    answers: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    """Queued ``(status, body)``; when empty: success for every object in the file."""


def _parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return parts


@pytest.fixture
def dashboards() -> Iterator[FakeDashboards]:
    fake = FakeDashboards()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            url = urlsplit(self.path)
            parts = _parts(self.headers.get("Content-Type", ""), body)
            fake.requests.append(
                Recorded(
                    "POST",
                    url.path,
                    parse_qs(url.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    parts,
                )
            )
            status, answer = fake.answers.pop(0) if fake.answers else (200, None)
            if answer is None:
                count = len(parts.get("file", (None, b""))[1].splitlines())
                answer = {"success": True, "successCount": count, "errors": []}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/_dashboards"
    yield fake
    server.shutdown()
    server.server_close()


def _installed_templates(engine: OpenSearch) -> list[str]:
    return sorted(
        item["name"] for item in engine.indices.get_index_template(name="siem-*")["index_templates"]
    )


def test_install_imports_the_saved_objects_with_overwrite_and_xsrf(
    engine: OpenSearch, dashboards: FakeDashboards
) -> None:
    report = install(_settings(dashboards.url), client=engine)
    (request,) = dashboards.requests
    assert request.path == "/_dashboards/api/saved_objects/_import"
    assert request.query == {"overwrite": ["true"]}
    assert request.headers["osd-xsrf"] == "true"
    filename, content = request.parts["file"]
    assert filename and filename.endswith(".ndjson")
    assert content == to_ndjson(render("siem-"))
    assert report.ok and report.saved_objects_imported == len(render())
    assert _installed_templates(engine) == sorted(index_templates("siem-"))


def test_install_twice_is_idempotent(engine: OpenSearch, dashboards: FakeDashboards) -> None:
    first = install(_settings(dashboards.url), client=engine)
    second = install(_settings(dashboards.url), client=engine)
    assert first.lines() == second.lines()
    assert dashboards.requests[0].parts == dashboards.requests[1].parts
    assert _installed_templates(engine) == sorted(index_templates("siem-"))


def test_install_without_dashboards_installs_templates_and_says_so(engine: OpenSearch) -> None:
    report = install(_settings(None), client=engine)
    assert report.saved_objects_skipped and NOT_IMPORTED in report.lines()
    assert _installed_templates(engine) == sorted(index_templates("siem-"))


def test_install_with_another_prefix_names_templates_and_titles_after_it(
    engine: OpenSearch, dashboards: FakeDashboards
) -> None:
    install(_settings(dashboards.url, "siem-test-"), client=engine)
    names = [
        item["name"] for item in engine.indices.get_index_template(name="siem-test-*")["index_templates"]
    ]
    assert sorted(names) == sorted(index_templates("siem-test-"))
    imported = [json.loads(line) for line in dashboards.requests[0].parts["file"][1].splitlines()]
    assert {obj["attributes"]["title"] for obj in imported if obj["type"] == "index-pattern"} >= {
        "siem-test-cloudtrail,siem-test-vpcflow,siem-test-guardduty,siem-test-securityhub,siem-test-config",
        "siem-test-alerts",
    }


def test_dashboards_errors_are_reported(engine: OpenSearch, dashboards: FakeDashboards) -> None:
    refused = {
        "success": False,
        "successCount": 0,
        "errors": [{"id": "siem-all", "type": "index-pattern", "error": {"type": "conflict"}}],
    }
    dashboards.answers += [(200, refused), (403, {"message": "forbidden"})]
    report = install(_settings(dashboards.url), client=engine)
    assert not report.ok and any("siem-all" in line for line in report.lines())
    with pytest.raises(InstallError, match="HTTP 403"):
        install(_settings(dashboards.url), client=engine)


def test_a_refused_flow_mapping_feature_fails_the_install_loudly(
    engine: OpenSearch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The flow template's copy_to, constant_keyword and alias are not in the Serverless
    reference: an engine refusing one stops the install with an error naming it."""
    put = engine.cluster.put_component_template

    def refuse_copy_to(name: str, body: dict[str, Any], **kwargs: Any) -> Any:
        if "copy_to" in json.dumps(body):
            reason = "unknown parameter [copy_to] on mapper [ip] of type [ip]"
            cause = {"type": "mapper_parsing_exception", "reason": reason}
            raise RequestError(400, "mapper_parsing_exception", {"error": {**cause, "root_cause": [cause]}})
        return put(name=name, body=body, **kwargs)

    monkeypatch.setattr(engine.cluster, "put_component_template", refuse_copy_to)
    with pytest.raises(InstallError, match=r"copy_to.*not documented for OpenSearch Serverless"):
        install(_settings(None), client=engine)
    monkeypatch.setattr(installer, "make_client", lambda connection, **_: engine)
    assert cli.main(["assets", "install", "--endpoint", "http://engine", "--auth", "none"]) != 0
    assert "copy_to" in capsys.readouterr().err


def test_cli_installs_and_prints_the_report(
    engine: OpenSearch,
    dashboards: FakeDashboards,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(installer, "make_client", lambda connection, **_: engine)
    status = cli.main(["assets", "install", "--endpoint", "http://engine", "--auth", "none"])
    assert status == 0 and NOT_IMPORTED in capsys.readouterr().out
    status = cli.main(
        [
            "assets",
            "install",
            "--endpoint",
            "http://engine",
            "--auth",
            "none",
            "--dashboards-url",
            dashboards.url,
        ]
    )
    assert status == 0 and f"{len(render())} saved objects imported" in capsys.readouterr().out
    dashboards.answers.append((500, {"message": "boom"}))
    status = cli.main(
        [
            "assets",
            "install",
            "--endpoint",
            "http://engine",
            "--auth",
            "none",
            "--dashboards-url",
            dashboards.url,
        ]
    )
    assert status == 1 and "HTTP 500" in capsys.readouterr().err


def test_custom_resource_installs_on_create_retries_and_leaves_data_on_delete(
    engine: OpenSearch, dashboards: FakeDashboards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(installer, "make_client", lambda connection, **_: engine)
    monkeypatch.setattr(custom_resource, "RETRY_PAUSE_SECONDS", 0)
    monkeypatch.setenv("OPENSEARCH_ENDPOINT", "http://engine")
    monkeypatch.setenv("DASHBOARDS_URL", dashboards.url)
    monkeypatch.setenv("AUTH", "none")
    monkeypatch.setenv("INSTALL_RETRY_SECONDS", "30")
    dashboards.answers.append((403, {"message": "data access policy not yet applied"}))
    created = custom_resource.on_event({"RequestType": "Create", "ResourceProperties": {}}, None)
    assert created["Data"]["SavedObjectsImported"] == str(len(render()))
    assert len(dashboards.requests) == 2
    deleted = custom_resource.on_event(
        {"RequestType": "Delete", "PhysicalResourceId": created["PhysicalResourceId"]}, None
    )
    assert deleted == {"PhysicalResourceId": created["PhysicalResourceId"]}
    assert len(dashboards.requests) == 2
    assert _installed_templates(engine) == sorted(index_templates("siem-"))


def test_custom_resource_also_installs_the_templates_on_the_alerts_collection(
    engine: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints: list[str] = []

    def client_for(connection: ConnectionSettings, **_: object) -> OpenSearch:
        endpoints.append(connection.endpoint)
        return engine

    monkeypatch.setattr(installer, "make_client", client_for)
    monkeypatch.setenv("AUTH", "none")
    properties = {"Endpoint": "http://logs", "AlertsEndpoint": "http://alerts"}
    custom_resource.on_event({"RequestType": "Update", "ResourceProperties": properties}, None)
    assert endpoints == ["http://logs", "http://alerts"]
    assert "siem-alerts" in _installed_templates(engine)


def test_resource_settings_take_the_properties_over_the_environment() -> None:
    environ = {
        "OPENSEARCH_ENDPOINT": "https://logs",
        "ALERTS_ENDPOINT": "https://alerts",
        "DASHBOARDS_URL": "https://logs/_dashboards",
        "AUTH": "aoss",
        "AWS_REGION": "eu-west-1",
    }
    settings = ResourceSettings.from_env({}, environ)
    assert settings.logs.connection.endpoint == "https://logs" and settings.logs.prefix == "siem-"
    assert settings.logs.dashboards_url == "https://logs/_dashboards"
    assert settings.alerts is not None and settings.alerts.connection.endpoint == "https://alerts"
    assert settings.alerts.dashboards_url is None and settings.alerts.connection.region == "eu-west-1"
    same = ResourceSettings.from_env(
        {"Endpoint": "https://x", "AlertsEndpoint": "https://x", "IndexPrefix": "a-"}, environ
    )
    assert same.alerts is None and same.logs.prefix == "a-" and same.logs.connection.endpoint == "https://x"
    with pytest.raises(ValueError, match="AUTH must be one of"):
        ResourceSettings.from_env({}, {**environ, "AUTH": "iam"})
