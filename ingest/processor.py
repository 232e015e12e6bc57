"""Process one object: read -> normalize -> chunk -> ledger check -> write -> dead letters -> ack.

The Lambda handler, ``siem ingest`` and ``siem replay-dead-letters`` all come through
:func:`process_object`, so they share one guarantee: each record of an object ends up indexed
once or dead-lettered once, whatever retries, redeliveries and crashes happen in between,
except for the residual windows documented in docs/ingest.md. A chunk is recorded *in flight*
before its first bulk request; a resume of an in-flight chunk (the process died after the engine
applied its requests and before the ledger recorded them) first asks the engine which of its
``event.id`` values are searchable and sends only the others (:mod:`ingest.searchable`).

While chunk *n* is being written by the pool, chunk *n + 1* is normalized, so parsing and
network overlap; chunk *n + 1* is sent only after chunk *n* is acknowledged in the ledger, so at
most one chunk is ever in flight.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

import orjson
from opensearchpy import OpenSearch

from enrichment import Enricher
from ingest.config import Settings
from ingest.deadletters import DeadLetterBatch, DeadLetterSink
from ingest.ledger import LeaseHeld, LeaseLost, Ledger, Progress
from ingest.legacy_fields import Backfill
from ingest.live_mapping import LiveMappings
from ingest.provenance import Provenance
from ingest.reader import ObjectIdentity, OpenedObject
from ingest.searchable import already_indexed
from ingest.writer import BulkWriter, Deadline, Documents, PendingWrite, Rejected, WriteReport
from normalizers import DeadLetter, Item, Origin, normalize_object
from normalizers.limits import DEFAULT_LIMITS, Interrupted, Limits, never
from normalizers.terms import MAX_TERM_BYTES, cut_immense_values
from normalizers.unencodable import unencodable

LOGGER = logging.getLogger(__name__)
SourcedItem = tuple[str, Item]
"""An item with the source whose index (or dead-letter folder) it belongs to."""

BOOKKEEPING_ATTEMPTS = 4
"""Attempts at a dead-letter write or a ledger update before the failure stops the object."""

_T = TypeVar("_T")


class Incomplete(RuntimeError):
    """The object was not finished (deadline, or retries exhausted); its progress is saved."""


class ReadFailed(Incomplete):
    """Reading the object failed part-way (S3 stream reset, disk full while spooling): what was
    read before is acknowledged, the rest is read again by the retry."""


class StoppedInNormalizer(ReadFailed):
    """The deadline stopped the normalization inside a chunk (``normalizers.limits.Interrupted``):
    handled as a read that failed, so the chunks before are acknowledged and the retry resumes."""


@dataclass(slots=True)
class Hooks:
    """Test seams around the ledger write (fault injection); no-ops in production."""

    after_write: Callable[[ObjectIdentity, int], None] = lambda identity, chunk: None
    """Called after a chunk's documents and dead letters are written, before its ledger ack."""
    after_ack: Callable[[ObjectIdentity, int], None] = lambda identity, chunk: None
    """Called after a chunk's ledger ack (between chunks)."""


@dataclass(slots=True)
class Services:
    settings: Settings
    writer: BulkWriter
    ledger: Ledger
    sink: DeadLetterSink
    hooks: Hooks = field(default_factory=Hooks)
    search: OpenSearch | None = None
    """Where a resumed in-flight chunk's documents are looked up (the writer's engine); without
    it (unit tests) the chunk is sent again whole."""
    enricher: Enricher | None = None
    """Adds account names, IP context and user agents to each document before it is encoded
    (docs/enrichment.md); ``None``: documents are indexed as normalized."""
    mappings: LiveMappings | None = None
    """Tells what documents must write back for an index created under an older template
    (:mod:`ingest.live_mapping`); ``None`` (unit tests): documents are indexed as normalized."""


