"""GuardDuty findings and Security Hub (ASFF) findings, and the files that carry them.

- GuardDuty export to S3: gzip JSON lines under ``AWSLogs/<acct>/GuardDuty/<region>/``.
- Security Hub: EventBridge "Security Hub Findings - Imported" envelopes, concatenated with
  no separator, as a Firehose delivery stream writes them.

A GuardDuty finding imported into Security Hub is derived from the native finding by
:func:`asff_from_guardduty`, so the two forms always name the same key and principal.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from demo.ids import Ids, iso, iso_millis

Record = dict[str, Any]

ASFF_VERSION = "2018-10-08"

# ASN 64496-64511 are reserved for documentation (RFC 5398), like the attacker's addresses.
_HOSTING = {
    "asn": "64501",
    "asnOrg": "EXAMPLE-HOSTING-AS",
    "isp": "Example Hosting",
    "org": "Example Hosting",
}
_GEO = {
    "country": {"countryName": "Netherlands"},
    "city": {"cityName": "Amsterdam"},
    "geoLocation": {"lat": 52.3759, "lon": 4.8975},
}

# The MITRE-like tactic Security Hub puts in ``Types`` for each GuardDuty threat purpose.
_TACTICS = {
    "Recon": "Discovery",
    "UnauthorizedAccess": "Initial Access",
    "Stealth": "Defense Evasion",
    "Persistence": "Persistence",
    "Exfiltration": "Exfiltration",
    "AttackSequence": "Impact",
}


# --- GuardDuty --------------------------------------------------------------------------


def remote_ip_details(ip: str) -> Record:
    return {"ipAddressV4": ip, "organization": dict(_HOSTING), **copy.deepcopy(_GEO)}


def access_key_resource(key: str, principal_id: str, user_name: str, user_type: str) -> Record:
    return {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": key,
            "principalId": principal_id,
            "userName": user_name,
            "userType": user_type,
        },
    }


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str
    private_ip: str
    public_ip: str
    eni: str
    vpc_id: str
    subnet_id: str
    security_group: str


def instance_resource(instance: Instance) -> Record:
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": instance.instance_id,
            "instanceType": "t3.medium",
            "instanceState": "running",
            "availabilityZone": "us-east-1a",
            "imageId": "ami-0c101f26f147fa7fd",
            "launchTime": "2026-02-02T10:41:07.000Z",
            "platform": None,
            "networkInterfaces": [
                {
                    "networkInterfaceId": instance.eni,
                    "privateIpAddress": instance.private_ip,
                    "privateIpAddresses": [{"privateIpAddress": instance.private_ip}],
                    "publicIp": instance.public_ip,
                    "securityGroups": [{"groupId": instance.security_group, "groupName": "web-prod-sg"}],
                    "subnetId": instance.subnet_id,
                    "vpcId": instance.vpc_id,
                }
            ],
            "tags": [{"key": "Name", "value": "web-prod-1"}],
        },
    }


def api_call_action(
    api: str, service: str, ip: str, user_agent: str, error_code: str | None = None
) -> Record:
    call: Record = {
        "api": api,
        "serviceName": service,
        "callerType": "Remote IP",
        "remoteIpDetails": remote_ip_details(ip),
        "userAgent": {"fullUserAgent": user_agent, "userAgentCategory": "CLI"},
        "affectedResources": {},
    }
    if error_code:
        call["errorCode"] = error_code
    return {"actionType": "AWS_API_CALL", "awsApiCallAction": call}


def network_connection_action(remote_ip: str, remote_port: int, local_ip: str, local_port: int) -> Record:
    return {
        "actionType": "NETWORK_CONNECTION",
        "networkConnectionAction": {
            "connectionDirection": "INBOUND",
            "remoteIpDetails": remote_ip_details(remote_ip),
            "remotePortDetails": {"port": remote_port, "portName": "Unknown"},
            "localPortDetails": {"port": local_port, "portName": "SSH" if local_port == 22 else "Unknown"},
            "localIpDetails": {"ipAddressV4": local_ip},
            "protocol": "TCP",
            "blocked": False,
        },
    }


def port_probe_action(remote_ip: str, local_ip: str, ports: Sequence[int]) -> Record:
    names = {22: "SSH", 3389: "RDP", 3306: "MYSQL", 5432: "POSTGRESQL"}
    return {
        "actionType": "PORT_PROBE",
        "portProbeAction": {
            "blocked": False,
            "portProbeDetails": [
                {
                    "localPortDetails": {"port": port, "portName": names.get(port, "Unknown")},
                    "localIpDetails": {"ipAddressV4": local_ip},
                    "remoteIpDetails": remote_ip_details(remote_ip),
                }
                for port in ports
            ],
        },
    }


@dataclass(frozen=True, slots=True)
class GuardDutySpec:
    """The parts of a GuardDuty finding that the story chooses."""

    type: str
    severity: float
    title: str
    description: str
    account: str
    region: str
    detector: str
    id: str
    created: datetime
    updated: datetime
    first_seen: datetime
    last_seen: datetime
    resource: Record
    action: Record | None
    count: int = 1
    sample: bool = False
    extra_service: Record = field(default_factory=dict)


def guardduty_finding(spec: GuardDutySpec) -> Record:
    additional: Record = {"value": '{"sample":true}' if spec.sample else "{}", "type": "default"}
    if spec.sample:
        additional["sample"] = True
    service: Record = {
        "serviceName": "guardduty",
        "detectorId": spec.detector,
        "resourceRole": "TARGET",
        "additionalInfo": additional,
        "eventFirstSeen": iso(spec.first_seen),
        "eventLastSeen": iso(spec.last_seen),
        "archived": False,
        "count": spec.count,
        **spec.extra_service,
    }
    if spec.action is not None:
        service["action"] = spec.action
    return {
        "schemaVersion": "2.0",
        "accountId": spec.account,
        "region": spec.region,
        "partition": "aws",
        "id": spec.id,
        "arn": guardduty_arn(spec),
        "type": spec.type,
        "resource": spec.resource,
        "service": service,
        "severity": spec.severity,
        "createdAt": iso_millis(spec.created),
        "updatedAt": iso_millis(spec.updated),
        "title": spec.title,
        "description": spec.description,
    }


def guardduty_arn(spec: GuardDutySpec) -> str:
    return f"arn:aws:guardduty:{spec.region}:{spec.account}:detector/{spec.detector}/finding/{spec.id}"


def guardduty_export(findings: Iterable[Record | bytes]) -> bytes:
    """JSON lines, uncompressed; a ``bytes`` item is written as is (to plant a bad record)."""
    return b"".join((item if isinstance(item, bytes) else orjson.dumps(item)) + b"\n" for item in findings)


def guardduty_export_key(account: str, region: str, day: datetime, name: str) -> str:
    return f"AWSLogs/{account}/GuardDuty/{region}/{day:%Y/%m/%d}/{name}.jsonl.gz"


# --- Security Hub -----------------------------------------------------------------------


def severity_label(value: float) -> str:
    """GuardDuty's scale (0-10) to the Security Hub label."""
    if value >= 9:
        return "CRITICAL"
    if value >= 7:
        return "HIGH"
    if value >= 4:
        return "MEDIUM"
    return "LOW" if value >= 1 else "INFORMATIONAL"


