"""Runbooks, data lake grants, replicas and links handed to fellow accounts: the routine
look-alikes of the sharing rules (siem-ssm-document-shared, and the Systems Manager, Lake
Formation, Glue, Redshift Serverless, CodeArtifact, SES, private CA, EFS replication, DLM,
OAM link and endpoint service items of siem-resource-policy-grants-outside,
siem-data-copied-to-other-account, siem-logs-delivered-to-other-account and
siem-network-joined-to-outside-account).

An organization shares with its own accounts every week: the platform team's Terraform in
the shared services account shares its patching and bootstrap runbooks (Command and
Automation documents) with workload accounts by id (``ModifyDocumentPermission``, sometimes
withdrawing a retired account) and the golden AMI's parameter with a fellow account
(Systems Manager ``PutResourcePolicy``); a producer account of the data lake grants the
central catalog (the shared services account) its database with grant option (Lake
Formation ``GrantPermissions`` to an account id), its own analytics role a table
(``BatchGrantPermissions``), and lets the central account read its Data Catalog (Glue
``PutResourcePolicy``); a production account replicates its file system to its disaster
recovery copy in the log archive account (EFS ``CreateReplicationConfiguration``, the
destination by ARN) and shares its volumes' snapshots with it (DLM
``CreateLifecyclePolicy`` share rules), links its logs and metrics to the security tooling
account's monitoring sink (OAM ``CreateLink``), lets the log archive account restore its
warehouse snapshot (Redshift Serverless ``PutResourcePolicy``) and the shared services
account's mailer send as its domain (SES ``PutIdentityPolicy``); the network account opens
its endpoint service to a fellow account (``ModifyVpcEndpointServicePermissions``), the
security tooling account its private CA (``acm-pca`` ``PutPolicy``), and the CI/CD
account's CodeArtifact domain is readable by the organization (``aws:PrincipalOrgID``).
With the accounts directory none alerts; without it the fellow account is another account
and every share by account id alerts (the organization-pinned domain policy, a withdrawn
share and grants to the account's own role never do).
Shapes follow botocore's models as CloudTrail logs them (the members with the first letter
lower-case, Lake Formation's and EFS's REST bodies too; EC2's newer calls wrapped in
``<Operation>Request`` with the API's member names, a list item as ``{tag, content}``),
the same shapes as the rules' tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.exposure import _wrapped
from demo.benign.org import HOME_REGION, ORG_ID, Account
from demo.benign.pipelines import Change, _terraform_session, terraform_writes

SSM = "ssm.amazonaws.com"
LAKE_FORMATION = "lakeformation.amazonaws.com"
GLUE = "glue.amazonaws.com"
EFS = "elasticfilesystem.amazonaws.com"
OAM = "oam.amazonaws.com"
REDSHIFT_SERVERLESS = "redshift-serverless.amazonaws.com"
CODEARTIFACT = "codeartifact.amazonaws.com"
DLM = "dlm.amazonaws.com"
SES = "ses.amazonaws.com"
PRIVATE_CA = "acm-pca.amazonaws.com"


def _policy(principal: Any, actions: list[str], resource: str, condition: Any = None) -> str:
    """A resource policy as JSON text: one ``Allow`` statement."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": actions,
        "Resource": resource,
    }
    if condition is not None:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _apply(ctx: Context, start: datetime, target: Account, changes: list[Change]) -> list[Record]:
    """The CI runner's Terraform applies one or two of ``changes`` in ``target``."""
    clock = Clock(ctx.rng, start)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    chosen = ctx.rng.sample(changes, ctx.rng.randint(1, min(2, len(changes))))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def ssm_document_sharing(ctx: Context, start: datetime) -> list[Record]:
    """The platform team's Terraform in the shared services account shares a runbook with two
    to four workload accounts by id, withdraws it from a retired account, or shares the
    golden AMI's parameter with a fellow account."""
    shared = ctx.org.one("shared")
    workloads = ctx.rng.sample(ctx.org.of_kind("prod", "nonprod"), ctx.rng.randint(2, 4))
    runbook = ctx.rng.choice(("platform-patch-baseline", "platform-bootstrap-agent", "platform-rotate-logs"))
    parameter = f"arn:aws:ssm:{HOME_REGION}:{shared.id}:parameter/platform/golden-ami/latest"
    reader = f"arn:aws:iam::{workloads[0].id}:root"
    changes: list[Change] = [
        (SSM, "ModifyDocumentPermission",
         {"name": runbook, "permissionType": "Share", "accountIdsToAdd": [account.id for account in workloads],
          "sharedDocumentVersion": "$DEFAULT"}, None),
        (SSM, "ModifyDocumentPermission",
         {"name": runbook, "permissionType": "Share", "accountIdsToRemove": [workloads[-1].id]}, None),
        (SSM, "PutResourcePolicy",
         {"resourceArn": parameter,
          "policy": _policy({"AWS": reader}, ["ssm:GetParameter", "ssm:GetParameters"], parameter)},
         {"policyId": ctx.hex(32), "policyHash": ctx.hex(64)}),
    ]  # fmt: skip
    return _apply(ctx, start, shared, changes)