@dataclass(slots=True)
class ObjectResult:
    object: str
    version: str = ""
    source: str | None = None
    status: str = "done"
    """``done``, ``already done``, ``skipped`` (no records, e.g. a digest), ``incomplete``, ``failed``,
    ``gone`` (deleted before it was read), ``overwritten`` (an unversioned object replaced before
    the notified version was read): both dead-lettered by the handler as one record; ``busy``
    (another worker holds its lease: nothing done)."""
    records: int = 0
    """Records this run settled: indexed or dead-lettered by it, or found indexed by an
    interrupted run and acknowledged by this one. Each record is counted by the one run whose
    ledger write acknowledges it, so summed over the runs of an object, ``records`` is the
    object's record count and equals ``indexed + dead_lettered``. Counted apart from them (the
    chunk's records less those not settled), so a record the writer dropped would show."""
    indexed: int = 0
    dead_lettered: int = 0
    already_acknowledged: int = 0
    """Records read again only to be skipped: an earlier run acknowledged them (not in ``records``)."""
    retries: int = 0
    requests: int = 0
    duration_ms: float = 0.0
    dead_letter_files: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    """Why a ``skipped`` object holds no records to index (normalizers/layouts.py, a digest file)."""

    def log_fields(self) -> dict[str, Any]:
        return {
            "key": self.object,
            "version": self.version,
            "source": self.source,
            "status": self.status,
            "records": self.records,
            "indexed": self.indexed,
            "dead_lettered": self.dead_lettered,
            "already_acknowledged": self.already_acknowledged,
            "retries": self.retries,
            "bulk_requests": self.requests,
            "duration_ms": round(self.duration_ms, 1),
            "error": self.error,
            "skipped": self.skipped,
        }


def guarded(items: Iterable[SourcedItem]) -> Iterator[SourcedItem]:
    """``items``, with a failed read raised as :class:`ReadFailed` (what the caller does with an
    item is not guarded: its errors are its own)."""
    try:
        # The caller's own errors are raised in its frame, never through this one.
        yield from items
    except (OSError, MemoryError) as error:  # normalizers.stream.SourceReadError is an OSError
        raise ReadFailed(f"reading the object failed: {type(error).__name__}: {error}") from error
    except Interrupted as stopped:
        raise StoppedInNormalizer(f"deadline reached while normalizing: {stopped}") from None


def with_retries(call: Callable[[], _T], settings: Settings, deadline: Deadline) -> _T:
    """``call()``, retried with exponential backoff when it raises: a throttled DynamoDB or S3
    call must not throw away a chunk the engine already indexed. A lost lease is final."""
    for attempt in range(1, BOOKKEEPING_ATTEMPTS + 1):
        try:
            return call()
        except (LeaseLost, LeaseHeld):
            raise
        except Exception:
            delay = min(settings.backoff_cap, settings.backoff_base * 2**attempt)
            if attempt == BOOKKEEPING_ATTEMPTS or deadline.remaining() < delay:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")


def ingested_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def normalized_items(
    opened: OpenedObject,
    keep_original: bool,
    source: str | None = None,
    flow_formats: tuple[tuple[str, str], ...] = (),
    limits: Limits = DEFAULT_LIMITS,
    config_snapshot_inventory: bool = False,
    should_stop: Callable[[], bool] = never,
) -> tuple[Iterator[SourcedItem], Callable[[], str | None], Callable[[], str | None]]:
    """The items of an object through the normalizers, with getters for its source and skip
    reason. An item's source is read as it comes: a delivery path's object (CloudWatch Logs
    payloads, Security Lake) holds several sources' records, each for its own index.

    ``should_stop`` (the deadline's ``expired``) is consulted as the object is read: when it
    answers ``True`` the items end with :class:`StoppedInNormalizer` from the chunk loop."""
    origin = Origin(
        object=opened.identity.location,
        ingested=ingested_now(),
        keep_original=keep_original,
        flow_formats=flow_formats,
        config_snapshot_inventory=config_snapshot_inventory,
        limits=limits,
        should_stop=should_stop,
    )
    normalized = normalize_object(opened.stream, origin, source)

    def items() -> Iterator[SourcedItem]:
        outcome = normalized.outcome  # one object, updated as the items come
        for item in normalized:
            yield (outcome.source or "unknown"), item

    return items(), lambda: normalized.outcome.source, lambda: normalized.outcome.skipped


