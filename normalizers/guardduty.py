"""GuardDuty findings -> ECS documents (docs/sources/guardduty.md).

Accepts findings exported to S3 (JSON lines), EventBridge "GuardDuty Finding" events
(the finding in ``detail``), ``{"findings": [...]}`` batches and bare findings, in any
mix, concatenated or one per line; also the AWS CLI/SDK shape (``aws guardduty
get-findings``: ``{"Findings": [...]}`` with PascalCase member names), renamed to the
export's names first. Every finding is an ``alert``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.ecs.activity import activity_of
from normalizers.ecs.actor import access_key_actor, actor_fields
from normalizers.ecs.address import parse_ip
from normalizers.ecs.arn import arn_region
from normalizers.ecs.finding import (
    guardduty_severity,
    rule_fields,
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
from normalizers.ecs.values import (
    as_bool,
    as_list,
    as_text,
    compact,
    flat,
    objects,
    prune,
    unique,
)
from normalizers.framing.envelopes import EventBridge, Framed, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.loop import json_items
from normalizers.reasons import MISSING_FIELD, RecordError

SOURCE = "guardduty"
DETAIL_TYPE = "GuardDuty Finding"

# Sub-objects whose keys are data, not schema (or deep, fast-changing shapes): each is kept
# whole in one ``flat_object`` field so no finding can add mapped fields to the index.
FLAT_KEYS = frozenset(
    {
        "additionalInfo",
        "evidence",
        "affectedResources",
        "runtimeDetails",
        "detection",
        "ebsVolumeScanDetails",
        "malwareScanDetails",
    }
)


# The CLI/SDK print the API's member names (PascalCase); exports and EventBridge carry the
# wire names (the model's ``locationName``), which are the member name with its first
# letter lowered except for these (botocore's guardduty model; tests check the tables).
API_RENAMED = {
    "Code": "productCodeId",
    "ProductType": "productCodeType",
    "TaskCreatedAt": "createdAt",
    "SourceIps": "sourceIPs",
    "LoginAttributes": "LoginAttributes",
    "KubernetesResourcesTypes": "type",
    "Latitude": "lat",
    "Longitude": "lon",
}
# Renames that depend on the structure holding the member, named by the member holding it.
API_RENAMED_UNDER = {
    ("Account", "Name"): "account",
    ("Ec2Instance", "IamInstanceProfile"): "IamInstanceProfile",
}
# Maps whose keys are data (resource types, profile and feature names), by how many levels
# of data keys they have; what lies below those levels is structures again.
API_DATA_KEY_LEVELS = {"AffectedResources": 1, "Profiles": 2, "Behavior": 2}
_GUARDDUTY_ARN = re.compile(r"arn:aws[\w-]*:guardduty:")


FRAMING = JsonFraming(
    noun="GuardDuty finding",
    wrapper=Wrapper(keys=("findings", "Findings"), record_key="id"),
    eventbridge=EventBridge(detail_types=frozenset({DETAIL_TYPE})),
)


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per finding of ``stream`` (decompressed)."""

    def mapper(finding: dict[str, Any], framed: Framed) -> Document:
        return finding_document(finding, origin, framed.raw)

    return json_items(SOURCE, FRAMING, stream, origin, mapper)


def is_api_shape(finding: dict[str, Any]) -> bool:
    """True for a finding as the CLI/SDK print it (``AccountId``, ``Arn``...), not exported."""
    if "id" in finding or "accountId" in finding:
        return False
    arn = finding.get("Arn")
    return "AccountId" in finding or (isinstance(arn, str) and _GUARDDUTY_ARN.match(arn) is not None)


def from_api_shape(value: Any, parent: str = "") -> Any:
    """Rename the API's PascalCase member names to the export's, recursively."""
    if isinstance(value, list):
        return [from_api_shape(item, parent) for item in value]
    if not isinstance(value, dict):
        return value
    return {_export_name(parent, key): _renamed_member(key, item) for key, item in value.items()}


def _renamed_member(key: str, value: Any) -> Any:
    levels = API_DATA_KEY_LEVELS.get(key)
    return from_api_shape(value, key) if levels is None else _below_data_keys(value, levels, key)


def _below_data_keys(value: Any, levels: int, parent: str) -> Any:
    if levels == 0 or not isinstance(value, dict):
        return from_api_shape(value, parent)
    return {key: _below_data_keys(item, levels - 1, parent) for key, item in value.items()}


