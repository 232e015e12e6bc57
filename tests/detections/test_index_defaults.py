"""The alerts and incidents indices follow the index prefix, as the stack names them
(infra/config.py: ``<prefix>alerts``, ``<prefix>incidents``), unless named explicitly."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections.checkpoints import IndexCheckpoints
from detections.runner import RunSettings, run
from detections.settings import DetectionSettings
from detections.windows import iso
from ingest.serverless_guard import ServerlessGuard
from normalizers import Origin, normalize_object
from opensearch_assets.templates import install_templates
from siem_cli import detect, incident_triage, incidents
from siem_cli.main import main
from tests.detections.conftest import T0, cloudtrail_record, minutes, our_rule, trail

VARIABLES = ("INDEX_PREFIX", "ALERTS_INDEX", "INCIDENTS_INDEX")


@pytest.fixture
def acme(
    engine: OpenSearch, serverless_guard: ServerlessGuard, monkeypatch: pytest.MonkeyPatch
) -> OpenSearch:
    """The engine behind a guard for a deployment with ``INDEX_PREFIX=acme-``, a root sign-in
    in ``acme-cloudtrail``, and every command's client the guarded one."""
    serverless_guard.timeseries = ("acme-*",)
    serverless_guard.search = ("acme-alerts*", "acme-incidents*")
    install_templates(engine, "acme-")
    record = cloudtrail_record("a-1", T0)
    origin = Origin(object="test", ingested=iso(T0 + minutes(1)))
    body: list[dict[str, Any]] = []
    for document in normalize_object(io.BytesIO(trail([record])), origin, "cloudtrail"):
        body += [{"create": {"_index": "acme-cloudtrail"}}, document]
    assert not engine.bulk(body=body)["errors"]
    monkeypatch.setattr(detect, "clients", lambda settings: (engine, engine))
    for module in (incidents, incident_triage):
        monkeypatch.setattr(module, "make_client", lambda settings: engine)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return engine


def _run(engine_url: str, *options: str) -> int:
    now = iso(T0 + timedelta(minutes=5))
    common = ["--endpoint", engine_url, "--auth", "none", "--rule", "siem-root-account-usage"]
    return main(["detect", "run", *common, "--now", now, *options])


def _ids(client: OpenSearch, index: str) -> set[str]:
    if not client.indices.exists(index=index):
        return set()
    hits = client.search(index=index, body={"size": 100, "query": {"match_all": {}}})["hits"]["hits"]
    return {hit["_id"] for hit in hits}


@pytest.mark.integration
@pytest.mark.parametrize("by", ["option", "variable"])
def test_detect_run_writes_alerts_and_incidents_under_the_index_prefix(
    acme: OpenSearch, engine_url: str, by: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if by == "variable":
        monkeypatch.setenv("INDEX_PREFIX", "acme-")
        assert _run(engine_url) == 0
    else:
        assert _run(engine_url, "--index-prefix", "acme-") == 0

    assert len(_ids(acme, "acme-alerts")) == 1
    assert len([i for i in _ids(acme, "acme-incidents") if i.startswith("incident-")]) == 1
    assert _ids(acme, "acme-alerts-state")  # the checkpoint beside the alerts
    assert not acme.indices.exists(index="siem-alerts")
    assert not acme.indices.exists(index="siem-incidents")


@pytest.mark.integration
def test_siem_incidents_reads_the_prefixed_index(
    acme: OpenSearch, engine_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(engine_url, "--index-prefix", "acme-") == 0
    capsys.readouterr()

    cli = ["--endpoint", engine_url, "--auth", "none", "--index-prefix", "acme-"]
    assert main(["incidents", "list", *cli]) == 0
    out = capsys.readouterr().out
    assert "1 incidents" in out
    incident_id = out.split()[0]
    assert main(["incidents", "ack", incident_id, "--by", "oncall", *cli]) == 0
    assert main(["incidents", "show", incident_id, *cli]) == 0
    assert "acknowledged" in capsys.readouterr().out


@pytest.mark.integration
def test_explicit_indices_still_win_over_the_prefix(
    acme: OpenSearch, engine_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INDEX_PREFIX", "acme-")
    monkeypatch.setenv("ALERTS_INDEX", "acme-alerts-team")
    assert _run(engine_url, "--incidents-index", "acme-incidents-team") == 0
    capsys.readouterr()

    assert len(_ids(acme, "acme-alerts-team")) == 1 and len(_ids(acme, "acme-incidents-team")) >= 1
    assert not acme.indices.exists(index="acme-alerts")
    assert not acme.indices.exists(index="acme-incidents")
    monkeypatch.setenv("INCIDENTS_INDEX", "acme-incidents-team")
    assert main(["incidents", "list", "--endpoint", engine_url, "--auth", "none"]) == 0
    assert "1 incidents" in capsys.readouterr().out
    assert (
        main(["incidents", "list", "--endpoint", engine_url, "--auth", "none", "--index", "acme-incidents"])
        == 0
    )
    assert "0 incidents" in capsys.readouterr().out


def test_the_lambda_settings_follow_the_prefix_unless_named() -> None:
    endpoint = {"OPENSEARCH_ENDPOINT": "https://logs.example", "AWS_REGION": "eu-west-1"}

    acme = DetectionSettings.from_env({**endpoint, "INDEX_PREFIX": "acme-"}).run
    default = DetectionSettings.from_env(endpoint).run
    named = DetectionSettings.from_env(
        {**endpoint, "INDEX_PREFIX": "acme-", "ALERTS_INDEX": "a", "INCIDENTS_INDEX": "i"}
    ).run

    assert (acme.prefix, acme.alerts_index, acme.incidents_index) == (
        "acme-",
        "acme-alerts",
        "acme-incidents",
    )
    assert (default.alerts_index, default.incidents_index) == ("siem-alerts", "siem-incidents")
    assert (named.alerts_index, named.incidents_index) == ("a", "i")


def test_help_names_the_prefixed_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["detect", "run"], ["incidents", "list"]):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        assert "<index prefix>incidents" in " ".join(capsys.readouterr().out.split())


@pytest.mark.integration
def test_a_library_run_with_a_prefix_alone_writes_under_it(acme: OpenSearch) -> None:
    """``RunSettings(prefix="acme-")``, as a library user writes it: the alerts, the incidents
    and the checkpoints beside the alerts go under the prefix (the old default wrote them to
    ``siem-alerts`` and ``siem-incidents`` whatever the prefix)."""
    settings = RunSettings(prefix="acme-")
    checkpoints = IndexCheckpoints(acme, f"{settings.alerts_index}-state")
    report = run(
        acme, acme, [our_rule("siem-root-account-usage")], T0 + minutes(5), checkpoints, None, settings
    )

    assert report.created == 1 and not report.errors and not report.incident_error
    assert (settings.alerts_index, settings.incidents_index) == ("acme-alerts", "acme-incidents")
    assert len(_ids(acme, "acme-alerts")) == 1
    assert len([i for i in _ids(acme, "acme-incidents") if i.startswith("incident-")]) == 1
    assert not acme.indices.exists(index="siem-alerts")
    # Named explicitly, an index still wins.
    assert RunSettings(prefix="acme-", alerts_index="a", incidents_index="i").alerts_index == "a"