def _time_is_up(deadline: Deadline) -> Callable[[], bool]:
    """The normalizers' ``should_stop``: the deadline's remaining time, consulted about every
    256 KiB read (``Deadline.expired`` itself is the chunk loop's own check)."""
    return lambda: deadline.remaining() <= 0


def process_object(
    opened: OpenedObject,
    services: Services,
    owner: str,
    deadline: Deadline,
    items: Iterable[SourcedItem] | None = None,
    result: ObjectResult | None = None,
) -> ObjectResult:
    """Ingest one opened object (or ``items`` derived from it, for replays); see module doc.

    Returns with status ``incomplete`` when the deadline or the retry budget stopped it (the
    caller must let it be retried); raises :class:`~ingest.ledger.LeaseHeld` when another worker
    holds it, and whatever unexpected error stopped it (the lease is released first). ``result``
    (else a new one) is filled as the object goes, so a caller that catches the error still has
    the counts of what the ledger acknowledged before it: no retry counts those again.
    """
    started = time.monotonic()
    identity = opened.identity
    if result is None:
        result = ObjectResult(identity.location, identity.version)
    remaining = deadline.remaining()
    # In Lambda the lease ends with the invocation; a CLI run (no deadline) holds it for an hour.
    lease = max(60.0, remaining + services.settings.deadline_margin) if math.isfinite(remaining) else 3600.0
    progress = services.ledger.claim(identity.ledger_key, owner, lease, services.settings.chunk_size)
    try:
        if progress.finished:
            result.status = "already done"
            return result
        source_of: Callable[[], str | None]
        skipped_because: Callable[[], str | None] = lambda: None  # noqa: E731
        if items is None:
            settings = services.settings
            items, source_of, skipped_because = normalized_items(
                opened,
                settings.keep_original,
                flow_formats=settings.vpc_flow_formats,
                limits=settings.limits(),
                config_snapshot_inventory=settings.config_snapshot_inventory,
                should_stop=_time_is_up(deadline),
            )
        else:
            source_of = lambda: None  # noqa: E731
        items = Provenance(identity, services.settings).checked(items)
        _ChunkLoop(services, identity, owner, deadline, progress, result).run(items)
        result.source = result.source or source_of()
        if result.records == 0 and skipped_because():
            result.status, result.skipped = "skipped", skipped_because()
        services.ledger.finish(identity.ledger_key, owner)
        return result
    except Incomplete as error:  # progress is saved: the retry resumes where this run stopped
        result.status, result.error = "incomplete", str(error)
        services.ledger.release(identity.ledger_key, owner)
        return result
    except BaseException as error:
        result.status, result.error = "failed", f"{type(error).__name__}: {error}"
        services.ledger.release(identity.ledger_key, owner)
        raise
    finally:
        result.duration_ms = (time.monotonic() - started) * 1000


@dataclass(slots=True)
class _Chunk:
    number: int
    size: int
    """Records of the chunk, those handled before included."""
    documents: Documents
    letters: list[tuple[int, dict[str, Any]]]
    """(offset, dead-letter JSON) of records the normalizer could not turn into documents."""
    source: str
    done_before: frozenset[int]
    """Offsets the ledger records as handled (its ``partial``)."""
    found: frozenset[int] = frozenset()
    """Offsets an interrupted run indexed without the ledger recording them (looked up): this
    run's ledger write acknowledges them, so this run counts them (no other run could)."""

    def handled(self, report: WriteReport) -> frozenset[int]:
        """Offsets handled once ``report``'s indexed documents are counted."""
        return self.done_before | self.found | frozenset(report.indexed)


