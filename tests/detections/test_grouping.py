"""``group_by: [principal]``: the principal behind the credentials, read without scripts.

CloudTrail records of every kind of caller (the shared builders, AWS's userIdentity shapes; the
Identity Center user's from the golden sample) go through the real normalizer and the
embedded engine behind the Serverless guard; a threshold rule and a new-terms rule grouped
by ``principal`` then say who each principal is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from detections import new_terms
from detections.checkpoints import MemoryCheckpoints
from detections.grouping import actor_prefix, alternatives, painless, resolve, sources
from detections.matching import find_matches
from detections.monitors import monitor
from detections.rules import Rule, parse_rule
from detections.runner import RunSettings, run
from detections.windows import Window
from tests.detections.conftest import T0, index_raw, minutes, trail

pytestmark = pytest.mark.integration
ACCOUNT = "111122223333"
PARTNER = "444455556666"
WORKER = ct.role_session(ACCOUNT, "worker", "botocore-session-1767225600", role_id="AROAEXAMPLEWORKER001")
WORKER_AGAIN = ct.role_session(
    ACCOUNT, "worker", "botocore-session-1767225700", role_id="AROAEXAMPLEWORKER001"
)
CHAINED = ct.role_session(ACCOUNT, "deployer", "from-worker", role_id="AROAEXAMPLEDEPLOYER1")
ALICE_SSO = ct.identity_center_session(ACCOUNT, "PowerUserAccess", user="alice@example.com")
BOB_SSO = ct.identity_center_session(ACCOUNT, "PowerUserAccess", user="bob@example.com")
IMPOSTOR = ct.role_session(
    ACCOUNT,
    "AWSReservedSSO_PowerUserAccess_0123456789abcdef",
    "carol@example.com",
    role_id="AROAEXAMPLEIMPOSTOR1",
)
IMPOSTOR_AGAIN = ct.role_session(
    ACCOUNT,
    "AWSReservedSSO_PowerUserAccess_0123456789abcdef",
    "dave@example.com",
    role_id="AROAEXAMPLEIMPOSTOR1",
)
IDENTITY_CENTER_USER = {
    "type": "IdentityCenterUser",
    "accountId": ACCOUNT,
    "onBehalfOf": {
        "userId": "94482488-3041-7026-18f3-be45837cd0e4",
        "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-9067642ac7",
    },
}
CALLERS: list[tuple[dict[str, Any], str]] = [
    (ct.iam_user(ACCOUNT, "alice"), "arn:aws:iam::111122223333:user/alice"),
    (ct.root(ACCOUNT), "arn:aws:iam::111122223333:root"),
    (ct.assumed_role(WORKER), "arn:aws:iam::111122223333:role/worker"),
    (ct.assumed_role(WORKER_AGAIN), "arn:aws:iam::111122223333:role/worker"),
    # Role chaining: the worker's session assumed deployer; the issuer is the last role.
    (ct.assumed_role(CHAINED), "arn:aws:iam::111122223333:role/deployer"),
    # Identity Center names the session after the person: each person is a principal.
    (ct.assumed_role(ALICE_SSO), ALICE_SSO.arn),
    (ct.assumed_role(BOB_SSO), BOB_SSO.arn),
    # A role merely named like a permission set's (its path is not the reserved one) is a role.
    (
        ct.assumed_role(IMPOSTOR),
        "arn:aws:iam::111122223333:role/AWSReservedSSO_PowerUserAccess_0123456789abcdef",
    ),
    (
        ct.assumed_role(IMPOSTOR_AGAIN),
        "arn:aws:iam::111122223333:role/AWSReservedSSO_PowerUserAccess_0123456789abcdef",
    ),
    # GetFederationToken's name is the caller's choice: the federated user is its IAM user.
    (
        ct.federated_user(ACCOUNT, "any-name", issuer_name="federator"),
        "arn:aws:iam::111122223333:user/federator",
    ),
    (ct.iam_user(ACCOUNT, "federator", "AIDAEXAMPLEFEDERATOR"), "arn:aws:iam::111122223333:user/federator"),
    (IDENTITY_CENTER_USER, "94482488-3041-7026-18f3-be45837cd0e4"),
    (ct.aws_account(PARTNER, "AROAEXAMPLEPARTNER01:chosen-name"), PARTNER),
]


BASE = {"id": "test-principal", "title": "t", "description": "d", "severity": "low", "index": "cloudtrail"}


def rule(**changes: Any) -> Rule:
    """A threshold rule counting ListBuckets calls per principal (``changes`` override)."""
    definition = {"query": "event.action:ListBuckets", "type": "threshold", "group_by": ["principal"]}
    return parse_rule({**BASE, **definition, "threshold": 1, "window": "10m", **changes})


def listing(identity: dict[str, Any], seconds: int, action: str = "ListBuckets") -> dict[str, Any]:
    return ct.api_call(
        identity,
        event_name=action,
        event_source="s3.amazonaws.com",
        time=T0 + timedelta(seconds=seconds),
        source_ip="203.0.113.124",
    )


def test_each_kind_of_caller_has_its_principal(siem: OpenSearch) -> None:
    calls = [listing(identity, n) for n, (identity, _) in enumerate(CALLERS)]
    calls.append(
        ct.api_call(ct.aws_service(), event_name="ListBuckets", event_source="s3.amazonaws.com", time=T0)
    )
    index_raw(siem, "cloudtrail", trail(calls), T0 + minutes(1))

    found = find_matches(siem, rule(), "siem-cloudtrail", Window(T0, T0 + minutes(3))).matches

    principals = sorted(dict(match.key)["principal"] for match in found)
    # One group per principal: two sessions of worker are one, the federated user and its IAM
    # user are one; an AWS service acting on its own has none (as it had no caller ARN).
    assert principals == sorted({principal for _, principal in CALLERS})
    assert len(principals) == len(CALLERS) - 3


def test_a_walk_over_fresh_sessions_adds_up_and_reads_back_every_event(siem: OpenSearch) -> None:
    sessions = [
        ct.role_session(
            ACCOUNT,
            "worker",
            f"s-{n}",
            access_key_id=f"ASIAEXAMPLEWALK{n:05d}",
            role_id="AROAEXAMPLEWORKER001",
        )
        for n in range(5)
    ]
    actions = ["ListBuckets", "ListUsers", "ListRoles", "ListKeys", "ListTables"] * 2
    calls = [listing(ct.assumed_role(sessions[n // 2]), n * 5, action) for n, action in enumerate(actions)]
    index_raw(siem, "cloudtrail", trail(calls), T0 + minutes(1))
    walk = rule(query="_exists_:event.action", distinct="event.action", threshold=5)

    (match,) = find_matches(siem, walk, "siem-cloudtrail", Window(T0, T0 + minutes(3))).matches

    assert dict(match.key) == {"principal": "arn:aws:iam::111122223333:role/worker"}
    assert match.count == 5
    assert len(match.event_ids) == 5  # the first window reaching 5: the first five calls, all sessions


def test_a_principal_new_terms_rule_learns_across_sessions_and_pages(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history is filled a bucket (a session) a page, a page a run: the federator's own
    call 3 days ago and its federated session's 14.5 days ago, in pages of different runs, are
    one principal's term: merged (last seen 3 days ago), not overwritten by the older sighting
    (which would make today's call new)."""
    monkeypatch.setattr(new_terms, "FILL_PAGE", 1)
    monkeypatch.setattr(new_terms, "FILL_PAGES", 1)
    federator = ct.iam_user(ACCOUNT, "federator", "AIDAEXAMPLEFEDERATOR")
    federated = ct.federated_user(ACCOUNT, "any-name", issuer_name="federator")
    history = [
        listing(federator, -3 * 86400),
        listing(federated, -int(14.5 * 86400)),
        listing(ct.assumed_role(WORKER), -3 * 86400),
    ]
    index_raw(siem, "cloudtrail", trail(history), T0 - timedelta(days=2))
    later = T0 + minutes(30)
    now = [
        listing(federator, 30 * 60),  # known: its own call 3 days ago
        listing(ct.assumed_role(WORKER_AGAIN), 30 * 60),  # known: another session of worker
        listing(ct.assumed_role(ALICE_SSO), 30 * 60),  # new: alice never listed
    ]
    index_raw(siem, "cloudtrail", trail(now), later + minutes(1))
    terms = parse_rule(
        {
            **BASE,
            "query": "event.action:ListBuckets",
            "type": "new_terms",
            "group_by": ["principal"],
            "new_terms": ["event.action"],
            "history": "14d",
        }
    )
    store = MemoryCheckpoints()
    settings = RunSettings(first_lookback=minutes(30))

    reports = [run(siem, siem, [terms], T0 + minutes(5 * k), store, None, settings) for k in range(1, 12)]

    assert any(report.outcomes[0].filling for report in reports[:3])  # several runs of fill
    alerts = [alert["alert"]["group_by"] for report in reports for alert in report.alerts]
    assert alerts == [{"principal": ALICE_SSO.arn, "event.action": "ListBuckets"}]


