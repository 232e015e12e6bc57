"""Stable ids: for records that carry none (a flow log line, a CloudTrail record of version
1.0), and for ids too long to be searched."""

from __future__ import annotations

import hashlib

MAX_ID_BYTES = 1024
"""The longest ``event.id`` written as the record gives it, in UTF-8 bytes: every ``keyword``
of the templates indexes values of at most 1,024 characters (``ignore_above``), and a longer id
would be in the document but found by no search (a pivot, the crash-resume look-up of
``ingest/searchable.py``, which then sends the document again)."""
KEPT_ID_BYTES = 256
"""What a longer id keeps of its beginning (on a character boundary), before its hash."""


def record_id(*parts: object) -> str:
    """blake2b-128 hex of the parts, each followed by a NUL byte: same input, same id."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()


def searchable_id(value: str) -> str:
    """``value``, or, when it is longer than :data:`MAX_ID_BYTES` UTF-8 bytes, its first
    :data:`KEPT_ID_BYTES` bytes, ``…`` and the blake2b-128 hex of the whole: as stable and as
    unique as the value (same value, same id, whatever the delivery), and searchable. The whole
    value stays in the source's own field (a finding's id) or in ``event.original``."""
    if len(value) * 4 <= MAX_ID_BYTES:  # fits whatever it holds: no need to encode
        return value
    encoded = value.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_ID_BYTES:
        return value
    head = encoded[:KEPT_ID_BYTES].decode("utf-8", "ignore")
    return f"{head}…{hashlib.blake2b(encoded, digest_size=16).hexdigest()}"
