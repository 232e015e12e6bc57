"""Who an OpenSearch Serverless data access policy lets in (AOSS developer guide: data access
control; the policy is a JSON list of rules, each with ``Rules`` and ``Principal``)."""

from __future__ import annotations

import json

import pytest

from detections.aoss_policies import data_access_principals
from detections.principals import MAX_POLICY_TEXT, Organization, grants_outside

OWN = "111122223333"
OTHER = "999988887777"
FELLOW = "444455556666"


def data_policy(*principals: object) -> str:
    """A data access policy as the console writes it: read access to the evidence's indexes."""
    return json.dumps(
        [
            {
                "Rules": [
                    {
                        "ResourceType": "index",
                        "Resource": ["index/siem-evidence/*"],
                        "Permission": ["aoss:ReadDocument"],
                    },
                    {
                        "ResourceType": "collection",
                        "Resource": ["collection/siem-evidence"],
                        "Permission": ["aoss:*"],
                    },
                ],
                "Principal": list(principals),
                "Description": "readers",
            }
        ]
    )


@pytest.mark.parametrize(
    "principals, outside",
    [
        ([f"arn:aws:iam::{OWN}:role/siem-ingest", f"arn:aws:iam::{OWN}:user/alice"], False),
        ([f"arn:aws:iam::{OWN}:role/siem-ingest", f"arn:aws:iam::{OTHER}:role/reader"], True),
        ([f"arn:aws:iam::{OTHER}:root"], True),
        ([f"arn:aws:sts::{OTHER}:assumed-role/reader/session"], True),
        (["*"], True),
        ([f"saml/{OWN}/corp-idp/group/responders", f"saml/{OWN}/corp-idp/user/alice@example.com"], False),
        ([f"saml/{OTHER}/partner-idp/group/analysts"], True),
        (["iamidentitycenter/ssoins-1234567890abcdef/group/responders"], False),
        ([f"  arn:aws:iam::{OTHER}:role/reader  "], True),
        ([123, None, {"AWS": f"arn:aws:iam::{OTHER}:root"}], False),
    ],
)
def test_a_data_access_policy_lets_in_the_accounts_its_principals_name(
    principals: list[object], outside: bool
) -> None:
    assert grants_outside([data_policy(*principals)], OWN) is outside


def test_every_rule_of_the_list_is_read_and_a_single_principal_too() -> None:
    policy = json.dumps(
        [
            {"Rules": [], "Principal": [f"arn:aws:iam::{OWN}:role/siem-ingest"]},
            {"Rules": [], "Principal": f"arn:aws:iam::{OTHER}:role/reader"},
        ]
    )
    assert data_access_principals(policy) == [
        f"arn:aws:iam::{OWN}:role/siem-ingest",
        f"arn:aws:iam::{OTHER}:role/reader",
    ]
    assert grants_outside([policy], OWN)


def test_the_organization_s_accounts_are_inside_with_the_directory() -> None:
    policy = data_policy(f"arn:aws:iam::{FELLOW}:role/security-audit", f"saml/{FELLOW}/corp-idp/group/soc")
    assert grants_outside([policy], OWN)
    assert not grants_outside([policy], OWN, Organization(frozenset({OWN, FELLOW}), "o-a1b2c3d4e5"))
    assert grants_outside([data_policy("*")], OWN, Organization(frozenset({OWN, FELLOW}), "o-a1b2c3d4e5"))


def test_a_policy_text_that_is_no_list_of_rules_lets_nobody_in() -> None:
    """Malformed, not a list of rules, nested past the parser's limit or longer than any policy:
    no principal, and never an exception (AOSS rejects such a policy)."""
    reader = f"arn:aws:iam::{OTHER}:role/reader"
    broken = data_policy(reader)[:-2]
    assert data_access_principals(broken) == []
    assert data_access_principals(json.dumps([reader, {"Principal": 5}])) == []
    assert data_access_principals(json.dumps({"Principal": [reader]})) == []
    deep = "[" * 30_000 + "]" * 30_000
    with pytest.raises(RecursionError):
        json.loads(deep)
    assert data_access_principals(deep) == []
    assert not grants_outside([deep, broken], OWN)
    padded = data_policy(reader)[:-1] + ", " + json.dumps({"Description": "x" * MAX_POLICY_TEXT}) + "]"
    assert data_access_principals(padded) == [reader]
    assert not grants_outside([padded], OWN)
