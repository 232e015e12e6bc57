"""``siem rules coverage``: techniques per rule, and the catalogue techniques no enabled rule covers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detections.catalogue import TECHNIQUES, Technique
from detections.coverage import coverage, format_report, markdown_table
from detections.rules import RULE_DIRS, load_rules, parse_rule
from siem_cli.main import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "detections.md"


def rule(rule_id: str, techniques: list[str], enabled: bool = True) -> object:
    return parse_rule(
        {
            "id": rule_id,
            "title": "t",
            "severity": "high",
            "index": "cloudtrail",
            "query": "event.action:X",
            "enabled": enabled,
            "techniques": techniques,
            "tags": ["attack.persistence", "attack.t1098.001"],
        }
    )


def test_the_catalogue_is_the_44_aws_techniques_of_stratus_red_team() -> None:
    assert len(TECHNIQUES) == 44
    tactics = {technique.tactic for technique in TECHNIQUES.values()}
    assert tactics == {
        "credential-access",
        "defense-evasion",
        "discovery",
        "execution",
        "exfiltration",
        "impact",
        "initial-access",
        "lateral-movement",
        "persistence",
        "privilege-escalation",
    }
    assert all(re.fullmatch(r"aws\.[a-z-]+\.[a-z0-9-]+", technique) for technique in TECHNIQUES)


def test_a_disabled_rule_covers_nothing_and_uncovered_techniques_are_listed() -> None:
    catalogue = {
        "aws.persistence.a": Technique("aws.persistence.a", "A", "x"),
        "aws.persistence.b": Technique("aws.persistence.b", "B", "y"),
    }
    covering = rule("r-covering", ["aws.persistence.iam-backdoor-user"])
    report = coverage(
        [covering],
        {"aws.persistence.iam-backdoor-user": TECHNIQUES["aws.persistence.iam-backdoor-user"], **catalogue},
    )
    assert report.uncovered == ["aws.persistence.a", "aws.persistence.b"]
    disabled = coverage([rule("r-off", ["aws.persistence.iam-backdoor-user"], enabled=False)])
    assert "aws.persistence.iam-backdoor-user" in disabled.uncovered
    text = format_report(disabled)
    assert "r-off (disabled)\n  stratus: aws.persistence.iam-backdoor-user\n  att&ck:  T1098.001" in text
    assert text.endswith(f"not covered: {', '.join(disabled.uncovered)}")


def test_every_catalogue_technique_has_an_enabled_rule() -> None:
    report = coverage(load_rules(RULE_DIRS, include_disabled=True))
    assert report.uncovered == []


def test_the_docs_coverage_table_is_the_generated_one() -> None:
    table = markdown_table(coverage(load_rules(RULE_DIRS, include_disabled=True)))
    assert table in DOCS.read_text(), "regenerate with `siem rules coverage --markdown`"


def test_the_command_prints_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "siem-cloudtrail-stopped-or-deleted\n  stratus: aws.defense-evasion.cloudtrail-stop" in out
    assert "44 of 44 catalogue techniques covered by an enabled rule; not covered: none" in out
    rules = load_rules(RULE_DIRS, include_disabled=True)
    ours = [rule for rule in rules if not rule.sigma]
    assert (
        f"{len(rules)} rules: {len(ours)} ours ({sum(rule.enabled for rule in ours)} enabled), "
        f"{len(rules) - len(ours)} converted SigmaHQ" in out
    )
