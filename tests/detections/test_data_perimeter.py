"""Resource and trust policies that allow everyone and then deny everyone outside: AWS's data
perimeter guidance. An explicit ``Deny`` overrides any ``Allow`` (IAM policy evaluation logic),
so the ``Allow`` grants outside only when no ``Deny`` of the same policy surely refuses every
outside request it admits (detections/principals.py, ``_perimeter_narrows``).

IAM condition operators, as documented: a negated operator (``StringNotEquals``,
``StringNotLike``, ``ArnNotLike``...) is true when the key is absent from the request, as its
``...IfExists`` form is; ``ForAnyValue:`` of one is false for an absent key (empty set);
``Bool`` is false when the key is absent (``aws:PrincipalIsAWSService`` is absent from an
anonymous request), ``BoolIfExists`` true; ``Null`` tests whether the key is there. Conditions
of one statement are ANDed: one that can be false for an outside caller lets that caller by."""

from __future__ import annotations

import json
from typing import Any

import pytest

from detections.principals import MAX_POLICY_TEXT, NO_ORGANIZATION, Organization, grants_outside

OWN, FELLOW, STRANGER = "111122223333", "444455556666", "999988887777"
ORG_ID = "o-a1b2c3d4e5"
ORGANIZATION = Organization(frozenset({OWN, FELLOW}), ORG_ID)
BUCKET = ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
GITHUB = "token.actions.githubusercontent.com"
SERVICE_EXCEPTION = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}


def allow(
    principal: Any = "*", action: Any = "s3:GetObject", resource: Any = "arn:aws:s3:::b/*", **more: Any
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": resource,
    }
    statement.update(more)
    return statement


def deny(
    condition: Any, principal: Any = "*", action: Any = "s3:*", resource: Any = BUCKET, **more: Any
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": principal,
        "Action": action,
        "Resource": resource,
    }
    if condition is not None:
        statement["Condition"] = condition
    statement.update(more)
    return statement


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def outside(*statements: dict[str, Any], organization: Organization = ORGANIZATION) -> bool:
    return grants_outside([policy(*statements)], OWN, organization)


GUIDANCE = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}, **SERVICE_EXCEPTION}
"""The resource perimeter of AWS's data perimeter guidance (identity perimeter statement)."""


def test_the_allow_alone_grants_everyone() -> None:
    assert outside(allow())


@pytest.mark.parametrize(
    "condition",
    [
        GUIDANCE,
        # Every operator form of the negated pinning condition: absent keys make it true too.
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}},
        {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}},
        {"StringNotEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG_ID.upper()}},
        {"StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/r-ab12/*"}},
        {
            "ForAllValues:StringNotLike": {
                "aws:PrincipalOrgPaths": [f"{ORG_ID}/r-ab12/ou-1/*", f"{ORG_ID}/r-ab12/ou-2/*"]
            }
        },
        {"StringNotEquals": {"aws:PrincipalAccount": [OWN, FELLOW]}},
        {"StringNotEquals": {"aws:PrincipalAccount": OWN}},
        {"StringNotEqualsIfExists": {"aws:PrincipalAccount": OWN}, **SERVICE_EXCEPTION},
        # No condition at all: nobody gets in.
        None,
    ],
)
def test_a_deny_of_every_caller_outside_narrows_the_allow(condition: Any) -> None:
    assert not outside(allow(), deny(condition))


def test_without_the_directory_any_literal_organization_id_narrows_as_it_pins() -> None:
    assert not grants_outside([policy(allow(), deny(GUIDANCE))], OWN, NO_ORGANIZATION)
    assert grants_outside(
        [policy(allow(), deny({"StringNotEquals": {"aws:PrincipalOrgID": "o-*"}}))], OWN, NO_ORGANIZATION
    )


