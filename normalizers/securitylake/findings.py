"""OCSF findings (Security Finding 2001; Vulnerability, Compliance and Detection Findings
2002-2004), as Security Lake writes Security Hub findings -> the ASFF finding.

The row is taken back to the ASFF members Security Hub's own mapper reads (the table in
docs/sources/securitylake.md, "Findings"), so the document is made by the same rules as a
finding from Security Hub itself. OCSF 1.0.0-rc.2 holds the finding in ``finding``, 1.1.0 in
``finding_info``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from normalizers.ecs.actor import Actor
from normalizers.ecs.bounded import bounded_objects
from normalizers.ecs.values import as_bool, as_dict
from normalizers.securitylake.api_activity import user_identity
from normalizers.securitylake.bounded import first_holding, string
from normalizers.securitylake.classes import FINDING_CLASS_NAMES
from normalizers.securitylake.evidences import (
    asff_network,
    network_connection_action,
    network_evidence,
    present,
    remote_ip_details,
)
from normalizers.securitylake.values import first, json_value, mapping, member, ocsf_time, text
from normalizers.securitylake.vulnerabilities import asff_vulnerabilities

# OCSF severity (severity_id 0-6, 99) -> ASFF Severity.Label.
_LABELS = {1: "INFORMATIONAL", 2: "LOW", 3: "MEDIUM", 4: "HIGH", 5: "CRITICAL", 6: "CRITICAL"}
# OCSF compliance status_id -> ASFF Compliance.Status.
_COMPLIANCE = {1: "PASSED", 2: "WARNING", 3: "FAILED"}
_COMPLIANCE_TEXT = {
    "pass": "PASSED",
    "passed": "PASSED",
    "warning": "WARNING",
    "fail": "FAILED",
    "failed": "FAILED",
}
# OCSF finding status_id (1.1; state_id in rc.2): 1 New, 2 In Progress, 3 Suppressed, 4 Resolved
# -> ASFF Workflow.Status (Security Lake maps NOTIFIED to In Progress).
_WORKFLOW = {1: "NEW", 2: "NOTIFIED", 3: "SUPPRESSED", 4: "RESOLVED"}


def asff_finding(row: dict[str, Any]) -> dict[str, Any]:
    """The ASFF finding a findings row stands for (members it lacks are left out: the
    mapper dead-letters a finding without ``Id``, ``UpdatedAt``, ``AwsAccountId`` or ``GeneratorId``)."""
    info = first(row, "finding_info", "finding") or {}
    network = network_evidence(row.get("evidences"))
    unmapped = mapping(row.get("unmapped"))
    compliance = row.get("compliance")
    compliance = compliance if isinstance(compliance, dict) else {}
    finding: dict[str, Any] = {
        "SchemaVersion": unmapped.get("SchemaVersion"),
        "Id": text(info, "uid"),
        "ProductArn": text(row, "metadata.product.uid") or unmapped.get("ProductArn"),
        "ProductName": text(row, "metadata.product.name"),
        "CompanyName": text(row, "metadata.product.vendor_name"),
        # The check that produced it: the product feature (rc.2 and 1.1), else the analytic.
        "GeneratorId": text(row, "metadata.product.feature.uid")
        or text(info, "analytic.uid")
        or unmapped.get("GeneratorId"),
        "AwsAccountId": text(row, "cloud.account.uid")
        or text(row, "cloud.account_uid")
        or text(row, "accountid"),
        "Region": text(row, "cloud.region") or text(row, "region"),
        "Types": _texts(member(info, "types")),
        "CreatedAt": ocsf_time(first(info, "created_time_dt", "created_time")),
        "UpdatedAt": ocsf_time(first(info, "modified_time_dt", "modified_time"))
        or ocsf_time(first(row, "time_dt", "time")),
        "FirstObservedAt": ocsf_time(first(info, "first_seen_time_dt", "first_seen_time")),
        "LastObservedAt": ocsf_time(first(info, "last_seen_time_dt", "last_seen_time")),
        "Title": text(info, "title"),
        "Description": text(info, "desc") or text(row, "message"),
        "SourceUrl": text(info, "src_url"),
        "Severity": _severity(row, unmapped),
        "Compliance": _compliance(compliance),
        "Workflow": _workflow(first(row, "status_id", "state_id")),
        "RecordState": unmapped.get("RecordState"),
        "Resources": _resources(row.get("resources")),
        # The API call is the finding's action; without one, a network connection is.
        "Action": _api_call_action(_evidence(row, "api")) or network_connection_action(network),
        "Network": asff_network(network),
        "Vulnerabilities": asff_vulnerabilities(row.get("vulnerabilities")),
        "RelatedFindings": _related_findings(info) if isinstance(info, dict) else None,
        "ProductFields": json_value(unmapped.get("ProductFields")),
    }
    return {name: value for name, value in finding.items() if value not in (None, [], {})}


def finding_name(row: dict[str, Any]) -> str | None:
    """What names the finding (``rule.name``): its title (OCSF requires one, and ASFF a
    ``Title``), else what names the detection: the analytic's name, the first type, the class
    name (docs/sources/securitylake.md, "A finding without a title")."""
    info = first(row, "finding_info", "finding")
    types = _texts(member(info, "types"))
    class_uid = row.get("class_uid")  # a number, perhaps a Parquet double: compared, not hashed
    return (
        text(info, "title")
        or text(info, "analytic.name")
        or (types[0] if types else None)
        or text(row, "class_name")
        or next((name for uid, name in FINDING_CLASS_NAMES.items() if uid == class_uid), None)
    )


def finding_summary(row: dict[str, Any]) -> str | None:
    """What tells the finding (``message``) when it has no title: the event's own ``message``,
    else the finding's description."""
    return text(row, "message") or text(first(row, "finding_info", "finding"), "desc")


