"""The bulk writer: ``create`` actions without ``_id``, bounded bodies, a small pool, retries.

- Bodies hold at most ``bulk_max_bytes`` bytes and ``bulk_max_docs`` documents; a document that
  alone exceeds the byte limit is rejected (dead-lettered), never sent.
- Up to ``concurrency`` bodies are in flight at once (one thread pool shared by all chunks).
- A whole request failing with 408, 429, 5xx, a timeout, a connection error or an answer that
  cannot be read is retried; so are the items of a successful request that failed with 429 or
  5xx. Delays grow exponentially with full jitter and never run past the deadline.
- A request the engine may have applied though it did not say so (a timeout, a dropped
  connection, an unreadable answer, a 500/502/504) is not sent again blindly: once its writes
  would be searchable (``Settings.visibility_delay``, 10-60 s on Serverless), the engine is
  asked which of its documents' ``event.id`` it holds (:mod:`ingest.searchable`), and only the
  others are sent again (TIMESERIES collections take no client ``_id``, so the engine cannot
  deduplicate a resend). When that cannot be done before the deadline, or the look-up fails,
  the documents are left unfinished: the object's retry looks them up (their chunk stays in
  flight in the ledger). A 408, 429 or 503 says the engine did not take the request: it is
  sent again after the backoff alone.
- A whole request answered 413 is split in halves, sent through the same loop (same attempt
  and deadline rules); a single document answered 413 is rejected.
- Any other whole-request refusal (401, 403, 404...) leaves its documents *unfinished*: it
  says nothing against them, so they are never dead-lettered for it.
- An item answered 409 (the engine already holds the document) counts as indexed; one answered
  401, 403 or 404 (a refusal of the index: permissions, a write block, no index) is left
  *unfinished*, like a whole request refused so.
- Items failing with any other status (mapping or parse errors) are rejected: the caller
  dead-letters them with the document and the error.
- Documents bound for an index no index template covers are never sent (the first one would
  create the index with dynamic mappings): they are returned as *unfinished*, with the reason
  (:mod:`ingest.template_check`), when the writer is given a template check.
- What is still failing when attempts or time run out is returned as *unfinished*, so the
  caller saves its progress and lets the object be retried later; nothing is dropped. A
  request is only started when a whole ``request_timeout`` fits before the deadline, because
  a request cut short is ambiguous: the engine may have applied it.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, overload

import orjson
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as TransportConnectionError
from opensearchpy.exceptions import TransportError

from ingest.config import Settings
from ingest.searchable import already_indexed
from ingest.template_check import IndexTemplateCheck
from opensearch_client import raw_answers, read_answer


@dataclass(slots=True)
class Pending:
    """One document to index: its offset in the chunk, target index and serialized body.

    Not frozen, though never changed: a frozen dataclass takes three times as long to build."""

    offset: int
    index: str
    body: bytes


class Documents(Sequence[Pending]):
    """Documents to index, column by column: a chunk's thousands of documents without an object
    each. Objects made per document and kept until the chunk is acknowledged were walked again
    and again by the garbage collector (measured: about a twelfth of the ingest path's CPU time,
    where normalize-only needs no collection at all). Indexing gives a :class:`Pending`,
    slicing ``Documents``."""

    __slots__ = ("bodies", "indices", "offsets")

    def __init__(
        self,
        offsets: list[int] | None = None,
        indices: list[str] | None = None,
        bodies: list[bytes] | None = None,
    ) -> None:
        self.offsets: list[int] = [] if offsets is None else offsets
        self.indices: list[str] = [] if indices is None else indices
        self.bodies: list[bytes] = [] if bodies is None else bodies

    @classmethod
    def of(cls, documents: Iterable[Pending]) -> Documents:
        if isinstance(documents, Documents):
            return documents
        columns = cls()
        for document in documents:
            columns.append(document.offset, document.index, document.body)
        return columns

    def append(self, offset: int, index: str, body: bytes) -> None:
        self.offsets.append(offset)
        self.indices.append(index)
        self.bodies.append(body)

    def __len__(self) -> int:
        return len(self.offsets)

    @overload
    def __getitem__(self, item: int) -> Pending: ...

    @overload
    def __getitem__(self, item: slice) -> Documents: ...

    def __getitem__(self, item: int | slice) -> Pending | Documents:
        if isinstance(item, slice):
            return Documents(self.offsets[item], self.indices[item], self.bodies[item])
        return Pending(self.offsets[item], self.indices[item], self.bodies[item])

    def __iter__(self) -> Iterator[Pending]:
        return map(Pending, self.offsets, self.indices, self.bodies)


@dataclass(frozen=True, slots=True)
class Rejected:
    pending: Pending
    reason: str


@dataclass(slots=True)
class WriteReport:
    indexed: list[int] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    unfinished: list[int] = field(default_factory=list)
    """Offsets not written because the attempts or the time ran out: retry them later."""
    retries: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    """Why documents were left unfinished (for the object's log line)."""

    def merge(self, other: WriteReport) -> None:
        self.indexed += other.indexed
        self.rejected += other.rejected
        self.unfinished += other.unfinished
        self.errors += other.errors
        self.retries += other.retries
        self.requests += other.requests


class Deadline:
    """Seconds left before the caller must stop (the Lambda's remaining time minus a margin)."""

    def __init__(self, remaining: Callable[[], float] | None = None, margin: float = 0.0) -> None:
        self._remaining = remaining
        self._margin = margin

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        end = time.monotonic() + seconds
        return cls(lambda: end - time.monotonic())

    def remaining(self) -> float:
        if self._remaining is None:
            return float("inf")
        return self._remaining() - self._margin

    def expired(self) -> bool:
        return self.remaining() <= 0


# The index goes in the URL (``POST /<index>/_bulk``), so each action line is 14 bytes
# instead of ~40: it keeps the bulk body within 1.3x of the raw CloudTrail JSON.
_ACTION = b'{"create":{}}\n'
_ACTION_BYTES = len(_ACTION) + 1
"""What a document adds to a body besides its own bytes: the action line and its newline."""
_BETWEEN = b"\n" + _ACTION


_ALREADY_THERE = 409
"""A ``create`` item's status when a document of its id already exists (version conflict). The
writer sends no ``_id``: the id is one the engine chose for this very document, so the engine
holds it (an earlier copy of the request it took). It counts as indexed: dead-lettered
instead, a replay would index it a second time."""


_NOT_THE_DOCUMENTS_FAULT = frozenset((401, 403, 404))
"""Item statuses that refuse the index, not the document (credentials, permissions, a write
block such as ``cluster_block_exception``, a missing index): as for a whole request refused
so, the documents are left unfinished for the object's retry, never dead-lettered for it."""


def _retryable_status(status: Any) -> bool:
    return status in (408, 429) or (isinstance(status, int) and status >= 500)


def _refused_before_applying(status: Any) -> bool:
    """Whether a retryable whole-request status says the engine did not apply the request:
    408 (it did not get the whole request), 429 and 503 (it refused to take it). A 500, 502 or
    504 may come after the engine applied it (a proxy or gateway timing out behind it)."""
    return status in (408, 429, 503)


class BulkWriter:
    def __init__(
        self,
        client: OpenSearch,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        templates: IndexTemplateCheck | None = None,
    ) -> None:
        self._client = client
        self._templates = templates
        self._settings = settings
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="bulk")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def write(self, documents: Sequence[Pending], deadline: Deadline) -> WriteReport:
        return self.start(documents, deadline).result()

    def start(self, documents: Sequence[Pending], deadline: Deadline) -> PendingWrite:
        """Send ``documents`` in the background; :meth:`PendingWrite.result` waits for the report."""
        report = WriteReport()
        batches = self._batches(Documents.of(documents), report)
        sends = [(batch, self._pool.submit(self._send, batch, deadline)) for batch in batches]
        return PendingWrite(report, sends)

    def _problem(self, index: str) -> str | None:
        """Why ``index`` may not be written (no template covers it); ``None``: it may."""
        return None if self._templates is None else self._templates.problem(index)

    def _batches(self, documents: Documents, report: WriteReport) -> list[Documents]:
        """The bodies to send, each a slice of ``documents`` of one index: documents of an index
        no template covers are left unfinished, one too large for a body is rejected, the others
        fill bodies in order up to ``bulk_max_bytes`` and ``bulk_max_docs``."""
        problems: dict[str, str | None] = {}
        batches: list[Documents] = []
        for start, end in _runs(documents.indices):
            index = documents.indices[start]
            if index not in problems:
                problem = problems[index] = self._problem(index)
                if problem:
                    report.errors.append(problem)
            if problems[index]:
                report.unfinished += documents.offsets[start:end]
                continue
            batches += self._bodies(documents, start, end, report)
        return batches

    def _bodies(self, documents: Documents, start: int, end: int, report: WriteReport) -> list[Documents]:
        """``documents[start:end]`` (of one index) cut into bodies: each body takes the next
        documents while they fit, found by bisection on the running total of their weights."""
        limit, max_docs = self._settings.bulk_max_bytes, self._settings.bulk_max_docs
        weights = list(map(_ACTION_BYTES.__add__, map(len, documents.bodies[start:end])))
        if max(weights) > limit:  # rare: a document too large is rejected, and ends the body before it
            fits = [position for position, weight in enumerate(weights, start) if weight <= limit]
            for position, weight in enumerate(weights, start):
                if weight > limit:
                    reason = f"document too large: {weight} bytes in a bulk body limited to {limit}"
                    report.rejected.append(Rejected(documents[position], reason))
            bodies: list[Documents] = []
            for first, last in _runs(fits, consecutive=True):
                bodies += self._bodies(documents, fits[first], fits[last - 1] + 1, report)
            return bodies
        totals = list(accumulate(weights, initial=0))  # totals[k]: the weight of the first k documents
        bodies = []
        first = 0
        while first < len(weights):
            # The first k with totals[k] beyond the body's room; at least one document fits.
            last = (
                bisect_right(
                    totals, totals[first] + limit, first + 1, min(len(weights), first + max_docs) + 1
                )
                - 1
            )
            bodies.append(documents[start + first : start + last])
            first = last
        return bodies

    def _send(self, batch: Documents, deadline: Deadline) -> WriteReport:
        """Send one body, then whatever must be sent again (retries, halves of a 413), each
        request under the same attempt and deadline rules."""
        report = WriteReport()
        # (documents, attempt, when the request that may have applied them ended, or None)
        queue: deque[tuple[Documents, int, float | None]] = deque([(batch, 0, None)])
        while queue:
            pending, attempt, unsure_since = queue.popleft()
            if not self._may_send(attempt, deadline):
                report.unfinished += pending.offsets
                continue
            if unsure_since is not None:
                pending = self._not_yet_indexed(pending, unsure_since, deadline, report)
                if not pending:
                    continue
            report.retries += bool(attempt)
            report.requests += 1
            again, halves, unsure = self._attempt(pending, report)
            if again:
                queue.append((again, attempt + 1, time.monotonic() if unsure else None))
            queue.extend((half, attempt, None) for half in halves)
        return report

    def _not_yet_indexed(
        self, pending: Documents, unsure_since: float, deadline: Deadline, report: WriteReport
    ) -> Documents:
        """The documents of a request that may have been applied (cut short, or answered with
        something unreadable) that the engine does not hold: it is asked once they would be
        searchable (:mod:`ingest.searchable`), so a resend never duplicates what it applied.
        Those it holds count as indexed; when it cannot be asked in time, all are left
        unfinished, and the object's retry looks them up (its chunk stays in flight)."""
        wait = unsure_since + self._settings.visibility_delay() - time.monotonic()
        if deadline.remaining() < max(0.0, wait) + self._settings.connection.timeout:
            report.unfinished += pending.offsets
            report.errors.append("a request that may have been applied could not be looked up in time")
            return Documents()
        if wait > 0:
            self._sleep(wait)
        try:
            found = already_indexed(self._client, pending)
        except Exception as error:  # not known: never send blindly
            report.unfinished += pending.offsets
            report.errors.append(f"looking up a request that may have been applied: {type(error).__name__}")
            return Documents()
        report.indexed += sorted(found)
        return Documents.of(document for document in pending if document.offset not in found)

    def _may_send(self, attempt: int, deadline: Deadline) -> bool:
        """Whether request number ``attempt`` (0: the first) may start, after its backoff."""
        if attempt and (attempt >= self._settings.max_attempts or not self._wait(attempt, deadline)):
            return False
        # A request cut short by the deadline is ambiguous (the engine may have applied it):
        # never start one that might not end in time.
        return deadline.remaining() >= self._settings.connection.timeout

    def _attempt(self, pending: Documents, report: WriteReport) -> tuple[Documents, list[Documents], bool]:
        """Send one request; return the documents to send again, the halves of a body too large,
        and whether the engine may have applied the documents to send again."""
        try:
            with raw_answers():  # its items are read only when it says some failed (_sort_items)
                answer = self._client.bulk(
                    index=pending[0].index,
                    body=_payload(pending),
                    request_timeout=self._settings.connection.timeout,
                )
        except TransportConnectionError:  # includes timeouts: the engine may have applied it
            return pending, [], True
        except TransportError as error:
            if _retryable_status(error.status_code):
                return pending, [], not _refused_before_applying(error.status_code)
            if error.status_code == 413 and len(pending) > 1:
                half = len(pending) // 2
                return Documents(), [pending[:half], pending[half:]], False
            self._refused(pending, error, report)
            return Documents(), [], False
        except Exception:  # e.g. SerializationError: an answer we cannot read
            # The engine may or may not have applied the request: like a timeout.
            return pending, [], True
        again, unsure = self._sort_items(pending, answer, report)
        return again, [], unsure

    @staticmethod
    def _refused(pending: Documents, error: TransportError, report: WriteReport) -> None:
        reason = f"bulk request refused: {error.status_code} {_error_text(error.info)}"
        if error.status_code == 413:  # one document the engine will never take
            report.rejected += [Rejected(document, reason) for document in pending]
            return
        # 401/403/404 and other whole-request refusals say nothing against the documents
        # (expired credentials, a missing access policy or collection): the object is retried
        # later, and ends in the queue's dead-letter queue if it never heals.
        report.unfinished += pending.offsets
        report.errors.append(reason)

    def _sort_items(self, pending: Documents, answer: Any, report: WriteReport) -> tuple[Documents, bool]:
        """The documents to send again, and whether the engine may have applied some of them.

        ``answer`` is the answer's text (:func:`~opensearch_client.raw_answers`), or what a client
        of another serializer read of it."""
        if isinstance(answer, str):
            if _all_created(answer, len(pending)):
                report.indexed += pending.offsets
                return Documents(), False
            try:
                answer = read_answer(answer)
            except Exception:  # an answer we cannot read: the engine may have applied the request
                return pending, True
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list) or len(items) != len(pending):
            # An answer that does not say what became of each document: send them again.
            return pending, True
        if not answer.get("errors"):
            report.indexed += pending.offsets
            return Documents(), False
        again = Documents()
        unsure = False
        refusals: set[str] = set()
        for document, item in zip(pending, items, strict=True):
            result = _item_result(item)
            status = result.get("status")
            if not isinstance(status, int) or _retryable_status(status):
                again.append(
                    document.offset, document.index, document.body
                )  # an item without a status says nothing: send it again
                unsure |= not isinstance(status, int)
            elif 200 <= status < 300 or status == _ALREADY_THERE:
                report.indexed.append(document.offset)
            elif status in _NOT_THE_DOCUMENTS_FAULT:
                report.unfinished.append(document.offset)
                refusals.add(f"index refused the write: {status} {_error_text(result.get('error'))}")
            else:
                reason = f"index error: {status} {_error_text(result.get('error'))}"
                report.rejected.append(Rejected(document, reason))
        report.errors += sorted(refusals)
        return again, unsure

    def _wait(self, attempt: int, deadline: Deadline) -> bool:
        """Sleep before retry ``attempt`` (full jitter); False when the deadline leaves no time."""
        ceiling = min(self._settings.backoff_cap, self._settings.backoff_base * (2**attempt))
        with self._rng_lock:
            delay = self._rng.uniform(0, ceiling)
        # Keep time for the retried request itself.
        if deadline.remaining() < delay + self._settings.connection.timeout:
            return False
        self._sleep(delay)
        return True