def asff_from_guardduty(finding: Record) -> Record:
    """The ASFF finding Security Hub imports from a GuardDuty finding."""
    region, account = finding["region"], finding["accountId"]
    service = finding["service"]
    product_arn = f"arn:aws:securityhub:{region}::product/aws/guardduty"
    purpose = finding["type"].split(":", 1)[0]
    types = [f"TTPs/{_TACTICS.get(purpose, 'Impact')}/{finding['type'].replace('/', '-')}"]
    severity = finding["severity"]
    asff: Record = {
        "SchemaVersion": ASFF_VERSION,
        "Id": finding["arn"],
        "ProductArn": product_arn,
        "GeneratorId": f"arn:aws:guardduty:{region}:{account}:detector/{service['detectorId']}",
        "AwsAccountId": account,
        "Types": types,
        "FirstObservedAt": service["eventFirstSeen"],
        "LastObservedAt": service["eventLastSeen"],
        "CreatedAt": finding["createdAt"],
        "UpdatedAt": finding["updatedAt"],
        "Severity": {
            "Product": severity,
            "Label": severity_label(severity),
            "Normalized": round(severity * 10),
        },
        "Title": finding["title"],
        "Description": finding["description"],
        "SourceUrl": (
            f"https://{region}.console.aws.amazon.com/guardduty/home?region={region}"
            f"#/findings?macros=current&fId={finding['id']}"
        ),
        "ProductFields": _guardduty_product_fields(finding, product_arn),
        "Resources": _asff_resources(finding),
        "WorkflowState": "NEW",
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {
            "Severity": {"Label": severity_label(severity), "Original": str(severity)},
            "Types": types,
        },
        "Sample": bool(service.get("additionalInfo", {}).get("sample", False)),
        "ProductName": "GuardDuty",
        "CompanyName": "Amazon",
        "Region": region,
    }
    action = _asff_action(service.get("action"))
    if action:
        asff["Action"] = action
    network = _asff_network(service.get("action"))
    if network:
        asff["Network"] = network
    return asff


