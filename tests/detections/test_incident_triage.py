"""Triage on the embedded engine through the Serverless guard: on-call's changes
(detections/triage.py) and what the fold then does by status (docs/detections.md, "Triage")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections import incidents
from detections.checkpoints import MemoryCheckpoints
from detections.eventbus import BusEvent, Failure
from detections.incident_lease import RETRY_SECONDS, LeaseBusy
from detections.incident_status import MergedIncident, StatusChange, UnknownIncident
from detections.incidents import fold_alerts, get_incident, needs_notification
from detections.notify import (
    CollectingIncidentNotifier,
    SnsIncidentNotifier,
    incident_kind,
    incident_subject,
    incident_text,
)
from detections.runner import run
from detections.triage import triage
from tests.detections.conftest import T0, cloudtrail_record, index_raw, minutes, our_rule, trail
from tests.detections.test_incident_lease import Clock
from tests.detections.test_incidents import NOW, ROOT, alert
from tests.detections.test_runner import SETTINGS

pytestmark = pytest.mark.integration
INDEX = "siem-incidents"
CLOSE_FP = StatusChange("closed", "bob", "the pen test", "false_positive")


def _opened(engine: OpenSearch) -> str:
    seed = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    (change,) = fold_alerts(engine, INDEX, [seed], NOW)
    return str(change.incident["incident"]["id"])


def test_a_status_change_is_stored_and_the_incident_keeps_folding_while_acknowledged(
    siem: OpenSearch,
) -> None:
    identifier = _opened(siem)
    outcome = triage(siem, INDEX, identifier, StatusChange("acknowledged", "alice", "on it"), NOW)
    assert outcome.changed and outcome.previous == "open"
    stored = get_incident(siem, INDEX, identifier)
    assert stored == outcome.incident and stored["incident"]["status"] == "acknowledged"
    stored["incident"]["notified_severity"] = "high"  # as the run's SNS record would be
    incidents.mark_notified(siem, INDEX, stored)

    same = alert("a-2", "r2", "high", 75, "2026-03-14T10:00:00Z", ["e2"], [ROOT])
    (updated,) = fold_alerts(siem, INDEX, [same], NOW + minutes(5))
    details = updated.incident["incident"]
    assert (updated.change, details["status"], details["alert_count"]) == ("updated", "acknowledged", 2)
    assert not needs_notification(updated.incident)  # acknowledged: no message for more of the same
    worse = alert("a-3", "r3", "critical", 95, "2026-03-14T10:10:00Z", ["e3"], [ROOT])
    (escalated,) = fold_alerts(siem, INDEX, [worse], NOW + minutes(10))
    assert escalated.change == "escalated" and escalated.incident["incident"]["status"] == "acknowledged"
    assert needs_notification(escalated.incident) and incident_kind(escalated.incident) == "Escalated"
    assert get_incident(siem, INDEX, identifier) == escalated.incident


def test_an_alert_within_the_window_reopens_a_closed_incident_whatever_its_resolution(
    siem: OpenSearch,
) -> None:
    identifier = _opened(siem)
    triage(siem, INDEX, identifier, CLOSE_FP, NOW)
    again = alert("a-2", "r2", "high", 75, "2026-03-14T11:00:00Z", ["e2"], [ROOT])

    (reopened,) = fold_alerts(siem, INDEX, [again], NOW + minutes(5))

    details = reopened.incident["incident"]
    assert reopened.change == "reopened" and details["id"] == identifier
    assert (details["status"], details["resolution"], details["alert_count"]) == ("open", None, 2)
    assert [(entry["action"], entry["by"]) for entry in details["history"]] == [
        ("closed", "bob"),
        ("reopened", "detection run"),
    ]
    assert details["history"][-1]["alert_id"] == "a-2"
    assert get_incident(siem, INDEX, identifier) == reopened.incident
    (refolded,) = fold_alerts(siem, INDEX, [again], NOW + minutes(10))  # a retried fold: no change
    assert refolded.change == "unchanged" and len(refolded.incident["incident"]["history"]) == 2
    # Past the grouping window, the actor opens a new incident; the closed one stays closed.
    far = alert("a-9", "r9", "high", 75, "2026-03-15T09:00:00Z", ["e9"], [ROOT])
    triage(siem, INDEX, identifier, StatusChange("closed", "bob", resolution="true_positive"), NOW)
    (separate,) = fold_alerts(siem, INDEX, [far], NOW + minutes(15))
    assert separate.change == "new" and separate.incident["incident"]["id"] != identifier
    stored = get_incident(siem, INDEX, identifier)
    assert stored is not None and stored["incident"]["status"] == "closed"


class CollectingBus:
    """The EventBridge hand-off, keeping what it is given (every event accepted)."""

    def __init__(self) -> None:
        self.events: list[BusEvent] = []

    def publish(self, events: Sequence[BusEvent]) -> list[Failure]:
        self.events += events
        return []


class RecordingSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **message: Any) -> None:
        self.published.append(message)


def test_a_run_notifies_a_reopened_incident_once_and_says_how_it_was_closed(siem: OpenSearch) -> None:
    rule = our_rule("siem-root-account-usage")
    store, notifier, bus = MemoryCheckpoints(), CollectingIncidentNotifier(), CollectingBus()
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("r-1", T0)]), ingested=T0 + minutes(1))
    (opened,) = run(siem, siem, [rule], T0 + minutes(5), store, notifier, SETTINGS, bus).incidents
    identifier = opened.incident["incident"]["id"]
    triage(siem, INDEX, identifier, CLOSE_FP, T0 + minutes(6))
    later = cloudtrail_record("r-2", T0 + minutes(20), sourceIPAddress="203.0.113.9")  # not deduplicated
    index_raw(siem, "cloudtrail", trail([later]), ingested=T0 + minutes(21))

    second = run(siem, siem, [rule], T0 + minutes(25), store, notifier, SETTINGS, bus)
    third = run(siem, siem, [rule], T0 + minutes(30), store, notifier, SETTINGS, bus)

    assert [change.change for change in second.incidents] == ["reopened"] and not second.failed
    assert not third.incidents and not third.failed
    first_message, reopened = notifier.incidents  # once each: opened, reopened
    assert incident_kind(first_message) == "New" and incident_kind(reopened) == "Reopened"
    assert incident_subject(reopened).startswith("[HIGH] Reopened incident: ")
    text = incident_text(reopened)
    assert text.startswith("Reopened HIGH incident: ")
    assert "\nWas closed: false_positive by bob at 2026-03-14T09:06:00.000Z (the pen test)\n" in text
    sns = RecordingSns()
    SnsIncidentNotifier(sns, "arn:aws:sns:us-east-1:111122223333:incidents").notify_incident(reopened)
    (message,) = sns.published
    assert message["MessageAttributes"]["change"] == {"DataType": "String", "StringValue": "reopened"}
    assert message["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": "open"}
    assert "\nStatus: open by detection run at 2026-03-14T09:25:00.000Z\n" in text
    details = [event.detail for event in bus.events if event.key == f"incident:{identifier}"]
    assert [detail["change"] for detail in details] == ["new", "reopened"]
    assert [(detail["status"], detail["resolution"]) for detail in details] == [
        ("open", None),
        ("open", None),
    ]
    # What a SOAR that closed it needs to know: how it was closed, which the alert undid.
    assert details[1]["was_closed"] == {
        "at": "2026-03-14T09:06:00.000Z",
        "by": "bob",
        "resolution": "false_positive",
        "note": "the pen test",
    }
    assert details[1]["status_by"] == "detection run" and details[0]["was_closed"] is None
    stored = get_incident(siem, INDEX, identifier)
    assert stored is not None and stored["incident"]["status"] == "open"
    assert (stored["incident"]["notified_severity"], stored["incident"]["published_severity"]) == (
        "high",
        "high",
    )


def test_unknown_and_merged_incidents_are_refused_and_nothing_is_written(siem: OpenSearch) -> None:
    with pytest.raises(UnknownIncident, match="no incident 'incident-nope' in siem-incidents"):
        triage(siem, INDEX, "incident-nope", StatusChange("acknowledged", "alice"), NOW)
    with pytest.raises(UnknownIncident, match="no incident 'incident-nope' in x-typo"):
        triage(siem, "x-typo", "incident-nope", StatusChange("acknowledged", "alice"), NOW)
    assert not siem.indices.exists(index="x-typo")  # no lease taken there: nothing created
    first = alert("m-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    stranger = alert("m-2", "r2", "high", 75, "2026-03-14T09:05:00Z", ["e2"], ips=["198.51.100.9"])
    changes = fold_alerts(siem, INDEX, [first, stranger], NOW)
    survivor, other = (change.incident["incident"]["id"] for change in changes)
    both = alert("m-4", "r4", "high", 75, "2026-03-14T09:20:00Z", ["e4"], [ROOT], ips=["198.51.100.9"])
    fold_alerts(siem, INDEX, [both], NOW)
    before = get_incident(siem, INDEX, other)

    with pytest.raises(MergedIncident, match=f"merged into {survivor}: triage {survivor} instead"):
        triage(siem, INDEX, other, StatusChange("acknowledged", "alice"), NOW)

    assert get_incident(siem, INDEX, other) == before
    triage(siem, INDEX, survivor, StatusChange("acknowledged", "alice"), NOW)  # the lease was released


def test_a_closed_incident_merged_into_an_open_one_is_marked_closed_until_its_merge_is_done(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merged incidents are unaffected by triage: the one merged keeps no status of its own,
    and the mark written before the survivor (a run may die there) keeps the one it had."""
    first = alert("m-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    stranger = alert("m-2", "r2", "high", 75, "2026-03-14T09:05:00Z", ["e2"], ips=["198.51.100.9"])
    survivor, other = (
        change.incident["incident"]["id"] for change in fold_alerts(siem, INDEX, [first, stranger], NOW)
    )
    triage(siem, INDEX, other, StatusChange("closed", "bob", resolution="benign"), NOW)
    writes: list[list[dict[str, Any]]] = []
    real_write = incidents.write_incidents

    def recorded(client: OpenSearch, index: str, written: list[dict[str, Any]], lease: Any = None) -> None:
        if written:
            writes.append(incidents._copy({"written": written})["written"])
        real_write(client, index, written, lease)

    monkeypatch.setattr(incidents, "write_incidents", recorded)
    both = alert("m-4", "r4", "high", 75, "2026-03-14T09:20:00Z", ["e4"], [ROOT], ips=["198.51.100.9"])
    (change,) = fold_alerts(siem, INDEX, [both], NOW)

    (mark,), (survivor_written,), (closed,) = writes  # a merge's three writes
    assert (mark["incident"]["id"], mark["incident"]["status"], mark["incident"]["merging_into"]) == (
        other,
        "closed",
        survivor,
    )
    details = change.incident["incident"]
    assert survivor_written == change.incident and closed["incident"]["status"] == "merged"
    assert details["id"] == survivor and (details["status"], details["alert_count"]) == ("open", 3)
    merged = get_incident(siem, INDEX, other)
    assert merged is not None and merged["incident"]["status"] == "merged"


def test_a_fold_between_triages_read_and_write_waits_and_the_change_is_never_reverted(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On-call acknowledges while the scheduled run starts (by hand: the run comes in between
    the acknowledgement's read and its write). Without the lease, the run's fold would write
    back the incident as it read it, open, or the acknowledgement would drop the run's alert."""
    rule = our_rule("siem-root-account-usage")
    store, notifier = MemoryCheckpoints(), CollectingIncidentNotifier()
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("r-1", T0)]), ingested=T0 + minutes(1))
    (opened,) = run(siem, siem, [rule], T0 + minutes(5), store, notifier, SETTINGS).incidents
    identifier = opened.incident["incident"]["id"]
    later = cloudtrail_record("r-2", T0 + minutes(20), sourceIPAddress="203.0.113.9")
    index_raw(siem, "cloudtrail", trail([later]), ingested=T0 + minutes(21))
    real_write = incidents.write_incidents
    between: dict[str, Any] = {}

    def run_first(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(incidents, "write_incidents", real_write)
        between["run"] = run(
            siem, siem, [rule], T0 + minutes(25), store, notifier, replace(SETTINGS, lease_wait=0)
        )
        real_write(*args, **kwargs)  # then the acknowledgement, as it read the incident

    monkeypatch.setattr(incidents, "write_incidents", run_first)
    triage(siem, INDEX, identifier, StatusChange("acknowledged", "alice"), T0 + minutes(25))

    busy = between["run"]
    assert busy.created == 1 and busy.incidents == []  # its alert stored, pending
    assert busy.incident_error is not None and "LeaseBusy" in busy.incident_error
    stored = get_incident(siem, INDEX, identifier)
    assert stored is not None and stored["incident"]["status"] == "acknowledged"
    # The next run folds the pending alert into the acknowledged incident, which stays so.
    (folded,) = run(siem, siem, [rule], T0 + minutes(30), store, notifier, SETTINGS).incidents
    details = folded.incident["incident"]
    assert (folded.change, details["status"], details["alert_count"]) == ("updated", "acknowledged", 2)
    assert [entry["action"] for entry in details["history"]] == ["acknowledged"]
    assert get_incident(siem, INDEX, identifier) == folded.incident
    assert len(notifier.incidents) == 1  # acknowledged, same severity: no message


def test_a_triage_during_a_fold_waits_for_the_lease_and_never_drops_the_folds_alert(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold has read the closed incident and is about to write it back (with a new alert,
    reopening it) when on-call closes it again: the close waits for the lease (the clock the
    test moves), gives up, and, tried again once the fold is done, closes what the fold wrote."""
    identifier = _opened(siem)
    triage(siem, INDEX, identifier, CLOSE_FP, NOW)
    clock, naps = Clock(), []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        clock.at += seconds

    real_write = incidents.write_incidents
    outcome: dict[str, Exception] = {}
    closing = StatusChange("closed", "carol", "still the pen test", "false_positive")

    def triage_first(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(incidents, "write_incidents", real_write)
        try:
            triage(siem, INDEX, identifier, closing, NOW, wait=12, clock=clock, sleep=nap)
        except LeaseBusy as error:
            outcome["busy"] = error
        real_write(*args, **kwargs)  # then the fold's write, as it read the incident

    monkeypatch.setattr(incidents, "write_incidents", triage_first)
    again = alert("a-2", "r2", "high", 75, "2026-03-14T11:00:00Z", ["e2"], [ROOT])
    (reopened,) = fold_alerts(siem, INDEX, [again], NOW + minutes(5))

    assert isinstance(outcome.get("busy"), LeaseBusy) and naps == [RETRY_SECONDS, RETRY_SECONDS]
    assert reopened.change == "reopened"
    stored = get_incident(siem, INDEX, identifier)
    assert stored == reopened.incident and stored["incident"]["status"] == "open"
    closed = triage(siem, INDEX, identifier, closing, NOW + minutes(6))  # carol runs it again
    details = closed.incident["incident"]
    assert (details["status"], details["alert_count"], closed.previous) == ("closed", 2, "open")
    assert [entry["action"] for entry in details["history"]] == ["closed", "reopened", "closed"]
    assert get_incident(siem, INDEX, identifier) == closed.incident
