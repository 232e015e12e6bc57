"""Synthetic input for ingest tests: VPC Flow Log text objects as AWS delivers them.

Flow lines are the cheapest record to generate and normalize, so tests can afford tens of
thousands of them; they come from the shared builders (:mod:`demo.records.vpcflow`, default
v2 fields). A "bad" line (too few fields) is a record the normalizer must dead-letter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo.records import vpcflow
from demo.records.compression import gzip_bytes


@dataclass(frozen=True)
class FlowObject:
    body: bytes
    """gzip-compressed, as delivered to S3."""
    records: int
    bad: int


def flow_object(records: int, seed: int, bad_every: int = 0, start: int = 1_700_000_000) -> FlowObject:
    """``records`` flow lines; every ``bad_every``-th one is truncated (dead-lettered)."""
    rng = random.Random(seed)
    lines: list[str] = []
    bad = 0
    for number in range(records):
        if bad_every and number % bad_every == bad_every - 1:
            lines.append("2 123456789012 eni-0bad truncated")
            bad += 1
            continue
        begin = start + rng.randrange(86_400)
        record = vpcflow.flow(
            account="123456789012",
            interface=f"eni-{rng.randrange(1 << 20):05x}",
            src=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            dst=f"172.16.{rng.randrange(256)}.{rng.randrange(256)}",
            src_port=rng.randrange(1024, 65536),
            dst_port=rng.choice((22, 443, 3389)),
            packets=rng.randrange(1, 100),
            byte_count=rng.randrange(40, 100_000),
            start=begin,
            action=rng.choice(("ACCEPT", "REJECT")),
        )
        lines.append(vpcflow.text_line(record))
    return FlowObject(gzip_bytes(vpcflow.text_body(lines), level=1), records, bad)
