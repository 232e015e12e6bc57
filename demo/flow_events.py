"""The network side of the demo incident: three flow log files.

- prod, default v2 text: the attacker's port scan (a burst of REJECTs), web traffic, an idle
  interface (NODATA) and one record whose source address is malformed (``211.9.016.253``:
  indexed, with the value in ``source.address``, never in ``source.ip``);
- prod, custom v5 text (own field order): the attacker's SSH session once port 22 is open,
  web and S3 traffic, and one record with a non-UTF-8 byte (dead-lettered);
- dev, Parquet: the CI runner's ordinary traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from demo.cast import REGION, Cast
from demo.ids import Ids
from demo.records import vpcflow
from demo.trail_events import at

SCANNED_PORTS = (
    21,
    22,
    23,
    25,
    53,
    80,
    110,
    111,
    135,
    139,
    143,
    443,
    445,
    993,
    995,
    1433,
    1521,
    2375,
    3306,
    3389,
    5432,
    5900,
    6379,
    8080,
    8443,
    9200,
    11211,
    27017,
)
MALFORMED_IP = "211.9.016.253"
TCP = 6


@dataclass(frozen=True, slots=True)
class FlowFile:
    key: str
    body: bytes
    """Uncompressed text, or the Parquet bytes."""
    records: int
    parquet: bool = False
    bad_line: int | None = None
    """1-based line number (header = line 1) of the record that must be dead-lettered."""


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _flow(cast: Cast, start: datetime, seconds: int, **fields: Any) -> dict[str, object]:
    """A TCP flow (by default of the instance's interface in prod); ``fields`` are
    :func:`vpcflow.flow`'s."""
    fields.setdefault("account", cast.prod_account)
    fields.setdefault("interface", cast.instance_eni)
    return vpcflow.flow(start=_epoch(start), end=_epoch(start + timedelta(seconds=seconds)), **fields)


def scan_file(cast: Cast, ids: Ids) -> FlowFile:
    rng = ids.random
    flows: list[dict[str, object]] = []
    moment = at(8, 51, 3)
    for port in SCANNED_PORTS:
        flows.append(
            _flow(
                cast,
                moment,
                rng.randint(5, 40),
                src=cast.attacker_ip,
                dst=cast.instance_ip,
                src_port=rng.randint(40000, 65000),
                dst_port=port,
                packets=1,
                byte_count=44,
                action="REJECT",
            )
        )
        moment += timedelta(seconds=rng.randint(2, 6))
    for minute in range(50, 55):
        alb = f"10.20.0.{rng.randint(10, 60)}"
        port = rng.randint(30000, 60000)
        start = at(8, minute, rng.randint(0, 20))
        flows.append(
            _flow(
                cast,
                start,
                58,
                src=alb,
                dst=cast.instance_ip,
                src_port=port,
                dst_port=8080,
                packets=rng.randint(8, 40),
                byte_count=rng.randint(2_000, 30_000),
                action="ACCEPT",
            )
        )
        flows.append(
            _flow(
                cast,
                start,
                58,
                src=cast.instance_ip,
                dst=alb,
                src_port=8080,
                dst_port=port,
                packets=rng.randint(8, 40),
                byte_count=rng.randint(20_000, 900_000),
                action="ACCEPT",
            )
        )
    flows.append(
        _flow(
            cast,
            at(8, 52, 40),
            41,
            src=MALFORMED_IP,
            dst=cast.instance_ip,
            src_port=51515,
            dst_port=443,
            packets=3,
            byte_count=180,
            action="ACCEPT",
        )
    )
    idle = vpcflow.nodata(
        account=cast.prod_account,
        interface=ids.resource_id("eni"),
        start=_epoch(at(8, 50, 12)),
        end=_epoch(at(8, 51, 10)),
    )
    flows.append(idle)
    flows.sort(key=lambda f: int(str(f["start"])))  # stable: a request stays before its reply
    fields = vpcflow.DEFAULT_FIELDS
    body = vpcflow.text_body((vpcflow.text_line(f, fields) for f in flows), fields)
    key = vpcflow.log_key(cast.prod_account, REGION, cast.flow_log_prod, at(8, 50), ids.hex(8))
    return FlowFile(key, body, len(flows))


def _v5(
    cast: Cast, start: datetime, direction: str, extra: dict[str, object], **fields: Any
) -> dict[str, object]:
    """A minute of the instance's traffic in the v5 fields; ``extra`` adds fields by name."""
    v5: dict[str, object] = {
        "vpc-id": cast.vpc_id,
        "subnet-id": cast.subnet_id,
        "instance-id": cast.instance_id,
        "type": "IPv4",
        "region": REGION,
        "az-id": "use1-az4",
        "flow-direction": direction,
        "pkt-srcaddr": fields["src"],
        "pkt-dstaddr": fields["dst"],
        "traffic-path": 8 if direction == "egress" else None,
    }
    return _flow(cast, start, 59, version=5, extra={**extra, **v5}, **fields)


def ssh_file(cast: Cast, ids: Ids) -> FlowFile:
    rng = ids.random
    flows: list[dict[str, object]] = []
    client_port = rng.randint(40000, 65000)
    for index, minute in enumerate(range(19, 25)):
        start = at(9, minute, 0)
        first, last = index == 0, minute == 24
        inbound_flags = (2 if first else 0) | (1 if last else 0)
        flows.append(
            _v5(
                cast,
                start,
                "ingress",
                src=cast.attacker_ip,
                dst=cast.instance_ip,
                src_port=client_port,
                dst_port=22,
                packets=rng.randint(20, 90),
                byte_count=rng.randint(4_000, 20_000),
                action="ACCEPT",
                extra={"tcp-flags": inbound_flags},
            )
        )
        flows.append(
            _v5(
                cast,
                start,
                "egress",
                src=cast.instance_ip,
                dst=cast.attacker_ip,
                src_port=22,
                dst_port=client_port,
                packets=rng.randint(200, 900),
                byte_count=rng.randint(2_000_000, 9_000_000),
                action="ACCEPT",
                extra={"tcp-flags": (18 if first else 0) | (1 if last else 0)},
            )
        )
    for minute in (20, 23):
        s3 = f"52.216.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        flows.append(
            _v5(
                cast,
                at(9, minute, 30),
                "egress",
                src=cast.instance_ip,
                dst=s3,
                src_port=rng.randint(30000, 60000),
                dst_port=443,
                packets=rng.randint(10, 50),
                byte_count=rng.randint(5_000, 60_000),
                action="ACCEPT",
                extra={"tcp-flags": 3, "pkt-dst-aws-service": "S3"},
            )
        )
    flows.sort(key=lambda f: int(str(f["start"])))  # stable: ingress stays before its egress
    fields = vpcflow.CUSTOM_V5_FIELDS
    lines: list[str | bytes] = [vpcflow.text_line(f, fields) for f in flows]
    # A record mangled in transit: one byte that is not UTF-8 inside the interface id.
    corrupt = vpcflow.text_line(flows[3], fields).replace(cast.instance_eni, cast.instance_eni[:8] + "\x00")
    bad_index = 4
    lines.insert(bad_index, corrupt.encode("utf-8").replace(b"\x00", b"\xff"))
    body = vpcflow.text_body(lines, fields)
    key = vpcflow.log_key(cast.prod_account, REGION, cast.flow_log_prod, at(9, 20), ids.hex(8))
    return FlowFile(key, body, len(lines), bad_line=bad_index + 2)


