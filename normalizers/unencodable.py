"""The dead letter of a document the JSON encoder refuses, shared by every path that writes
documents (the ingest chunks, ``siem normalize``, provenance's refusals).

orjson parses 1,024 levels but encodes 254, and refuses integers beyond 64 bits and keys that
are no strings: a shape no normalizer foresaw must cost its record alone, never its object or
the command (records in = documents + dead letters).
"""

from __future__ import annotations

from typing import Any

from normalizers.base import DeadLetter
from normalizers.reasons import INVALID_RECORD


def original_bytes(document: dict[str, Any]) -> bytes:
    """The record's ``event.original`` when it was kept, else nothing: what stands for a
    document that cannot itself be written."""
    event = document.get("event")
    original = event.get("original") if isinstance(event, dict) else None
    return original.encode("utf-8", "surrogatepass") if isinstance(original, str) else b""


def unencodable(
    document: dict[str, Any], error: TypeError, source: str, location: str, position: str
) -> DeadLetter:
    """The dead letter of ``document``, which the encoder refused with ``error``
    (``orjson.JSONEncodeError`` is a ``TypeError``). Its ``raw`` is the record's
    ``event.original`` when it was kept, replayable through the source's normalizer."""
    reason = f"{INVALID_RECORD}: its document cannot be encoded ({error})"
    return DeadLetter(source, reason, location, position, original_bytes(document))