def _export_name(parent: str, key: str) -> str:
    renamed = API_RENAMED_UNDER.get((parent, key)) or API_RENAMED.get(key)
    return renamed if renamed is not None else key[:1].lower() + key[1:]


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
    host = _instance(optional_obj(resource, "instanceDetails"))
    user, related_users, identity = actor_fields(_actor(resource, account))
    title = optional_str(finding, "title")

    document: Document = {
        "@timestamp": updated,
        "message": title,
        "tags": ["sample"] if sample else None,
        "event": {
            "kind": "alert",
            "category": ["threat"],
            "type": ["indicator"],
            "action": finding_type,
            "outcome": activity.outcome,
            "id": f"{finding_id}@{updated}",
            "severity": score,
            "created": time_field(finding, "createdAt"),
            "start": time_field(service, "eventFirstSeen"),
            "end": time_field(service, "eventLastSeen"),
            "dataset": "aws.guardduty",
            "module": "aws",
            "provider": "guardduty",
            "ingested": origin.ingested,
            "original": raw.decode("utf-8", "replace") if origin.keep_original else None,
        },
        "cloud": {"provider": "aws", "account": {"id": account}, "region": region, **host.cloud},
        "rule": rule_fields(finding_type, finding_type, finding_type.split(":", 1)[0]),
        "user": user,
        "source": activity.source.fields,
        "destination": activity.destination.fields,
        "network": activity.network,
        "dns": activity.dns,
        "user_agent": {"original": activity.user_agent},
        "related": {
            "ip": unique(activity.ips + host.ips),
            "hosts": host.names,
            "user": related_users,
        },
        "aws": {
            "guardduty": {
                "id": finding_id,
                "arn": optional_str(finding, "arn"),
                "type": finding_type,
                "title": title,
                "description": optional_str(finding, "description"),
                "partition": optional_str(finding, "partition"),
                "schema_version": optional_str(finding, "schemaVersion"),
                "confidence": optional_number(finding, "confidence"),
                "severity": {"code": severity_value, "label": label},
                "sample": sample,
                "resource": _resource_block(resource),
                "service": _service_block(service, action),
                "user_identity": identity,
            }
        },
    }
    return _pruned(document)


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


def _actor(resource: dict[str, Any], account: str) -> Any:
    details = optional_obj(resource, "accessKeyDetails")
    return access_key_actor(
        access_key_id=as_text(details.get("accessKeyId")),
        principal_id=as_text(details.get("principalId")),
        user_name=as_text(details.get("userName")),
        user_type=as_text(details.get("userType")),
        account_id=account if details else None,
    )


def _resource_block(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` snake_cased; each ``*_details`` is a flat_object in the index, so a
    value that is not an object is wrapped rather than left to fail the whole document."""
    block: dict[str, Any] = snake(resource, FLAT_KEYS)
    resource_type = block.pop("resource_type", None)
    block = {key: _objects_only(value) for key, value in block.items()}
    block["type"] = resource_type
    return block


def _objects_only(value: Any) -> Any:
    if isinstance(value, list):
        return [item if isinstance(item, dict) else flat(item) for item in value]
    return flat(value)


def _service_block(service: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = snake(service, FLAT_KEYS)
    block["action"] = action
    block["event_first_seen"] = time_field(service, "eventFirstSeen")
    block["event_last_seen"] = time_field(service, "eventLastSeen")
    return block


# ---------------------------------------------------------------------------------------
# The EC2 instance
# ---------------------------------------------------------------------------------------


class _Host:
    def __init__(self) -> None:
        self.cloud: dict[str, Any] = {}
        self.names: list[str] = []
        self.ips: list[str] = []


def _instance(details: dict[str, Any]) -> _Host:
    host = _Host()
    if not details:
        return host
    instance_id = as_text(details.get("instanceId"))
    host.cloud = prune(
        {
            "instance": {"id": instance_id},
            "availability_zone": as_text(details.get("availabilityZone")),
            "machine": {"type": as_text(details.get("instanceType"))},
        }
    )
    names: list[Any] = [instance_id]
    addresses: list[Any] = []
    for interface in objects(optional_list(details, "networkInterfaces")):
        names += [interface.get("privateDnsName"), interface.get("publicDnsName")]
        addresses += [interface.get("privateIpAddress"), interface.get("publicIp")]
        addresses += [
            entry.get("privateIpAddress") for entry in objects(as_list(interface.get("privateIpAddresses")))
        ]
        addresses += as_list(interface.get("ipv6Addresses"))
    host.names = unique(as_text(name) for name in names)
    host.ips = unique(parse_ip(address) for address in addresses)
    return host
