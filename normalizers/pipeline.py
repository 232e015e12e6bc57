"""One object in, documents and dead letters out: decompress, detect, normalize.

This is the only entry point the ingest path and the CLI use, so that both count records
the same way: every record read ends up as exactly one document or one dead letter.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from normalizers import registry
from normalizers.base import DeadLetter, Item, Origin, Skipped
from normalizers.detect import Detection, detect, detect_parquet
from normalizers.layouts import read_key
from normalizers.object_key import object_key
from normalizers.reasons import NORMALIZER_ERROR, UNRECOGNIZED_FORMAT
from normalizers.stream import GZIP_MAGIC, PARQUET_MAGIC, TruncatedInput, decompressed, read_head

UNKNOWN = "unknown"
"""The dead letters' ``source`` for an object no source recognizes."""


@dataclass(slots=True)
class ObjectOutcome:
    """What happened to one object, filled in while its items are consumed."""

    source: str | None = None
    """The object's source; for a delivery path's object (CloudWatch Logs payloads, Security
    Lake), which may hold several sources' records, the source of the item last yielded."""
    delivery: str | None = None
    """The delivery path the object came by (normalizers/delivery.py), if any."""
    skipped_records: dict[str, int] = field(default_factory=dict)
    """Parts of the object that hold no record to index (CloudWatch Logs ``CONTROL_MESSAGE``
    payloads, an AWS Config snapshot's inventory items), by reason: neither indexed nor
    dead-lettered."""
    skipped: str | None = None
    """Why the object holds no records to index (e.g. a CloudTrail digest file)."""
    error: str | None = None
    """Set when the object failed part-way (truncated gzip, unexpected error)."""
    documents: int = 0
    dead_letters: int = 0
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return self.documents + self.dead_letters


class NormalizedObject:
    """Iterate to get the object's items; read :attr:`outcome` afterwards."""

    def __init__(self, raw: BinaryIO, origin: Origin, source: str | None = None) -> None:
        self._raw = raw
        self._origin = origin
        self._forced = source
        self.outcome = ObjectOutcome()

    def __iter__(self) -> Iterator[Item]:
        # Each item is counted in the outcome before it is handed out (a caller reads the
        # counts while it iterates).
        origin, outcome = self._origin, self.outcome
        # A key in the layout of objects holding no records of ours (a digest, a write probe, a
        # service we do not read) is skipped unread, whatever its bytes and a forced source say.
        layout = read_key(object_key(origin.object))
        if layout.skip is not None:
            outcome.source, outcome.skipped = layout.source, layout.skip
            return
        # A truncation inside the head is deferred by read_head to after the head's bytes.
        head, stream = read_head(decompressed(self._raw, origin.limits, origin.should_stop))
        if head.startswith(GZIP_MAGIC):  # gzip inside gzip: CloudWatch Logs payloads, Firehose compressing
            head, stream = read_head(decompressed(stream, origin.limits, origin.should_stop))
        sniffed = detect(head, origin.object, origin)
        if layout.delivery is not None and not self._forced:
            # Every object of the layout is the delivery's container (Firehose error output),
            # whatever its first line is; a forced source is a replayed record taken out of one.
            sniffed = Detection(None, delivery=layout.delivery)
        # A forced source wins, except over a file that holds no records (a digest file) and
        # over a delivery path's container, whose records say their source themselves.
        forced = self._forced and not sniffed.skip and not sniffed.delivery
        detection = Detection(self._forced) if forced else sniffed
        outcome.source, outcome.delivery = detection.source, detection.delivery
        if detection.skip:
            outcome.skipped = detection.skip
            return
        if detection.source is None and detection.delivery is None and not detection.parquet:
            yield _counted(outcome, _unrecognized(head, stream, origin, outcome))
            return
        try:
            with _seekable_if_parquet(head, stream) as readable:
                source = detection.source or detection.delivery or _parquet_source(readable, origin)
                if isinstance(source, DeadLetter):
                    yield _counted(outcome, source)
                    return
                if registry.is_delivery(source):
                    outcome.source, outcome.delivery = None, source
                    for routed in registry.delivery(source).load()(readable, origin):
                        if isinstance(routed, Skipped):
                            _count_skipped(outcome, routed)
                            continue
                        outcome.source = routed.source
                        yield _counted(outcome, routed.item)
                    return
                outcome.source = source
                # The loop that runs once per record: a document is counted inline.
                for item in registry.normalizer(source)(readable, origin):
                    if type(item) is dict:
                        outcome.documents += 1
                        yield item
                    elif isinstance(item, Skipped):
                        _count_skipped(outcome, item)
                    else:
                        yield _counted(outcome, item)
        except TruncatedInput as error:  # or LimitExceeded: the object ends here
            outcome.error = str(error)
            yield _counted(
                outcome,
                DeadLetter(
                    outcome.source or UNKNOWN,
                    f"{error.reason}: {error}",
                    origin.object,
                    f"after item {outcome.records}",
                    b"",
                ),
            )
        except (OSError, MemoryError):
            # Reading or spooling the object failed (SourceReadError, a full disk): not a record's
            # fault. The caller leaves the object unfinished and retries it.
            raise
        except Exception as error:  # a normalizer bug must not take the pipeline down
            outcome.error = f"{type(error).__name__}: {error}"
            yield _counted(
                outcome,
                DeadLetter(
                    outcome.source or UNKNOWN,
                    f"{NORMALIZER_ERROR}: {type(error).__name__}: {error}",
                    origin.object,
                    f"after item {outcome.records}",
                    b"",
                ),
            )


