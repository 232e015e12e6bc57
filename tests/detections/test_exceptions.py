"""Rule exceptions (allow-lists): validated, configured by the deployer, applied to every rule type.

Records follow the AWS documentation's shapes: a role session's ARN is
``arn:aws:sts::<account>:assumed-role/<role>/<session>`` and its role's ARN (the session
issuer) keeps the role's path, ``arn:aws:iam::<account>:role/<path><role>``
(cloudtrail-event-reference-user-identity.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections.checkpoints import MemoryCheckpoints
from detections.exceptions import (
    EXCEPTIONS_FILE,
    NO_EXCEPTIONS,
    Exceptions,
    ExceptionsError,
    configured,
    parse_exceptions,
)
from detections.matching import find_matches
from detections.rules import Rule, parse_rule
from detections.runner import RunSettings, run
from detections.settings import DetectionSettings
from detections.windows import Window
from tests.detections.conftest import T0, index_raw, minutes, our_rule, rejected_flows, trail

ROTATION = ct.RoleSession(
    "111122223333",
    "access-key-rotation-role",
    "AROAROTATION00000001",
    "access-key-rotation",
    "ASIAROTATION00000001",
    T0,
    role_path="/service-role/",
)
pytestmark = pytest.mark.integration
OTHER_ACCOUNT = "444455556666"
KEY_RULE = "siem-iam-access-key-for-another-user"


def key_for_ci_runner(session: ct.RoleSession = ROTATION, event_id: str = "rotate-1") -> dict:
    """A role session creates an access key for the IAM user ``ci-runner`` (the rule's case)."""
    return ct.api_call(
        ct.assumed_role(session),
        event_name="CreateAccessKey",
        event_source="iam.amazonaws.com",
        time=T0,
        read_only=False,
        request={"userName": "ci-runner"},
        event_id=event_id,
    )


def exceptions(*entries: dict) -> Exceptions:
    return parse_exceptions({"exceptions": list(entries)})


def matched(client: OpenSearch, rule: Rule, excepted: Exceptions, index: str = "siem-cloudtrail") -> int:
    window = Window(T0 - minutes(10), T0 + minutes(10))
    return len(find_matches(client, excepted.apply(rule), index, window).matches)


# --- the format ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"rules": ["*"], "accounts": ["111122223333"]}, "'reason' is required"),
        ({"accounts": ["111122223333"], "reason": "r"}, "'rules' is required"),
        ({"rules": ["*"], "reason": "r"}, "at least one of accounts, principals, role_paths"),
        ({"rules": ["*"], "accounts": [11122223333], "reason": "r"}, "not a 12-digit account id"),
        ({"rules": ["*"], "principals": ["ci-runner"], "reason": "r"}, "not an IAM or STS ARN pattern"),
        ({"rules": ["*"], "role_paths": ["/"], "reason": "r"}, "not an IAM path"),
        ({"rules": ["*"], "role_paths": ["/bad path/"], "reason": "r"}, "not an IAM path"),
        ({"rules": ["*"], "users": ["x"], "reason": "r"}, "unknown keys ['users']"),
    ],
)
def test_an_invalid_exception_is_rejected_with_its_problem(entry: dict, problem: str) -> None:
    with pytest.raises(ExceptionsError, match=re.escape(problem)):
        exceptions(entry)


def test_role_paths_are_normalized_and_values_kept() -> None:
    entry = exceptions(
        {
            "rules": "sigma-x",
            "role_paths": "aws-reserved/sso.amazonaws.com",
            "accounts": 111122223333,
            "reason": " r ",
        }
    ).entries[0]
    assert entry.role_paths == ("/aws-reserved/sso.amazonaws.com/",)
    assert entry.accounts == ("111122223333",) and entry.rules == ("sigma-x",) and entry.reason == "r"


def test_shipped_file_is_empty_and_used_without_configuration() -> None:
    assert configured({}) == NO_EXCEPTIONS
    assert parse_exceptions(None) == NO_EXCEPTIONS
    assert EXCEPTIONS_FILE.is_file()


def test_environment_holds_a_document_or_a_file_path(tmp_path: Path) -> None:
    document = '{"exceptions": [{"rules": ["*"], "accounts": ["111122223333"], "reason": "lab"}]}'
    assert configured({"DETECTION_EXCEPTIONS": document}).entries[0].accounts == ("111122223333",)
    path = tmp_path / "exceptions.yml"
    path.write_text("exceptions:\n  - rules: ['*']\n    role_paths: [/service-role/]\n    reason: services\n")
    assert configured({"DETECTION_EXCEPTIONS": str(path)}).entries[0].role_paths == ("/service-role/",)
    with pytest.raises(ExceptionsError, match="neither an exceptions document nor the path"):
        configured({"DETECTION_EXCEPTIONS": str(tmp_path / "missing.yml")})


def test_the_lambda_reads_its_exceptions_from_the_environment() -> None:
    document = "exceptions: [{rules: ['*'], accounts: ['111122223333'], reason: lab}]"
    settings = DetectionSettings.from_env(
        {"OPENSEARCH_ENDPOINT": "https://x", "DETECTION_EXCEPTIONS": document}
    )
    assert settings.run.exceptions.entries[0].accounts == ("111122223333",)
    assert DetectionSettings.from_env({"OPENSEARCH_ENDPOINT": "https://x"}).run.exceptions == NO_EXCEPTIONS


