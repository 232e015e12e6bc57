"""Dead-letter sinks: S3 (Lambda) and a local folder (CLI).

Layout: ``<prefix><source>/<yyyy>/<mm>/<dd>/<object-hash>-<chunk>[-<handled before>].jsonl``, one JSON
line per record: ``{reason, source, object, position, raw[, raw_encoding], version, stage[, index]}``.
The date is the object's last-modified date and the name is derived from the object's
identity and the chunk, so a retried chunk overwrites its own file instead of writing the same
dead letters twice.

``stage`` tells replay what ``raw`` holds: ``normalize`` (the raw record, replayed through the
source's normalizer) or ``index`` (the normalized document OpenSearch refused, sent again as is).

Every part of a file's path or key is safe by construction: the source is one of
:data:`DEAD_LETTER_SOURCES` (a batch of any other is refused, whoever built it: a replayed file
names its own source), the date is digits, the object is named by a hash of its key and version,
the chunk by numbers. No value from a record or an object key can reach a path, so no dead
letter is written outside the folder or the prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from ingest.reader import ObjectIdentity
from normalizers import SOURCES

UNKNOWN_SOURCE = "unknown"
"""The pseudo-source of records no normalizer recognized (and of refused replay lines)."""
DEAD_LETTER_SOURCES = frozenset((*SOURCES, UNKNOWN_SOURCE))
"""The only names a dead-letter folder (or key prefix) may have."""


@dataclass(frozen=True, slots=True)
class DeadLetterBatch:
    identity: ObjectIdentity
    source: str
    chunk: int
    handled_before: int
    """Records of the chunk handled by earlier attempts (0 for a fresh chunk). It names a resumed
    chunk's file apart from the earlier attempt's, and is the same when an attempt is repeated."""
    entries: Sequence[dict[str, Any]]

    def __post_init__(self) -> None:
        if self.source not in DEAD_LETTER_SOURCES:
            raise ValueError(
                f"dead letters of source {ascii(self.source)[:80]} refused: not a known source name"
            )

    def relative_key(self) -> str:
        day = self.identity.last_modified.strftime("%Y/%m/%d")
        suffix = f"-{self.handled_before}" if self.handled_before else ""
        return f"{self.source}/{day}/{self.identity.short_hash}-{self.chunk:05d}{suffix}.jsonl"

    def body(self) -> bytes:
        return b"".join(orjson.dumps(entry) + b"\n" for entry in self.entries)


class DeadLetterSink(Protocol):
    def write(self, batch: DeadLetterBatch) -> str:
        """Store the batch; return where it went."""
        ...


class S3DeadLetterSink:
    def __init__(self, s3: Any, bucket: str, prefix: str = "dead-letter/") -> None:
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix

    def write(self, batch: DeadLetterBatch) -> str:
        key = self._prefix + batch.relative_key()
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=batch.body(), ContentType="application/x-ndjson"
        )
        return f"s3://{self._bucket}/{key}"


class LocalDeadLetterSink:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def write(self, batch: DeadLetterBatch) -> str:
        path = self._directory / batch.relative_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(batch.body())
        temporary.replace(path)  # atomic: a crash never leaves half a file to replay
        return str(path)


class MemoryDeadLetterSink:
    """Keeps batches in memory (tests, dry runs)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def write(self, batch: DeadLetterBatch) -> str:
        key = batch.relative_key()
        self.files[key] = batch.body()
        return key

    def entries(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for body in self.files.values() for line in body.splitlines() if line]
