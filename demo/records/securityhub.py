"""Security Hub findings (ASFF), the EventBridge events that carry them, and Firehose objects.

- ASFF (``shared/reference/aws-docs/securityhub/asff-required-attributes.md``,
  ``asff-top-level-attributes.md``, ``asff-resourcedetails-awsiam.md``): a control result
  (:func:`control_finding`, consolidated control findings) or a GuardDuty finding as Security
  Hub imports it (:func:`from_guardduty`, derived from the native finding so the two forms
  always name the same key and principal);
- EventBridge (``securityhub-cwe-event-formats.md``): "Security Hub Findings - Imported"
  (:func:`imported_event`);
- Firehose: those events back to back with no separator (:func:`firehose_body`,
  :func:`firehose_key`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from demo.ids import Ids, iso_millis

Record = dict[str, Any]

ASFF_VERSION = "2018-10-08"
EXAMPLE_ACCOUNT = "111122223333"
EXAMPLE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The MITRE-like tactic Security Hub puts in ``Types`` for each GuardDuty threat purpose.
_TACTICS = {
    "Recon": "Discovery",
    "UnauthorizedAccess": "Initial Access",
    "Stealth": "Defense Evasion",
    "Persistence": "Persistence",
    "Exfiltration": "Exfiltration",
    "AttackSequence": "Impact",
}


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


def from_guardduty(finding: Record) -> Record:
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
    """A Security Hub control result (consolidated control findings).

    The finding's ``Id`` is ``arn:aws:securityhub:<region>:<account>:security-control/
    <control>/finding/<uuid>`` unless ``finding_id`` says otherwise; a passed control's
    severity is ``INFORMATIONAL`` whatever ``label`` says.
    """

    control_id: str = "S3.8"
    title: str = "S3 general purpose buckets should block public access"
    description: str = "This control checks whether an S3 general purpose bucket blocks public access."
    status: str = "FAILED"
    """``PASSED`` or ``FAILED``."""
    label: str = "HIGH"
    account: str = EXAMPLE_ACCOUNT
    region: str = "us-east-1"
    resource: Record = field(default_factory=lambda: account_resource(EXAMPLE_ACCOUNT))
    created: datetime = EXAMPLE_TIME
    updated: datetime = EXAMPLE_TIME
    uuid: str = "0f0e0d0c-0b0a-4908-8706-050403020100"
    standards: tuple[str, ...] = ("standards/aws-foundational-security-best-practices/v/1.0.0",)
    requirements: tuple[str, ...] = ()
    finding_id: str | None = None
    record_state: str = "ACTIVE"
    """``ARCHIVED`` once the resource is gone or the control disabled."""


def resource(resource_type: str, resource_id: str, region: str = "us-east-1", **details: Any) -> Record:
    """An ASFF resource; ``details`` become ``Details`` (``AwsS3Bucket={"Name": ...}``)."""
    out: Record = {"Type": resource_type, "Id": resource_id, "Partition": "aws", "Region": region}
    if details:
        out["Details"] = details
    return out


def account_resource(account: str, region: str = "us-east-1") -> Record:
    return resource("AwsAccount", f"AWS::::Account:{account}", region)


_LABEL_SCORE = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


def control_finding(spec: ControlSpec) -> Record:
    product_arn = f"arn:aws:securityhub:{spec.region}::product/aws/securityhub"
    finding_id = spec.finding_id or (
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
        "RecordState": spec.record_state,
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


def get_findings_response(findings: Iterable[Record]) -> Record:
    """What ``aws securityhub get-findings`` prints: ``{"Findings": [...]}``."""
    return {"Findings": list(findings)}


def firehose_body(events: Iterable[Record]) -> bytes:
    """Firehose writes each record as sent: JSON objects back to back, no newline."""
    return b"".join(orjson.dumps(event) for event in events)


def firehose_key(prefix: str, stream: str, delivered: datetime, ids: Ids, gzip: bool) -> str:
    """``<prefix><yyyy>/<mm>/<dd>/<hh>/<stream>-<version>-<yyyy-mm-dd-hh-mm-ss>-<uuid>[.gz]``."""
    name = f"{stream}-1-{delivered:%Y-%m-%d-%H-%M-%S}-{ids.uuid()}"
    return f"{prefix}{delivered:%Y/%m/%d/%H}/{name}{'.gz' if gzip else ''}"
