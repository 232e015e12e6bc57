"""Every field of a VPC flow document: the one definition the index template and the field
table of docs/sources/vpcflow.md are built from. ``raw`` is the flow log field's name (text
header; Parquet columns write ``-`` as ``_``)."""

from __future__ import annotations

from normalizers.ecs.fields import ecs
from normalizers.fields import Field, field

BLOCK = "aws.vpcflow"

ECS: tuple[Field, ...] = (
    ecs(
        "@timestamp",
        "when the first packet of the flow was seen: epoch seconds in epoch milliseconds "
        "(`1418530010` -> `1418530010000`, 2014-12-14T04:06:50Z); required",
        "start",
    ),
    ecs("event.start", "`start`: an alias of `@timestamp` in the index, not in the document"),
    ecs("event.end", "when the last packet of the flow was seen, in epoch milliseconds", "end"),
    ecs("event.kind", "`event`: a constant of the index, not in the document"),
    ecs("event.category", "`network`: a constant of the index, not in the document"),
    ecs(
        "event.action",
        "`action` as written (`ACCEPT`, `REJECT`): the flow's outcome (no `event.outcome` nor "
        "`event.type` is written: they would only restate it)",
    ),
    ecs(
        "event.id",
        "blake2b-96 of the object, the line (row) number and the record, base64url (16 characters): "
        "stable on a reload, unique per record",
    ),
    ecs("event.dataset", "`aws.vpcflow`: a constant of the index, not in the document"),
    ecs("event.module", "`aws`"),
    ecs("event.provider", "`vpc-flow-logs`, or `tgw-flow-logs` for a transit gateway's"),
    ecs("event.ingested", "when the loader read the record, in epoch milliseconds (`1767225600000`)"),
    ecs("event.original", "the line (text) or the row as a JSON object (Parquet), with `keep_original` only"),
    ecs("cloud.provider", "`aws`: a constant of the index, not in the document"),
    ecs(
        "cloud.account.id",
        "the owner of the interface, always from the record; none when it is `unknown` (an interface an AWS "
        "service created: a VPC endpoint's, a Network Load Balancer's)",
        "account-id",
    ),
    ecs("cloud.region", "only when the record has it", "region"),
    ecs("cloud.instance.id", "the instance of the interface; copied to `related.hosts`", "instance-id"),
    ecs("source.address", "the source address as written, only when it is not a valid IP", "srcaddr"),
    ecs(
        "source.ip",
        "the packet's source: `pkt-srcaddr` when the format has it and it is a valid IP, else `srcaddr` "
        "(valid IPv4/IPv6 only, canonical form; `211.9.016.253` is none); copied to `related.ip`",
    ),
    ecs("source.port", "0-65535", "srcport"),
    ecs("source.bytes", "bytes of the flow; 64-bit, any value up to 2^63-1 round-trips exactly", "bytes"),
    ecs("source.packets", "packets of the flow (64-bit)", "packets"),
    ecs(
        "destination.address", "the destination address as written, only when it is not a valid IP", "dstaddr"
    ),
    ecs(
        "destination.ip",
        "the packet's destination: `pkt-dstaddr` when the format has it and it is a valid IP, else `dstaddr` "
        "(valid IPv4/IPv6 only, canonical form); copied to `related.ip`",
    ),
    ecs("destination.port", "0-65535", "dstport"),
    ecs(
        "network.iana_number",
        "the IANA protocol number, as a string, only when `network.transport` has no keyword for it",
        "protocol",
    ),
    ecs(
        "network.transport",
        "the protocol's lower-case IANA keyword (`tcp`, `udp`, `icmp`, `ipv6-icmp`...); none for an unknown number",
    ),
    ecs(
        "network.type",
        "not written: the family is the addresses' (`source.ip`, `destination.ip`), and `type` is "
        "`aws.vpcflow.type`",
    ),
    ecs("network.bytes", "`bytes`: an alias of `source.bytes` in the index, not in the document"),
    ecs("network.packets", "`packets`: an alias of `source.packets` in the index, not in the document"),
    ecs(
        "network.direction",
        "`ingress`/`egress` from `flow-direction` (`unknown` for another value); none without it",
    ),
    ecs(
        "related.ip",
        "`srcaddr`, `dstaddr`, `pkt-srcaddr`, `pkt-dstaddr`: indexed from the address fields "
        "(`copy_to` from `source.ip`, `destination.ip`, `aws.vpcflow.srcaddr`, `aws.vpcflow.dstaddr`), "
        "not in the document",
    ),
    ecs("related.hosts", "`instance-id`: indexed from `cloud.instance.id` (`copy_to`), not in the document"),
)


