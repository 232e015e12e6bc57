"""A user error of the command line is one line on stderr and exit status 2, never a traceback.

Each case goes through the real entry point (``siem_cli.main.main``), as a user would meet it:
nothing listening, a host that does not resolve, an endpoint that refuses the credentials,
SigV4 without a region, a bucket that does not exist, indices that do not exist, no endpoint.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from demo import synthetic
from ingest.serverless_guard import ServerlessGuard
from siem_cli import findings as findings_command
from siem_cli import investigate as investigate_command
from siem_cli.main import main


class Refusing(BaseHTTPRequestHandler):
    """Answers every request 403 with the JSON error body of OpenSearch Serverless."""

    requests: ClassVar[list[str]] = []

    def _refuse(self) -> None:
        Refusing.requests.append(f"{self.command} {self.path}")
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"status": 403, "error": {"reason": "403 Forbidden", "type": "Forbidden"}}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_url() -> Iterator[str]:
    Refusing.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_aws_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No region, profile or credentials from the machine running the tests."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "OPENSEARCH_ENDPOINT", "OPENSEARCH_AUTH"):
        monkeypatch.setenv(name, "")  # recorded, so what the command sets is undone too
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """Three CloudTrail objects: enough to see a run stop after the first."""
    folder = tmp_path / "logs"
    folder.mkdir()
    for number in range(3):
        records = synthetic.cloudtrail_records(2, seed=number)
        (folder / f"trail-{number}.json.gz").write_bytes(synthetic.cloudtrail_log_file(records))
    return folder


def _backfill(command: str, target: Path | str, endpoint: str, tmp_path: Path, *more: str) -> int:
    # Apart from the target: a replay refuses to write its dead letters where it reads.
    apart = tmp_path.with_name(tmp_path.name + "-work")
    work = ["--ledger", str(apart / "ledger.sqlite"), "--dead-letter", str(apart / "dead")]
    return main([command, str(target), "--endpoint", endpoint, *work, "--quiet", *more])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("command", ["ingest", "replay-dead-letters"])
def test_a_backfill_to_a_port_nothing_listens_on_stops_before_the_first_object(
    command: str, logs: Path, closed_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _backfill(command, logs, closed_url, tmp_path, "--auth", "none")
    line = _one_line(capsys)
    assert status == 2
    assert line.startswith(f"siem {command}: cannot reach {closed_url}: connection refused")


def test_a_host_that_does_not_resolve_is_named(
    logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # RFC 2606: .invalid never resolves.
    status = _backfill("ingest", logs, "https://search.no-such-host.invalid", tmp_path, "--auth", "none")
    line = _one_line(capsys)
    assert status == 2
    assert "cannot resolve host 'search.no-such-host.invalid'" in line


def test_a_refused_request_stops_the_run_after_the_first_object_and_names_the_likely_cause(
    logs: Path,
    refusing_url: str,
    tmp_path: Path,
    no_aws_configuration: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    status = _backfill("ingest", logs, refusing_url, tmp_path, "--auth", "aoss", "--region", "us-east-1")
    line = _one_line(capsys)
    assert status == 2
    assert line.startswith("siem ingest: stopped after 1 of 3 objects, 0 documents indexed: ")
    assert "refused the request (403 " in line and "data access policy" in line
    assert "--auth names its service (aoss: Serverless, es: managed domain)" in line
    # The index's mapping read is refused (ingest then keeps the full documents: docs/ingest.md),
    # then the index template check before the first write: the run stops there, no retry,
    # no bulk request, no second object.
    assert [r.rsplit("/", 1)[-1] for r in Refusing.requests] == ["_mapping", "_index_template"]


def test_investigate_on_an_endpoint_wanting_credentials_says_so(
    refusing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["investigate", "x", "--endpoint", refusing_url, "--auth", "none"])
    line = _one_line(capsys)
    assert status == 2
    assert line == (
        f"siem investigate: {refusing_url} refused the request (403 403 Forbidden): the endpoint wants "
        "authentication: --auth aoss (Serverless), es (managed domain) or basic"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["detect", "run"],
        ["assets", "install"],
        ["incidents", "list"],
        ["incidents", "show"],
        ["findings", "list"],
    ],
)
def test_every_command_explains_a_refusal_in_one_line(
    command: list[str], refusing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*command, *_incident_id(command), "--endpoint", refusing_url, "--auth", "none"])
    line = _one_line(capsys)
    assert status == 2
    assert line.startswith(f"siem {' '.join(command)}: {refusing_url} refused the request (403 ")
    assert line.endswith(
        "the endpoint wants authentication: --auth aoss (Serverless), es (managed domain) or basic"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["investigate", "x"],
        ["detect", "run"],
        ["assets", "install"],
        ["rules", "test", "--rule", "siem-root-account-usage"],
        ["incidents", "list"],
        ["incidents", "show", "incident-x"],
        ["findings", "list"],
    ],
)
def test_every_command_names_an_endpoint_it_cannot_reach(
    command: list[str], closed_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*command, "--endpoint", closed_url, "--auth", "none"])
    line = _one_line(capsys)
    assert status == 2
    assert line == f"siem {' '.join(command[: 2 if command[0] != 'investigate' else 1])}: cannot reach " + (
        f"{closed_url}: connection refused by 127.0.0.1:{closed_url.rsplit(':', 1)[1]} (nothing listening)"
    )


@pytest.mark.parametrize(
    "command", [["ingest", "."], ["investigate", "x"], ["detect", "run"], ["assets", "install"]]
)
def test_sigv4_without_a_region_is_a_usage_error(
    command: list[str],
    refusing_url: str,
    tmp_path: Path,
    no_aws_configuration: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    status = main([*command, "--endpoint", refusing_url, "--auth", "aoss"])
    line = _one_line(capsys)
    assert status == 2
    assert line.endswith(": SigV4 needs a region: set --region or AWS_REGION")


def test_a_bucket_that_does_not_exist_is_named(
    refusing_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        status = _backfill(
            "ingest",
            "s3://no-such-bucket/AWSLogs/",
            refusing_url,
            tmp_path,
            "--auth",
            "none",
            "--region",
            "us-east-1",
        )
    line = _one_line(capsys)
    assert status == 2
    assert line.startswith("siem ingest: AWS refused ListObjectsV2: NoSuchBucket: ")
    assert line.endswith("(no-such-bucket)")


@pytest.mark.integration
def test_investigating_where_no_findings_index_exists_says_so(
    engine_url: str,
    serverless_guard: ServerlessGuard,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = serverless_guard.wrap(OpenSearch(hosts=[engine_url], timeout=60))
    monkeypatch.setattr(investigate_command, "make_client", lambda settings: client)
    status = main(["investigate", "abc", "--endpoint", engine_url, "--auth", "none", "--index-prefix", "x-"])
    line = _one_line(capsys)
    assert status == 2
    assert line == (
        f"siem investigate: indices x-guardduty and x-securityhub do not exist on {engine_url}: nothing "
        "was ingested there yet, or --index-prefix is wrong (run `siem assets install`, then `siem ingest`)"
    )


@pytest.mark.integration
def test_listing_findings_where_no_findings_index_exists_says_so(
    engine: OpenSearch, engine_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "No finding matches." with status 0: the same line and status as siem investigate."""
    monkeypatch.setattr(findings_command, "make_client", lambda settings: engine)
    status = main(["findings", "list", "--endpoint", engine_url, "--auth", "none", "--index-prefix", "x-"])
    line = _one_line(capsys)
    assert status == 2
    assert line == (
        f"siem findings list: indices x-guardduty and x-securityhub do not exist on {engine_url}: nothing "
        "was ingested there yet, or --index-prefix is wrong (run `siem assets install`, then `siem ingest`)"
    )