@pytest.mark.parametrize(
    "condition",
    [
        # Another organization named: its callers are not refused.
        {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}, **SERVICE_EXCEPTION},
        {"StringNotEquals": {"aws:PrincipalOrgID": [ORG_ID, "o-zzzzzzzzzz"]}},
        {"StringNotEquals": {"aws:PrincipalAccount": [OWN, STRANGER]}},
        {"StringNotLike": {"aws:PrincipalOrgID": "o-*"}},
        # An extra condition that is false for some outside callers (ANDed in).
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}, "Bool": {"aws:SecureTransport": "false"}},
        {
            "StringNotEqualsIfExists": {
                "aws:PrincipalOrgID": ORG_ID,
                "aws:ResourceTag/dp:exclude:identity": "true",
            }
        },
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}, "Null": {"aws:PrincipalOrgID": "false"}},
        # ForAnyValue of a negated operator is false when the key is absent: no organization's callers pass.
        {"ForAnyValue:StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}},
        # A positive operator refuses ours, not theirs.
        {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}},
        # Bool without IfExists: false for an anonymous request (no aws:PrincipalIsAWSService).
        {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}, "Bool": {"aws:PrincipalIsAWSService": "false"}},
        # An exception that lets AWS services' principals AND everyone else by.
        {
            "StringNotEquals": {"aws:PrincipalOrgID": ORG_ID},
            "BoolIfExists": {"aws:PrincipalIsAWSService": ["false", "true"]},
        },
        # aws:ResourceOrgID holds for every caller of this resource: it excludes nobody.
        {"StringNotEquals": {"aws:ResourceOrgID": ORG_ID}},
        # Malformed.
        {"StringNotEquals": {"aws:PrincipalOrgID": []}},
        {"StringNotEquals": "o-a1b2c3d4e5"},
        "StringNotEquals",
    ],
)
def test_a_deny_that_may_let_an_outside_caller_by_narrows_nothing(condition: Any) -> None:
    assert outside(allow(), deny(condition))


@pytest.mark.parametrize(
    "allowed, denied",
    [
        # Fewer actions denied than allowed.
        (allow(action=["s3:GetObject", "s3:PutObject"]), deny(GUIDANCE, action="s3:GetObject")),
        (allow(action="s3:*"), deny(GUIDANCE, action="s3:Get*")),
        (allow(action="s3:Get*"), deny(GUIDANCE, action="s3:GetObject")),
        # ? in the Deny holds one character, not the Allow's *.
        (allow(action="s3:*Object"), deny(GUIDANCE, action="s3:?Object")),
        # Fewer resources.
        (allow(resource=BUCKET), deny(GUIDANCE, resource="arn:aws:s3:::b/*")),
        (allow(resource="arn:aws:s3:::b/*"), deny(GUIDANCE, resource="arn:aws:s3:::b/private/*")),
        (allow(resource="*"), deny(GUIDANCE, resource=BUCKET)),
        # NotAction in the Allow: everything but; only a Deny of * covers it.
        (allow(action=None, NotAction="s3:DeleteBucket"), deny(GUIDANCE, action="s3:*")),
        # NotAction in the Deny that names an allowed action.
        (allow(action="s3:GetObject"), deny(GUIDANCE, action=None, NotAction="s3:Get*")),
        (allow(action="s3:Get*"), deny(GUIDANCE, action=None, NotAction="s3:PutObject")),
        # Action and NotAction both in the Deny: malformed.
        (allow(), deny(GUIDANCE, NotAction="s3:PutObject")),
        # The Deny names one principal, or everyone but one.
        (allow(), deny(GUIDANCE, principal={"AWS": f"arn:aws:iam::{STRANGER}:root"})),
        (allow(), deny(GUIDANCE, principal=None, NotPrincipal={"AWS": f"arn:aws:iam::{OWN}:root"})),
    ],
)
def test_a_deny_that_does_not_cover_the_allow_narrows_nothing(
    allowed: dict[str, Any], denied: dict[str, Any]
) -> None:
    for statement in (allowed, denied):
        for key in ("Action", "Principal"):
            if statement.get(key) is None:
                statement.pop(key, None)
    assert outside(allowed, denied)


