"""Resource policies and keys: the routine look-alikes of the grant and key-destruction rules.

The calls that hand a key, a queue or a bucket's objects to another account are also the
calls every deployment makes: CloudFormation writing a key policy for the account and the
services that use the key, a queue policy letting the account's own topic send, the SNS
default topic policy, a repository, a layer and an event bus shared with the organization
(``aws:PrincipalOrgID``, ``organizationId``), a grant to the account's own task role;
Terraform configuring replication to the account's own disaster recovery bucket and an
inventory to its reports bucket; CloudFormation deleting a preview stack's key; and, every
day in an organization, grants to its own accounts named by id (:func:`organization_sharing`:
a shared key, a repository every workload pulls, the security account's findings topic and
log bucket, a role the CI account deploys through, a replica in the log archive), which the
detection run holds inside with the accounts directory. Shapes follow
the APIs (botocore's models) as CloudTrail logs them: JSON-protocol request members with the
first letter lower-case, policies as JSON text, S3's XML bodies as objects; the same shapes
as the rules' own tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.org import HOME_REGION, ORG_ID, Account, cdk_role
from demo.benign.pipelines import CFN, _terraform_session, assume_role, stack_changes, terraform_writes
from demo.records import cloudtrail as ct

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


def _text(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    """A policy as the APIs take it: JSON text."""
    return json.dumps({"Version": version, "Statement": list(statements)}, separators=(",", ":"))


def _cfn_executor(ctx: Context, clock: Clock, target: Account) -> tuple[list[Record], Record]:
    """CloudFormation's execution role in ``target`` (its calls ``invokedBy`` CloudFormation)."""
    session = ctx.org.session(cdk_role(target, "cfn-exec"), "AWSCloudFormation", clock.tick())
    records = assume_role(ctx, ct.aws_service(CFN), session, session.created, CFN, CFN)
    return records, ct.assumed_role(session, invoked_by=CFN)


def policy_stack(ctx: Context, start: datetime) -> list[Record]:
    """A service stack's update writes the resource policies of its key, queue, topic,
    repository, secret or log delivery (CloudFormation, cfn-exec): each grants the account,
    AWS services for the account's own resources, or the organization."""
    clock = Clock(ctx.rng, start)
    shared = ctx.org.one("shared") if ctx.chance(0.25) else None
    target = shared or ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, executor = _cfn_executor(ctx, clock, target)
    chosen = ctx.rng.sample(_stack_policies(ctx, target), ctx.rng.randint(1, 3))
    return records + stack_changes(ctx, executor, clock, target.id, chosen)