class _ChunkLoop:
    def __init__(
        self,
        services: Services,
        identity: ObjectIdentity,
        owner: str,
        deadline: Deadline,
        progress: Progress,
        result: ObjectResult,
    ) -> None:
        self._services = services
        self._settings = services.settings
        self._identity = identity
        self._owner = owner
        self._deadline = deadline
        self._progress = progress
        self._result = result
        self._in_flight: tuple[_Chunk, PendingWrite] | None = None
        # The object's chunks keep the size they were first cut with, whatever CHUNK_SIZE says now.
        self._chunk_size = progress.chunk_size or services.settings.chunk_size

    def run(self, items: Iterable[SourcedItem]) -> None:
        try:
            in_flight = self._loop(items)
        except ReadFailed:
            # The chunk being written was read whole: acknowledge it, so the retry resumes after it.
            self._settle_in_flight()
            raise
        except BaseException:
            # Never leave bulk requests running behind a released lease: the retry would race them.
            if self._in_flight:
                self._in_flight[1].wait()
            raise
        if in_flight:
            self._finish(*in_flight)

    def _settle_in_flight(self) -> None:
        if self._in_flight:
            in_flight, self._in_flight = self._in_flight, None
            with contextlib.suppress(Incomplete):  # its unfinished documents are saved as partial
                self._finish(*in_flight)

    def _loop(self, items: Iterable[SourcedItem]) -> tuple[_Chunk, PendingWrite] | None:
        in_flight: tuple[_Chunk, PendingWrite] | None = None
        records = guarded(items)
        for number in itertools.count():
            if number < self._progress.chunks_done:
                skipped = sum(1 for _ in islice(records, self._chunk_size))
                if not skipped:
                    break
                self._result.already_acknowledged += skipped
                # Skipping still reads and normalizes the chunk: on a large object that alone can
                # use the invocation's time, so it stops here like any other chunk would.
                if self._deadline.expired():
                    raise Incomplete(f"deadline reached while skipping acknowledged chunk {number}")
                continue
            chunk = self._build(number, islice(records, self._chunk_size))
            if chunk is None:
                break
            begun = False
            if in_flight:
                self._in_flight = None
                # The acknowledgement of chunk n records chunk n + 1 in flight: one ledger write.
                # Should the deadline stop the run before chunk n + 1 is sent, its resume looks
                # its documents up and finds none: a wait, never a duplicate.
                begun = bool(chunk.documents)
                self._finish(*in_flight, begin_next=begun)
            if self._deadline.expired():
                raise Incomplete(f"deadline reached before chunk {number}")
            if chunk.documents and not begun:
                self._begin(number)
            in_flight = self._in_flight = chunk, self._services.writer.start(chunk.documents, self._deadline)
        return in_flight

    def _begin(self, number: int) -> None:
        """Record the chunk in flight before its first request (see the module doc)."""
        key = self._identity.ledger_key
        self._retrying(lambda: self._services.ledger.begin_chunk(key, self._owner, number))

    def _build(self, number: int, records: Iterator[SourcedItem]) -> _Chunk | None:
        """The next chunk, each document encoded as it is read (a chunk holds bytes, not the
        documents' dicts); ``None`` when the object has no more records."""
        done_before = self._progress.partial if number == self._progress.chunks_done else frozenset()
        documents = Documents()
        # Once per document: the columns' appends and the encoder as local names.
        add_offset, add_index, add_body = (
            documents.offsets.append,
            documents.indices.append,
            documents.bodies.append,
        )
        dumps, max_term_bytes = orjson.dumps, MAX_TERM_BYTES
        letters: list[tuple[int, dict[str, Any]]] = []
        source = "unknown"
        enricher = self._services.enricher
        enrich = None if enricher is None else enricher.enrich
        targets: dict[str, tuple[str, Backfill | None]] = {}
        offset = -1
        for offset, (source, item) in enumerate(records):
            if done_before and offset in done_before:
                continue
            if isinstance(item, DeadLetter):
                # The version (or ETag) with the object: what a re-drive reads again; a dead
                # letter may name its own stage (provenance).
                letter = {"stage": "normalize", **item.to_json(), "version": self._identity.version}
                letters.append((offset, letter))
                continue
            if enrich is not None:
                enrich(item)  # never raises: a document it cannot enrich goes as it is
            target = targets.get(source)
            if target is None:
                target = targets[source] = self._target(source)
                # The object's source (log line, metrics) is its first document's: the last
                # item of a delivery path's object may be a dead letter of no source.
                self._result.source = self._result.source or source
            index, backfill = target
            if backfill is not None:  # an index created under an older template
                backfill.fill(item)
            try:
                body = dumps(item)
            except TypeError as error:  # orjson.JSONEncodeError: a shape no normalizer foresaw
                letters.append((offset, self._unencodable(number, offset, source, item, error)))
                continue
            if len(body) > max_term_bytes:  # rare: only so long a document can hold a term Lucene refuses
                body = self._with_immense_values_cut(number, offset, item, body)
            add_offset(offset)
            add_index(index)
            add_body(body)
        count = offset + 1
        if not count:
            return None
        self._result.already_acknowledged += len(done_before)
        self._result.source = self._result.source or (source if source != "unknown" else None)
        found = self._found_in_engine(number, documents)
        if found:
            documents = Documents.of(document for document in documents if document.offset not in found)
        return _Chunk(number, count, documents, letters, source, done_before, found)

    def _position(self, number: int, offset: int) -> str:
        """Where the record is in its object (``record 12``), as its dead letter would say."""
        return f"record {number * self._chunk_size + offset}"

    def _with_immense_values_cut(
        self, number: int, offset: int, document: dict[str, Any], body: bytes
    ) -> bytes:
        """``body``, or the encoding of ``document`` with its values too long to be indexed
        cut and marked (normalizers/terms.py): the engine would refuse it whole."""
        cut = cut_immense_values(document, self._position(number, offset))
        return body if cut is None else orjson.dumps(cut)

    def _unencodable(
        self, number: int, offset: int, source: str, document: dict[str, Any], error: TypeError
    ) -> dict[str, Any]:
        """A document that cannot be sent costs that record alone (normalizers/unencodable.py)."""
        position = self._position(number, offset)
        letter = unencodable(document, error, source, self._identity.location, position)
        return {"stage": "normalize", **letter.to_json(), "version": self._identity.version}

    def _target(self, source: str) -> tuple[str, Backfill | None]:
        """The index of ``source``'s documents, and what they must write back for it."""
        index = self._settings.index_for(source)
        mappings = self._services.mappings
        return index, None if mappings is None else mappings.backfill(index, source)

    def _found_in_engine(self, number: int, documents: Documents) -> frozenset[int]:
        """The documents of an interrupted in-flight chunk the engine already has (module doc)."""
        since = self._progress.in_flight_since
        search = self._services.search
        if number != self._progress.chunks_done or not since or not documents or search is None:
            return frozenset()
        # What the interrupted run wrote becomes searchable within the engine's refresh delay.
        wait = since + self._settings.visibility_delay() - time.time()
        if wait > 0:
            if self._deadline.remaining() < wait:
                raise Incomplete(f"chunk {number} was in flight: its writes are not searchable yet")
            LOGGER.warning(
                "%s: waiting %.0f s for the writes of an interrupted run to become searchable",
                self._identity.location,
                wait,
            )
            time.sleep(wait)
        return self._retrying(lambda: already_indexed(search, documents))

    def _finish(self, chunk: _Chunk, write: PendingWrite, begin_next: bool = False) -> None:
        """Settle ``chunk`` once its write ends: dead letters, then the ledger (``begin_next``:
        the next chunk is recorded in flight in the same ledger write)."""
        report = write.result()
        self._result.retries += report.retries
        self._result.requests += report.requests
        letters = chunk.letters + [
            (rejected.pending.offset, self._index_letter(chunk, rejected)) for rejected in report.rejected
        ]
        if letters:
            self._write_letters(chunk, report, letters)
        self._services.hooks.after_write(self._identity, chunk.number)
        self._acknowledge(chunk, report, letters, begin_next)

    def _count_settled(self, chunk: _Chunk, report: WriteReport, dead_lettered: int) -> None:
        """Count what the ledger write just made acknowledges (counted only once it is made: a
        write refused leaves them to the retry, which counts them): the chunk's records but
        those an earlier run acknowledged and those left unfinished (sent again by the retry)."""
        self._result.records += chunk.size - len(chunk.done_before) - len(report.unfinished)
        self._result.indexed += _indexed(chunk, report)
        self._result.dead_lettered += dead_lettered

    def _write_letters(
        self, chunk: _Chunk, report: WriteReport, letters: list[tuple[int, dict[str, Any]]]
    ) -> None:
        batch = DeadLetterBatch(
            self._identity,
            chunk.source,
            chunk.number,
            len(chunk.done_before),
            [entry for _, entry in sorted(letters, key=lambda pair: pair[0])],
        )
        try:
            where = self._retrying(lambda: self._services.sink.write(batch))
        except Exception:
            # The letters are lost with this attempt (the retry derives them again), but what the
            # engine indexed is recorded, so the retry does not index it twice.
            done = chunk.handled(report)
            self._retrying(lambda: self._save_partial(chunk, done, _indexed(chunk, report), 0))
            self._result.records += len(done - chunk.done_before)
            self._result.indexed += _indexed(chunk, report)
            raise
        self._result.dead_letter_files.append(where)

    def _acknowledge(
        self, chunk: _Chunk, report: WriteReport, letters: list[tuple[int, dict[str, Any]]], begin_next: bool
    ) -> None:
        if report.unfinished:
            done = chunk.handled(report) | frozenset(offset for offset, _ in letters)
            self._retrying(lambda: self._save_partial(chunk, done, _indexed(chunk, report), len(letters)))
            self._count_settled(chunk, report, len(letters))
            why = "; ".join(sorted(set(report.errors))[:3]) or "attempts or time ran out"
            raise Incomplete(f"chunk {chunk.number}: {len(report.unfinished)} documents not written ({why})")
        key = self._identity.ledger_key
        self._retrying(
            lambda: self._services.ledger.ack_chunk(
                key, self._owner, chunk.number, _indexed(chunk, report), len(letters), begin_next
            )
        )
        self._count_settled(chunk, report, len(letters))
        self._services.hooks.after_ack(self._identity, chunk.number)

    def _save_partial(self, chunk: _Chunk, done: frozenset[int], indexed: int, dead_lettered: int) -> None:
        key = self._identity.ledger_key
        self._services.ledger.save_partial(
            key, self._owner, chunk.number, done, indexed, dead_lettered, before=chunk.done_before
        )

    def _retrying(self, call: Callable[[], _T]) -> _T:
        return with_retries(call, self._settings, self._deadline)

    def _index_letter(self, chunk: _Chunk, rejected: Rejected) -> dict[str, Any]:
        return {
            "reason": rejected.reason,
            "source": chunk.source,
            "object": self._identity.location,
            "position": f"record {chunk.number * self._chunk_size + rejected.pending.offset}",
            "raw": rejected.pending.body.decode("utf-8"),
            "stage": "index",
            "index": rejected.pending.index,
        }


def _indexed(chunk: _Chunk, report: WriteReport) -> int:
    """Documents of the chunk the ledger has yet to count as indexed: this write's and those found."""
    return len(report.indexed) + len(chunk.found)