class PendingWrite:
    def __init__(self, report: WriteReport, sends: list[tuple[Documents, Future[WriteReport]]]) -> None:
        self._report = report
        self._sends = sends

    def wait(self) -> None:
        """Wait for the requests to end, whatever their outcome."""
        for _, future in self._sends:
            future.exception()

    def result(self) -> WriteReport:
        """Every body's report merged; a body whose sending raised counts as unfinished, so what
        the other bodies indexed is still recorded (never re-sent)."""
        self.wait()
        for batch, future in self._sends:
            if future.exception() is None:
                self._report.merge(future.result())
            else:
                self._report.unfinished += batch.offsets
                self._report.errors.append(f"{type(future.exception()).__name__}: {future.exception()}")
        return self._report


_ITEMS = '"items":['
_CREATE_ITEM = '{"create":{'


def _all_created(answer: str, documents: int) -> bool:
    """Whether a bulk answer's text says that each of its ``documents`` create actions succeeded,
    read without building its items: its top level (``took``, ``errors``..., whatever their order)
    read with the ``items`` array left out says ``"errors": false`` (no item failed), and the
    array holds one ``create`` item per document (the text ``{"create":{`` is an item's opening:
    a JSON string cannot hold an unescaped quote, and no other object of a bulk answer has the
    key ``create``). An answer of any other shape is read whole (:meth:`BulkWriter._sort_items`)."""
    start, end = answer.find(_ITEMS), answer.rfind("]")
    if start < 0 or end < start:
        return False
    try:
        summary = orjson.loads(answer[:start] + '"items":[]' + answer[end + 1 :])
    except orjson.JSONDecodeError:
        return False
    return (
        type(summary) is dict
        and summary.get("errors") is False
        and answer.count(_CREATE_ITEM, start, end) == documents
    )


