"""One writer of incidents at a time: a lease made of create-only documents.

A fold reads incidents, folds alerts into them and writes them back whole
(:mod:`detections.incidents`); the run's hand-offs then record what they sent on them. Two
writers interleaved lose an update: the second write of an incident carries the copy its writer
read before the first one's. The scheduled detection function never overlaps itself (reserved
concurrency 1, a timeout below the schedule's rate), but ``siem detect run`` from a shell does
overlap it on the same collection (docs/detections.md, "Concurrent writers").

Serverless documents no optimistic concurrency (``if_seq_no``/``if_primary_term``), so the
lease rests on what a SEARCH collection does document: a custom ``_id`` and ``op_type=create``,
which answers 409 when the id exists. Time is cut in slots of :data:`LEASE_SECONDS`; a writer in
slot ``k`` creates ``incident-lease-<k>`` and ``incident-lease-<k+1>`` in the incidents index, in
that order, and deletes them when done. A writer that gets a 409 deletes what it created and
gives up (:class:`LeaseBusy`). Two writers both hold leases only if their slots are two or more
apart, so the later one started at least :data:`LEASE_SECONDS` after the earlier; the holder
writes for at most :data:`HOLD_SECONDS` (half of it: the rest covers clock skew between a
shell and the function) and checks before each write (:meth:`IncidentLease.check`). A writer
that dies leaves its two documents: they block nobody past the next slot, no delete of someone
else's lease is ever needed (no stale-lease takeover race), and no incident search sees them
(they have no ``incident.id``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError

from detections.windows import iso

LOGGER = logging.getLogger(__name__)
LEASE_SECONDS = 300
"""The slot of a lease: a writer holds its slot and the next."""
HOLD_SECONDS = LEASE_SECONDS // 2
"""How long after taking the lease its holder may still write."""
LEASE_PREFIX = "incident-lease-"
WAIT_SECONDS = 60.0
"""How long a run waits for a lease another writer holds (a fold is done in seconds; a live
holder within :data:`HOLD_SECONDS`), before it reports :class:`LeaseBusy`."""
RETRY_SECONDS = 5.0

Clock = Callable[[], float]
"""Seconds, to measure how long the lease is held (``time.monotonic``)."""


class LeaseBusy(RuntimeError):
    """Another writer holds the incidents' lease."""


class LeaseExpired(RuntimeError):
    """The holder went past :data:`HOLD_SECONDS`: another writer may hold the lease now."""


@dataclass(slots=True)
class IncidentLease:
    client: OpenSearch
    index: str
    owner: str
    taken: float
    """``clock()`` when it was taken."""
    clock: Clock
    ids: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Raise :class:`LeaseExpired` once the hold is over: call it before each write."""
        held = self.clock() - self.taken
        if held >= HOLD_SECONDS:
            raise LeaseExpired(
                f"incidents lease of {self.owner} held {held:.0f} s, past {HOLD_SECONDS} s: not written"
            )

    def release(self) -> None:
        """Delete the lease's documents (only its own: ids no other writer can hold meanwhile)."""
        for identifier in reversed(self.ids):
            with suppress(NotFoundError):
                self.client.delete(index=self.index, id=identifier)
        self.ids.clear()


def take_lease(client: OpenSearch, index: str, now: datetime, clock: Clock = time.monotonic) -> IncidentLease:
    """Create the lease documents of ``now``'s slot (the time on the writer's clock: the run's
    time) and the next, or raise :class:`LeaseBusy`; the hold is measured on ``clock``."""
    slot = int(now.timestamp()) // LEASE_SECONDS
    lease = IncidentLease(client, index, uuid.uuid4().hex, clock(), clock)
    for each in (slot, slot + 1):
        identifier = f"{LEASE_PREFIX}{each}"
        body = {"lease": {"owner": lease.owner, "taken": iso(now), "slot": each}}
        try:
            client.create(index=index, id=identifier, body=body)
        except ConflictError:
            lease.release()
            raise LeaseBusy(
                f"another writer holds the incidents lease ({identifier} in {index}); "
                f"a lease ends within {2 * LEASE_SECONDS} s"
            ) from None
        lease.ids.append(identifier)
    return lease


def wait_for_lease(
    client: OpenSearch,
    index: str,
    now: datetime,
    wait: float = WAIT_SECONDS,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> IncidentLease:
    """:func:`take_lease`, tried again every :data:`RETRY_SECONDS` for ``wait`` seconds
    (``now`` moving on with ``clock``); then :class:`LeaseBusy`."""
    start = clock()
    while True:
        waited = clock() - start
        try:
            return take_lease(client, index, now + timedelta(seconds=waited), clock)
        except LeaseBusy:
            if waited + RETRY_SECONDS > wait:
                raise
        sleep(RETRY_SECONDS)


@contextmanager
def incident_lease(
    client: OpenSearch, index: str, now: datetime, clock: Clock = time.monotonic
) -> Iterator[IncidentLease]:
    """Hold the incidents' lease for the ``with`` block."""
    lease = take_lease(client, index, now, clock)
    try:
        yield lease
    finally:
        release_quietly(lease)


def release_quietly(lease: IncidentLease) -> None:
    """Release; a failure is logged: left in place, a lease blocks nobody past the next slot."""
    try:
        lease.release()
    except Exception as error:
        LOGGER.warning("incidents lease %s not released: %s", lease.ids, error)
