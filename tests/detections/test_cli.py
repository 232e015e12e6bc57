"""``siem detect run`` and ``siem rules test`` from the command line, on the embedded engine."""

from __future__ import annotations

import json

import pytest
from opensearchpy import OpenSearch

from siem_cli.main import main
from tests.detections.conftest import T0, cloudtrail_record, index_raw, minutes, trail

pytestmark = pytest.mark.integration


def test_detect_run_prints_new_alerts_once(
    siem: OpenSearch, engine_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("a-1", T0)]), ingested=T0 + minutes(1))
    args = ["detect", "run", "--endpoint", engine_url, "--auth", "none", "--rule", "siem-root-account-usage"]

    assert main([*args, "--now", "2026-03-14T09:05:00Z"]) == 0
    first = capsys.readouterr().out
    assert main([*args, "--now", "2026-03-14T09:10:00Z", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)

    assert "HIGH alert: Root account usage" in first and "1 new alerts" in first
    assert second["created"] == 0 and second["duplicates"] == 1 and not second["errors"]
    # The checkpoint was kept in the alerts collection between the two runs.
    assert second["outcomes"][0]["window_start"] == "2026-03-14T08:48:00.000Z"


def test_rules_test_on_an_endpoint(engine_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["rules", "test", "--endpoint", engine_url, "--auth", "none", "--rule", "siem-vpcflow-bad-ports"]
        )
        == 0
    )
    assert "1 rules: 5 passed, 0 failed" in capsys.readouterr().out


def test_detect_run_needs_an_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENSEARCH_ENDPOINT", raising=False)
    with pytest.raises(SystemExit):
        main(["detect", "run", "--now", "not a time"])
    assert main(["detect", "run"]) == 2
