"""Controls on the account itself (issue 16.4): the root MFA control of the demo incident is
answered by the root user's console sign-ins, not by "no identity acted on this resource"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from demo import Incident
from demo.records import cloudtrail as ct
from demo.records import securityhub as sh
from investigation import investigate, render
from investigation.controls import ACCOUNT_CONTROL_CALLS, ROOT_CONTROLS
from investigation.times import parse
from tests.investigation import scenarios
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration


def test_the_root_mfa_control_investigates_the_root_user(siem: Siem, demo_incident: Incident) -> None:
    incident = demo_incident
    control = next(t for t in incident.securityhub_findings if t.kind == "IAM.9")
    assert control.kind in ROOT_CONTROLS and control.account_id == incident.target_account_id
    report = investigate(siem.client, control.id)

    assert report.finding.mode == "account"
    root = f"arn:aws:iam::{incident.target_account_id}:root"
    assert [(link.type, link.arn) for link in report.who.chain] == [("Root", root)]
    assert report.who.complete and report.who.summary.startswith("The root user acted in the account")
    sign_ins = [e for e in incident.attack_events if e.event_name == "ConsoleLogin"]
    assert len(sign_ins) == 2  # a failed, then a successful sign-in without MFA
    entries = [e for e in report.timeline.entries if e.action == "ConsoleLogin"]
    assert [e.event_id for e in entries] == [e.event_id for e in sorted(sign_ins, key=lambda e: e.time)]
    assert [e.outcome for e in entries] == ["failure", "success"]
    assert all("sign-in" in e.reasons and e.source == incident.attacker_console_ip for e in entries)
    assert incident.attacker_console_ip in {count.value for count in report.where.ips}
    assert report.what.events == len(sign_ins)
    assert parse(report.when.first_seen or "") == parse(min(e.time for e in sign_ins))
    text = render(report, "text")
    assert "No CloudTrail identity acted" not in text and "signin.amazonaws.com:ConsoleLogin" in text


def test_an_account_setting_control_investigates_the_calls_that_change_it(siem: Siem) -> None:
    account, when = scenarios.PROD, scenarios.T0
    admin = ct.iam_user(account, "admin", "AIDAADMIN00000000001", "AKIAADMIN00000000001")
    deleted = ct.api_call(
        admin,
        event_name="DeleteAccountPasswordPolicy",
        event_source="iam.amazonaws.com",
        time=scenarios.t(5),
        read_only=False,
    )
    listed = ct.api_call(admin, event_name="ListUsers", event_source="iam.amazonaws.com", time=scenarios.t(6))
    siem.cloudtrail([deleted, listed])
    spec = sh.ControlSpec(
        control_id="IAM.7",
        title="Password policies for IAM users should have strong configurations",
        account=account,
        resource=sh.account_resource(account),
        created=when + timedelta(minutes=20),
        updated=when + timedelta(minutes=20),
    )
    finding = sh.control_finding(spec)
    siem.securityhub([finding])

    report = investigate(siem.client, finding["Id"])
    assert "DeleteAccountPasswordPolicy" in ACCOUNT_CONTROL_CALLS["IAM.7"]["iam.amazonaws.com"]
    assert report.finding.mode == "account"
    assert [(a.action, a.count) for a in report.what.actions] == [("DeleteAccountPasswordPolicy", 1)]
    assert [link.arn for link in report.who.chain] == [f"arn:aws:iam::{account}:user/admin"]
