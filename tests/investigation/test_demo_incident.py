"""The demo incident (demo/incident.py), investigated against its own ground truth."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from demo import Incident
from investigation import MAX_QUERIES, investigate
from investigation.demo import show
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration


@pytest.fixture
def incident(demo_incident: Incident) -> Incident:
    return demo_incident


def test_every_finding_on_the_final_session_leads_back_to_the_stolen_user_key(
    siem: Siem, incident: Incident
) -> None:
    final = incident.final_session
    on_final = [
        truth
        for truth in (*incident.guardduty_findings, *incident.securityhub_findings)
        if truth.access_key_id == final.access_key_id
    ]
    assert on_final, "the demo has findings on the final session"
    expected_keys = [
        final.access_key_id,
        *(s.access_key_id for s in reversed(incident.role_chain[:-1])),
        incident.compromised_access_key_id,
    ]
    for truth in on_final:
        report = investigate(siem.client, truth.id)
        assert [link.access_key_id for link in report.who.chain] == expected_keys, truth.kind
        assert report.who.chain[-1].arn == incident.compromised_user_arn
        assert report.who.complete
        assert report.queries <= MAX_QUERIES
        assert incident.attacker_ip in {count.value for count in report.where.ips}


def test_the_attack_sequence_follows_its_actor_back_to_the_stolen_user_key(
    siem: Siem, incident: Incident
) -> None:
    """The demo's attack sequence names the final session only as its actor (no access key
    resource): its investigation still reaches the stolen key, and its signals' findings."""
    (sequence,) = [truth for truth in incident.guardduty_findings if truth.kind.startswith("AttackSequence:")]
    report = investigate(siem.client, sequence.id)
    final = incident.final_session
    assert [link.access_key_id for link in report.who.chain] == [
        final.access_key_id,
        *(s.access_key_id for s in reversed(incident.role_chain[:-1])),
        incident.compromised_access_key_id,
    ]
    assert report.who.complete and report.queries <= MAX_QUERIES
    on_final = {
        truth.id for truth in incident.guardduty_findings if truth.access_key_id == final.access_key_id
    }
    assert on_final <= {related.id for related in report.related_findings}


def test_every_demo_finding_takes_at_most_ten_searches(siem: Siem, incident: Incident) -> None:
    for truth in (*incident.guardduty_findings, *incident.securityhub_findings):
        siem.recorder.requests.clear()
        report = investigate(siem.client, truth.id)
        assert report.queries == len(siem.recorder.searches()) <= MAX_QUERIES, truth.kind


def test_the_make_demo_step_prints_the_headline_investigation(
    siem: Siem, incident: Incident, capsys: pytest.CaptureFixture[str]
) -> None:
    context = SimpleNamespace(client=siem.client, incident=incident, index_prefix="siem-")
    show(context)
    output = capsys.readouterr().out
    headline, every = output.split("== Every finding, investigated ==")
    assert incident.compromised_access_key_id in headline and incident.final_session.access_key_id in headline
    assert len(every.strip().splitlines()) == len(incident.guardduty_findings) + len(
        incident.securityhub_findings
    )
    assert f"origin: {incident.compromised_user_arn} (2 hops)" in every
