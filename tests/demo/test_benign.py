"""The benign corpus (demo.benign): deterministic, well-formed, and shaped like the activity it names.

Expected shapes come from the AWS documentation: how CloudTrail records a cross-account
AssumeRole (both accounts, one sharedEventID), a service acting with a role session
(``invokedBy``, the service as source and agent), Identity Center sign-ins (SAMLUser
AssumeRoleWithSAML into ``/aws-reserved/sso.amazonaws.com/``), console sign-ins with MFA.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from demo.benign import ACTIVITIES, WEEK, WEEK_START, Corpus, generate, log_file
from demo.benign.calls import Context
from demo.benign.org import build
from demo.ids import Ids
from demo.records.cloudtrail import log_file_json
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import missing_fields

DOCS = Path(__file__).resolve().parents[2] / "docs" / "detections.md"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return generate(6_000)


def _episode(name: str, seed: int = 3) -> list[dict]:
    """One episode of the activity ``name``, from a fresh organization."""
    activity = next(activity for activity in ACTIVITIES if activity.name == name)
    ids = Ids(seed)
    rng = random.Random(seed)
    return activity.run(Context(build(ids), rng, ids), activity.when(rng))


def test_same_seed_same_bytes_and_another_seed_other_bytes() -> None:
    assert log_file(generate(1_500, seed=11)) == log_file(generate(1_500, seed=11))
    assert log_file(generate(1_500, seed=11)) != log_file(generate(1_500, seed=12))


def test_a_smaller_corpus_is_a_slice_of_a_larger_one(corpus: Corpus) -> None:
    small = generate(2_000)
    assert len(small.records) == 2_000
    assert {r["eventID"] for r in small.records} <= {r["eventID"] for r in corpus.records}


def test_every_record_normalizes_with_the_mandatory_fields(corpus: Corpus) -> None:
    items = list(
        normalize_object(io.BytesIO(log_file(corpus)), Origin("benign", "2026-03-09T00:00:00Z"), "cloudtrail")
    )
    assert not [item for item in items if isinstance(item, DeadLetter)]
    assert len(items) == len(corpus.records)
    assert not [doc["event"]["id"] for doc in items if missing_fields(doc)]
    assert len({doc["event"]["id"] for doc in items}) == len(items)


def test_records_are_sorted_and_spread_over_the_week(corpus: Corpus) -> None:
    times = [record["eventTime"] for record in corpus.records]
    assert times == sorted(times)
    assert (
        times[0] >= f"{WEEK_START:%Y-%m-%dT%H:%M:%SZ}"
        and times[-1] < f"{WEEK_START + WEEK:%Y-%m-%dT%H:%M:%SZ}"
    )
    days = Counter(time[:10] for time in times)
    assert len(days) == 7


def test_people_work_on_weekdays(corpus: Corpus) -> None:
    weekend = {f"{WEEK_START + timedelta(days=d):%Y-%m-%d}" for d in (5, 6)}
    people = [
        r
        for r, a in zip(corpus.records, corpus.activities, strict=True)
        if a.startswith(("sso-", "iam-user"))
    ]
    assert people and not [r for r in people if r["eventTime"][:10] in weekend]


def test_mostly_reads_few_writes(corpus: Corpus) -> None:
    reads = sum(1 for record in corpus.records if record.get("readOnly"))
    assert 0.7 < reads / len(corpus.records) < 0.95
    errors = sum(1 for record in corpus.records if record.get("errorCode"))
    assert 0 < errors / len(corpus.records) < 0.05


def test_every_activity_is_documented_in_the_detections_guide() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert not [activity.name for activity in ACTIVITIES if f"`{activity.name}`" not in text]


@pytest.mark.parametrize("activity", [activity.name for activity in ACTIVITIES])
def test_each_activity_normalizes(activity: str) -> None:
    records = _episode(activity)
    assert records
    items = list(
        normalize_object(
            io.BytesIO(log_file_json(records)), Origin("a", "2026-03-09T00:00:00Z"), "cloudtrail"
        )
    )
    assert not [item for item in items if isinstance(item, DeadLetter)]


def test_cdk_deploy_chains_oidc_ci_role_bootstrap_roles_and_cloudformation() -> None:
    records = _episode("cdk-deploy")
    first = records[0]
    assert first["eventName"] == "AssumeRoleWithWebIdentity"
    assert first["userIdentity"]["type"] == "WebIdentityUser"
    assert first["userIdentity"]["identityProvider"].endswith(
        ":oidc-provider/token.actions.githubusercontent.com"
    )
    cross = [r for r in records if r["eventName"] == "AssumeRole" and r.get("sharedEventID")]
    pairs = Counter(r["sharedEventID"] for r in cross)
    assert pairs and set(pairs.values()) == {2}  # each cross-account AssumeRole: once per account
    for shared in pairs:
        caller, owner = (r for r in cross if r["sharedEventID"] == shared)
        assert caller["recipientAccountId"] != owner["recipientAccountId"]
        assert owner["userIdentity"]["type"] == "AWSAccount"
    roles = {r["requestParameters"]["roleArn"].rsplit("/", 1)[1].split("-")[2] for r in cross}
    assert {"deploy", "file", "lookup"} <= roles  # cdk-hnb659fds-<purpose>-role-...
    invoked = [
        r
        for r in records
        if r["userIdentity"]["type"] == "AssumedRole"
        and r["userIdentity"].get("invokedBy") == "cloudformation.amazonaws.com"
    ]
    assert invoked
    assert all(r["sourceIPAddress"] == r["userAgent"] == "cloudformation.amazonaws.com" for r in invoked)
    assert all(":assumed-role/cdk-hnb659fds-cfn-exec-role-" in r["userIdentity"]["arn"] for r in invoked)
    service = [r for r in records if r["userIdentity"].get("type") == "AWSService"]
    assert [r["eventName"] for r in service] == ["AssumeRole"]


def test_identity_center_console_sign_in() -> None:
    records = _episode("sso-console", seed=5)
    saml = next(r for r in records if r["eventName"] == "AssumeRoleWithSAML")
    assert saml["userIdentity"]["type"] == "SAMLUser"
    assert ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_" in saml["requestParameters"]["roleArn"]
    assert saml["requestParameters"]["principalArn"].endswith("_DO_NOT_DELETE")
    login = next(r for r in records if r["eventName"] == "ConsoleLogin")
    assert login["userIdentity"]["type"] == "AssumedRole"
    assert login["additionalEventData"]["MFAUsed"] == "No"
    assert login["userIdentity"]["accessKeyId"] == saml["responseElements"]["credentials"]["accessKeyId"]
    portal = [r for r in records if r["eventSource"] == "sso.amazonaws.com"]
    assert [r["eventName"] for r in portal][-1] == "Federate"
    assert {r["recipientAccountId"] for r in portal} != {saml["recipientAccountId"]}


def test_iam_user_console_sign_in_uses_mfa() -> None:
    records = _episode("iam-user-console")
    login = next(
        r
        for r in records
        if r["eventName"] == "ConsoleLogin" and r["responseElements"]["ConsoleLogin"] == "Success"
    )
    assert login["userIdentity"]["type"] == "IAMUser"
    assert (
        login["additionalEventData"]["MFAUsed"] == "Yes" and "MFAIdentifier" in login["additionalEventData"]
    )
    calls = [r for r in records if r["eventType"] == "AwsApiCall"]
    assert calls and all(
        r["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "true" for r in calls
    )


def test_terraform_uses_its_user_agent_and_mostly_reads() -> None:
    records = _episode("terraform-plan")
    calls = [r for r in records if r["userIdentity"]["type"] == "AssumedRole"]
    assert calls and all("Terraform/1." in r["userAgent"] for r in calls)
    assert all(r["readOnly"] for r in calls)
    assert all(":assumed-role/terraform-plan/" in r["userIdentity"]["arn"] for r in calls)


def test_scanner_meets_routine_failures() -> None:
    records = [r for seed in range(1, 8) for r in _episode("inventory-scan", seed)]
    codes = Counter(r.get("errorCode") for r in records if r.get("errorCode"))
    assert codes["AccessDenied"] and codes["NoSuchBucketPolicy"]
    denied = next(r for r in records if r.get("errorCode") == "AccessDenied")
    assert "is not authorized to perform" in denied["errorMessage"] and denied["readOnly"] is True


def test_services_act_through_their_service_linked_roles() -> None:
    for name, service, path in (
        ("config-recorder", "config.amazonaws.com", "/aws-service-role/config.amazonaws.com/"),
        ("securityhub-checks", "securityhub.amazonaws.com", "/aws-service-role/securityhub.amazonaws.com/"),
        ("guardduty-reads", "guardduty.amazonaws.com", "/aws-service-role/guardduty.amazonaws.com/"),
    ):
        records = _episode(name)
        assert all(r["userIdentity"]["invokedBy"] == service == r["sourceIPAddress"] for r in records)
        assert all(
            f":role{path}" in r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] for r in records
        )
        assert all(r["readOnly"] for r in records)


def test_corpus_composition_keeps_automation_ahead_of_people(corpus: Corpus) -> None:
    composition = corpus.composition
    people = sum(
        count for name, count in composition.items() if name.startswith(("sso-", "iam-user", "saml-"))
    )
    assert people < 0.2 * len(corpus.records)
    # The largest activity is machines' routine (the first 6,000 records hold a few whole
    # Terraform plans, bursts of hundreds of reads: which machine leads depends on the draw).
    assert composition.most_common(1)[0][0] in {
        "s3-objects",
        "ssm-agent",
        "monitoring-poll",
        "kms-for-services",
        "terraform-plan",
    }
    assert orjson.dumps(corpus.records[0])  # plain JSON values only