def _guardduty_product_fields(finding: Record, product_arn: str) -> dict[str, str]:
    """Security Hub flattens the GuardDuty ``service`` block into ``aws/guardduty/...`` keys."""
    fields: dict[str, str] = {}

    def flatten(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                flatten(f"{prefix}/{key}", item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                flatten(f"{prefix}/{index}", item)
        elif value is not None:
            fields[prefix] = str(value).lower() if isinstance(value, bool) else str(value)

    service = {k: v for k, v in finding["service"].items() if k != "additionalInfo"}
    flatten("aws/guardduty/service", service)
    fields.update(
        {
            "aws/securityhub/FindingId": f"{product_arn}/{finding['arn']}",
            "aws/securityhub/ProductName": "GuardDuty",
            "aws/securityhub/CompanyName": "Amazon",
        }
    )
    return fields


def _asff_resources(finding: Record) -> list[Record]:
    region, resource = finding["region"], finding["resource"]
    common = {"Partition": "aws", "Region": region}
    resources: list[Record] = []
    key = resource.get("accessKeyDetails")
    if key:
        resources.append(
            {
                "Type": "AwsIamAccessKey",
                "Id": f"AWS::IAM::AccessKey:{key['accessKeyId']}",
                **common,
                "Details": {
                    "AwsIamAccessKey": {
                        "AccessKeyId": key["accessKeyId"],
                        "PrincipalId": key["principalId"],
                        "PrincipalName": key["userName"],
                        "PrincipalType": key["userType"],
                        "AccountId": finding["accountId"],
                    }
                },
            }
        )
    instance = resource.get("instanceDetails")
    if instance:
        nic = instance["networkInterfaces"][0]
        resources.append(
            {
                "Type": "AwsEc2Instance",
                "Id": f"arn:aws:ec2:{region}:{finding['accountId']}:instance/{instance['instanceId']}",
                **common,
                "Details": {
                    "AwsEc2Instance": {
                        "Type": instance["instanceType"],
                        "ImageId": instance["imageId"],
                        "IpV4Addresses": [nic["privateIpAddress"], nic["publicIp"]],
                        "VpcId": nic["vpcId"],
                        "SubnetId": nic["subnetId"],
                        "LaunchedAt": instance["launchTime"],
                    }
                },
            }
        )
    for bucket in resource.get("s3BucketDetails", []):
        resources.append(
            {
                "Type": "AwsS3Bucket",
                "Id": bucket["arn"],
                **common,
                "Details": {"AwsS3Bucket": {"OwnerId": bucket["owner"]["id"]}},
            }
        )
    if not resources:
        resources.append({"Type": "Other", "Id": finding["arn"], **common})
    return resources


def _capitalize(value: Any) -> Any:
    """GuardDuty's camelCase keys become ASFF's PascalCase (``remoteIpDetails`` -> ``RemoteIpDetails``)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _capitalize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_capitalize(item) for item in value]
    return value


def _asff_action(action: Record | None) -> Record | None:
    if not action:
        return None
    out = _capitalize(action)
    call = out.get("AwsApiCallAction")
    if call:
        call.pop("UserAgent", None)
        call.pop("ErrorCode", None)
        call["RemoteIpDetails"]["Organization"]["Asn"] = int(call["RemoteIpDetails"]["Organization"]["Asn"])
    return out


def _asff_network(action: Record | None) -> Record | None:
    connection = (action or {}).get("networkConnectionAction")
    if not connection:
        return None
    return {
        "Direction": "IN",
        "Protocol": connection["protocol"],
        "SourceIpV4": connection["remoteIpDetails"]["ipAddressV4"],
        "SourcePort": connection["remotePortDetails"]["port"],
        "DestinationIpV4": connection["localIpDetails"]["ipAddressV4"],
        "DestinationPort": connection["localPortDetails"]["port"],
    }


@dataclass(frozen=True, slots=True)
class ControlSpec:
    """A Security Hub control result (consolidated control findings)."""

    control_id: str
    title: str
    description: str
    status: str
    """``PASSED`` or ``FAILED``."""
    label: str
    account: str
    region: str
    resource: Record
    created: datetime
    updated: datetime
    uuid: str
    standards: tuple[str, ...] = ("standards/aws-foundational-security-best-practices/v/1.0.0",)
    requirements: tuple[str, ...] = ()


_LABEL_SCORE = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


def control_finding(spec: ControlSpec) -> Record:
    product_arn = f"arn:aws:securityhub:{spec.region}::product/aws/securityhub"
    finding_id = (
        f"arn:aws:securityhub:{spec.region}:{spec.account}:security-control/"
        f"{spec.control_id}/finding/{spec.uuid}"
    )
    label = spec.label if spec.status == "FAILED" else "INFORMATIONAL"
    compliance: Record = {
        "Status": spec.status,
        "SecurityControlId": spec.control_id,
        "AssociatedStandards": [{"StandardsId": standard} for standard in spec.standards],
    }
    if spec.requirements:
        compliance["RelatedRequirements"] = list(spec.requirements)
    return {
        "SchemaVersion": ASFF_VERSION,
        "Id": finding_id,
        "ProductArn": product_arn,
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": spec.region,
        "GeneratorId": f"security-control/{spec.control_id}",
        "AwsAccountId": spec.account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": iso_millis(spec.created),
        "LastObservedAt": iso_millis(spec.updated),
        "CreatedAt": iso_millis(spec.created),
        "UpdatedAt": iso_millis(spec.updated),
        "Severity": {"Label": label, "Normalized": _LABEL_SCORE[label], "Original": label},
        "Title": spec.title,
        "Description": spec.description,
        "Remediation": {
            "Recommendation": {
                "Text": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
                "Url": f"https://docs.aws.amazon.com/console/securityhub/{spec.control_id}/remediation",
            }
        },
        "ProductFields": {
            "RelatedAWSResources:0/name": f"securityhub-{spec.control_id.lower().replace('.', '-')}-{spec.uuid[:8]}",
            "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
            "aws/securityhub/ProductName": "Security Hub",
            "aws/securityhub/CompanyName": "AWS",
            "Resources:0/Id": spec.resource["Id"],
            "aws/securityhub/FindingId": f"{product_arn}/{finding_id}",
        },
        "Resources": [spec.resource],
        "Compliance": compliance,
        "WorkflowState": "NEW",
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {
            "Severity": {"Label": label, "Original": label},
            "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        },
    }


def imported_event(finding: Record, envelope_account: str, event_id: str) -> Record:
    """The EventBridge event Security Hub emits for one imported or updated finding."""
    when = finding["UpdatedAt"][:19] + "Z"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": envelope_account,
        "time": when,
        "region": finding["Region"],
        "resources": [finding["ProductFields"]["aws/securityhub/FindingId"]],
        "detail": {"findings": [finding]},
    }


def firehose_body(events: Iterable[Record]) -> bytes:
    """Firehose writes each record as sent: JSON objects back to back, no newline."""
    return b"".join(orjson.dumps(event) for event in events)


def firehose_key(prefix: str, stream: str, delivered: datetime, ids: Ids, gzip: bool) -> str:
    """``<prefix><yyyy>/<mm>/<dd>/<hh>/<stream>-<version>-<yyyy-mm-dd-hh-mm-ss>-<uuid>[.gz]``."""
    name = f"{stream}-1-{delivered:%Y-%m-%d-%H-%M-%S}-{ids.uuid()}"
    return f"{prefix}{delivered:%Y/%m/%d/%H}/{name}{'.gz' if gzip else ''}"
