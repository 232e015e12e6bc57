"""process_object against the guarded embedded engine, with faults injected where AWS can fail:
the object's byte stream, the dead-letter sink, the ledger."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice

import orjson
import pytest
from opensearchpy import OpenSearch

from ingest.config import Settings
from ingest.deadletters import DeadLetterBatch, MemoryDeadLetterSink
from ingest.events import ObjectRef
from ingest.ledger import DynamoLedger, LeaseLost, Ledger, SqliteLedger
from ingest.processor import Services, SourcedItem, normalized_items, process_object
from ingest.reader import ObjectIdentity, OpenedObject, open_bytes, open_s3
from ingest.serverless_guard import ServerlessGuard
from ingest.writer import BulkWriter, Deadline, Pending
from normalizers import DeadLetter
from normalizers.stream import SourceReadError
from tests.ingest.conftest import TABLE, Aws
from tests.ingest.cut_s3 import CutObject, cut_s3
from tests.ingest.harness import (
    EMBEDDED_VISIBILITY_SECONDS,
    PARTIAL_SAVE,
    LedgerWriteFails,
    count,
    duplicated_ids,
)
from tests.ingest.proxy import FaultProxy, Faults
from tests.ingest.records import FlowObject, flow_object

pytestmark = pytest.mark.integration
INDEX = "siem-vpcflow"
LOCATION = "s3://bucket/flows/object.log.gz"
KEY = f"{LOCATION}#v1"


class FlakySink(MemoryDeadLetterSink):
    """A dead-letter sink whose first ``failures`` writes fail, as a throttled S3 would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def write(self, batch: DeadLetterBatch) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("S3 PutObject: connection reset (injected)")
        return super().write(batch)


class ResetStream(io.RawIOBase):
    """An S3 body whose connection is reset once ``cut`` bytes have been read."""

    def __init__(self, data: bytes, cut: int) -> None:
        self._data = io.BytesIO(data)
        self._cut = cut

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._data.tell() >= self._cut:
            raise ConnectionResetError("Connection broken: IncompleteRead (injected)")
        data = self._data.read(min(len(buffer), 8192, self._cut - self._data.tell()))
        buffer[: len(data)] = data
        return len(data)


@pytest.fixture
def proxy(engine_url: str, templated_engine: OpenSearch) -> Iterator[FaultProxy]:
    with FaultProxy(engine_url) as running:
        yield running


@pytest.fixture
def proxied(proxy: FaultProxy, serverless_guard: ServerlessGuard) -> OpenSearch:
    """A client whose bulk requests go through the fault proxy."""
    return serverless_guard.wrap(OpenSearch(hosts=[proxy.url], timeout=30, max_retries=0))


@pytest.fixture
def ledger() -> Iterator[SqliteLedger]:
    built = SqliteLedger()
    yield built
    built.close()


def _services(engine: OpenSearch, ledger: Ledger, sink: MemoryDeadLetterSink, **changes: object) -> Services:
    settings = Settings(
        **{
            "chunk_size": 500,
            "bulk_max_docs": 200,
            "concurrency": 2,
            "backoff_base": 0.001,
            "backoff_cap": 0.01,
            "search_visibility_seconds": EMBEDDED_VISIBILITY_SECONDS,
        }
        | changes  # type: ignore[arg-type]
    )
    return Services(settings, BulkWriter(engine, settings), ledger, sink, search=engine)


def _opened(flows: FlowObject) -> OpenedObject:
    return open_bytes(LOCATION, flows.body, "v1", datetime(2024, 5, 1, tzinfo=UTC))


