"""``outside_account`` with the accounts directory: a grant to another account of the
organization is inside, the same grant to an account outside it (or suspended) alerts, and
without a directory both alert (detections.organization, docs/detections.md)."""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from demo.benign import ACTIVITIES
from demo.benign.calls import Context
from demo.benign.org import build
from demo.ids import Ids
from detections.false_positives import index_records
from detections.organization import directory_organization, inside_ids, organization_of
from detections.principals import NO_ORGANIZATION, Organization, grants_outside
from detections.rules import inside_organization
from detections.runtime import run_once
from detections.settings import DetectionSettings
from enrichment.accounts import Account, AccountDirectory
from tests.detections.conftest import alerts_by_rule, index_raw, our_rule, trail

OWN, FELLOW, STRANGER = "111122223333", "444455556666", "999988887777"
ORGANIZATION_ID = "o-a1b2c3d4e5"
ORGANIZATION = Organization(frozenset({OWN, FELLOW}))
RULES = (
    "siem-resource-policy-grants-outside",
    "siem-s3-bucket-policy-grants-outside",
    "siem-iam-role-trust-grants-outside",
    "siem-iam-role-created-trusting-outside",
    "siem-lambda-permission-grants-outside",
    "siem-s3-access-point-policy-grants-outside",
    "siem-s3-data-delivered-to-other-account",
)
SHARING_RULES = set(RULES) - {"siem-s3-access-point-policy-grants-outside"}
"""The rules organization-sharing's calls are (no access point is shared in the corpus)."""


def policy(principal: object, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "*", "Resource": "*"}
    return {"Statement": [statement | ({"Condition": condition} if condition else {})]}


@pytest.mark.parametrize(
    "form",
    [
        "{account}",
        "arn:aws:iam::{account}:root",
        "arn:aws:iam::{account}:role/pipeline-runner",
        policy({"AWS": "arn:aws:iam::{account}:root"}),
        policy({"AWS": ["{account}"]}),
        json.dumps(policy({"AWS": "arn:aws:iam::{account}:user/deployer"})),
        policy("*", {"StringEquals": {"aws:PrincipalAccount": "{account}"}}),
        policy("*", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:{account}:topic"}}),
    ],
)
def test_every_form_naming_an_account_of_the_organization_is_inside(form: object) -> None:
    assert not grants_outside([naming(form, FELLOW)], OWN, ORGANIZATION)
    assert grants_outside([naming(form, FELLOW)], OWN)  # without a directory
    assert grants_outside([naming(form, STRANGER)], OWN, ORGANIZATION)


def test_an_account_id_logged_as_a_number_is_checked_like_its_text() -> None:
    assert not grants_outside([int(FELLOW)], OWN, ORGANIZATION)
    assert grants_outside([int(FELLOW)], OWN) and grants_outside([int(STRANGER)], OWN, ORGANIZATION)


def naming(form: object, account: str) -> object:
    """``form`` with ``{account}`` replaced, in text, objects and lists."""
    if isinstance(form, str):
        return form.replace("{account}", account)
    if isinstance(form, dict):
        return {key: naming(value, account) for key, value in form.items()}
    if isinstance(form, list):
        return [naming(item, account) for item in form]
    return form


@pytest.mark.parametrize("everyone", ["*", policy("*"), policy({"AWS": "*"}), {"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": FELLOW}, "Action": "*"}]}])  # fmt: skip
def test_a_grant_to_everyone_stays_outside_whatever_the_directory_holds(everyone: object) -> None:
    assert grants_outside([everyone], OWN, Organization(ORGANIZATION.accounts | {STRANGER}))


def test_a_policy_naming_a_fellow_and_a_stranger_is_outside() -> None:
    both = policy({"AWS": [f"arn:aws:iam::{FELLOW}:root", f"arn:aws:iam::{STRANGER}:root"]})
    assert grants_outside([both], OWN, ORGANIZATION)


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:organizations::{account}:organization/{organization}",
        "arn:aws:organizations::{account}:ou/{organization}/ou-a1b2-w0rk1oad",
    ],
)
def test_an_organization_arn_is_compared_by_its_organization_id(principal: str) -> None:
    """AWS RAM's ``principals``: an organization's or OU's ARN names its management account,
    which is not the caller's (and without a directory not inside), but grants that
    organization: compared as ``aws:PrincipalOrgID`` is."""
    ours = principal.format(account=FELLOW, organization=ORGANIZATION_ID)
    another = principal.format(account=STRANGER, organization="o-z9y8x7w6v5")
    named = Organization(ORGANIZATION.accounts, ORGANIZATION_ID)
    assert not grants_outside([ours], OWN)  # without a directory any organization id pins
    assert not grants_outside([ours], OWN, named)
    assert grants_outside([another], OWN, named)
    assert grants_outside([ours, f"arn:aws:iam::{STRANGER}:role/ops"], OWN, named)