def data_lake_grants(ctx: Context, start: datetime) -> list[Record]:
    """A producer account of the data lake (a production account) grants the central catalog
    (the shared services account) its database by account id with grant option, its own
    analytics role a table, and lets the central account read its Data Catalog."""
    producer = ctx.rng.choice(ctx.org.of_kind("prod"))
    central = ctx.org.one("shared").id
    database = f"{producer.name.replace('-', '_')}_sales"
    analytics = f"arn:aws:iam::{producer.id}:role/app/{producer.name}-analytics"
    catalog = f"arn:aws:glue:{HOME_REGION}:{producer.id}"
    changes: list[Change] = [
        (LAKE_FORMATION, "GrantPermissions",
         {"catalogId": producer.id, "principal": {"dataLakePrincipalIdentifier": central},
          "resource": {"database": {"catalogId": producer.id, "name": database}},
          "permissions": ["DESCRIBE"], "permissionsWithGrantOption": ["DESCRIBE"]}, None),
        (LAKE_FORMATION, "BatchGrantPermissions",
         {"catalogId": producer.id, "entries": [
             {"id": "central", "principal": {"dataLakePrincipalIdentifier": central},
              "resource": {"table": {"catalogId": producer.id, "databaseName": database, "tableWildcard": {}}},
              "permissions": ["SELECT", "DESCRIBE"], "permissionsWithGrantOption": ["SELECT", "DESCRIBE"]},
             {"id": "analytics", "principal": {"dataLakePrincipalIdentifier": analytics},
              "resource": {"table": {"catalogId": producer.id, "databaseName": database, "name": "orders"}},
              "permissions": ["SELECT"]},
         ]}, {"failures": []}),
        (GLUE, "PutResourcePolicy",
         {"policyInJson": _policy({"AWS": f"arn:aws:iam::{central}:root"}, ["glue:Get*", "glue:BatchGet*"], f"{catalog}:*"),
          "enableHybrid": "TRUE"}, {"policyHash": ctx.hex(32)}),
    ]  # fmt: skip
    return _apply(ctx, start, producer, changes)


