"""The triage status model (detections/incident_status.py): on-call's changes and the fold's
reopening, on incident documents as detections/incidents.py builds them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from detections.incident_status import (
    MAX_HISTORY,
    MAX_NOTE,
    MergedIncident,
    RefusedTransition,
    StatusChange,
    change_status,
    last_closure,
    reopen_on_alert,
)
from detections.incidents import add_alert, announced_change, merge_incident, needs_notification, new_incident
from tests.detections.test_incidents import NOW, ROOT, alert

LATER = NOW + timedelta(minutes=5)


def _incident() -> dict[str, Any]:
    incident = new_incident("incident-1", f"principal:{ROOT}", NOW, NOW)
    add_alert(incident, alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT]), NOW)
    return incident


def test_acknowledge_then_close_records_who_when_and_why() -> None:
    incident = _incident()
    assert change_status(incident, StatusChange("acknowledged", "alice", "looking"), NOW)
    closing = StatusChange("closed", "bob", "CI role, expected", "benign")
    assert change_status(incident, closing, LATER)

    details = incident["incident"]
    assert (details["status"], details["resolution"], details["status_by"], details["status_updated"]) == (
        "closed",
        "benign",
        "bob",
        "2026-03-14T12:05:00.000Z",
    )
    assert details["history"] == [
        {"at": "2026-03-14T12:00:00.000Z", "action": "acknowledged", "by": "alice", "note": "looking"},
        {
            "at": "2026-03-14T12:05:00.000Z",
            "action": "closed",
            "by": "bob",
            "note": "CI role, expected",
            "resolution": "benign",
        },
    ]
    assert last_closure(incident) == details["history"][-1]


def test_the_same_command_twice_records_nothing_but_a_hand_over_or_a_new_resolution_does() -> None:
    incident = _incident()
    assert change_status(incident, StatusChange("acknowledged", "alice"), NOW)
    assert not change_status(incident, StatusChange("acknowledged", "alice"), LATER)
    assert change_status(incident, StatusChange("acknowledged", "bob"), LATER)  # bob takes it over
    assert change_status(incident, StatusChange("closed", "bob", resolution="true_positive"), LATER)
    assert not change_status(incident, StatusChange("closed", "bob", resolution="true_positive"), LATER)
    assert change_status(incident, StatusChange("closed", "bob", resolution="benign"), LATER)
    assert change_status(incident, StatusChange("reopened", "bob"), LATER)
    assert not change_status(incident, StatusChange("reopened", "carol", "again?"), LATER)  # open already
    details = incident["incident"]
    assert [entry["action"] for entry in details["history"]] == [
        "acknowledged",
        "acknowledged",
        "closed",
        "closed",
        "reopened",
    ]
    assert details["status"] == "open" and details["resolution"] is None  # kept in the history


def test_a_closed_incident_is_not_acknowledged_and_a_merged_one_is_never_triaged() -> None:
    incident = _incident()
    change_status(incident, StatusChange("closed", "bob", resolution="false_positive"), NOW)
    with pytest.raises(RefusedTransition, match="is closed \\(false_positive\\): reopen it first"):
        change_status(incident, StatusChange("acknowledged", "alice"), LATER)

    survivor, other = _incident(), new_incident("incident-2", "ip:198.51.100.9", NOW, NOW)
    survivor["incident"]["id"] = "incident-0"
    merge_incident(survivor, other, NOW)
    with pytest.raises(MergedIncident, match="incident-2 was merged into incident-0: triage incident-0"):
        change_status(other, StatusChange("acknowledged", "alice"), LATER)
    being_merged = _incident()
    being_merged["incident"]["merging_into"] = "incident-0"  # a merge a run left half-written
    with pytest.raises(MergedIncident, match="merged into incident-0"):
        change_status(being_merged, StatusChange("closed", "bob", resolution="benign"), LATER)
    with pytest.raises(ValueError, match="resolution"):
        StatusChange("closed", "bob")


def test_history_and_free_text_are_bounded() -> None:
    incident = _incident()
    for n in range(MAX_HISTORY + 5):
        change_status(incident, StatusChange("acknowledged", f"engineer-{n}", "x" * (MAX_NOTE + 10)), NOW)
    history = incident["incident"]["history"]
    assert len(history) == MAX_HISTORY
    assert history[0]["by"] == "engineer-5" and history[-1]["by"] == f"engineer-{MAX_HISTORY + 4}"
    assert len(history[-1]["note"]) == MAX_NOTE and history[-1]["note"].endswith("…")


def test_an_alert_reopens_a_closed_incident_and_each_channel_announces_it_once_as_reopened() -> None:
    incident = _incident()
    assert announced_change(incident) == "new"
    incident["incident"]["notified_severity"] = incident["incident"]["published_severity"] = "high"
    change_status(incident, StatusChange("closed", "bob", resolution="false_positive"), NOW)
    assert not needs_notification(incident)

    reopen_on_alert(incident, "a-2", LATER)

    details = incident["incident"]
    assert (details["status"], details["resolution"], details["status_by"]) == ("open", None, "detection run")
    assert details["history"][-1] == {
        "at": "2026-03-14T12:05:00.000Z",
        "action": "reopened",
        "by": "detection run",
        "alert_id": "a-2",
    }
    for channel in ("notified_severity", "published_severity"):
        assert needs_notification(incident, channel) and announced_change(incident, channel) == "reopened"
    details["notified_severity"] = "high"  # SNS announced it; the bus not yet
    assert not needs_notification(incident) and announced_change(incident, "published_severity") == "reopened"
    details["severity"] = "critical"
    assert announced_change(incident) == "escalated"


def test_a_closed_incident_is_never_announced() -> None:
    """Its first message failed (the alerts stay pending) and on-call closed it meanwhile: the
    run that retries sends nothing (the alerts are then marked as handled)."""
    incident = _incident()
    assert needs_notification(incident)
    change_status(incident, StatusChange("closed", "bob", resolution="benign"), NOW)
    assert not needs_notification(incident) and not needs_notification(incident, "published_severity")


def test_a_reopening_by_hand_is_not_announced() -> None:
    """An incident never announced (its SNS message failed) that on-call acknowledged and
    reopened by hand is still announced as new, not as reopened."""
    incident = _incident()
    change_status(incident, StatusChange("acknowledged", "alice"), NOW)
    change_status(incident, StatusChange("reopened", "alice"), NOW)
    assert announced_change(incident) == "new"