def test_only_accounts_the_organization_still_governs_are_inside() -> None:
    statuses = {"ACTIVE": True, "PENDING_ACTIVATION": True, None: True, "active": True}
    statuses |= {"SUSPENDED": False, "PENDING_CLOSURE": False, "CLOSED": False}
    accounts = [Account(f"{n:012d}", status=status) for n, status in enumerate(statuses)]
    assert inside_ids(accounts) == {account.id for account, inside in zip(accounts, statuses.values(), strict=True) if inside}  # fmt: skip


def test_the_directory_is_read_once_per_ttl(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    AccountDirectory([Account(FELLOW, status="ACTIVE")]).save(path)
    location = str(path)
    assert directory_organization(location, 3600).accounts == {FELLOW}
    AccountDirectory([Account(STRANGER, status="ACTIVE")]).save(path)
    assert directory_organization(location, 3600).accounts == {FELLOW}  # the container's copy
    assert directory_organization(location, 0).accounts == {STRANGER}  # read again once the TTL is over


def test_an_unreadable_directory_leaves_only_the_record_s_own_account_inside(tmp_path: Path) -> None:
    assert directory_organization(str(tmp_path / "missing.json"), 900) == NO_ORGANIZATION


def test_a_rule_without_a_directory_is_the_rule_itself() -> None:
    rule = our_rule("siem-resource-policy-grants-outside")
    assert inside_organization(rule, NO_ORGANIZATION) is rule
    inside = inside_organization(rule, ORGANIZATION)
    assert inside != rule and inside.query_clause() == rule.query_clause()


def sharing_records(episodes: int = 40) -> tuple[list[dict], AccountDirectory]:
    """Episodes of the corpus's organization-sharing activity (every kind of grant it makes),
    and the organization's directory."""
    [activity] = [activity for activity in ACTIVITIES if activity.name == "organization-sharing"]
    ids, rng = Ids(0), random.Random(0)
    context = Context(build(ids), rng, ids)
    records: list[dict] = []
    for _ in range(episodes):
        records += activity.run(context, activity.when(rng))
    return records, context.org.directory()


def alerting(siem: OpenSearch, index: str, organization: Organization) -> dict[str, int]:
    return alerts_by_rule(siem, [our_rule(rule_id) for rule_id in RULES], index, 1, organization)


@pytest.mark.integration
def test_grants_to_the_organization_s_own_accounts_are_silent_with_its_directory(siem: OpenSearch) -> None:
    records, directory = sharing_records()
    index_records(siem, "siem-cloudtrail-sharing", records)
    assert alerting(siem, "siem-cloudtrail-sharing", organization_of(directory)) == {}
    without = alerting(siem, "siem-cloudtrail-sharing", NO_ORGANIZATION)
    assert set(without) == SHARING_RULES
    # The grantees (workloads, CI, log archive) suspended: the same grants alert again.
    governed = AccountDirectory(
        replace(
            account,
            status="ACTIVE" if account.name in ("shared-services", "security-tooling") else "SUSPENDED",
        )
        for account in directory
    )
    assert set(alerting(siem, "siem-cloudtrail-sharing", organization_of(governed))) == SHARING_RULES


@pytest.mark.integration
def test_the_detection_run_loads_the_directory_from_accounts_location(
    siem: OpenSearch, engine_url: str
) -> None:
    """DetectionSettings.from_env -> run_once, as the Lambda runs: the directory in S3."""
    now = datetime.now(UTC)
    calls = key_policy_calls(now, [policy({"AWS": [f"arn:aws:iam::{account}:root"]}) for account in (FELLOW, STRANGER)])  # fmt: skip
    index_raw(siem, "cloudtrail", trail(calls), ingested=now - timedelta(minutes=5))
    directory = AccountDirectory([Account(OWN, status="ACTIVE"), Account(FELLOW, status="ACTIVE")])
    assert run_with_directory(siem, engine_url, now, directory) == [calls[1]["eventID"]]
    assert run_with_directory(siem, engine_url, now, None) == sorted(call["eventID"] for call in calls)


@pytest.mark.integration
def test_a_condition_naming_another_organization_grants_outside_with_the_organization_s_id(
    siem: OpenSearch, engine_url: str
) -> None:
    """``Principal: *`` + ``aws:PrincipalOrgID: o-<another>``: every account of another
    organization. With the directory's ``organization_id`` it alerts, our own id stays silent;
    without the directory, or without its id, an organization id still pins."""
    now = datetime.now(UTC)
    calls = key_policy_calls(
        now,
        [
            policy("*", {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}),
            policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-attacker0001"}}),
            policy("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORGANIZATION_ID}/r-ab12/*"}}),
            policy("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-attacker0001/r-ab12/*"}}),
        ],
    )
    index_raw(siem, "cloudtrail", trail(calls), ingested=now - timedelta(minutes=5))
    accounts = [Account(OWN, status="ACTIVE"), Account(FELLOW, status="ACTIVE")]
    named = AccountDirectory(accounts, organization_id=ORGANIZATION_ID)
    assert run_with_directory(siem, engine_url, now, named) == sorted(calls[n]["eventID"] for n in (1, 3))
    assert run_with_directory(siem, engine_url, now, AccountDirectory(accounts)) == []
    assert run_with_directory(siem, engine_url, now, None) == []


