"""Spellings of an identity policy that IAM accepts and reads as the same grant, and hostile
documents that must not stall the runner (IAM JSON policy reference: Resource wildcards,
Action wildcards, IAM quotas; botocore's IAM model: ``policyDocumentType``)."""

from __future__ import annotations

import json
import random
import re

import botocore.session
import pytest

from detections.principals import (
    MAX_POLICY_TEXT,
    _glob,
    grants_escalation,
    grants_every_action,
    grants_outside,
)

OWN = "111122223333"


def identity_policy(**statement: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}


def put_role_policy_on(resource: object) -> dict[str, object]:
    return identity_policy(Action="iam:PutRolePolicy", Resource=resource)


@pytest.mark.parametrize(
    "resource, every",
    [
        # A wildcard segment matches IAM's empty region: every role of the account.
        (f"arn:aws:iam:*:{OWN}:role/*", True),
        ("arn:*:iam:*:*:role/*", True),
        ("arn:aws:iam:*:*:*", True),
        # A trailing * runs past the colons (IAM: "it can expand to match beyond the colon boundaries").
        ("arn:aws:iam:*", True),
        # The type left to a wildcard, or the account spelled with ?.
        (f"arn:aws:iam::{OWN}:role*", True),
        (f"arn:aws:iam::{OWN}:r*", True),
        (f"arn:aws:iam::{OWN}:*/*", True),
        ("arn:aws:iam::????????????:role/*", True),
        (f"arn:aws:iam::{OWN}:role/**", True),
        (f"arn:aws:iam::{OWN}:role/?*", True),
        # Look-alikes: some roles only, or none.
        (f"arn:aws:iam:*:{OWN}:role/app-*", False),
        (f"arn:aws:iam::{OWN}:role/?", False),
        (f"arn:aws:iam::{OWN}:role/*/*", False),
        (f"arn:aws:iam::{OWN}:user*", False),
        (f"arn:aws:iam::{OWN}:rol", False),
        (f"arn:aws:s3:::{OWN}/*", False),
        ("arn:aws:iam::*:role/?????*-prod", False),
        ("", False),
    ],
)
def test_every_resource_of_the_type_in_any_spelling_iam_matches(resource: str, every: bool) -> None:
    assert grants_escalation([put_role_policy_on(resource)]) is every
    assert grants_escalation([json.dumps(put_role_policy_on(resource))]) is every


@pytest.mark.parametrize(
    "resource, every",
    [
        ("arn:aws:iam:*:*:*", True),
        ("arn:aws:iam::*:*/*", True),
        (f"arn:aws-us-gov:iam:*:{OWN}:*", True),
        ("arn:aws:iam:*", True),
        ("arn:aws:iam::*:role/*", False),
        ("arn:aws:iam::*:*/app-*", False),
    ],
)
def test_every_iam_action_on_every_iam_resource_in_any_spelling(resource: str, every: bool) -> None:
    assert grants_every_action([identity_policy(Action="iam:*", Resource=resource)]) is every