# --- applied on the engine ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "alerts"),
    [
        (
            {
                "rules": [KEY_RULE],
                "principals": ["arn:aws:iam::*:role/service-role/access-key-rotation-role"],
            },
            0,
        ),
        (
            {
                "rules": [KEY_RULE],
                "principals": ["arn:aws:sts::111122223333:assumed-role/access-key-rotation-role/*"],
            },
            0,
        ),
        ({"rules": ["*"], "role_paths": ["/service-role/"]}, 0),
        ({"rules": ["*"], "accounts": ["111122223333"]}, 0),
        (
            {
                "rules": ["*"],
                "accounts": ["111122223333"],
                "role_paths": ["/aws-reserved/sso.amazonaws.com/"],
            },
            1,
        ),
        ({"rules": ["*"], "accounts": [OTHER_ACCOUNT]}, 1),
        ({"rules": ["siem-root-account-usage"], "role_paths": ["/service-role/"]}, 1),
        ({"rules": [KEY_RULE], "principals": ["arn:aws:iam::*:role/service-role/other-role"]}, 1),
    ],
)
def test_event_rule_leaves_out_what_an_exception_names(siem: OpenSearch, entry: dict, alerts: int) -> None:
    index_raw(siem, "cloudtrail", trail([key_for_ci_runner()]), ingested=T0)
    rule = our_rule(KEY_RULE)
    assert matched(siem, rule, NO_EXCEPTIONS) == 1
    assert matched(siem, rule, exceptions({**entry, "reason": "test"})) == alerts


def test_an_exception_leaves_the_rest_of_the_rule_alone(siem: OpenSearch) -> None:
    admin = ct.role_session(
        "111122223333", "Admin", "mallory", "ASIAMALLORY000000001", "AROAADMIN00000000001", T0
    )
    index_raw(
        siem, "cloudtrail", trail([key_for_ci_runner(), key_for_ci_runner(admin, "mallory-1")]), ingested=T0
    )
    rule = our_rule(KEY_RULE)
    only_rotation = exceptions({"rules": [KEY_RULE], "role_paths": ["/service-role/"], "reason": "rotation"})
    window = Window(T0 - minutes(10), T0 + minutes(10))
    found = find_matches(siem, only_rotation.apply(rule), "siem-cloudtrail", window)
    assert [match.event_ids for match in found.matches] == [["mallory-1"]]


def test_excepted_events_do_not_count_towards_a_threshold(siem: OpenSearch) -> None:
    rule = parse_rule(
        {
            "id": "test-denied-burst",
            "title": "AccessDenied burst",
            "severity": "medium",
            "index": "cloudtrail",
            "query": "aws.cloudtrail.error_code:AccessDenied",
            "group_by": ["cloud.account.id"],
            "threshold": 5,
            "window": "10m",
        }
    )
    scanner = ct.role_session(
        "111122223333", "inventory-reader", "scan", "ASIASCANNER000000001", "AROASCAN000000000001", T0
    )
    person = ct.role_session("111122223333", "Dev", "ana", "ASIAANA0000000000001", "AROADEV0000000000001", T0)
    denied = [
        ct.api_call(
            ct.assumed_role(session),
            event_name="ListSecrets",
            event_source="secretsmanager.amazonaws.com",
            time=T0 + minutes(1),
            error_code="AccessDenied",
            error_message="not authorized",
            event_id=f"{session.session_name}-{n}",
        )
        for session, count in ((scanner, 4), (person, 2))
        for n in range(count)
    ]
    index_raw(siem, "cloudtrail", trail(denied), ingested=T0)
    assert matched(siem, rule, NO_EXCEPTIONS) == 1  # 6 >= 5
    scanner_excepted = exceptions(
        {
            "rules": ["test-denied-burst"],
            "principals": ["arn:aws:iam::*:role/inventory-reader"],
            "reason": "scanner",
        }
    )
    assert matched(siem, rule, scanner_excepted) == 0  # 2 < 5: the scanner's calls do not count


def test_flow_rules_take_account_exceptions_and_ignore_principal_ones(siem: OpenSearch) -> None:
    index_raw(siem, "vpcflow", rejected_flows("198.51.100.7", T0, 25), ingested=T0)
    rule = our_rule("siem-vpcflow-rejected-burst")
    by_account = exceptions({"rules": [rule.id], "accounts": ["111122223333"], "reason": "scanner VPC"})
    by_principal = exceptions(
        {"rules": ["*"], "principals": ["arn:aws:iam::*:role/*"], "reason": "n/a to flows"}
    )
    assert matched(siem, rule, NO_EXCEPTIONS, "siem-vpcflow") == 1
    assert matched(siem, rule, by_account, "siem-vpcflow") == 0
    assert matched(siem, rule, by_principal, "siem-vpcflow") == 1


def test_runner_applies_its_exceptions(siem: OpenSearch) -> None:
    index_raw(siem, "cloudtrail", trail([key_for_ci_runner()]), ingested=T0)
    rule = our_rule(KEY_RULE)
    settings = RunSettings(first_lookback=minutes(30))
    excepted = RunSettings(
        first_lookback=minutes(30),
        exceptions=exceptions({"rules": [KEY_RULE], "role_paths": ["/service-role/"], "reason": "rotation"}),
    )
    assert run(siem, siem, [rule], T0 + minutes(5), MemoryCheckpoints(), None, excepted).created == 0
    report = run(siem, siem, [rule], T0 + minutes(5), MemoryCheckpoints(), None, settings)
    assert report.created == 1
    # The alert shows the query the rule runs (its copies clause too), not the exceptions.
    assert report.alerts[0]["alert"]["query"] == rule.query_text()
    assert "role_path" not in rule.query_text() and "service-role" not in rule.query_text()
