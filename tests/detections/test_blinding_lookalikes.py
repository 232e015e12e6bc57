"""The rules on findings hidden, GuardDuty coverage narrowed, SES taken over, another user's
key reactivated and Firehose streams delivering outside (demo/benign/blinding.py): their
routine look-alikes, too rare for the corpus slice, measured on their own, and the same
calls made the attacker's way."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.benign import episodes
from detections.exceptions import load_exceptions
from detections.false_positives import CORPUS_EXCEPTIONS_FILE, index_records, load_budgets, measure
from tests.detections.conftest import alerts_by_rule, corpus_organizations, our_rule

ACTIVITIES = (
    "scanner-saved-filters",
    "guardduty-coverage-terraform",
    "mail-team-identities",
    "own-key-reactivation",
    "firehose-streams",
)
RULES = (
    "siem-inspector-findings-suppressed",
    "siem-macie-findings-suppressed",
    "siem-guardduty-coverage-narrowed",
    "siem-guardduty-disabled",
    "siem-guardduty-findings-suppressed",
    "siem-ses-sending-enabled",
    "siem-iam-access-key-reactivated-for-another-user",
    "siem-iam-access-key-for-another-user",
    "siem-firehose-delivers-to-third-party",
    "siem-firehose-delivers-to-other-account",
)
ORGANIZATIONS = 30
ATTACKER = {
    "type": "IAMUser",
    "principalId": "AIDACKCEVSQ6C2EXAMPLE",
    "arn": "arn:aws:iam::111122223333:user/intruder",
    "accountId": "111122223333",
    "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "userName": "intruder",
}


def _attack(record: dict[str, Any]) -> dict[str, Any] | None:
    """The look-alike call made the attacker's way, or None where it has no such twin."""
    request = record.get("requestParameters") or {}
    twin = copy.deepcopy(record)
    twin["eventID"] = f"attack-{record['eventID']}"
    name = record["eventName"]
    if name in ("CreateFilter", "UpdateFilter") and request.get("action") == "NONE":
        twin["requestParameters"]["action"] = "SUPPRESS"
    elif name in ("CreateFindingsFilter", "UpdateFindingsFilter"):
        twin["requestParameters"]["action"] = "ARCHIVE"
    elif name == "UpdateAccessKey":
        twin["userIdentity"] = ATTACKER
        twin["requestParameters"].setdefault("userName", record["userIdentity"]["userName"])
    elif name == "UpdateOrganizationConfiguration" and "features" in request:
        twin["requestParameters"]["features"][0]["autoEnable"] = "NONE"
    elif name == "CreateDeliveryStream" and "amazonopensearchserviceDestinationConfiguration" in request:
        destination = twin["requestParameters"]["amazonopensearchserviceDestinationConfiguration"]
        destination["domainARN"] = destination["domainARN"].replace(
            f":{record['recipientAccountId']}:", ":999988887777:"
        )
    else:
        return None
    return twin


