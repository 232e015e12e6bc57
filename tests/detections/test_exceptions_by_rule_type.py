"""Exceptions on every rule type, through the runner on the embedded engine (behind the
Serverless guard): each form (principal: role ARN or session ARN pattern; account; role path)
removes exactly the excepted activity, and the same activity by someone else still alerts.

The excepted actor is a CI role with the IAM path ``/ci/`` in a sandbox account; the other is
a person's session of ``Admin`` in the production account. A role session's ARN is
``arn:aws:sts::<account>:assumed-role/<role>/<session>`` and its issuer, the role, keeps the
path: ``arn:aws:iam::<account>:role/ci/deployer`` (cloudtrail-event-reference-user-identity.md).
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections.checkpoints import MemoryCheckpoints
from detections.exceptions import NO_EXCEPTIONS, Exceptions, parse_exceptions
from detections.rules import RULE_TYPES, Rule, parse_rule
from detections.runner import RunReport, RunSettings, run
from detections.search import Sources
from detections.testing import INGESTED, alerts_for, index_and_wait
from detections.windows import parse_time
from normalizers import DeadLetter, Origin, normalize_object
from tests.detections.conftest import T0, index_raw, minutes, our_rule, trail
from tests.detections.test_sequence import finding, iam_write

pytestmark = pytest.mark.integration
SANDBOX, PROD = "444455556666", "111122223333"
CI = ct.RoleSession(
    SANDBOX, "deployer", "AROACIDEPLOYER000001", "build-42", "ASIACIDEPLOYER000001", T0, "/ci/"
)
CI_IN_PROD = ct.RoleSession(
    PROD, "deployer", "AROACIDEPLOYER000002", "build-43", "ASIACIDEPLOYER000002", T0, "/ci/"
)
MALLORY = ct.RoleSession(PROD, "Admin", "AROAADMIN00000000001", "mallory", "ASIAMALLORY000000001", T0)
FORMS = {
    "role ARN": {"principals": ["arn:aws:iam::*:role/ci/deployer"]},
    "session ARN": {"principals": ["arn:aws:sts::*:assumed-role/deployer/build-*"]},
    "account": {"accounts": [SANDBOX]},
    "role path": {"role_paths": ["/ci/"]},
}
"""Each names the CI role's activity in the sandbox, and nothing of Mallory's."""
STOP_THEN_DELETE = parse_rule(
    {
        "id": "test-trail-stopped-then-detector-deleted",
        "title": "CloudTrail logging stopped, then a GuardDuty detector deleted, in one account",
        "severity": "high",
        "type": "sequence",
        "maxspan": "1h",
        "sequence": [
            {
                "name": "logging stopped",
                "index": "cloudtrail",
                "query": "event.action:StopLogging AND NOT event.outcome:failure",
                "by": ["cloud.account.id"],
            },
            {
                "name": "detector deleted",
                "index": "cloudtrail",
                "query": "event.action:DeleteDetector AND NOT event.outcome:failure",
                "by": ["cloud.account.id"],
            },
        ],
    }
)
"""A sequence whose steps may be made by different principals: its join key is the account."""
SEQUENCE_RULE = "siem-finding-then-iam-write-same-credential"
FIRST_RUN = T0 + minutes(5)


def excepting(rule_id: str, **names: Any) -> Exceptions:
    return parse_exceptions({"exceptions": [{"rules": [rule_id], "reason": "CI deploys", **names}]})


def call(session: ct.RoleSession, action: str, when: datetime, **fields: Any) -> dict[str, Any]:
    provider = {"StopLogging": "cloudtrail", "DeleteDetector": "guardduty", "CreateTags": "ec2"}
    return ct.api_call(
        ct.assumed_role(session),
        event_name=action,
        event_source=f"{provider.get(action, 'iam')}.amazonaws.com",
        time=when,
        read_only=False,
        **fields,
    )


def activity(rule_type: str, session: ct.RoleSession) -> list[dict[str, Any]]:
    """What each rule type alerts on, done by ``session`` at T0."""
    name = session.session_name
    if rule_type == "event":  # an access key for another user
        return [call(session, "CreateAccessKey", T0, request={"userName": "ci-runner"}, event_id=f"{name}-k")]
    if rule_type == "threshold":  # 10 distinct calls denied within 10 minutes
        actions = ["ListUsers", "ListRoles", "ListPolicies", "ListGroups", "GetAccountSummary"]
        actions += [
            "ListSAMLProviders",
            "ListOpenIDConnectProviders",
            "ListUserTags",
            "GetUser",
            "ListMFADevices",
        ]
        return [
            call(
                session, action, T0 + timedelta(seconds=n), error_code="AccessDenied", error_message="denied"
            )
            for n, action in enumerate(actions)
        ]
    if rule_type == "new_terms":  # the first write in a region
        return [call(session, "CreateTags", T0, region="ap-southeast-3")]
    return [call(session, "StopLogging", T0), call(session, "DeleteDetector", T0 + minutes(10))]


RULES = {
    "event": lambda: our_rule("siem-iam-access-key-for-another-user"),
    "threshold": lambda: our_rule("siem-access-denied-burst"),
    "new_terms": lambda: our_rule("siem-new-region-in-account"),
    "sequence": lambda: STOP_THEN_DELETE,
}


def run_once(
    client: OpenSearch, rule: Rule, excepted: Exceptions, now: datetime = FIRST_RUN, alerts: str = ""
) -> RunReport:
    """One first run of ``rule``; each ``alerts`` suffix is a deployment of its own (alerts,
    new-terms state), so runs with and without exceptions judge the same events afresh."""
    settings = RunSettings(
        first_lookback=minutes(30), exceptions=excepted, alerts_index=f"siem-alerts{alerts}"
    )
    report = run(client, client, [rule], now, MemoryCheckpoints(), None, settings)
    assert not report.errors and not report.incident_error
    return report


def accounts(report: RunReport) -> list[str]:
    return sorted(alert["cloud"]["account"]["id"] for alert in report.alerts)


def test_every_rule_type_is_covered() -> None:
    # A silence rule's exception (an account left out) is tested over days of runs:
    # test_silence.py, test_an_exception_added_keeps_what_was_learned.
    assert set(RULES) | {"silence"} == set(RULE_TYPES)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("rule_type", RULES)
def test_an_exception_removes_the_excepted_activity_and_nothing_else(
    siem: OpenSearch, rule_type: str, form: str
) -> None:
    rule = RULES[rule_type]()
    if rule_type == "new_terms":  # both accounts' usual region, 20 days before: learned, then judged
        old = [
            call(session, "CreateTags", T0 - timedelta(days=20), region="us-east-1")
            for session in (CI, MALLORY)
        ]
        index_raw(siem, "cloudtrail", trail(old), T0 - timedelta(days=19))
    index_raw(siem, "cloudtrail", trail([*activity(rule_type, CI), *activity(rule_type, MALLORY)]), T0)

    without = run_once(siem, rule, NO_EXCEPTIONS)
    with_it = run_once(siem, rule, excepting(rule.id, **FORMS[form]), alerts="-excepted")

    assert accounts(without) == [PROD, SANDBOX]
    assert accounts(with_it) == [PROD]


# --- new terms: excepted activity teaches no history ----------------------------------------


@pytest.mark.parametrize("form", ["role ARN", "role path"])
def test_an_excepted_principal_does_not_teach_a_new_terms_rule_its_history(
    siem: OpenSearch, form: str
) -> None:
    """The CI role writes in a region the production account never used (accepted); two hours
    later Mallory writes there. Her write is the account's first one nobody accepted: it alerts.
    Without the exception the CI role's write is the new term (one alert), and hers is known."""
    rule = our_rule("siem-new-region-in-account")
    old = call(MALLORY, "CreateTags", T0 - timedelta(days=20), region="us-east-1")
    index_raw(siem, "cloudtrail", trail([old]), T0 - timedelta(days=19))
    index_raw(siem, "cloudtrail", trail([call(CI_IN_PROD, "CreateTags", T0, region="eu-south-2")]), T0)
    later = T0 + timedelta(hours=2)
    index_raw(siem, "cloudtrail", trail([call(MALLORY, "CreateTags", later, region="eu-south-2")]), later)

    def actors(excepted: Exceptions, alerts: str) -> list[str]:
        store = MemoryCheckpoints()
        settings = RunSettings(
            first_lookback=minutes(30), exceptions=excepted, alerts_index=f"siem-alerts{alerts}"
        )
        reports = [
            run(siem, siem, [rule], now, store, None, settings)
            for now in (T0 + minutes(5), later + minutes(5))
        ]
        assert not any(report.errors for report in reports)
        return [str(alert["user"]["name"]) for report in reports for alert in report.alerts]

    assert actors(NO_EXCEPTIONS, "") == ["build-43"]
    assert actors(excepting(rule.id, **FORMS[form]), "-excepted") == ["mallory"]


