"""Where a credential was minted (docs/schema.md, "Credentials"): searching a key finds the call
that issued it beside the calls that used it, and the chain step finds issuers that way."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from demo.records import cloudtrail as ct
from investigation import investigate
from tests.investigation import scenarios
from tests.investigation.conftest import Siem
from tests.investigation.scenarios import PROD, SHARED, WORKLOADS, t

pytestmark = pytest.mark.integration


def _hits(siem: Siem, query: dict[str, Any]) -> list[dict[str, Any]]:
    response = siem.client.search(index="siem-cloudtrail", body={"size": 100, "query": query})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_a_key_finds_the_call_that_minted_it_and_the_calls_that_used_it(siem: Siem) -> None:
    scenario = scenarios.cross_account_chain()
    siem.cloudtrail(scenario.cloudtrail)
    key_b = scenario.chain[0]["access_key_id"]
    found = _hits(siem, {"term": {"related.user": key_b}})
    minted = [doc for doc in found if doc["event"]["action"] == "AssumeRole"]
    used = [doc for doc in found if doc["aws"]["cloudtrail"]["user_identity"].get("access_key_id") == key_b]
    # The AssumeRole is logged by the caller's account (SHARED) and the role's (PROD).
    assert sorted(doc["cloud"]["account"]["id"] for doc in minted) == [SHARED, PROD]
    assert all(doc["user"]["target"] == {"name": "alice-b"} for doc in minted)
    assert {doc["event"]["action"] for doc in used} >= {"CreateUser", "StopLogging", "GetObject"}
    assert len(found) == len(minted) + len(used)
    session_arn = scenario.chain[0]["arn"]
    assert {doc["event"]["id"] for doc in minted} <= {
        doc["event"]["id"] for doc in _hits(siem, {"term": {"related.user": session_arn}})
    }


def test_a_long_term_key_finds_its_create_access_key(siem: Siem) -> None:
    admin = ct.iam_user(WORKLOADS, "admin", "AIDAADMIN000000001", "AKIAADMIN0000000001")
    backdoor_key = "AKIABACKDOOR00000001"
    backdoor = ct.iam_user(WORKLOADS, "svc-backup", "AIDABACKDOOR000001", backdoor_key)
    created = ct.api_call(
        admin,
        event_name="CreateAccessKey",
        event_source="iam.amazonaws.com",
        time=t(0),
        read_only=False,
        request={"userName": "svc-backup"},
        response={
            "accessKey": {
                "accessKeyId": backdoor_key,
                "status": "Active",
                "userName": "svc-backup",
                "createDate": "Mar 2, 2026 9:00:00 AM",
            }
        },
    )
    used = ct.api_call(backdoor, event_name="ListBuckets", event_source="s3.amazonaws.com", time=t(5))
    siem.cloudtrail([created, used])
    found = _hits(siem, {"term": {"related.user": backdoor_key}})
    assert sorted(doc["event"]["action"] for doc in found) == ["CreateAccessKey", "ListBuckets"]
    creation = next(doc for doc in found if doc["event"]["action"] == "CreateAccessKey")
    assert creation["user"]["name"] == "admin" and creation["user"]["target"] == {"name": "svc-backup"}


def test_the_chain_step_looks_keys_up_in_related_user(siem: Siem) -> None:
    scenario = scenarios.cross_account_chain()
    siem.cloudtrail(scenario.cloudtrail)
    siem.guardduty(scenario.guardduty)
    siem.recorder.requests.clear()
    report = investigate(siem.client, scenario.finding_id)
    bodies = [
        request.body if isinstance(request.body, dict) else orjson.loads(request.body)
        for request in siem.recorder.searches()
        if "siem-cloudtrail" in request.url
    ]
    # The chain step's lookups: the issuing actions, keys not used by the calls themselves, no
    # aggregation (the timeline's and the neighbours' searches name the issuing actions too).
    lookups = [
        body
        for body in bodies
        if "AssumeRole" in orjson.dumps(body).decode()
        and "must_not" in orjson.dumps(body["query"]).decode()
        and "aggs" not in body
    ]
    assert len(lookups) == 2, "one lookup per hop: RoleB's key, then RoleA's"
    for body in lookups:
        query = orjson.dumps(body["query"]).decode()
        assert "related.user" in query and "response_elements" not in query
    assert [link.access_key_id for link in report.who.chain] == [
        link["access_key_id"] for link in scenario.chain
    ]


def test_calls_made_with_a_key_are_not_its_issuer(siem: Siem) -> None:
    """A role session that assumes further roles names its own key in every one of those
    AssumeRole calls: only the call that issued the key, made with another, is its issuer."""
    alice_key, key = "AKIAALICE00000000001", "ASIAHOPPER0000000001"
    alice = ct.iam_user(WORKLOADS, "alice", "AIDAALICE000000001", alice_key)
    issued = ct.role_session(
        WORKLOADS, "Hopper", "alice-hop", key, "AROAHOPPER00000001", created=scenarios.T0
    )
    hopper = ct.assumed_role(issued)
    records = [ct.assume_role(alice, issued, recorded_by=WORKLOADS, time=t(0), source_ip="192.0.2.5")]
    for n in range(6):
        onward = ct.role_session(
            WORKLOADS,
            f"Target{n}",
            f"hop-{n}",
            f"ASIATARGET{n:010d}",
            f"AROATARGET{n:08d}",
            created=scenarios.T0,
        )
        records.append(
            ct.assume_role(hopper, onward, recorded_by=WORKLOADS, time=t(1 + n), source_ip="192.0.2.5")
        )
    siem.cloudtrail(records)
    finding = scenarios._finding(
        "41" * 16,
        "Discovery:IAMUser/AnomalousBehavior",
        WORKLOADS,
        2,
        6,
        resource=scenarios.gd.access_key_resource(
            key, "AROAHOPPER00000001:alice-hop", "Hopper", "AssumedRole"
        ),
        action=scenarios.gd.api_call_action("AssumeRole", "sts.amazonaws.com", "192.0.2.5"),
    )
    siem.guardduty([finding])
    report = investigate(siem.client, finding["id"])
    assert [(link.type, link.access_key_id) for link in report.who.chain] == [
        ("AssumedRole", key),
        ("IAMUser", alice_key),
    ]
    assert report.who.complete
