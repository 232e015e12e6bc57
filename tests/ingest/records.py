"""Synthetic input for ingest tests: VPC Flow Log text objects as AWS delivers them.

Flow lines are the cheapest record to generate and normalize, so tests can afford tens of
thousands of them; the format follows the default v2 fields (../shared/reference/aws-docs/vpc).
A "bad" line (too few fields) is a record the normalizer must dead-letter.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass

FLOW_HEADER = (
    b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    b"start end action log-status\n"
)


@dataclass(frozen=True)
class FlowObject:
    body: bytes
    """gzip-compressed, as delivered to S3."""
    records: int
    bad: int


def flow_object(records: int, seed: int, bad_every: int = 0, start: int = 1_700_000_000) -> FlowObject:
    """``records`` flow lines; every ``bad_every``-th one is truncated (dead-lettered)."""
    rng = random.Random(seed)
    lines = [FLOW_HEADER]
    bad = 0
    for number in range(records):
        if bad_every and number % bad_every == bad_every - 1:
            lines.append(b"2 123456789012 eni-0bad truncated\n")
            bad += 1
            continue
        begin = start + rng.randrange(86_400)
        lines.append(
            b"2 123456789012 eni-%05x 10.%d.%d.%d 172.16.%d.%d %d %d 6 %d %d %d %d %s OK\n"
            % (
                rng.randrange(1 << 20),
                rng.randrange(256),
                rng.randrange(256),
                rng.randrange(256),
                rng.randrange(256),
                rng.randrange(256),
                rng.randrange(1024, 65536),
                rng.choice((22, 443, 3389)),
                rng.randrange(1, 100),
                rng.randrange(40, 100_000),
                begin,
                begin + 60,
                rng.choice((b"ACCEPT", b"REJECT")),
            )
        )
    return FlowObject(gzip.compress(b"".join(lines), compresslevel=1), records, bad)
