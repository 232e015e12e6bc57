"""Administrator grants made routinely: the look-alikes of siem-iam-admin-policy-attached.

Identity Center provisioning a permission set into a member account is the one routine
attachment of AdministratorAccess: its service-linked role (AWSServiceRoleForSSO, which only
Identity Center can assume; ``sourceIPAddress`` and ``userAgent`` ``sso.amazonaws.com``)
creates the ``AWSReservedSSO_<permission set>_<hash>`` role under
``/aws-reserved/sso.amazonaws.com/`` and attaches the permission set's managed policies to it,
AdministratorAccess for the platform team's. Creating a customer managed policy is routine
too: the CI runner's Terraform creates a scoped policy for a new service and attaches it to
the service's role (a customer policy ARN). Shapes follow botocore's IAM model as CloudTrail
logs it (``policyDocument`` and ``assumeRolePolicyDocument`` as JSON text).

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.org import HOME_REGION, service_linked_role
from demo.benign.pipelines import _terraform_session, terraform_writes
from demo.ids import cloudtrail_response_date
from demo.records import cloudtrail as ct

IAM = "iam.amazonaws.com"
SSO = "sso.amazonaws.com"
AWS_POLICY = "arn:aws:iam::aws:policy/"
PERMISSION_SETS = {
    "AdministratorAccess": ["AdministratorAccess"],
    "PowerUserAccess": ["PowerUserAccess"],
    "SecurityAudit": ["SecurityAudit", "ReadOnlyAccess"],
    "ReadOnlyAccess": ["ReadOnlyAccess"],
}
"""The organization's permission sets and the AWS managed policies each holds."""


def sso_provisioning(ctx: Context, start: datetime) -> list[Record]:
    """Identity Center provisions a permission set into a member account (after an assignment
    there): its service-linked role creates the permission set's role, trusting the account's
    Identity Center SAML provider, and attaches the permission set's managed policies."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod", "sandbox"))
    permission_set = ctx.rng.choice(list(PERMISSION_SETS))
    role = ctx.org.sso_role(account, permission_set)
    session = ctx.org.session(
        service_linked_role(account, SSO, "AWSServiceRoleForSSO"), "AWS-SSO", clock.tick()
    )
    identity = ct.assumed_role(session)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": ctx.org.sso_provider_arn(account)},
                    "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                }
            ],
        }
    )
    created = clock.tick(1, 5)
    calls: list[tuple[str, Any, Any]] = [
        (
            "CreateRole",
            {"roleName": role.name, "path": role.path, "assumeRolePolicyDocument": trust, "maxSessionDuration": 43200},
            {"role": {"path": role.path, "roleName": role.name, "roleId": role.id,
                      "arn": role.arn,
                      "createDate": cloudtrail_response_date(created), "assumeRolePolicyDocument": trust,
                      "maxSessionDuration": 43200}},
        ),
        *(
            ("AttachRolePolicy", {"roleName": role.name, "policyArn": AWS_POLICY + policy}, None)
            for policy in PERMISSION_SETS[permission_set]
        ),
    ]  # fmt: skip
    return [
        ctx.call(
            identity, created if name == "CreateRole" else clock.tick(0.5, 3), IAM, name,
            account=account.id, ip=SSO, agent=SSO, read_only=False, request=request, response=response,
        )
        for name, request, response in calls
    ]  # fmt: skip


def scoped_policy_created(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform creates a scoped customer managed policy for a new service
    (its queue and its bucket) and attaches it to the service's role."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    service = f"{target.name}-svc-{ctx.hex(4)}"
    name = f"{service}-access"
    arn = f"arn:aws:iam::{target.id}:policy/{name}"
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                 "Resource": f"arn:aws:sqs:{HOME_REGION}:{target.id}:{service}-jobs"},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                 "Resource": f"arn:aws:s3:::{service}-{target.id}/*"},
            ],
        }
    )  # fmt: skip
    created = cloudtrail_response_date(clock.now)
    changes: list[tuple[str, str, Any, Any]] = [
        (IAM, "CreatePolicy", {"policyName": name, "path": "/", "policyDocument": document},
         {"policy": {"policyName": name, "policyId": "ANPA" + ctx.hex(17).upper(), "arn": arn, "path": "/",
                     "defaultVersionId": "v1", "attachmentCount": 0, "permissionsBoundaryUsageCount": 0,
                     "isAttachable": True, "createDate": created, "updateDate": created}}),
        (IAM, "AttachRolePolicy", {"roleName": f"{service}-task", "policyArn": arn}, None),
    ]  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)
