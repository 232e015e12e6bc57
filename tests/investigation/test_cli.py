"""``siem investigate`` end to end, on the guarded embedded engine."""

from __future__ import annotations

import argparse
from datetime import timedelta

import orjson
import pytest

from siem_cli import investigate as command
from siem_cli.main import main
from tests.investigation import scenarios
from tests.investigation.conftest import Siem
from tests.investigation.test_network_activity import copy_ids, through_endpoints


@pytest.fixture
def cli_siem(siem: Siem, monkeypatch: pytest.MonkeyPatch) -> Siem:
    """The CLI's client is the guarded one of the test (the endpoint argument is still parsed)."""
    monkeypatch.setattr(command, "make_client", lambda settings: siem.client)
    return siem


@pytest.mark.integration
def test_json_output_names_the_chain(cli_siem: Siem, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = scenarios.cross_account_chain()
    cli_siem.cloudtrail(scenario.cloudtrail)
    cli_siem.guardduty(scenario.guardduty)

    status = main(
        [
            "investigate",
            scenario.finding_id,
            "--endpoint",
            "http://engine",
            "--auth",
            "none",
            "--format",
            "json",
            "--window",
            "90m",
            "--dashboards-url",
            "https://d.example/_dashboards",
        ]
    )

    assert status == 0
    report = orjson.loads(capsys.readouterr().out)
    keys = ("arn", "type", "account_id", "access_key_id")
    assert [{k: link[k] for k in keys} for link in report["who"]["chain"]] == scenario.chain
    assert report["when"]["window"] == {"from": "2026-03-02T07:38:00.000Z", "to": "2026-03-02T10:38:00.000Z"}
    assert report["dashboards_url"].startswith("https://d.example/_dashboards/app/dashboards#/view/")


@pytest.mark.integration
@pytest.mark.parametrize("copies", [False, True])
def test_the_copies_option_puts_the_endpoint_copies_on_the_timeline(
    cli_siem: Siem, capsys: pytest.CaptureFixture[str], copies: bool
) -> None:
    scenario = through_endpoints(scenarios.cross_account_chain())
    cli_siem.cloudtrail(scenario.cloudtrail)
    cli_siem.guardduty(scenario.guardduty)
    option = ["--network-activity-copies"] if copies else []
    arguments = ["investigate", scenario.finding_id, "--endpoint", "http://engine", "--auth", "none"]
    assert main([*arguments, "--format", "json", *option]) == 0
    timeline = orjson.loads(capsys.readouterr().out)["timeline"]
    listed = {entry["event_id"] for entry in timeline["entries"]}
    assert bool(listed & copy_ids(scenario)) == copies
    assert ("NetworkActivity" in timeline["scope"]["lucene"]) != copies


@pytest.mark.integration
def test_unknown_finding_exits_1_with_a_message(cli_siem: Siem, capsys: pytest.CaptureFixture[str]) -> None:
    cli_siem.guardduty(scenarios.cross_account_chain().guardduty)  # a findings index exists
    status = main(["investigate", "nope", "--endpoint", "http://engine", "--auth", "none"])
    assert status == 1
    assert "no GuardDuty or Security Hub finding with id 'nope'" in capsys.readouterr().err


def test_missing_endpoint_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENSEARCH_ENDPOINT", raising=False)
    assert main(["investigate", "x"]) == 2
    assert "OPENSEARCH_ENDPOINT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_window_durations(text: str, expected: timedelta) -> None:
    assert command.duration(text) == expected


@pytest.mark.parametrize("text", ["2", "h", "-1h", "2 hours", "1.5h"])
def test_bad_window_durations_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        command.duration(text)