def _runs(values: list[Any], consecutive: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of equal values (``consecutive``: of integers that follow
    each other) in ``values``."""
    if not values:
        return []
    if not consecutive and values.count(values[0]) == len(values):  # one index: the usual chunk
        return [(0, len(values))]
    runs: list[tuple[int, int]] = []
    start = 0
    for position in range(1, len(values)):
        if values[position] != (values[position - 1] + 1 if consecutive else values[position - 1]):
            runs.append((start, position))
            start = position
    runs.append((start, len(values)))
    return runs


def _item_result(item: Any) -> dict[str, Any]:
    """``{"create": {...}}`` -> ``{...}``; ``{}`` for an item of any other shape."""
    result = next(iter(item.values()), None) if isinstance(item, dict) else None
    return result if isinstance(result, dict) else {}


def _payload(documents: Documents) -> bytes:
    """The body of a ``_bulk`` request, written once: the first and last documents take the
    first action and the final newline (``_ACTION + join(...) + b"\\n"`` copied the body of
    several megabytes twice more)."""
    bodies = documents.bodies
    if len(bodies) < 2:
        return b"".join((_ACTION, *bodies, b"\n"))
    return _BETWEEN.join([_ACTION + bodies[0], *bodies[1:-1], bodies[-1] + b"\n"])


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        inner = error.get("error", error)
        if isinstance(inner, dict):
            text = f"{inner.get('type', 'error')}: {inner.get('reason', '')}"
            caused = inner.get("caused_by")
            if isinstance(caused, dict):
                text += f" (caused by {caused.get('type')}: {caused.get('reason')})"
            return text
        return str(inner)
    if isinstance(error, bytes | str):
        return error if isinstance(error, str) else error.decode("utf-8", "replace")
    return orjson.dumps(error).decode() if error is not None else "unknown error"
