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
