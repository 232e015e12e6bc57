"""The routine look-alikes of the grants the rules read since the resource-policy sweep
(docs/detections.md, "Every call that can grant another account").

A data platform's Terraform writes the resource policies of S3 Tables, SageMaker model
package groups, DynamoDB tables created with a policy, an MSK cluster, VPC Lattice services,
signing profiles and the SIEM's own OpenSearch Serverless data access policy: each names the
account's own roles, the account's SAML groups, AWS services for the account's own resources,
or everyone pinned to the organization (``aws:PrincipalOrgID``). The image factory in the
shared services account shares its golden images with the organization (Image Builder's
component and image policies pinned to it, a distribution to the workload accounts by id and
to the organization's ARN); the security account subscribes to Security Lake and aggregates
Config in the workload accounts (fellow accounts by id: silent with the accounts directory).
Shapes follow botocore's models as CloudTrail logs them: member names with the first letter
lower-case, policies as JSON text, the data access policy as JSON text of a list of rules.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.grantrules import _text
from demo.benign.org import HOME_REGION, ORG_ID, Account
from demo.benign.pipelines import _terraform_session, terraform_writes

Change = tuple[str, str, Any, Any]


def data_platform_policies(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform writes two to four resource policies of a workload's data
    platform, every one kept in the account or the organization."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    changes = ctx.rng.sample(_platform_changes(ctx, target), ctx.rng.randint(2, 4))
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)


def _platform_changes(ctx: Context, target: Account) -> list[Change]:
    account, region = target.id, HOME_REGION
    name = target.name.split("-", 1)[-1]
    app_role = f"arn:aws:iam::{account}:role/{target.name}-app"
    table_bucket = f"arn:aws:s3tables:{region}:{account}:bucket/{name}-analytics"
    lattice = f"arn:aws:vpc-lattice:{region}:{account}:service/svc-{ctx.hex(17)}"
    access = [
        {
            "Rules": [
                {"ResourceType": "index", "Resource": [f"index/{name}-search/*"], "Permission": ["aoss:*"]},
                {
                    "ResourceType": "collection",
                    "Resource": [f"collection/{name}-search"],
                    "Permission": ["aoss:*"],
                },
            ],
            "Principal": [app_role, f"saml/{account}/corp-idp/group/{name}-engineers"],
            "Description": f"{name} search",
        }
    ]
    return [
        ("s3tables.amazonaws.com", "PutTableBucketPolicy",
         {"tableBucketARN": table_bucket,
          "resourcePolicy": _text(
              {"Effect": "Allow", "Principal": {"AWS": app_role},
               "Action": ["s3tables:GetTableData", "s3tables:PutTableData"], "Resource": f"{table_bucket}/table/*"},
              {"Effect": "Allow", "Principal": {"Service": "maintenance.s3tables.amazonaws.com"},
               "Action": "s3tables:*", "Resource": f"{table_bucket}/table/*",
               "Condition": {"StringEquals": {"aws:SourceAccount": account}}})}, None),
        ("sagemaker.amazonaws.com", "PutModelPackageGroupPolicy",
         {"modelPackageGroupName": f"{name}-models",
          "resourcePolicy": _text(
              {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/{target.name}-ml-deploy"},
               "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
               "Resource": f"arn:aws:sagemaker:{region}:{account}:model-package/{name}-models/*"})},
         {"modelPackageGroupArn": f"arn:aws:sagemaker:{region}:{account}:model-package-group/{name}-models"}),
        ("aoss.amazonaws.com", "CreateAccessPolicy",
         {"name": f"{name}-search-access", "type": "data", "policy": json.dumps(access, separators=(",", ":"))},
         None),
        ("dynamodb.amazonaws.com", "CreateTable",
         {"tableName": f"{name}-sessions", "billingMode": "PAY_PER_REQUEST",
          "attributeDefinitions": [{"attributeName": "id", "attributeType": "S"}],
          "keySchema": [{"attributeName": "id", "keyType": "HASH"}],
          "resourcePolicy": _text({"Effect": "Allow", "Principal": {"AWS": app_role},
                                   "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": "*"})}, None),
        ("kafka.amazonaws.com", "PutClusterPolicy",
         {"clusterArn": f"arn:aws:kafka:{region}:{account}:cluster/{name}/{ctx.ids.uuid()}-1",
          "policy": _text({"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
                           "Action": ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers"], "Resource": "*",
                           "Condition": {"StringEquals": {"aws:SourceAccount": account}}})}, None),
        ("vpc-lattice.amazonaws.com", "PutAuthPolicy",
         {"resourceIdentifier": lattice,
          "policy": _text({"Effect": "Allow", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke",
                           "Resource": f"{lattice}/*",
                           "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})}, None),
        ("signer.amazonaws.com", "AddProfilePermission",
         {"profileName": f"{name.replace('-', '_')}_release", "action": "signer:StartSigningJob",
          "principal": f"arn:aws:iam::{account}:role/{target.name}-release", "statementId": "release-pipeline"},
         None),
    ]  # fmt: skip


def image_factory_sharing(ctx: Context, start: datetime) -> list[Record]:
    """The shared services account's Terraform shares a golden image build with the
    organization: its component and image policies pinned to the organization, and a
    distribution copying each image into two to five workload accounts (by id) and letting
    the organization launch it (its ARN)."""
    clock = Clock(ctx.rng, start)
    factory = ctx.org.one("shared")
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", factory)
    account, region = factory.id, HOME_REGION
    version = f"1.{ctx.rng.randint(0, 30)}.{ctx.rng.randint(0, 9)}"
    image = f"arn:aws:imagebuilder:{region}:{account}:image/golden-linux/{version}/1"
    component = f"arn:aws:imagebuilder:{region}:{account}:component/hardening/{version}/1"
    organization = f"arn:aws:organizations::{ctx.org.one('management').id}:organization/{ORG_ID}"
    workloads = ctx.rng.sample(ctx.org.of_kind("prod", "nonprod"), ctx.rng.randint(2, 5))

    def shared(resource: str, *actions: str) -> str:
        return _text({"Effect": "Allow", "Principal": "*", "Action": list(actions), "Resource": resource,
                      "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})  # fmt: skip

    changes: list[Change] = [
        ("imagebuilder.amazonaws.com", "PutComponentPolicy",
         {"componentArn": component, "policy": shared(component, "imagebuilder:GetComponent")},
         {"requestId": ctx.ids.uuid(), "componentArn": component}),
        ("imagebuilder.amazonaws.com", "PutImagePolicy",
         {"imageArn": image, "policy": shared(image, "imagebuilder:GetImage", "imagebuilder:ListImages")},
         {"requestId": ctx.ids.uuid(), "imageArn": image}),
        ("imagebuilder.amazonaws.com", "UpdateDistributionConfiguration",
         {"distributionConfigurationArn": f"arn:aws:imagebuilder:{region}:{account}:distribution-configuration/golden",
          "distributions": [{"region": region, "amiDistributionConfiguration": {
              "name": "golden-linux-{{ imagebuilder:buildDate }}",
              "targetAccountIds": [workload.id for workload in workloads],
              "launchPermission": {"organizationArns": [organization]}}}]}, None),
    ]  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, factory, ip, changes)


def security_account_subscriptions(ctx: Context, start: datetime) -> list[Record]:
    """The security account's baseline, applied in a workload account by Terraform, authorizes
    the security account's Config aggregator there, and the Security Lake delegated
    administrator subscribes the security account's SIEM (fellow accounts by id)."""
    clock = Clock(ctx.rng, start)
    security = ctx.org.one("security")
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    changes: list[Change] = [
        ("config.amazonaws.com", "PutAggregationAuthorization",
         {"authorizedAccountId": security.id, "authorizedAwsRegion": HOME_REGION},
         {"aggregationAuthorization": {"authorizedAccountId": security.id, "authorizedAwsRegion": HOME_REGION}}),
    ]  # fmt: skip
    if ctx.chance(0.3):
        changes.append(
            ("securitylake.amazonaws.com", "UpdateSubscriber",
             {"subscriberId": ctx.ids.uuid(), "subscriberName": "central-siem",
              "sources": [{"awsLogSource": {"sourceName": "CLOUD_TRAIL_MGMT", "sourceVersion": "2.0"}}],
              "subscriberIdentity": {"principal": security.id, "externalId": "central-siem"}}, None)
        )  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)
