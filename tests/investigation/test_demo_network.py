"""The network view (issue 16.2) on the demo incident: the attacker's port scan and SSH session
(demo/flow_events.py tells the story) in the VPC flows of the finding's and the actor's address."""

from __future__ import annotations

import orjson
import pytest

from demo import Incident
from demo.flow_events import SCANNED_PORTS
from investigation import investigate, render
from investigation.report import Report
from investigation.times import parse
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

SCAN_START = "2026-03-14T08:51:03Z"
"""The first probe (``scan_file``); each is one 44-byte packet, rejected."""
SSH_MINUTES = ("2026-03-14T09:19:00Z", "2026-03-14T09:24:59Z")
"""The SSH session: six one-minute flows each way, accepted (``ssh_file``)."""


def _sides(report: Report, ip: str) -> dict[tuple[str, str], dict[str, object]]:
    as_json = orjson.loads(render(report, "json"))["network"]
    (address,) = [item for item in as_json if item["ip"] == ip]
    return {(side["side"], side["action"]): side for side in address["flows"]}


def _check_attacker_flows(report: Report, incident: Incident) -> None:
    sides = _sides(report, incident.attacker_ip)
    assert set(sides) == {("from", "REJECT"), ("from", "ACCEPT"), ("to", "ACCEPT")}
    instance = incident.instance_private_ip

    scan = sides[("from", "REJECT")]
    assert (scan["flows"], scan["bytes"], scan["packets"]) == (28, 28 * 44, 28)
    assert {int(str(port["port"])) for port in scan["ports"]} == set(SCANNED_PORTS)  # type: ignore[attr-defined]
    assert scan["peers"] == [{"ip": instance, "flows": 28}]
    assert parse(str(scan["first_seen"])) == parse(SCAN_START)

    inbound, outbound = sides[("from", "ACCEPT")], sides[("to", "ACCEPT")]
    assert inbound["flows"] == outbound["flows"] == 6
    assert inbound["ports"] == [{"port": "22", "flows": 6}]
    assert inbound["peers"] == outbound["peers"] == [{"ip": instance, "flows": 6}]
    for side in (inbound, outbound):
        assert (parse(str(side["first_seen"])), parse(str(side["last_seen"]))) == tuple(
            map(parse, SSH_MINUTES)
        )
    assert int(str(outbound["bytes"])) > int(str(inbound["bytes"])) > 0


def test_an_ip_finding_shows_the_scan_and_the_ssh_session(siem: Siem, demo_incident: Incident) -> None:
    probe = next(
        t for t in demo_incident.guardduty_findings if t.kind == "Recon:EC2/PortProbeUnprotectedPort"
    )
    report = investigate(siem.client, probe.id)
    _check_attacker_flows(report, demo_incident)
    assert "Flows of " + demo_incident.attacker_ip in render(report, "text")


def test_a_credential_finding_shows_the_flows_of_the_actors_source_address(
    siem: Siem, demo_incident: Incident
) -> None:
    headline = next(t for t in demo_incident.guardduty_findings if t.kind.startswith("Exfiltration"))
    report = investigate(siem.client, headline.id)
    _check_attacker_flows(report, demo_incident)
    assert demo_incident.attacker_ip in {address.ip for address in report.network}


def test_no_flows_is_said_plainly(siem: Siem, demo_incident: Incident) -> None:
    # A passed control in the third account, where the attacker never acted.
    passed = next(t for t in demo_incident.securityhub_findings if t.kind == "CloudTrail.2")
    report = investigate(siem.client, passed.id)
    assert report.network == []
    assert "No VPC flow of the finding's or the actor's outside addresses in the window." in render(
        report, "text"
    )
