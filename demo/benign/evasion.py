"""Policies in the spellings the policy rules now read as IAM does: the routine look-alikes of
the evasions siem-iam-policy-grants-escalation and siem-iam-admin-policy-attached catch.

The rules read a resource pattern as IAM matches it (a wildcard region, a trailing ``*`` past
the colons, a type left to a wildcard) and action patterns with any number of wildcards. A
well-run organization writes such spellings too, on some resources only or for actions that
escalate nothing: the CI runner's Terraform puts a service's deploy role a policy generated
by a module that writes every ARN with a wildcard region (``arn:aws:iam:*:<account>:role/<svc>-*``)
and its read and tagging actions as wildcard patterns (``iam:Get*``, ``iam:*Tag*``), held to
boundaries named by a wildcard under the organization's path
(``arn:aws:iam::<account>:policy/boundaries/workload-*``). Shapes follow botocore's IAM model
as CloudTrail logs it (members with the first letter lower-case, the policy as JSON text).

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime

from demo.benign.calls import Clock, Context, Record
from demo.benign.pipelines import Change, _terraform_session, terraform_writes

IAM = "iam.amazonaws.com"


def _module_policy(account: str, service: str) -> str:
    """What the organization's IAM module generates for a service's deploy role."""
    roles = f"arn:aws:iam:*:{account}:role/{service}-*"
    boundary = f"arn:aws:iam::{account}:policy/boundaries/workload-*"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "OwnRoles", "Effect": "Allow",
                 "Action": ["iam:Put*Policy", "iam:Attach*Policy", "iam:Detach*Policy", "iam:*Tag*",
                            "iam:UpdateAssumeRolePolicy"],
                 "Resource": [roles, f"arn:aws:iam:*:{account}:instance-profile/{service}-*"]},
                {"Sid": "BoundedRoles", "Effect": "Allow", "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
                 "Resource": "*", "Condition": {"ArnLike": {"iam:PermissionsBoundary": boundary}}},
                {"Sid": "Read", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:*Simulat*"],
                 "Resource": "*"},
            ],
        },
        indent=2,
    )  # fmt: skip


def iam_module_policies(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform writes a service deploy role's module-generated policy:
    wildcard-region ARNs of the service's own roles, wildcard actions, a wildcard boundary."""
    clock = Clock(ctx.rng, start)
    records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply")
    service = f"{target.name.split('-', 1)[-1]}-svc"
    request = {"roleName": f"{service}-deploy", "policyName": "iam-module",
               "policyDocument": _module_policy(target.id, service)}  # fmt: skip
    change: Change = (IAM, "PutRolePolicy", request, None)
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])
