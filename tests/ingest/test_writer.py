"""The bulk writer against the embedded engine, behind the Serverless guard and the fault proxy."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import orjson
import pytest
from opensearchpy import OpenSearch

from ingest.config import LOCAL_ENDPOINT, Settings
from ingest.serverless_guard import ServerlessGuard
from ingest.writer import BulkWriter, Deadline, Pending, WriteReport
from opensearch_client import ConnectionSettings, make_client
from tests.ingest.harness import count, duplicated_ids
from tests.ingest.proxy import FaultProxy, Faults

pytestmark = pytest.mark.integration
INDEX = "siem-vpcflow"


def _documents(n: int, pad: int = 0) -> list[Pending]:
    return [
        Pending(
            i,
            INDEX,
            orjson.dumps(
                {"@timestamp": "2024-05-01T00:00:00Z", "event": {"id": f"doc-{i}"}, "message": "x" * pad}
            ),
        )
        for i in range(n)
    ]


@pytest.fixture
def proxy(engine_url: str, templated_engine: OpenSearch) -> Iterator[FaultProxy]:
    with FaultProxy(engine_url) as running:
        yield running


def _client(proxy: FaultProxy, guard: ServerlessGuard, timeout: float = 30) -> OpenSearch:
    """The production client (it reads bulk answers as the writer does), behind the guard."""
    return guard.wrap(
        make_client(ConnectionSettings(proxy.url, auth="none", timeout=timeout), pool_maxsize=4)
    )


def _writer(
    client: OpenSearch, sleep: Callable[[float], None] = time.sleep, **settings: object
) -> BulkWriter:
    # The embedded engine makes writes searchable within a second, not Serverless's 60 s: a
    # request that may have been applied is looked up after that (ingest/writer.py).
    defaults: dict[str, object] = {
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "concurrency": 2,
        "search_visibility_seconds": 1.0,
    }
    return BulkWriter(client, Settings(**{**defaults, **settings}), sleep=sleep)  # type: ignore[arg-type]


class _Clock:
    """Time that passes only when the writer sleeps (its backoff): a deadline the test can
    reason about exactly, whatever the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def deadline(self, seconds: float) -> Deadline:
        return Deadline(lambda: seconds - self.now)


def test_bodies_stay_within_the_byte_limit_and_every_document_lands_once(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_bytes=16 * 1024)
    report = writer.write(_documents(300, pad=200), Deadline())
    writer.close()
    assert sorted(report.indexed) == list(range(300))
    assert max(proxy.stats.bulk_body_sizes) <= 16 * 1024
    assert len(proxy.stats.bulk_body_sizes) >= 300 * 250 // (16 * 1024)
    assert count(client, INDEX) == 300 and not duplicated_ids(client, INDEX)


def test_a_document_larger_than_a_body_is_rejected_unsent(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    writer = _writer(_client(proxy, serverless_guard), bulk_max_bytes=4096)
    report = writer.write(
        [*_documents(3), Pending(3, INDEX, orjson.dumps({"@timestamp": "x", "m": "y" * 5000}))], Deadline()
    )
    writer.close()
    assert sorted(report.indexed) == [0, 1, 2]
    (rejected,) = report.rejected
    assert rejected.pending.offset == 3 and rejected.reason.startswith("document too large")


def test_throttled_requests_and_items_are_retried_until_all_land(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(seed=7, bulk_429=0.3, bulk_503=0.2, item_429=0.2)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=50, max_attempts=30)
    report = writer.write(_documents(500), Deadline())
    writer.close()
    assert sorted(report.indexed) == list(range(500)) and not report.rejected and not report.unfinished
    assert report.retries > 0
    assert (
        proxy.stats.injected["bulk 429"]
        and proxy.stats.injected["bulk 503"]
        and proxy.stats.injected["item 429"]
    )
    assert count(client, INDEX) == 500 and not duplicated_ids(client, INDEX)


def test_an_answer_mixing_created_already_there_throttled_and_failed_items_lands_each_document_once(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    # 409 on a create: the engine holds the document (it took an earlier copy of the request).
    # It is indexed, not a refusal: dead-lettered, a replay would index it a second time.
    proxy.faults = Faults(seed=13, item_409=0.15, item_429=0.15, item_500=0.1)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=50, max_attempts=30)
    report = writer.write(_documents(500), Deadline())
    writer.close()
    assert all(proxy.stats.injected[f"item {status}"] for status in (409, 429, 500))
    assert sorted(report.indexed) == list(range(500)) and not report.rejected and not report.unfinished
    assert count(client, INDEX) == 500 and not duplicated_ids(client, INDEX)


def test_timeouts_are_retried(proxy: FaultProxy, serverless_guard: ServerlessGuard) -> None:
    proxy.faults = Faults(seed=3, bulk_timeout=0.4, timeout_sleep=0.5)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=20, max_attempts=20)
    report = writer.write(_documents(100), Deadline())
    writer.close()
    assert sorted(report.indexed) == list(range(100))
    assert proxy.stats.injected["bulk timeout"] > 0