def platform_links_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform: a production account's file system replicated to its copy
    in the log archive account, its snapshots shared with it, its telemetry linked to the
    security tooling account's sink, its warehouse snapshot made restorable by the log archive
    account, the shared services account's mailer let send as its domain; or the network
    account's endpoint service opened to a fellow account; or the security tooling account's
    private CA opened to a fellow account; or the CI/CD account's package domain opened to the
    organization."""
    draw = ctx.rng.random()
    if draw < 0.4:
        target = ctx.rng.choice(ctx.org.of_kind("prod"))
        changes = _workload_changes(ctx, target)
    elif draw < 0.6:
        target = ctx.org.one("security")
        fellow = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
        authority = f"arn:aws:acm-pca:{HOME_REGION}:{target.id}:certificate-authority/{ctx.ids.uuid()}"
        changes = [
            (PRIVATE_CA, "PutPolicy",
             {"resourceArn": authority,
              "policy": _policy({"AWS": fellow.id}, ["acm-pca:IssueCertificate", "acm-pca:GetCertificate",
                                                  "acm-pca:DescribeCertificateAuthority"], authority)}, None),
        ]  # fmt: skip
    elif draw < 0.8:
        target = ctx.org.one("network")
        fellow = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
        service = f"vpce-svc-0{ctx.hex(16)}"
        changes = [
            _wrapped("ModifyVpcEndpointServicePermissions",
                     {"ServiceId": service, "AddAllowedPrincipals": {"tag": 1, "content": f"arn:aws:iam::{fellow.id}:root"}},
                     {"return": True}, ctx),
        ]  # fmt: skip
    else:
        target = ctx.org.one("cicd")
        domain = "platform"
        changes = [
            (CODEARTIFACT, "PutDomainPermissionsPolicy",
             {"domain": domain, "domainOwner": target.id,
              "policyDocument": _policy("*", ["codeartifact:GetAuthorizationToken", "codeartifact:ReadFromRepository"], "*",
                                        {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})},
             {"policy": {"resourceArn": f"arn:aws:codeartifact:{HOME_REGION}:{target.id}:domain/{domain}",
                         "revision": ctx.hex(44)}}),
        ]  # fmt: skip
    return _apply(ctx, start, target, changes)


def _workload_changes(ctx: Context, account: Account) -> list[Change]:
    archive = ctx.org.one("log-archive").id
    security = ctx.org.one("security").id
    source, copy = f"fs-0{ctx.hex(16)}", f"fs-0{ctx.hex(16)}"
    role = f"arn:aws:iam::{account.id}:role/platform/efs-replication"
    sink = f"arn:aws:oam:{HOME_REGION}:{security}:sink/{ctx.ids.uuid()}"
    snapshot = f"arn:aws:redshift-serverless:{HOME_REGION}:{account.id}:snapshot/{ctx.ids.uuid()}"
    types = ["AWS::Logs::LogGroup", "AWS::CloudWatch::Metric", "AWS::XRay::Trace"]
    domain = f"{account.name}.example.com"
    mailer = f"arn:aws:iam::{ctx.org.one('shared').id}:role/app/notifications-mailer"
    schedule = {
        "name": "nightly",
        "createRule": {"interval": 24, "intervalUnit": "HOURS", "times": ["03:00"]},
        "retainRule": {"count": 7},
        "shareRules": [{"targetAccounts": [archive]}],
    }
    return [
        (DLM, "CreateLifecyclePolicy",
         {"executionRoleArn": f"arn:aws:iam::{account.id}:role/service-role/AWSDataLifecycleManagerDefaultRole",
          "description": "nightly volumes, shared with the log archive", "state": "ENABLED",
          "policyDetails": {"policyType": "EBS_SNAPSHOT_MANAGEMENT", "resourceTypes": ["VOLUME"],
                            "targetTags": [{"key": "backup", "value": "nightly"}], "schedules": [schedule]}},
         {"policyId": f"policy-0{ctx.hex(16)}"}),
        (SES, "PutIdentityPolicy",
         {"identity": domain, "policyName": "notifications-mailer",
          "policy": _policy({"AWS": mailer}, ["ses:SendEmail", "ses:SendRawEmail"],
                            f"arn:aws:ses:{HOME_REGION}:{account.id}:identity/{domain}")}, None),
        (EFS, "CreateReplicationConfiguration",
         {"sourceFileSystemId": source, "destinations": [
             {"region": "us-west-2", "fileSystemId": f"arn:aws:elasticfilesystem:us-west-2:{archive}:file-system/{copy}",
              "roleArn": role}]},
         {"sourceFileSystemId": source, "sourceFileSystemRegion": HOME_REGION,
          "sourceFileSystemArn": f"arn:aws:elasticfilesystem:{HOME_REGION}:{account.id}:file-system/{source}",
          "sourceFileSystemOwnerId": account.id,
          "destinations": [{"status": "ENABLING", "fileSystemId": copy, "region": "us-west-2", "ownerId": archive,
                            "roleArn": role}]}),
        (OAM, "CreateLink",
         {"labelTemplate": "$AccountName", "resourceTypes": types, "sinkIdentifier": sink},
         {"arn": f"arn:aws:oam:{HOME_REGION}:{account.id}:link/{ctx.ids.uuid()}", "label": account.name,
          "labelTemplate": "$AccountName", "resourceTypes": types, "sinkArn": sink}),
        (REDSHIFT_SERVERLESS, "PutResourcePolicy",
         {"resourceArn": snapshot,
          "policy": _policy({"AWS": [archive]}, ["redshift-serverless:RestoreFromSnapshot"], snapshot)},
         {"resourcePolicy": {"resourceArn": snapshot}}),
    ]  # fmt: skip
