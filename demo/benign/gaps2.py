"""The routine look-alikes of the grants the rules read since the second sweep
(docs/detections.md, "Every call that can grant another account"): EKS access entries, the
security services' administrator accepted, Lake Formation's data lake settings, Q Business
data accessors, API Gateway resource policies, FPGA image and FSx access point shares.

The CI runner's Terraform gives a workload's EKS cluster to the account's own node and
platform roles and to the security account's incident response role (a fellow account by
id); a workload account's baseline accepts the security tooling account as the administrator
of GuardDuty, Security Hub, Macie and Detective (invitation-based membership: the security
account first creates and invites its members); the data platform writes its lake's settings
(its own administrators, ``IAM_ALLOWED_PRINCIPALS`` defaults, the shared services account
trusted as a resource owner), lets the shared services account's internal assistant read a Q
Business application and attaches an S3 access point to an FSx volume for its own analytics
role; a service team creates a private REST API with AWS's private API policy (``*`` denied
unless through its VPC endpoints, one of them the network account's), narrows a regional
API to the office's addresses or lets a fellow account's role call it; the media team lets
the non-production account load its FPGA image. Fellow accounts by id are silent with the
accounts directory and alert without it. Shapes follow botocore's models as CloudTrail logs
them: member names with the first letter lower-case (GuardDuty's ``locationName``s, Security
Hub's and Detective's members as sent), policies as JSON text.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from datetime import datetime

from demo.benign.calls import Clock, Context, Record
from demo.benign.grantrules import _text
from demo.benign.org import HOME_REGION, ORG_ID, Account
from demo.benign.pipelines import Change, _terraform_session, terraform_writes

CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CLUSTER_VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def _workload(ctx: Context) -> Account:
    return ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))


def cluster_access_entries(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform gives a workload's cluster to its node role and platform
    administrators, and lets the security account's incident responders view it."""
    clock = Clock(ctx.rng, start)
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    cluster = target.name.split("-", 1)[-1]
    own = f"arn:aws:iam::{target.id}:role"
    responders = f"arn:aws:iam::{ctx.org.one('security').id}:role/incident-response"
    changes: list[Change] = [
        ("eks.amazonaws.com", "CreateAccessEntry",
         {"clusterName": cluster, "principalArn": f"{own}/{target.name}-nodes", "type": "EC2_LINUX"}, None),
        ("eks.amazonaws.com", "CreateAccessEntry",
         {"clusterName": cluster, "principalArn": f"{own}/platform-admin", "type": "STANDARD"}, None),
        ("eks.amazonaws.com", "AssociateAccessPolicy",
         {"clusterName": cluster, "principalArn": f"{own}/platform-admin", "policyArn": CLUSTER_ADMIN,
          "accessScope": {"type": "cluster"}}, None),
        ("eks.amazonaws.com", "CreateAccessEntry",
         {"clusterName": cluster, "principalArn": responders, "type": "STANDARD", "kubernetesGroups": ["viewers"]},
         None),
        ("eks.amazonaws.com", "AssociateAccessPolicy",
         {"clusterName": cluster, "principalArn": responders, "policyArn": CLUSTER_VIEW,
          "accessScope": {"type": "cluster"}}, None),
    ]  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)


def security_administrator_accepted(ctx: Context, start: datetime) -> list[Record]:
    """The security account's Terraform creates and invites a workload account as a member of
    GuardDuty and Security Hub; the workload's baseline then accepts the security account as
    administrator of GuardDuty, Security Hub, Macie and Detective."""
    clock = Clock(ctx.rng, start)
    security = ctx.org.one("security")
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", security)
    detector = ctx.hex(32)
    records += terraform_writes(ctx, clock, identity, security, ip, [
        ("guardduty.amazonaws.com", "CreateMembers",
         {"detectorId": detector, "accountDetails": [{"accountId": target.id, "email": "HIDDEN_DUE_TO_SECURITY_REASONS"}]},
         {"unprocessedAccounts": []}),
        ("guardduty.amazonaws.com", "InviteMembers",
         {"detectorId": detector, "accountIds": [target.id], "disableEmailNotification": True},
         {"unprocessedAccounts": []}),
        ("securityhub.amazonaws.com", "InviteMembers", {"AccountIds": [target.id]}, {"UnprocessedAccounts": []}),
    ])  # fmt: skip
    more, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    graph = f"arn:aws:detective:{HOME_REGION}:{security.id}:graph:{ctx.hex(32)}"
    changes: list[Change] = [
        ("guardduty.amazonaws.com", "AcceptAdministratorInvitation",
         {"detectorId": ctx.hex(32), "administratorId": security.id, "invitationId": ctx.hex(32)}, None),
        ("securityhub.amazonaws.com", "AcceptAdministratorInvitation",
         {"AdministratorId": security.id, "InvitationId": ctx.hex(32)}, None),
        ("macie2.amazonaws.com", "AcceptInvitation",
         {"administratorAccountId": security.id, "invitationId": ctx.hex(32)}, None),
        ("detective.amazonaws.com", "AcceptInvitation", {"GraphArn": graph}, None),
    ]  # fmt: skip
    return records + more + terraform_writes(ctx, clock, identity, target, ip, changes)


