"""Data stores, networks and domains kept in order: the routine look-alikes of the rules on
what an intruder opens (docs/detections.md, "Our rules").

The calls that reset a database's master password, make it public, turn IMDSv1 back on, join
a network to another account, switch an EC2 guard off or take a domain away have everyday
twins: Terraform creating a private database and handing its master password to Secrets
Manager (``manageMasterUserPassword``, ``rotateMasterUserPassword``), Secrets Manager rotating
that password on schedule (``invokedBy`` secretsmanager), instances launched from a launch
template that requires IMDSv2 and the account default set to required, the network account
peering fellow accounts' VPCs and transit gateways and sharing subnets through AWS RAM with the
organization (its ARN, ``allowExternalPrincipals: false``) or a fellow account, EBS encryption
by default and snapshot and AMI block public access turned on, and a domain's auto-renew,
contact privacy or transfer lock set. Shapes follow botocore's models as CloudTrail logs them
(RDS's query members with the first letter lower-case, EC2's older calls with their
``locationName``s and newer ones wrapped in ``<Operation>Request`` with the API's member
names, RAM's and Route 53 Domains' JSON members), the same shapes as the rules' tests.

Each function is one episode and returns its records in call order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.benign.calls import Clock, Context, Record
from demo.benign.org import HOME_REGION, ORG_ID
from demo.benign.pipelines import Change, _terraform_session, terraform_writes
from demo.records import cloudtrail as ct

RDS = "rds.amazonaws.com"
EC2 = "ec2.amazonaws.com"
RAM = "ram.amazonaws.com"
DOMAINS = "route53domains.amazonaws.com"
SECRETS_MANAGER = "secretsmanager.amazonaws.com"
HIDDEN = "****"
"""How RDS logs a password parameter (the value is never in the record)."""


def database_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform creates a private database, or hands an existing one's master
    password to Secrets Manager and rotates it there, or changes its backup retention."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    chosen = ctx.rng.sample(_database_changes(ctx, target.databases[0]), ctx.rng.randint(1, 2))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def _database_changes(ctx: Context, database: str) -> list[Change]:
    reports = f"{database}-reports-{ctx.hex(4)}"
    return [
        (RDS, "CreateDBInstance",
         {"dBInstanceIdentifier": reports, "dBInstanceClass": "db.t4g.medium", "engine": "postgres",
          "masterUsername": "postgres", "manageMasterUserPassword": True, "allocatedStorage": 50,
          "dBSubnetGroupName": "private-data", "publiclyAccessible": False, "storageEncrypted": True},
         {"dBInstanceIdentifier": reports, "dBInstanceStatus": "creating", "engine": "postgres",
          "publiclyAccessible": False, "masterUserSecret": {"secretStatus": "creating"}}),
        (RDS, "ModifyDBCluster",
         {"dBClusterIdentifier": database, "manageMasterUserPassword": True, "applyImmediately": True},
         {"dBClusterIdentifier": database, "status": "available", "publiclyAccessible": False}),
        (RDS, "ModifyDBCluster",
         {"dBClusterIdentifier": database, "rotateMasterUserPassword": True, "applyImmediately": True},
         {"dBClusterIdentifier": database, "status": "available", "publiclyAccessible": False}),
        (RDS, "ModifyDBCluster",
         {"dBClusterIdentifier": database, "backupRetentionPeriod": ctx.rng.choice((7, 14, 35)),
          "applyImmediately": False},
         {"dBClusterIdentifier": database, "status": "available", "publiclyAccessible": False}),
    ]  # fmt: skip


def managed_password_rotation(ctx: Context, start: datetime) -> list[Record]:
    """Secrets Manager rotates a database's managed master password on its schedule: the
    service itself (``invokedBy`` secretsmanager) sets the new password it generated."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    database = target.databases[0]
    return [
        ctx.call(
            ct.aws_service(SECRETS_MANAGER), clock.tick(), RDS, "ModifyDBCluster",
            account=target.id, ip=SECRETS_MANAGER, agent=SECRETS_MANAGER, read_only=False,
            request={"dBClusterIdentifier": database, "masterUserPassword": HIDDEN, "applyImmediately": True},
            response={"dBClusterIdentifier": database, "status": "available", "publiclyAccessible": False},
        )
    ]  # fmt: skip