def runner_file(cast: Cast, ids: Ids) -> FlowFile:
    rng = ids.random
    flows: list[dict[str, object]] = []
    for second in range(0, 300, 20):
        start = at(9, 0) + timedelta(seconds=second)
        remote = f"192.0.2.{rng.randint(100, 199)}"
        port = rng.randint(32768, 60999)
        flows.append(
            _flow(
                cast,
                start,
                30,
                src=cast.runner_ip,
                dst=remote,
                src_port=port,
                dst_port=443,
                packets=rng.randint(5, 60),
                byte_count=rng.randint(1_000, 80_000),
                action="ACCEPT",
                account=cast.dev_account,
                interface=cast.runner_eni,
            )
        )
        flows.append(
            _flow(
                cast,
                start,
                30,
                src=remote,
                dst=cast.runner_ip,
                src_port=443,
                dst_port=port,
                packets=rng.randint(5, 200),
                byte_count=rng.randint(10_000, 5_000_000),
                action="ACCEPT",
                account=cast.dev_account,
                interface=cast.runner_eni,
            )
        )
    body = vpcflow.parquet_body(flows)
    key = vpcflow.log_key(cast.dev_account, REGION, cast.flow_log_dev, at(9, 0), ids.hex(8), parquet=True)
    return FlowFile(key, body, len(flows), parquet=True)


def flow_files(cast: Cast, ids: Ids) -> list[FlowFile]:
    return [scan_file(cast, ids), ssh_file(cast, ids), runner_file(cast, ids)]
