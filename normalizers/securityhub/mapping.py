"""One ASFF finding -> one ECS document (docs/sources/securityhub.md).

Threat detections are ``alert`` documents; control and posture results ``state``.
"""

from __future__ import annotations

from typing import Any

from normalizers.base import Document, Origin
from normalizers.ecs.activity import activity_of
from normalizers.ecs.actor import Actor, actor_fields, actor_hosts
from normalizers.ecs.arn import arn_account, arn_region
from normalizers.ecs.bounded import LIST_LIMIT, bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.finding import normalized_severity, rule_fields
from normalizers.ecs.getters import (
    optional_list,
    optional_long,
    optional_obj,
    optional_str,
    required_str,
    time_field,
)
from normalizers.ecs.ids import searchable_id
from normalizers.ecs.names import snake
from normalizers.ecs.process import process_fields
from normalizers.ecs.sequence import sequence_of
from normalizers.ecs.values import as_bool, as_dict, as_text, compact, is_number, objects, unique
from normalizers.reasons import MISSING_FIELD, RecordError
from normalizers.securityhub.actor import resources_actor, workload_identities
from normalizers.securityhub.classify import (
    classify,
    first_resource_region,
    outcome_of,
    product_name_of,
    severity_of,
)
from normalizers.securityhub.network import add_network, path_addresses
from normalizers.securityhub.resources import hosts, indicator_ips, resource_block, s3_objects
from normalizers.securityhub.tables import FLAT_KEYS
from normalizers.securityhub.workload import malware_fields, resources_workload


def asff_document(
    finding: dict[str, Any], origin: Origin, raw: bytes, envelope_account: str | None = None
) -> Document:
    """One ASFF finding as Security Hub delivers it -> its document, named even without a
    ``Title`` (docs/sources/securityhub.md, "A finding without a title")."""
    document = finding_document(finding, origin, raw, envelope_account)
    if "provider" not in document["event"]:
        # ASFF requires ProductArn: with no ProductName either, nothing says which product
        # reported the finding (event.provider, which every document has), as for OCSF's.
        raise RecordError(MISSING_FIELD, "ProductArn")
    # ASFF requires Title, but a custom integration may leave it out: the finding is still named,
    # by its GeneratorId, which finding_document requires (so the first of Types never comes to it).
    name = required_str(finding, "GeneratorId")
    document.setdefault("message", optional_str(finding, "Description") or name)
    document["rule"].setdefault("name", name)
    return document