@pytest.mark.parametrize(
    "allowed, denied",
    [
        (
            allow(action=["s3:GetObject", "S3:ListBucket"], resource=BUCKET),
            deny(GUIDANCE, action=["s3:Get*", "s3:List*"]),
        ),
        (allow(action="s3:Get*"), deny(GUIDANCE, action="S3:*")),
        (
            allow(action=None, NotAction="s3:DeleteBucket", resource="*"),
            deny(GUIDANCE, action="*", resource="*"),
        ),
        (allow(action="s3:GetObject"), deny(GUIDANCE, action=None, NotAction=["s3:Put*", "s3:Delete*"])),
        (allow(resource="arn:aws:s3:::b/reports/*"), deny(GUIDANCE, resource="arn:aws:s3:::b/*")),
        (allow(principal={"AWS": "*"}), deny(GUIDANCE, principal={"AWS": ["*"]})),
        (allow(principal={"AWS": f"arn:aws:iam::{STRANGER}:root"}), deny(GUIDANCE)),
        (
            allow(principal={"AWS": f"arn:aws:iam::{STRANGER}:root"}),
            deny(GUIDANCE, principal={"AWS": f"arn:aws:iam::{STRANGER}:root"}),
        ),
        (
            allow(
                principal={
                    "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
                }
            ),
            deny(GUIDANCE),
        ),
    ],
)
def test_a_deny_covering_the_allow_narrows_it(allowed: dict[str, Any], denied: dict[str, Any]) -> None:
    for statement in (allowed, denied):
        if statement.get("Action") is None:
            statement.pop("Action", None)
    assert not outside(allowed, denied)


def test_the_service_exception_leaves_service_principals_read_as_ever() -> None:
    source = {"StringEquals": {"aws:SourceAccount": STRANGER}}
    # Everyone, then a condition naming another account's resource as the source: a service
    # acting for that account is let in, and the exception lets services by.
    assert outside(allow(Condition=source), deny(GUIDANCE))
    assert outside(allow(principal={"Service": "cloudtrail.amazonaws.com"}, Condition=source), deny(GUIDANCE))
    # Without the exception the Deny refuses services too (aws:PrincipalOrgID is absent).
    assert not outside(
        allow(principal={"Service": "cloudtrail.amazonaws.com"}, Condition=source),
        deny({"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}),
    )
    # A source condition naming our own account: a service for our own resource.
    assert not outside(allow(Condition={"StringEquals": {"aws:SourceAccount": OWN}}), deny(GUIDANCE))


def test_the_service_perimeter_narrows_a_service_for_anothers_resource() -> None:
    service = allow(
        principal={"Service": "cloudtrail.amazonaws.com"},
        Condition={"StringEquals": {"aws:SourceAccount": STRANGER}},
    )
    confused_deputy = deny({"StringNotEqualsIfExists": {"aws:SourceOrgID": ORG_ID}})
    assert not outside(service, confused_deputy)
    assert outside(
        service,
        deny(
            {"StringNotEqualsIfExists": {"aws:SourceOrgID": ORG_ID}, "Null": {"aws:SourceAccount": "false"}}
        ),
    )


def test_every_outside_principal_of_the_allow_must_be_refused() -> None:
    stranger = {"AWS": [f"arn:aws:iam::{STRANGER}:root", "*"]}
    only_the_stranger = deny(GUIDANCE, principal={"AWS": f"arn:aws:iam::{STRANGER}:root"})
    assert outside(allow(principal=stranger), only_the_stranger)
    assert not outside(allow(principal=stranger), only_the_stranger, deny(GUIDANCE))


def test_kms_and_sqs_perimeters() -> None:
    kms_allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }
    kms_deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "kms:*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"kms:CallerAccount": [OWN, FELLOW]}},
    }
    assert outside(kms_allow)
    assert not outside(kms_allow, kms_deny)
    queue = "arn:aws:sqs:us-east-1:111122223333:jobs"
    sqs_allow = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queue}
    sqs_deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sqs:*",
        "Resource": queue,
        "Condition": GUIDANCE,
    }
    assert not outside(sqs_allow, sqs_deny)
    assert outside(sqs_allow, {**sqs_deny, "Resource": "arn:aws:sqs:us-east-1:111122223333:other"})


QUEUE = "arn:aws:sqs:us-east-1:111122223333:jobs"
TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts"


def without_resource(statement: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "Resource"}