def test_changing_the_exceptions_relearns_from_the_logs_without_repeating_an_alert(siem: OpenSearch) -> None:
    """A new-terms rule's history depends on its exceptions: a change refills it from the logs
    (as a changed query does), judged at once when the logs hold the history."""
    rule = our_rule("siem-new-region-in-account")
    old = call(MALLORY, "CreateTags", T0 - timedelta(days=20), region="us-east-1")
    index_raw(siem, "cloudtrail", trail([old]), T0 - timedelta(days=19))
    index_raw(siem, "cloudtrail", trail([call(MALLORY, "CreateTags", T0, region="eu-south-2")]), T0)
    store = MemoryCheckpoints()

    def run_at(now: datetime, excepted: Exceptions) -> RunReport:
        return run(
            siem, siem, [rule], now, store, None, RunSettings(first_lookback=minutes(30), exceptions=excepted)
        )

    first = run_at(T0 + minutes(5), NO_EXCEPTIONS)
    later = T0 + timedelta(hours=2)
    index_raw(siem, "cloudtrail", trail([call(MALLORY, "CreateTags", later, region="sa-east-1")]), later)
    again = run_at(T0 + minutes(10), excepting(rule.id, **FORMS["role path"]))  # the same window again
    after = run_at(later + minutes(5), excepting(rule.id, **FORMS["role path"]))

    assert [alert["cloud"]["region"] for alert in first.alerts] == ["eu-south-2"]
    assert again.created == 0 and again.outcomes[0].duplicates == 1  # refilled, the same alert
    assert [alert["cloud"]["region"] for alert in after.alerts] == ["sa-east-1"]


