"""Roles trusting the account's own OpenID Connect provider of an issuer anyone can get tokens
from, without a condition naming whose: the CI misconfiguration that lets any GitHub repository
(GitLab project, HCP Terraform workspace, Buildkite pipeline) in the world assume the role.

Subject formats from each issuer's documentation: GitHub Actions ``repo:<owner>/<repo>:<context>``
(or a customized template's claims, ``repository_owner_id:<id>:...``), GitLab
``project_path:<group>/<project>:ref_type:<type>:ref:<ref>``, HCP Terraform
``organization:<org>:project:<project>:workspace:<workspace>:run_phase:<phase>``, Buildkite
``organization:<org>:pipeline:<pipeline>:ref:<ref>:...``. IAM condition operators: ``StringLike``
matches ``*`` and ``?`` as wildcards, ``StringEquals`` as themselves; values of one key are
alternatives; a positive operator on a key absent from the request is false."""

from __future__ import annotations

import json
from typing import Any

import pytest

from detections.identity_providers import names_an_owner
from detections.principals import MAX_POLICY_TEXT, grants_outside

OWN = "111122223333"
OTHER = "444455556666"
GITHUB = "token.actions.githubusercontent.com"


def provider(issuer: str, account: str = OWN) -> str:
    return f"arn:aws:iam::{account}:oidc-provider/{issuer}"


def trust(federated: str, condition: dict[str, Any] | None = None, effect: str = "Allow") -> str:
    statement: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"Federated": federated},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


AUDIENCE = {f"{GITHUB}:aud": "sts.amazonaws.com"}


