"""Concurrent writers of incidents (detections/incident_lease.py): two writers interleaved by
hand on the embedded engine through the Serverless guard, with a clock the test moves (no sleep).

The realistic pair (docs/detections.md, "Concurrent writers"): the scheduled function's run and
a ``siem detect run`` from a shell, each folding alerts of the same actor into one incident.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections import incidents
from detections.checkpoints import MemoryCheckpoints
from detections.incident_lease import (
    HOLD_SECONDS,
    LEASE_SECONDS,
    RETRY_SECONDS,
    LeaseBusy,
    LeaseExpired,
    take_lease,
    wait_for_lease,
)
from detections.incidents import fold_alerts, get_incident, list_incidents, write_incidents
from detections.notify import CollectingIncidentNotifier
from detections.runner import run
from tests.assets.indexing import SEARCHABLE_TIMEOUT_SECONDS
from tests.detections.conftest import T0, cloudtrail_record, index_raw, minutes, our_rule, trail
from tests.detections.test_incidents import NOW, ROOT, alert
from tests.detections.test_runner import SETTINGS

pytestmark = pytest.mark.integration
INDEX = "siem-incidents"
SLOT_START = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)  # a multiple of LEASE_SECONDS


class Clock:
    """The writer's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


def _lease_ids(engine: OpenSearch, *slots: int) -> dict[int, bool]:
    """Which of the slots' lease documents exist (a real-time get)."""
    ids = [f"incident-lease-{slot}" for slot in slots]
    docs = engine.mget(index=INDEX, body={"ids": ids})["docs"]
    return {slot: bool(doc.get("found")) for slot, doc in zip(slots, docs, strict=True)}