def _own(name: str, kind: str, description: str) -> Field:
    return field(f"{BLOCK}.{name.replace('-', '_')}", kind, description, name)  # type: ignore[arg-type]


OWN: tuple[Field, ...] = (
    _own("version", "keyword", "the flow log version (the highest of the fields' versions)"),
    field(
        f"{BLOCK}.account_id",
        "keyword",
        "not filled: the account is `cloud.account.id` (mapped as in Elastic's `aws.vpcflow`)",
    ),
    _own("interface-id", "keyword", "the network interface the traffic is recorded for"),
    _own(
        "action",
        "keyword",
        "`ACCEPT` or `REJECT`: an alias of `event.action` in the index, not in the document",
    ),
    _own("log-status", "keyword", "`OK`, `NODATA` (no traffic) or `SKIPDATA` (records skipped)"),
    _own("vpc-id", "keyword", "the interface's VPC"),
    _own("subnet-id", "keyword", "the interface's subnet"),
    field(
        f"{BLOCK}.instance_id",
        "keyword",
        "not filled: the instance is `cloud.instance.id` (mapped as in Elastic's `aws.vpcflow`)",
    ),
    _own("type", "keyword", "`IPv4`, `IPv6` or `EFA` as written"),
    _own("tcp-flags", "keyword", "the OR of the TCP flags seen, as written (`18`)"),
    field(
        f"{BLOCK}.tcp_flags_array",
        "keyword",
        "the flags of `tcp-flags` by name: `fin` 1, `syn` 2, `rst` 4, `psh` 8, `ack` 16, `urg` 32",
    ),
    field(
        f"{BLOCK}.region",
        "keyword",
        "not filled: the region is `cloud.region` (mapped as in Elastic's `aws.vpcflow`)",
    ),
    _own("az-id", "keyword", "the Availability Zone id (`use1-az1`), not the account-specific zone name"),
    _own("sublocation-type", "keyword", "`wavelength`, `outpost` or `localzone`"),
    _own("sublocation-id", "keyword", "the sublocation of the interface"),
    _own("pkt-src-aws-service", "keyword", "the AWS service whose address range `pkt-srcaddr` is in"),
    _own("pkt-dst-aws-service", "keyword", "the AWS service whose address range `pkt-dstaddr` is in"),
    _own("flow-direction", "keyword", "`ingress` or `egress`, relative to the interface"),
    _own("traffic-path", "keyword", "the path egress traffic takes (`1` through `8`), as written"),
    _own("reject-reason", "keyword", "why the traffic was rejected (`BPA`)"),
    _own("ecs-cluster-arn", "keyword", "the ECS cluster's ARN"),
    _own("ecs-cluster-name", "keyword", "the ECS cluster's name"),
    _own("ecs-container-instance-arn", "keyword", "the ECS container instance's ARN"),
    _own("ecs-container-instance-id", "keyword", "the ECS container instance's id"),
    _own("ecs-container-id", "keyword", "the first container's id"),
    _own("ecs-second-container-id", "keyword", "the second container's id"),
    _own("ecs-service-name", "keyword", "the ECS service"),
    _own("ecs-task-definition-arn", "keyword", "the ECS task definition"),
    _own("ecs-task-arn", "keyword", "the ECS task's ARN"),
    _own("ecs-task-id", "keyword", "the ECS task's id"),
    _own("resource-type", "keyword", "the transit gateway resource type (`TransitGateway`)"),
    _own("tgw-id", "keyword", "the transit gateway"),
    _own("tgw-attachment-id", "keyword", "the transit gateway attachment"),
    _own("tgw-src-vpc-account-id", "keyword", "the source VPC's account"),
    _own("tgw-dst-vpc-account-id", "keyword", "the destination VPC's account"),
    _own("tgw-src-vpc-id", "keyword", "the source VPC"),
    _own("tgw-dst-vpc-id", "keyword", "the destination VPC"),
    _own("tgw-src-subnet-id", "keyword", "the source subnet"),
    _own("tgw-dst-subnet-id", "keyword", "the destination subnet"),
    _own("tgw-src-eni", "keyword", "the source network interface"),
    _own("tgw-dst-eni", "keyword", "the destination network interface"),
    _own("tgw-src-az-id", "keyword", "the source Availability Zone id"),
    _own("tgw-dst-az-id", "keyword", "the destination Availability Zone id"),
    _own("tgw-pair-attachment-id", "keyword", "the other attachment of the flow"),
    _own("packets-lost-no-route", "long", "packets dropped for want of a route"),
    _own("packets-lost-blackhole", "long", "packets dropped by a blackhole route"),
    _own("packets-lost-mtu-exceeded", "long", "packets dropped for exceeding the MTU"),
    _own("packets-lost-ttl-expired", "long", "packets dropped when their TTL expired"),
    field(
        f"{BLOCK}.srcaddr",
        "ip",
        "the interface's source address (a NAT gateway's, a transit gateway's, a node's behind its pod), "
        "only where it differs from the packet's (`pkt-srcaddr`, then `source.ip`); copied to `related.ip`",
    ),
    field(
        f"{BLOCK}.dstaddr",
        "ip",
        "the interface's destination address, only where it differs from the packet's (`pkt-dstaddr`, then "
        "`destination.ip`); copied to `related.ip`",
    ),
    field(
        f"{BLOCK}.pkt_srcaddr",
        "ip",
        "not filled: the packet's source address is `source.ip` (documents written by 0.4.0 and "
        "before hold it here); copied to `related.ip`",
    ),
    field(
        f"{BLOCK}.pkt_dstaddr",
        "ip",
        "not filled: the packet's destination address is `destination.ip` (documents written by 0.4.0 "
        "and before hold it here); copied to `related.ip`",
    ),
)