@pytest.mark.parametrize(
    "issuer, condition",
    [
        # GitHub: the audience alone is every workflow's default.
        (GITHUB, None),
        (GITHUB, {"StringEquals": AUDIENCE}),
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "*"}}),
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:*"}}),
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:*/*"}}),
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:*/app:*"}}),
        # Any organization whose name starts with "example": example-attacker too.
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:example*"}}),
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:exampl?-org/*"}}),
        # One alternative naming everyone lets everyone in.
        (GITHUB, {"StringLike": {f"{GITHUB}:sub": ["repo:example-org/app:*", "repo:*"]}}),
        # A negated subject, an IfExists or ForAllValues one, a Null test: no narrowing.
        (GITHUB, {"StringNotLike": {f"{GITHUB}:sub": "repo:attacker/*"}}),
        (GITHUB, {"StringLikeIfExists": {f"{GITHUB}:sub": "repo:example-org/*"}}),
        (GITHUB, {"ForAllValues:StringLike": {f"{GITHUB}:sub": "repo:example-org/*"}}),
        (GITHUB, {"Null": {f"{GITHUB}:sub": "false"}}),
        # A claim that names no owner (the workflow's actor may run it in a repository of their own).
        (GITHUB, {"StringEquals": {f"{GITHUB}:actor": "alice"}}),
        # A customized subject without an owner: any organization can give itself this template.
        (GITHUB, {"StringEquals": {f"{GITHUB}:sub": "environment:production"}}),
        (GITHUB, {"StringLike": {f"{GITHUB}:repository_owner": "example*"}}),
        # Another provider's key does not narrow this one.
        (GITHUB, {"StringLike": {"gitlab.com:sub": "project_path:example-group/*"}}),
        ("gitlab.com", {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}),
        ("gitlab.com", {"StringLike": {"gitlab.com:sub": "project_path:*"}}),
        ("app.terraform.io", {"StringEquals": {"app.terraform.io:aud": "aws.workload.identity"}}),
        ("app.terraform.io", {"StringLike": {"app.terraform.io:sub": "organization:*:project:*:workspace:*:run_phase:*"}}),
        ("agent.buildkite.com", {"StringLike": {"agent.buildkite.com:sub": "organization:*"}}),
        # Public sign-in providers through our own OIDC provider: the audience narrows them.
        ("accounts.google.com", None),
        ("cognito-identity.amazonaws.com", {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}),
        # The ARN's issuer written with a trailing slash or in capitals is the same issuer.
        (GITHUB.upper() + "/", {"StringEquals": AUDIENCE}),
    ],
)  # fmt: skip
def test_a_public_issuer_without_an_owner_is_outside(issuer: str, condition: dict[str, Any] | None) -> None:
    assert grants_outside([trust(provider(issuer), condition)], OWN)


@pytest.mark.parametrize(
    "issuer, condition",
    [
        # The routine trusts: a repository, an organization's repositories, an environment of one.
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:example-org/app:*"}}),
        (GITHUB, {"StringEquals": {**AUDIENCE, f"{GITHUB}:sub": "repo:example-org/app:ref:refs/heads/main"}}),
        (GITHUB, {"StringEquals": AUDIENCE, "StringLike": {f"{GITHUB}:sub": "repo:example-org/*"}}),
        (GITHUB, {"StringLike": {f"{GITHUB}:sub": ["repo:example-org/app:*", "repo:example-org/lib:*"]}}),
        (GITHUB, {"ForAnyValue:StringLike": {f"{GITHUB}:sub": "repo:Example-Org/*"}}),
        (GITHUB, {"StringEqualsIgnoreCase": {f"{GITHUB}:sub": "repo:example-org/app:environment:production"}}),
        # A customized template's owner claims, in the subject or as their own keys.
        (GITHUB, {"StringLike": {f"{GITHUB}:sub": "repository_owner_id:1234567:*"}}),
        (GITHUB, {"StringEquals": {f"{GITHUB}:sub": "environment:production:repository_owner:example-org"}}),
        (GITHUB, {"StringEquals": {f"{GITHUB}:repository_owner": "example-org"}}),
        (GITHUB, {"StringLike": {f"{GITHUB}:job_workflow_ref": "example-org/workflows/.github/workflows/deploy.yml@*"}}),
        # StringEquals reads "*" as itself: no token has that subject, so nobody is let in.
        (GITHUB, {"StringEquals": {f"{GITHUB}:sub": "repo:*"}}),
        ("gitlab.com", {"StringLike": {"gitlab.com:sub": "project_path:example-group/*:ref_type:branch:ref:main"}}),
        ("app.terraform.io", {"StringLike": {"app.terraform.io:sub": "organization:example-org:project:*:workspace:*:run_phase:*"}}),
        ("agent.buildkite.com", {"StringLike": {"agent.buildkite.com:sub": "organization:example-org:pipeline:deploy:*"}}),
        ("accounts.google.com", {"StringEquals": {"accounts.google.com:aud": "1234567890-abc.apps.googleusercontent.com"}}),
        ("cognito-identity.amazonaws.com", {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:12345678-1234-1234-1234-123456789012"}}),
        # Issuers of one tenant each: a missing subject is broad, but inside.
        ("oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", None),
        ("oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com"}}),
        ("oidc.circleci.com/org/8f1b1b0e-7d43-4f7e-9a51-1d2e3f4a5b90", None),
        ("api.bitbucket.org/2.0/workspaces/example/pipelines-config/identity/oidc", None),
        (f"{GITHUB}/example-enterprise", {"StringEquals": AUDIENCE}),
    ],
)  # fmt: skip
def test_a_trust_naming_the_owner_or_a_single_tenant_issuer_is_inside(
    issuer: str, condition: dict[str, Any] | None
) -> None:
    assert not grants_outside([trust(provider(issuer), condition)], OWN)


def test_another_account_s_provider_is_outside_whatever_its_conditions() -> None:
    narrowed = {"StringLike": {f"{GITHUB}:sub": "repo:example-org/*"}}
    assert grants_outside([trust(provider(GITHUB, OTHER), narrowed)], OWN)


def test_a_deny_statement_grants_nothing() -> None:
    assert not grants_outside([trust(provider(GITHUB), {"StringEquals": AUDIENCE}, effect="Deny")], OWN)


def test_any_narrowing_condition_among_several_narrows() -> None:
    """Condition blocks and keys must all hold: one naming the owner is enough."""
    condition = {
        "StringEquals": AUDIENCE,
        "StringLike": {f"{GITHUB}:sub": "repo:example-org/*", f"{GITHUB}:job_workflow_ref": "*"},
    }
    assert not grants_outside([trust(provider(GITHUB), condition)], OWN)


@pytest.mark.parametrize(
    "claim, value, pattern, named",
    [
        ("sub", "repo:example-org/app:ref:refs/heads/main", False, True),
        ("sub", "repo:example-org", False, True),  # literal: the whole value, its last field ended
        ("sub", "repo:example-org*", True, False),
        ("sub", "repo:example-org/*", True, True),
        ("sub", "repo:example-org:*", True, True),
        ("sub", "*repo:example-org/*", True, False),
        ("sub", "repo:/app:*", True, False),
        ("repository_owner", "example-org", True, True),
        ("repository_owner", "example-org", False, True),
        ("repository_owner", "*", True, False),
        ("aud", "sts.amazonaws.com", False, False),
        ("actor", "alice", False, False),
    ],
)  # fmt: skip
def test_names_an_owner(claim: str, value: str, pattern: bool, named: bool) -> None:
    assert names_an_owner(GITHUB, claim, value, pattern) is named


def test_a_long_subject_is_read_in_bounded_work() -> None:
    """A subject as long as a policy can be whose owner never ends: one linear scan."""
    value = "repo:" + "example" * ((MAX_POLICY_TEXT - 400) // 7)
    text = trust(provider(GITHUB), {"StringLike": {f"{GITHUB}:sub": value + "*"}})
    assert len(text) < MAX_POLICY_TEXT
    assert grants_outside([text], OWN)


def test_claim_names_are_read_in_any_case() -> None:
    """StringEqualsIgnoreCase folds case: ``REPO:Example-Org/`` names the owner."""
    condition = {"StringEqualsIgnoreCase": {f"{GITHUB}:sub": "REPO:Example-Org/app:ref:refs/heads/main"}}
    assert not grants_outside([trust(provider(GITHUB), condition)], OWN)
