"""AWS Config records -> ECS documents, by small pure functions (docs/sources/config.md).

Three records, each read in every shape Config delivers it:

- a configuration item: an item of a configuration history or snapshot file
  (``configurationItems``), the ``configurationItem`` of a change notification (EventBridge
  "Config Configuration Item Change", or SNS), or the API's shape
  (``aws configservice get-resource-config-history``); one document, whose ``event.id`` is
  the item's state (account/region/type/id/``configurationStateId``) so that the history and
  snapshot copies of one item are one document (an oversized item's summary, which is not the
  item, adds ``@<notificationCreationTime>``);
- an ``AWS::Config::ResourceCompliance`` item: one document per rule it lists;
- a compliance change notification ("Config Rules Compliance Change"): one document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from normalizers.base import Document, Origin
from normalizers.config.configuration import configuration_value, supplementary
from normalizers.config.rules import category_of, rule_block
from normalizers.config.tables import (
    API_NAMES,
    COMPLIANCE_NOTIFICATION,
    EVENT_TYPES,
    NO_ZONE,
    RESOURCE_COMPLIANCE,
)
from normalizers.ecs.address import parse_ip
from normalizers.ecs.finding import rule_fields
from normalizers.ecs.getters import (
    optional_list,
    optional_obj,
    optional_str,
    required_str,
    time_field,
)
from normalizers.ecs.ids import searchable_id
from normalizers.ecs.values import as_dict, as_list, as_text, compact, flat, objects, unique
from normalizers.reasons import INVALID_RECORD, RecordError


def documents_of(
    record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None, origin: Origin
) -> list[Document]:
    """The documents of one Config record (an item, a notification or a compliance change)."""
    if "configurationItemCaptureTime" in record:
        return item_documents(record, raw, origin, None)
    if record.get("messageType") == COMPLIANCE_NOTIFICATION or "newEvaluationResult" in record:
        return [compliance_change_document(record, raw, envelope, origin)]
    notification = record
    item = optional_obj(notification, "configurationItem") or optional_obj(
        notification, "configurationItemSummary"
    )
    if not item:
        kind = as_text(record.get("messageType")) or "a record without configurationItem"
        raise RecordError(INVALID_RECORD, f"{kind} carries no configuration item")
    return item_documents(item, raw, origin, notification)


# -- configuration items ----------------------------------------------------------------


def item_documents(
    item: dict[str, Any], raw: bytes, origin: Origin, notification: dict[str, Any] | None
) -> list[Document]:
    """One document for an item; one per rule for a resource's compliance item."""
    item = _api_named(item)
    document = _item_document(item, raw, origin, notification)
    base_id = document["event"]["id"]
    document["event"]["id"] = searchable_id(base_id)
    if item.get("resourceType") != RESOURCE_COMPLIANCE:
        return [compact(document)]
    configuration = as_dict(document["aws"]["config"].get("configuration"))
    evaluated = {
        "type": as_text(configuration.get("resourceType")),
        "id": as_text(configuration.get("resourceId")),
    }
    rules = objects(as_list(configuration.get("configRuleList")))
    if not rules:  # a deleted compliance item names no rule: the item alone
        return [compact(document)]
    documents = []
    for rule in rules:
        name = as_text(rule.get("configRuleName"))
        compliance = as_text(rule.get("complianceType"))
        copy = _copied(document)
        copy["event"]["id"] = searchable_id(f"{base_id}/{name}")
        copy["event"]["kind"] = "state"
        copy["event"]["outcome"] = _outcome(compliance)
        copy["rule"] = rule_fields(
            as_text(rule.get("configRuleId")), name, category_of(name) if name else None
        )
        block = copy["aws"]["config"]
        block["rule"] = rule_block(name, rule.get("configRuleArn"), rule.get("configRuleId"))
        block["compliance"] = {"type": compliance}
        block["evaluated_resource"] = evaluated
        documents.append(compact(copy))
    return documents


