"""``siem findings list`` (issue 16.6) on the demo incident, against its ground truth."""

from __future__ import annotations

import orjson
import pytest

from demo import Incident
from demo.truth import FindingTruth
from investigation import investigate, render
from siem_cli import findings as command
from siem_cli.main import main
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

CONNECTION = ["--endpoint", "http://engine", "--auth", "none"]


@pytest.fixture
def cli_siem(siem: Siem, monkeypatch: pytest.MonkeyPatch) -> Siem:
    monkeypatch.setattr(command, "make_client", lambda settings: siem.client)
    return siem


def _listed(capsys: pytest.CaptureFixture[str], *options: str) -> list[dict[str, object]]:
    assert main(["findings", "list", *CONNECTION, "--format", "json", *options]) == 0
    listed: list[dict[str, object]] = orjson.loads(capsys.readouterr().out)
    return listed


def _newest(incident: Incident) -> dict[str, FindingTruth]:
    """One entry per finding as the list must show it: its newest update; a GuardDuty finding
    imported into Security Hub (the import's Id is the GuardDuty ARN) once, by its GuardDuty id."""
    native = {truth.id for truth in incident.guardduty_findings}
    newest: dict[str, FindingTruth] = {}
    for truth in (*incident.guardduty_findings, *incident.securityhub_findings):
        if truth.source == "securityhub" and truth.id.rsplit("/finding/", 1)[-1] in native:
            continue
        if truth.id not in newest or truth.updated_at > newest[truth.id].updated_at:
            newest[truth.id] = truth
    return newest


def _score(truth: FindingTruth) -> float:
    """``event.severity``: GuardDuty's 0-10 tenfold, Security Hub's normalized 0-100 as it is."""
    return truth.severity * 10 if truth.source == "guardduty" else truth.severity


def test_every_finding_is_listed_once_newest_first_with_an_id_investigate_takes(
    cli_siem: Siem, demo_incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _newest(demo_incident)
    listed = _listed(capsys)

    assert len(expected) == 14  # 9 GuardDuty findings (one sample) and 5 Security Hub controls
    assert {item["id"] for item in listed} == set(expected) and len(listed) == len(expected)
    updated = [str(item["updated"]) for item in listed]
    assert updated == sorted(updated, reverse=True)
    for item in listed:
        truth = expected[str(item["id"])]
        assert (item["source"], item["type"], item["account_id"]) == (
            truth.source,
            truth.kind,
            truth.account_id,
        )
        assert item["severity"] == _score(truth)
        assert item["sample"] is truth.sample
        report = investigate(cli_siem.client, str(item["id"]))
        assert report.finding.id == item["id"] or report.finding.arn == item["id"]


def test_filters_select_what_the_ground_truth_says(
    cli_siem: Siem, demo_incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _newest(demo_incident)

    def ids(*options: str) -> set[str]:
        return {str(item["id"]) for item in _listed(capsys, *options)}

    samples = {key for key, truth in expected.items() if truth.sample}
    assert len(samples) == 1
    assert ids("--sample") == samples
    assert ids("--no-sample") == set(expected) - samples
    assert ids("--severity", "high") == {k for k, t in expected.items() if 70 <= _score(t) < 90}
    assert ids("--severity", "CRITICAL", "--severity", "LOW") == {
        k for k, t in expected.items() if _score(t) >= 90 or 1 <= _score(t) < 40
    }
    assert ids("--min-severity", "50") == {k for k, t in expected.items() if _score(t) >= 50}
    assert ids("--type", "Recon:") == {k for k, t in expected.items() if t.kind.startswith("Recon:")}
    account = demo_incident.source_account_id
    assert ids("--account", account) == {k for k, t in expected.items() if t.account_id == account}
    since, until = "2026-03-14T09:30:00Z", "2026-03-14T10:10:00Z"
    assert ids("--since", since, "--until", until) == {
        k for k, t in expected.items() if since <= t.updated_at.replace(".000", "") <= until
    }
    assert ids("--limit", "3") == set(sorted(expected, key=lambda k: expected[k].updated_at)[-3:])


def test_sample_findings_are_marked_everywhere(
    cli_siem: Siem, demo_incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = next(truth for truth in demo_incident.guardduty_findings if truth.sample)
    assert main(["findings", "list", *CONNECTION, "--sample"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["id", "updated", "source", "severity"]
    assert len(lines) == 2 and lines[1].startswith(sample.id + " ") and " 50 SAMPLE " in lines[1]

    report = investigate(cli_siem.client, sample.id)
    assert report.finding.sample
    for format in ("text", "markdown", "html"):
        assert "SAMPLE" in render(report, format)
    assert orjson.loads(render(report, "json"))["finding"]["sample"] is True


def test_related_findings_show_their_ids_and_sample_marker(siem: Siem, demo_incident: Incident) -> None:
    headline = next(t for t in demo_incident.guardduty_findings if t.kind.startswith("Exfiltration"))
    report = investigate(siem.client, headline.id)
    text = render(report, "text")
    assert report.related_findings
    for related in report.related_findings:
        assert related.id in text
    as_json = orjson.loads(render(report, "json"))["related_findings"]
    assert all({"id", "sample", "account_id"} <= set(item) for item in as_json)


def test_a_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["findings", "list", *CONNECTION, "--since", "yesterday"])
    assert exit_info.value.code == 2
    assert "invalid time 'yesterday'" in capsys.readouterr().err