@pytest.mark.parametrize(
    "allowed, denied",
    [
        # A queue's policy whose perimeter Deny leaves Resource out: the queue itself.
        (allow(action="sqs:SendMessage", resource=QUEUE), deny(GUIDANCE, action="sqs:*")),
        (
            allow(action=["sqs:SendMessage", "sqs:ReceiveMessage"], resource="*"),
            deny(GUIDANCE, action="sqs:*"),
        ),
        (allow(action="sqs:*", resource="arn:aws:sqs:*:111122223333:*"), deny(GUIDANCE, action="*")),
        # A topic's policy alike, the Deny with the organization condition alone.
        (
            allow(principal={"AWS": "*"}, action=["SNS:Publish", "SNS:Subscribe"], resource=TOPIC),
            deny({"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}}, action="sns:*"),
        ),
        (allow(action="sns:Subscribe", resource="*"), deny(GUIDANCE, action="SNS:*")),
    ],
)
def test_a_deny_without_resource_narrows_its_queue_or_topic(
    allowed: dict[str, Any], denied: dict[str, Any]
) -> None:
    assert outside(allowed)
    assert not outside(allowed, without_resource(denied))


@pytest.mark.parametrize(
    "allowed, denied",
    [
        # A bucket's objects (sub-resources of the bucket a Deny without Resource would mean).
        (allow(), deny(GUIDANCE)),
        (allow(action="s3:GetObject", resource="*"), deny(GUIDANCE, action="*")),
        # * with an action that is not a queue's or a topic's, or every action.
        (allow(action=["sqs:SendMessage", "kms:Decrypt"], resource="*"), deny(GUIDANCE, action="*")),
        (allow(action="*", resource="*"), deny(GUIDANCE, action="*")),
        (allow(action=None, NotAction="sqs:DeleteQueue", resource="*"), deny(GUIDANCE, action="*")),
        # NotResource in the Allow, or a resource of another service beside the queue.
        (allow(action="sqs:SendMessage", resource=None, NotResource=QUEUE), deny(GUIDANCE, action="sqs:*")),
        (allow(action="sqs:SendMessage", resource=[QUEUE, "arn:aws:s3:::b/*"]), deny(GUIDANCE, action="*")),
        # Without Resource, but fewer actions, a condition an outside caller may fail, one principal.
        (allow(action="sqs:SendMessage", resource=QUEUE), deny(GUIDANCE, action="sqs:ReceiveMessage")),
        (
            allow(action="sqs:SendMessage", resource=QUEUE),
            deny({**GUIDANCE, "Bool": {"aws:SecureTransport": "false"}}, action="sqs:*"),
        ),
        (
            allow(action="sns:Publish", resource=TOPIC),
            deny(GUIDANCE, principal={"AWS": f"arn:aws:iam::{FELLOW}:root"}, action="sns:*"),
        ),
    ],
)
def test_a_deny_without_resource_narrows_nothing_else(
    allowed: dict[str, Any], denied: dict[str, Any]
) -> None:
    if allowed.get("Action") is None:
        allowed.pop("Action", None)
    if allowed.get("Resource") is None:
        allowed.pop("Resource", None)
    assert outside(allowed, without_resource(denied))


def test_a_deny_with_resource_still_needs_the_allowed_one() -> None:
    # The Allow without Resource (the queue) and a Deny naming the queue: nothing tells the
    # Allow's queue is the one named, so it is not narrowed (as before).
    assert outside(
        without_resource(allow(action="sqs:SendMessage")), deny(GUIDANCE, action="sqs:*", resource=QUEUE)
    )


def trust(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def provider(issuer: str, account: str = OWN) -> str:
    return f"arn:aws:iam::{account}:oidc-provider/{issuer}"


def web_identity(
    effect: str, principal: Any, condition: Any = None, action: str = "sts:AssumeRoleWithWebIdentity"
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return statement


GITHUB_ALLOW = web_identity(
    "Allow", {"Federated": provider(GITHUB)}, {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
)


@pytest.mark.parametrize(
    "denied",
    [
        web_identity("Deny", "*", {"StringNotLike": {f"{GITHUB}:sub": "repo:example-org/*"}}),
        web_identity(
            "Deny",
            {"Federated": provider(GITHUB)},
            {"StringNotLike": {f"{GITHUB}:sub": ["repo:example-org/app:*", "repo:example-org/infra:*"]}},
        ),
        web_identity("Deny", "*", {"StringNotEquals": {f"{GITHUB}:repository_owner": "example-org"}}),
        web_identity(
            "Deny",
            "*",
            {"StringNotEqualsIfExists": {f"{GITHUB}:repository_owner": "example-org"}},
            action="sts:*",
        ),
    ],
)
def test_a_ci_trust_denied_to_every_other_owner_is_narrowed(denied: dict[str, Any]) -> None:
    assert grants_outside([trust(GITHUB_ALLOW)], OWN)
    assert not grants_outside([trust(GITHUB_ALLOW, denied)], OWN)


@pytest.mark.parametrize(
    "denied",
    [
        # No owner named: any repository's workflow passes.
        web_identity("Deny", "*", {"StringNotLike": {f"{GITHUB}:sub": "repo:*"}}),
        web_identity("Deny", "*", {"StringNotLike": {f"{GITHUB}:sub": "repo:example*"}}),
        web_identity("Deny", "*", {"StringNotLike": {f"{GITHUB}:sub": ["repo:example-org/*", "*"]}}),
        # The audience names no owner.
        web_identity("Deny", "*", {"StringNotEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}),
        # A positive operator refuses the owner's own.
        web_identity("Deny", "*", {"StringLike": {f"{GITHUB}:sub": "repo:attacker/*"}}),
        # Another action than the one allowed.
        web_identity(
            "Deny", "*", {"StringNotLike": {f"{GITHUB}:sub": "repo:example-org/*"}}, action="sts:AssumeRole"
        ),
        # Another provider.
        web_identity(
            "Deny",
            {"Federated": provider("gitlab.com")},
            {"StringNotLike": {f"{GITHUB}:sub": "repo:example-org/*"}},
        ),
    ],
)
def test_a_ci_trust_deny_that_names_no_owner_narrows_nothing(denied: dict[str, Any]) -> None:
    assert grants_outside([trust(GITHUB_ALLOW, denied)], OWN)


@pytest.mark.parametrize(
    "federated, key, value",
    [
        ("accounts.google.com", "accounts.google.com:aud", "1234567890-abc.apps.googleusercontent.com"),
        (
            "cognito-identity.amazonaws.com",
            "cognito-identity.amazonaws.com:aud",
            "us-east-1:12345678-1234-1234-1234-123456789012",
        ),
        ("graph.facebook.com", "graph.facebook.com:app_id", "1234567890"),
        ("www.amazon.com", "www.amazon.com:app_id", "amzn1.application-oa2-client.0123456789abcdef"),
    ],
)
def test_web_identity_providers_by_name(federated: str, key: str, value: str) -> None:
    """IAM's built-in web identity principals: an audience (``aud``, ``app_id``) names the
    application, and with it the owner; without one anyone signed in there is let in. A
    ``Deny`` of every other application narrows the same way; one on ``amr`` does not."""
    allowed = web_identity("Allow", {"Federated": federated})
    assert grants_outside([trust(allowed)], OWN)
    assert not grants_outside(
        [trust(web_identity("Allow", {"Federated": federated}, {"StringEquals": {key: value}}))], OWN
    )
    assert not grants_outside(
        [trust(allowed, web_identity("Deny", "*", {"StringNotEquals": {key: value}}))], OWN
    )
    amr = f"{federated}:amr"
    assert grants_outside(
        [trust(allowed, web_identity("Deny", "*", {"ForAllValues:StringNotLike": {amr: "authenticated"}}))],
        OWN,
    )
    assert grants_outside([trust(allowed, web_identity("Deny", "*", {"StringNotLike": {key: "*"}}))], OWN)


def test_the_narrowing_work_is_bounded() -> None:
    """Many Allow statements, each narrowed only by the last of many Deny statements of
    wildcards that cover nothing: the reading stops at its budget and alerts (an Allow left
    unnarrowed) instead of matching every pattern against every other. With fewer
    statements the same perimeter narrows."""

    def stalling(count: int) -> str:
        decoys = [deny(GUIDANCE, action=[f"s3:?{index}*" for index in range(20)]) for _ in range(count)]
        return policy(*[allow(action="s3:GetObject") for _ in range(count)], *decoys, deny(GUIDANCE))

    assert not grants_outside([stalling(3)], OWN, ORGANIZATION)
    text = stalling(150)
    assert len(text) <= MAX_POLICY_TEXT
    assert grants_outside([text], OWN, ORGANIZATION)
