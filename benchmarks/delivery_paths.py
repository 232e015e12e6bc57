"""Delivery paths' throughput against the native objects of the same records, in the same run.

- CloudWatch Logs subscription payloads through Firehose (gzip inside gzip): the flows of the
  VPC benchmark, 1,000 log events per payload, against the same flows as an S3 text flow log;
  CloudTrail records, 100 log events per payload, against the same records as a log file;
- Amazon Security Lake OCSF Parquet: the same flows as Network Activity rows, and the same
  CloudTrail records as API Activity rows.

Each case runs in a fresh process (``benchmarks.vpcflow``'s measure: normalize, encode bulk
bodies, peak resident memory). Run: ``python -m benchmarks.delivery_paths [--rows N]``.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import tempfile
from pathlib import Path
from typing import Any

import orjson

from benchmarks.cloudtrail import build_file
from benchmarks.vpcflow import _flows, _measure
from demo.records import cloudwatch_logs as cwl
from demo.records import securitylake as sl
from demo.records import vpcflow

FLOWS = 200_000
TRAIL_RECORDS = 40_000


def _cwl_flows(flows: list[dict[str, object]]) -> bytes:
    payloads = []
    for start in range(0, len(flows), 1000):
        lines = [vpcflow.text_line(flow) for flow in flows[start : start + 1000]]
        events = [
            cwl.log_event(line, 1_714_564_800_000, cwl.event_id(1_714_564_800_000, start + n))
            for n, line in enumerate(lines)
        ]
        payloads.append(
            cwl.subscription_payload(
                owner="123456789012", log_group="/aws/vpc/flowlogs", log_stream="all", events=events
            )
        )
    return cwl.firehose_object(payloads, gzip_again=True)


def _cwl_trail(records: list[dict[str, Any]]) -> bytes:
    payloads = []
    for start in range(0, len(records), 100):
        events = [
            cwl.log_event(
                orjson.dumps(record).decode(), 1_714_564_800_000, cwl.event_id(1_714_564_800_000, start + n)
            )
            for n, record in enumerate(records[start : start + 100])
        ]
        payloads.append(
            cwl.subscription_payload(
                owner="123456789012", log_group="CloudTrail/DefaultLogGroup", log_stream="s", events=events
            )
        )
    return cwl.firehose_object(payloads, gzip_again=True)


def run(rows: int = FLOWS, records: int = TRAIL_RECORDS) -> list[dict[str, Any]]:
    flows = list(_flows(rows, vpcflow.DEFAULT_FIELDS))
    log_file = build_file(records)
    trail = orjson.loads(gzip.decompress(log_file))["Records"]
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        folder = Path(tmp)
        files = {
            "vpcflow text v2 (gzip), native": gzip.compress(
                vpcflow.text_body(vpcflow.text_line(flow) for flow in flows), compresslevel=6
            ),
            "vpcflow via cloudwatch logs (gzip in gzip)": _cwl_flows(flows),
            "vpcflow via security lake ocsf parquet": sl.parquet_from_rows(
                [sl.network_activity_row(flow) for flow in flows], row_group_size=65_536
            ),
            "cloudtrail log file (gzip), native": log_file,
            "cloudtrail via cloudwatch logs (gzip in gzip)": _cwl_trail(trail),
            "cloudtrail via security lake ocsf parquet": sl.parquet_from_rows(
                [sl.api_activity_row(record) for record in trail], row_group_size=65_536
            ),
        }
        del flows, trail
        context = multiprocessing.get_context("spawn")
        results = []
        for number, (name, body) in enumerate(files.items()):
            path = folder / f"object-{number}"
            path.write_bytes(body)
            with context.Pool(1) as pool:
                results.append(pool.apply(_measure, (name, str(path))))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=FLOWS, help=f"flow records (default {FLOWS})")
    parser.add_argument(
        "--records", type=int, default=TRAIL_RECORDS, help=f"CloudTrail records (default {TRAIL_RECORDS})"
    )
    args = parser.parse_args()
    for result in run(args.rows, args.records):
        print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