def _item_document(
    item: dict[str, Any], raw: bytes, origin: Origin, notification: dict[str, Any] | None
) -> Document:
    captured = time_field(item, "configurationItemCaptureTime", required=True)
    account = required_str(item, "accountId")
    region = required_str(item, "awsRegion")
    resource_type = required_str(item, "resourceType")
    resource_id = required_str(item, "resourceId")
    state = _state_id(item.get("configurationStateId"))
    status = optional_str(item, "configurationItemStatus")
    diff = optional_obj(notification, "configurationItemDiff")
    configuration = configuration_value(item.get("configuration"))
    event_id = f"{account}/{region}/{resource_type}/{resource_id}/{state}"
    if notification is not None and "configurationItem" not in notification:
        # An oversized item's summary (no configuration) is not the item Config delivers to S3
        # instead, which the history file repeats: its own id, so that the crash-resume lookup
        # by event.id (ingest/searchable.py) never takes one for the other.
        event_id += f"@{time_field(notification, 'notificationCreationTime') or captured}"
    return {
        "@timestamp": captured,
        "message": f"{resource_type} {resource_id}: {status}" if status else f"{resource_type} {resource_id}",
        "event": {
            "kind": "event",
            "category": ["configuration"],
            "type": [EVENT_TYPES.get(status or "", "info")],
            "action": status or "ConfigurationItem",
            "outcome": "success",  # the change happened; a rule's verdict replaces it per rule
            "id": event_id,
            "created": time_field(notification, "notificationCreationTime"),
            "provider": "config",
            "ingested": origin.ingested,
            "original": raw.decode("utf-8", "replace") if origin.keep_original else None,
        },
        "cloud": {  # cloud.provider, event.dataset, event.module: constants of the index
            "account": {"id": account},
            "region": region,
            "availability_zone": _zone(item.get("availabilityZone")),
        },
        "aws": {
            "config": {
                "resource": {
                    "type": resource_type,
                    "id": resource_id,
                    "arn": optional_str(item, "arn"),
                    "name": optional_str(item, "resourceName"),
                    "creation_time": time_field(item, "resourceCreationTime"),
                },
                "configuration_item": {
                    "status": status,
                    "capture_time": captured,
                    "state_id": state,
                    "version": as_text(item.get("version")),
                    "md5_hash": as_text(item.get("configurationItemMD5Hash")),
                },
                "related_events": unique(
                    searchable_id(event) for event in optional_list(item, "relatedEvents") if as_text(event)
                ),
                "relationships": [
                    _relationship(entry) for entry in objects(optional_list(item, "relationships"))
                ],
                "configuration": configuration,
                "supplementary_configuration": supplementary(item.get("supplementaryConfiguration")),
                "tags": flat(item.get("tags")),
                "change": {
                    "type": as_text(diff.get("changeType")) or as_text(item.get("changeType")),
                    "changed_properties": flat(diff.get("changedProperties")),
                },
                "message_type": as_text((notification or {}).get("messageType")),
            }
        },
        "related": _related(item),
    }


_INSTANCE = re.compile(r"(?<![\w-])i-(?:[0-9a-f]{17}|[0-9a-f]{8})(?![\w-])")
MAX_RELATED = 100
"""Addresses and instances kept per item: a VPC's item can name hundreds (a bound, not a need)."""


def _related(item: dict[str, Any]) -> dict[str, list[str]]:
    """The addresses and EC2 instances the item names anywhere (its id, ARN, relationships,
    configuration), so an item is found by ``related.ip``/``related.hosts`` like any record."""
    ips: dict[str, None] = {}
    hosts: dict[str, None] = {}
    for text in _strings(item):
        address = parse_ip(text)
        if address and len(ips) < MAX_RELATED:
            ips[address] = None
        for instance in _INSTANCE.findall(text):
            if len(hosts) < MAX_RELATED:
                hosts[instance] = None
    return {"ip": list(ips), "hosts": list(hosts)}


def _strings(node: Any, depth: int = 0) -> Iterator[str]:
    if depth > 32:  # records are bounded in size already; nesting is bounded here
        return
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, depth + 1)
    elif isinstance(node, str):
        yield node


def _api_named(item: dict[str, Any]) -> dict[str, Any]:
    """The item with the API's member names (botocore's ``ConfigurationItem``)."""
    if not any(delivered in item for delivered, _ in API_NAMES):
        return item
    renamed = dict(item)
    for delivered, api in API_NAMES:
        if delivered in renamed:
            value = renamed.pop(delivered)
            renamed.setdefault(api, value)
    return renamed