def _unsure_writer(proxy: FaultProxy, guard: ServerlessGuard) -> BulkWriter:
    """A writer whose requests time out after 0.5 s, on an engine whose writes are searchable
    within a second (osmem-server's refresh)."""
    return _writer(
        _client(proxy, guard),
        bulk_max_docs=50,
        connection=ConnectionSettings(LOCAL_ENDPOINT, timeout=0.5),
        search_visibility_seconds=1.0,
    )


def test_a_request_applied_then_timed_out_is_looked_up_not_sent_again(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(applied_timeouts=1, timeout_sleep=1.0)
    writer = _unsure_writer(proxy, serverless_guard)
    report = writer.write(_documents(100), Deadline())
    writer.close()
    assert proxy.stats.injected["bulk applied, then timed out"] == 1
    assert sorted(report.indexed) == list(range(100)) and not report.unfinished
    # Two bodies of 50; the one whose answer was lost is never sent again.
    assert report.requests == 2 and proxy.stats.bulk_requests == 2
    assert count(_client(proxy, serverless_guard), INDEX) == 100
    assert not duplicated_ids(_client(proxy, serverless_guard), INDEX)


def test_a_request_applied_then_reset_mid_answer_is_looked_up_not_sent_again(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    # The engine applied the body; its answer breaks off half-way with a connection reset.
    proxy.faults = Faults(applied_resets=1)
    writer = _unsure_writer(proxy, serverless_guard)
    report = writer.write(_documents(100), Deadline())
    writer.close()
    assert proxy.stats.injected["bulk applied, then reset mid-answer"] == 1
    assert sorted(report.indexed) == list(range(100)) and not report.unfinished
    assert report.requests == 2 and proxy.stats.bulk_requests == 2
    client = _client(proxy, serverless_guard)
    assert count(client, INDEX) == 100 and not duplicated_ids(client, INDEX)


def test_what_an_applied_request_did_not_index_is_sent_again(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    # The engine applies the body whose answer is lost, but refuses some of its documents
    # (mapping errors): those are not found, so they are sent again and refused again.
    proxy.faults = Faults(seed=11, applied_timeouts=1, timeout_sleep=1.0, item_400=0.2)
    writer = _unsure_writer(proxy, serverless_guard)
    documents = _documents(50)
    report = writer.write(documents, Deadline())
    writer.close()
    refused = sorted(rejected.pending.offset for rejected in report.rejected)
    expected = [d.offset for d in documents if proxy.permanently_rejected(d.body)]
    assert refused == expected and refused
    assert sorted(report.indexed + refused) == list(range(50)) and not report.unfinished
    assert all("mapper_parsing_exception" in rejected.reason for rejected in report.rejected)
    client = _client(proxy, serverless_guard)
    assert count(client, INDEX) == 50 - len(refused) and not duplicated_ids(client, INDEX)


def test_a_request_applied_then_timed_out_is_left_unfinished_when_no_look_up_fits(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    # Serverless's visibility delay does not fit before the deadline: the documents are left for
    # the object's retry (which looks them up), never sent again blindly.
    proxy.faults = Faults(applied_timeouts=1, timeout_sleep=1.0)
    writer = _writer(
        _client(proxy, serverless_guard),
        connection=ConnectionSettings(LOCAL_ENDPOINT, timeout=0.5),
        search_visibility_seconds=60.0,
    )
    report = writer.write(_documents(20), Deadline.after(20.0))
    writer.close()
    assert sorted(report.unfinished) == list(range(20)) and not report.indexed
    assert proxy.stats.bulk_requests == 1
    assert any("could not be looked up in time" in error for error in report.errors)
    assert count(_client(proxy, serverless_guard), INDEX) == 20


def test_permanent_item_errors_are_rejected_with_the_engine_reason(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(seed=11, item_400=0.1)
    documents = _documents(400)
    doomed = {d.offset for d in documents if proxy.permanently_rejected(d.body)}
    writer = _writer(_client(proxy, serverless_guard))
    report = writer.write(documents, Deadline())
    writer.close()
    assert doomed and {r.pending.offset for r in report.rejected} == doomed
    assert all("mapper_parsing_exception" in r.reason for r in report.rejected)
    assert sorted(report.indexed) == sorted(set(range(400)) - doomed)


def test_an_engine_that_keeps_failing_leaves_the_documents_unfinished_before_the_deadline(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(seed=5, bulk_503=1.0)
    clock = _Clock()
    writer = _writer(
        _client(proxy, serverless_guard),
        clock.sleep,
        backoff_base=0.2,
        backoff_cap=1.0,
        max_attempts=1000,
        connection=ConnectionSettings(LOCAL_ENDPOINT, timeout=0.5),
    )
    report = writer.write(_documents(50), clock.deadline(3.0))
    writer.close()
    assert sorted(report.unfinished) == list(range(50)) and not report.indexed
    # It retried, backed off only while a retried request (0.5 s) still fitted before the
    # deadline, and stopped there, far from its attempts' limit.
    assert report.retries > 0 and 0 < clock.now <= 3.0 - 0.5
    assert report.retries < 100 and proxy.stats.bulk_requests == report.retries + 1


def test_a_real_mapping_conflict_from_the_engine_is_rejected(templated_engine: OpenSearch) -> None:
    writer = _writer(templated_engine)
    good = orjson.dumps({"@timestamp": "2024-05-01T00:00:00Z", "event": {"id": "ok"}})
    bad = orjson.dumps({"@timestamp": "not a date at all", "event": {"id": "bad"}})
    report = writer.write([Pending(0, INDEX, good), Pending(1, INDEX, bad)], Deadline())
    writer.close()
    assert report.indexed == [0]
    assert [r.pending.offset for r in report.rejected] == [1]
    assert report.rejected[0].reason.startswith("index error: 400")


def test_an_unreadable_answer_is_retried_and_the_other_bodies_still_count(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(scripted=["garbled"])  # the first body's answer is cut short
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=10)
    report = writer.write(_documents(60), Deadline())
    writer.close()
    assert proxy.stats.injected["bulk garbled"] == 1
    assert sorted(report.indexed) == list(range(60)) and not report.unfinished and report.retries == 1
    assert count(client, INDEX) == 60 and not duplicated_ids(client, INDEX)


@pytest.mark.parametrize("status", ["401", "403", "404"])
def test_a_refused_request_leaves_its_documents_unfinished_not_dead_lettered(
    status: str, proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(scripted=[status])
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=10, concurrency=1)
    report = writer.write(_documents(30), Deadline())
    writer.close()
    assert not report.rejected
    assert sorted(report.unfinished) == list(range(10)) and sorted(report.indexed) == list(range(10, 30))
    assert any(error.startswith(f"bulk request refused: {status}") for error in report.errors)
    assert count(client, INDEX) == 20


def test_items_refused_for_their_index_not_for_themselves_are_left_unfinished_not_rejected(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    # 403 cluster_block_exception: the index takes no writes (a write block); nothing against
    # the documents, as for a whole request refused 401/403/404.
    proxy.faults = Faults(seed=17, item_403=0.3)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=50)
    report = writer.write(_documents(200), Deadline())
    writer.close()
    assert proxy.stats.injected["item 403"] == len(report.unfinished) > 0 and not report.rejected
    assert sorted(report.indexed + report.unfinished) == list(range(200))
    assert any("403 cluster_block_exception" in error for error in report.errors)
    assert count(client, INDEX) == len(report.indexed) and not duplicated_ids(client, INDEX)


def test_a_request_timeout_answer_is_retried(proxy: FaultProxy, serverless_guard: ServerlessGuard) -> None:
    proxy.faults = Faults(scripted=["408"])
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=10)
    report = writer.write(_documents(30), Deadline())
    writer.close()
    assert sorted(report.indexed) == list(range(30)) and report.retries == 1
    assert count(client, INDEX) == 30 and not duplicated_ids(client, INDEX)


class _CountdownDeadline(Deadline):
    """Plenty of time for ``checks`` deadline checks, then none."""

    def __init__(self, checks: int) -> None:
        super().__init__(self._tick)
        self._checks = checks

    def _tick(self) -> float:
        self._checks -= 1
        return 900.0 if self._checks >= 0 else 0.0


def test_a_body_too_large_is_split_until_the_engine_takes_it(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(max_body_docs=8)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=50)
    report = writer.write(_documents(100), Deadline())
    writer.close()
    assert proxy.stats.injected["bulk 413"] >= 2
    assert sorted(report.indexed) == list(range(100)) and not report.rejected and not report.unfinished
    assert count(client, INDEX) == 100 and not duplicated_ids(client, INDEX)


def test_the_halves_of_a_body_too_large_respect_the_deadline(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    proxy.faults = Faults(max_body_docs=1)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=64, concurrency=1)
    report = writer.write(_documents(64), _CountdownDeadline(checks=80))
    writer.close()
    assert report.unfinished and report.indexed and not report.rejected
    assert sorted(report.indexed + report.unfinished) == list(range(64))
    assert count(client, INDEX) == len(report.indexed) and not duplicated_ids(client, INDEX)


def test_a_document_the_engine_finds_too_large_even_alone_is_rejected_and_the_rest_indexed(
    proxy: FaultProxy, serverless_guard: ServerlessGuard
) -> None:
    # Within the writer's own body limit, but over the engine's: halves until it is alone, then
    # refused with the engine's reason (dead-lettered), never sent again and again.
    documents = _documents(20)
    large = _documents(1, pad=6000)[0]
    documents[7] = Pending(7, INDEX, large.body.replace(b"doc-0", b"doc-7"))
    proxy.faults = Faults(max_body_bytes=4096)
    client = _client(proxy, serverless_guard)
    writer = _writer(client, bulk_max_docs=20, concurrency=1)
    report = writer.write(documents, Deadline())
    writer.close()
    (rejected,) = report.rejected
    assert rejected.pending.offset == 7 and rejected.reason.startswith("bulk request refused: 413")
    assert sorted(report.indexed) == [n for n in range(20) if n != 7] and not report.unfinished
    assert count(client, INDEX) == 19 and not duplicated_ids(client, INDEX)


class _Answering:
    """A client whose every bulk request gets ``answer``: the text a client of
    ``opensearch_client.make_client`` returns within ``raw_answers()``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests = 0

    def bulk(self, **_: object) -> str:
        self.requests += 1
        return self.answer


def _created(index: int) -> str:
    """One item of a bulk answer, as the OpenSearch Bulk API documents a successful create."""
    return (
        f'{{"create":{{"_index":"{INDEX}","_id":"id-{index}","_version":1,"result":"created",'
        f'"_shards":{{"total":2,"successful":2,"failed":0}},"_seq_no":{index},"_primary_term":1,"status":201}}}}'
    )


def _answered(answer: str, documents: int = 3) -> tuple[WriteReport, _Answering]:
    client = _Answering(answer)
    writer = _writer(client, max_attempts=1, search_visibility_seconds=0.0)  # type: ignore[arg-type]
    report = writer.write(_documents(documents), Deadline())
    writer.close()
    return report, client


@pytest.mark.parametrize(
    "layout",
    [
        '{{"took":11,"errors":false,"items":[{items}]}}',  # OpenSearch's order
        '{{"took":11,"ingest_took":0,"errors":false,"items":[{items}]}}',
        '{{"errors":false,"items":[{items}],"took":11}}',  # keys sorted (osmem-server)
    ],
)
def test_an_answer_without_errors_counts_each_document_indexed(layout: str) -> None:
    report, client = _answered(layout.format(items=",".join(_created(i) for i in range(3))))
    assert sorted(report.indexed) == [0, 1, 2] and not report.unfinished and client.requests == 1


def test_an_answer_with_errors_is_read_item_by_item() -> None:
    refused = (
        '{"create":{"_index":"siem-vpcflow","_id":null,"status":400,"error":{"type":"mapper_parsing_exception",'
        '"reason":"failed to parse field [source.port] of type [long]"}}}'
    )
    report, _ = _answered(f'{{"took":4,"errors":true,"items":[{_created(0)},{refused},{_created(2)}]}}')
    assert sorted(report.indexed) == [0, 2]
    (rejected,) = report.rejected
    assert rejected.pending.offset == 1 and "mapper_parsing_exception" in rejected.reason


@pytest.mark.parametrize(
    "answer",
    [
        # Fewer items than documents, though no error: what became of the third is not said.
        '{"took":2,"errors":false,"items":[' + _created(0) + "," + _created(1) + "]}",
        # Cut short (a proxy closing the connection early).
        '{"took":2,"errors":false,"items":[' + _created(0) + "," + _created(1) + "," + _created(2)[:40],
        "<html><body>502 Bad Gateway</body></html>",
        "",
    ],
)
def test_an_answer_that_does_not_account_for_each_document_counts_none_indexed(answer: str) -> None:
    # The engine may have applied the request: its documents are looked up before any resend;
    # this client cannot be asked, so they are left unfinished (retried by the object's retry).
    report, _ = _answered(answer)
    assert not report.indexed and not report.rejected and sorted(report.unfinished) == [0, 1, 2]
