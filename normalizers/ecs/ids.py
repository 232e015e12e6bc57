"""Stable ids for records that carry none (a flow log line, a CloudTrail record of version 1.0)."""

from __future__ import annotations

import hashlib


def record_id(*parts: object) -> str:
    """blake2b-128 hex of the parts, each followed by a NUL byte: same input, same id."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()
