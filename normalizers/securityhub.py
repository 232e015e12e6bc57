"""Security Hub findings (ASFF) -> ECS documents (docs/sources/securityhub.md).

Accepts EventBridge "Security Hub Findings - Imported" (and "- Custom Action") events as
Firehose delivers them (concatenated with no separator; each event's ``detail.findings``
may hold several findings: one document each), bare findings, and ``Findings``/``findings``
arrays. Threat detections are ``alert`` documents; control and posture results ``state``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.ecs.activity import Activity, activity_of
from normalizers.ecs.actor import Actor, access_key_actor, actor_fields
from normalizers.ecs.address import Endpoint, endpoint, parse_ip
from normalizers.ecs.arn import arn_account, arn_region
from normalizers.ecs.finding import (
    guardduty_severity,
    guardduty_severity_value,
    rule_fields,
    securityhub_severity,
)
from normalizers.ecs.getters import (
    optional_list,
    optional_number,
    optional_obj,
    optional_str,
    required_str,
    time_field,
)
from normalizers.ecs.names import snake
from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import (
    as_bool,
    as_dict,
    as_list,
    as_text,
    compact,
    is_number,
    objects,
    prune,
    unique,
)
from normalizers.framing.envelopes import EventBridge, Framed, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.loop import json_items
from normalizers.reasons import MISSING_FIELD, RecordError

SOURCE = "securityhub"
FINDING_EVENTS = frozenset({"Security Hub Findings - Imported", "Security Hub Findings - Custom Action"})
# Types namespaces that describe a detected threat rather than a posture result.
THREAT_NAMESPACES = frozenset({"TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"})
THREAT_PRODUCTS = frozenset({"guardduty", "macie"})
GUARDDUTY_PRODUCT = "/aws/guardduty"
# Keys whose values are data-shaped (resource ARNs as keys): kept whole, flat_object.
FLAT_KEYS = frozenset({"AffectedResources"})
_ACCESS_KEY_ID_PREFIX = "AWS::IAM::AccessKey:"


FRAMING = JsonFraming(
    noun="Security Hub finding",
    wrapper=Wrapper(keys=("Findings", "findings"), record_key="Id"),
    eventbridge=EventBridge(detail_types=FINDING_EVENTS, batch_key="findings", batch_item="finding"),
)


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per finding of ``stream`` (decompressed)."""

    def mapper(finding: dict[str, Any], framed: Framed) -> Document:
        envelope_account = as_text(framed.envelope.get("account")) if framed.envelope else None
        return finding_document(finding, origin, framed.raw, envelope_account)

    return json_items(SOURCE, FRAMING, stream, origin, mapper)


