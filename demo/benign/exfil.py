"""Data and networks moved to a fellow account, or exported at home: the routine look-alikes
of the rules on data and networks moved to another account (docs/detections.md, "Our rules").

An organization copies its data between its own accounts every week: the CI runner's
Terraform gives a production account's AWS Backup plan a copy action to the log archive
account's central vault (``backupPlan.rules[].copyActions[].destinationBackupVaultArn``) and
replicates its container images to the shared services account's registry
(``PutReplicationConfiguration``); a data job exports a DynamoDB table to its own account's
exports bucket (``ExportTableToPointInTime``, no ``s3BucketOwner`` or the account's own) or a
database snapshot there (RDS ``StartExportTask``); the image pipeline archives the week's
golden AMI in the shared services account's bucket (``CreateStoreImageTask``, sometimes
``ExportImage`` as a VM disk); the network account's Terraform accepts a fellow account's
transit gateway peering (``AcceptTransitGatewayPeeringAttachment``, the requester's owner in
the response), renames a RAM share that refuses outside principals (``UpdateResourceShare``
with ``allowExternalPrincipals: false``), and an account's EBS encryption default is set to
its own key by alias or to the shared services account's key
(``ModifyEbsDefaultKmsKeyId``). With the accounts directory none alerts; without it the
fellow account is another account and the copies, the replication, the peering and the
shared key alert. The exports alert in no event rule: siem-data-exported-by-new-principal
learns the data job's and the image pipeline's exports as routine.
Shapes follow botocore's models as CloudTrail logs them (Backup's, DynamoDB's, ECR's, RDS's
and RAM's members with the first letter lower-case, EC2's newer calls wrapped in
``<Operation>Request`` with the API's member names), the same shapes as the rules' tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.benign.calls import BOTO3, GO_SDK, Clock, Context, Record
from demo.benign.exposure import RAM, _wrapped
from demo.benign.org import HOME_REGION, Account, Role
from demo.benign.pipelines import Change, _terraform_session, terraform_writes
from demo.records import cloudtrail as ct

BACKUP = "backup.amazonaws.com"
ECR = "ecr.amazonaws.com"
DYNAMODB = "dynamodb.amazonaws.com"
RDS = "rds.amazonaws.com"


def central_backup_copies(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform in a production account: its backup plan copies to the log
    archive account's central vault (created, or updated with a disaster recovery copy in the
    account's own second region too), or its images replicate to the shared services
    account's registry."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    chosen = ctx.rng.sample(_copy_changes(ctx, target), ctx.rng.randint(1, 2))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def _copy_changes(ctx: Context, account: Account) -> list[Change]:
    central = f"arn:aws:backup:{HOME_REGION}:{ctx.org.one('log-archive').id}:backup-vault:central-backups"
    disaster = f"arn:aws:backup:eu-west-1:{account.id}:backup-vault:dr"
    plan_id = ctx.ids.uuid()

    def plan(copies: list[str]) -> dict[str, Any]:
        return {"backupPlanName": f"{account.name}-daily", "rules": [
            {"ruleName": "daily", "targetBackupVaultName": "Default", "scheduleExpression": "cron(0 3 ? * * *)",
             "lifecycle": {"deleteAfterDays": 35},
             "copyActions": [{"destinationBackupVaultArn": vault, "lifecycle": {"deleteAfterDays": 90}} for vault in copies]}]}  # fmt: skip

    response = {"backupPlanId": plan_id, "versionId": ctx.hex(32),
                "backupPlanArn": f"arn:aws:backup:{HOME_REGION}:{account.id}:backup-plan:{plan_id}"}  # fmt: skip
    registry = ctx.org.one("shared").id
    replication = {"rules": [{"destinations": [{"region": HOME_REGION, "registryId": registry}],
                              "repositoryFilters": [{"filter": "base-images/", "filterType": "PREFIX_MATCH"}]}]}  # fmt: skip
    return [
        (BACKUP, "CreateBackupPlan", {"backupPlan": plan([central])}, response),
        (BACKUP, "UpdateBackupPlan", {"backupPlanId": plan_id, "backupPlan": plan([central, disaster])}, response),
        (ECR, "PutReplicationConfiguration", {"replicationConfiguration": replication},
         {"replicationConfiguration": replication}),
    ]  # fmt: skip


def data_exports(ctx: Context, start: datetime) -> list[Record]:
    """A production account's nightly analytics job exports a DynamoDB table to the account's
    own exports bucket (naming no owner, or the account itself), or a database snapshot there."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice(ctx.org.of_kind("prod"))
    role = Role(account.id, f"{account.name}-analytics-export", "/app/")
    identity = ct.assumed_role(ctx.org.session(role, "analytics-export", start))
    bucket = account.buckets[1]
    if ctx.chance(0.5):
        table = f"arn:aws:dynamodb:{HOME_REGION}:{account.id}:table/{account.name}-orders"
        request: dict[str, Any] = {"tableArn": table, "s3Bucket": bucket, "s3Prefix": f"dynamodb/{start:%Y-%m-%d}/",
                                   "exportFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT"}  # fmt: skip
        if ctx.chance(0.5):
            request["s3BucketOwner"] = account.id
        export = f"{table}/export/{int(start.timestamp() * 1000)}-{ctx.hex(8)}"
        response: dict[str, Any] = {"exportDescription": {"exportArn": export, "exportStatus": "IN_PROGRESS", "tableArn": table,
                                                    "s3Bucket": bucket, "exportFormat": "DYNAMODB_JSON"}}  # fmt: skip
        source, name = DYNAMODB, "ExportTableToPointInTime"
    else:
        snapshot = f"arn:aws:rds:{HOME_REGION}:{account.id}:snapshot:rds:{account.databases[0]}-{start:%Y-%m-%d-%H-%M}"
        task = f"{account.databases[0]}-{start:%Y%m%d}"
        request = {"exportTaskIdentifier": task, "sourceArn": snapshot, "s3BucketName": bucket, "s3Prefix": "rds/",
                   "iamRoleArn": f"arn:aws:iam::{account.id}:role/app/{account.name}-rds-export",
                   "kmsKeyId": f"arn:aws:kms:{HOME_REGION}:{account.id}:key/{ctx.ids.uuid()}"}  # fmt: skip
        response = {
            "exportTaskIdentifier": task,
            "sourceArn": snapshot,
            "s3Bucket": bucket,
            "status": "STARTING",
        }
        source, name = RDS, "StartExportTask"
    call = ctx.call(identity, clock.tick(), source, name, account=account.id, ip=ctx.private_ip(), agent=BOTO3,
                    read_only=False, request=request, response=response)  # fmt: skip
    return [call]


