"""The ledger: exactly-once indexing without document ids.

Serverless TIMESERIES collections refuse custom ``_id``s, so OpenSearch cannot deduplicate for
us. Instead each object (keyed by location and version or ETag) is cut into deterministic
chunks of records, and the ledger remembers how many chunks are fully handled (every record
indexed or dead-lettered). A redelivered object skips those chunks; a finished object is
skipped entirely. When a deadline interrupts a chunk, the offsets already handled inside it are
saved too (``partial``), so the retry sends only the rest.

A lease (owner + expiry) keeps two concurrent deliveries of the same object (SQS standard
queues may deliver twice at once) from both writing it: the second one is told to retry later.
The CLI's owners are unique per run and a run takes over the lease of a dead run of its own
machine at once (:mod:`ingest.owners`).

Two implementations: DynamoDB (Lambda) and SQLite (CLI, tests).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ingest.owners import holder_is_dead


@dataclass(frozen=True, slots=True)
class Progress:
    chunks_done: int = 0
    partial: frozenset[int] = field(default_factory=frozenset)
    """Offsets (within chunk ``chunks_done``) already indexed or dead-lettered."""
    finished: bool = False
    indexed: int = 0
    dead_lettered: int = 0
    chunk_size: int = 0
    """Records per chunk, fixed by the first claim: a later change of ``CHUNK_SIZE`` must not
    move the chunk boundaries of an object already partly handled (0: not recorded)."""
    in_flight_since: float = 0.0
    """When chunk ``chunks_done`` was last started (epoch seconds; 0: not since its last ack).
    Set, its documents may be in the engine though the ledger does not count them (a crash
    between the bulk answer and the ledger write): a resume looks them up before sending."""


@dataclass(frozen=True, slots=True)
class PinnedRead:
    """What a ``siem ingest`` run read of an S3 object, so that a later run resumes the same
    bytes: the version id, else the ETag (unquoted), as the GetObject answer gave them."""

    key: str
    """The ledger key of that read."""
    version_id: str | None
    etag: str | None


class LeaseHeld(RuntimeError):
    """Another worker is processing this object right now; retry later."""


class WrongLedger(ValueError):
    """A ledger file that records writes into another destination than this run's."""


class LeaseLost(RuntimeError):
    """Our lease expired and another worker took the object over, or the ledger no longer holds
    what this worker read (an update applied already, its answer lost): stop writing."""


class Ledger(Protocol):
    def claim(self, key: str, owner: str, lease_seconds: float, chunk_size: int) -> Progress:
        """Take the object's lease and return its progress; raise :class:`LeaseHeld` if taken.
        ``chunk_size`` is recorded by the first claim only; the progress carries the recorded one."""
        ...

    def begin_chunk(self, key: str, owner: str, chunk: int) -> None:
        """Record that ``chunk`` is about to be sent (see :attr:`Progress.in_flight_since`)."""
        ...

    def ack_chunk(
        self, key: str, owner: str, chunk: int, indexed: int, dead_lettered: int, begin_next: bool = False
    ) -> None:
        """Mark ``chunk`` fully handled (and no longer in flight); the counts are those added by
        this call. ``begin_next``: chunk + 1 is about to be sent, recorded in the same write as
        :meth:`begin_chunk` would (one ledger write per chunk instead of two)."""
        ...

    def save_partial(
        self,
        key: str,
        owner: str,
        chunk: int,
        done: frozenset[int],
        indexed: int,
        dead_lettered: int,
        *,
        before: frozenset[int],
    ) -> None:
        """Remember offsets handled inside an unfinished ``chunk``. The chunk stays in flight:
        a request that timed out may still have been applied. ``before``: the offsets the ledger
        held for the chunk when this worker read it; written only if it still does (else
        :class:`LeaseLost`), so the same save sent again after it was applied (its answer lost)
        cannot add its counts twice."""
        ...

    def finish(self, key: str, owner: str) -> None:
        """Mark the object done and release the lease."""
        ...

    def release(self, key: str, owner: str) -> None:
        """Give the lease up (on failure), so a redelivery can start at once."""
        ...

    def progress(self, key: str) -> Progress | None:
        """The object's progress without claiming it; ``None`` when it was never claimed."""
        ...


