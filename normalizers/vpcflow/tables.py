"""VPC flow log fields and the tables the mapping reads, as data (docs/sources/vpcflow.md)."""

from __future__ import annotations

from normalizers.ecs.timestamps import MAX_EPOCH_SECONDS

# Counters are 64-bit (Parquet INT_64): any value up to 2**63 - 1 must round-trip exactly.
INT64_MAX = 2**63 - 1


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The fields of each version, as the header of a text flow log names them (flow-logs.md).
V2_FIELDS = _names(
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


V3_FIELDS = _names("vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr")


V4_FIELDS = _names("region az-id sublocation-type sublocation-id")


V5_FIELDS = _names("pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path")


V7_FIELDS = _names(
    "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id "
    "ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn "
    "ecs-task-arn ecs-task-id"
)


V8_FIELDS = _names("reject-reason")


# Transit gateway flow logs (version 6, AWS Transit Gateway guide, "Flow log records").
TGW_FIELDS = _names(
    "resource-type tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id "
    "tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni "
    "tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id packets-lost-no-route "
    "packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired"
)


KNOWN_FIELDS = frozenset(V2_FIELDS + V3_FIELDS + V4_FIELDS + V5_FIELDS + V7_FIELDS + V8_FIELDS + TGW_FIELDS)


# Fields whose whole meaning has an ECS home; every other field is kept under aws.vpcflow.
# (The addresses land in source.ip/destination.ip, the packet's first; an interface address
# that differs from the packet's is kept as aws.vpcflow.srcaddr/dstaddr: mapping.py.)
ECS_ONLY = frozenset(
    _names(
        "srcaddr dstaddr pkt-srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end "
        "account-id region instance-id"
    )
)


# Integers by the specification (Parquet INT_32/INT_64): a non-numeric value is a bad record.
# ``version`` is not among them: it is only kept as a keyword and never computed with.
NUMERIC_LIMITS: dict[str, int] = {
    "srcport": 65535,
    "dstport": 65535,
    "protocol": 255,
    "tcp-flags": 65535,
    "traffic-path": 65535,
    "packets": INT64_MAX,
    "bytes": INT64_MAX,
    "end": MAX_EPOCH_SECONDS - 1,
    "packets-lost-no-route": INT64_MAX,
    "packets-lost-blackhole": INT64_MAX,
    "packets-lost-mtu-exceeded": INT64_MAX,
    "packets-lost-ttl-expired": INT64_MAX,
}


# Read from a Parquet integer column as integers (every Arrow integer type int64 holds).
INTEGER_FIELDS = frozenset({"start", *NUMERIC_LIMITS})


# aws.vpcflow fields stored as numbers; the others are keywords, as in Elastic's aws.vpcflow.
AWS_INTEGERS = frozenset(name for name in TGW_FIELDS if name.startswith("packets-lost-"))


TGW_MARKERS = ("tgw-", "packets-lost-", "resource-type")


# A flow log has at least one of these (they are what detect.py recognizes a flow log by);
# ``action`` or ``region`` alone are too common a name.
IDENTIFYING_FIELDS = frozenset(
    _names("srcaddr dstaddr interface-id log-status account-id tgw-id flow-direction packets")
)


ADDRESS_FIELDS = ("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr")


# IANA protocol numbers -> ECS network.transport (lower-case IANA keyword, as Elastic writes it).
TRANSPORTS: dict[int, str] = {
    0: "hopopt",
    1: "icmp",
    2: "igmp",
    4: "ipv4",
    6: "tcp",
    8: "egp",
    17: "udp",
    27: "rdp",
    41: "ipv6",
    43: "ipv6-route",
    44: "ipv6-frag",
    46: "rsvp",
    47: "gre",
    50: "esp",
    51: "ah",
    58: "ipv6-icmp",
    59: "ipv6-nonxt",
    60: "ipv6-opts",
    88: "eigrp",
    89: "ospf",
    94: "ipip",
    103: "pim",
    112: "vrrp",
    115: "l2tp",
    132: "sctp",
    136: "udplite",
    137: "mpls-in-ip",
}


# The TCP flags AWS records, by bit (Elastic's aws.vpcflow.tcp_flags_array).
TCP_FLAG_BITS = ((1, "fin"), (2, "syn"), (4, "rst"), (8, "psh"), (16, "ack"), (32, "urg"))


DIRECTIONS = {"ingress": "ingress", "egress": "egress"}
