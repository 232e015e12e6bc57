"""IAM delegated to pipelines and compute given its roles: the routine look-alikes of the
privilege escalation rules (siem-iam-policy-grants-escalation, siem-iam-self-escalation,
siem-passrole-compute-first-use).

A pipeline's role is given IAM writes every week, the safe way: a service stack's update
(CloudFormation, cfn-exec) or the CI runner's Terraform writes the service's deploy role a
policy that lets it create and write roles only under the organization's permissions
boundary (``iam:PermissionsBoundary``), write the service's own roles only (``role/<svc>-*``)
and pass two named roles (``iam:PassRole`` on their ARNs), or lets an operations role attach
only read-only managed policies (``iam:PolicyARN``). A platform engineer attaches
ReadOnlyAccess or SecurityAudit to another role from the console. The CI runner's Terraform
moves an instance to another instance profile (``ReplaceIamInstanceProfileAssociation``), and
the CI deploy role starts a shared CodeBuild project with a buildspec file of its repository
(``buildspecOverride``: a path). Users rotating their own access key are people's
``self-service-key``. Shapes follow botocore's models as CloudTrail logs them (IAM's members
with the first letter lower-case and policies as JSON text; EC2's newer calls wrapped in
``<Operation>Request`` with the API's own member names; CodeBuild's members as they are).

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import CLI, CONSOLE, Clock, Context, Record
from demo.benign.grantrules import _cfn_executor
from demo.benign.org import HOME_REGION, Account
from demo.benign.people import _identity_center, _pick_person
from demo.benign.pipelines import (
    Change,
    _github_session,
    _terraform_session,
    stack_changes,
    terraform_writes,
)
from demo.records import cloudtrail as ct

IAM = "iam.amazonaws.com"
AWS_POLICY = "arn:aws:iam::aws:policy/"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":"))


def _delegation(account: str, service: str) -> str:
    """A service deploy role's IAM: roles created and written only under the organization's
    boundary, the service's own roles written, two named roles passed to its tasks."""
    roles = f"arn:aws:iam::{account}:role/{service}-*"
    return _policy(
        {"Sid": "BoundedRoles", "Effect": "Allow",
         "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"],
         "Resource": "*",
         "Condition": {"StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{account}:policy/workload-boundary"}}},
        {"Sid": "ServiceRoles", "Effect": "Allow",
         "Action": ["iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
                    "iam:Get*", "iam:List*"],
         "Resource": roles},
        {"Sid": "PassTaskRoles", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": [f"arn:aws:iam::{account}:role/{service}-task", f"arn:aws:iam::{account}:role/{service}-execution"],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
    )  # fmt: skip


def _read_only_attacher() -> str:
    """An operations role that may attach only the read-only AWS managed policies."""
    return _policy(
        {"Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PolicyARN": [AWS_POLICY + "ReadOnlyAccess", AWS_POLICY + "SecurityAudit"]}}},
    )  # fmt: skip


def _deploy_role_policy(target: Account) -> Change:
    """The service deploy role's bounded IAM, inline (``PutRolePolicy``)."""
    service = f"{target.name.split('-', 1)[-1]}-svc"
    request = {"roleName": f"{service}-deploy", "policyName": "bounded-iam",
               "policyDocument": _delegation(target.id, service)}  # fmt: skip
    return (IAM, "PutRolePolicy", request, None)


def pipeline_iam_delegation(ctx: Context, start: datetime) -> list[Record]:
    """A service's deploy role is given bounded IAM: by its stack's update (CloudFormation) or by
    the CI runner's Terraform (an inline policy, or a customer policy for the operations role)."""
    clock = Clock(ctx.rng, start)
    choice = ctx.rng.randrange(3)
    if choice == 0:
        target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
        records, executor = _cfn_executor(ctx, clock, target)
        return records + stack_changes(ctx, executor, clock, target.id, [_deploy_role_policy(target)])
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    change: Change
    if choice == 1:
        change = _deploy_role_policy(target)
    else:
        name = "attach-read-only"
        arn = f"arn:aws:iam::{target.id}:policy/operations/{name}"
        request = {"policyName": name, "path": "/operations/", "policyDocument": _read_only_attacher()}
        response = {"policy": {"policyName": name, "policyId": f"ANPA{ctx.ids.mixed_alnum(17).upper()}",
                               "arn": arn, "path": "/operations/", "defaultVersionId": "v1", "attachmentCount": 0,
                               "permissionsBoundaryUsageCount": 0, "isAttachable": True}}  # fmt: skip
        change = (IAM, "CreatePolicy", request, response)
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])


def operator_read_only_attach(ctx: Context, start: datetime) -> list[Record]:
    """A platform engineer, in an account's console, attaches ReadOnlyAccess or SecurityAudit
    to an auditing or incident response role (not the engineer's own)."""
    clock = Clock(ctx.rng, start)
    engineer = _pick_person(ctx, "platform")
    account = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, session = _identity_center(ctx, clock, engineer, account, console=True)
    role = ctx.rng.choice(["incident-response", "external-auditor", "cost-explorer"])
    policy = AWS_POLICY + ctx.rng.choice(["ReadOnlyAccess", "SecurityAudit"])
    records.append(
        ctx.call(ct.assumed_role(session), clock.tick(5, 60), IAM, "AttachRolePolicy", account=account.id,
                 ip=engineer.address, agent=CONSOLE, read_only=False,
                 request={"roleName": role, "policyArn": policy})
    )  # fmt: skip
    return records


def compute_role_upkeep(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform moves an instance to another instance profile, or a GitHub
    Actions job starts the shared integration test project with its repository's buildspec."""
    clock = Clock(ctx.rng, start)
    if ctx.chance(0.5):
        records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
        profile = f"{target.name.split('-', 1)[-1]}-batch-worker"
        swap = {"ReplaceIamInstanceProfileAssociationRequest": {
            "IamInstanceProfile": {"Arn": f"arn:aws:iam::{target.id}:instance-profile/{profile}"},
            "AssociationId": f"iip-assoc-{ctx.hex(17)}"}}  # fmt: skip
        return records + terraform_writes(
            ctx,
            clock,
            identity,
            target,
            ip,
            [("ec2.amazonaws.com", "ReplaceIamInstanceProfileAssociation", swap, None)],
        )
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    runner_ip = f"192.0.2.{ctx.rng.randrange(10, 250)}"
    records, ci = _github_session(ctx, clock, target, runner_ip)
    cicd = ctx.org.one("cicd")
    build = f"integration-tests:{ctx.ids.uuid()}"
    request = {"projectName": "integration-tests", "sourceVersion": "refs/heads/main",
               "buildspecOverride": "ci/buildspec-integration.yml"}  # fmt: skip
    response = {"build": {"id": build, "arn": f"arn:aws:codebuild:{HOME_REGION}:{cicd.id}:build/{build}",
                          "buildStatus": "IN_PROGRESS", "projectName": "integration-tests",
                          "serviceRole": f"arn:aws:iam::{cicd.id}:role/ci/codebuild-integration-tests"}}  # fmt: skip
    records.append(
        ctx.call(ci, clock.tick(), "codebuild.amazonaws.com", "StartBuild", account=cicd.id, ip=runner_ip,
                 agent=CLI, read_only=False, request=request, response=response)
    )  # fmt: skip
    return records
