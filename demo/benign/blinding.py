"""The routine look-alikes of the rules on findings hidden, coverage narrowed, mail and
identity abuse, and data streamed out.

An attacker hides Inspector and Macie findings with suppression filters, narrows GuardDuty's
coverage without disabling it, takes over Amazon SES to send phishing, wakes up another
user's old access key and points a Firehose stream outside. Each has a routine neighbour:
the security tooling account's Terraform saving Inspector and Macie filters that hide
nothing (Inspector `action: NONE`, Macie `NOOP`) and turning GuardDuty's protections,
agents and auto-enable on; a production account's mail team verifying this week's sender
domain or address with its own role; a sandbox IAM user reactivating their own key after a
mistaken rotation; a workload's stack streaming logs to the organization's log archive
bucket or to its own OpenSearch domain. Shapes follow botocore's models as CloudTrail logs
them (inspector2, macie2, GuardDuty and SES v2 camelCase, SES v1 and IAM query members with
a lower-case first letter, Firehose's JSON members likewise), the same shapes as the rules'
tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from datetime import datetime

from demo.benign.calls import CLI, Clock, Context, Record
from demo.benign.grantrules import _cfn_executor
from demo.benign.org import HOME_REGION, Account, Role
from demo.benign.people import _legacy_user
from demo.benign.pipelines import (
    Change,
    security_tooling_apply,
    stack_changes,
)
from demo.benign.secsvc2 import INSPECTOR, MACIE
from demo.benign.secsvcrules import GUARDDUTY, detector_id
from demo.records import cloudtrail as ct

SES = "ses.amazonaws.com"
FIREHOSE = "firehose.amazonaws.com"
IAM = "iam.amazonaws.com"
MAIL_TEAM_ADDRESS = "198.51.100.52"
"""The mail team's office (RFC 5737)."""


def scanner_saved_filters(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform saves the security tooling account's Inspector and Macie
    filters: saved searches that hide nothing (Inspector ``NONE``, Macie ``NOOP``)."""
    return security_tooling_apply(ctx, start, _saved_filters, most=2)


def _saved_filters(ctx: Context, security: Account) -> list[Change]:
    inspector_filter = (
        f"arn:aws:inspector2:{HOME_REGION}:{security.id}:owner/{security.id}/filter/{ctx.hex(16)}"
    )
    macie_filter = ctx.hex(32)
    critical = {
        "severity": [{"comparison": "EQUALS", "value": "CRITICAL"}],
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
    }
    return [
        (INSPECTOR, "CreateFilter",
         {"name": "critical-open", "action": "NONE", "description": "Critical findings still open",
          "filterCriteria": critical}, {"arn": inspector_filter}),
        (INSPECTOR, "UpdateFilter",
         {"filterArn": inspector_filter, "action": "NONE", "filterCriteria": critical}, {"arn": inspector_filter}),
        (MACIE, "CreateFindingsFilter",
         {"name": "high-severity", "action": "NOOP", "position": 1, "clientToken": ctx.ids.uuid(),
          "findingCriteria": {"criterion": {"severity.description": {"eq": ["High"]}}}},
         {"id": macie_filter, "arn": f"arn:aws:macie2:{HOME_REGION}:{security.id}:findings-filter/{macie_filter}"}),
        (MACIE, "UpdateFindingsFilter",
         {"id": macie_filter, "action": "NOOP", "clientToken": ctx.ids.uuid(),
          "findingCriteria": {"criterion": {"severity.description": {"eq": ["High", "Medium"]}}}},
         {"id": macie_filter, "arn": f"arn:aws:macie2:{HOME_REGION}:{security.id}:findings-filter/{macie_filter}"}),
    ]  # fmt: skip


def guardduty_coverage_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform turns GuardDuty coverage on in the security tooling account
    (the delegated administrator): protections, Runtime Monitoring's agents and their
    auto-enable for every member."""
    return security_tooling_apply(ctx, start, _coverage_on, most=2)


def _coverage_on(ctx: Context, security: Account) -> list[Change]:
    detector = detector_id(security)
    member = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    agents = [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"},
        {"name": "ECS_FARGATE_AGENT_MANAGEMENT", "status": "ENABLED"},
        {"name": "EC2_AGENT_MANAGEMENT", "status": "ENABLED"},
    ]
    runtime = {"name": "RUNTIME_MONITORING", "status": "ENABLED", "additionalConfiguration": agents}
    return [
        (GUARDDUTY, "UpdateDetector",
         {"detectorId": detector, "features": [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}, runtime]}, None),
        (GUARDDUTY, "UpdateMemberDetectors",
         {"detectorId": detector, "accountIds": [member.id], "features": [runtime]}, {"unprocessedAccounts": []}),
        (GUARDDUTY, "UpdateOrganizationConfiguration",
         {"detectorId": detector, "autoEnableOrganizationMembers": "ALL", "features": [
             {"name": "S3_DATA_EVENTS", "autoEnable": "ALL"},
             {"name": "EBS_MALWARE_PROTECTION", "autoEnable": "NEW"},
             {"name": "RUNTIME_MONITORING", "autoEnable": "ALL", "additionalConfiguration": [
                 {"name": "EKS_ADDON_MANAGEMENT", "autoEnable": "ALL"},
                 {"name": "EC2_AGENT_MANAGEMENT", "autoEnable": "ALL"},
             ]},
         ]}, None),
    ]  # fmt: skip