def test_a_dead_letter_write_that_fails_a_few_times_is_retried(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(1200, seed=4, bad_every=50)
    sink = FlakySink(failures=2)
    result = process_object(_opened(flows), _services(templated_engine, ledger, sink), "worker", Deadline())
    assert result.status == "done" and sink.failures == 0
    assert len(sink.entries()) == flows.bad and result.indexed == flows.records - flows.bad
    assert count(templated_engine, INDEX) == flows.records - flows.bad


def test_a_dead_letter_sink_that_stays_down_keeps_what_was_indexed(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(1200, seed=5, bad_every=50)
    with pytest.raises(ConnectionResetError):
        process_object(_opened(flows), _services(templated_engine, ledger, FlakySink(100)), "a", Deadline())
    progress = ledger.progress(KEY)
    assert progress is not None and not progress.finished and progress.partial
    sink = MemoryDeadLetterSink()
    result = process_object(_opened(flows), _services(templated_engine, ledger, sink), "b", Deadline())
    assert result.status == "done"
    assert count(templated_engine, INDEX) == flows.records - flows.bad
    assert not duplicated_ids(templated_engine, INDEX)
    assert len(sink.entries()) == flows.bad


def test_an_expired_token_leaves_the_object_for_a_retry_and_dead_letters_nothing(
    proxy: FaultProxy, proxied: OpenSearch, templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(1000, seed=6)
    proxy.faults = Faults(scripted=["403"])
    sink = MemoryDeadLetterSink()
    first = process_object(_opened(flows), _services(proxied, ledger, sink, concurrency=1), "a", Deadline())
    assert first.status == "incomplete" and "403" in (first.error or "")
    second = process_object(_opened(flows), _services(proxied, ledger, sink), "b", Deadline())
    assert second.status == "done" and not sink.entries()
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)


def test_an_index_refusing_writes_leaves_the_object_for_a_retry_and_dead_letters_nothing(
    proxy: FaultProxy, proxied: OpenSearch, templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(1000, seed=14)
    proxy.faults = Faults(seed=3, item_403=0.2)  # some items answered 403 cluster_block_exception
    sink = MemoryDeadLetterSink()
    first = process_object(_opened(flows), _services(proxied, ledger, sink), "a", Deadline())
    assert first.status == "incomplete" and "cluster_block_exception" in (first.error or "")
    proxy.faults = Faults()  # the write block is lifted
    second = process_object(_opened(flows), _services(proxied, ledger, sink), "b", Deadline())
    assert second.status == "done" and not sink.entries()
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)


def test_a_partial_save_applied_whose_answer_is_lost_counts_nothing_twice(
    aws: Aws, proxy: FaultProxy, proxied: OpenSearch, templated_engine: OpenSearch
) -> None:
    flows = flow_object(1000, seed=15)
    ledger_client = LedgerWriteFails(aws.dynamodb, PARTIAL_SAVE, 1, applied=True)
    ledger = DynamoLedger(TABLE, ledger_client)
    proxy.faults = Faults(seed=3, item_403=0.2)  # chunk 0 ends part-way: its progress is saved
    sink = MemoryDeadLetterSink()
    with pytest.raises(LeaseLost):  # the save, sent again after it was applied, is refused
        process_object(_opened(flows), _services(proxied, ledger, sink), "a", Deadline())
    assert ledger_client.times == 0
    proxy.faults = Faults()
    second = process_object(_opened(flows), _services(proxied, ledger, sink), "b", Deadline())
    assert second.status == "done" and not sink.entries()
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)
    progress = ledger.progress(KEY)
    assert progress is not None and (progress.indexed, progress.dead_lettered) == (flows.records, 0)


def _cut_after(opened: OpenedObject, records: int) -> Iterator[SourcedItem]:
    """The object's items until the S3 stream breaks after ``records`` of them."""
    items, _, _ = normalized_items(opened, keep_original=False)
    yield from islice(items, records)
    raise SourceReadError("reading the object failed: ConnectionResetError: IncompleteRead (injected)")


def test_a_read_error_mid_object_leaves_it_unfinished_and_the_retry_resumes_without_duplicates(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(2000, seed=7)
    sink = MemoryDeadLetterSink()
    services = _services(templated_engine, ledger, sink)
    first = process_object(_opened(flows), services, "a", Deadline(), _cut_after(_opened(flows), 1700))
    assert first.status == "incomplete" and "reading the object failed" in (first.error or "")
    progress = ledger.progress(KEY)
    assert progress is not None and not progress.finished and progress.chunks_done == 3
    assert progress.indexed == 1500 == count(templated_engine, INDEX)
    second = process_object(_opened(flows), _services(templated_engine, ledger, sink), "b", Deadline())
    assert second.status == "done" and second.already_acknowledged == 1500
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)
    assert not sink.entries()


def test_a_broken_s3_stream_surfaces_as_a_read_error_not_a_dead_letter(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(2000, seed=8)
    broken = OpenedObject(
        ObjectIdentity(LOCATION, "v1", datetime(2024, 5, 1, tzinfo=UTC)),
        io.BufferedReader(ResetStream(flows.body, len(flows.body) // 2), buffer_size=8192),
    )
    sink = MemoryDeadLetterSink()
    result = process_object(broken, _services(templated_engine, ledger, sink), "a", Deadline())
    assert result.status == "incomplete" and "ConnectionResetError" in (result.error or "")
    progress = ledger.progress(KEY)
    assert progress is not None and not progress.finished and not sink.entries()


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "plain"])
def test_an_s3_body_cut_short_is_read_again_never_dead_lettered_nor_finished(
    compressed: bool, templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    # S3 sends the whole object's Content-Length, three quarters of its bytes, then closes: what
    # botocore raises then is no OSError, and a plain object's cut would look like its end.
    flows = flow_object(2000, seed=13)
    served = CutObject(flows.body if compressed else gzip.decompress(flows.body))
    served.served = len(served.body) * 3 // 4
    sink = MemoryDeadLetterSink()
    ref = ObjectRef("bucket", "flows/object.log.gz", etag=served.etag)
    with cut_s3(served) as s3:
        first = process_object(open_s3(s3, ref), _services(templated_engine, ledger, sink), "a", Deadline())
        assert first.status == "incomplete" and "reading the object failed" in (first.error or "")
        progress = ledger.progress(f"{LOCATION}#{served.etag}")
        assert progress is not None and not progress.finished and not sink.entries()
        assert progress.indexed < flows.records  # (botocore reads a MiB at once: here, none)
        served.served = None  # the redelivery reads it whole
        second = process_object(open_s3(s3, ref), _services(templated_engine, ledger, sink), "b", Deadline())
    assert second.status == "done" and second.already_acknowledged == progress.indexed
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)
    assert not sink.entries() and served.gets == 2


class _StopBeforeChunk(Deadline):
    """No time limit for requests, but the processor's between-chunk check says stop at chunk ``n``."""

    def __init__(self, chunks: int) -> None:
        super().__init__()
        self._checks = chunks

    def expired(self) -> bool:
        self._checks -= 1
        return self._checks < 0


def test_a_new_chunk_size_does_not_move_the_boundaries_of_an_incomplete_object(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(3000, seed=9)
    sink = MemoryDeadLetterSink()
    small = _services(templated_engine, ledger, sink, chunk_size=500)
    first = process_object(_opened(flows), small, "a", _StopBeforeChunk(2))
    assert first.status == "incomplete" and count(templated_engine, INDEX) == 1000
    large = _services(templated_engine, ledger, sink, chunk_size=2000)  # a deploy changed CHUNK_SIZE
    second = process_object(_opened(flows), large, "b", Deadline())
    assert second.status == "done" and second.already_acknowledged == 1000
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)


def test_skipping_acknowledged_chunks_stops_at_the_deadline(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(3000, seed=10)
    sink = MemoryDeadLetterSink()
    first = process_object(
        _opened(flows), _services(templated_engine, ledger, sink), "a", _StopBeforeChunk(4)
    )
    assert first.status == "incomplete" and count(templated_engine, INDEX) == 2000
    # the redelivery's invocation runs out of time while it is still skipping chunks 0-3
    second = process_object(
        _opened(flows), _services(templated_engine, ledger, sink), "b", _StopBeforeChunk(2)
    )
    assert second.status == "incomplete" and "skipping acknowledged chunk 2" in (second.error or "")
    assert second.already_acknowledged == 1500
    third = process_object(_opened(flows), _services(templated_engine, ledger, sink), "c", Deadline())
    assert third.status == "done" and third.already_acknowledged == 2000
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)


class _StopAfterReads:
    """A ``should_stop`` that answers ``True`` from its ``n``-th call on: the normalizers consult
    it on every read of the object's stream, so it stops them part-way through a chunk."""

    def __init__(self, calls: int) -> None:
        self.calls, self._left = 0, calls

    def __call__(self) -> bool:
        self.calls += 1
        return self.calls >= self._left


def test_a_deadline_inside_normalization_saves_progress_and_the_retry_resumes(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(30_000, seed=11)
    sink = MemoryDeadLetterSink()
    services = _services(templated_engine, ledger, sink, chunk_size=5000, bulk_max_docs=1000)
    stop = _StopAfterReads(9)
    items, _, _ = normalized_items(_opened(flows), keep_original=False, should_stop=stop)
    first = process_object(_opened(flows), services, "a", Deadline(), items)
    assert first.status == "incomplete" and "deadline reached while normalizing" in (first.error or "")
    assert stop.calls >= 9
    progress = ledger.progress(KEY)
    assert progress is not None and not progress.finished
    assert (
        0 < progress.chunks_done * 5000 == progress.indexed == count(templated_engine, INDEX) < flows.records
    )
    second = process_object(_opened(flows), services, "b", Deadline())
    assert second.status == "done" and second.already_acknowledged == progress.indexed
    assert count(templated_engine, INDEX) == flows.records and not duplicated_ids(templated_engine, INDEX)


def _interrupted_in_flight(engine: OpenSearch, ledger: SqliteLedger, flows: FlowObject, applied: int) -> None:
    """What a run killed in the window leaves: chunk 0 recorded in flight, the engine holding the
    first ``applied`` of its documents (the bulk bodies it applied), the ledger counting none."""
    items = islice(normalized_items(_opened(flows), keep_original=False)[0], 500)
    documents = [
        Pending(offset, INDEX, orjson.dumps(item))
        for offset, (_, item) in enumerate(items)
        if not isinstance(item, DeadLetter)
    ]
    settings = Settings()
    assert not BulkWriter(engine, settings).write(documents[:applied], Deadline()).unfinished
    ledger.claim(KEY, "killed", -1, 500)  # its lease has run out
    ledger.begin_chunk(KEY, "killed", 0)


def test_a_resumed_in_flight_chunk_sends_only_what_the_engine_lacks(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(1200, seed=11, bad_every=50)
    _interrupted_in_flight(templated_engine, ledger, flows, applied=300)
    sink = MemoryDeadLetterSink()
    services = _services(templated_engine, ledger, sink, search_visibility_seconds=0.0)

    result = process_object(_opened(flows), services, "b", Deadline())

    assert result.status == "done"
    # The 300 found are counted by this run, whose ledger write acknowledges them, as the ledger does.
    assert result.already_acknowledged == 0 and result.indexed == flows.records - flows.bad
    assert count(templated_engine, INDEX) == flows.records - flows.bad
    assert not duplicated_ids(templated_engine, INDEX)
    assert len(sink.entries()) == flows.bad
    progress = ledger.progress(KEY)
    assert progress is not None and progress.in_flight_since == 0
    assert (progress.indexed, progress.dead_lettered) == (flows.records - flows.bad, flows.bad)


def test_a_resume_before_the_writes_are_searchable_waits_or_stops_in_time(
    templated_engine: OpenSearch, ledger: SqliteLedger
) -> None:
    flows = flow_object(600, seed=12)
    _interrupted_in_flight(templated_engine, ledger, flows, applied=100)
    sink = MemoryDeadLetterSink()
    serverless = _services(templated_engine, ledger, sink, search_visibility_seconds=3600.0)

    result = process_object(_opened(flows), serverless, "b", Deadline.after(600))

    assert result.status == "incomplete" and "not searchable yet" in (result.error or "")
    assert count(templated_engine, INDEX) == 100  # nothing sent on a guess
    progress = ledger.progress(KEY)
    assert progress is not None and progress.in_flight_since > 0 and progress.chunks_done == 0
