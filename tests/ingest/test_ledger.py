"""Both ledgers keep the same promises: resume at the first unacknowledged chunk, leases, partials."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from ingest.ledger import (
    DynamoLedger,
    LeaseHeld,
    LeaseLost,
    Ledger,
    SqliteLedger,
    decode_offsets,
    encode_offsets,
)
from tests.ingest.conftest import TABLE, Aws

KEY = "s3://bucket/AWSLogs/x.json.gz#etag-1"
CHUNK = 4000


@pytest.fixture(params=["sqlite", "dynamodb"])
def ledger(request: pytest.FixtureRequest, tmp_path) -> Iterator[Ledger]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield SqliteLedger(tmp_path / "ledger.sqlite")
    else:
        aws: Aws = request.getfixturevalue("aws")
        yield DynamoLedger(TABLE, aws.dynamodb, ttl_days=30)


def test_a_new_object_starts_at_chunk_zero(ledger: Ledger) -> None:
    progress = ledger.claim(KEY, "worker-a", 60, CHUNK)
    assert (progress.chunks_done, progress.finished, progress.partial) == (0, False, frozenset())


def test_a_crash_between_chunks_resumes_at_the_first_unacknowledged_chunk(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=90, dead_lettered=10)
    ledger.ack_chunk(KEY, "worker-a", 1, indexed=100, dead_lettered=0)
    # worker-a dies; its lease expires; the redelivery goes to worker-b
    ledger.release(KEY, "worker-a")
    progress = ledger.claim(KEY, "worker-b", 60, CHUNK)
    assert progress.chunks_done == 2
    assert (progress.indexed, progress.dead_lettered) == (190, 10)


def test_a_finished_object_is_reported_finished_to_every_later_delivery(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=5, dead_lettered=0)
    ledger.finish(KEY, "worker-a")
    assert ledger.claim(KEY, "worker-b", 60, CHUNK).finished
    assert ledger.claim(KEY, "worker-c", 60, CHUNK).finished  # a finished object holds no lease


def test_a_live_lease_keeps_a_concurrent_delivery_out(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    with pytest.raises(LeaseHeld):
        ledger.claim(KEY, "worker-b", 60, CHUNK)
    assert ledger.claim(KEY, "worker-a", 60, CHUNK).chunks_done == 0  # the holder may re-claim


def test_an_expired_lease_is_taken_over_and_the_old_worker_can_no_longer_ack(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", -1, CHUNK)  # already expired
    ledger.claim(KEY, "worker-b", 60, CHUNK)
    with pytest.raises(LeaseLost):
        ledger.ack_chunk(KEY, "worker-a", 0, indexed=1, dead_lettered=0)
    ledger.ack_chunk(KEY, "worker-b", 0, indexed=1, dead_lettered=0)


def test_an_ack_for_the_wrong_chunk_is_refused(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=1, dead_lettered=0)
    with pytest.raises(LeaseLost):
        ledger.ack_chunk(KEY, "worker-a", 0, indexed=1, dead_lettered=0)


def test_partial_progress_inside_a_chunk_survives_and_is_cleared_by_the_ack(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=10, dead_lettered=0)
    done = frozenset(range(0, 700)) | frozenset(range(900, 1000))
    ledger.save_partial(KEY, "worker-a", 1, done, indexed=800, dead_lettered=0)
    ledger.release(KEY, "worker-a")

    progress = ledger.claim(KEY, "worker-b", 60, CHUNK)
    assert (progress.chunks_done, progress.partial, progress.indexed) == (1, done, 810)
    ledger.ack_chunk(KEY, "worker-b", 1, indexed=200, dead_lettered=0)
    ledger.release(KEY, "worker-b")
    progress = ledger.claim(KEY, "worker-c", 60, CHUNK)
    assert (progress.chunks_done, progress.partial, progress.indexed) == (2, frozenset(), 1010)


def test_the_chunk_size_of_the_first_claim_is_kept(ledger: Ledger) -> None:
    assert ledger.claim(KEY, "worker-a", 60, 1000).chunk_size == 1000
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=1000, dead_lettered=0)
    ledger.release(KEY, "worker-a")
    # a deploy changed CHUNK_SIZE while the object was incomplete
    progress = ledger.claim(KEY, "worker-b", 60, 4000)
    assert (progress.chunk_size, progress.chunks_done) == (1000, 1)


def test_a_ledger_file_from_before_the_chunk_size_column_is_upgraded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE ledger (key TEXT PRIMARY KEY, chunks_done INTEGER NOT NULL DEFAULT 0, "
        "partial TEXT NOT NULL DEFAULT '', finished INTEGER NOT NULL DEFAULT 0, owner TEXT, "
        "lease_until REAL NOT NULL DEFAULT 0, indexed INTEGER NOT NULL DEFAULT 0, "
        "dead_lettered INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)"
    )
    old.execute("INSERT INTO ledger (key, chunks_done, updated_at) VALUES (?, 2, 'then')", (KEY,))
    old.commit()
    old.close()
    progress = SqliteLedger(path).claim(KEY, "worker-a", 60, CHUNK)
    assert (progress.chunks_done, progress.chunk_size) == (2, CHUNK)


def test_dynamodb_items_carry_a_ttl(aws: Aws) -> None:
    DynamoLedger(TABLE, aws.dynamodb, ttl_days=30).claim(KEY, "worker-a", 60, CHUNK)
    item = aws.dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": KEY}})["Item"]
    lease_until = float(item["lease_until"]["N"])
    assert int(item["expires_at"]["N"]) - lease_until > 29 * 86400


@pytest.mark.parametrize("offsets", [set(), {0}, {0, 1, 2, 5}, set(range(4000)) - {17, 3999}])
def test_offsets_round_trip_through_their_compact_text(offsets: set[int]) -> None:
    text = encode_offsets(frozenset(offsets))
    assert decode_offsets(text) == frozenset(offsets)
    assert len(text) < 40  # ranges, not lists
