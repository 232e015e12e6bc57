"""The routine look-alikes of the rules on the security services nobody watched (Inspector,
Macie, Detective) and on the routes logs take out of an account.

The calls an attacker uses to blind Inspector, Macie or Detective, to stop a bucket's access
log or to ship logs and open a search domain to another account have routine neighbours:
the security tooling account's Terraform extending Inspector's auto-enable, re-enabling a
paused Macie session, pausing one classification job and adding Detective members; a
platform stack subscribing log groups to the log archive account's destination (a fellow
account of the organization: inside with the accounts directory) or to the account's own
alerting function, and writing a search domain's access policy pinned to the account's
roles; Terraform turning a bucket's access logging on, and a stack update resending a
bucket without logging (CloudFormation: left out of the access logging rule). Shapes follow
botocore's models as CloudTrail logs them (inspector2 and macie2 camelCase REST bodies,
Detective's PascalCase, CloudWatch Logs and OpenSearch Service camelCase, S3's XML body as
an object with its ``xmlns``), the same shapes as the rules' tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime

from demo.benign.calls import Clock, Context, Record
from demo.benign.grantrules import S3_XMLNS, _cfn_executor, _text
from demo.benign.org import HOME_REGION, Account
from demo.benign.pipelines import (
    CFN,
    Change,
    _terraform_session,
    security_tooling_apply,
    stack_changes,
    terraform_writes,
)

INSPECTOR = "inspector2.amazonaws.com"
MACIE = "macie2.amazonaws.com"
DETECTIVE = "detective.amazonaws.com"
LOGS = "logs.amazonaws.com"
OPENSEARCH = "es.amazonaws.com"
S3 = "s3.amazonaws.com"


def scanners_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform applies the security tooling account's Inspector, Macie and
    Detective settings (the organization's delegated administrator): one to three changes."""
    return security_tooling_apply(ctx, start, _scanner_changes, most=3)


def _scanner_changes(ctx: Context, security: Account) -> list[Change]:
    joining = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    graph = f"arn:aws:detective:{HOME_REGION}:{security.id}:graph:{ctx.hex(32)}"
    auto_enable = {"ec2": True, "ecr": True, "lambda": True, "lambdaCode": False}
    return [
        (INSPECTOR, "Enable", {"resourceTypes": ["EC2", "ECR", "LAMBDA"], "accountIds": [joining.id]},
         {"accounts": [{"accountId": joining.id, "status": "ENABLING"}], "failedAccounts": []}),
        (INSPECTOR, "UpdateOrganizationConfiguration", {"autoEnable": auto_enable}, {"autoEnable": auto_enable}),
        (MACIE, "UpdateMacieSession", {"status": "ENABLED", "findingPublishingFrequency": "FIFTEEN_MINUTES"}, None),
        (MACIE, "UpdateOrganizationConfiguration", {"autoEnable": True}, None),
        (MACIE, "UpdateClassificationJob", {"jobId": ctx.hex(32), "jobStatus": "USER_PAUSED"}, None),
        (DETECTIVE, "CreateMembers",
         {"GraphArn": graph, "Accounts": [{"AccountId": joining.id, "EmailAddress": f"aws+{joining.name}@example.com"}]},
         {"Members": [{"AccountId": joining.id, "GraphArn": graph, "Status": "ENABLED"}], "UnprocessedAccounts": []}),
        (DETECTIVE, "UpdateOrganizationConfiguration", {"GraphArn": graph, "AutoEnable": True}, None),
    ]  # fmt: skip


def log_shipping_stack(ctx: Context, start: datetime) -> list[Record]:
    """A workload's stack update (CloudFormation's cfn-exec role) ships its logs: a log group
    subscribed to the log archive account's CloudWatch Logs destination, or an account-level
    subscription policy to it, or a subscription to the account's own alerting function; and
    sometimes its search domain's access policy, pinned to the account's roles."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, executor = _cfn_executor(ctx, clock, target)
    chosen = ctx.rng.sample(_shipping_changes(ctx, target), ctx.rng.randint(1, 2))
    return records + stack_changes(ctx, executor, clock, target.id, chosen)


def _shipping_changes(ctx: Context, target: Account) -> list[Change]:
    archive = ctx.org.one("log-archive")
    destination = f"arn:aws:logs:{HOME_REGION}:{archive.id}:destination:central-logs"
    service = target.name.split("-", 1)[-1]
    domain = f"{service}-search"
    domain_policy = _text(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{target.id}:role/{target.name}-app"},
            "Action": "es:ESHttp*",
            "Resource": f"arn:aws:es:{HOME_REGION}:{target.id}:domain/{domain}/*",
        }
    )
    return [
        (LOGS, "PutSubscriptionFilter",
         {"logGroupName": f"/ecs/{service}", "filterName": "central-logs", "filterPattern": "",
          "destinationArn": destination}, None),
        (LOGS, "PutAccountPolicy",
         {"policyName": "central-logs", "policyType": "SUBSCRIPTION_FILTER_POLICY", "scope": "ALL",
          "policyDocument": json.dumps({"DestinationArn": destination, "FilterPattern": "",
                                        "Distribution": "Random"}, separators=(",", ":"))},
         {"accountPolicy": {"policyName": "central-logs", "policyType": "SUBSCRIPTION_FILTER_POLICY",
                            "scope": "ALL", "accountId": target.id}}),
        (LOGS, "PutSubscriptionFilter",
         {"logGroupName": f"/ecs/{service}", "filterName": "errors", "filterPattern": "ERROR",
          "destinationArn": f"arn:aws:lambda:{HOME_REGION}:{target.id}:function:{target.name}-log-alerts"}, None),
        (OPENSEARCH, "UpdateDomainConfig",
         {"domainName": domain, "accessPolicies": domain_policy},
         {"domainConfig": {"accessPolicies": {"status": {"state": "Processing"}}}}),
    ]  # fmt: skip


def bucket_logging(ctx: Context, start: datetime) -> list[Record]:
    """A bucket's server access logging: the CI runner's Terraform turns it on (to the
    account's access logs bucket), or a stack update resends a bucket without
    ``LoggingConfiguration`` (CloudFormation sends the empty status)."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    bucket = f"{target.name}-exports-{target.id}"
    host = f"{bucket}.s3.{HOME_REGION}.amazonaws.com"
    if ctx.chance(0.7):
        records, target, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
        status = {
            "xmlns": S3_XMLNS,
            "LoggingEnabled": {
                "TargetBucket": f"{target.name}-access-logs-{target.id}",
                "TargetPrefix": f"{bucket}/",
            },
        }
        change = (
            S3,
            "PutBucketLogging",
            {"bucketName": bucket, "Host": host, "BucketLoggingStatus": status, "logging": ""},
            None,
        )
        return records + terraform_writes(ctx, clock, identity, target, ip, [change])
    records, executor = _cfn_executor(ctx, clock, target)
    request = {"bucketName": bucket, "Host": host, "BucketLoggingStatus": {"xmlns": S3_XMLNS}, "logging": ""}
    records.append(
        ctx.call(
            executor, clock.tick(1, 20), S3, "PutBucketLogging", account=target.id, ip=CFN, agent=CFN,
            read_only=False, request=request,
        )
    )  # fmt: skip
    return records


__all__ = ["bucket_logging", "log_shipping_stack", "scanners_terraform"]
