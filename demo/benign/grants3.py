"""The routine look-alikes of the grants the rules read since the third pass (docs/detections.md,
"Every call that can grant another account"): QuickSight permissions, DataZone environments
in the organization's accounts, queue and topic perimeters whose ``Deny`` names no
``Resource``, and image and snapshot shares in the flat form.

The BI team's Terraform shares a dashboard, a data set and a folder with the account's own
QuickSight groups and namespace, revokes a departed analyst's access and shares its template
with a fellow account's root (QuickSight's cross-account template sharing); the data
platform's domain account provisions DataZone environments and profiles in the organization's
workload accounts, authorizes the environment's own role on a subscription target, grants a
project the right to create projects and approves a subscription; a workload's Terraform
writes a queue's or a topic's perimeter, its ``Deny`` without ``Resource`` (the queue's or the
topic's); the platform team shares its golden image or a snapshot with a fellow account in
the flat form (``--operation-type add --user-ids``) and withdraws a share. Fellow accounts by
id are silent with the accounts directory and alert without it. Shapes follow botocore's
models as CloudTrail logs them: member names with the first letter lower-case (QuickSight's
and DataZone's rest-json members), EC2's lists in their ``items`` wrapper, policies as JSON
text.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from datetime import datetime

from demo.benign.calls import Clock, Context, Record
from demo.benign.grantrules import _text
from demo.benign.org import HOME_REGION, ORG_ID, Account
from demo.benign.pipelines import Change, _terraform_session, terraform_writes

DASHBOARD_READ = [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
]
SERVICE_EXCEPTION = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}


def _workload(ctx: Context) -> Account:
    return ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))


def _fellow(ctx: Context, target: Account) -> Account:
    return ctx.rng.choice(
        [account for account in ctx.org.of_kind("prod", "nonprod") if account.id != target.id]
    )


def bi_sharing(ctx: Context, start: datetime) -> list[Record]:
    """The BI team's Terraform shares two or three of: a dashboard with the account's sales
    group and, by link, its namespace; a data set with its analysts; a folder with the
    namespace; a departed analyst's access revoked; the report template with a fellow
    account's root."""
    clock = Clock(ctx.rng, start)
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    quicksight = f"arn:aws:quicksight:{HOME_REGION}:{target.id}"
    fellow = _fellow(ctx, target)
    changes: list[Change] = [
        ("quicksight.amazonaws.com", "UpdateDashboardPermissions",
         {"awsAccountId": target.id, "dashboardId": "sales-overview",
          "grantPermissions": [{"principal": f"{quicksight}:group/default/sales", "actions": DASHBOARD_READ}],
          "grantLinkPermissions": [{"principal": f"{quicksight}:namespace/default", "actions": DASHBOARD_READ}]},
         {"status": 200, "dashboardId": "sales-overview"}),
        ("quicksight.amazonaws.com", "UpdateDataSetPermissions",
         {"awsAccountId": target.id, "dataSetId": ctx.ids.uuid(),
          "grantPermissions": [{"principal": f"{quicksight}:group/default/analysts",
                                "actions": ["quicksight:DescribeDataSet", "quicksight:PassDataSet"]}]}, None),
        ("quicksight.amazonaws.com", "CreateFolder",
         {"awsAccountId": target.id, "folderId": "finance", "name": "Finance", "folderType": "SHARED",
          "permissions": [{"principal": f"{quicksight}:namespace/default", "actions": ["quicksight:DescribeFolder"]}]},
         None),
        ("quicksight.amazonaws.com", "UpdateAnalysisPermissions",
         {"awsAccountId": target.id, "analysisId": ctx.ids.uuid(),
          "revokePermissions": [{"principal": f"{quicksight}:user/default/former-analyst",
                                 "actions": ["quicksight:DescribeAnalysis", "quicksight:QueryAnalysis"]}]}, None),
        ("quicksight.amazonaws.com", "UpdateTemplatePermissions",
         {"awsAccountId": target.id, "templateId": "monthly-report",
          "grantPermissions": [{"principal": f"arn:aws:iam::{fellow.id}:root",
                                "actions": ["quicksight:DescribeTemplate"]}]}, None),
    ]  # fmt: skip
    picked = ctx.rng.sample(changes, ctx.rng.randint(2, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, picked)


def data_mesh_environments(ctx: Context, start: datetime) -> list[Record]:
    """The data platform's domain account (shared services) provisions a DataZone environment
    profile and environment in a workload account of the organization, authorizes that
    environment's own user role on its subscription target, lets a project create projects and
    grants a subscription to the environment."""
    clock = Clock(ctx.rng, start)
    domain_account = ctx.org.one("shared")
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", domain_account)
    domain = f"dzd_{ctx.hex(14)}"
    project, environment = ctx.hex(14), ctx.hex(14)
    changes: list[Change] = [
        ("datazone.amazonaws.com", "CreateEnvironmentProfile",
         {"domainIdentifier": domain, "projectIdentifier": project, "name": f"{target.name}-lake",
          "environmentBlueprintIdentifier": ctx.hex(14), "awsAccountId": target.id,
          "awsAccountRegion": HOME_REGION}, None),
        ("datazone.amazonaws.com", "CreateEnvironment",
         {"domainIdentifier": domain, "projectIdentifier": project, "name": f"{target.name}-analytics",
          "environmentProfileIdentifier": ctx.hex(14), "environmentAccountIdentifier": target.id,
          "environmentAccountRegion": HOME_REGION}, None),
        ("datazone.amazonaws.com", "CreateSubscriptionTarget",
         {"domainIdentifier": domain, "environmentIdentifier": environment, "name": "glue-target",
          "type": "GlueSubscriptionTargetType", "applicableAssetTypes": ["GlueTableAssetType"],
          "authorizedPrincipals": [f"arn:aws:iam::{target.id}:role/datazone_usr_role_{project}_{environment}"],
          "manageAccessRole": f"arn:aws:iam::{domain_account.id}:role/AmazonDataZoneGlueAccess",
          "subscriptionTargetConfig": [{"formName": "GlueSubscriptionTargetConfigForm",
                                        "content": '{"databaseName":"analytics_sub_db"}'}]}, None),
        ("datazone.amazonaws.com", "AddPolicyGrant",
         {"domainIdentifier": domain, "entityType": "DOMAIN_UNIT", "entityIdentifier": ctx.hex(14),
          "policyType": "CREATE_PROJECT",
          "principal": {"project": {"projectDesignation": "OWNER", "projectIdentifier": project}},
          "detail": {"createProject": {"includeChildDomainUnits": True}}}, None),
        ("datazone.amazonaws.com", "CreateSubscriptionGrant",
         {"domainIdentifier": domain, "environmentIdentifier": environment,
          "grantedEntity": {"listing": {"identifier": ctx.hex(14), "revision": "1"}}}, None),
    ]  # fmt: skip
    picked = ctx.rng.sample(changes, ctx.rng.randint(2, 4))
    return records + terraform_writes(ctx, clock, identity, domain_account, ip, picked)


def queue_topic_perimeters(ctx: Context, start: datetime) -> list[Record]:
    """A workload's Terraform writes a queue's or a topic's policy: everyone may send (or
    publish and subscribe), and a ``Deny`` without ``Resource`` (the queue's, the topic's)
    refuses every caller outside the organization, AWS services excepted."""
    clock = Clock(ctx.rng, start)
    target = _workload(ctx)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    name = target.name.split("-", 1)[-1]
    perimeter = {"Sid": "EnforceIdentityPerimeter", "Effect": "Deny", "Principal": "*",
                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}, **SERVICE_EXCEPTION}}  # fmt: skip
    queue = f"arn:aws:sqs:{HOME_REGION}:{target.id}:{name}-jobs"
    topic = f"arn:aws:sns:{HOME_REGION}:{target.id}:{name}-events"
    changes: list[Change] = [
        ("sqs.amazonaws.com", "SetQueueAttributes",
         {"queueUrl": f"https://sqs.{HOME_REGION}.amazonaws.com/{target.id}/{name}-jobs",
          "attributes": {"Policy": _text(
              {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": queue},
              {**perimeter, "Action": "sqs:*"})}}, None),
        ("sns.amazonaws.com", "SetTopicAttributes",
         {"topicArn": topic, "attributeName": "Policy", "attributeValue": _text(
             {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:Subscribe"],
              "Resource": topic},
             {**perimeter, "Action": "SNS:*"})}, None),
    ]  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, [ctx.rng.choice(changes)])