FIELDS: tuple[Field, ...] = (*ECS, *OWN)

# Each byte of a flow document is paid once per flow, and flows are the largest source by far
# (docs/sources/vpcflow.md, "Document size"): what is the same in every document of the index,
# or a copy of another field, is written in the index template instead of in each document.
CONSTANTS: dict[str, str] = {
    "event.dataset": "aws.vpcflow",
    "event.kind": "event",
    "event.category": "network",
    "event.module": "aws",
    "cloud.provider": "aws",
}
"""Fields holding one value in every flow document: ``constant_keyword`` fields of the index."""
ALIASES: dict[str, str] = {
    "event.start": "@timestamp",
    "network.bytes": "source.bytes",
    "network.packets": "source.packets",
    f"{BLOCK}.action": "event.action",
}
"""Fields equal to another field of every flow document: field aliases of the index."""
COPIES: dict[str, str] = {
    "source.ip": "related.ip",
    "destination.ip": "related.ip",
    f"{BLOCK}.srcaddr": "related.ip",
    f"{BLOCK}.dstaddr": "related.ip",
    f"{BLOCK}.pkt_srcaddr": "related.ip",
    f"{BLOCK}.pkt_dstaddr": "related.ip",
    "cloud.instance.id": "related.hosts",
}
"""Fields the index also indexes into another (``copy_to``): ``related.ip`` and
``related.hosts`` are searched and aggregated like written fields, but no flow document
repeats its addresses and instance in them."""