def ec2_hardening(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform hardens an account's EC2: IMDSv2 required by default and on an
    instance (a hop limit of 2 for containers), an instance launched from the launch template
    requiring it, EBS encryption by default and snapshot and AMI block public access on."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod", "shared"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    chosen = ctx.rng.sample(_hardening_changes(ctx), ctx.rng.randint(1, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def _wrapped(operation: str, request: Any, response: dict[str, Any], ctx: Context) -> Change:
    """A newer EC2 call as CloudTrail logs it: ``<Operation>Request`` / ``<Operation>Response``."""
    return (EC2, operation, {f"{operation}Request": request},
            {f"{operation}Response": {"requestId": ctx.ids.uuid(), **response}})  # fmt: skip


def _hardening_changes(ctx: Context) -> list[Change]:
    instance = f"i-0{ctx.hex(16)}"
    required = {"state": "pending", "httpTokens": "required", "httpPutResponseHopLimit": 2,
                "httpEndpoint": "enabled", "httpProtocolIpv6": "disabled", "instanceMetadataTags": "disabled"}  # fmt: skip
    return [
        _wrapped("ModifyInstanceMetadataDefaults",
                 {"HttpTokens": "required", "HttpPutResponseHopLimit": 2, "HttpEndpoint": "no-preference",
                  "InstanceMetadataTags": "no-preference"}, {"return": True}, ctx),
        _wrapped("ModifyInstanceMetadataOptions",
                 {"InstanceId": instance, "HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                 {"instanceId": instance, "instanceMetadataOptions": required}, ctx),
        (EC2, "RunInstances",
         {"instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
          "launchTemplate": {"launchTemplateId": f"lt-0{ctx.hex(16)}", "version": "$Latest"},
          "metadataOptions": {"httpTokens": "required"}},
         {"requestId": ctx.ids.uuid(), "instancesSet": {"items": [
             {"instanceId": instance, "instanceType": "m7g.large", "metadataOptions": required}]}}),
        _wrapped("EnableEbsEncryptionByDefault", "", {"ebsEncryptionByDefault": True}, ctx),
        _wrapped("EnableSnapshotBlockPublicAccess", {"State": "block-all-sharing"}, {"state": "block-all-sharing"}, ctx),
        _wrapped("EnableImageBlockPublicAccess", {"ImageBlockPublicAccessState": "block-new-sharing"},
                 {"imageBlockPublicAccessState": "block-new-sharing"}, ctx),
    ]  # fmt: skip


def network_sharing(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform in the network account joins a fellow account: a VPC peering
    requested or accepted, a transit gateway peered across regions, subnets shared through RAM
    with the organization (its ARN, outside principals refused) or with a workload account."""
    clock = Clock(ctx.rng, start)
    network = ctx.org.one("network")
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", network)
    fellow = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod", "shared"))
    chosen = ctx.rng.sample(_network_changes(ctx, network.id, fellow.id), ctx.rng.randint(1, 2))
    return records + terraform_writes(ctx, clock, identity, network, ip, chosen)


def _network_changes(ctx: Context, network: str, fellow: str) -> list[Change]:
    own_vpc, their_vpc = f"vpc-0{ctx.hex(16)}", f"vpc-0{ctx.hex(16)}"
    peering = f"pcx-0{ctx.hex(16)}"
    share = f"arn:aws:ram:{HOME_REGION}:{network}:resource-share/{ctx.ids.uuid()}"
    subnet = f"arn:aws:ec2:{HOME_REGION}:{network}:subnet/subnet-0{ctx.hex(16)}"
    organization = f"arn:aws:organizations::{ctx.org.management.id}:organization/{ORG_ID}"

    def vpc(owner: str, vpc_id: str, cidr: str) -> dict[str, Any]:
        return {"ownerId": owner, "vpcId": vpc_id, "cidrBlock": cidr, "region": HOME_REGION}

    return [
        (EC2, "CreateVpcPeeringConnection",
         {"vpcId": own_vpc, "peerVpcId": their_vpc, "peerOwnerId": fellow},
         {"requestId": ctx.ids.uuid(), "vpcPeeringConnection": {
             "vpcPeeringConnectionId": peering, "requesterVpcInfo": vpc(network, own_vpc, "10.0.0.0/16"),
             "accepterVpcInfo": {"ownerId": fellow, "vpcId": their_vpc, "region": HOME_REGION},
             "status": {"code": "initiating-request", "message": f"Initiating Request to {fellow}"}}}),
        (EC2, "AcceptVpcPeeringConnection",
         {"vpcPeeringConnectionId": peering},
         {"requestId": ctx.ids.uuid(), "vpcPeeringConnection": {
             "vpcPeeringConnectionId": peering, "requesterVpcInfo": vpc(fellow, their_vpc, "10.40.0.0/16"),
             "accepterVpcInfo": vpc(network, own_vpc, "10.0.0.0/16"),
             "status": {"code": "provisioning", "message": "Provisioning"}}}),
        _wrapped("CreateTransitGatewayPeeringAttachment",
                 {"TransitGatewayId": f"tgw-0{ctx.hex(16)}", "PeerTransitGatewayId": f"tgw-0{ctx.hex(16)}",
                  "PeerAccountId": fellow, "PeerRegion": "eu-west-1"},
                 {"transitGatewayPeeringAttachment": {
                     "transitGatewayAttachmentId": f"tgw-attach-0{ctx.hex(16)}", "state": "initiatingRequest"}}, ctx),
        (RAM, "CreateResourceShare",
         {"name": "network-subnets", "resourceArns": [subnet], "principals": [organization],
          "allowExternalPrincipals": False},
         {"resourceShare": {"resourceShareArn": share, "name": "network-subnets", "owningAccountId": network,
                            "allowExternalPrincipals": False, "status": "ACTIVE", "featureSet": "STANDARD"}}),
        (RAM, "AssociateResourceShare",
         {"resourceShareArn": share, "principals": [fellow]},
         {"resourceShareAssociations": [
             {"resourceShareArn": share, "resourceShareName": "network-subnets", "associatedEntity": fellow,
              "associationType": "PRINCIPAL", "status": "ASSOCIATING", "external": False}]}),
    ]  # fmt: skip


def domain_upkeep(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform keeps the company's registered domains (the shared services
    account): auto-renew, contact privacy and the transfer lock set as reviewed."""
    clock = Clock(ctx.rng, start)
    shared = ctx.org.one("shared")
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", shared)
    domain = ctx.rng.choice(("example.com", "example.net", "example.org"))
    operation = {"operationId": ctx.ids.uuid()}
    changes: list[Change] = [
        (DOMAINS, "EnableDomainAutoRenew", {"domainName": domain}, None),
        (DOMAINS, "DisableDomainAutoRenew", {"domainName": domain}, None),
        (DOMAINS, "UpdateDomainContactPrivacy",
         {"domainName": domain, "adminPrivacy": True, "registrantPrivacy": True, "techPrivacy": True}, operation),
        (DOMAINS, "EnableDomainTransferLock", {"domainName": domain}, operation),
    ]  # fmt: skip
    chosen = ctx.rng.sample(changes, ctx.rng.randint(1, 2))
    return records + terraform_writes(ctx, clock, identity, shared, ip, chosen)


__all__ = [
    "database_terraform",
    "domain_upkeep",
    "ec2_hardening",
    "managed_password_rotation",
    "network_sharing",
]