def _unrecognized(
    head: bytes, stream: io.BufferedReader, origin: Origin, outcome: ObjectOutcome
) -> DeadLetter:
    """The dead letter of an object no source recognizes, or, when its compressed stream ends
    inside the head (``read_head`` defers that), of the truncation: a gzip cut or corrupt
    before its first bytes is no format, and its dead letter has no bytes to show."""
    try:
        stream.read(1)
    except TruncatedInput as error:
        outcome.error = str(error)
        return DeadLetter(UNKNOWN, f"{error.reason}: {error}", origin.object, "object", b"")
    return DeadLetter(UNKNOWN, UNRECOGNIZED_FORMAT, origin.object, "object", head)


def _counted(outcome: ObjectOutcome, item: Item) -> Item:
    """``item``, counted in ``outcome``."""
    if isinstance(item, DeadLetter):
        outcome.dead_letters += 1
        key = item.reason.split(":", 1)[0]
        outcome.dead_letter_reasons[key] = outcome.dead_letter_reasons.get(key, 0) + 1
    else:
        outcome.documents += 1
    return item


def _count_skipped(outcome: ObjectOutcome, skipped: Skipped) -> None:
    outcome.skipped_records[skipped.reason] = outcome.skipped_records.get(skipped.reason, 0) + 1


def _parquet_source(spooled: BinaryIO, origin: Origin) -> str | DeadLetter:
    """The source a Parquet file's schema (column names) is of, or the dead letter saying why
    it is no source's: a Parquet file is never read as flows, or anything else, by default."""
    from normalizers.framing import parquet  # pyarrow is loaded only for Parquet objects

    try:
        schema = parquet.read_schema(spooled)
    except parquet.InvalidParquet as error:
        reason = f"{parquet.INVALID_PARQUET}: {error}"
        return DeadLetter(UNKNOWN, reason, origin.object, "object", parquet.head_of(spooled))
    source = detect_parquet(schema)
    if source is None:
        reason = f"{UNRECOGNIZED_FORMAT}: Parquet columns match no source ({parquet.columns_text(schema)})"
        return DeadLetter(UNKNOWN, reason, origin.object, "object", parquet.head_of(spooled))
    return source


@contextmanager
def _seekable_if_parquet(head: bytes, stream: io.BufferedReader) -> Iterator[BinaryIO]:
    """Parquet needs random access (its footer is at the end): spool it to a temp file."""
    if not head.startswith(PARQUET_MAGIC):
        yield stream
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(stream, spool, 1 << 20)
        spool.seek(0)
        yield spool


def normalize_object(raw: BinaryIO, origin: Origin, source: str | None = None) -> NormalizedObject:
    """Normalize one object (gzip or plain, any supported source)."""
    return NormalizedObject(raw, origin, source)
