"""Both ledgers keep the same promises: resume at the first unacknowledged chunk, leases, partials."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.ledger import (
    DynamoLedger,
    LeaseHeld,
    LeaseLost,
    Ledger,
    PinnedRead,
    SqliteLedger,
    decode_offsets,
    encode_offsets,
)
from ingest.owners import holder_is_dead, run_owner
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
    ledger.save_partial(KEY, "worker-a", 1, done, indexed=800, dead_lettered=0, before=frozenset())
    ledger.release(KEY, "worker-a")

    progress = ledger.claim(KEY, "worker-b", 60, CHUNK)
    assert (progress.chunks_done, progress.partial, progress.indexed) == (1, done, 810)
    ledger.ack_chunk(KEY, "worker-b", 1, indexed=200, dead_lettered=0)
    ledger.release(KEY, "worker-b")
    progress = ledger.claim(KEY, "worker-c", 60, CHUNK)
    assert (progress.chunks_done, progress.partial, progress.indexed) == (2, frozenset(), 1010)


def test_a_partial_save_sent_again_after_it_was_applied_counts_nothing_twice(ledger: Ledger) -> None:
    # DynamoDB applied the save and its answer was lost: the SDK, or the processor, sends it again.
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    first, second = frozenset(range(300)), frozenset(range(500))
    ledger.save_partial(KEY, "worker-a", 0, first, indexed=300, dead_lettered=0, before=frozenset())
    with pytest.raises(LeaseLost):
        ledger.save_partial(KEY, "worker-a", 0, first, indexed=300, dead_lettered=0, before=frozenset())
    ledger.save_partial(KEY, "worker-a", 0, second, indexed=190, dead_lettered=10, before=first)
    with pytest.raises(LeaseLost):
        ledger.save_partial(KEY, "worker-a", 0, second, indexed=190, dead_lettered=10, before=first)
    progress = ledger.progress(KEY)
    assert progress is not None and (progress.partial, progress.indexed, progress.dead_lettered) == (
        second,
        490,
        10,
    )


def test_a_chunk_stays_in_flight_until_its_ack(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    ledger.begin_chunk(KEY, "worker-a", 0)
    first = ledger.progress(KEY)
    assert first is not None and first.in_flight_since > 0
    # A partial save keeps it: a request that timed out may have been applied all the same.
    ledger.save_partial(KEY, "worker-a", 0, frozenset({0, 1}), indexed=2, dead_lettered=0, before=frozenset())
    assert ledger.claim(KEY, "worker-a", 60, CHUNK).in_flight_since == first.in_flight_since
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=CHUNK - 2, dead_lettered=0)
    after = ledger.progress(KEY)
    assert after is not None and after.in_flight_since == 0 and after.chunks_done == 1


def test_an_ack_can_record_the_next_chunk_in_flight(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    ledger.begin_chunk(KEY, "worker-a", 0)
    ledger.ack_chunk(KEY, "worker-a", 0, indexed=CHUNK, dead_lettered=0, begin_next=True)
    progress = ledger.progress(KEY)
    assert progress is not None and progress.chunks_done == 1 and progress.in_flight_since > 0
    ledger.ack_chunk(KEY, "worker-a", 1, indexed=CHUNK, dead_lettered=0)
    last = ledger.progress(KEY)
    assert last is not None and (last.chunks_done, last.in_flight_since, last.indexed) == (2, 0, 2 * CHUNK)


def test_only_the_lease_holder_marks_its_current_chunk_in_flight(ledger: Ledger) -> None:
    ledger.claim(KEY, "worker-a", 60, CHUNK)
    with pytest.raises(LeaseLost):
        ledger.begin_chunk(KEY, "worker-b", 0)
    with pytest.raises(LeaseLost):
        ledger.begin_chunk(KEY, "worker-a", 1)
    progress = ledger.progress(KEY)
    assert progress is not None and progress.in_flight_since == 0


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


def test_runs_that_open_one_new_ledger_file_at_once_all_open_it(tmp_path: Path) -> None:
    # SQLite refuses the switch to WAL at once to all but one of several openers of a new file
    # (without the retry, about 1 trial in 20 of four threads failed here).
    for trial in range(200):
        path = tmp_path / f"ledger-{trial}.sqlite"
        failures: list[BaseException] = []

        def open_and_close(path: Path = path, failures: list[BaseException] = failures) -> None:
            try:
                SqliteLedger(path, "http://engine/siem-").close()
            except BaseException as error:  # the test reports every failure
                failures.append(error)

        openers = [threading.Thread(target=open_and_close) for _ in range(4)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join()
        assert not failures, f"trial {trial}: {failures}"


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


def test_two_runs_of_one_machine_never_share_a_lease_owner() -> None:
    first, second = run_owner(), run_owner()
    assert first != second
    assert first.startswith(f"cli@{socket.gethostname()}:{os.getpid()}:")


def test_a_run_takes_over_the_lease_of_a_killed_run_of_its_machine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # exited and reaped: its id names no process now
    killed = f"cli@{socket.gethostname()}:{child.pid}:0badc0de"
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    ledger.claim(KEY, killed, 3600, CHUNK)
    ledger.ack_chunk(KEY, killed, 0, indexed=CHUNK, dead_lettered=0)

    assert holder_is_dead(killed)
    progress = ledger.claim(KEY, run_owner(), 3600, CHUNK)  # no wait for the hour-long lease
    assert progress.chunks_done == 1


HOST = socket.gethostname()


@pytest.mark.parametrize(
    "holder",
    [
        f"cli@{HOST}:{{pid}}:feedface",  # another run of this very process
        f"cli@{HOST}:1:feedface",  # init: always alive
        "cli@another-machine.example:999999999:feedface",  # its processes are not ours to judge
        f"cli@{HOST}",  # the old owner format: only its lease's end frees it
        "8f14e45f-ceea-467f-a0e6-bf4a5c8e1b21",  # a Lambda request id
    ],
    ids=["this-process", "init", "other-machine", "old-format", "lambda"],
)
def test_a_lease_of_a_run_that_may_be_alive_is_kept(holder: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    holder = holder.format(pid=os.getpid())
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    ledger.claim(KEY, holder, 3600, CHUNK)
    assert not holder_is_dead(holder)
    with pytest.raises(LeaseHeld, match=re.escape(holder)):
        ledger.claim(KEY, run_owner(), 3600, CHUNK)


def test_the_sqlite_ledger_names_the_unfinished_reads_of_one_location_only(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    location = "s3://b/logs/a%_#1.gz"  # a key may hold LIKE's wildcards and the key separator
    reads = {
        f"{location}#etag-1": (location, None, "etag-1"),  # unversioned, left unfinished
        f"{location}#v2": (location, "v2", "etag-2"),  # versioned, finished
        f"{location}#x#etag-3": (f"{location}#x", None, "etag-3"),  # another object, its key longer
        f"{location}#etag-4": (location, None, "etag-4"),  # pinned, never claimed (killed before)
    }
    for key, (where, version_id, etag) in reads.items():
        ledger.pin_read(key, where, version_id, etag)
        ledger.pin_read(key, where, version_id, "pinned again: the first pin stays")
    for key in list(reads)[:3]:
        ledger.claim(key, "run-1", 60, 100)
    ledger.finish(f"{location}#v2", "run-1")

    assert ledger.unfinished_reads(location) == [PinnedRead(f"{location}#etag-1", None, "etag-1")]
    reopened = SqliteLedger(tmp_path / "ledger.sqlite")  # what the next run reads
    assert reopened.unfinished_reads(f"{location}#x") == [PinnedRead(f"{location}#x#etag-3", None, "etag-3")]


def test_the_sqlite_ledger_names_the_unfinished_reads_under_a_prefix_as_a_plain_string(
    tmp_path: Path,
) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    prefix = "s3://b/logs/a%_/"  # LIKE's wildcards, themselves here
    reads = {
        f"{prefix}one.gz": f"{prefix}one.gz",  # under the prefix, unfinished
        f"{prefix}deeper/two.gz": f"{prefix}deeper/two.gz",  # deeper: still under it
        f"{prefix}done.gz": f"{prefix}done.gz",  # finished
        "s3://b/logs/aXY/three.gz": "s3://b/logs/aXY/three.gz",  # what LIKE 'a%_/%' would match
        "s3://b/logs/a%_": "s3://b/logs/a%_",  # the prefix less its last character
        "s3://b-2/logs/a%_/four.gz": "s3://b-2/logs/a%_/four.gz",  # another bucket
    }
    for key, location in reads.items():
        ledger.pin_read(f"{key}#etag", location, None, "etag")
        ledger.claim(f"{key}#etag", "run-1", 60, 100)
    ledger.finish(f"{prefix}done.gz#etag", "run-1")

    reopened = SqliteLedger(tmp_path / "ledger.sqlite")
    assert reopened.unfinished_reads_under(prefix) == [
        (f"{prefix}deeper/two.gz", PinnedRead(f"{prefix}deeper/two.gz#etag", None, "etag")),
        (f"{prefix}one.gz", PinnedRead(f"{prefix}one.gz#etag", None, "etag")),
    ]
    assert reopened.unfinished_reads_under("s3://b/") == [
        (location, PinnedRead(f"{location}#etag", None, "etag"))
        for location in sorted(set(reads) - {f"{prefix}done.gz", "s3://b-2/logs/a%_/four.gz"})
    ]