def finding_document(
    finding: dict[str, Any], origin: Origin, raw: bytes, envelope_account: str | None = None
) -> Document:
    """One ASFF finding -> one document; raises :class:`RecordError` for a bad one."""
    finding_id = required_str(finding, "Id")
    updated = time_field(finding, "UpdatedAt", required=True)
    account = required_str(finding, "AwsAccountId")
    generator = required_str(finding, "GeneratorId")
    product_arn = optional_str(finding, "ProductArn")
    product_fields = optional_obj(finding, "ProductFields")
    product_name = _product_name(finding, product_fields, product_arn)
    resources = objects(optional_list(finding, "Resources"))
    region = optional_str(finding, "Region") or arn_region(product_arn) or _first_resource_region(resources)
    if not region:
        raise RecordError(MISSING_FIELD, "Region")
    types = [item for item in optional_list(finding, "Types") if isinstance(item, str)]
    compliance = optional_obj(finding, "Compliance")
    severity = optional_obj(finding, "Severity") or optional_obj(
        optional_obj(finding, "FindingProviderFields"), "Severity"
    )
    score, label = _severity(finding, severity, product_arn, product_name)
    title = optional_str(finding, "Title")
    kind, category, event_type = _classify(types, compliance, product_name)

    action = snake(optional_obj(finding, "Action"), FLAT_KEYS)
    network = optional_obj(finding, "Network")
    activity = activity_of(action)
    _network_fallback(activity, network)
    host_ids, host_ips = _hosts(resources)
    user, related_users, identity = actor_fields(_actor(resources, account))
    sample = as_bool(finding.get("Sample")) is True

    document: Document = {
        "@timestamp": updated,
        "message": title,
        "tags": ["sample"] if sample else None,
        "event": {
            "kind": kind,
            "category": category,
            "type": event_type,
            "action": generator,
            "outcome": _outcome(activity, compliance),
            "id": f"{finding_id}@{updated}",
            "severity": score,
            "created": time_field(finding, "CreatedAt"),
            "start": time_field(finding, "FirstObservedAt"),
            "end": time_field(finding, "LastObservedAt"),
            "dataset": "aws.securityhub_findings",
            "module": "aws",
            "provider": product_name.lower() if product_name else None,
            "ingested": origin.ingested,
            "original": raw.decode("utf-8", "replace") if origin.keep_original else None,
        },
        "cloud": {
            "provider": "aws",
            "account": {"id": account, "name": optional_str(finding, "AwsAccountName")},
            "region": region,
            "instance": {"id": host_ids[0] if host_ids else None},
        },
        "rule": rule_fields(
            as_text(compliance.get("SecurityControlId")) or generator, title, types[0] if types else None
        ),
        "user": user,
        "source": activity.source.fields,
        "destination": activity.destination.fields,
        "network": activity.network,
        "dns": activity.dns,
        "vulnerability": _vulnerability(
            objects(optional_list(finding, "Vulnerabilities")), label, optional_str(finding, "CompanyName")
        ),
        "related": {
            "ip": unique(activity.ips + host_ips + _indicator_ips(finding)),
            "hosts": host_ids,
            "user": related_users,
        },
        "aws": {
            "securityhub_findings": {
                "id": finding_id,
                "schema_version": optional_str(finding, "SchemaVersion"),
                "generator_id": generator,
                "types": types,
                "title": title,
                "description": optional_str(finding, "Description"),
                "product": {
                    "arn": product_arn,
                    "name": product_name,
                    "company": optional_str(finding, "CompanyName")
                    or as_text(product_fields.get("aws/securityhub/CompanyName")),
                    "account_id": arn_account(product_arn),
                },
                "product_fields": product_fields,
                "user_defined_fields": optional_obj(finding, "UserDefinedFields"),
                "aws_account_name": optional_str(finding, "AwsAccountName"),
                "envelope_account_id": envelope_account,
                "first_observed_at": time_field(finding, "FirstObservedAt"),
                "last_observed_at": time_field(finding, "LastObservedAt"),
                "severity": {
                    "label": label,
                    "normalized": optional_number(severity, "Normalized"),
                    "original": as_text(severity.get("Original")),
                },
                "confidence": optional_number(finding, "Confidence"),
                "criticality": optional_number(finding, "Criticality"),
                "compliance": _compliance(compliance),
                "workflow": {"status": as_text(optional_obj(finding, "Workflow").get("Status"))},
                "workflow_state": optional_str(finding, "WorkflowState"),
                "record_state": optional_str(finding, "RecordState"),
                "verification_state": optional_str(finding, "VerificationState"),
                "remediation": snake(optional_obj(finding, "Remediation")),
                "note": _note(optional_obj(finding, "Note")),
                "resources": [_resource(resource) for resource in resources],
                "action": action,
                "network": snake(network),
                "malware": snake(objects(optional_list(finding, "Malware"))),
                "process": snake(optional_obj(finding, "Process")),
                "vulnerabilities": snake(objects(optional_list(finding, "Vulnerabilities"))),
                "threat_intel_indicators": snake(objects(optional_list(finding, "ThreatIntelIndicators"))),
                "related_findings": snake(objects(optional_list(finding, "RelatedFindings"))),
                "sample": sample,
                "user_identity": identity,
            }
        },
    }
    return compact(document)


# ---------------------------------------------------------------------------------------
# Product, region, classification
# ---------------------------------------------------------------------------------------


