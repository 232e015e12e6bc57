"""Grants to AWS services for the account's own resources, web sign-in roles held to their
audience, and CodeBuild upkeep: the routine look-alikes of the principals and builds the
policy rules now read (detections/principals.py, siem-passrole-compute-first-use).

The grant rules now read a ``Service`` principal as outside when its source is another
account's resource, a public identity provider as everyone without an audience condition, and
a CodeBuild project rewritten (UpdateProject) or a build in another image as a way to run code
with the project's role. A well-run organization writes the same shapes for itself: the CI
runner's Terraform lets CloudFront's origin access control read a site bucket (the account's
own distribution as ``AWS:SourceArn``), the account's own SNS topic send to a queue, S3 invoke
a function for the account's own bucket (``sourceAccount``), a web application's Google
sign-in role trust its client id (``accounts.google.com:aud``); and the platform team's
Terraform in the CI/CD account updates a CodeBuild project's timeout, or starts a build on a
larger machine. Shapes follow botocore's models as CloudTrail logs them (members with the
first letter lower-case; S3's bucket policy as an object, the others' policies as JSON text).

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.org import HOME_REGION
from demo.benign.pipelines import Change, _terraform_session, terraform_writes


def _text(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def own_service_grants(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform lets an AWS service act on one of the account's resources for
    another of the account's own: CloudFront's origin access control reads a site bucket, the
    account's topic sends to a queue, S3 invokes a function for the account's bucket, or a web
    application's Google sign-in role trusts its own client id."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    account, service = target.id, f"{target.name.split('-', 1)[-1]}-svc"
    choice = ctx.rng.randrange(4)
    changes: list[Change]
    if choice == 0:
        bucket = f"{service}-site-{account}"
        distribution = f"arn:aws:cloudfront::{account}:distribution/E{ctx.hex(13).upper()}"
        bucket_policy: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowCloudFrontServicePrincipal", "Effect": "Allow",
             "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"StringEquals": {"AWS:SourceArn": distribution}}}]}  # fmt: skip
        request = {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.amazonaws.com",
            "policy": "",
            "bucketPolicy": bucket_policy,
        }
        changes = [("s3.amazonaws.com", "PutBucketPolicy", request, None)]
    elif choice == 1:
        queue = f"arn:aws:sqs:{HOME_REGION}:{account}:{service}-events"
        topic = f"arn:aws:sns:{HOME_REGION}:{account}:{service}-changes"
        policy = _text({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                        "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}})  # fmt: skip
        url = f"https://sqs.{HOME_REGION}.amazonaws.com/{account}/{service}-events"
        changes = [
            (
                "sqs.amazonaws.com",
                "SetQueueAttributes",
                {"queueUrl": url, "attributes": {"Policy": policy}},
                None,
            )
        ]
    elif choice == 2:
        function = target.functions[0] if target.functions else f"{service}-ingest"
        request = {"functionName": function, "statementId": "AllowS3Invoke", "action": "lambda:InvokeFunction",
                   "principal": "s3.amazonaws.com", "sourceAccount": account,
                   "sourceArn": f"arn:aws:s3:::{service}-uploads-{account}"}  # fmt: skip
        changes = [("lambda.amazonaws.com", "AddPermission20150331v2", request, None)]
    else:
        client = f"{ctx.rng.randrange(10**11, 10**12)}-{ctx.ids.lower_alnum(32)}.apps.googleusercontent.com"
        trust = _text({"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
                       "Action": "sts:AssumeRoleWithWebIdentity",
                       "Condition": {"StringEquals": {"accounts.google.com:aud": client}}})  # fmt: skip
        changes = [("iam.amazonaws.com", "UpdateAssumeRolePolicy",
                    {"roleName": f"{service}-web-signin", "policyDocument": trust}, None)]  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)


def codebuild_upkeep(ctx: Context, start: datetime) -> list[Record]:
    """The platform team's Terraform in the CI/CD account raises a CodeBuild project's timeout
    or describes it, or starts its nightly build on a larger machine: no buildspec, source,
    image or role changed."""
    clock = Clock(ctx.rng, start)
    cicd = ctx.org.one("cicd")
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply", cicd)
    project = ctx.rng.choice(["integration-tests", "release", "docs-site"])
    if ctx.chance(0.5):
        request: dict[str, Any] = {"name": project, "timeoutInMinutes": ctx.rng.choice([60, 90, 120]),
                                   "description": f"{project} builds"}  # fmt: skip
        change: Change = ("codebuild.amazonaws.com", "UpdateProject", request, None)
    else:
        request = {"projectName": project, "computeTypeOverride": "BUILD_GENERAL1_LARGE",
                   "timeoutInMinutesOverride": 120}  # fmt: skip
        change = ("codebuild.amazonaws.com", "StartBuild", request, None)
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])


__all__ = ["codebuild_upkeep", "own_service_grants"]
