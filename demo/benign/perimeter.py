"""Data perimeters: resource and trust policies that allow everyone and then deny every caller
outside the organization, the routine look-alikes of the grant rules' ``Deny`` reading
(detections/principals.py, docs/detections.md "Deny statements").

Security teams that deploy AWS's data perimeter guidance write the broad grant a workload needs
(a bucket's objects readable by ``*``, a key usable by ``{"AWS": "*"}``, a queue anyone may send
to, a deploy role any GitHub workflow may assume) and one ``Deny`` that refuses every caller of
another organization (``StringNotEqualsIfExists aws:PrincipalOrgID`` with the guidance's
``BoolIfExists aws:PrincipalIsAWSService false`` exception for AWS services, or
``StringNotEquals aws:PrincipalAccount`` / ``kms:CallerAccount`` naming the account), or every
token of another GitHub owner (``StringNotLike token.actions.githubusercontent.com:sub
repo:example-org/*``). Shapes follow botocore's models as CloudTrail logs them: S3's bucket
policy as an object, the others as JSON text.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.grantrules import _text
from demo.benign.oidc import GITHUB, GITHUB_ORGANIZATION
from demo.benign.org import HOME_REGION, ORG_ID
from demo.benign.pipelines import _terraform_session, terraform_writes

SERVICE_EXCEPTION = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
"""The guidance's exception: AWS services acting with their service principals pass."""


def _perimeter(principal: Any, action: Any, resource: Any, condition: dict[str, Any]) -> dict[str, Any]:
    return {"Sid": "EnforceIdentityPerimeter", "Effect": "Deny", "Principal": principal, "Action": action,
            "Resource": resource, "Condition": condition}  # fmt: skip


def data_perimeter_policies(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform writes one perimeter policy of a workload: a bucket's, a key's,
    a queue's, or a GitHub deploy role's trust."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    account, region = target.id, HOME_REGION
    name = target.name.split("-", 1)[-1]
    organization = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}, **SERVICE_EXCEPTION}
    choice = ctx.rng.randrange(4)
    change: tuple[str, str, Any, Any]
    if choice == 0:
        bucket = f"{name}-shared-reports-{account}"
        objects = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
        policy = {"Version": "2012-10-17", "Statement": [
            {"Sid": "OrganizationRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": objects},
            _perimeter("*", "s3:*", objects, organization),
        ]}  # fmt: skip
        change = ("s3.amazonaws.com", "PutBucketPolicy",
                  {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "policy": "", "bucketPolicy": policy},
                  None)  # fmt: skip
    elif choice == 1:
        key = f"arn:aws:kms:{region}:{account}:key/{ctx.ids.uuid()}"
        callers = {"StringNotEquals": {"kms:CallerAccount": account}, **SERVICE_EXCEPTION}
        policy_text = _text(
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Use by the account's principals", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"},
            _perimeter({"AWS": "*"}, "kms:*", "*", ctx.rng.choice([organization, callers])),
        )  # fmt: skip
        change = ("kms.amazonaws.com", "PutKeyPolicy",
                  {"keyId": key, "policyName": "default", "policy": policy_text, "bypassPolicyLockoutSafetyCheck": False},
                  None)  # fmt: skip
    elif choice == 2:
        queue = f"arn:aws:sqs:{region}:{account}:{name}-ingest"
        accounts = {"StringNotEquals": {"aws:PrincipalAccount": account}}
        policy_text = _text(
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queue},
            _perimeter("*", "sqs:*", queue, ctx.rng.choice([organization, accounts])),
        )  # fmt: skip
        change = ("sqs.amazonaws.com", "SetQueueAttributes",
                  {"queueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{name}-ingest",
                   "attributes": {"Policy": policy_text}}, None)  # fmt: skip
    else:
        role = f"{name}-github-deploy"
        provider = f"arn:aws:iam::{account}:oidc-provider/{GITHUB}"
        web_identity = "sts:AssumeRoleWithWebIdentity"
        trust = _text(
            {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": web_identity,
             "Condition": {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}},
            {"Sid": "OnlyOurRepositories", "Effect": "Deny", "Principal": "*", "Action": web_identity,
             "Condition": {"StringNotLike": {f"{GITHUB}:sub": f"repo:{GITHUB_ORGANIZATION}/*"}}},
        )  # fmt: skip
        change = (
            "iam.amazonaws.com",
            "UpdateAssumeRolePolicy",
            {"roleName": role, "policyDocument": trust},
            None,
        )
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])


__all__ = ["data_perimeter_policies"]