def mail_team_identities(ctx: Context, start: datetime) -> list[Record]:
    """A production account's mail team verifies this week's sender (a campaign's domain or a
    product's address) with its own role, the same role every week: SES v1 or v2."""
    clock = Clock(ctx.rng, start)
    account = ctx.org.of_kind("prod")[0]
    session = ctx.org.session(Role(account.id, "mail-team", "/"), "mail-ops", clock.tick())
    identity = ct.assumed_role(session)
    product = ctx.rng.choice(("news", "offers", "billing", "support"))
    sender: tuple[str, object, object] = ctx.rng.choice(
        (
            (
                "VerifyDomainIdentity",
                {"domain": f"{product}.example.com"},
                {"verificationToken": ctx.hex(44)},
            ),
            ("VerifyEmailIdentity", {"emailAddress": f"{product}@example.com"}, None),
            (
                "CreateEmailIdentity",
                {"emailIdentity": f"{product}.example.com"},
                {"identityType": "DOMAIN", "verifiedForSendingStatus": False},
            ),
        )
    )
    name, request, response = sender
    records = [
        ctx.call(identity, clock.tick(), SES, "ListEmailIdentities", account=account.id, ip=MAIL_TEAM_ADDRESS,
                 agent=CLI, read_only=True, request={"pageSize": 100}),
        ctx.call(identity, clock.tick(5, 60), SES, name, account=account.id, ip=MAIL_TEAM_ADDRESS, agent=CLI,
                 read_only=False, request=request, response=response),
    ]  # fmt: skip
    return records


def own_key_reactivation(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox IAM user reactivates their own access key after deactivating the wrong one
    (without ``userName``, or naming themselves)."""
    clock = Clock(ctx.rng, start)
    user, account = _legacy_user(ctx)
    identity = ct.iam_user(user.account, user.name, user.principal_id, user.access_key_id)
    request = {"accessKeyId": user.access_key_id, "status": "Active"}
    if ctx.chance(0.5):
        request = {"userName": user.name, **request}
    return [
        ctx.call(identity, clock.tick(), IAM, "ListAccessKeys", account=account.id, ip=user.address, agent=CLI,
                 read_only=True),
        ctx.call(identity, clock.tick(5, 60), IAM, "UpdateAccessKey", account=account.id, ip=user.address, agent=CLI,
                 read_only=False, request=request),
    ]  # fmt: skip


def firehose_streams(ctx: Context, start: datetime) -> list[Record]:
    """A workload's stack update (CloudFormation's cfn-exec role) creates a Firehose stream of
    its logs to the organization's log archive bucket, or to its own OpenSearch domain."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, executor = _cfn_executor(ctx, clock, target)
    archive = ctx.org.one("log-archive")
    service = target.name.split("-", 1)[-1]
    role = f"arn:aws:iam::{target.id}:role/{target.name}-firehose-delivery"
    failed = {"roleARN": role, "bucketARN": f"arn:aws:s3:::{target.name}-firehose-failed-{target.id}"}
    destination: dict[str, object]
    if ctx.chance(0.6):
        name = f"{service}-logs-archive"
        destination = {
            "extendedS3DestinationConfiguration": {
                "roleARN": role,
                "bucketARN": f"arn:aws:s3:::org-log-archive-{archive.id}",
                "prefix": f"firehose/{target.id}/{service}/",
                "compressionFormat": "GZIP",
            }
        }
    else:
        name = f"{service}-logs-search"
        destination = {
            "amazonopensearchserviceDestinationConfiguration": {
                "roleARN": role,
                "domainARN": f"arn:aws:es:{HOME_REGION}:{target.id}:domain/{service}-search",
                "indexName": service,
                "indexRotationPeriod": "OneDay",
                "s3BackupMode": "FailedDocumentsOnly",
                "s3Configuration": failed,
            }
        }
    change: Change = (
        FIREHOSE, "CreateDeliveryStream",
        {"deliveryStreamName": name, "deliveryStreamType": "DirectPut", **destination},
        {"deliveryStreamARN": f"arn:aws:firehose:{HOME_REGION}:{target.id}:deliverystream/{name}"},
    )  # fmt: skip
    return records + stack_changes(ctx, executor, clock, target.id, [change])