def _stack_policies(ctx: Context, target: Account) -> list[tuple[str, str, Any, Any]]:
    account, region = target.id, HOME_REGION
    root = f"arn:aws:iam::{account}:root"
    key_arn = f"arn:aws:kms:{region}:{account}:key/{ctx.ids.uuid()}"
    name = target.name.split("-", 1)[-1]
    topic = f"arn:aws:sns:{region}:{account}:{name}-events"
    queue = f"arn:aws:sqs:{region}:{account}:{name}-events"
    task_role = f"arn:aws:iam::{account}:role/{target.name}-app"
    key_policy = _text(
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow use through EBS and RDS for the account", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                    "kms:DescribeKey"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": account},
                       "ForAnyValue:StringEquals": {"kms:ViaService": [f"ec2.{region}.amazonaws.com",
                                                                        f"rds.{region}.amazonaws.com"]}}},
        {"Sid": "CloudWatch Logs", "Effect": "Allow", "Principal": {"Service": f"logs.{region}.amazonaws.com"},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:*"}}},
    )  # fmt: skip
    queue_policy = _text(
        {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": queue, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}},
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )  # fmt: skip
    topic_policy = _text(
        {"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
         "Resource": topic, "Condition": {"StringEquals": {"AWS:SourceOwner": account}}},
        {"Sid": "EventBridge", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic,
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        version="2008-10-17",
    )  # fmt: skip
    repository_policy = _text(
        {"Sid": "organization pulls", "Effect": "Allow", "Principal": "*",
         "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"],
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}},
    )  # fmt: skip
    secret_policy = _text(
        {"Effect": "Allow", "Principal": {"AWS": task_role}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalArn": task_role}}},
    )  # fmt: skip
    logs_policy = _text(
        {"Sid": "Route53 query logs", "Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws/route53/*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
    )  # fmt: skip
    policies: list[tuple[str, str, Any, Any]] = [
        ("kms.amazonaws.com", "CreateKey",
         {"description": f"{name} data", "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT",
          "origin": "AWS_KMS", "multiRegion": False, "bypassPolicyLockoutSafetyCheck": False, "policy": key_policy},
         {"keyMetadata": {"aWSAccountId": account, "keyId": key_arn.rsplit("/", 1)[1], "arn": key_arn,
                          "enabled": True, "keyUsage": "ENCRYPT_DECRYPT", "keyState": "Enabled",
                          "origin": "AWS_KMS", "keyManager": "CUSTOMER", "keySpec": "SYMMETRIC_DEFAULT"}}),
        ("kms.amazonaws.com", "PutKeyPolicy", {"keyId": key_arn, "policyName": "default", "policy": key_policy,
                                               "bypassPolicyLockoutSafetyCheck": False}, None),
        ("kms.amazonaws.com", "CreateGrant",
         {"keyId": key_arn, "granteePrincipal": task_role, "operations": ["Decrypt", "GenerateDataKey"]},
         {"grantId": ctx.hex(64), "keyId": key_arn}),
        ("sqs.amazonaws.com", "SetQueueAttributes",
         {"queueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{name}-events",
          "attributes": {"Policy": queue_policy}}, None),
        ("sns.amazonaws.com", "SetTopicAttributes",
         {"topicArn": topic, "attributeName": "Policy", "attributeValue": topic_policy}, None),
        ("ecr.amazonaws.com", "SetRepositoryPolicy",
         {"repositoryName": name, "policyText": repository_policy, "force": False},
         {"registryId": account, "repositoryName": name, "policyText": repository_policy}),
        ("secretsmanager.amazonaws.com", "PutResourcePolicy",
         {"secretId": f"{name}/db", "resourcePolicy": secret_policy, "blockPublicPolicy": True},
         {"aRN": f"arn:aws:secretsmanager:{region}:{account}:secret:{name}/db-{ctx.ids.mixed_alnum(6)}",
          "name": f"{name}/db"}),
        ("logs.amazonaws.com", "PutResourcePolicy", {"policyName": "route53-query-logs", "policyDocument": logs_policy},
         None),
    ]  # fmt: skip
    if target.kind == "shared":
        # The shared services account shares its layers and its central event bus with the organization.
        policies += [
            ("lambda.amazonaws.com", "AddLayerVersionPermission20181031",
             {"layerName": "shared-deps", "versionNumber": ctx.rng.randint(10, 60), "statementId": "organization",
              "action": "lambda:GetLayerVersion", "principal": "*", "organizationId": ORG_ID}, None),
            ("events.amazonaws.com", "PutPermission",
             {"eventBusName": "central", "action": "events:PutEvents", "principal": "*",
              "statementId": "organization",
              "condition": {"type": "StringEquals", "key": "aws:PrincipalOrgID", "value": ORG_ID}}, None),
        ]  # fmt: skip
    return policies


def key_teardown(ctx: Context, start: datetime) -> list[Record]:
    """A merged pull request's preview stack is deleted with its KMS key: CloudFormation
    schedules the key's deletion (7 or 30 days' wait) as the stack goes."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("nonprod"))
    records, executor = _cfn_executor(ctx, clock, target)
    key_arn = f"arn:aws:kms:{HOME_REGION}:{target.id}:key/{ctx.ids.uuid()}"
    window = ctx.rng.choice((7, 30))
    when = clock.tick(1, 20)
    deletion = (when + timedelta(days=window)).strftime("%b %d, %Y, %I:%M:%S %p")
    record = ctx.call(
        executor, when, "kms.amazonaws.com", "ScheduleKeyDeletion", account=target.id, ip=CFN, agent=CFN,
        read_only=False, request={"keyId": key_arn, "pendingWindowInDays": window},
        response={"keyId": key_arn, "deletionDate": deletion, "keyState": "PendingDeletion",
                  "pendingWindowInDays": window},
    )  # fmt: skip
    return [*records, record]


def bucket_replication(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform configures a production bucket's replication to the
    account's own disaster recovery bucket in the second region (the account named, its own
    replica key) and a weekly inventory to the account's reports bucket."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    bucket = target.buckets[0]
    replica_key = f"arn:aws:kms:eu-west-1:{target.id}:key/{ctx.ids.uuid()}"
    destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{bucket}-dr", "StorageClass": "STANDARD_IA"}
    if ctx.chance(0.5):
        destination |= {"Account": target.id, "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key}}
    replication = _replication(bucket, target, "disaster-recovery", "", "Enabled", destination)
    inventory = {
        "bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "inventory": "", "id": "weekly",
        "InventoryConfiguration": {
            "xmlns": S3_XMLNS, "Id": "weekly", "IsEnabled": True, "IncludedObjectVersions": "Current",
            "Schedule": {"Frequency": "Weekly"},
            "Destination": {"S3BucketDestination": {"AccountId": target.id, "Format": "Parquet",
                                                    "Bucket": f"arn:aws:s3:::{target.buckets[1]}",
                                                    "Prefix": "inventory"}},
        },
    }  # fmt: skip
    changes: list[tuple[str, str, Any, Any]] = [
        ("s3.amazonaws.com", "PutBucketReplication", replication, None),
        ("s3.amazonaws.com", "PutBucketInventoryConfiguration", inventory, None),
    ]
    return records + terraform_writes(
        ctx, clock, identity, target, ip, ctx.rng.sample(changes, ctx.rng.randint(1, 2))
    )


def _replication(
    bucket: str, source: Account, rule: str, prefix: str, delete_markers: str, destination: dict[str, Any]
) -> dict[str, Any]:
    """``PutBucketReplication``'s request as CloudTrail logs it: one rule replicating ``bucket``
    (under ``prefix``) with ``source``'s replication role to ``destination``."""
    return {
        "bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "replication": "",
        "ReplicationConfiguration": {
            "xmlns": S3_XMLNS, "Role": f"arn:aws:iam::{source.id}:role/s3-replication",
            "Rule": {"ID": rule, "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": prefix},
                     "DeleteMarkerReplication": {"Status": delete_markers}, "Destination": destination},
        },
    }  # fmt: skip


def organization_sharing(ctx: Context, start: datetime) -> list[Record]:
    """A platform stack (CloudFormation) or the CI runner's Terraform grants the organization's
    own accounts by id: every form names fellow accounts only (``arn:aws:iam::<id>:root``, a
    role ARN, a plain id), never everyone."""
    clock = Clock(ctx.rng, start)
    workloads = ctx.org.of_kind("prod", "nonprod")
    members = ctx.rng.sample(workloads, ctx.rng.randint(2, 6))
    roots = [f"arn:aws:iam::{account.id}:root" for account in members]
    region = HOME_REGION
    choice = ctx.rng.randrange(6)
    if choice == 5:  # a production bucket replicated into the log archive account
        target, archive = ctx.rng.choice(ctx.org.of_kind("prod")), ctx.org.one("log-archive")
        records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
        bucket = target.buckets[1]
        destination = {
            "Bucket": f"arn:aws:s3:::{archive.buckets[0]}",
            "Account": archive.id,
            "AccessControlTranslation": {"Owner": "Destination"},
            "EncryptionConfiguration": {
                "ReplicaKmsKeyID": f"arn:aws:kms:{region}:{archive.id}:key/{ctx.ids.uuid()}"
            },
        }
        replication = _replication(bucket, target, "log-archive", "exports/", "Disabled", destination)
        change = ("s3.amazonaws.com", "PutBucketReplication", replication, None)
        return records + terraform_writes(ctx, clock, identity, target, ip, [change])
    owner = {
        0: ctx.org.one("shared"), 1: ctx.org.one("shared"), 2: ctx.org.one("security"),
        3: ctx.org.one("log-archive"), 4: ctx.rng.choice(workloads),
    }[choice]  # fmt: skip
    records, executor = _cfn_executor(ctx, clock, owner)
    changes: list[tuple[str, str, Any, Any]]
    if choice == 0:  # the shared services account's key, used by the workloads' pipelines
        key_arn = f"arn:aws:kms:{region}:{owner.id}:key/{ctx.ids.uuid()}"
        policy = _text(
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{owner.id}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Workload accounts decrypt artifacts", "Effect": "Allow", "Principal": {"AWS": roots},
             "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
        )  # fmt: skip
        changes = [("kms.amazonaws.com", "PutKeyPolicy", {"keyId": key_arn, "policyName": "default",
                                                          "policy": policy, "bypassPolicyLockoutSafetyCheck": False},
                    None)]  # fmt: skip
    elif choice == 1:  # the base image repository every workload account pulls
        policy = _text(
            {"Sid": "workload pulls", "Effect": "Allow", "Principal": {"AWS": roots},
             "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"]},
        )  # fmt: skip
        changes = [("ecr.amazonaws.com", "SetRepositoryPolicy",
                    {"repositoryName": "base-images/python", "policyText": policy, "force": False},
                    {"registryId": owner.id, "repositoryName": "base-images/python", "policyText": policy})]  # fmt: skip
    elif choice == 2:  # the security account's findings topic and its forwarder function
        topic = f"arn:aws:sns:{region}:{owner.id}:security-findings"
        policy = _text(
            {"Sid": "members publish", "Effect": "Allow", "Principal": {"AWS": [a.id for a in members]},
             "Action": "sns:Publish", "Resource": topic},
        )  # fmt: skip
        changes = [
            ("sns.amazonaws.com", "SetTopicAttributes",
             {"topicArn": topic, "attributeName": "Policy", "attributeValue": policy}, None),
            ("lambda.amazonaws.com", "AddPermission20150331v2",
             {"functionName": owner.functions[0], "statementId": f"invoke-{members[0].id}",
              "action": "lambda:InvokeFunction", "principal": members[0].id}, None),
        ]  # fmt: skip
    elif choice == 3:  # the log archive's bucket, written by the members' exports
        bucket = owner.buckets[0]
        bucket_policy = {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "member exports", "Effect": "Allow", "Principal": {"AWS": roots},
                           "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/exports/*"}],
        }  # fmt: skip
        changes = [("s3.amazonaws.com", "PutBucketPolicy",
                    {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "policy": "",
                     "bucketPolicy": bucket_policy}, None)]  # fmt: skip
    else:  # a workload's deployment role, assumed by the CI account's pipeline role
        cicd = ctx.org.one("cicd")
        name = f"{owner.name}-pipeline-deploy"
        trust = _text(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{cicd.id}:role/pipeline-runner"},
             "Action": "sts:AssumeRole"},
        )  # fmt: skip
        role = {"path": "/", "roleName": name, "roleId": f"AROA{ctx.hex(17).upper()}",
                "arn": f"arn:aws:iam::{owner.id}:role/{name}",
                "createDate": clock.now.strftime("%b %d, %Y, %I:%M:%S %p"),
                "assumeRolePolicyDocument": trust}  # fmt: skip
        changes = [
            ("iam.amazonaws.com", "CreateRole", {"roleName": name, "assumeRolePolicyDocument": trust},
             {"role": role}),
            ("iam.amazonaws.com", "UpdateAssumeRolePolicy", {"roleName": name, "policyDocument": trust}, None),
        ][: ctx.rng.randint(1, 2)]  # fmt: skip
    return records + stack_changes(ctx, executor, clock, owner.id, changes)


__all__ = ["bucket_replication", "key_teardown", "organization_sharing", "policy_stack"]
