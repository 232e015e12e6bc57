"""The shared client factory and Dashboards session, against a local HTTP server that records
each request's headers (what OpenSearch or Dashboards would receive)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from opensearch_client import (
    AUTH_MODES,
    ConnectionSettings,
    auth_mode,
    dashboards_session,
    make_client,
    raw_answers,
)

REGION = "eu-west-1"


class _Recorder(BaseHTTPRequestHandler):
    headers_seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b'{"cluster_name": "local", "version": {"number": "2.11.0"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"headers_seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def _aws() -> boto3.Session:
    return boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION)


@pytest.mark.parametrize("service", ["aoss", "es"])
def test_sigv4_modes_sign_for_their_service_with_the_payload_hash(
    server: tuple[str, list[dict[str, str]]], service: str
) -> None:
    url, seen = server
    settings = ConnectionSettings(url, auth=auth_mode(service))
    make_client(settings, session=_aws()).info()
    dashboards_session(settings, session=_aws()).get(url + "/api/status", timeout=5)
    for headers in seen:
        # Credential scope: <key>/<date>/<region>/<service>/aws4_request (SigV4 specification).
        assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert f"/{REGION}/{service}/aws4_request" in headers["authorization"]
        # OpenSearch Serverless refuses requests without the payload hash header.
        assert "x-amz-content-sha256" in headers
    assert len(seen) == 2


def test_basic_auth_sends_the_username_and_password(server: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = server
    settings = ConnectionSettings(url, auth="basic", username="admin", password="pa:ss")
    make_client(settings).info()
    dashboards_session(settings).get(url, timeout=5)
    expected = "Basic " + base64.b64encode(b"admin:pa:ss").decode()
    assert [headers["authorization"] for headers in seen] == [expected, expected]


def test_no_auth_sends_no_credentials(server: tuple[str, list[dict[str, str]]]) -> None:
    url, seen = server
    make_client(ConnectionSettings(url, auth="none")).info()
    dashboards_session(ConnectionSettings(url, auth="none")).get(url, timeout=5)
    assert all("authorization" not in headers for headers in seen) and len(seen) == 2


def test_what_is_missing_is_said_before_any_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # No region from the machine running the tests either: its environment or its AWS config.
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    no_region = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    with pytest.raises(ValueError, match="SigV4 needs a region"):
        make_client(ConnectionSettings("https://x", auth="aoss"), session=no_region)
    with pytest.raises(ValueError, match="basic auth needs a username"):
        dashboards_session(ConnectionSettings("https://x", auth="basic"))


def test_settings_from_the_environment_name_the_variable_that_is_wrong() -> None:
    environ = {"OPENSEARCH_AUTH": "basic", "AWS_REGION": REGION, "OPENSEARCH_USERNAME": "u"}
    settings = ConnectionSettings.from_env("https://x", environ)
    assert (settings.auth, settings.region, settings.username, settings.password) == (
        "basic",
        REGION,
        "u",
        None,
    )
    assert ConnectionSettings.from_env("https://x", {}).auth == "aoss"
    with pytest.raises(ValueError, match="AUTH must be one of"):
        ConnectionSettings.from_env("https://x", {"AUTH": "sigv4"}, auth_variable="AUTH")
    assert AUTH_MODES == ("aoss", "es", "basic", "none")


def test_within_raw_answers_a_json_answer_comes_back_as_its_text(
    server: tuple[str, list[dict[str, str]]],
) -> None:
    url, _ = server
    client = make_client(ConnectionSettings(url, auth="none"))
    with raw_answers():
        text = client.info()
    assert text == '{"cluster_name": "local", "version": {"number": "2.11.0"}}'
    assert client.info() == {"cluster_name": "local", "version": {"number": "2.11.0"}}