def test_two_overlapping_folds_never_lose_an_alert(siem: OpenSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writer A has read the incident and is about to write it back when writer B folds an
    alert of the same actor. Before the lease, B wrote its alert and A's write of its own
    stale copy then dropped it: B reported ``a-3`` folded, the stored incident lacked it."""
    seed = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    ours = alert("a-2", "r2", "high", 75, "2026-03-14T09:30:00Z", ["e2"], [ROOT])
    theirs = alert("a-3", "r3", "high", 75, "2026-03-14T09:40:00Z", ["e3"], [ROOT])
    (opened,) = fold_alerts(siem, INDEX, [seed], NOW)
    identifier = opened.incident["incident"]["id"]
    real_write = incidents.write_incidents
    outcome: dict[str, Any] = {}

    def b_folds_first(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(incidents, "write_incidents", real_write)  # B writes for real
        try:
            outcome["b"] = fold_alerts(siem, INDEX, [theirs], NOW)
        except LeaseBusy as error:
            outcome["busy"] = error
        real_write(*args, **kwargs)  # then A's write, as A read the incident

    monkeypatch.setattr(incidents, "write_incidents", b_folds_first)
    fold_alerts(siem, INDEX, [ours], NOW)  # writer A

    stored = get_incident(siem, INDEX, identifier)
    assert stored is not None
    reported = {alert_id for change in outcome.get("b", []) for alert_id in change.alert_ids}
    assert reported <= set(stored["incident"]["alert_ids"]), "an alert reported folded was lost"
    assert isinstance(outcome.get("busy"), LeaseBusy)
    assert stored["incident"]["alert_ids"] == ["a-1", "a-2"]
    # B's run reports the incidents failed; its alerts are stored, and the next run folds them.
    (later,) = fold_alerts(siem, INDEX, [theirs], NOW)
    assert later.incident["incident"]["alert_ids"] == ["a-1", "a-2", "a-3"]
    assert get_incident(siem, INDEX, identifier) == later.incident


def test_a_lease_holds_two_slots_and_a_dead_holder_blocks_nobody_past_them(siem: OpenSearch) -> None:
    slot = int(SLOT_START.timestamp()) // LEASE_SECONDS
    dead = take_lease(siem, INDEX, SLOT_START + timedelta(seconds=LEASE_SECONDS - 1))  # never released
    assert _lease_ids(siem, slot, slot + 1) == {slot: True, slot + 1: True}

    # Within the next slot, or with a clock a slot behind, another writer is refused, and
    # deletes what it created on the way (slot - 1 here).
    for at in (SLOT_START + timedelta(seconds=LEASE_SECONDS), SLOT_START - timedelta(seconds=1)):
        with pytest.raises(LeaseBusy, match="another writer holds the incidents lease"):
            take_lease(siem, INDEX, at)
    assert _lease_ids(siem, slot - 1, slot, slot + 1, slot + 2) == {
        slot - 1: False,
        slot: True,
        slot + 1: True,
        slot + 2: False,
    }
    # Two slots on (at least LEASE_SECONDS after the dead writer took it), the lease is free.
    later = take_lease(siem, INDEX, SLOT_START + timedelta(seconds=2 * LEASE_SECONDS))
    assert later.ids == [f"incident-lease-{slot + 2}", f"incident-lease-{slot + 3}"]
    later.release()
    assert _lease_ids(siem, slot + 2, slot + 3) == {slot + 2: False, slot + 3: False}
    assert dead.ids  # its documents stay: they are only ever ignored


def test_a_holder_past_its_hold_writes_nothing(siem: OpenSearch) -> None:
    clock = Clock()
    lease = take_lease(siem, INDEX, SLOT_START, clock)
    seed = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    clock.at += HOLD_SECONDS - 1
    (opened,) = fold_alerts(siem, INDEX, [seed], NOW, lease=lease)
    clock.at += 1
    changed = {**opened.incident, "message": "a stale copy"}
    with pytest.raises(LeaseExpired, match="past 150 s"):
        write_incidents(siem, INDEX, [changed], lease)
    with pytest.raises(LeaseExpired):
        incidents.mark_notified(siem, INDEX, opened.incident, lease=lease)
    stored = get_incident(siem, INDEX, opened.incident["incident"]["id"])
    assert stored is not None and stored["message"] != "a stale copy"
    assert stored["incident"]["notified_severity"] is None
    lease.release()


def test_the_lease_is_released_after_a_fold_and_never_listed(siem: OpenSearch) -> None:
    seed = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    fold_alerts(siem, INDEX, [seed], NOW)
    held = take_lease(siem, INDEX, NOW)  # free: the fold released its own
    listed = _wait_listed(siem, 1)
    assert [incident["incident"]["alert_ids"] for incident in listed] == [["a-1"]]
    held.release()


def _wait_listed(engine: OpenSearch, expected: int) -> list[dict[str, Any]]:
    """``list_incidents`` once a search shows ``expected`` incidents and the lease's two
    documents (a search shows writes later than a get, as on Serverless)."""
    deadline = time.monotonic() + SEARCHABLE_TIMEOUT_SECONDS
    while engine.count(index=INDEX)["count"] < expected + 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{INDEX}: {expected} incidents and the lease not searchable")
        time.sleep(0.2)
    return list_incidents(engine, INDEX)


def test_a_run_that_finds_the_lease_held_stores_its_alerts_and_the_next_run_folds_them(
    siem: OpenSearch,
) -> None:
    """The scheduled run while ``siem detect run`` holds the lease (past its wait): its alerts are written and
    stay pending (``notified: false``); nothing is written to the incidents; the next run,
    the lease free, folds and notifies them once."""
    rule = our_rule("siem-root-account-usage")
    records = [cloudtrail_record(f"a-{n}", T0, sourceIPAddress=f"198.51.100.{n}") for n in (1, 2)]
    index_raw(siem, "cloudtrail", trail(records), ingested=T0 + minutes(1))
    store, notifier = MemoryCheckpoints(), CollectingIncidentNotifier()
    other = take_lease(siem, INDEX, T0 + minutes(5))

    first = run(siem, siem, [rule], T0 + minutes(5), store, notifier, replace(SETTINGS, lease_wait=0))

    assert first.created == 2 and first.incidents == [] and not notifier.incidents
    assert first.incident_error is not None and "LeaseBusy: another writer holds" in first.incident_error
    assert first.failed
    other.release()
    second = run(siem, siem, [rule], T0 + minutes(10), store, notifier, SETTINGS)
    (change,) = second.incidents
    assert second.incident_error is None and second.renotified == 2
    assert change.incident["incident"]["alert_count"] == 2
    assert [incident["incident"]["id"] for incident in notifier.incidents] == [
        change.incident["incident"]["id"]
    ]


def test_a_writer_waits_for_the_lease_and_takes_it_once_released(siem: OpenSearch) -> None:
    """B meets A's lease, waits (its sleep is where A finishes, by hand), then takes it."""
    holder = take_lease(siem, INDEX, SLOT_START)
    clock, naps = Clock(), []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.at += seconds
        if len(naps) == 2:
            holder.release()  # A's fold ends during B's second pause

    taken = wait_for_lease(siem, INDEX, SLOT_START, wait=60, clock=clock, sleep=sleep)

    assert naps == [RETRY_SECONDS, RETRY_SECONDS]
    slot = int(SLOT_START.timestamp()) // LEASE_SECONDS
    assert taken.ids == [f"incident-lease-{slot}", f"incident-lease-{slot + 1}"]
    taken.release()
    # A holder that never ends: the wait gives up at its bound.
    stuck = take_lease(siem, INDEX, SLOT_START)
    clock.at, naps[:] = 0.0, []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        clock.at += seconds

    with pytest.raises(LeaseBusy):
        wait_for_lease(siem, INDEX, SLOT_START, wait=12, clock=clock, sleep=nap)
    assert naps == [RETRY_SECONDS, RETRY_SECONDS]
    stuck.release()
