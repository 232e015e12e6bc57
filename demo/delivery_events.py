"""The security account's own logs, which reach the bucket by the delivery paths (docs/demo.md):

- its VPC flow log group in CloudWatch Logs, forwarded by a subscription filter to Firehose,
  which GZIP-compresses what CloudWatch Logs already compressed (gzip inside gzip), with the
  control message CloudWatch Logs sends when the subscription is created;
- its CloudTrail events in ``us-west-2`` as Amazon Security Lake writes them: OCSF API
  Activity rows in Parquet under ``aws/CLOUD_TRAIL_MGMT/2.0/``.

Both are background: the security tooling's own traffic and AWS services' calls, no part of
the attack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from demo.cast import WINDOW_START, Cast
from demo.ids import Ids
from demo.records import cloudtrail as ct
from demo.records import cloudwatch_logs as cwl
from demo.records import securitylake as sl
from demo.records import vpcflow
from demo.records.securityhub import firehose_key

LAKE_REGION = "us-west-2"


@dataclass(frozen=True, slots=True)
class DeliveredObject:
    key: str
    body: bytes
    source: str
    delivery: str
    records: int


def delivery_objects(cast: Cast, ids: Ids) -> list[DeliveredObject]:
    return [_cloudwatch_logs_flows(cast, ids), _security_lake_trail(cast, ids)]


def _cloudwatch_logs_flows(cast: Cast, ids: Ids) -> DeliveredObject:
    """The SIEM's collector in the security account calling the OpenSearch endpoint (HTTPS)."""
    start = WINDOW_START + timedelta(minutes=20)
    collector = ids.ip_in("10.20.1")
    interface = f"eni-{ids.hex(17)}"
    endpoint = ids.ip_in("10.20.2")
    lines = []
    for minute in range(6):
        epoch = int((start + timedelta(minutes=minute)).timestamp())
        flow = vpcflow.flow(
            src=collector,
            dst=endpoint,
            src_port=ids.random.randrange(32768, 61000),
            dst_port=443,
            packets=ids.random.randrange(10, 400),
            byte_count=ids.random.randrange(4_000, 400_000),
            start=epoch,
            end=epoch + 60,
            account=cast.admin_account,
            interface=interface,
        )
        lines.append(vpcflow.text_line(flow))
    ingested = int((start + timedelta(minutes=8)).timestamp() * 1000)
    events = [
        cwl.log_event(line, ingested, cwl.event_id(ingested, number)) for number, line in enumerate(lines)
    ]
    payload = cwl.subscription_payload(
        owner=cast.admin_account,
        log_group="/aws/vpc/flowlogs/security",
        log_stream=f"{interface}-all",
        events=events,
    )
    delivered = start + timedelta(minutes=10)
    key = firehose_key("cloudwatch-logs/", "siem-cwl-flows", delivered, ids, gzip=True)
    body = cwl.firehose_object([cwl.control_payload(ingested - 60_000), payload], gzip_again=True)
    return DeliveredObject(key, body, "vpcflow", "cloudwatch_logs", len(events))


def _security_lake_trail(cast: Cast, ids: Ids) -> DeliveredObject:
    """CloudTrail encrypting its log files in the security account, as Security Lake writes it."""
    records = []
    for number in range(4):
        when = WINDOW_START + timedelta(minutes=15 + 30 * number)
        records.append(
            ct.event(
                ct.Call(
                    identity=ct.aws_service("cloudtrail.amazonaws.com"),
                    time=when,
                    source="kms.amazonaws.com",
                    name="GenerateDataKey",
                    region=LAKE_REGION,
                    source_ip="cloudtrail.amazonaws.com",
                    user_agent="cloudtrail.amazonaws.com",
                    recipient_account=cast.admin_account,
                    read_only=True,
                    request={"keySpec": "AES_256"},
                ),
                ids,
            )
        )
    rows = [sl.api_activity_row(record) for record in records]
    key = sl.object_key("CLOUD_TRAIL_MGMT", LAKE_REGION, cast.admin_account, WINDOW_START, ids.uuid())
    return DeliveredObject(key, sl.parquet_from_rows(rows), "cloudtrail", "securitylake", len(rows))