# --- sequences: a chain alerts unless every step is excepted --------------------------------


@pytest.mark.parametrize(
    ("first", "second", "alerts"),
    [
        (CI_IN_PROD, CI_IN_PROD, 0),  # all accepted
        (CI_IN_PROD, MALLORY, 1),  # the CI role stopped logging, then Mallory deleted the detector
        (MALLORY, CI_IN_PROD, 1),
        (MALLORY, MALLORY, 1),
    ],
    ids=["both accepted", "accepted then not", "not then accepted", "neither accepted"],
)
def test_a_sequence_alerts_unless_every_step_is_excepted(
    siem: OpenSearch, first: ct.RoleSession, second: ct.RoleSession, alerts: int
) -> None:
    steps = [
        call(first, "StopLogging", T0, event_id="stop"),
        call(second, "DeleteDetector", T0 + minutes(10), event_id="delete"),
    ]
    index_raw(siem, "cloudtrail", trail(steps), T0 + minutes(11))

    report = run_once(
        siem, STOP_THEN_DELETE, excepting(STOP_THEN_DELETE.id, **FORMS["role path"]), T0 + minutes(15)
    )

    assert report.created == alerts
    for alert in report.alerts:  # the excepted step is in the alert: it is part of the story
        assert sorted(alert["alert"]["event_ids"]) == ["delete", "stop"]


def test_a_sequence_chain_is_built_from_the_events_nobody_accepted(siem: OpenSearch) -> None:
    """The CI role stops logging at T0 and deletes a detector at T0+5 (accepted); Mallory deletes
    one at T0+20: the chain that alerts runs from the stop to Mallory's deletion."""
    steps = [
        call(CI_IN_PROD, "StopLogging", T0, event_id="ci-stop"),
        call(CI_IN_PROD, "DeleteDetector", T0 + minutes(5), event_id="ci-delete"),
        call(MALLORY, "DeleteDetector", T0 + minutes(20), event_id="mallory-delete"),
    ]
    index_raw(siem, "cloudtrail", trail(steps), T0 + minutes(21))

    report = run_once(
        siem, STOP_THEN_DELETE, excepting(STOP_THEN_DELETE.id, **FORMS["role ARN"]), T0 + minutes(25)
    )

    (alert,) = report.alerts
    assert sorted(alert["alert"]["event_ids"]) == ["ci-stop", "mallory-delete"]


@pytest.mark.parametrize(
    ("names", "alerts"),
    [
        ({"accounts": [PROD]}, 0),  # the finding and the writes are both in the account
        (
            {"principals": ["arn:aws:iam::*:role/web-instance-role"]},
            1,
        ),  # the finding is not the role's own activity
        ({"principals": ["arn:aws:iam::*:role/other-role"]}, 1),
    ],
)
def test_a_sequence_across_sources_takes_each_step_exceptions(
    siem: OpenSearch, names: dict, alerts: int
) -> None:
    index_raw(siem, "guardduty", finding(T0), T0 + minutes(6))
    index_raw(siem, "cloudtrail", trail([iam_write(T0 + minutes(30))]), T0 + minutes(31))
    rule = our_rule(SEQUENCE_RULE)

    assert run_once(siem, rule, NO_EXCEPTIONS, T0 + minutes(35)).created == 1
    assert run_once(siem, rule, excepting(rule.id, **names), T0 + minutes(35), "-excepted").created == alerts


