"""How much one object may cost, and how a caller stops its normalization on time.

Every account of an organization can put objects into the log bucket, so an object can be
anything: a gzip bomb, a record of a gigabyte, a gigabyte of whitespace. The normalizers read
any object in bounded memory and in time linear in its size; :class:`Limits` bounds the size
itself, so that one object can never cost an unbounded time or be an out-of-memory kill.

A limit that is reached ends the object with one dead letter (``object too large``) after
the records read before it; the object stays in S3, and its key and version in the dead
letter let it be re-driven with higher limits.

The caller's deadline is cooperative: :attr:`Origin.should_stop <normalizers.base.Origin>`
is consulted on every read of the object's stream (about every 256 KiB of decompressed
bytes, including inside long skips of whitespace or of an over-long record) and between
batches of rows of a Parquet file. When it answers ``True`` the normalization raises
:class:`Interrupted` out of the item iterator: the items yielded before are whole, nothing
after them was yielded, and the caller saves its progress and retries the object later
(docs/ingest.md, "Deadline").
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one object (docs/ingest.md, "Limits per object", says why these defaults)."""

    max_object_bytes: int = 4 * GIB
    """Decompressed bytes read from one object (a plain object: its size)."""
    max_ratio: int = 200
    """Decompressed bytes per compressed byte, checked once :attr:`ratio_floor` bytes are out."""
    ratio_floor: int = 64 * MIB
    """A small object may compress far better than a large one (an empty batch, a run of
    identical records): the ratio counts only past this many decompressed bytes."""
    max_record_bytes: int = 8 * MIB
    """A JSON record (or a wrapper parsed whole) longer than this is dead-lettered, its first
    MiB kept, the rest skipped without being held."""
    max_line_bytes: int = MIB
    """A line of a text source longer than this is dead-lettered (its first MiB kept)."""


DEFAULT_LIMITS = Limits()


class Interrupted(BaseException):
    """The caller's ``should_stop`` asked the normalization to stop: the object is unfinished.

    A ``BaseException``, so that no ``except Exception`` of a normalizer turns the caller's
    decision into a dead letter.
    """


def never() -> bool:
    """The default ``should_stop``: a run with no deadline (the CLI, tests)."""
    return False
