"""Whether a policy names another account (``names_outside_account``): the reading of API
Gateway's resource policies, where ``*`` narrowed by a VPC endpoint is every private API's
(docs/detections.md, "API Gateway resource policies")."""

from __future__ import annotations

import json

import pytest

from detections.principals import NO_ORGANIZATION, Organization, grants_outside, names_another_account
from detections.rules import Comparison

OWN = "111122223333"
ORGANIZATION = Organization(accounts=frozenset({OWN, "444455556666"}), id="o-a1b2c3d4e5")


def policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def invoke(principal: object, effect: str = "Allow", **extra: object) -> dict[str, object]:
    return {
        "Effect": effect,
        "Principal": principal,
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        **extra,
    }


PRIVATE_API = policy(
    invoke("*", "Deny", Condition={"StringNotEquals": {"aws:SourceVpce": ["vpce-0a1b2c3d4e5f60718"]}}),
    invoke("*"),
)
"""AWS's private API policy: everyone, denied unless through the listed endpoints (which may
be another account's: the documented cross-account private API)."""


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (policy(invoke({"AWS": "arn:aws:iam::999988887777:root"})), True),
        (policy(invoke({"AWS": ["arn:aws:iam::111122223333:role/app", "999988887777"]})), True),
        (policy(invoke({"AWS": "arn:aws:iam::999988887777:role/partner"})), True),
        (policy(invoke("*", Condition={"StringEquals": {"aws:PrincipalAccount": "999988887777"}})), True),
        (
            policy(
                invoke(
                    "*", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:lambda:us-east-1:999988887777:*"}}
                )
            ),
            True,
        ),
        ({"Version": "2012-10-17", "Statement": invoke({"AWS": "999988887777"})}, True),
        (PRIVATE_API, False),
        (policy(invoke("*", Condition={"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d4e5f60718"}})), False),
        (policy(invoke("*", Condition={"IpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}})), False),
        (policy(invoke("*")), False),
        (policy({"Effect": "Allow", "NotPrincipal": {"AWS": OWN}, "Action": "execute-api:Invoke"}), False),
        (policy(invoke({"AWS": "arn:aws:iam::111122223333:role/app"})), False),
        (policy(invoke({"AWS": "999988887777"}, "Deny")), False),
        (policy(invoke("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})), False),
        (policy(invoke({"Service": "lambda.amazonaws.com"})), False),
        ("999988887777", False),
        ("arn:aws:iam::999988887777:root", False),
        ("{not json", False),
    ],
    ids=[
        "root-of-another",
        "one-of-a-list",
        "role-of-another",
        "star-pinned-to-another-account",
        "source-of-another",
        "one-statement-object",
        "private-api",
        "source-vpc",
        "address-allow-list",
        "star-alone",
        "not-principal",
        "own-role",
        "deny",
        "own-organization",
        "service",
        "plain-id-is-no-policy",
        "plain-arn-is-no-policy",
        "malformed",
    ],
)
def test_a_policy_names_another_account(value: object, named: bool) -> None:
    assert names_another_account([value], OWN) is named


def test_the_private_api_policy_is_a_grant_to_everyone_for_the_other_comparison() -> None:
    # Why API Gateway is read by names_outside_account: outside_account reads it as everyone.
    assert grants_outside([PRIVATE_API], OWN)
    assert not names_another_account([PRIVATE_API], OWN)


def test_fellow_accounts_and_the_organization_are_inside_with_the_directory() -> None:
    fellow = policy(invoke({"AWS": "arn:aws:iam::444455556666:role/checkout"}))
    other_organization = policy(invoke("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-zzzz9999"}}))
    assert names_another_account([fellow], OWN, NO_ORGANIZATION)
    assert not names_another_account([fellow], OWN, ORGANIZATION)
    assert names_another_account([other_organization], OWN, ORGANIZATION)


def test_no_account_to_compare_with_names_nothing() -> None:
    assert not names_another_account([policy(invoke({"AWS": "999988887777"}))], None)
    assert not names_another_account([policy(invoke({"AWS": "999988887777"}))], "not-an-account")


def test_the_comparison_reads_a_patch_operation_value() -> None:
    document = {
        "cloud": {"account": {"id": OWN}},
        "aws": {
            "cloudtrail": {
                "request_parameters": {
                    "patchOperations": [
                        {"op": "replace", "path": "/name", "value": "999988887777"},
                        {
                            "op": "replace",
                            "path": "/policy",
                            "value": policy(invoke({"AWS": "999988887777"})),
                        },
                    ]
                }
            }
        },
    }
    field = "aws.cloudtrail.request_parameters.patchOperations.value"
    assert Comparison(field, "names_outside_account", "cloud.account.id").holds(document)
    document["aws"]["cloudtrail"]["request_parameters"]["patchOperations"].pop()  # type: ignore[index]
    assert not Comparison(field, "names_outside_account", "cloud.account.id").holds(document)
