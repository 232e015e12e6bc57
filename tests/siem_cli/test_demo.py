"""``make demo`` as onboarding: the story first, then what was found, then what to try next;
results left on disk; ``--serve`` keeps the engine up for the commands it suggests."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo import Incident, write_incident
from ingest.serverless_guard import ServerlessGuard
from siem_cli import demo as demo_command
from siem_cli import investigate as investigate_command
from siem_cli.main import build_parser
from siem_cli.main import main as siem

PLUMBING = ("moto", "EMF", "osmem-server", "ingest.handler", "batches")


@pytest.fixture(scope="module")
def incident() -> Incident:
    with tempfile.TemporaryDirectory() as scratch:
        return write_incident(Path(scratch))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("argv", [["demo", "--help"]])
def test_help_is_printed_instead_of_running_the_demo(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for run in (lambda: siem(argv), lambda: demo_command.main(["--help"])):
        with pytest.raises(SystemExit) as exit_:
            run()
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "--serve" in out and "--out DIR" in out and "What happened" not in out


@pytest.mark.integration
def test_the_demo_tells_the_story_reports_what_it_found_and_serves_the_data(
    tmp_path: Path,
    incident: Incident,
    serverless_guard: ServerlessGuard,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    addr = f"127.0.0.1:{_free_port()}"
    url = f"http://{addr}"
    headline = incident.headline_finding
    assert headline is not None
    served: dict[str, Any] = {}

    def try_the_suggested_commands() -> None:
        # What a user runs from another shell while the engine is up (guarded like Serverless).
        monkeypatch.setattr(
            investigate_command,
            "make_client",
            lambda settings: serverless_guard.wrap(OpenSearch(hosts=[settings.endpoint], timeout=60)),
        )
        served["printed"] = capsys.readouterr().out
        served["investigate"] = siem(
            ["investigate", headline.id, "--endpoint", url, "--auth", "none", "--format", "json"]
        )
        served["report"] = orjson.loads(capsys.readouterr().out)

    args = build_parser().parse_args(["demo", "--serve", "--addr", addr, "--out", str(tmp_path / "demo")])
    environment = dict(os.environ)
    assert demo_command.run(args, serve=try_the_suggested_commands) == 0
    # The demo's stand-in AWS settings were for its run only: the process's environment is
    # as it was (a region left behind is found by every later boto3 session of the process).
    assert dict(os.environ) == environment
    out = served["printed"]

    # The story first, then what was found, then what to try next; no plumbing without --verbose.
    sections = [
        "== What happened",
        "== What the pipeline found",
        f"== Left in {tmp_path / 'demo'}/",
        "== Try next",
    ]
    positions = [out.index(section) for section in sections]
    assert positions == sorted(positions)
    story = out[positions[0] : positions[1]].strip().splitlines()[1:]
    assert len([line for line in story if line.strip()]) == 5
    for fact in (
        incident.compromised_access_key_id,
        incident.compromised_user_name,
        incident.final_session.role_name,
        incident.persistence_user_name,
        incident.exfiltrated_bucket,
        incident.attacker_console_ip,
    ):
        assert fact in out[positions[0] : positions[1]]
    assert not [word for word in PLUMBING if word in out], out

    # What was found: every document against the ground truth, the rule counts, the alerts.
    documents, letters = (
        sum(incident.expected_documents.values()),
        sum(incident.expected_dead_letters.values()),
    )
    assert f"{documents} documents indexed, {letters} dead-lettered (as the ground truth says)" in out
    assert " rules: " in out and "converted SigmaHQ" in out

    # Left on disk: the headline investigation as HTML, the alerts as JSON.
    page = (tmp_path / "demo" / "investigation.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and headline.id in page
    alerts = orjson.loads((tmp_path / "demo" / "alerts.json").read_bytes())
    rule_ids = {alert["rule"]["id"] for alert in alerts}
    # docs/demo.md: StopLogging on prod-app-audit, and the root console sign-in.
    assert {"siem-cloudtrail-stopped-or-deleted", "siem-root-account-usage"} <= rule_ids
    # The month's report under --out too, named in the listing (the incident is in March 2026).
    report = tmp_path / "demo" / "report" / "report-2026-03.md"
    assert report.is_file() and f"  {report}\n" in out[positions[2] : positions[3]]

    # Try next: real finding ids on the served endpoint, and the commands work on it.
    try_next = out[positions[3] :]
    assert f".venv/bin/siem investigate {headline.id} --endpoint {url} --auth none" in try_next
    assert f".venv/bin/siem detect run --endpoint {url} --auth none" in try_next
    assert f"serving the demo data at {url} until Ctrl-C" in out
    assert served["investigate"] == 0
    assert served["report"]["finding"]["id"] == headline.id
    chain = [link["access_key_id"] for link in served["report"]["who"]["chain"]]
    assert (
        chain[0] == incident.final_session.access_key_id and chain[-1] == incident.compromised_access_key_id
    )