def data_platform_access(ctx: Context, start: datetime) -> list[Record]:
    """The data platform's Terraform writes two or three of: its lake's settings (its own
    administrators and auditor, the shared services account trusted as a resource owner), a Q
    Business application's permission for the shared services account's assistant, an S3
    access point on an FSx volume for its own analytics role."""
    clock = Clock(ctx.rng, start)
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    own = f"arn:aws:iam::{target.id}:role"
    shared = ctx.org.one("shared").id
    name = target.name.split("-", 1)[-1]
    access_point = f"arn:aws:s3:{HOME_REGION}:{target.id}:accesspoint/{name}-research"
    defaults = [
        {"principal": {"dataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "permissions": ["ALL"]}
    ]
    changes: list[Change] = [
        ("lakeformation.amazonaws.com", "PutDataLakeSettings",
         {"dataLakeSettings": {
             "dataLakeAdmins": [{"dataLakePrincipalIdentifier": f"{own}/lake-admin"},
                                {"dataLakePrincipalIdentifier": f"{own}/{target.name}-etl"}],
             "readOnlyAdmins": [{"dataLakePrincipalIdentifier": f"{own}/auditor"}],
             "createDatabaseDefaultPermissions": defaults, "createTableDefaultPermissions": defaults,
             "trustedResourceOwners": [shared], "allowExternalDataFiltering": False,
             "externalDataFilteringAllowList": []}}, None),
        ("qbusiness.amazonaws.com", "AssociatePermission",
         {"applicationId": ctx.ids.uuid(), "statementId": "internal-assistant",
          "actions": ["qbusiness:SearchRelevantContent"],
          "principal": f"arn:aws:iam::{shared}:role/internal-assistant"}, {"statement": "internal-assistant"}),
        ("fsx.amazonaws.com", "CreateAndAttachS3AccessPoint",
         {"clientRequestToken": ctx.ids.uuid(), "name": f"{name}-research", "type": "OPENZFS",
          "openZFSConfiguration": {"volumeId": f"fsvol-{ctx.hex(17)}",
                                   "fileSystemIdentity": {"type": "POSIX", "posixUser": {"uid": 1001, "gid": 1001}}},
          "s3AccessPoint": {"policy": _text(
              {"Effect": "Allow", "Principal": {"AWS": f"{own}/{target.name}-analytics"},
               "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [access_point, f"{access_point}/object/*"]})}},
         None),
    ]  # fmt: skip
    picked = ctx.rng.sample(changes, ctx.rng.randint(2, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, picked)


def api_policies(ctx: Context, start: datetime) -> list[Record]:
    """A service team's Terraform creates a private REST API with AWS's private API policy
    (everyone denied unless through its own or the network account's VPC endpoint), narrows a
    regional API to the office's addresses, or lets a fellow account's role call it."""
    clock = Clock(ctx.rng, start)
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    name = target.name.split("-", 1)[-1]
    endpoints = [f"vpce-{ctx.hex(17)}", f"vpce-{ctx.hex(17)}"]
    invoke = {"Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    private = _text(
        {"Effect": "Deny", "Principal": "*", **invoke,
         "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoints}}},
        {"Effect": "Allow", "Principal": "*", **invoke},
    )  # fmt: skip
    offices = _text(
        {"Effect": "Allow", "Principal": "*", **invoke,
         "Condition": {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.0/25"]}}},
    )  # fmt: skip
    caller = ctx.rng.choice([account for account in ctx.org.of_kind("prod") if account.id != target.id])
    fellow = _text(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{caller.id}:role/{caller.name}-app"}, **invoke},
        {"Effect": "Allow", "Principal": "*", **invoke, "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}},
    )  # fmt: skip
    rest_api = ctx.hex(10)
    changes: list[Change] = [
        ("apigateway.amazonaws.com", "CreateRestApi",
         {"name": f"{name}-internal", "endpointConfiguration": {"types": ["PRIVATE"], "vpcEndpointIds": endpoints},
          "policy": private}, None),
        ("apigateway.amazonaws.com", "UpdateRestApi",
         {"restApiId": rest_api, "patchOperations": [{"op": "replace", "path": "/policy", "value": offices}]}, None),
        ("apigateway.amazonaws.com", "UpdateRestApi",
         {"restApiId": rest_api, "patchOperations": [{"op": "replace", "path": "/policy", "value": fellow},
                                                     {"op": "replace", "path": "/description", "value": caller.id}]},
         None),
    ]  # fmt: skip
    picked = ctx.rng.sample(changes, ctx.rng.randint(1, 2))
    return records + terraform_writes(ctx, clock, identity, target, ip, picked)


def fpga_image_share(ctx: Context, start: datetime) -> list[Record]:
    """The media team's Terraform lets a non-production account load its video encoder's FPGA
    image (a fellow account by id), and renames it."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    image = f"afi-{ctx.hex(17)}"
    tester = ctx.rng.choice(ctx.org.of_kind("nonprod"))
    changes: list[Change] = [
        ("ec2.amazonaws.com", "ModifyFpgaImageAttribute",
         {"fpgaImageId": image, "attribute": "loadPermission",
          "loadPermission": {"add": {"items": [{"userId": tester.id}]}}}, None),
        ("ec2.amazonaws.com", "ModifyFpgaImageAttribute",
         {"fpgaImageId": image, "name": f"video-encoder-{ctx.rng.randint(2, 9)}"}, None),
    ]  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)
