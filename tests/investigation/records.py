"""Raw AWS records for the investigation scenarios, shaped as AWS writes them.

CloudTrail records come from the shared builders (:mod:`demo.records.cloudtrail`). The
finding shapes follow the AWS documentation in ../shared/reference/aws-docs (GuardDuty
finding format, Security Hub ASFF); every value (accounts, keys, addresses) is made up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

REGION = "us-east-1"


def at(base: datetime, minutes: float) -> str:
    return (base + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


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
