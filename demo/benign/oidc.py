"""Roles for workloads that sign in with OpenID Connect: the routine look-alikes of the role
trust rules reading the account's own OIDC providers (detections/identity_providers.py).

The trust rules now read a role trusting the account's own provider of an issuer every CI
tenant shares (GitHub Actions' ``token.actions.githubusercontent.com``) as assumable from
outside unless a condition names the owner of the token's repository. A well-run
organization writes such trusts every week, each naming its own: the CI runner's Terraform
creates a service's deploy role for its repository (``repo:example-org/<service>:*``) or its
production environment, lets every repository of the organization assume a read-only role
(``repo:example-org/*``), creates an EKS service account's role (IRSA: the cluster's own
issuer, the service account named) or a role any service account of one cluster may assume
(the cluster's issuer alone: broad, but the account's), or a Cognito identity pool's role for
its signed-in users (the pool as ``cognito-identity.amazonaws.com:aud``). Shapes follow
botocore's IAM model as CloudTrail logs it (``assumeRolePolicyDocument`` and
``policyDocument`` as JSON text; CreateRole's response holds the role).

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.org import HOME_REGION
from demo.benign.pipelines import Change, _terraform_session, terraform_writes
from demo.ids import cloudtrail_response_date

IAM = "iam.amazonaws.com"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_ORGANIZATION = "example-org"
"""The organization's GitHub organization (the one demo.benign.pipelines deploys from)."""


def _trust(federated: str, action: str, condition: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": federated},
                    "Action": action,
                    "Condition": condition,
                }
            ],
        }
    )


def oidc_trusts(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform creates a role trusting an OIDC provider of the account, or
    rewrites one's trust, each naming whose tokens: a repository, an environment, the GitHub
    organization, an EKS cluster (and its service account), a Cognito identity pool."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    account, service = target.id, f"{target.name.split('-', 1)[-1]}-service"
    github = f"arn:aws:iam::{account}:oidc-provider/{GITHUB}"
    cluster = f"oidc.eks.{HOME_REGION}.amazonaws.com/id/{ctx.hex(32).upper()}"
    web_identity = "sts:AssumeRoleWithWebIdentity"
    audience = {f"{GITHUB}:aud": "sts.amazonaws.com"}
    choice = ctx.rng.randrange(6)
    if choice == 0:
        role = f"{service}-deploy"
        trust = _trust(github, web_identity, {"StringEquals": audience,
                                              "StringLike": {f"{GITHUB}:sub": f"repo:{GITHUB_ORGANIZATION}/{service}:*"}})  # fmt: skip
    elif choice == 1:
        role = f"{service}-deploy-production"
        subject = f"repo:{GITHUB_ORGANIZATION}/{service}:environment:production"
        trust = _trust(github, web_identity, {"StringEquals": {**audience, f"{GITHUB}:sub": subject}})
    elif choice == 2:
        role = "github-read-only"
        trust = _trust(github, web_identity, {"StringEquals": audience,
                                              "StringLike": {f"{GITHUB}:sub": f"repo:{GITHUB_ORGANIZATION}/*"}})  # fmt: skip
    elif choice == 3:
        role = f"{service}-irsa"
        trust = _trust(f"arn:aws:iam::{account}:oidc-provider/{cluster}", web_identity,
                       {"StringEquals": {f"{cluster}:aud": "sts.amazonaws.com",
                                         f"{cluster}:sub": f"system:serviceaccount:{service}:{service}"}})  # fmt: skip
    elif choice == 4:
        role = "cluster-read-only"
        trust = _trust(f"arn:aws:iam::{account}:oidc-provider/{cluster}", web_identity,
                       {"StringEquals": {f"{cluster}:aud": "sts.amazonaws.com"}})  # fmt: skip
    else:
        role = f"{service}-identity-pool-authenticated"
        pool = f"{HOME_REGION}:{ctx.ids.uuid()}"
        trust = _trust("cognito-identity.amazonaws.com", web_identity,
                       {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}})  # fmt: skip
    change: Change
    if ctx.chance(0.5):
        created = cloudtrail_response_date(clock.now)
        response = {"role": {"path": "/", "roleName": role, "roleId": "AROA" + ctx.hex(17).upper(),
                             "arn": f"arn:aws:iam::{account}:role/{role}", "createDate": created,
                             "assumeRolePolicyDocument": trust}}  # fmt: skip
        change = (
            IAM,
            "CreateRole",
            {"roleName": role, "path": "/", "assumeRolePolicyDocument": trust},
            response,
        )
    else:
        change = (IAM, "UpdateAssumeRolePolicy", {"roleName": role, "policyDocument": trust}, None)
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])


__all__ = ["oidc_trusts"]
