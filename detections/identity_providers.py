"""Web identity providers whose tokens anyone can get, and the condition values that hold a
role trusting one to one tenant's tokens.

A role trusts an OpenID Connect provider by its ARN
(``arn:aws:iam::<account>:oidc-provider/<issuer host and path>``), and STS lets in every token
that issuer signs for the role's audience, unless a condition on the provider's keys
(``<issuer>:sub``, ``<issuer>:aud``...) says whose. Some issuers serve one tenant each (an EKS
cluster's ``oidc.eks.<region>.amazonaws.com/id/<id>``, CircleCI's
``oidc.circleci.com/org/<organization id>``, Bitbucket Pipelines'
``api.bitbucket.org/2.0/workspaces/<workspace>/pipelines-config/identity/oidc``, a
GitHub Enterprise Cloud enterprise's ``token.actions.githubusercontent.com/<enterprise>``,
Spacelift's ``<account>.app.spacelift.io``, Azure DevOps' ``vstoken.dev.azure.com/<organization
id>``, a self-managed GitLab): the issuer itself names the tenant, and a trust without a ``sub``
condition lets in any of its pipelines or service accounts, broad but inside. Others are
shared by everyone (:data:`OWNER_CLAIMS`): any GitHub repository's workflow gets a token of
``token.actions.githubusercontent.com``, with an audience of its own choosing
(``aud: sts.amazonaws.com`` is every workflow's default), so only a claim naming the owner
(organization, user, group, workspace) narrows it, by a ``sub`` condition or the claim's own
key. Only issuers whose token format a specification at hand documents are listed: a hosted
service's global issuer not listed here is read as a one-tenant issuer (inside). Public sign-in
providers (:data:`AUDIENCE_ISSUERS`) are narrowed by the application their
tokens are issued to (``accounts.google.com:aud``, a Cognito identity pool's
``cognito-identity.amazonaws.com:aud``): detections/principals.py reads those.

A value names an owner (:func:`names_an_owner`) when one of the issuer's owner claims appears
in it, at its start or after a ``:``, followed by a literal owner that ends with ``/`` or ``:``
(``repo:example-org/`` or ``repository_owner:example-org:``). Under a ``...Like`` operator only
the text before the first ``*`` or ``?`` counts: ``repo:*``, ``repo:*/*`` and ``*`` name no
owner, and ``repo:example*`` lets in every organization whose name starts with ``example``.
Under ``StringEquals`` the whole value is literal (IAM matches ``*`` as itself), and its last
field ends with the value. Claim names are read in any case: ``StringEqualsIgnoreCase`` folds
it, and ``StringLike`` with ``REPO:`` matches no token at all. The issuers' subject formats: GitHub Actions
``repo:<owner>/<repository>:<context>`` (or the claims of a customized template,
``repository_owner_id:<id>:...``), GitLab ``project_path:<group>/<project>:ref_type:...``,
HCP Terraform ``organization:<organization>:project:...:workspace:...``, Buildkite
``organization:<slug>:pipeline:<slug>:...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

OWNER_CLAIMS: Mapping[str, frozenset[str]] = {
    "token.actions.githubusercontent.com": frozenset(
        {
            "repo",
            "repository",
            "repository_id",
            "repository_owner",
            "repository_owner_id",
            "job_workflow_ref",
            "workflow_ref",
            "enterprise",
            "enterprise_id",
        }
    ),
    "gitlab.com": frozenset({"project_path", "project_id", "namespace_path", "namespace_id"}),
    "app.terraform.io": frozenset(
        {"organization", "terraform_organization_name", "terraform_organization_id"}
    ),
    "agent.buildkite.com": frozenset({"organization", "organization_slug", "organization_id"}),
}
"""Issuers shared by every tenant (host and path as in the provider's ARN, lower-case), and
the claims of theirs that name a token's owner: in the subject (``repo:<owner>/...``) or as a
condition key of their own (``token.actions.githubusercontent.com:repository_owner``). A
condition on a claim IAM does not map to a key holds for no token (a positive operator is false
when the key is absent), so reading every owner claim as narrowing never misses a role
anyone can assume."""
AUDIENCE_ISSUERS = frozenset(
    {"accounts.google.com", "cognito-identity.amazonaws.com", "graph.facebook.com", "www.amazon.com"}
)
"""Public sign-in providers, narrowed by the application their tokens are for (``aud``,
``app_id``): IAM's built-in web identity principals, also trusted through an account's own
OIDC provider of the same issuer."""
PUBLIC_ISSUERS = frozenset(OWNER_CLAIMS) | AUDIENCE_ISSUERS
"""Every issuer whose tokens anyone can get."""

_OWNER = {
    issuer: re.compile(r"(?:\A|:)(?:" + "|".join(sorted(claims)) + r"):[^/:]+[/:]", re.IGNORECASE)
    for issuer, claims in OWNER_CLAIMS.items()
}
_WILDCARD = re.compile(r"[*?]")


def names_an_owner(issuer: str, claim: str, value: str, pattern: bool) -> bool:
    """Whether ``value``, a condition value on ``<issuer>:<claim>`` (lower-case; ``issuer`` one
    of :data:`OWNER_CLAIMS`), holds only for tokens of one owner: the subject (``sub``) naming
    one, or an owner claim's own key with a literal value. ``pattern``: the operator matches
    wildcards (``StringLike``), so only the text before the first one is literal."""
    if claim == "sub":
        text = value
    elif claim in OWNER_CLAIMS[issuer]:
        text = f"{claim}:{value}"
    else:
        return False
    wildcard = _WILDCARD.search(text) if pattern else None
    literal = text[: wildcard.start()] if wildcard else f"{text}:"
    return _OWNER[issuer].search(literal) is not None


__all__ = ["AUDIENCE_ISSUERS", "OWNER_CLAIMS", "PUBLIC_ISSUERS", "names_an_owner"]
