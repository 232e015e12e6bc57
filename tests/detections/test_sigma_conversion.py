"""SigmaHQ conversion: reproducible committed output, unconvertible rules reported with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detections.convert import REPORT, convert_directory, evaluate, generate_tests
from detections.rules import RULE_DIRS, SIGMA_DIR, load_rules
from detections.sigma_overrides import OVERRIDES_FILE, load_overrides

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

    report = convert_directory(sigma, out, overrides_file=None)

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
    report = convert_directory(sigma, out, overrides_file=None)

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
    convert_directory(sigma, tmp_path / "out", overrides_file=None)
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


def test_a_rule_about_a_change_requires_success_unless_it_names_the_outcome(tmp_path: Path) -> None:
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "change.yml").write_text(
        GOOD_RULE.replace("errorCode|contains: Denied", "userIdentity.userName: bob")
    )
    (sigma / "outcome.yml").write_text(GOOD_RULE.replace("aaaaaaaa", "bbbbbbbb"))
    report = convert_directory(sigma, tmp_path / "out", overrides_file=None)
    required = {c.source.name: c.success_required for c in report.converted}
    assert required == {"change.yml": True, "outcome.yml": False}
    (rule,) = [r for r in load_rules([tmp_path / "out"]) if r.sigma["file"] == "change.yml"]
    outcomes = {
        case.name: (case.match, case.records[0]["errorCode"])
        for case in rule.tests
        if "errorCode" in case.records[0]
    }
    assert outcomes == {
        "a change that failed with ValidationException: changed nothing": (False, "ValidationException"),
        "excluded by local_failed_change": (False, "AccessDenied"),
    }


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
    convert_directory(sigma, tmp_path / "out", overrides_file=None)
    (rule,) = load_rules([tmp_path / "out"], include_disabled=True)
    assert rule.enabled is enabled


def test_local_fixes_are_reapplied_by_every_conversion(shared_dir: Path, tmp_path: Path) -> None:
    """``siem rules convert-sigma`` reproduces each recorded fix instead of undoing it: every
    overridden file differs from a plain conversion, and says why in its header and the report."""
    sigma_dir = shared_dir / "samples" / "sigma" / "cloudtrail"
    convert_directory(sigma_dir, tmp_path / "plain", overrides_file=None)
    overrides = load_overrides(OVERRIDES_FILE)
    assert overrides
    report = (SIGMA_DIR / REPORT).read_text()
    for name, override in overrides.items():
        fixed = (SIGMA_DIR / name).read_text()
        assert fixed != (tmp_path / "plain" / name).read_text(), name
        assert "# Modified locally: " + override.reason.split()[0] in fixed, name
        assert f"| `{name}` |" in report.split("## Local fixes")[1], name


def test_the_fixed_rules_say_what_the_issue_asked() -> None:
    rules = {rule.sigma.get("file"): rule for rule in load_rules(RULE_DIRS, include_disabled=True)}
    startup = str(rules["aws_ec2_startup_script_change.yml"].dsl)
    assert "aws.cloudtrail.request_parameters.userData" in startup
    keys = rules["aws_iam_backdoor_users_keys.yml"]
    assert [(c.left, c.op, c.right) for c in keys.where] == [("user.target.name", "!=", "user.name")]
    assert "responseElements.accessKey.userName" not in str(keys.dsl)
    assert "i-[0-9a-zA-Z]{8,17}" in str(rules["aws_cloudtrail_imds_malicious_usage.yml"].dsl)
    assert "'case_insensitive': True" in str(rules["aws_cloudtrail_pua_trufflehog.yml"].dsl)


def test_an_override_for_a_missing_sigma_rule_is_an_error(tmp_path: Path) -> None:
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "good.yml").write_text(GOOD_RULE)
    overrides = tmp_path / "overrides.yml"
    overrides.write_text("renamed_upstream.yml: {reason: a fix that must not vanish silently}\n")
    with pytest.raises(ValueError, match=r"renamed_upstream\.yml"):
        convert_directory(sigma, tmp_path / "out", overrides_file=overrides)


def test_every_superseded_twin_names_an_enabled_rule_of_ours_or_sigma() -> None:
    rules = {rule.id: rule for rule in load_rules(RULE_DIRS, include_disabled=True)}
    twins = [rule for rule in rules.values() if rule.superseded_by]
    assert len(twins) >= 10
    for twin in twins:
        assert not twin.enabled
        assert all(rules[other].enabled for other in twin.superseded_by)