@pytest.mark.integration
def test_listing_findings_where_one_findings_index_exists_finds_none(
    engine: OpenSearch, engine_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only GuardDuty ingested (no Security Hub index yet): nothing matches, which is no error."""
    engine.indices.create(index="x-guardduty")
    monkeypatch.setattr(findings_command, "make_client", lambda settings: engine)
    status = main(["findings", "list", "--endpoint", engine_url, "--auth", "none", "--index-prefix", "x-"])
    assert (status, capsys.readouterr()) == (0, ("No finding matches.\n", ""))


@pytest.mark.integration
def test_an_incident_not_there_is_a_failed_look_up_not_a_usage_error(
    engine_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["incidents", "show", "incident-x", "--endpoint", engine_url, "--auth", "none", "--index", "x-none"]
    )
    # As an unknown finding for siem investigate: status 1, whether the index exists or not.
    assert status == 1
    assert _one_line(capsys) == "siem incidents show: no incident 'incident-x' in x-none"


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "."],
        ["replay-dead-letters", "dead-letters"],  # apart from its dead letters: no refusal first
        ["investigate", "x"],
        ["detect", "run"],
        ["assets", "install"],
        ["findings", "list"],
    ],
)
def test_no_endpoint_is_a_usage_error(
    command: list[str], no_aws_configuration: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(command)
    assert status == 2
    assert _one_line(capsys).endswith(": no endpoint: pass --endpoint or set OPENSEARCH_ENDPOINT")


@pytest.mark.parametrize("command", [["incidents", "list"], ["incidents", "show", "incident-x"]])
def test_incidents_without_an_endpoint_is_a_usage_error_naming_the_alerts_endpoint(
    command: list[str],
    no_aws_configuration: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("ALERTS_ENDPOINT", raising=False)
    status = main(command)
    assert status == 2
    assert (
        _one_line(capsys)
        == f"siem {' '.join(command[:2])}: no endpoint: pass --endpoint or set ALERTS_ENDPOINT"
    )


def _incident_id(command: list[str]) -> list[str]:
    return ["incident-x"] if command == ["incidents", "show"] else []


@pytest.mark.parametrize("command", ["ingest", "replay-dead-letters"])
def test_a_backfill_without_the_credentials_its_auth_needs_says_so(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENSEARCH_USERNAME", raising=False)
    status = _backfill(command, tmp_path, "https://search.example", tmp_path, "--auth", "basic")
    assert status == 2
    assert _one_line(capsys) == f"siem {command}: basic auth needs a username (OPENSEARCH_USERNAME)"


def test_an_output_folder_that_cannot_be_made_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    status = main(["rules", "export-monitors", "--out", str(tmp_path / "a-file" / "monitors")])
    assert status == 2
    assert (
        _one_line(capsys)
        == f"siem rules export-monitors: {tmp_path / 'a-file' / 'monitors'}: Not a directory"
    )


@pytest.mark.parametrize("command", [["ingest"], ["replay-dead-letters"], ["ingest", "--workers", "2"]])
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ACCOUNTS_TTL_SECONDS", "soon", "ACCOUNTS_TTL_SECONDS must be a number of seconds, not 'soon'"),
        ("GEOIP_CITY_DATABASE", "{missing}", "{missing}: not a readable MaxMind database ("),
    ],
)
def test_a_backfill_with_a_malformed_enrichment_setting_says_so_before_any_object(
    command: list[str],
    variable: str,
    value: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = str(tmp_path / "no-such.mmdb")
    monkeypatch.setenv(variable, value.format(missing=missing))
    status = _backfill(command[0], tmp_path, "http://127.0.0.1:9", tmp_path, "--auth", "none", *command[1:])
    assert status == 2
    assert _one_line(capsys).startswith(f"siem {command[0]}: {message.format(missing=missing)}")


@pytest.mark.parametrize("command", ["ingest", "replay-dead-letters"])
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--concurrency", "0", "argument --concurrency: expected a number of requests (1 or more), got '0'"),
        ("--bulk-max-mib", "0", "argument --bulk-max-mib: expected MiB from 0.0625 to 10, got '0'"),
        ("--bulk-max-mib", "64", "argument --bulk-max-mib: expected MiB from 0.0625 to 10, got '64'"),
    ],
)
def test_a_backfill_refuses_bulk_settings_no_engine_takes(
    command: str,
    option: str,
    value: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No request at all, or bodies of no room (every document dead-lettered as too large), or
    bodies Serverless refuses: said before anything is read, as the CDK context bounds
    ``bulkMaxBytes`` (64 KiB to 10 MiB)."""
    with pytest.raises(SystemExit) as stopped:
        _backfill(command, tmp_path, "http://127.0.0.1:9", tmp_path, "--auth", "none", option, value)
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"siem {command}: error: {message}"


DETECT = ["detect", "run", "--endpoint", "http://127.0.0.1:9", "--auth", "none"]
DISABLED_TWIN = "sigma-6fb77778-040f-4015-9440-572aa9b6b580"  # enabled: false (detections/sigma)


@pytest.mark.parametrize(
    ("command", "wanted", "message"),
    [
        (["rules", "test"], "siem-no-such-rule", "no rule siem-no-such-rule"),
        (DETECT, "siem-no-such-rule", "no enabled rule siem-no-such-rule"),
        (DETECT, DISABLED_TWIN, f"no enabled rule {DISABLED_TWIN}"),
    ],
)
def test_a_rule_id_that_names_no_rule_is_a_usage_error(
    command: list[str], wanted: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --rule tested or ran nothing and said so with exit status 0."""
    status = main([*command, "--rule", "siem-root-account-usage", "--rule", wanted])
    assert status == 2
    assert _one_line(capsys) == (
        f"siem {' '.join(command[:2])}: {message} (`siem rules coverage` lists the rules)"
    )


def test_a_local_engine_address_taken_is_said_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """As `siem demo --serve` says it: a second engine on the first one's port was a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        addr = f"127.0.0.1:{taken.getsockname()[1]}"
        status = main(["local-engine", "--addr", addr])
    assert status == 2
    line = _one_line(capsys)
    assert line.startswith("siem local-engine: the engine did not start: osmem: ")
    assert line.endswith(f"(is {addr} taken? --addr HOST:PORT)")


def test_converting_sigma_rules_from_no_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "sigma"
    status = main(["rules", "convert-sigma", "--sigma-dir", str(missing), "--out", str(tmp_path / "out")])
    assert status == 2
    assert _one_line(capsys) == f"siem rules convert-sigma: {missing}: no such directory"