def encode_offsets(offsets: frozenset[int]) -> str:
    """``{0,1,2,5}`` -> ``"0-2,5"``: compact enough for a DynamoDB attribute."""
    parts: list[str] = []
    ordered = sorted(offsets)
    start = previous = None
    for offset in [*ordered, None]:
        if start is not None and (offset is None or offset != previous + 1):  # type: ignore[operator]
            parts.append(str(start) if start == previous else f"{start}-{previous}")
            start = None
        if offset is not None and start is None:
            start = offset
        previous = offset
    return ",".join(parts)


def decode_offsets(text: str | None) -> frozenset[int]:
    offsets: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        offsets.update(range(int(first), int(last or first) + 1))
    return frozenset(offsets)


def _now() -> float:
    return time.time()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SETUP_PATIENCE_SECONDS = 30.0
"""How long a ledger being opened waits for another opener of the same file."""


class SqliteLedger:
    """The CLI's ledger: one SQLite file (``:memory:`` for tests).

    Opened with a ``destination`` (endpoint and index prefix, :mod:`ingest.ledger_files`), the
    file records it the first time and refuses any other afterwards (:class:`WrongLedger`).
    """

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS ledger (
            key TEXT PRIMARY KEY,
            chunks_done INTEGER NOT NULL DEFAULT 0,
            partial TEXT NOT NULL DEFAULT '',
            finished INTEGER NOT NULL DEFAULT 0,
            owner TEXT,
            lease_until REAL NOT NULL DEFAULT 0,
            indexed INTEGER NOT NULL DEFAULT 0,
            dead_lettered INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            chunk_size INTEGER NOT NULL DEFAULT 0,
            in_flight_since REAL NOT NULL DEFAULT 0
        )"""
    _PINNED_READS = """
        CREATE TABLE IF NOT EXISTS pinned_reads (
            key TEXT PRIMARY KEY,
            location TEXT NOT NULL,
            version_id TEXT,
            etag TEXT
        )"""
    """What each S3 read named (:class:`PinnedRead`), looked up by location when a run resumes."""
    _ADDED_COLUMNS: ClassVar[dict[str, str]] = {
        "chunk_size": "INTEGER NOT NULL DEFAULT 0",
        "in_flight_since": "REAL NOT NULL DEFAULT 0",
    }
    """Columns ledger files of earlier versions lack, added when they are opened."""

    def __init__(self, path: Path | str = ":memory:", destination: str | None = None) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._set_up()
        self._lock = threading.Lock()
        if destination is not None:
            self._check_destination(str(path), destination)

    def _set_up(self) -> None:
        """Switch the file to WAL and create what is missing, waiting out another opener.

        Two runs that open a new ledger file at once race to switch it to WAL: SQLite answers
        "database is locked" at once, without calling the busy handler, to the one that loses
        (seen 9 times in 200 with four threads). Setup is idempotent, so it is tried again.
        """
        deadline = time.monotonic() + _SETUP_PATIENCE_SECONDS
        pause = 0.005
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(self._SCHEMA)
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
                self._db.execute(self._PINNED_READS)
                # One look-up per listed object: a backfill of many objects must not scan them all.
                self._db.execute(
                    "CREATE INDEX IF NOT EXISTS pinned_reads_by_location ON pinned_reads (location)"
                )
                self._add_missing_columns()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _check_destination(self, path: str, destination: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('destination', ?)", (destination,))
        recorded = self.destination()
        if recorded != destination:
            self.close()
            raise WrongLedger(
                f"the ledger {path} records writes into {recorded}, not {destination}: a ledger "
                "serves one destination (omit --ledger for the destination's own)"
            )

    def destination(self) -> str | None:
        """Where this ledger's writes went, as recorded by its first run (``None``: not recorded)."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'destination'").fetchone()
        return None if row is None else str(row[0])

    def _add_missing_columns(self) -> None:
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(ledger)")}
        for name, definition in self._ADDED_COLUMNS.items():
            if name not in columns:
                try:
                    self._db.execute(f"ALTER TABLE ledger ADD COLUMN {name} {definition}")
                except sqlite3.OperationalError as error:
                    if "duplicate column" not in str(error):  # another opener added it first
                        raise

    def claim(self, key: str, owner: str, lease_seconds: float, chunk_size: int) -> Progress:
        now = _now()
        with self._transaction():
            row = self._db.execute(
                "SELECT chunks_done, partial, finished, owner, lease_until, indexed, dead_lettered, chunk_size, "
                "in_flight_since FROM ledger WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO ledger (key, owner, lease_until, updated_at, chunk_size) VALUES (?, ?, ?, ?, ?)",
                    (key, owner, now + lease_seconds, _iso(now), chunk_size),
                )
                return Progress(chunk_size=chunk_size)
            chunks_done, partial, finished, holder, lease_until, indexed, dead, recorded, in_flight = row
            recorded = recorded or chunk_size
            progress = Progress(
                chunks_done, decode_offsets(partial), bool(finished), indexed, dead, recorded, in_flight
            )
            if finished:
                return progress
            if holder not in (None, owner) and lease_until > now and not holder_is_dead(holder):
                raise LeaseHeld(f"{key} is being processed by {holder}")
            self._db.execute(
                "UPDATE ledger SET owner = ?, lease_until = ?, updated_at = ?, chunk_size = ? WHERE key = ?",
                (owner, now + lease_seconds, _iso(now), recorded, key),
            )
            return progress

    def begin_chunk(self, key: str, owner: str, chunk: int) -> None:
        self._update(key, owner, chunk, "in_flight_since = ?", (_now(),))

    def ack_chunk(
        self, key: str, owner: str, chunk: int, indexed: int, dead_lettered: int, begin_next: bool = False
    ) -> None:
        self._update(
            key,
            owner,
            chunk,
            "chunks_done = chunks_done + 1, partial = '', in_flight_since = ?, indexed = indexed + ?, "
            "dead_lettered = dead_lettered + ?",
            (_now() if begin_next else 0, indexed, dead_lettered),
        )

    def save_partial(
        self,
        key: str,
        owner: str,
        chunk: int,
        done: frozenset[int],
        indexed: int,
        dead_lettered: int,
        *,
        before: frozenset[int],
    ) -> None:
        self._update(
            key,
            owner,
            chunk,
            "partial = ?, indexed = indexed + ?, dead_lettered = dead_lettered + ?",
            (encode_offsets(done), indexed, dead_lettered),
            ("partial = ?", (encode_offsets(before),)),
        )

    def finish(self, key: str, owner: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE ledger SET finished = 1, owner = NULL, lease_until = 0, updated_at = ? "
                "WHERE key = ? AND owner = ?",
                (_iso(_now()), key, owner),
            )

    def release(self, key: str, owner: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE ledger SET owner = NULL, lease_until = 0 WHERE key = ? AND owner = ?", (key, owner)
            )

    def progress(self, key: str) -> Progress | None:
        row = self._db.execute(
            "SELECT chunks_done, partial, finished, indexed, dead_lettered, chunk_size, in_flight_since "
            "FROM ledger WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return Progress(row[0], decode_offsets(row[1]), bool(row[2]), row[3], row[4], row[5], row[6])

    def pin_read(self, key: str, location: str, version_id: str | None, etag: str | None) -> None:
        """Remember what the read of ``key`` named, before it is claimed (see :class:`PinnedRead`)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO pinned_reads (key, location, version_id, etag) VALUES (?, ?, ?, ?)",
                (key, location, version_id, etag),
            )

    def unfinished_reads(self, location: str) -> list[PinnedRead]:
        """The reads of ``location`` a run began and none finished, oldest first. Ledger rows of
        runs before reads were pinned have no pin: they are not among them."""
        rows = self._db.execute(
            "SELECT pinned_reads.key, version_id, etag FROM pinned_reads "
            "JOIN ledger ON ledger.key = pinned_reads.key "
            "WHERE location = ? AND finished = 0 ORDER BY updated_at, pinned_reads.key",
            (location,),
        ).fetchall()
        return [PinnedRead(key, version_id, etag) for key, version_id, etag in rows]

    def unfinished_reads_under(self, prefix: str) -> list[tuple[str, PinnedRead]]:
        """The unfinished reads (as :meth:`unfinished_reads`) of every location that starts with
        ``prefix``, with their location: a plain string prefix, so that ``%`` and ``_`` in keys
        are themselves (as LIKE would not take them)."""
        rows = self._db.execute(
            "SELECT location, pinned_reads.key, version_id, etag FROM pinned_reads "
            "JOIN ledger ON ledger.key = pinned_reads.key "
            "WHERE substr(location, 1, length(?1)) = ?1 AND finished = 0 "
            "ORDER BY location, updated_at, pinned_reads.key",
            (prefix,),
        ).fetchall()
        return [(location, PinnedRead(key, version_id, etag)) for location, key, version_id, etag in rows]

    def totals(self) -> tuple[int, int]:
        """(indexed, dead-lettered) over every object: what the ledger vouches for."""
        indexed, dead = self._db.execute(
            "SELECT COALESCE(SUM(indexed), 0), COALESCE(SUM(dead_lettered), 0) FROM ledger"
        ).fetchone()
        return int(indexed), int(dead)

    def close(self) -> None:
        self._db.close()

    def _update(
        self,
        key: str,
        owner: str,
        chunk: int,
        assignments: str,
        values: tuple[Any, ...],
        also: tuple[str, tuple[Any, ...]] = ("1", ()),
    ) -> None:
        """``UPDATE ... SET assignments`` while ``owner`` holds ``key`` at ``chunk`` (and ``also``,
        a condition with its values, holds)."""
        condition, condition_values = also
        with self._transaction():
            cursor = self._db.execute(
                f"UPDATE ledger SET {assignments}, updated_at = ? "
                f"WHERE key = ? AND owner = ? AND chunks_done = ? AND {condition}",
                (*values, _iso(_now()), key, owner, chunk, *condition_values),
            )
            if cursor.rowcount != 1:
                raise LeaseLost(
                    f"{key}: lease lost (or this update applied already) before chunk {chunk} was recorded"
                )

    def _transaction(self) -> _SqliteTransaction:
        return _SqliteTransaction(self._db, self._lock)


class _SqliteTransaction:
    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            self._db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self._lock.release()


class DynamoLedger:
    """The Lambda's ledger: one DynamoDB item per object.

    Table: partition key ``pk`` (String); TTL attribute ``expires_at`` (epoch seconds). Other
    attributes: ``chunks_done``, ``chunk_size``, ``partial_offsets``, ``in_flight_since``, ``finished``,
    ``owner``, ``lease_until``, ``records_indexed``, ``records_dead_lettered``, ``updated_at``.
    Every write is a conditional ``UpdateItem``, so a worker whose lease was taken over
    cannot move the progress.
    """

    def __init__(self, table_name: str, client: Any, ttl_days: int = 30) -> None:
        self._table = table_name
        self._client = client
        self._ttl_seconds = ttl_days * 86400

    def claim(self, key: str, owner: str, lease_seconds: float, chunk_size: int) -> Progress:
        now = _now()
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression="SET #owner = :owner, lease_until = :until, updated_at = :at, expires_at = :expires, "
                "chunks_done = if_not_exists(chunks_done, :zero), "
                "chunk_size = if_not_exists(chunk_size, :size), "
                "records_indexed = if_not_exists(records_indexed, :zero), "
                "records_dead_lettered = if_not_exists(records_dead_lettered, :zero)",
                ConditionExpression="attribute_not_exists(pk) OR finished = :true OR lease_until < :now "
                "OR #owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":until": {"N": str(now + lease_seconds)},
                    ":at": {"S": _iso(now)},
                    ":expires": {"N": str(int(now) + self._ttl_seconds)},
                    ":zero": {"N": "0"},
                    ":size": {"N": str(chunk_size)},
                    ":true": {"BOOL": True},
                    ":now": {"N": str(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise LeaseHeld(f"{key} is being processed by another worker") from None
        return _progress_of(answer["Attributes"])

    def begin_chunk(self, key: str, owner: str, chunk: int) -> None:
        self._update(key, owner, chunk, "SET in_flight_since = :now", {":now": {"N": str(_now())}})

    def ack_chunk(
        self, key: str, owner: str, chunk: int, indexed: int, dead_lettered: int, begin_next: bool = False
    ) -> None:
        self._update(
            key,
            owner,
            chunk,
            "SET chunks_done = chunks_done + :one, partial_offsets = :empty, in_flight_since = :since, "
            "records_indexed = records_indexed + :indexed, records_dead_lettered = records_dead_lettered + :dead",
            {
                ":one": {"N": "1"},
                ":since": {"N": str(_now()) if begin_next else "0"},
                ":empty": {"S": ""},
                ":indexed": {"N": str(indexed)},
                ":dead": {"N": str(dead_lettered)},
            },
        )

    def save_partial(
        self,
        key: str,
        owner: str,
        chunk: int,
        done: frozenset[int],
        indexed: int,
        dead_lettered: int,
        *,
        before: frozenset[int],
    ) -> None:
        # An item whose chunk was never saved partial holds no partial_offsets (or "", the ack's).
        unsaved = "attribute_not_exists(partial_offsets) OR " if not before else ""
        self._update(
            key,
            owner,
            chunk,
            "SET partial_offsets = :partial, records_indexed = records_indexed + :indexed, records_dead_lettered = records_dead_lettered + :dead",
            {
                ":partial": {"S": encode_offsets(done)},
                ":indexed": {"N": str(indexed)},
                ":dead": {"N": str(dead_lettered)},
                ":before": {"S": encode_offsets(before)},
            },
            also=f"({unsaved}partial_offsets = :before)",
        )

    def finish(self, key: str, owner: str) -> None:
        self._update(
            key,
            owner,
            None,
            "SET finished = :true, lease_until = :zero REMOVE #owner",
            {":true": {"BOOL": True}, ":zero": {"N": "0"}},
        )

    def release(self, key: str, owner: str) -> None:
        with contextlib.suppress(LeaseLost):  # someone else holds it now: nothing to give back
            self._update(key, owner, None, "SET lease_until = :zero REMOVE #owner", {":zero": {"N": "0"}})

    def progress(self, key: str) -> Progress | None:
        item = self._client.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True).get(
            "Item"
        )
        return None if item is None else _progress_of(item)

    def _update(
        self,
        key: str,
        owner: str,
        chunk: int | None,
        expression: str,
        values: dict[str, dict[str, Any]],
        also: str | None = None,
    ) -> None:
        """``expression`` while ``owner`` holds ``key`` (at ``chunk``; and ``also`` holds)."""
        condition = "#owner = :me"
        values = {**values, ":me": {"S": owner}, ":at": {"S": _iso(_now())}}
        if chunk is not None:
            condition += " AND chunks_done = :chunk"
            values[":chunk"] = {"N": str(chunk)}
        if also is not None:
            condition += f" AND {also}"
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression=expression.replace("SET ", "SET updated_at = :at, ", 1),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise LeaseLost(
                f"{key}: lease lost (or this update applied already) before the ledger was updated"
            ) from None


def _progress_of(item: dict[str, Any]) -> Progress:
    """A DynamoDB ledger item as progress."""

    def number(name: str) -> int:
        return int(item.get(name, {}).get("N", 0))

    return Progress(
        chunks_done=number("chunks_done"),
        partial=decode_offsets(item.get("partial_offsets", {}).get("S")),
        finished=item.get("finished", {}).get("BOOL", False),
        indexed=number("records_indexed"),
        dead_lettered=number("records_dead_lettered"),
        chunk_size=number("chunk_size"),
        in_flight_since=float(item.get("in_flight_since", {}).get("N", 0)),
    )
