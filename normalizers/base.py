"""The data shapes that flow from a reader, through a normalizer, to a writer.

A normalizer is a pure function ``(stream, origin) -> Iterator[Document | DeadLetter]``:
it reads an already-decompressed binary stream record by record and yields, for each
record, either one ECS document or one dead letter. It never raises for a bad record,
never calls AWS, and never holds the whole file in memory.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from normalizers.limits import DEFAULT_LIMITS, Interrupted, Limits, never

Document = dict[str, Any]

# The longest raw record we copy into a dead letter. The original object stays in S3,
# so a cut copy loses nothing; it only keeps one dead letter from weighing megabytes.
MAX_DEAD_LETTER_RAW = 1 << 20


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the records come from and how to stamp them."""

    object: str
    """``s3://bucket/key`` or a local path: dead letters point back to it."""
    ingested: str
    """RFC 3339 UTC time stamped into every document's ``event.ingested``."""
    keep_original: bool = False
    """Copy each raw record into ``event.original``."""
    flow_formats: tuple[tuple[str, str], ...] = ()
    """VPC flow log formats for flow lines that come without a header line (Firehose,
    CloudWatch Logs): ``(log group or S3 key prefix, field names)``, from the configuration
    ``VPC_FLOW_FORMATS`` (normalizers/vpcflow/formats.py, docs/sources/vpcflow.md)."""
    config_snapshot_inventory: bool = False
    """Index every configuration item of an AWS Config snapshot file; by default only its
    ``AWS::Config::ResourceCompliance`` items, the rest counted as skipped (configuration
    ``CONFIG_SNAPSHOT_INVENTORY``, docs/sources/config.md)."""
    limits: Limits = DEFAULT_LIMITS
    """What one object may cost (normalizers/limits.py)."""
    should_stop: Callable[[], bool] = never
    """The caller's deadline, consulted as the object is read: ``True`` ends the normalization
    with :class:`~normalizers.limits.Interrupted` (the object is unfinished, not dead-lettered)."""

    def stop_if_asked(self) -> None:
        """Raise :class:`~normalizers.limits.Interrupted` when the caller wants the object stopped
        (a reader of something else than the object's stream, Parquet batches, calls it)."""
        if self.should_stop():
            raise Interrupted(f"stopped while reading {self.object}")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that could not be normalized, with everything needed to replay it."""

    source: str
    reason: str
    object: str
    position: str
    """Human-readable location inside the object: ``record 12``, ``line 7``, ``row 3``."""
    raw: bytes
    """The record's bytes, replayable through the same source's normalizer."""

    def to_json(self) -> dict[str, Any]:
        raw = self.raw[:MAX_DEAD_LETTER_RAW]
        out: dict[str, Any] = {
            "reason": self.reason,
            "source": self.source,
            "object": self.object,
            "position": self.position,
        }
        try:
            out["raw"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            out["raw"] = base64.b64encode(raw).decode("ascii")
            out["raw_encoding"] = "base64"
        if len(self.raw) > len(raw):
            out["raw_truncated_from"] = len(self.raw)
        return out

    @staticmethod
    def raw_from_json(entry: dict[str, Any]) -> bytes:
        raw = entry.get("raw", "")
        if entry.get("raw_encoding") == "base64":
            return base64.b64decode(raw)
        return str(raw).encode("utf-8")


Item = Document | DeadLetter


@dataclass(frozen=True, slots=True)
class Skipped:
    """A part of the object that holds no record to index (a CloudWatch Logs ``CONTROL_MESSAGE``,
    an AWS Config snapshot's inventory item when only compliance is imported): counted in the
    object's outcome by reason, neither indexed nor dead-lettered."""

    reason: str


Normalizer = Callable[[BinaryIO, Origin], Iterator[Item | Skipped]]
"""A source's normalizer: an object's decompressed stream -> one item per record."""
