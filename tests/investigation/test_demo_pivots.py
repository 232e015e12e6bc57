"""Forward pivots and the containment checklist (issue 16.3) on the demo incident: the backdoor
user, its administrator policy and access key, the chain's sessions and their expiration."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from demo import Incident
from demo.records import cloudtrail as ct
from investigation import investigate, render
from investigation.report import Report
from investigation.times import iso, parse
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"


def _headline(incident: Incident) -> str:
    return next(
        t.id
        for t in incident.guardduty_findings
        if t.kind.startswith("Exfiltration") and t.access_key_id == incident.final_session.access_key_id
    )


def _pivots(report: Report) -> dict[tuple[str, str], dict[str, object]]:
    return {(p["kind"], p["name"]): p for p in orjson.loads(render(report, "json"))["pivots"]}


def test_what_the_actor_created_is_listed_with_its_state(siem: Siem, demo_incident: Incident) -> None:
    incident = demo_incident
    pivots = _pivots(investigate(siem.client, _headline(incident)))
    user, key = incident.persistence_user_name, incident.persistence_access_key_id

    assert pivots[("user", user)]["state"] == "created"
    assert pivots[("policy attachment", f"{user}/{ADMINISTRATOR}")]["state"] == "attached"
    backdoor = pivots[("access key", key)]
    # CreateAccessKey's response says Active, and nothing deactivated or deleted it since.
    assert (backdoor["state"], backdoor["owner"], backdoor["hop"]) == ("Active", user, 1)
    # Each session of the chain, with the expiration its AssumeRole response gives (one hour).
    for hop, session in enumerate(reversed(incident.role_chain), 1):
        found = pivots[("session", session.arn)]
        assert found["hop"] == hop and found["owner"] == session.access_key_id
        assert parse(str(found["state_time"])) == session.created + timedelta(hours=1)
    stolen = pivots[("access key", incident.compromised_access_key_id)]
    assert stolen["owner"] == incident.compromised_user_name and stolen["hop"] == 3


def test_the_checklist_names_each_key_session_and_change(siem: Siem, demo_incident: Incident) -> None:
    incident = demo_incident
    report = investigate(siem.client, _headline(incident))
    steps = report.containment

    assert steps[0].startswith(f"Deactivate the stolen access key {incident.compromised_access_key_id}")
    assert f"--user-name {incident.compromised_user_name} " in steps[0]
    backdoor = [s for s in steps if incident.persistence_access_key_id in s]
    assert len(backdoor) == 1 and f"--user-name {incident.persistence_user_name} " in backdoor[0]
    for session in incident.role_chain:
        assert any(f"Revoke the active sessions of role {session.role_name}" in s for s in steps)
    assert any(ADMINISTRATOR in s and s.startswith("Remove the policy attachment") for s in steps)
    text = render(report, "text")
    assert "Containment checklist (advice: the SIEM changes nothing):" in text


def test_a_later_deactivation_by_anyone_is_the_latest_state(siem: Siem, demo_incident: Incident) -> None:
    incident = demo_incident
    responder = ct.iam_user(
        incident.target_account_id, "responder", "AIDARESPONDER0000001", "AKIARESPONDER0000001"
    )
    deactivated = parse("2026-03-14T11:40:00Z")  # after the window of the finding: state lasts
    siem.cloudtrail(
        [
            ct.api_call(
                responder,
                event_name="UpdateAccessKey",
                event_source="iam.amazonaws.com",
                time=iso(deactivated),
                read_only=False,
                request={
                    "userName": incident.persistence_user_name,
                    "accessKeyId": incident.persistence_access_key_id,
                    "status": "Inactive",
                },
            )
        ]
    )
    report = investigate(siem.client, _headline(incident))
    backdoor = _pivots(report)[("access key", incident.persistence_access_key_id)]
    assert backdoor["state"] == "Inactive"
    assert parse(str(backdoor["state_time"])) == deactivated
    assert backdoor["state_by"] == f"arn:aws:iam::{incident.target_account_id}:user/responder"
    assert not any(incident.persistence_access_key_id in step for step in report.containment)