def test_an_excepted_first_step_teaches_a_sequence_no_history(siem: OpenSearch) -> None:
    """siem-assume-role-new-ip-then-stop-logging: the CI role assumed trail-admin from
    198.51.100.50 two days ago (accepted); today Mallory assumes it from there and the session
    stops logging. Without the exception the address is known for the role: no alert."""
    trail_admin = ct.RoleSession(
        PROD, "trail-admin", "AROATRAILADMIN000001", "fix", "ASIATRAILADMIN000001", T0
    )
    address = "198.51.100.50"
    earlier = T0 - timedelta(days=2)
    events = [
        call(MALLORY, "CreateTags", T0 - timedelta(days=20), region="us-east-1"),  # the logs hold 20 days
        ct.assume_role(ct.assumed_role(CI_IN_PROD), trail_admin, time=earlier, source_ip=address),
        ct.assume_role(ct.assumed_role(MALLORY), trail_admin, time=T0, source_ip=address),
        call(trail_admin, "StopLogging", T0 + minutes(10)),
    ]
    index_raw(siem, "cloudtrail", trail(events), T0 + minutes(11))
    rule = our_rule("siem-assume-role-new-ip-then-stop-logging")

    assert run_once(siem, rule, NO_EXCEPTIONS, T0 + minutes(15)).created == 0
    excepted = run_once(siem, rule, excepting(rule.id, **FORMS["role path"]), T0 + minutes(15), "-excepted")
    (alert,) = excepted.alerts
    assert alert["alert"]["group_by"] == {"aws.cloudtrail.resources.arn": trail_admin.role_arn}


# --- real detonations -----------------------------------------------------------------------

DETONATIONS = {
    "event": ("aws.defense-evasion.organizations-leave", "siem-organizations-leave", "307578594326"),
    "threshold": (
        "aws.credential-access.ec2-get-password-data",
        "siem-ec2-get-password-data",
        "457448411975",
    ),
    "new_terms": ("aws.impact.bedrock-invoke-model", "siem-bedrock-first-use-by-role", "494659789341"),
}
"""Stratus Red Team detonations made by a role session (../shared/samples/cloudtrail/
stratus-red-team), the rule of each type that catches them, and the account they ran in."""


@pytest.mark.parametrize("rule_type", DETONATIONS)
def test_exceptions_on_a_real_detonation_by_a_role_session(
    siem: OpenSearch, shared_dir: Path, rule_type: str
) -> None:
    technique, rule_id, account = DETONATIONS[rule_type]
    recorded = json.loads(
        (shared_dir / "samples/cloudtrail/stratus-red-team" / f"{technique}.json").read_bytes()
    )
    records = list(recorded["Records"] if isinstance(recorded, dict) else recorded)
    if rule_type == "new_terms":
        # Moved to just before the run (a new term is judged against the 14 days before it),
        # and the role's older activity: the logs hold those 14 days.
        shift = parse_time(INGESTED) - minutes(5) - parse_time(max(record["eventTime"] for record in records))
        records = [{**record, "eventTime": _moved(record["eventTime"], shift)} for record in records]
        first = records[0]
        older = {**first, "eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity"}
        when = _moved(first["eventTime"], -timedelta(days=20))
        records.append({**older, "eventTime": when, "eventID": f"older-{first['eventID']}"})
    raw = trail(records)
    normalized = list(
        normalize_object(io.BytesIO(raw), Origin(object=technique, ingested=INGESTED), "cloudtrail")
    )
    items = [item for item in normalized if not isinstance(item, DeadLetter)]
    assert len(items) == len(normalized) == len(records)
    sources = Sources("siem-", "-stratus")
    index_and_wait(siem, sources.index("cloudtrail"), items)
    rule = our_rule(rule_id)
    role = next(
        str(item["aws"]["cloudtrail"]["user_identity"]["session_context"]["session_issuer"]["arn"])
        for item in items
        if item["event"]["action"] != "AssumeRole"
    )
    role_name = role.rsplit("/", 1)[1]

    def alerts(**names: Any) -> int:
        excepted = excepting(rule.id, **names) if names else NO_EXCEPTIONS
        return len(alerts_for(siem, excepted.apply(rule), sources))

    assert alerts() >= 1
    assert alerts(principals=[role]) == 0
    assert alerts(principals=[f"arn:aws:sts::{account}:assumed-role/{role_name}/*"]) == 0
    assert alerts(accounts=[account]) == 0
    assert alerts(principals=[f"arn:aws:iam::{account}:role/{role_name}-other"]) >= 1
    assert alerts(accounts=[SANDBOX]) >= 1


def _moved(event_time: str, by: timedelta) -> str:
    """A CloudTrail ``eventTime`` (``YYYY-MM-DDTHH:MM:SSZ``) moved by ``by``."""
    return (parse_time(event_time) + by).strftime("%Y-%m-%dT%H:%M:%SZ")
