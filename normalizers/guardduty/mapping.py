"""One GuardDuty finding -> one ECS document, by small pure functions (docs/sources/guardduty.md).

Every finding is an ``alert``. A finding in the API shape is renamed to the export's names first.
"""

from __future__ import annotations

import json
from typing import Any

from normalizers.base import Document, Origin
from normalizers.ecs.activity import activity_of
from normalizers.ecs.actor import actor_hosts
from normalizers.ecs.arn import arn_region
from normalizers.ecs.bounded import bounded_objects, bounded_unique
from normalizers.ecs.finding import guardduty_severity, rule_fields
from normalizers.ecs.getters import (
    optional_bool,
    optional_float,
    optional_long,
    optional_number,
    optional_obj,
    optional_str,
    required_str,
    time_field,
)
from normalizers.ecs.ids import searchable_id
from normalizers.ecs.names import snake, snake_name
from normalizers.ecs.sequence import sequence_of
from normalizers.ecs.values import (
    as_bool,
    as_dict,
    as_text,
    compact,
    flat,
    one_or_many,
    unique,
)
from normalizers.guardduty.actor import finding_actor
from normalizers.guardduty.api_shape import from_api_shape, is_api_shape
from normalizers.guardduty.host import instance_host, runtime_process
from normalizers.guardduty.malware import finding_malware
from normalizers.guardduty.tables import FLAT_KEYS
from normalizers.guardduty.workload import finding_workload
from normalizers.reasons import MISSING_FIELD, RecordError


def finding_document(finding: dict[str, Any], origin: Origin, raw: bytes) -> Document:
    """One GuardDuty finding -> one document; raises :class:`RecordError` for a bad one."""
    if is_api_shape(finding):
        finding = from_api_shape(finding)
    finding_id = required_str(finding, "id")
    updated = time_field(finding, "updatedAt", required=True)
    finding_type = required_str(finding, "type")
    account = required_str(finding, "accountId")
    region = optional_str(finding, "region") or arn_region(finding.get("arn"))
    if not region:
        raise RecordError(MISSING_FIELD, "region")
    service = optional_obj(finding, "service")
    resource = optional_obj(finding, "resource")
    action = snake(optional_obj(service, "action"), FLAT_KEYS)
    severity_value = optional_number(finding, "severity")
    score, label = guardduty_severity(severity_value) if severity_value is not None else (None, None)
    sample = _is_sample(finding, service)

    activity = activity_of(action)
    host = instance_host(optional_obj(resource, "instanceDetails"))
    actor = finding_actor(resource, action, account)
    workload = finding_workload(resource, action)
    malware = finding_malware(service)
    sequence = sequence_of(as_dict(as_dict(service.get("detection")).get("sequence")))
    title = optional_str(finding, "title")

    document: Document = {
        "@timestamp": updated,
        "message": title,
        "tags": ["sample"] if sample else None,
        "event": {
            # No event.kind, event.dataset, event.module: constants of the index (fields.CONSTANTS).
            "category": ["threat"],
            "type": ["indicator"],
            "action": finding_type,
            "outcome": activity.outcome,
            "id": searchable_id(f"{finding_id}@{updated}"),
            "severity": score,
            "created": time_field(finding, "createdAt"),
            "start": time_field(service, "eventFirstSeen"),
            "end": time_field(service, "eventLastSeen"),
            "provider": "guardduty",
            "ingested": origin.ingested,
            "original": raw.decode("utf-8", "replace") if origin.keep_original else None,
        },
        "cloud": {"account": {"id": account}, "region": region, **host.cloud},
        "rule": rule_fields(finding_type, finding_type, finding_type.split(":", 1)[0]),
        "user": actor.user,
        "process": runtime_process(optional_obj(service, "runtimeDetails")),
        "container": workload.container,
        "orchestrator": workload.orchestrator,
        "threat": malware.threat,
        "file": malware.file,
        "source": activity.source.fields,
        "destination": activity.destination.fields,
        "network": activity.network,
        "dns": activity.dns,
        "user_agent": {"original": activity.user_agent},
        **_kubernetes_request(optional_obj(action, "kubernetes_api_call_action")),
        "related": {
            "ip": unique(activity.ips + host.ips + sequence.ips),
            "hosts": unique(host.names + actor_hosts(actor.user) + sequence.hosts),
            "user": unique(actor.related + sequence.users),
            "hash": malware.hashes,
        },
        "aws": {
            "s3": _s3(resource, sequence.buckets),
            "guardduty": {
                "id": finding_id,
                "arn": optional_str(finding, "arn"),
                "type": finding_type,
                "title": title,
                "description": optional_str(finding, "description"),
                "partition": optional_str(finding, "partition"),
                "schema_version": optional_str(finding, "schemaVersion"),
                "confidence": optional_float(finding, "confidence"),
                "severity": {"code": severity_value, "label": label},
                "sample": sample,
                "resource": _resource_block(resource),
                "container_images": workload.images,
                "container_mounts": workload.mounts,
                "privileged_containers": workload.privileged,
                "service": _service_block(service, action),
                "user_identity": actor.identity,
                "sequence": sequence.block,
            },
        },
    }
    return _pruned(document)


