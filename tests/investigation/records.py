"""Raw AWS records for the investigation scenarios, shaped as AWS writes them.

The shapes follow the AWS documentation in ../shared/reference/aws-docs (CloudTrail
record contents and userIdentity, GuardDuty finding format, Security Hub ASFF); every
value (accounts, keys, addresses) is made up for these tests.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

REGION = "us-east-1"
_ids = itertools.count(1)


def at(base: datetime, minutes: float) -> str:
    return (base + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def iam_user(account: str, name: str, key: str | None, user_id: str) -> dict[str, Any]:
    identity = {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "userName": name,
    }
    if key:
        identity["accessKeyId"] = key
    return identity


def role_session(account: str, role: str, session: str, key: str, role_id: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-03-02T09:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def aws_service(service: str) -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": service}


def event(
    name: str,
    source: str,
    time: str,
    identity: dict[str, Any],
    ip: str,
    account: str,
    *,
    read_only: bool,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    error: str | None = None,
    agent: str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 botocore/2.4.5",
    resources: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": time,
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": request,
        "responseElements": response,
        "requestID": f"req-{next(_ids):06d}",
        "eventID": f"00000000-0000-4000-8000-{next(_ids):012d}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = f"User is not authorized to perform {source.split('.')[0]}:{name}"
    if resources:
        record["resources"] = resources
    return record


def assume_role(
    caller: dict[str, Any],
    ip: str,
    time: str,
    role_arn: str,
    session: str,
    issued_key: str,
    role_id: str,
    recorded_by: str,
) -> dict[str, Any]:
    """An ``AssumeRole`` call that issued ``issued_key``, as the account ``recorded_by`` logs it.

    The role's account logs a cross-account caller only as ``AWSAccount`` (no ARN, no key).
    """
    account = role_arn.split(":")[4]
    role_name = role_arn.rsplit("/", 1)[-1]
    if caller.get("accountId") not in (None, recorded_by):
        caller = {
            "type": "AWSAccount",
            "principalId": caller["principalId"],
            "accountId": caller["accountId"],
        }
    record = event(
        "AssumeRole",
        "sts.amazonaws.com",
        time,
        caller,
        ip,
        recorded_by,
        read_only=True,
        request={"roleArn": role_arn, "roleSessionName": session, "durationSeconds": 3600},
        response={
            "credentials": {
                "accessKeyId": issued_key,
                "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                "expiration": "Mar 2, 2026, 11:00:00 AM",
            },
            "assumedRoleUser": {
                "assumedRoleId": f"{role_id}:{session}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
            },
        },
        resources=[{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}],
    )
    if caller.get("type") == "AWSService":
        record["sourceIPAddress"] = caller["invokedBy"]
        record["userAgent"] = caller["invokedBy"]
    return record


def trail(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def guardduty(
    finding_id: str,
    finding_type: str,
    account: str,
    first_seen: str,
    last_seen: str,
    *,
    severity: float = 8.0,
    access_key: dict[str, str] | None = None,
    action: dict[str, Any] | None = None,
    instance_id: str | None = None,
    private_ip: str | None = None,
) -> dict[str, Any]:
    """A GuardDuty finding in the export-to-S3 shape (guardduty_finding-format.md)."""
    resource: dict[str, Any] = {"resourceType": "AccessKey" if access_key else "Instance"}
    if access_key:
        resource["accessKeyDetails"] = access_key
    if instance_id:
        resource["instanceDetails"] = {
            "instanceId": instance_id,
            "instanceType": "t3.micro",
            "instanceState": "running",
            "networkInterfaces": [
                {
                    "networkInterfaceId": "eni-0a1b2c3d",
                    "privateIpAddress": private_ip,
                    "subnetId": "subnet-0a1b",
                    "vpcId": "vpc-0a1b",
                }
            ],
        }
    return {
        "schemaVersion": "2.0",
        "accountId": account,
        "region": REGION,
        "partition": "aws",
        "id": finding_id,
        "arn": f"arn:aws:guardduty:{REGION}:{account}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/{finding_id}",
        "type": finding_type,
        "resource": resource,
        "service": {
            "serviceName": "guardduty",
            "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
            "action": action or {},
            "archived": False,
            "count": 3,
            "eventFirstSeen": first_seen,
            "eventLastSeen": last_seen,
            "resourceRole": "TARGET",
        },
        "severity": severity,
        "createdAt": first_seen,
        "updatedAt": last_seen,
        "title": f"{finding_type} observed",
        "description": f"{finding_type} observed in account {account}.",
    }


def api_call(api: str, service: str, ip: str, error: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {
        "api": api,
        "serviceName": service,
        "callerType": "Remote IP",
        "remoteIpDetails": {
            "ipAddressV4": ip,
            "organization": {"asn": "64500", "asnOrg": "EXAMPLE-NET"},
            "country": {"countryName": "Exampleland"},
        },
    }
    if error:
        call["errorCode"] = error
    return {"actionType": "AWS_API_CALL", "awsApiCallAction": call}


def port_probe(ip: str, port: int) -> dict[str, Any]:
    return {
        "actionType": "PORT_PROBE",
        "portProbeAction": {
            "blocked": False,
            "portProbeDetails": [
                {
                    "localPortDetails": {"port": port, "portName": "SSH"},
                    "remoteIpDetails": {
                        "ipAddressV4": ip,
                        "organization": {"asn": "64501", "asnOrg": "SCANNER-NET"},
                    },
                }
            ],
        },
    }


def control_finding(
    finding_id: str, control: str, title: str, account: str, time: str, resource_type: str, resource_id: str
) -> dict[str, Any]:
    """A Security Hub control finding in ASFF (asff-required-attributes.md)."""
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub",
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": REGION,
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": time,
        "LastObservedAt": time,
        "CreatedAt": time,
        "UpdatedAt": time,
        "Severity": {"Label": "HIGH", "Normalized": 70, "Original": "HIGH"},
        "Title": title,
        "Description": title,
        "Resources": [{"Type": resource_type, "Id": resource_id, "Partition": "aws", "Region": REGION}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "Workflow": {"Status": "NEW"},
        "WorkflowState": "NEW",
        "RecordState": "ACTIVE",
    }
