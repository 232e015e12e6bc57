"""The Incident ground truth agrees with the data: one actor, one set of keys and addresses."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from demo import Incident
from tests.demo.conftest import read_object


def _cloudtrail(incident: Incident, demo_dir: Path) -> list[dict[str, Any]]:
    return [
        record
        for obj in incident.files_of("cloudtrail")
        if not obj.skipped
        for record in json.loads(read_object(demo_dir, obj.key))["Records"]
    ]


def _guardduty(incident: Incident, demo_dir: Path) -> list[dict[str, Any]]:
    findings = []
    for obj in incident.objects_of("guardduty"):
        for line in read_object(demo_dir, obj.key).splitlines():
            try:
                findings.append(json.loads(line))
            except ValueError:
                continue
    return findings


def _securityhub(incident: Incident, demo_dir: Path) -> list[dict[str, Any]]:
    decoder, findings = json.JSONDecoder(), []
    for obj in incident.objects_of("securityhub"):
        text, position = read_object(demo_dir, obj.key).decode(), 0
        while position < len(text):
            envelope, position = decoder.raw_decode(text, position)
            findings.extend(envelope["detail"]["findings"])
    return findings


def _by_name(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in records if r["eventName"] == name]


def test_attack_events_are_in_the_files_as_declared(incident: Incident, demo_dir: Path) -> None:
    records = {r["eventID"]: r for r in _cloudtrail(incident, demo_dir)}
    assert len(incident.attack_events) >= 20
    for event in incident.attack_events:
        record = records[event.event_id]
        assert record["eventName"] == event.event_name
        assert record["recipientAccountId"] == event.account_id
        assert record["sourceIPAddress"] == event.source_ip
        assert (record["userIdentity"].get("accessKeyId") or None) == event.access_key_id
        assert event.source_ip in incident.attacker_ips


def test_role_chain_keys_are_issued_and_then_used(incident: Incident, demo_dir: Path) -> None:
    records = _cloudtrail(incident, demo_dir)
    signer = incident.compromised_access_key_id
    for session in incident.role_chain:
        issued = [
            r
            for r in _by_name(records, "AssumeRole")
            if (r["responseElements"] or {}).get("credentials", {}).get("accessKeyId")
            == session.access_key_id
        ]
        assert issued, session.role_arn
        assert {r["sourceIPAddress"] for r in issued} == {incident.attacker_ip}
        for record in issued:
            assert record["responseElements"]["assumedRoleUser"]["arn"] == session.arn
            assert record["requestParameters"]["roleArn"] == session.role_arn
        callers = {
            r["userIdentity"].get("accessKeyId") for r in issued if r["userIdentity"]["type"] != "AWSAccount"
        }
        assert callers == {signer}
        signer = session.access_key_id
    first = incident.role_chain[0]
    assert first.account_id != incident.source_account_id  # the chain crosses accounts


def test_cross_account_assume_role_is_logged_in_both_accounts(incident: Incident, demo_dir: Path) -> None:
    first = incident.role_chain[0]
    copies = [
        r
        for r in _by_name(_cloudtrail(incident, demo_dir), "AssumeRole")
        if r["requestParameters"]["roleArn"] == first.role_arn
    ]
    assert {r["recipientAccountId"] for r in copies} == {incident.source_account_id, first.account_id}
    assert len({r["sharedEventID"] for r in copies}) == 1
    assert {r["userIdentity"]["type"] for r in copies} == {"IAMUser", "AWSAccount"}


def test_final_session_does_persistence_evasion_and_exfiltration(incident: Incident, demo_dir: Path) -> None:
    key = incident.final_session.access_key_id
    mine = [r for r in _cloudtrail(incident, demo_dir) if r["userIdentity"].get("accessKeyId") == key]
    names = {r["eventName"] for r in mine}
    assert {
        "CreateUser",
        "CreateAccessKey",
        "AuthorizeSecurityGroupIngress",
        "StopLogging",
        "GetObject",
    } <= names
    (created_key,) = _by_name(mine, "CreateAccessKey")
    assert created_key["responseElements"]["accessKey"]["accessKeyId"] == incident.persistence_access_key_id
    assert created_key["requestParameters"]["userName"] == incident.persistence_user_name
    (opened,) = _by_name(mine, "AuthorizeSecurityGroupIngress")
    (rule,) = opened["requestParameters"]["ipPermissions"]["items"]
    assert opened["requestParameters"]["groupId"] == incident.opened_security_group_id
    assert (rule["fromPort"], rule["ipRanges"]["items"][0]["cidrIp"]) == (22, "0.0.0.0/0")
    (stopped,) = _by_name(mine, "StopLogging")
    assert stopped["requestParameters"]["name"] == incident.stopped_trail_arn
    fetched = {r["requestParameters"]["key"] for r in _by_name(mine, "GetObject")}
    assert fetched == set(incident.exfiltrated_keys)
    assert all(r["eventCategory"] == "Data" for r in _by_name(mine, "GetObject"))


def test_recon_uses_the_stolen_long_term_key_with_some_denials(incident: Incident, demo_dir: Path) -> None:
    stolen = [
        r
        for r in _cloudtrail(incident, demo_dir)
        if r["userIdentity"].get("accessKeyId") == incident.compromised_access_key_id
    ]
    from_attacker = [r for r in stolen if r["sourceIPAddress"] == incident.attacker_ip]
    assert {"GetCallerIdentity", "ListBuckets", "ListUsers", "DescribeInstances"} <= {
        r["eventName"] for r in from_attacker
    }
    assert any(r.get("errorCode") == "AccessDenied" for r in from_attacker)
    assert {r["userIdentity"]["arn"] for r in stolen} == {incident.compromised_user_arn}
    # The same key was used normally, from elsewhere, before the attack: the baseline.
    assert any(r["sourceIPAddress"] != incident.attacker_ip for r in stolen)


def test_root_signs_in_without_mfa_from_the_second_address(incident: Incident, demo_dir: Path) -> None:
    logins = _by_name(_cloudtrail(incident, demo_dir), "ConsoleLogin")
    success = [r for r in logins if r["responseElements"]["ConsoleLogin"] == "Success"]
    assert [r["userIdentity"]["type"] for r in success] == ["Root"]
    assert success[0]["additionalEventData"]["MFAUsed"] == "No"
    assert success[0]["sourceIPAddress"] == incident.attacker_console_ip


def test_background_has_other_identities_and_service_callers(incident: Incident, demo_dir: Path) -> None:
    records = _cloudtrail(incident, demo_dir)
    assert {"AWSService", "AssumedRole", "IAMUser", "Root", "AWSAccount"} <= {
        r["userIdentity"]["type"] for r in records
    }
    assert any(r["sourceIPAddress"].endswith(".amazonaws.com") for r in records)
    sessions = {
        r["userIdentity"]["arn"].rsplit("/", 1)[-1]
        for r in records
        if r["userIdentity"]["type"] == "AssumedRole"
    }
    assert incident.instance_id in sessions and any("@" in s for s in sessions)


def test_guardduty_names_the_final_session_and_the_attacker(incident: Incident, demo_dir: Path) -> None:
    findings = _guardduty(incident, demo_dir)
    assert {f["id"] for f in findings} == {t.id for t in incident.guardduty_findings}
    keyed = [
        f
        for f in findings
        if f["resource"].get("accessKeyDetails", {}).get("accessKeyId")
        == incident.final_session.access_key_id
    ]
    assert {"Stealth:IAMUser/CloudTrailLoggingDisabled", "Persistence:IAMUser/AnomalousBehavior"} <= {
        f["type"] for f in keyed
    }
    for finding in keyed:
        assert finding["resource"]["accessKeyDetails"]["principalId"] == incident.final_session.principal_id
        assert (
            finding["service"]["action"]["awsApiCallAction"]["remoteIpDetails"]["ipAddressV4"]
            == incident.attacker_ip
        )
    (probe, *updates) = [f for f in findings if f["type"] == "Recon:EC2/PortProbeUnprotectedPort"]
    details = probe["service"]["action"]["portProbeAction"]["portProbeDetails"]
    assert {d["remoteIpDetails"]["ipAddressV4"] for d in details} == {incident.attacker_ip}
    assert updates and updates[0]["id"] == probe["id"] and updates[0]["updatedAt"] > probe["updatedAt"]
    severities = [f["severity"] for f in findings]
    assert any(7 <= s < 9 for s in severities) and any(s >= 9 for s in severities)
    assert [t.sample for t in incident.guardduty_findings].count(True) == 1
    keyless = [
        t for t in incident.guardduty_findings if t.remote_ip == incident.attacker_ip and not t.access_key_id
    ]
    assert keyless


def test_securityhub_imports_match_the_native_guardduty_findings(incident: Incident, demo_dir: Path) -> None:
    native = {f["arn"]: f for f in _guardduty(incident, demo_dir)}
    imported = [
        f for f in _securityhub(incident, demo_dir) if f["ProductArn"].endswith(":product/aws/guardduty")
    ]
    assert imported
    for finding in imported:
        source = native[finding["Id"]]
        assert finding["AwsAccountId"] == source["accountId"] != incident.admin_account_id
        assert any(k.startswith("aws/guardduty/") for k in finding["ProductFields"])
        keys = [
            r["Details"]["AwsIamAccessKey"] for r in finding["Resources"] if r["Type"] == "AwsIamAccessKey"
        ]
        details = source["resource"].get("accessKeyDetails")
        if details:
            assert keys[0]["AccessKeyId"] == details["accessKeyId"] == incident.final_session.access_key_id
            assert keys[0]["PrincipalId"] == details["principalId"]
        else:
            assert not keys


def test_securityhub_controls_point_at_the_opened_group_and_the_user(
    incident: Incident, demo_dir: Path
) -> None:
    controls = {
        f["Compliance"]["SecurityControlId"]: f for f in _securityhub(incident, demo_dir) if "Compliance" in f
    }
    ssh = controls["EC2.13"]
    assert ssh["Compliance"]["Status"] == "FAILED"
    assert (ssh["Workflow"]["Status"], ssh["RecordState"]) == ("NEW", "ACTIVE")
    assert (
        ssh["Resources"][0]["Details"]["AwsEc2SecurityGroup"]["GroupId"] == incident.opened_security_group_id
    )
    users = [f for f in controls.values() if f["Resources"][0]["Type"] == "AwsIamUser"]
    assert users[0]["Resources"][0]["Id"] == incident.compromised_user_arn
    assert "PASSED" in {f["Compliance"]["Status"] for f in controls.values()}
    truth = {t.kind: t.compliance_status for t in incident.securityhub_findings if t.compliance_status}
    assert truth == {k: f["Compliance"]["Status"] for k, f in controls.items()}


def test_flows_show_the_scan_then_the_ssh_session(incident: Incident, demo_dir: Path) -> None:
    rows: list[dict[str, str]] = []
    for obj in incident.files_of("vpcflow"):
        if obj.key.endswith(".parquet"):
            continue
        header, *lines = read_object(demo_dir, obj.key).splitlines()
        names = header.decode().split(" ")
        for line in lines:
            try:
                rows.append(dict(zip(names, line.decode("utf-8").split(" "), strict=True)))
            except UnicodeDecodeError:
                continue
    scan = [r for r in rows if r["srcaddr"] == incident.attacker_ip and r["action"] == "REJECT"]
    assert len({r["dstport"] for r in scan}) >= 20
    ssh = [
        r
        for r in rows
        if r["srcaddr"] == incident.attacker_ip and r["dstport"] == "22" and r["action"] == "ACCEPT"
    ]
    assert ssh and {r["dstaddr"] for r in ssh} == {incident.instance_private_ip}
    opened = next(e for e in incident.attack_events if e.event_name == "AuthorizeSecurityGroupIngress")
    opened_epoch = _epoch(opened.time)
    assert max(int(r["start"]) for r in scan) < opened_epoch <= min(int(r["start"]) for r in ssh)
    assert any(r["log-status"] == "NODATA" for r in rows)
    assert any(r["srcaddr"] == "211.9.016.253" for r in rows)


def test_parquet_flows_belong_to_the_other_member_account(incident: Incident, demo_dir: Path) -> None:
    (obj,) = [o for o in incident.objects_of("vpcflow") if o.key.endswith(".parquet")]
    accounts = set(pq.read_table(demo_dir / obj.key, columns=["account_id"]).column(0).to_pylist())
    assert accounts == {incident.source_account_id}


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
