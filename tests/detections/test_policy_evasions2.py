"""Policy spellings a service may accept that the first red-team pass left unverified: account
ids as JSON numbers, URL-encoded documents, repeated keys, principals other than ``AWS``
(``CanonicalUser``, ``Federated``, ``Service`` with another account's source), and the IAM
writes on every resource that are not administrator themselves (IAM JSON policy reference:
Principal, Condition, NotResource; botocore's IAM model: ``GetRolePolicy`` returns policies
URL-encoded per RFC 3986; RFC 8259, 4: repeated names)."""

from __future__ import annotations

import json
import random
import urllib.parse
from typing import Any

import pytest

from detections import principals
from detections.principals import (
    MAX_POLICY_TEXT,
    Organization,
    grants_escalation,
    grants_every_action,
    grants_outside,
    json_object,
)

OWN = "111122223333"
OTHER = "444455556666"


def resource_policy(principal: object, **extra: object) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", **extra}],
    }


def escalating(**statement: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


@pytest.mark.parametrize(
    "principal, condition, account, outside",
    [
        # JSON numbers: an account id written without quotes is read as that account.
        ({"AWS": int(OTHER)}, None, OWN, True),
        ({"AWS": [f"arn:aws:iam::{OWN}:root", int(OTHER)]}, None, OWN, True),
        ({"AWS": int(OWN)}, None, OWN, False),
        # JSON has no leading zeros: 012345678901 can only be written 12345678901.
        ({"AWS": 12345678901}, None, "012345678901", False),
        ({"AWS": 12345678901}, None, OWN, True),
        # A number pinning "*" to our account pins it; to another account it does not.
        ("*", {"StringEquals": {"aws:PrincipalAccount": int(OWN)}}, OWN, False),
        ("*", {"StringEquals": {"aws:SourceAccount": [12345678901]}}, "012345678901", False),
        ("*", {"StringEquals": {"aws:PrincipalAccount": int(OTHER)}}, OWN, True),
        # Booleans and fractions are no account ids.
        ({"AWS": True}, None, OWN, False),
        ({"AWS": 4.5}, None, OWN, False),
    ],
)
def test_account_ids_written_as_json_numbers(
    principal: object, condition: object, account: str, outside: bool
) -> None:
    extra = {"Condition": condition} if condition else {}
    policy = resource_policy(principal, **extra)
    assert grants_outside([policy], account) is outside
    assert grants_outside([json.dumps(policy)], account) is outside


@pytest.mark.parametrize("quote", [urllib.parse.quote, urllib.parse.quote_plus])
def test_url_encoded_policy_text_is_read_decoded(quote: object) -> None:
    """The text IAM's Get* APIs return, pasted into a write: read as the service reads it."""
    assert callable(quote)
    public = json.dumps(resource_policy("*"), indent=2)
    escalation = json.dumps(escalating(Action="iam:PutRolePolicy", Resource="*"), indent=2)
    administrator = json.dumps(escalating(Action="*", Resource="*"), indent=2)
    assert quote(public).startswith("%7B")
    assert grants_outside([quote(public)], OWN)
    assert grants_escalation([quote(escalation)])
    assert grants_every_action([quote(administrator)])
    assert json_object(quote(public)) == json.loads(public)
    # Our own account's grant, encoded, is still ours; text that only looks encoded is no policy.
    assert not grants_outside([quote(json.dumps(resource_policy({"AWS": OWN})))], OWN)
    assert not grants_outside(["%7Bnot json"], OWN)


def test_url_encoded_text_is_bounded_as_it_is_sent() -> None:
    """The bound counts the text as sent (encoded): a service's limit counts its parameter."""
    encoded = urllib.parse.quote(json.dumps(escalating(Action="iam:PutRolePolicy", Resource="*")))
    padded = encoded[:3] + "%20" * ((MAX_POLICY_TEXT - len(encoded)) // 3) + encoded[3:]
    assert len(padded) <= MAX_POLICY_TEXT
    assert grants_escalation([padded])
    assert not grants_escalation([encoded[:3] + "%20" * (MAX_POLICY_TEXT // 3) + encoded[3:]])


@pytest.mark.parametrize(
    "text",
    [
        # An attacker who knows the reader keeps the last member puts Allow first.
        '{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "iam:PutRolePolicy", "Resource": "*"}]}',
        # ...and the opposite, for a reader that keeps the first.
        '{"Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"}]}',
        # Two Statement members: the granting one first, a harmless one last.
        '{"Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"}],'
        ' "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}',
        # A resource repeated: every role first, one role last.
        '{"Statement": {"Effect": "Allow", "Action": "iam:PutRolePolicy",'
        ' "Resource": "*", "Resource": "arn:aws:iam::111122223333:role/app"}}',
    ],
)
def test_repeated_keys_grant_what_either_reading_grants(text: str) -> None:
    assert grants_escalation([text])
    public = text.replace('"Action"', '"Principal": "*", "Action"')
    assert grants_outside([public], OWN)


def test_repeated_keys_that_grant_nothing_either_way() -> None:
    text = '{"Statement": [{"Effect": "Deny", "Effect": "Deny", "Action": "iam:PutRolePolicy", "Resource": "*"}]}'
    assert not grants_escalation([text])
    assert not grants_outside([text.replace('"Action"', '"Principal": "*", "Action"')], OWN)


def test_repeated_keys_are_read_in_bounded_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """7,000 repeated members: two parses of the text, not one per repeat."""
    members = ", ".join(['"Effect": "Deny"'] * 7_000 + ['"Effect": "Allow"'])
    text = '{"Statement": [{' + members + ', "Principal": "*", "Action": "s3:*"}]}'
    assert len(text) < MAX_POLICY_TEXT
    parses = []
    loads = json.loads

    def counted(*args: Any, **kwargs: Any) -> Any:
        parses.append(1)
        return loads(*args, **kwargs)

    monkeypatch.setattr(principals.json, "loads", counted)
    assert grants_outside([text], OWN)
    assert len(parses) == 2


ORGANIZATION = Organization(accounts=frozenset({"555566667777"}), id="o-a1b2c3d4e5")


@pytest.mark.parametrize(
    "principal, condition, outside",
    [
        # S3's canonical user ids: an account (or an origin access identity) no record ties to ours.
        ({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, None, True),
        ({"CanonicalUser": ["", None]}, None, False),
        # Federated: another account's provider; a public provider with no audience.
        ({"Federated": f"arn:aws:iam::{OTHER}:saml-provider/okta"}, None, True),
        # Our own GitHub provider without a subject: any repository's workflow
        # (tests/detections/test_oidc_trust.py); held to our organization's repositories: inside.
        ({"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"}, None, True),
        ({"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"}, {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-org/*"}}, False),
        ({"Federated": "accounts.google.com"}, None, True),
        ({"Federated": "cognito-identity.amazonaws.com"}, {"StringLike": {"cognito-identity.amazonaws.com:aud": "*"}}, True),
        ({"Federated": "graph.facebook.com"}, {"StringNotEquals": {"graph.facebook.com:app_id": "1234"}}, True),
        # amr tells authenticated identities of any identity pool from unauthenticated ones.
        ({"Federated": "cognito-identity.amazonaws.com"}, {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}, True),
        ({"Federated": "accounts.google.com"}, {"StringEquals": {"accounts.google.com:aud": "1234.apps.googleusercontent.com"}}, False),
        ({"Federated": "cognito-identity.amazonaws.com"}, {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:12345678-1234-1234-1234-123456789012"}}, False),
        # Service: another account's resource named as the source lets that account in.
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OTHER}}, True),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": int(OTHER)}}, True),
        ({"Service": ["s3.amazonaws.com"]}, {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:us-east-1:{OTHER}:accesspoint/x"}}, True),
        ({"Service": "cloudfront.amazonaws.com"}, {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OTHER}:distribution/E1"}}, True),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceOwner": OTHER}}, True),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceOrgID": "o-zz9y8x7w6v"}}, True),
        # Look-alikes: our own, our organization's, a negated condition, no condition.
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OWN}}, False),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": "555566667777"}}, False),
        ({"Service": "cloudfront.amazonaws.com"}, {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/E1"}}, False),
        ({"Service": "sns.amazonaws.com"}, {"StringNotEquals": {"aws:SourceAccount": OTHER}}, False),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}, False),
        ({"Service": "logs.amazonaws.com"}, None, False),
        ({"Service": "s3.amazonaws.com"}, {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::any-bucket"}}, False),
    ],
)  # fmt: skip
def test_principals_other_than_aws(principal: object, condition: object, outside: bool) -> None:
    extra = {"Condition": condition} if condition else {}
    policy = resource_policy(principal, **extra)
    assert grants_outside([policy], OWN, ORGANIZATION) is outside
    assert grants_outside([json.dumps(policy)], OWN, ORGANIZATION) is outside


@pytest.mark.parametrize(
    "request_parameters, outside",
    [
        # Lambda AddPermission: a service principal for another account's topic or bucket.
        ({"functionName": "f", "principal": "sns.amazonaws.com", "sourceArn": f"arn:aws:sns:us-east-1:{OTHER}:t"}, True),
        ({"functionName": "f", "principal": "s3.amazonaws.com", "sourceAccount": OTHER}, True),
        ({"functionName": "f", "principal": "s3.amazonaws.com", "sourceAccount": OWN, "sourceArn": "arn:aws:s3:::b"}, False),
        ({"functionName": "f", "principal": "events.amazonaws.com", "sourceArn": f"arn:aws:events:us-east-1:{OWN}:rule/r"}, False),
    ],
)  # fmt: skip
def test_permission_requests_for_a_service_of_another_account(
    request_parameters: dict[str, object], outside: bool
) -> None:
    assert grants_outside([request_parameters], OWN) is outside


@pytest.mark.parametrize(
    "statement, administrator, escalation",
    [
        # Allow with NotResource is every resource but those named: as wide as "*".
        ({"Action": "*", "NotResource": "arn:aws:s3:::audit-logs"}, True, False),
        ({"Action": "*", "NotResource": ["arn:aws:iam::*:role/break-glass"]}, True, False),
        ({"Action": "iam:PutUserPolicy", "NotResource": "arn:aws:iam::*:user/root-admin"}, False, True),
        ({"Action": "*", "NotResource": "*"}, False, False),
        # The partial IAM writes on every resource: not administrator, but one call from it.
        ({"Action": "iam:Put*Policy", "Resource": "*"}, False, True),
        ({"Action": "iam:Attach*Policy", "Resource": "*"}, False, True),
        ({"Action": "iam:CreatePolicyVersion", "Resource": "*"}, False, True),
        ({"Action": "iam:CreatePolicyVersion", "Resource": f"arn:aws:iam::{OWN}:policy/*"}, False, True),
        ({"Action": "iam:attachgrouppolicy", "Resource": "arn:aws:iam::*:group/*"}, False, True),
        ({"Action": "iam:CreatePolicyVersion", "Resource": f"arn:aws:iam::{OWN}:policy/app-*"}, False, False),
    ],
)  # fmt: skip
def test_not_resource_and_partial_iam_writes(
    statement: dict[str, object], administrator: bool, escalation: bool
) -> None:
    policy = escalating(**statement)
    assert grants_every_action([policy]) is administrator
    assert grants_escalation([policy]) is escalation


def hostile_value(generator: random.Random, depth: int = 0) -> Any:
    """A JSON value of any type where the grammar expects another (a number for a principal,
    an object for an action, a list of lists for a condition value)."""
    choices: list[Any] = [
        "*",
        "Allow",
        OTHER,
        int(OTHER),
        12345678901,
        -1,
        10**13,
        1.5,
        True,
        None,
        "",
        f"arn:aws:iam::{OTHER}:root",
        "sns.amazonaws.com",
        "accounts.google.com",
        "%7B",
    ]
    if depth < 3:
        choices += [
            [hostile_value(generator, depth + 1) for _ in range(generator.randint(0, 3))],
            {key: hostile_value(generator, depth + 1) for key in generator.sample(POLICY_KEYS, 2)},
        ]
    return generator.choice(choices)


POLICY_KEYS = [
    "Effect", "Principal", "NotPrincipal", "AWS", "Service", "Federated", "CanonicalUser", "Action",
    "NotAction", "Resource", "NotResource", "Condition", "StringEquals", "ArnLike", "aws:SourceAccount",
    "aws:SourceArn", "aws:PrincipalOrgID", "aws:SourceOrgID", "iam:PolicyARN", "accounts.google.com:aud",
    "principal", "sourceAccount", "sourceArn", "condition",
]  # fmt: skip


def test_values_of_any_json_type_never_raise() -> None:
    """Each element of a statement replaced by a value of any JSON type: the readers answer
    (a grant or not) and never raise, so one odd policy cannot fail a rule's run (a failed
    run keeps its window and fails on it again)."""
    generator = random.Random(20261206)
    for _ in range(3_000):
        statement = {key: hostile_value(generator) for key in generator.sample(POLICY_KEYS, 5)}
        statement.setdefault("Effect", "Allow")
        for value in (
            {"Statement": [statement]},
            {"Statement": statement},
            statement,
            json.dumps({"Statement": statement}),
        ):
            grants_outside([value], OWN, ORGANIZATION)
            grants_every_action([value])
            grants_escalation([value])