@pytest.mark.integration
def test_routine_look_alikes_raise_nothing_and_their_attack_twins_alert(siem: OpenSearch) -> None:
    """30 episodes of each activity (one organization each) hold every look-alike call; with
    the organizations' accounts directories nothing alerts. The same calls made the
    attacker's way (a filter that suppresses, another user's key, a protection no longer
    auto-enabled, a domain of another account) alert, each in its own rule."""
    records = episodes(ACTIVITIES, ORGANIZATIONS)
    calls = {(record["eventSource"], record["eventName"]) for record in records}
    assert {
        ("inspector2.amazonaws.com", "CreateFilter"), ("inspector2.amazonaws.com", "UpdateFilter"),
        ("macie2.amazonaws.com", "CreateFindingsFilter"), ("macie2.amazonaws.com", "UpdateFindingsFilter"),
        ("guardduty.amazonaws.com", "UpdateDetector"), ("guardduty.amazonaws.com", "UpdateMemberDetectors"),
        ("guardduty.amazonaws.com", "UpdateOrganizationConfiguration"),
        ("ses.amazonaws.com", "VerifyDomainIdentity"), ("ses.amazonaws.com", "VerifyEmailIdentity"),
        ("ses.amazonaws.com", "CreateEmailIdentity"), ("iam.amazonaws.com", "UpdateAccessKey"),
        ("firehose.amazonaws.com", "CreateDeliveryStream"),
    } <= calls  # fmt: skip
    organization = corpus_organizations(ORGANIZATIONS)
    rules = [our_rule(rule_id) for rule_id in RULES]

    def alerts(index: str, count: int) -> dict[str, int]:
        return alerts_by_rule(siem, rules, index, count, organization)

    index_records(siem, "siem-cloudtrail-blinding", records)
    assert alerts("siem-cloudtrail-blinding", len(records)) == {}

    twins = [twin for record in records if (twin := _attack(record)) is not None]
    index_records(siem, "siem-cloudtrail-blinding-attacks", twins)
    expected: dict[str, int] = {}
    for twin in twins:
        rule = {
            "inspector2.amazonaws.com": "siem-inspector-findings-suppressed",
            "macie2.amazonaws.com": "siem-macie-findings-suppressed",
            "guardduty.amazonaws.com": "siem-guardduty-coverage-narrowed",
            "iam.amazonaws.com": "siem-iam-access-key-reactivated-for-another-user",
            "firehose.amazonaws.com": "siem-firehose-delivers-to-other-account",
        }[twin["eventSource"]]
        expected[rule] = expected.get(rule, 0) + 1
    assert set(expected) == {
        "siem-inspector-findings-suppressed",
        "siem-macie-findings-suppressed",
        "siem-guardduty-coverage-narrowed",
        "siem-iam-access-key-reactivated-for-another-user",
        "siem-firehose-delivers-to-other-account",
    }
    assert alerts("siem-cloudtrail-blinding-attacks", len(twins)) == expected


@pytest.mark.integration
def test_the_security_settings_terraform_narrows_runtime_monitoring_by_the_organizations_choice(
    siem: OpenSearch,
) -> None:
    """The security tooling account's Terraform (security-services-terraform) leaves Runtime
    Monitoring off for new members (`autoEnable: NONE`) and EKS agent management to the team
    (`EKS_ADDON_MANAGEMENT` `DISABLED`): the coverage rule alerts on both, and the corpus
    organization's exception for its pipeline role silences them."""
    records = episodes(("security-services-terraform",), ORGANIZATIONS)
    runtime_off = {"name": "RUNTIME_MONITORING", "autoEnable": "NONE"}
    eks_agent_off = {"name": "EKS_ADDON_MANAGEMENT", "status": "DISABLED"}
    narrowing = [
        record
        for record in records
        for features in [
            record["requestParameters"].get("features", [])
            if record["eventSource"] == "guardduty.amazonaws.com"
            else []
        ]
        if runtime_off in features
        or any(eks_agent_off in feature.get("additionalConfiguration", []) for feature in features)
    ]
    assert {record["eventName"] for record in narrowing} == {
        "UpdateOrganizationConfiguration",
        "UpdateDetector",
    }
    index_records(siem, "siem-cloudtrail-blinding-terraform", records)
    rule = [our_rule("siem-guardduty-coverage-narrowed")]
    without = measure(siem, rule, "siem-cloudtrail-blinding-terraform", len(records), budgets=load_budgets())
    assert without.results[0].alerts == len(narrowing)
    corpus = load_exceptions(CORPUS_EXCEPTIONS_FILE)
    with_exceptions = measure(
        siem,
        rule,
        "siem-cloudtrail-blinding-terraform",
        len(records),
        exceptions=corpus,
        budgets=load_budgets(),
    )
    assert with_exceptions.results[0].alerts == 0
