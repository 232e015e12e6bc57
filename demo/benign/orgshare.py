"""Sharing inside the organization: the routine look-alikes of the share and grant rules once
"outside" means outside the organization, and of the administrator-policy rules.

An organization shares with its own accounts every week: the shared services account shares
its golden image with the workload accounts by id (``ModifyImageAttribute``), a production
account shares an EBS snapshot and an RDS snapshot with the log archive account, which keeps
the backups (``ModifySnapshotAttribute``, ``ModifyDBSnapshotAttribute`` /
``ModifyDBClusterSnapshotAttribute``); its stacks write bucket and key policies open to
``*`` but pinned to the organization (``aws:PrincipalOrgID`` naming our own id, or
``aws:PrincipalOrgPaths`` under it); and the security team gives its audit role, a customer
policy or a permission set read-only IAM access (``iam:Get*``, ``iam:List*``), never
``iam:*``. With the accounts directory (its accounts and ``organization_id``) none alerts.
Shapes follow botocore's models as CloudTrail logs them (EC2's query members as
``launchPermission`` / ``createVolumePermission`` ``add.items``, RDS's and IAM's members with
the first letter lower-case, policies as JSON text, S3's bucket policy as an object), the
same shapes as the rules' tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import CONSOLE, Clock, Context, Record
from demo.benign.grantrules import _cfn_executor
from demo.benign.idbackdoor import INSTANCE_ARN, INSTANCE_ID, SSO
from demo.benign.org import HOME_REGION, ORG_ID
from demo.benign.people import _identity_center, _pick_person
from demo.benign.pipelines import _terraform_session, terraform_writes
from demo.records import cloudtrail as ct

ROOT_ID = "r-a1b2"
"""The corpus organization's root (``aws:PrincipalOrgPaths`` values: ``<org id>/<root>/<ou>/``)."""
WORKLOADS_OU = "ou-a1b2-w0rk1oad"

IAM_READ_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "IamReadOnly",
                "Effect": "Allow",
                "Action": ["iam:Get*", "iam:List*", "iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails"],
                "Resource": "*",
            },
            {"Sid": "AccessAnalyzerRead", "Effect": "Allow", "Action": ["access-analyzer:List*", "access-analyzer:Get*"], "Resource": "*"},
        ],
    },
    separators=(",", ":"),
)  # fmt: skip
"""The security team's IAM review policy: every IAM read, no IAM write."""


