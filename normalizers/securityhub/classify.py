"""What a Security Hub finding is: its product, severity, kind (alert or state) and outcome."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.activity import Activity
from normalizers.ecs.finding import guardduty_severity, guardduty_severity_value, securityhub_severity
from normalizers.ecs.getters import optional_obj, optional_str
from normalizers.ecs.values import as_text
from normalizers.securityhub.tables import GUARDDUTY_PRODUCT, THREAT_NAMESPACES, THREAT_PRODUCTS


def product_name_of(
    finding: dict[str, Any], product_fields: dict[str, Any], product_arn: str | None
) -> str | None:
    """``ProductName``, else Security Hub's copy in ProductFields, else the ARN's product id."""
    name = optional_str(finding, "ProductName") or as_text(product_fields.get("aws/securityhub/ProductName"))
    if name:
        return name
    if product_arn and "/" in product_arn:
        product_id = product_arn.rsplit("/", 1)[-1]
        return "Security Hub" if product_id == "securityhub" else product_id or None
    return None


def first_resource_region(resources: list[dict[str, Any]]) -> str | None:
    return next(
        (as_text(resource.get("Region")) for resource in resources if as_text(resource.get("Region"))), None
    )


def severity_of(
    finding: dict[str, Any], severity: dict[str, Any], product_arn: str | None, product_name: str | None
) -> tuple[int | None, str | None]:
    """``(event.severity, label)``. A GuardDuty finding is scored from GuardDuty's own
    severity, as the native path does: Security Hub's ``Normalized`` is filled from the
    label (MEDIUM -> 40) and would put the two copies of one finding apart (5 -> 50)."""
    if from_guardduty(product_arn, product_name):
        own = optional_obj(finding, "Severity")
        provided = optional_obj(optional_obj(finding, "FindingProviderFields"), "Severity")
        for candidate in (own.get("Original"), own.get("Product"), provided.get("Original")):
            value = guardduty_severity_value(candidate)
            if value is not None:
                return guardduty_severity(value)
    return securityhub_severity(severity)


def from_guardduty(product_arn: str | None, product_name: str | None) -> bool:
    return (
        bool(product_arn and product_arn.endswith(GUARDDUTY_PRODUCT))
        or (product_name or "").lower() == "guardduty"
    )


def classify(
    types: list[str], compliance: dict[str, Any], product: str | None
) -> tuple[str, list[str], list[str]]:
    """``(event.kind, event.category, event.type)``.

    A control result (``Compliance`` present) is a ``state`` even when its type sits in
    the Effects namespace (e.g. "Effects/Data Exposure" controls): it reports posture.
    """
    namespaces = {item.split("/", 1)[0] for item in types}
    threat = bool(namespaces & THREAT_NAMESPACES) or (product or "").lower() in THREAT_PRODUCTS
    if threat and not compliance:
        return "alert", ["threat"], ["indicator"]
    vulnerability = any(item.split("/")[1:2] == ["Vulnerabilities"] for item in types)
    return "state", ["vulnerability" if vulnerability else "configuration"], ["info"]


def outcome_of(activity: Activity, compliance: dict[str, Any]) -> str:
    """The action's outcome when there is one; for a control, PASSED/FAILED."""
    if activity.outcome != "unknown":
        return activity.outcome
    return {"PASSED": "success", "FAILED": "failure"}.get(as_text(compliance.get("Status")) or "", "unknown")