def test_a_field_reads_as_before_and_the_principal_reads_each_of_its_fields() -> None:
    assert sources("cloudtrail", ["cloud.account.id"]) == [
        {"cloud.account.id": {"terms": {"field": "cloud.account.id"}}}
    ]
    read = [next(iter(source)) for source in sources("cloudtrail", ["principal"])]
    assert read == [
        "principal@aws.cloudtrail.user_identity.arn",
        "principal@aws.cloudtrail.user_identity.session_context.session_issuer.arn",
        "principal@aws.cloudtrail.user_identity.on_behalf_of.user_id",
        "principal@aws.cloudtrail.user_identity.account_id",
        "principal@aws.cloudtrail.user_identity.type",
    ]
    # A bucket no alternative applies to has no principal (an AWS service acting on its own).
    assert resolve("cloudtrail", "principal", {"aws.cloudtrail.user_identity.type": "AWSService"}) is None


def test_findings_name_their_principal_as_cloudtrail_does() -> None:
    """The same alternatives under each source's actor prefix (GuardDuty and Security Hub
    build their actor with the same function as CloudTrail's), then the names a finding gives
    where it has no ARN."""

    def shape(source: str) -> list[tuple[str, str]]:
        prefix = actor_prefix(source)
        assert prefix is not None
        return [
            (option.field.replace(prefix, "<actor>"), str(option.when).replace(prefix, "<actor>"))
            for option in alternatives(source, "principal")
        ]

    names = shape("guardduty")[-2:]
    assert [field for field, _ in names] == ["user.roles", "user.name"]
    assert shape("guardduty") == shape("securityhub") == [*shape("cloudtrail"), *names]
    assert "aws.guardduty.user_identity.session_context.session_issuer.arn" in painless(
        "guardduty", "principal"
    )