def fellow_account_shares(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform shares with fellow accounts by id: the shared services
    account's golden image with workload accounts, or a production account's EBS or RDS
    snapshot with the log archive account (the organization's backups)."""
    clock = Clock(ctx.rng, start)
    archive = ctx.org.one("log-archive")
    choice = ctx.rng.randrange(3)
    target = ctx.org.one("shared") if choice == 0 else ctx.rng.choice(ctx.org.of_kind("prod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    ec2_response = {"requestId": ctx.ids.uuid(), "_return": True}
    change: tuple[str, str, Any, Any]
    if choice == 0:
        members = ctx.rng.sample(ctx.org.of_kind("prod", "nonprod"), ctx.rng.randint(1, 5))
        items = [{"userId": account.id} for account in members]
        request = {"imageId": f"ami-{ctx.hex(17)}", "attributeType": "launchPermission",
                   "launchPermission": {"add": {"items": items}}}  # fmt: skip
        change = ("ec2.amazonaws.com", "ModifyImageAttribute", request, ec2_response)
    elif choice == 1:
        request = {"snapshotId": f"snap-{ctx.hex(17)}", "attributeType": "CREATE_VOLUME_PERMISSION",
                   "createVolumePermission": {"add": {"items": [{"userId": archive.id}]}}}  # fmt: skip
        change = ("ec2.amazonaws.com", "ModifySnapshotAttribute", request, ec2_response)
    else:
        database = target.databases[0]
        cluster = ctx.chance(0.5)
        kind = "dBClusterSnapshotIdentifier" if cluster else "dBSnapshotIdentifier"
        snapshot = f"{database}-{start:%Y-%m-%d}"
        request = {kind: snapshot, "attributeName": "restore", "valuesToAdd": [archive.id]}
        attributes = "dBClusterSnapshotAttributes" if cluster else "dBSnapshotAttributes"
        response = {
            kind: snapshot,
            attributes: [{"attributeName": "restore", "attributeValues": [archive.id]}],
        }
        name = "ModifyDBClusterSnapshotAttribute" if cluster else "ModifyDBSnapshotAttribute"
        change = ("rds.amazonaws.com", name, request, response)
    return records + terraform_writes(ctx, clock, identity, target, ip, [change])


def organization_pinned_policies(ctx: Context, start: datetime) -> list[Record]:
    """A platform stack (CloudFormation) opens the shared services account's artifact bucket
    to the organization (``Principal: *``, ``aws:PrincipalOrgID`` our id) and its artifact
    key to the workload OU (``aws:PrincipalOrgPaths`` under our id)."""
    clock = Clock(ctx.rng, start)
    owner = ctx.org.one("shared")
    records, executor = _cfn_executor(ctx, clock, owner)
    bucket = owner.buckets[0]
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "organization reads artifacts", "Effect": "Allow", "Principal": "*",
                       "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{bucket}/*",
                       "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}],
    }  # fmt: skip
    key_policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{owner.id}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "workload OU decrypts artifacts", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
             "Condition": {"ForAnyValue:StringLike": {
                 "aws:PrincipalOrgPaths": f"{ORG_ID}/{ROOT_ID}/{WORKLOADS_OU}/*"}}},
        ]},
        separators=(",", ":"),
    )  # fmt: skip
    key_arn = f"arn:aws:kms:{HOME_REGION}:{owner.id}:key/{ctx.ids.uuid()}"
    changes: list[tuple[str, str, Any]] = [
        ("s3.amazonaws.com", "PutBucketPolicy",
         {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "policy": "", "bucketPolicy": bucket_policy}),
        ("kms.amazonaws.com", "PutKeyPolicy",
         {"keyId": key_arn, "policyName": "default", "policy": key_policy, "bypassPolicyLockoutSafetyCheck": False}),
    ]  # fmt: skip
    for source, name, request in ctx.rng.sample(changes, ctx.rng.randint(1, 2)):
        cfn = "cloudformation.amazonaws.com"
        records.append(
            ctx.call(executor, clock.tick(1, 20), source, name, account=owner.id, ip=cfn, agent=cfn,
                     read_only=False, request=request)
        )  # fmt: skip
    return records


def iam_read_only_grants(ctx: Context, start: datetime) -> list[Record]:
    """The security team gives IAM read access (``iam:Get*``, ``iam:List*`` on ``*``): the CI
    runner's Terraform puts it inline on the audit role or creates it as a customer policy in
    the security account, or a platform engineer puts it on the auditors' permission set."""
    clock = Clock(ctx.rng, start)
    choice = ctx.rng.randrange(3)
    if choice < 2:
        security = ctx.org.one("security")
        records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", security)
        change: tuple[str, str, Any, Any]
        if choice == 0:
            request = {
                "roleName": "security-audit",
                "policyName": "iam-review",
                "policyDocument": IAM_READ_ONLY,
            }
            change = ("iam.amazonaws.com", "PutRolePolicy", request, None)
        else:
            policy_id = f"ANPA{ctx.ids.mixed_alnum(17).upper()}"
            request = {"policyName": "iam-review", "path": "/security/", "policyDocument": IAM_READ_ONLY}
            response = {"policy": {"policyName": "iam-review", "policyId": policy_id,
                                   "arn": f"arn:aws:iam::{security.id}:policy/security/iam-review",
                                   "path": "/security/", "defaultVersionId": "v1", "attachmentCount": 0,
                                   "isAttachable": True}}  # fmt: skip
            change = ("iam.amazonaws.com", "CreatePolicy", request, response)
        return records + terraform_writes(ctx, clock, identity, security, ip, [change])
    admin = _pick_person(ctx, "platform")
    management = ctx.org.management
    records, session = _identity_center(ctx, clock, admin, management, console=True)
    request = {"instanceArn": INSTANCE_ARN, "inlinePolicy": IAM_READ_ONLY,
               "permissionSetArn": f"arn:aws:sso:::permissionSet/{INSTANCE_ID}/ps-{ctx.hex(16)}"}  # fmt: skip
    records.append(
        ctx.call(ct.assumed_role(session), clock.tick(3, 30), SSO, "PutInlinePolicyToPermissionSet",
                 account=management.id, ip=admin.address, agent=CONSOLE, request=request)
    )  # fmt: skip
    return records