@pytest.mark.parametrize(
    "operator, key, value, escalates",
    [
        # Bounds that name every policy bound nothing: the holder creates its own and names it.
        ("ArnLike", "iam:PermissionsBoundary", "arn:aws:iam:*:*:policy/*", True),
        ("StringLike", "iam:PermissionsBoundary", f"arn:aws:iam::{OWN}:*/*", True),
        ("StringLike", "iam:PolicyARN", "arn:*", True),
        ("ArnLike", "iam:PolicyARN", "arn:aws:iam::aws:policy/*", True),
        # A bound naming an administrator policy: attaching it, or being held to it, is administrator.
        ("ArnEquals", "iam:PolicyARN", "arn:aws:iam::aws:policy/AdministratorAccess", True),
        ("StringEqualsIgnoreCase", "iam:PolicyARN", "ARN:AWS:IAM::AWS:POLICY/IAMFULLACCESS", True),
        ("ArnLike", "iam:PolicyARN", "arn:aws-us-gov:iam::aws:policy/*Admin*", True),
        ("StringEquals", "iam:PermissionsBoundary", "arn:aws:iam::aws:policy/AdministratorAccess", True),
        # Bounds that name some policies keep the statement out.
        ("ArnEquals", "iam:PolicyARN", "arn:aws:iam::aws:policy/ReadOnlyAccess", False),
        ("ArnLike", "iam:PolicyARN", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", False),
        ("ArnEquals", "iam:PermissionsBoundary", f"arn:aws:iam::{OWN}:policy/app-boundary", False),
        ("ArnLike", "iam:PolicyARN", "arn:aws:iam:*:*:policy/ReadOnly*", False),
    ],
)
def test_a_scoping_condition_naming_every_policy_in_any_spelling_scopes_nothing(
    operator: str, key: str, value: str, escalates: bool
) -> None:
    policy = identity_policy(Action="iam:AttachRolePolicy", Resource="*", Condition={operator: {key: value}})
    assert grants_escalation([policy]) is escalates


def test_a_policy_padded_with_white_space_past_the_old_bound_is_read() -> None:
    """IAM does not count white space against its policy size quotas and takes a
    ``PolicyDocument`` of up to 131,072 characters (botocore's model); CloudTrail logs request
    parameters whole up to 100 KB. A 10 KB role policy padded to 100 KB is still a policy."""
    document = botocore.session.get_session().get_service_model("iam").shape_for("policyDocumentType")
    assert document.metadata["max"] == MAX_POLICY_TEXT
    for policy, check in (
        (put_role_policy_on("*"), grants_escalation),
        (identity_policy(Action="*", Resource="*"), grants_every_action),
    ):
        text = json.dumps(policy)
        padded = "{" + " " * 100_000 + text[1:]
        assert len(padded) <= MAX_POLICY_TEXT
        assert check([padded])
    public = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})
    assert grants_outside(["{" + "\n" * 100_000 + public[1:]], OWN)
    assert not grants_escalation(["{" + " " * MAX_POLICY_TEXT + json.dumps(put_role_policy_on("*"))[1:]])


def reference_match(pattern: str, text: str) -> bool:
    """IAM's wildcards as a regular expression (fine on the short patterns below)."""
    expression = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(expression, text, re.DOTALL) is not None


def test_wildcards_match_as_a_regular_expression_of_them_does() -> None:
    """2,000 random short patterns against action names and ARNs: the bounded matcher agrees
    with the (backtracking, here harmless) regular expression."""
    texts = ["iam:putuserpolicy", "iam:attachrolepolicy", "iam:", "", "a", "arn:aws:iam::111122223333:role/x"]
    pieces = ["*", "**", "?", "iam:", "put", "policy", "user", "role", "a", "e", ":", "y", "/", "x"]
    generator = random.Random(20261206)
    for _ in range(2_000):
        pattern = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 7)))
        for text in texts:
            assert _glob(pattern, text) is reference_match(pattern, text), (pattern, text)


@pytest.mark.parametrize(
    "action, escalates",
    [
        # Many wildcards in a row or in turn with letters: a backtracking matcher takes
        # exponential time on these (hours at 14 stars); IAM's grammar allows them.
        ("iam:" + "*" * 40 + "y", True),
        ("iam:" + "*" * 40 + "z", False),
        ("iam:" + "*a" * 30 + "z", False),
        ("iam:" + "*?" * 40 + "z", False),
        ("iam:P" + "*" * 5_000 + "y", True),
        ("IAM:*U*S*E*R*P*O*L*I*C*Y", True),
    ],
)
def test_hostile_action_patterns_are_matched_without_backtracking(action: str, escalates: bool) -> None:
    assert grants_escalation([identity_policy(Action=action, Resource="*")]) is escalates


def test_hostile_documents_are_read_in_bounded_work() -> None:
    """10,000 statements of hostile wildcards, a 1 MB action list and a 1 MB resource pattern:
    each is read (as an object: as text they are past the bound) and grants what it says."""
    hostile = {
        "Effect": "Allow",
        "Action": "iam:" + "*a" * 15 + "z",
        "Resource": "arn:aws:iam:*:*:r" + "*?" * 20 + "x",
    }
    statements = {"Statement": [hostile] * 10_000}
    assert not grants_escalation([statements])
    assert not grants_every_action([statements])
    granting = {
        "Statement": [*statements["Statement"], {"Effect": "Allow", "Action": "iam:Put*", "Resource": "*"}]
    }
    assert grants_escalation([granting])
    actions = {
        "Statement": {"Effect": "Allow", "Action": ["iam:" + "*" * 30 + "q"] * 30_000, "Resource": "*"}
    }
    assert len(json.dumps(actions)) > 1_000_000
    assert not grants_escalation([actions])
    assert not grants_every_action([actions])
    resource = {
        "Statement": {
            "Effect": "Allow",
            "Action": "iam:PutRolePolicy",
            "Resource": "arn:aws:iam::*:role/" + "*?" * 500_000,
        }
    }
    assert not grants_escalation([resource])