def image_archive(ctx: Context, start: datetime) -> list[Record]:
    """The shared services account's image pipeline archives the week's golden AMI in its own
    bucket (``CreateStoreImageTask``), sometimes also as a VM disk for the on-premises
    cluster (``ExportImage``)."""
    clock = Clock(ctx.rng, start)
    shared = ctx.org.one("shared")
    identity = ct.assumed_role(
        ctx.org.session(Role(shared.id, "golden-ami-archive", "/app/"), "ami-archive", start)
    )
    image = f"ami-0{ctx.hex(16)}"
    bucket = shared.buckets[1]
    changes: list[Change] = [
        _wrapped(
            "CreateStoreImageTask", {"ImageId": image, "Bucket": bucket}, {"objectKey": f"{image}.bin"}, ctx
        )
    ]
    if ctx.chance(0.3):
        location = {"S3Bucket": bucket, "S3Prefix": "vmdk/"}
        changes.append(
            _wrapped("ExportImage", {"ImageId": image, "DiskImageFormat": "VMDK", "S3ExportLocation": location, "RoleName": "vmimport"},
                     {"exportImageTaskId": f"export-ami-0{ctx.hex(16)}", "imageId": image, "diskImageFormat": "vmdk",
                      "s3ExportLocation": {"s3Bucket": bucket, "s3Prefix": "vmdk/"}, "status": "active"}, ctx)
        )  # fmt: skip
    return [
        ctx.call(identity, clock.tick(1, 30), source, name, account=shared.id, ip=ctx.private_ip(), agent=GO_SDK,
                 read_only=False, request=request, response=response)
        for source, name, request, response in changes
    ]  # fmt: skip


def network_and_keys_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform: in the network account, a fellow account's transit gateway
    peering accepted or a RAM share that refuses outside principals renamed; in a workload
    account, EBS encryption by default set to the account's own key (by alias) or to the
    shared services account's key."""
    clock = Clock(ctx.rng, start)
    if ctx.chance(0.5):
        target = ctx.org.one("network")
        fellow = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod", "shared"))
        changes = _network_changes(ctx, target.id, fellow.id)
    else:
        target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
        changes = [_default_key(ctx, target.id, ctx.org.one("shared").id)]
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    return records + terraform_writes(ctx, clock, identity, target, ip, [ctx.rng.choice(changes)])


def _network_changes(ctx: Context, network: str, fellow: str) -> list[Change]:
    attachment = f"tgw-attach-0{ctx.hex(16)}"
    share = f"arn:aws:ram:{HOME_REGION}:{network}:resource-share/{ctx.ids.uuid()}"
    peering = {"transitGatewayAttachmentId": attachment, "state": "pending",
               "requesterTgwInfo": {"transitGatewayId": f"tgw-0{ctx.hex(16)}", "ownerId": fellow, "region": "eu-west-1"},
               "accepterTgwInfo": {"transitGatewayId": f"tgw-0{ctx.hex(16)}", "ownerId": network, "region": HOME_REGION}}  # fmt: skip
    return [
        _wrapped("AcceptTransitGatewayPeeringAttachment", {"TransitGatewayAttachmentId": attachment},
                 {"transitGatewayPeeringAttachment": peering}, ctx),
        (RAM, "UpdateResourceShare", {"resourceShareArn": share, "name": "network-subnets", "allowExternalPrincipals": False},
         {"resourceShare": {"resourceShareArn": share, "name": "network-subnets", "owningAccountId": network,
                            "allowExternalPrincipals": False, "status": "ACTIVE", "featureSet": "STANDARD"}}),
    ]  # fmt: skip


def _default_key(ctx: Context, account: str, shared: str) -> Change:
    if ctx.chance(0.5):
        return _wrapped("ModifyEbsDefaultKmsKeyId", {"KmsKeyId": "alias/ebs-default"},
                        {"kmsKeyId": f"arn:aws:kms:{HOME_REGION}:{account}:key/{ctx.ids.uuid()}"}, ctx)  # fmt: skip
    key = f"arn:aws:kms:{HOME_REGION}:{shared}:key/{ctx.ids.uuid()}"
    return _wrapped("ModifyEbsDefaultKmsKeyId", {"KmsKeyId": key}, {"kmsKeyId": key}, ctx)
