"""The findings side of the demo incident: what GuardDuty and Security Hub say about it.

GuardDuty runs with the security account as administrator, so its S3 export (configured
there) carries the members' findings too; Security Hub aggregates into the same account,
so every EventBridge envelope names the admin account while each finding keeps the member
account it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from demo.cast import ATTACKER_CLI, REGION, Cast
from demo.ids import Ids, iso
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from demo.records.guardduty import FindingSpec, Record
from demo.trail_events import at

PROBED_PORTS = (22, 3389, 3306, 5432)


@dataclass(frozen=True, slots=True)
class StoryFindings:
    first_export: list[Record]
    """GuardDuty findings exported at 09:40."""
    second_export: list[Record]
    """Updates and later findings, exported at 10:40."""
    imported: list[Record]
    """GuardDuty findings as Security Hub imported them (ASFF)."""
    controls: list[Record]
    """Security Hub control results (ASFF)."""


def _spec(cast: Cast, ids: Ids, account: str, detector: str, **fields: Any) -> FindingSpec:
    return FindingSpec(account=account, region=REGION, detector=detector, id=ids.hex(32), **fields)


def _key_of(session_key: str, principal_id: str, user_name: str, user_type: str) -> Record:
    return gd.access_key_resource(session_key, principal_id, user_name, user_type)


def guardduty_findings(cast: Cast, ids: Ids) -> tuple[list[Record], list[Record]]:
    admin_session = cast.admin_role
    admin_key = _key_of(
        admin_session.access_key_id, admin_session.principal_id, admin_session.role_name, "AssumedRole"
    )
    ci_key = _key_of(cast.ci_key, cast.ci_user_id, cast.ci_user, "IAMUser")
    instance = gd.Instance(
        cast.instance_id,
        cast.instance_ip,
        cast.instance_public_ip,
        cast.instance_eni,
        cast.vpc_id,
        cast.subnet_id,
        cast.security_group,
    )

    def cli(command: str) -> str:
        return ATTACKER_CLI.format(command=command)

    prod, dev = cast.prod_account, cast.dev_account
    recon = _spec(
        cast,
        ids,
        dev,
        cast.detector_dev,
        type="Recon:IAMUser/MaliciousIPCaller.Custom",
        severity=5.0,
        title="Reconnaissance API ListUsers was invoked from an IP address on a custom threat list.",
        description=(
            f"API ListUsers, commonly used in reconnaissance attacks, was invoked from an IP address "
            f"{cast.attacker_ip} on the custom threat list attacker-infra. Unauthorized actors "
            f"perform such activity to gather information and discover resources."
        ),
        created=at(9, 11, 2),
        updated=at(9, 11, 2),
        first_seen=at(9, 3, 40),
        last_seen=at(9, 6, 0),
        count=4,
        resource=ci_key,
        action=gd.api_call_action("ListUsers", "iam.amazonaws.com", cast.attacker_ip, cli("iam.list-users")),
    )
    unauthorized = _spec(
        cast,
        ids,
        prod,
        cast.detector_prod,
        type="UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        severity=8.0,
        title="API CreateUser was invoked from an IP address on a custom threat list.",
        description=(
            f"API CreateUser was invoked from an IP address {cast.attacker_ip} on the custom threat "
            f"list attacker-infra by principal {admin_session.role_name}."
        ),
        created=at(9, 21, 44),
        updated=at(9, 21, 44),
        first_seen=at(9, 14, 0),
        last_seen=at(9, 18, 2),
        count=6,
        resource=admin_key,
        action=gd.api_call_action(
            "CreateUser", "iam.amazonaws.com", cast.attacker_ip, cli("iam.create-user")
        ),
    )
    persistence = _spec(
        cast,
        ids,
        prod,
        cast.detector_prod,
        type="Persistence:IAMUser/AnomalousBehavior",
        severity=5.0,
        title="The API CreateAccessKey was invoked in an anomalous way.",
        description=(
            "APIs commonly used in persistence tactics were invoked by principal "
            f"{admin_session.role_name} under unusual circumstances."
        ),
        created=at(9, 24, 9),
        updated=at(9, 24, 9),
        first_seen=at(9, 14, 0),
        last_seen=at(9, 15, 5),
        count=2,
        resource=admin_key,
        action=gd.api_call_action(
            "CreateAccessKey", "iam.amazonaws.com", cast.attacker_ip, cli("iam.create-access-key")
        ),
        extra_service={"additionalInfo": {"value": '{"unusual":{"hoursOfDay":[9]}}', "type": "default"}},
    )
    port_probe = _spec(
        cast,
        ids,
        prod,
        cast.detector_prod,
        type="Recon:EC2/PortProbeUnprotectedPort",
        severity=2.0,
        title=f"Unprotected port on EC2 instance {cast.instance_id} is being probed.",
        description=(
            f"EC2 instance {cast.instance_id} has an unprotected port which is being probed by a "
            f"known malicious host {cast.attacker_ip}."
        ),
        created=at(9, 2, 31),
        updated=at(9, 2, 31),
        first_seen=at(8, 51, 3),
        last_seen=at(8, 53, 20),
        count=1,
        resource=gd.instance_resource(instance),
        action=gd.port_probe_action(cast.attacker_ip, cast.instance_ip, PROBED_PORTS[:2]),
    )
    stealth = _spec(
        cast,
        ids,
        prod,
        cast.detector_prod,
        type="Stealth:IAMUser/CloudTrailLoggingDisabled",
        severity=2.0,
        title=f"AWS CloudTrail trail {cast.stopped_trail} was disabled.",
        description=(
            f"AWS CloudTrail trail {cast.stopped_trail} was disabled by {admin_session.role_name} "
            "calling StopLogging under unusual circumstances."
        ),
        created=at(9, 33, 51),
        updated=at(9, 33, 51),
        first_seen=at(9, 26, 40),
        last_seen=at(9, 26, 40),
        resource=admin_key,
        action=gd.api_call_action(
            "StopLogging", "cloudtrail.amazonaws.com", cast.attacker_ip, cli("cloudtrail.stop-logging")
        ),
    )
    exfiltration = _spec(
        cast,
        ids,
        prod,
        cast.detector_prod,
        type="Exfiltration:S3/MaliciousIPCaller",
        severity=8.0,
        title=f"Malicious IP caller invoked GetObject on S3 bucket {cast.data_bucket}.",
        description=(
            f"An IAM entity invoked the S3 API GetObject on bucket {cast.data_bucket} from a known "
            f"malicious IP address {cast.attacker_ip}."
        ),
        created=at(9, 38, 20),
        updated=at(9, 38, 20),
        first_seen=at(9, 29, 12),
        last_seen=at(9, 32, 12),
        count=4,
        resource={
            **admin_key,
            "resourceType": "S3Bucket",
            "s3BucketDetails": [
                {
                    "name": cast.data_bucket,
                    "arn": f"arn:aws:s3:::{cast.data_bucket}",
                    "type": "Destination",
                    "createdAt": "2025-06-02T14:20:11.000Z",
                    "owner": {"id": ids.hex(64)},
                    "defaultServerSideEncryption": {"encryptionType": "AES256"},
                }
            ],
        },
        action=gd.api_call_action("GetObject", "s3.amazonaws.com", cast.attacker_ip, cli("s3.cp")),
    )
    ssh = _spec(
        cast,
        ids,
        prod,
        cast.detector_prod,
        type="UnauthorizedAccess:EC2/MaliciousIPCaller.Custom",
        severity=5.0,
        title=f"Inbound connection from an IP address on a custom threat list to EC2 instance {cast.instance_id}.",
        description=(
            f"EC2 instance {cast.instance_id} accepted an inbound connection on port 22 from "
            f"{cast.attacker_ip}, an IP address on the custom threat list attacker-infra."
        ),
        created=at(9, 27, 5),
        updated=at(9, 27, 5),
        first_seen=at(9, 19, 0),
        last_seen=at(9, 24, 59),
        count=6,
        resource=gd.instance_resource(instance),
        action=gd.network_connection_action(cast.attacker_ip, 58980, cast.instance_ip, 22),
    )
    first = [
        gd.finding(s) for s in (port_probe, recon, unauthorized, persistence, ssh, stealth, exfiltration)
    ]
    probe_update = replace(
        port_probe,
        updated=at(10, 2, 31),
        last_seen=at(8, 53, 29),
        count=4,
        action=gd.port_probe_action(cast.attacker_ip, cast.instance_ip, PROBED_PORTS),
    )
    sequence = _attack_sequence(cast, ids, [unauthorized, persistence, stealth, exfiltration])
    sample = _sample(cast, ids)
    second = [gd.finding(s) for s in (probe_update, sequence, sample)]
    return first, second


def _attack_sequence(cast: Cast, ids: Ids, signals: list[FindingSpec]) -> FindingSpec:
    session = cast.admin_role
    sequence = {
        "uid": ids.hex(32),
        "description": "A sequence of actions involving 4 signals indicating a possible credential compromise.",
        "actors": [
            {
                "id": ids.hex(32),
                "user": {
                    "name": session.session_name,
                    "uid": session.principal_id,
                    "type": "AssumedRole",
                    "credentialUid": session.access_key_id,
                    "account": {"uid": session.account_id},
                },
                "session": {
                    "uid": session.access_key_id,
                    "mfaStatus": "DISABLED",
                    "createdTime": session.created.isoformat().replace("+00:00", "Z"),
                    "issuer": session.role_arn,
                },
            }
        ],
        "endpoints": [
            {
                "id": ids.hex(32),
                "ip": cast.attacker_ip,
                "autonomousSystem": {"name": "EXAMPLE-HOSTING-AS", "number": 64501},
            }
        ],
        "signals": [
            {
                "uid": s.arn,
                "type": "FINDING",
                "name": s.type,
                "severity": s.severity,
                "count": s.count,
                "firstSeenAt": iso(s.first_seen or s.created),
                "lastSeenAt": iso(s.last_seen or s.created),
            }
            for s in signals
        ],
        "sequenceIndicators": [
            {
                "key": "ATTACK_TACTIC",
                "values": ["Persistence", "Defense Evasion", "Exfiltration", "Discovery"],
            }
        ],
    }
    return _spec(
        cast,
        ids,
        cast.prod_account,
        cast.detector_prod,
        type="AttackSequence:IAM/CompromisedCredentials",
        severity=9.2,
        title=f"Potential credential compromise of AssumedRole/{session.role_name} indicated by a sequence of actions.",
        description=(
            f"A sequence of actions involving 4 signals indicating a possible credential compromise was "
            f"observed for AssumedRole/{session.role_name} in account {cast.prod_account}, connected "
            f"from {cast.attacker_ip}."
        ),
        created=at(10, 12, 40),
        updated=at(10, 12, 40),
        first_seen=at(9, 14, 0),
        last_seen=at(9, 32, 12),
        resource={"resourceType": "AttackSequence"},
        action=None,
        extra_service={"featureName": "Correlation", "detection": {"sequence": sequence}},
    )


def _sample(cast: Cast, ids: Ids) -> FindingSpec:
    """A sample finding someone generated in the admin account: real data must not be confused with it."""
    return _spec(
        cast,
        ids,
        cast.admin_account,
        cast.detector_admin,
        type="Recon:IAMUser/MaliciousIPCaller",
        severity=5.0,
        title="Reconnaissance API GeneratedFindingAPIName was invoked from a known malicious IP address.",
        description="API GeneratedFindingAPIName, commonly used in reconnaissance attacks, was invoked from a "
        "known malicious IP address 198.51.100.0.",
        created=at(10, 30, 0),
        updated=at(10, 30, 0),
        first_seen=at(10, 30, 0),
        last_seen=at(10, 30, 0),
        resource=_key_of(
            "GeneratedFindingAccessKeyId",
            "GeneratedFindingPrincipalId",
            "GeneratedFindingUserName",
            "IAMUser",
        ),
        action=gd.api_call_action(
            "GeneratedFindingAPIName",
            "GeneratedFindingAPIServiceName",
            "198.51.100.0",
            "GeneratedFindingUserAgent",
        ),
        sample=True,
    )


# --- Security Hub -----------------------------------------------------------------------


def control_findings(cast: Cast, ids: Ids) -> list[Record]:
    prod, dev, admin = cast.prod_account, cast.dev_account, cast.admin_account
    common = {"Partition": "aws", "Region": REGION}
    sg = {
        "Type": "AwsEc2SecurityGroup",
        "Id": f"arn:aws:ec2:{REGION}:{prod}:security-group/{cast.security_group}",
        **common,
        "Details": {
            "AwsEc2SecurityGroup": {
                "GroupName": "web-prod-sg",
                "GroupId": cast.security_group,
                "OwnerId": prod,
                "VpcId": cast.vpc_id,
                "IpPermissions": [
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                ],
            }
        },
    }
    user = {
        "Type": "AwsIamUser",
        "Id": cast.ci_user_arn,
        **common,
        "Details": {
            "AwsIamUser": {
                "UserName": cast.ci_user,
                "UserId": cast.ci_user_id,
                "Path": "/",
                "CreateDate": "2023-01-09T16:02:41.000Z",
            }
        },
    }
    account = {"Type": "AwsAccount", "Id": f"AWS::::Account:{prod}", **common}
    bucket = {
        "Type": "AwsS3Bucket",
        "Id": f"arn:aws:s3:::{cast.data_bucket}",
        **common,
        "Details": {"AwsS3Bucket": {"OwnerId": ids.hex(64), "Name": cast.data_bucket}},
    }
    trail = {
        "Type": "AwsCloudTrailTrail",
        "Id": f"arn:aws:cloudtrail:{REGION}:{admin}:trail/{cast.trail_name}",
        **common,
    }
    specs = [
        sh.ControlSpec(
            "EC2.13",
            "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
            "This control checks whether a security group allows unrestricted incoming traffic on port 22.",
            "FAILED",
            "HIGH",
            prod,
            REGION,
            sg,
            at(9, 31, 16),
            at(9, 31, 16),
            ids.uuid(),
            (
                "standards/aws-foundational-security-best-practices/v/1.0.0",
                "standards/cis-aws-foundations-benchmark/v/1.2.0",
            ),
            ("CIS AWS Foundations 4.1",),
        ),
        sh.ControlSpec(
            "IAM.3",
            "IAM users' access keys should be rotated every 90 days or less",
            "This control checks whether the active access keys are rotated within 90 days.",
            "FAILED",
            "MEDIUM",
            dev,
            REGION,
            user,
            at(8, 12, 40),
            at(10, 12, 40),
            ids.uuid(),
        ),
        sh.ControlSpec(
            "IAM.9",
            "MFA should be enabled for the root user",
            "This control checks whether multi-factor authentication is enabled for the root user.",
            "FAILED",
            "CRITICAL",
            prod,
            REGION,
            account,
            at(8, 20, 3),
            at(10, 20, 3),
            ids.uuid(),
            ("standards/cis-aws-foundations-benchmark/v/1.2.0",),
            ("CIS AWS Foundations 1.13",),
        ),
        sh.ControlSpec(
            "S3.8",
            "S3 general purpose buckets should block public access",
            "This control checks whether an S3 general purpose bucket blocks public access.",
            "PASSED",
            "HIGH",
            prod,
            REGION,
            bucket,
            at(8, 40, 0),
            at(10, 40, 0),
            ids.uuid(),
        ),
        sh.ControlSpec(
            "CloudTrail.2",
            "CloudTrail should have encryption at-rest enabled",
            "This control checks whether CloudTrail is configured to use server-side encryption with "
            "KMS keys.",
            "PASSED",
            "MEDIUM",
            admin,
            REGION,
            trail,
            at(8, 5, 0),
            at(10, 5, 0),
            ids.uuid(),
        ),
    ]
    return [sh.control_finding(spec) for spec in specs]


def story_findings(cast: Cast, ids: Ids) -> StoryFindings:
    first, second = guardduty_findings(cast, ids)
    imported_types = {
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "Exfiltration:S3/MaliciousIPCaller",
        "Recon:EC2/PortProbeUnprotectedPort",
        "AttackSequence:IAM/CompromisedCredentials",
    }
    imported = [
        sh.from_guardduty(f)
        for f in first + second
        if f["type"] in imported_types and not f["service"].get("additionalInfo", {}).get("sample")
    ]
    return StoryFindings(first, second, imported, control_findings(cast, ids))


def delivered_after(finding: Record, minutes: int) -> datetime:
    updated = datetime.fromisoformat(finding["UpdatedAt"].replace("Z", "+00:00"))
    return updated + timedelta(minutes=minutes)