def flat_image_shares(ctx: Context, start: datetime) -> list[Record]:
    """The platform team shares its golden image, or a disk's snapshot, with a fellow account in
    the flat form (``--operation-type add --user-ids``), and withdraws an old share (a partner
    account's, or the whole organization's, in the same form)."""
    clock = Clock(ctx.rng, start)
    target = ctx.org.one("shared")
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    fellow = _fellow(ctx, target)
    image, snapshot = f"ami-{ctx.hex(17)}", f"snap-{ctx.hex(17)}"
    former = f"{ctx.rng.randint(10**11, 10**12 - 1)}"
    organization = f"arn:aws:organizations::{ctx.org.one('management').id}:organization/{ORG_ID}"
    changes: list[Change] = [
        ("ec2.amazonaws.com", "ModifyImageAttribute",
         {"imageId": image, "attributeType": "launchPermission", "operationType": "add",
          "userIds": {"items": [{"userId": fellow.id}]}}, {"_return": True}),
        ("ec2.amazonaws.com", "ModifyImageAttribute",
         {"imageId": image, "attributeType": "launchPermission", "operationType": "add",
          "organizationArns": {"items": [{"organizationArn": organization}]}}, {"_return": True}),
        ("ec2.amazonaws.com", "ModifySnapshotAttribute",
         {"snapshotId": snapshot, "attributeType": "CREATE_VOLUME_PERMISSION", "operationType": "add",
          "userIds": {"items": [{"userId": fellow.id}]}}, {"_return": True}),
        ("ec2.amazonaws.com", "ModifyImageAttribute",
         {"imageId": image, "attributeType": "launchPermission",
          "launchPermission": {"add": {"items": [{"userId": fellow.id}]}},
          "operationType": "remove", "userIds": {"items": [{"userId": former}]}}, {"_return": True}),
        ("ec2.amazonaws.com", "ModifySnapshotAttribute",
         {"snapshotId": snapshot, "attributeType": "CREATE_VOLUME_PERMISSION", "operationType": "remove",
          "userIds": {"items": [{"userId": former}]}}, {"_return": True}),
    ]  # fmt: skip
    picked = ctx.rng.sample(changes, ctx.rng.randint(1, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, picked)