def _state_id(value: Any) -> str:
    """``configurationStateId``: a number in delivered files, a string in the API."""
    if isinstance(value, bool) or value is None or value == "":
        raise RecordError(INVALID_RECORD, "configurationStateId is missing")
    if isinstance(value, int | str):
        return str(value)
    raise RecordError(INVALID_RECORD, f"configurationStateId is a {type(value).__name__}")


def _zone(value: Any) -> str | None:
    """An Availability Zone; Config's words for none (``Regional``...) are dropped."""
    zone = as_text(value)
    return zone if zone and zone not in NO_ZONE else None


def _relationship(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": as_text(entry.get("relationshipName")) or as_text(entry.get("name")),
        "resource_type": as_text(entry.get("resourceType")),
        "resource_id": as_text(entry.get("resourceId")),
        "resource_name": as_text(entry.get("resourceName")),
    }


def _copied(document: Document) -> Document:
    """A copy deep enough to change ``event``, ``rule`` and ``aws.config`` per rule."""
    copy = dict(document)
    copy["event"] = dict(document["event"])
    copy["aws"] = {"config": dict(document["aws"]["config"])}
    return copy


# -- compliance changes -------------------------------------------------------------------


def compliance_change_document(
    record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None, origin: Origin
) -> Document:
    """A "Config Rules Compliance Change": a rule's verdict on a resource changed."""
    new = optional_obj(record, "newEvaluationResult")
    old = optional_obj(record, "oldEvaluationResult")
    qualifier = optional_obj(optional_obj(new, "evaluationResultIdentifier"), "evaluationResultQualifier")
    account = optional_str(record, "awsAccountId") or optional_str(envelope, "account")
    region = optional_str(record, "awsRegion") or optional_str(envelope, "region")
    rule = optional_str(record, "configRuleName") or optional_str(qualifier, "configRuleName")
    resource_type = optional_str(record, "resourceType") or optional_str(qualifier, "resourceType")
    resource_id = optional_str(record, "resourceId") or optional_str(qualifier, "resourceId")
    for name, value in (
        ("awsAccountId", account),
        ("awsRegion", region),
        ("configRuleName", rule),
        ("resourceType", resource_type),
        ("resourceId", resource_id),
    ):
        if value is None:
            raise RecordError(INVALID_RECORD, f"the compliance change has no {name}")
    assert rule is not None
    recorded = (
        time_field(new, "resultRecordedTime")
        or time_field(record, "notificationCreationTime")
        or time_field(envelope, "time", required=True)
    )
    compliance = optional_str(new, "complianceType")
    rule_arn = optional_str(record, "configRuleARN")
    block = rule_block(rule, rule_arn)
    return compact(
        {
            "@timestamp": recorded,
            "message": f"{rule}: {resource_type} {resource_id} is {compliance}",
            "event": {
                "kind": "state",
                "category": ["configuration"],
                "type": ["change"],
                "action": COMPLIANCE_NOTIFICATION,
                "outcome": _outcome(compliance),
                "id": searchable_id(f"{account}/{region}/{resource_type}/{resource_id}/{rule}@{recorded}"),
                "created": time_field(record, "notificationCreationTime"),
                "provider": "config",
                "ingested": origin.ingested,
                "original": raw.decode("utf-8", "replace") if origin.keep_original else None,
            },
            "cloud": {"account": {"id": account}, "region": region},  # provider: a constant of the index
            "rule": rule_fields(block.get("id"), rule, category_of(rule)),
            "aws": {
                "config": {
                    "resource": {"type": resource_type, "id": resource_id},
                    "evaluated_resource": {"type": resource_type, "id": resource_id},
                    "rule": block,
                    "compliance": {
                        "type": compliance,
                        "previous_type": optional_str(old, "complianceType"),
                        "annotation": optional_str(new, "annotation"),
                        "evaluation_mode": optional_str(qualifier, "evaluationMode"),
                        "recorded_time": time_field(new, "resultRecordedTime"),
                        "invoked_time": time_field(new, "configRuleInvokedTime"),
                    },
                    "message_type": as_text(record.get("messageType")),
                }
            },
        }
    )


def _outcome(compliance: str | None) -> str:
    """A rule's verdict as an ECS outcome: passing is ``success``, failing ``failure``."""
    if compliance == "COMPLIANT":
        return "success"
    if compliance == "NON_COMPLIANT":
        return "failure"
    return "unknown"