def _kubernetes_request(call: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes API call's HTTP request (botocore ``KubernetesApiCallAction``): its
    ``requestUri`` (a path and query, as the API server saw it: ECS ``url.original`` is the URL
    "as observed, complete or not") and its ``statusCode`` (``http.response.status_code``). Its
    ``verb`` is Kubernetes's (``list``, ``watch``, ``create``), not an HTTP method: it stays in
    ``aws.guardduty.service.action``."""
    status = call.get("status_code")
    valid = isinstance(status, int) and not isinstance(status, bool) and 100 <= status < 600
    return {
        "url": {"original": as_text(call.get("request_uri"))},
        "http": {"response": {"status_code": status if valid else None}},
    }


def _pruned(document: Document) -> Document:
    """Drop empty values; ``sample: false`` and ``archived: false`` are kept (prune keeps booleans)."""
    return compact(document)


def _is_sample(finding: dict[str, Any], service: dict[str, Any]) -> bool:
    additional = service.get("additionalInfo")
    in_service = isinstance(additional, dict) and (
        as_bool(additional.get("sample")) is True or _encoded_sample(additional.get("value"))
    )
    return in_service or as_bool(finding.get("sample")) is True


def _encoded_sample(value: Any) -> bool:
    """The API's ``additionalInfo`` is ``{"value": "<JSON text>", "type": "default"}``."""
    if not isinstance(value, str) or '"sample"' not in value:
        return False
    try:
        decoded = json.loads(value)
    except ValueError:
        return False
    return isinstance(decoded, dict) and as_bool(decoded.get("sample")) is True


def _s3(resource: dict[str, Any], sequence_buckets: list[str]) -> dict[str, Any]:
    """``aws.s3.*``: the buckets (``s3BucketDetails[].name``, an attack sequence's) and objects
    (their ``s3ObjectDetails[].key``) the finding is about, as CloudTrail's targets name them:
    the first :data:`~normalizers.ecs.bounded.LIST_LIMIT` of each list, as many of each kind."""
    buckets = bounded_objects(resource.get("s3BucketDetails"))
    keys = (item.get("key") for bucket in buckets for item in bounded_objects(bucket.get("s3ObjectDetails")))
    names = [as_text(bucket.get("name")) for bucket in buckets] + list(sequence_buckets)
    return {
        "bucket": {"name": one_or_many(bounded_unique(names))},
        "object": {"key": one_or_many(bounded_unique(as_text(key) for key in keys))},
    }


def _resource_block(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` snake_cased; each ``*_details`` is a flat_object in the index, so a
    value that is not an object is wrapped rather than left to fail the whole document."""
    block: dict[str, Any] = snake(resource, FLAT_KEYS)
    block.pop("resource_type", None)
    block = {key: _objects_only(value) for key, value in block.items()}
    block["type"] = optional_str(resource, "resourceType")
    return block


def _objects_only(value: Any) -> Any:
    if isinstance(value, list):
        return [item if isinstance(item, dict) else flat(item) for item in value]
    return flat(value)


SERVICE_STRINGS = ("detectorId", "featureName", "resourceRole", "serviceName", "userFeedback")
"""The members of ``service`` its block keeps as ``keyword`` fields (botocore's ``Service``:
strings): copied as they came, an object there failed the whole document in the engine."""


def _service_block(service: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    """``service`` snake_cased, its typed members read as their fields' kinds: a value of
    another type is the finding's dead letter, not a document the engine refuses."""
    block: dict[str, Any] = snake(service, FLAT_KEYS)
    for name in SERVICE_STRINGS:
        block[snake_name(name)] = optional_str(service, name)
    block["archived"] = optional_bool(service, "archived")
    block["count"] = optional_long(service, "count")
    block["action"] = action
    block["event_first_seen"] = time_field(service, "eventFirstSeen")
    block["event_last_seen"] = time_field(service, "eventLastSeen")
    return block