def finding_actor(row: dict[str, Any]) -> Actor | None:
    """Who acted: the first evidence's ``actor`` (a Detection Finding's ``evidences``), else
    the finding's own ``actor``; ``None`` when the finding names no user."""
    evidence = _evidence(row, "actor")
    identity = user_identity(evidence["actor"] if evidence else row.get("actor")) or {}
    if not identity:
        return None
    session = as_dict(identity.get("sessionContext"))
    issuer, attributes = as_dict(session.get("sessionIssuer")), as_dict(session.get("attributes"))
    return Actor(
        type=identity.get("type"),
        principal_id=identity.get("principalId"),
        arn=identity.get("arn"),
        account_id=identity.get("accountId") or text(row, "cloud.account.uid"),
        access_key_id=identity.get("accessKeyId"),
        user_name=identity.get("userName"),
        invoked_by=identity.get("invokedBy"),
        identity_provider=identity.get("identityProvider"),
        issuer_type=issuer.get("type"),
        issuer_arn=issuer.get("arn"),
        issuer_account_id=issuer.get("accountId"),
        issuer_user_name=issuer.get("userName"),
        mfa_authenticated=as_bool(attributes.get("mfaAuthenticated")),
        session_created=attributes.get("creationDate"),
    )


def _evidence(row: dict[str, Any], name: str) -> dict[str, Any] | None:
    return first_holding(bounded_objects(row.get("evidences")), name)


def _api_call_action(evidence: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first evidence naming an API call, and the endpoint it came from -> ASFF ``Action``
    (``AwsApiCallAction``: ``Api``, ``ServiceName``, ``RemoteIpDetails``)."""
    if evidence is None:
        return None
    source = evidence.get("src_endpoint")
    call = present(
        {
            "Api": text(evidence, "api.operation"),
            "ServiceName": text(evidence, "api.service.name"),
            "RemoteIpDetails": remote_ip_details(source),
            "DomainDetails": present({"Domain": text(source, "domain") or text(source, "hostname")}),
        }
    )
    return {"ActionType": "AWS_API_CALL", "AwsApiCallAction": call} if call else None


def _related_findings(info: dict[str, Any]) -> list[dict[str, str]] | None:
    """``finding_info.related_events[]`` -> ASFF ``RelatedFindings`` (``Id`` the event's
    ``uid``, ``ProductArn`` its ``product.uid``, before OCSF 1.4 ``product_uid``), as Security
    Lake maps ``RelatedFindings`` the other way."""
    related = []
    for event in bounded_objects(info.get("related_events")):
        uid = string(event, "uid")
        if uid:
            product = string(event.get("product"), "uid") or string(event, "product_uid")
            related.append({"ProductArn": product, "Id": uid} if product else {"Id": uid})
    return related or None


def _workflow(status_id: Any) -> dict[str, str] | None:
    status = _WORKFLOW.get(status_id) if isinstance(status_id, int) else None
    return {"Status": status} if status else None


def _texts(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str) and item] if isinstance(value, list) else []


def _severity(row: dict[str, Any], unmapped: dict[str, Any]) -> dict[str, Any] | None:
    severity: dict[str, Any] = {}
    label = _named(_LABELS, member(row, "severity_id")) or (text(row, "severity") or "").upper() or None
    if label:
        severity["Label"] = "CRITICAL" if label == "FATAL" else label
    for name in ("Normalized", "Original", "Product"):
        value = unmapped.get(f"Severity.{name}")
        if value is not None:
            severity[name] = str(value) if name == "Original" else _number(value)
    return severity or None


def _number(value: Any) -> Any:
    """``unmapped`` holds strings: a number written as text is read as one."""
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


def _named(names: Mapping[Any, str], uid: Any) -> str | None:
    """The name of an OCSF enum's ``*_id``; a member of another type (a list: no key) names none."""
    return names.get(uid) if isinstance(uid, int | float | str) else None


def _compliance(compliance: dict[str, Any]) -> dict[str, Any] | None:
    status = _named(_COMPLIANCE, member(compliance, "status_id")) or _COMPLIANCE_TEXT.get(
        (text(compliance, "status") or "").lower()
    )
    out: dict[str, Any] = {
        "Status": status,
        "SecurityControlId": text(compliance, "control"),
        "AssociatedStandards": [{"StandardsId": item} for item in _texts(member(compliance, "standards"))]
        or None,
    }
    out = {name: value for name, value in out.items() if value is not None}
    return out or None


def _resources(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not isinstance(item, dict):
            continue
        details = json_value(item.get("data"))
        resource = {
            "Type": text(item, "type"),
            "Id": text(item, "uid"),
            "Region": text(item, "region") or text(item, "cloud_region"),
            "Partition": text(item, "cloud_partition"),
            "Details": details if isinstance(details, dict) else None,
        }
        out.append({name: found for name, found in resource.items() if found is not None})
    return out or None
