"""SigmaHQ conversion: reproducible committed output, unconvertible rules reported with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detections.convert import REPORT, convert_directory, evaluate, generate_tests
from detections.rules import SIGMA_DIR, load_rules

FIELDREF_RULE = """
title: Login profile changed for someone else
id: 11111111-2222-3333-4444-555555555555
status: test
author: test
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        eventSource: iam.amazonaws.com
        eventName: UpdateLoginProfile
    filter:
        userIdentity.arn|fieldref: requestParameters.userName
    condition: selection and not filter
level: high
"""
UNMAPPED_RULE = """
title: A field our schema does not have
id: 66666666-7777-8888-9999-000000000000
status: test
author: test
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        eventName: ConsoleLogin
        tlsDetails.somethingNew: x
    condition: selection
level: low
"""
USER_AGENT_RULE = """
title: Scanner key check
id: cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee
status: test
author: test
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        eventName: GetCallerIdentity
        userAgent|contains: TruffleHog
    condition: selection
level: medium
"""
GOOD_RULE = """
title: Trail stopped
id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
status: test
author: test author
references: [https://example.com]
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName: [StopLogging, DeleteTrail]
    filter:
        errorCode|contains: Denied
    condition: selection and not filter
level: high
"""


def test_unconvertible_rules_are_reported_never_dropped(tmp_path: Path) -> None:
    sigma, out = tmp_path / "sigma", tmp_path / "out"
    sigma.mkdir()
    for name, text in (
        ("fieldref.yml", FIELDREF_RULE),
        ("unmapped.yml", UNMAPPED_RULE),
        ("good.yml", GOOD_RULE),
    ):
        (sigma / name).write_text(text)

    report = convert_directory(sigma, out)

    failed = {conversion.source.name: conversion.error for conversion in report.failed}
    assert set(failed) == {"fieldref.yml", "unmapped.yml"}
    assert "field references" in failed["fieldref.yml"]
    assert "tlsDetails.somethingNew" in failed["unmapped.yml"]
    assert sorted(path.name for path in out.glob("*.yml")) == ["good.yml"]
    listed = (out / REPORT).read_text()
    assert "`fieldref.yml`" in listed and "`unmapped.yml`" in listed and "`good.yml`" in listed


def test_a_converted_rule_keeps_its_attribution_and_maps_fields(tmp_path: Path) -> None:
    sigma, out = tmp_path / "sigma", tmp_path / "out"
    sigma.mkdir()
    (sigma / "good.yml").write_text(GOOD_RULE)
    report = convert_directory(sigma, out)

    (rule,) = load_rules([out])
    assert rule.id == "sigma-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" and rule.severity == "high"
    (conversion,) = report.converted
    assert conversion.query is not None and "aws.cloudtrail.error_code:*Denied*" in conversion.query
    assert rule.dsl == {
        "bool": {
            "filter": [
                {
                    "bool": {
                        "filter": [
                            {"term": {"event.provider": {"value": "cloudtrail.amazonaws.com"}}},
                            {
                                "bool": {
                                    "should": [
                                        {"term": {"event.action": {"value": "StopLogging"}}},
                                        {"term": {"event.action": {"value": "DeleteTrail"}}},
                                    ],
                                    "minimum_should_match": 1,
                                }
                            },
                        ]
                    }
                },
                {"bool": {"must_not": [{"wildcard": {"aws.cloudtrail.error_code": {"value": "*Denied*"}}}]}},
            ]
        }
    }
    assert rule.sigma["author"] == "test author" and rule.license == "DRL-1.1"
    assert rule.sigma["id"] == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert "Detection Rule License" in (out / "good.yml").read_text().splitlines()[1]
    names = [case.name for case in rule.tests]
    assert names[0] == "matches the Sigma selection" and "excluded by filter" in names


def test_generated_tests_follow_sigma_semantics() -> None:
    from sigma.rule import SigmaRule

    rule = SigmaRule.from_yaml(GOOD_RULE)
    condition = rule.detection.parsed_condition[0].parse()
    tests = generate_tests(rule)
    for case in tests:
        assert evaluate(condition, case["records"][0]) is case["match"]
    positive = tests[0]["records"][0]
    assert evaluate(condition, {**positive, "errorCode": "AccessDenied"}) is False
    # Event names, like ids and ARNs, are matched exactly (AWS fixes their case).
    assert evaluate(condition, {**positive, "eventName": "stoplogging"}) is False


def test_strings_whose_case_varies_match_in_any_case(tmp_path: Path) -> None:
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "ua.yml").write_text(USER_AGENT_RULE)
    convert_directory(sigma, tmp_path / "out")
    (rule,) = load_rules([tmp_path / "out"])
    names = {case.name: case for case in rule.tests}
    # The generated case-variant record: the user agent swapcased, the event name as is.
    (record,) = names["matches in another case"].records
    assert record["userAgent"] == "tRUFFLEhOG" and record["eventName"] == "GetCallerIdentity"
    assert names["matches in another case"].match is True
    assert rule.dsl is not None
    wildcard = {
        "wildcard": {"user_agent.original.keyword": {"value": "*TruffleHog*", "case_insensitive": True}}
    }
    assert str(wildcard) in str(rule.dsl)
    assert str({"term": {"event.action": {"value": "GetCallerIdentity"}}}) in str(rule.dsl)


def test_committed_sigma_rules_are_up_to_date(shared_dir: Path, tmp_path: Path) -> None:
    report = convert_directory(shared_dir / "samples" / "sigma" / "cloudtrail", tmp_path)
    committed = {
        path.name: path.read_text()
        for path in SIGMA_DIR.iterdir()
        if path.suffix in (".yml", ".md") and path.name != "NOTICE.md"
    }
    fresh = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert sorted(committed) == sorted(fresh), "run `siem rules convert-sigma`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale converted rules (run `siem rules convert-sigma`): {stale}"
    assert len(report.conversions) == 57
    assert [c.source.name for c in report.failed] == ["aws_update_login_profile.yml"]


def test_every_committed_sigma_rule_carries_drl_attribution() -> None:
    paths = sorted(SIGMA_DIR.glob("*.yml"))
    assert len(paths) >= 56
    for path in paths:
        data = yaml.safe_load(path.read_text())
        sigma = data["sigma"]
        assert sigma["license"] == "DRL-1.1" and sigma["id"] and sigma["author"] and sigma["link"], path.name
        assert sigma["link"].endswith(sigma["file"])
    assert "Detection Rule License" in (SIGMA_DIR / "NOTICE.md").read_text()


@pytest.mark.parametrize("level, enabled", [("low", False), ("medium", True), ("critical", True)])
def test_low_levels_are_converted_but_disabled(tmp_path: Path, level: str, enabled: bool) -> None:
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "r.yml").write_text(GOOD_RULE.replace("level: high", f"level: {level}"))
    convert_directory(sigma, tmp_path / "out")
    (rule,) = load_rules([tmp_path / "out"], include_disabled=True)
    assert rule.enabled is enabled