def finding_document(
    finding: dict[str, Any],
    origin: Origin,
    raw: bytes,
    envelope_account: str | None = None,
    actor: Actor | None = None,
) -> Document:
    """One ASFF finding -> one document; raises :class:`RecordError` for a bad one.
    ``actor``: who acted when the finding says so beside its resources (an OCSF finding's
    ``actor``); else the IAM resources say."""
    finding_id = required_str(finding, "Id")
    updated = time_field(finding, "UpdatedAt", required=True)
    account = required_str(finding, "AwsAccountId")
    generator = required_str(finding, "GeneratorId")
    product_arn = optional_str(finding, "ProductArn")
    product_fields = optional_obj(finding, "ProductFields")
    product_name = product_name_of(finding, product_fields, product_arn)
    resources = objects(optional_list(finding, "Resources"))
    region = optional_str(finding, "Region") or arn_region(product_arn) or first_resource_region(resources)
    if not region:
        raise RecordError(MISSING_FIELD, "Region")
    types = [item for item in optional_list(finding, "Types") if isinstance(item, str)]
    compliance = optional_obj(finding, "Compliance")
    severity = optional_obj(finding, "Severity") or optional_obj(
        optional_obj(finding, "FindingProviderFields"), "Severity"
    )
    score, label = severity_of(finding, severity, product_arn, product_name)
    title = optional_str(finding, "Title")
    kind, category, event_type = classify(types, compliance, product_name)

    action = snake(optional_obj(finding, "Action"), FLAT_KEYS)
    network = optional_obj(finding, "Network")
    network_path = objects(optional_list(finding, "NetworkPath"))
    activity = activity_of(action)
    add_network(activity, network)
    path_ips, path_hosts = path_addresses(network_path)
    host_ids, host_ips = hosts(resources)
    process = optional_obj(finding, "Process")
    detection = optional_obj(finding, "Detection")
    sequence = sequence_of(as_dict(detection.get("Sequence")))
    user, related_users, identity = actor_fields(actor or resources_actor(resources, account))
    sample = as_bool(finding.get("Sample")) is True
    workload = resources_workload(resources)
    threat, malware_file = malware_fields(finding.get("Malware"))

    document: Document = {
        "@timestamp": updated,
        "message": title,
        "tags": ["sample"] if sample else None,
        "event": {
            "kind": kind,
            "category": category,
            "type": event_type,
            "action": generator,
            "outcome": outcome_of(activity, compliance),
            "id": searchable_id(f"{finding_id}@{updated}"),
            "severity": score,
            "created": time_field(finding, "CreatedAt"),
            "start": time_field(finding, "FirstObservedAt"),
            "end": time_field(finding, "LastObservedAt"),
            # No event.dataset, event.module, cloud.provider: constants of the index (spec.CONSTANTS).
            "provider": product_name.lower() if product_name else None,
            "ingested": origin.ingested,
            "original": raw.decode("utf-8", "replace") if origin.keep_original else None,
            "url": optional_str(finding, "SourceUrl"),
        },
        "cloud": {
            "account": {"id": account, "name": optional_str(finding, "AwsAccountName")},
            "region": region,
            "instance": {"id": host_ids[0] if host_ids else None},
        },
        "rule": rule_fields(
            as_text(compliance.get("SecurityControlId")) or generator, title, types[0] if types else None
        ),
        "user": user,
        "process": process_fields(
            name=process.get("Name"),
            executable=process.get("Path"),
            pid=process.get("Pid"),
            parent_pid=process.get("ParentPid"),
            start=process.get("LaunchedAt"),
            end=process.get("TerminatedAt"),
        ),
        "container": workload.container,
        "orchestrator": workload.orchestrator,
        "threat": threat,
        "file": malware_file,
        "source": activity.source.fields,
        "destination": activity.destination.fields,
        "network": activity.network,
        "dns": activity.dns,
        "vulnerability": _vulnerability(
            objects(optional_list(finding, "Vulnerabilities")), label, optional_str(finding, "CompanyName")
        ),
        "related": {
            "ip": unique(activity.ips + path_ips + host_ips + indicator_ips(finding) + sequence.ips),
            "hosts": unique(host_ids + path_hosts + actor_hosts(user) + sequence.hosts),
            "user": unique(related_users + workload_identities(resources) + sequence.users),
        },
        "aws": {
            "s3": s3_objects(resources, sequence.buckets),
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
                    "normalized": normalized_severity(severity),
                    "original": as_text(severity.get("Original")),
                },
                "confidence": optional_long(finding, "Confidence"),
                "criticality": optional_long(finding, "Criticality"),
                "compliance": _compliance(compliance),
                "workflow": {"status": as_text(optional_obj(finding, "Workflow").get("Status"))},
                "workflow_state": optional_str(finding, "WorkflowState"),
                "record_state": optional_str(finding, "RecordState"),
                "verification_state": optional_str(finding, "VerificationState"),
                "remediation": _remediation(optional_obj(finding, "Remediation")),
                "note": _note(optional_obj(finding, "Note")),
                "resources": [resource_block(resource) for resource in resources],
                "container_images": workload.images,
                "container_mounts": workload.mounts,
                "privileged_containers": workload.privileged,
                "action": action,
                "network": snake(network),
                "network_path": snake(network_path),
                "malware": snake(objects(optional_list(finding, "Malware"))),
                "vulnerabilities": snake(objects(optional_list(finding, "Vulnerabilities"))),
                "threat_intel_indicators": snake(objects(optional_list(finding, "ThreatIntelIndicators"))),
                "related_findings": snake(objects(optional_list(finding, "RelatedFindings"))),
                "sample": sample,
                "user_identity": identity,
                "detection": detection,
                "sequence": sequence.block,
            },
        },
    }
    return compact(document)


def _remediation(remediation: dict[str, Any]) -> dict[str, Any]:
    """``Remediation`` snake_cased, its ``Recommendation`` an object of strings (ASFF): the
    template maps ``recommendation.text`` and ``.url``, so another shape failed the document."""
    recommendation = optional_obj(remediation, "Recommendation")
    return {
        **snake(remediation),
        "recommendation": {
            **snake(recommendation),
            "text": optional_str(recommendation, "Text"),
            "url": optional_str(recommendation, "Url"),
        },
    }


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
    """ECS ``vulnerability.*`` for a finding that lists CVEs (Inspector and the like): of its
    first :data:`~normalizers.ecs.bounded.LIST_LIMIT` vulnerabilities (and of their first scores
    and references), as many ids and references at most."""
    vulnerabilities = vulnerabilities[:LIST_LIMIT]
    if not vulnerabilities:
        return {}
    scores: list[float] = []
    references: list[Any] = []
    for item in vulnerabilities:
        scores += [
            cvss["BaseScore"]
            for cvss in bounded_objects(item.get("Cvss"))
            if is_number(cvss.get("BaseScore"))
        ]
        references += bounded_strings(item.get("ReferenceUrls"))
    return {
        "id": bounded_unique(as_text(item.get("Id")) for item in vulnerabilities),
        "score": {"base": max(scores) if scores else None},
        "reference": bounded_unique(references),
        "severity": label,
        "scanner": {"vendor": vendor},
    }


def _note(note: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": as_text(note.get("Text")),
        "updated_by": as_text(note.get("UpdatedBy")),
        "updated_at": time_field(note, "UpdatedAt"),
    }