def _product_name(
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


def _first_resource_region(resources: list[dict[str, Any]]) -> str | None:
    return next(
        (as_text(resource.get("Region")) for resource in resources if as_text(resource.get("Region"))), None
    )


def _severity(
    finding: dict[str, Any], severity: dict[str, Any], product_arn: str | None, product_name: str | None
) -> tuple[int | None, str | None]:
    """``(event.severity, label)``. A GuardDuty finding is scored from GuardDuty's own
    severity, as the native path does: Security Hub's ``Normalized`` is filled from the
    label (MEDIUM -> 40) and would put the two copies of one finding apart (5 -> 50)."""
    if _from_guardduty(product_arn, product_name):
        own = optional_obj(finding, "Severity")
        provided = optional_obj(optional_obj(finding, "FindingProviderFields"), "Severity")
        for candidate in (own.get("Original"), own.get("Product"), provided.get("Original")):
            value = guardduty_severity_value(candidate)
            if value is not None:
                return guardduty_severity(value)
    return securityhub_severity(severity)


def _from_guardduty(product_arn: str | None, product_name: str | None) -> bool:
    return (
        bool(product_arn and product_arn.endswith(GUARDDUTY_PRODUCT))
        or (product_name or "").lower() == "guardduty"
    )


def _classify(
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


def _outcome(activity: Activity, compliance: dict[str, Any]) -> str:
    """The action's outcome when there is one; for a control, PASSED/FAILED."""
    if activity.outcome != "unknown":
        return activity.outcome
    return {"PASSED": "success", "FAILED": "failure"}.get(as_text(compliance.get("Status")) or "", "unknown")


def _compliance(compliance: dict[str, Any]) -> dict[str, Any]:
    standards = objects(optional_list(compliance, "AssociatedStandards"))
    return {
        "status": as_text(compliance.get("Status")),
        "security_control_id": as_text(compliance.get("SecurityControlId")),
        "related_requirements": [as_text(item) for item in optional_list(compliance, "RelatedRequirements")],
        "associated_standards": [as_text(item.get("StandardsId")) for item in standards],
        "status_reasons": snake(objects(optional_list(compliance, "StatusReasons"))),
    }


def _vulnerability(
    vulnerabilities: list[dict[str, Any]], label: str | None, vendor: str | None
) -> dict[str, Any]:
    """ECS ``vulnerability.*`` for a finding that lists CVEs (Inspector and the like)."""
    if not vulnerabilities:
        return {}
    scores: list[float] = []
    references: list[Any] = []
    for item in vulnerabilities:
        scores += [
            cvss["BaseScore"]
            for cvss in objects(as_list(item.get("Cvss")))
            if is_number(cvss.get("BaseScore"))
        ]
        references += [as_text(url) for url in as_list(item.get("ReferenceUrls"))]
    return {
        "id": unique(as_text(item.get("Id")) for item in vulnerabilities),
        "score": {"base": max(scores) if scores else None},
        "reference": unique(references),
        "severity": label,
        "scanner": {"vendor": vendor},
    }


def _note(note: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": as_text(note.get("Text")),
        "updated_by": as_text(note.get("UpdatedBy")),
        "updated_at": time_field(note, "UpdatedAt"),
    }


# ---------------------------------------------------------------------------------------
# Resources, hosts, network
# ---------------------------------------------------------------------------------------


def _resource(resource: dict[str, Any]) -> dict[str, Any]:
    """Bounded fields mapped; ``details`` and ``tags`` are flat_object containers."""
    return {
        "type": as_text(resource.get("Type")),
        "id": as_text(resource.get("Id")),
        "region": as_text(resource.get("Region")),
        "partition": as_text(resource.get("Partition")),
        "role": as_text(resource.get("ResourceRole")),
        "details": resource.get("Details") if isinstance(resource.get("Details"), dict) else None,
        "tags": resource.get("Tags") if isinstance(resource.get("Tags"), dict) else None,
    }


def _details(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    details = resource.get("Details")
    inner = details.get(kind) if isinstance(details, dict) else None
    return inner if isinstance(inner, dict) else {}


def _hosts(resources: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Instance ids (``related.hosts``) and addresses (``related.ip``) of EC2 instances,
    and the addresses of EC2 network interfaces."""
    ids: list[Any] = []
    addresses: list[Any] = []
    for resource in resources:
        kind = resource.get("Type")
        if kind == "AwsEc2NetworkInterface":
            addresses += _interface_addresses(_details(resource, kind))
        if kind != "AwsEc2Instance":
            continue
        resource_id = as_text(resource.get("Id")) or ""
        ids.append(resource_id.rsplit("/", 1)[-1] if ":instance/" in resource_id else resource_id)
        details = _details(resource, "AwsEc2Instance")
        for key in ("IpV4Addresses", "IpV6Addresses"):
            value = details.get(key)
            addresses += value if isinstance(value, list) else []
    return unique(ids), unique(parse_ip(address) for address in addresses)


def _interface_addresses(details: dict[str, Any]) -> list[Any]:
    """``AwsEc2NetworkInterface``: its private, public and IPv6 addresses."""
    private = [entry.get("PrivateIpAddress") for entry in objects(as_list(details.get("PrivateIpAddresses")))]
    ipv6 = [entry.get("Ipv6Address") for entry in objects(as_list(details.get("Ipv6Addresses")))]
    return [*private, details.get("PublicIp"), *ipv6]


_IP_INDICATORS = frozenset({"IPV4_ADDRESS", "IPV6_ADDRESS"})


def _indicator_ips(finding: dict[str, Any]) -> list[str]:
    """``ThreatIntelIndicators`` whose ``Type`` is an IP address: their valid ``Value``s."""
    indicators = objects(optional_list(finding, "ThreatIntelIndicators"))
    values = (item.get("Value") for item in indicators if item.get("Type") in _IP_INDICATORS)
    return unique(parse_ip(value) for value in values)


def _network_fallback(activity: Activity, network: dict[str, Any]) -> None:
    """The retired ``Network`` object: used when ``Action`` names no endpoints."""
    if not network:
        return
    source, destination = _network_endpoint(network, "Source"), _network_endpoint(network, "Destination")
    others = [
        parse_ip(network.get(key))
        for key in ("SourceIpV4", "SourceIpV6", "DestinationIpV4", "DestinationIpV6")
    ]
    activity.extra_ips += [ip for ip in others if ip]
    if not activity.source.fields and not activity.destination.fields:
        activity.source, activity.destination = source, destination
    if not activity.network:
        direction = {"IN": "inbound", "OUT": "outbound"}.get(as_text(network.get("Direction")) or "")
        protocol = as_text(network.get("Protocol"))
        activity.network = prune(
            {"direction": direction, "transport": protocol.lower() if protocol else None}
        )


def _network_endpoint(network: dict[str, Any], side: str) -> Endpoint:
    """One side of ``Network``: the IP (else the domain) and port; the domain beside an IP."""
    domain = network.get(f"{side}Domain")
    address = network.get(f"{side}IpV4") or network.get(f"{side}IpV6") or domain
    side_endpoint = endpoint(address, network.get(f"{side}Port"))
    if side_endpoint.ips and as_text(domain):
        side_endpoint.fields["domain"] = domain
    return side_endpoint


# ---------------------------------------------------------------------------------------
# The actor: first AwsIamAccessKey, else AwsIamUser, else AwsIamRole
# ---------------------------------------------------------------------------------------


def _actor(resources: list[dict[str, Any]], account: str) -> Actor:
    for kind, build in (
        ("AwsIamAccessKey", _access_key),
        ("AwsIamUser", _iam_user),
        ("AwsIamRole", _iam_role),
    ):
        resource = next((item for item in resources if item.get("Type") == kind), None)
        if resource is not None:
            return build(resource, _details(resource, kind), account)
    return Actor()


def _access_key(resource: dict[str, Any], details: dict[str, Any], account: str) -> Actor:
    resource_id = as_text(resource.get("Id")) or ""
    key_from_id = (
        resource_id[len(_ACCESS_KEY_ID_PREFIX) :] if resource_id.startswith(_ACCESS_KEY_ID_PREFIX) else None
    )
    session = as_dict(details.get("SessionContext"))
    attributes, issuer = as_dict(session.get("Attributes")), as_dict(session.get("SessionIssuer"))
    return access_key_actor(
        access_key_id=as_text(details.get("AccessKeyId")) or key_from_id,
        principal_id=as_text(details.get("PrincipalId")),
        user_name=as_text(details.get("PrincipalName")) or as_text(details.get("UserName")),
        user_type=as_text(details.get("PrincipalType")),
        account_id=as_text(details.get("AccountId")) or account,
        issuer=issuer,
        mfa_authenticated=as_bool(attributes.get("MfaAuthenticated")),
        session_created=optional_time(attributes.get("CreationDate")),
    )


def _iam_user(resource: dict[str, Any], details: dict[str, Any], account: str) -> Actor:
    arn = as_text(resource.get("Id"))
    return Actor(
        type="IAMUser",
        principal_id=as_text(details.get("UserId")),
        arn=arn if arn and arn.startswith("arn:") else None,
        account_id=account,
        user_name=as_text(details.get("UserName")),
    )


def _iam_role(resource: dict[str, Any], details: dict[str, Any], account: str) -> Actor:
    arn = as_text(resource.get("Id"))
    name = as_text(details.get("RoleName")) or (arn.rsplit("/", 1)[-1] if arn and ":role/" in arn else None)
    return Actor(
        type="Role",
        principal_id=as_text(details.get("RoleId")),
        arn=arn if arn and arn.startswith("arn:") else None,
        account_id=account,
        user_name=name,
    )
