"""``siem incidents ack / close / reopen`` and ``list --status`` / ``show``'s history, through
the real entry point on the embedded engine behind the Serverless guard."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from detections.incidents import fold_alerts
from opensearch_client import ConnectionSettings
from siem_cli import incident_triage, incidents
from siem_cli.caller import caller_name
from siem_cli.main import main
from tests.detections.test_incidents import NOW, ROOT, alert

INDEX = "siem-incidents"


@pytest.fixture
def cli(siem: OpenSearch, engine_url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The connection options; every command's client is the guarded one."""
    for module in (incidents, incident_triage):
        monkeypatch.setattr(module, "make_client", lambda settings: siem)
    monkeypatch.setenv("LOGNAME", "oncall-alice")  # getpass reads it first
    return ["--endpoint", engine_url, "--auth", "none"]


def _lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()


def _said(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line printed, its time (the wall clock's) as ``<time>``."""
    (line,) = _lines(capsys)[0]
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "<time>", line)


@pytest.mark.integration
def test_on_call_acknowledges_closes_and_reopens_and_lists_what_is_untriaged(
    siem: OpenSearch, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    stranger = alert("a-2", "r2", "medium", 50, "2026-03-14T09:05:00Z", ["e2"], ips=["198.51.100.9"])
    first, second = (
        change.incident["incident"]["id"] for change in fold_alerts(siem, INDEX, [root, stranger], NOW)
    )

    assert main(["incidents", "ack", first, *cli]) == 0
    assert _said(capsys) == f"{first}: acknowledged by oncall-alice at <time> (was open)"
    assert main(["incidents", "ack", first, *cli]) == 0  # again: nothing to do
    assert _said(capsys) == f"{first}: already acknowledged by oncall-alice at <time>; nothing changed"
    close = [
        "incidents",
        "close",
        second,
        "--resolution",
        "false_positive",
        "--by",
        "bob",
        "--note",
        "pen\ntest",
    ]
    assert main([*close, *cli]) == 0
    assert _said(capsys) == f"{second}: closed (false_positive) by bob at <time> (was open)"

    def found(query: str) -> list[str]:  # the triage fields are mapped (dynamic: false otherwise)
        hits = siem.search(index=INDEX, body={"query": {"query_string": {"query": query}}})["hits"]["hits"]
        return [hit["_id"] for hit in hits]

    assert found("incident.status:closed AND incident.resolution:false_positive") == [second]
    assert found("incident.status_by:bob AND incident.status_updated:[now-1h TO now]") == [second]
    assert found("incident.status_by:oncall-alice") == [first]
    assert main(["incidents", "list", "--status", "acknowledged", *cli]) == 0
    out, _ = _lines(capsys)
    assert (
        len(out) == 2
        and out[0].startswith(f"{first}  HIGH          acknowledged ")
        and out[1] == "1 incidents"
    )
    assert main(["incidents", "list", "--status", "open", *cli]) == 0
    assert _lines(capsys)[0] == ["0 incidents"]
    assert main(["incidents", "reopen", second, "--note", "not the pen test after all", *cli]) == 0
    assert _said(capsys) == f"{second}: open by oncall-alice at <time> (was closed)"
    assert main(["incidents", "list", "--status", "open", *cli]) == 0
    out, _ = _lines(capsys)
    assert [line.split()[0] for line in out[:-1]] == [second] and "open" in out[0].split()

    assert main(["incidents", "show", second, *cli]) == 0
    out, _ = _lines(capsys)
    assert out[1].startswith("Severity: medium; status open by oncall-alice at ")
    history = out[out.index("History (2, latest last):") + 1 :]
    assert [line.strip().split(" ", 1)[1] for line in history] == [
        "closed by bob: false_positive; pen\\ntest",  # the note's newline shown, not a new line
        "reopened by oncall-alice: not the pen test after all",
    ]


@pytest.mark.integration
def test_unknown_or_merged_incidents_fail_with_one_line_and_status_1(
    siem: OpenSearch, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["incidents", "ack", "incident-nope", *cli]) == 1
    assert _lines(capsys)[1] == ["siem incidents ack: no incident 'incident-nope' in siem-incidents"]
    root = alert("m-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    stranger = alert("m-2", "r2", "high", 75, "2026-03-14T09:05:00Z", ["e2"], ips=["198.51.100.9"])
    survivor, other = (
        change.incident["incident"]["id"] for change in fold_alerts(siem, INDEX, [root, stranger], NOW)
    )
    both = alert("m-3", "r3", "high", 75, "2026-03-14T09:20:00Z", ["e3"], [ROOT], ips=["198.51.100.9"])
    fold_alerts(siem, INDEX, [both], NOW)

    assert main(["incidents", "close", other, "--resolution", "benign", *cli]) == 1
    assert _lines(capsys)[1] == [
        f"siem incidents close: incident {other} was merged into {survivor}: triage {survivor} instead"
    ]
    assert main(["incidents", "close", survivor, "--resolution", "benign", *cli]) == 0
    capsys.readouterr()
    assert main(["incidents", "ack", survivor, *cli]) == 1
    assert _lines(capsys)[1] == [
        f"siem incidents ack: incident {survivor} is closed (benign): reopen it first, or close it with another resolution"
    ]


def test_close_needs_a_resolution_and_every_change_an_endpoint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["incidents", "close", "incident-x", "--endpoint", "http://127.0.0.1:9"])
    assert usage.value.code == 2 and "--resolution" in capsys.readouterr().err
    for name in ("ALERTS_ENDPOINT", "OPENSEARCH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["incidents", "reopen", "incident-x"]) == 2
    assert _lines(capsys)[1] == ["siem incidents reopen: no endpoint: pass --endpoint or set ALERTS_ENDPOINT"]


def test_by_defaults_to_the_aws_identity_with_sigv4_else_the_login_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LOGNAME", "oncall-alice")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    aoss = ConnectionSettings("https://x.us-east-1.aoss.amazonaws.com", "aoss", "us-east-1")
    assert caller_name(aoss) == "oncall-alice"  # no credentials: STS is not asked
    assert caller_name(ConnectionSettings("http://localhost:9200", "none")) == "oncall-alice"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        assert caller_name(aoss) == "arn:aws:sts::123456789012:user/moto"
        assert caller_name(ConnectionSettings("http://localhost:9200", "basic")) == "oncall-alice"