def test_a_guardduty_finding_names_its_role_or_user(siem: OpenSearch) -> None:
    """GuardDuty's accessKeyDetails give a role's name (and the session in the principal id),
    a user's name, or root (its account): two sessions of one role are one principal."""
    actors = [
        ("ASIAEXAMPLEGDKEY0001", "AROAEXAMPLEWORKER001:session-a", "worker", "AssumedRole"),
        ("ASIAEXAMPLEGDKEY0002", "AROAEXAMPLEWORKER001:session-b", "worker", "AssumedRole"),
        ("AKIAEXAMPLEGDKEY0003", "AIDAEXAMPLEALICE0001", "alice", "IAMUser"),
        ("ASIAEXAMPLEGDKEY0004", ACCOUNT, "root", "Root"),
    ]
    findings = [
        gd.finding(gd.FindingSpec(id=f"{n:032x}", created=T0, resource=gd.access_key_resource(*actor)))
        for n, actor in enumerate(actors)
    ]
    index_raw(siem, "guardduty", gd.export_lines(findings), T0 + minutes(1))
    by_actor = rule(
        index="guardduty",
        query="_exists_:event.id",
        group_by=["aws.guardduty.user_identity.account_id", "principal"],
    )

    found = find_matches(siem, by_actor, "siem-guardduty", Window(T0, T0 + minutes(3))).matches

    assert sorted(dict(match.key)["principal"] for match in found) == [ACCOUNT, "alice", "worker"]
    # All four in the same second: each alert holds its principal's findings only (root's is not
    # every finding whose actor's account is the account).
    events = {dict(match.key)["principal"]: len(match.event_ids) for match in found}
    assert events == {ACCOUNT: 1, "alice": 1, "worker": 2}


def test_a_source_without_an_actor_refuses_the_grouping() -> None:
    with pytest.raises(ValueError, match="principal"):
        rule(index="vpcflow", query="*")


def test_a_monitor_computes_the_principal_in_painless() -> None:
    (source,) = monitor(rule(), prefix="siem-")["inputs"][0]["search"]["query"]["aggregations"][
        "composite_agg"
    ]["composite"]["sources"]
    script = source["principal"]["terms"]["script"]
    assert script["lang"] == "painless"
    assert script["source"] == painless("cloudtrail", "principal")
    assert "v.contains(':role/aws-reserved/sso.amazonaws.com/')" in script["source"]