def key_policy_calls(now: datetime, grants: list[dict]) -> list[dict]:
    """KMS ``PutKeyPolicy`` calls of ``OWN``, one a key policy of ``grants``, 10 minutes ago."""
    return [
        {"eventVersion": "1.09", "eventSource": "kms.amazonaws.com", "eventName": "PutKeyPolicy",
         "eventTime": (now - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"), "awsRegion": "us-east-1",
         "sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com",
         "eventID": f"00000000-0000-4000-8000-00000000000{n}", "eventType": "AwsApiCall",
         "recipientAccountId": OWN, "readOnly": False,
         "userIdentity": {"type": "AssumedRole", "accountId": OWN,
                          "arn": f"arn:aws:sts::{OWN}:assumed-role/cfn-exec/AWSCloudFormation",
                          "principalId": "AROAEXAMPLEEXAMPLE01:AWSCloudFormation"},
         "requestParameters": {"keyId": f"arn:aws:kms:us-east-1:{OWN}:key/{n}", "policyName": "default",
                               "policy": json.dumps(grant)}}
        for n, grant in enumerate(grants)
    ]  # fmt: skip


_runs = itertools.count()


def run_with_directory(
    siem: OpenSearch, engine_url: str, now: datetime, directory: AccountDirectory | None
) -> list[str]:
    """The event ids siem-resource-policy-grants-outside alerts on in a run at ``now`` started as
    the Lambda starts it (DetectionSettings.from_env -> run_once), with ``directory`` in S3 as
    ``ACCOUNTS_LOCATION`` (``None``: no directory), into an alerts index of its own."""
    environment = {
        "OPENSEARCH_ENDPOINT": engine_url,
        "OPENSEARCH_AUTH": "none",
        "AWS_REGION": "us-east-1",
        "ALERTS_INDEX": f"siem-alerts-run{next(_runs)}",
    }
    rules = [our_rule("siem-resource-policy-grants-outside")]
    if directory is None:
        return alerted(run_once(DetectionSettings.from_env(environment), now, siem, siem, rules=rules).alerts)
    bucket = f"state-orgoutside-{next(_runs)}"
    location = f"s3://{bucket}/enrichment/accounts.json"
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="enrichment/accounts.json", Body=directory.to_bytes())
        settings = DetectionSettings.from_env(environment | {"ACCOUNTS_LOCATION": location})
        return alerted(run_once(settings, now, siem, siem, rules=rules).alerts)


def alerted(alerts: list[dict]) -> list[str]:
    return sorted(event_id for alert in alerts for event_id in alert["alert"]["event_ids"])
