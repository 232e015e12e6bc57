"""Chain resolution on plain CloudTrail documents (no engine): batching, origins, dead ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from investigation.chain import Link, link_from_identity, resolve


def sts_event(
    action: str, issued_key: str, caller: dict[str, Any], account: str, session_arn: str | None = None
) -> dict[str, Any]:
    """A normalized STS call (only the fields the chain reads), as the activity search returns it."""
    response: dict[str, Any] = {"credentials": {"accessKeyId": issued_key}}
    if session_arn:
        response["assumedRoleUser"] = {
            "arn": session_arn,
            "assumedRoleId": f"AROAX:{session_arn.rsplit('/', 1)[-1]}",
        }
    return {
        "@timestamp": "2026-03-02T09:00:00Z",
        "event": {"action": action, "id": f"id-{issued_key}"},
        "cloud": {"account": {"id": account}},
        "aws": {"cloudtrail": {"user_identity": caller, "response_elements": response}},
    }


def session(account: str, role: str, name: str, key: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{name}",
        "account_id": account,
        "access_key_id": key,
        "principal_id": f"AROAX:{name}",
    }


class Lookups:
    """Answers lookups from a fixed set of events, and records each batch asked for."""

    def __init__(self, *events: dict[str, Any]) -> None:
        self.events = {
            e["aws"]["cloudtrail"]["response_elements"]["credentials"]["accessKeyId"]: e for e in events
        }
        self.batches: list[list[str]] = []

    def __call__(self, keys: list[str]) -> Mapping[str, dict[str, Any]]:
        self.batches.append(keys)
        return {key: self.events[key] for key in keys if key in self.events}


def start(identity: dict[str, Any]) -> Link:
    return link_from_identity(identity)


def test_sso_saml_web_identity_and_root_are_origins_without_lookup() -> None:
    lookups = Lookups()
    chains = resolve(
        {
            kind: start({"type": kind, "user_name": "x", "access_key_id": "ASIAFROMFEDERATION"})
            for kind in ("SAMLUser", "WebIdentityUser", "Root", "AWSService")
        },
        lookups,
    )
    assert all(chain.origin is not None for chain in chains.values())
    assert lookups.batches == []


def test_every_chain_at_one_depth_shares_one_lookup() -> None:
    user = {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u", "account_id": "1", "access_key_id": "AKIAU"}
    idp = {
        "type": "SAMLUser",
        "user_name": "ana@example.com",
        "identity_provider": "arn:aws:iam::1:saml-provider/Okta",
    }
    lookups = Lookups(
        sts_event("AssumeRole", "ASIAA", user, "2", "arn:aws:sts::2:assumed-role/A/s1"),
        sts_event("AssumeRoleWithSAML", "ASIAB", idp, "3", "arn:aws:sts::3:assumed-role/B/ana"),
        sts_event(
            "AssumeRole", "ASIAC", session("2", "A", "s1", "ASIAA"), "4", "arn:aws:sts::4:assumed-role/C/s2"
        ),
    )
    chains = resolve(
        {"c": start(session("4", "C", "s2", "ASIAC")), "b": start(session("3", "B", "ana", "ASIAB"))}, lookups
    )
    assert lookups.batches == [["ASIAB", "ASIAC"], ["ASIAA"]]
    assert [link.label for link in chains["c"].links] == [
        "arn:aws:sts::4:assumed-role/C/s2",
        "arn:aws:sts::2:assumed-role/A/s1",
        "arn:aws:iam::1:user/u",
    ]
    assert [link.type for link in chains["b"].links] == ["AssumedRole", "SAMLUser"]
    assert chains["b"].links[-1].label == "ana@example.com via arn:aws:iam::1:saml-provider/Okta"
    assert chains["b"].links[0].issued_by is not None
    assert chains["b"].links[0].issued_by.action == "AssumeRoleWithSAML"


def test_get_session_token_and_federation_token_lead_to_the_user() -> None:
    user = {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u", "account_id": "1", "access_key_id": "AKIAU"}
    federated = {"type": "FederatedUser", "arn": "arn:aws:sts::1:federated-user/f", "access_key_id": "ASIAF"}
    event = sts_event("GetFederationToken", "ASIAF", user, "1")
    event["aws"]["cloudtrail"]["response_elements"]["federatedUser"] = {
        "arn": "arn:aws:sts::1:federated-user/f"
    }
    chains = resolve({"f": start(federated)}, Lookups(event))
    assert [link.type for link in chains["f"].links] == ["FederatedUser", "IAMUser"]
    assert chains["f"].origin is not None and chains["f"].origin.access_key_id == "AKIAU"


def test_a_missing_issuing_event_stops_the_chain_and_says_why() -> None:
    chains = resolve({"x": start(session("2", "A", "s", "ASIAGONE"))}, Lookups())
    chain = chains["x"]
    assert chain.origin is None and len(chain.links) == 1
    assert chain.stopped is not None and "ASIAGONE" in chain.stopped


def test_the_depth_is_bounded() -> None:
    events = [
        sts_event(
            "AssumeRole",
            f"ASIA{n}",
            session("1", "R", f"s{n + 1}", f"ASIA{n + 1}"),
            "1",
            f"arn:aws:sts::1:assumed-role/R/s{n}",
        )
        for n in range(10)
    ]
    lookups = Lookups(*events)
    chains = resolve({"x": start(session("1", "R", "s0", "ASIA0"))}, lookups, max_depth=3)
    assert len(lookups.batches) == 3
    assert len(chains["x"].links) == 4
    assert chains["x"].stopped is not None and "longer than 3" in chains["x"].stopped


def test_a_loop_in_the_data_ends_the_walk() -> None:
    lookups = Lookups(
        sts_event("AssumeRole", "ASIA1", session("1", "R", "s2", "ASIA2"), "1"),
        sts_event("AssumeRole", "ASIA2", session("1", "R", "s1", "ASIA1"), "1"),
    )
    chains = resolve({"x": start(session("1", "R", "s1", "ASIA1"))}, lookups)
    assert chains["x"].stopped is not None and "loop" in chains["x"].stopped
    assert lookups.batches == [["ASIA1"], ["ASIA2"]]


@pytest.mark.parametrize(
    ("identity", "label"),
    [
        ({"type": "AWSService", "invoked_by": "lambda.amazonaws.com"}, "AWS service lambda.amazonaws.com"),
        ({"type": "Root", "arn": "arn:aws:iam::1:root", "account_id": "1"}, "arn:aws:iam::1:root"),
        ({"type": "IAMUser", "principal_id": "AIDAX", "user_name": "HIDDEN"}, "HIDDEN"),
    ],
)
def test_labels(identity: dict[str, Any], label: str) -> None:
    assert start(identity).label == label
