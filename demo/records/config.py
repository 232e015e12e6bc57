"""AWS Config records: configuration items, compliance items, and the S3 delivery channel's files.

Shapes as the AWS Config Developer Guide gives them for the S3 delivery channel (items with
``ARN``, ``awsAccountId``, ``configurationStateId`` a number; docs/sources/config.md):

- :func:`configuration_item`: one item; :func:`resource_compliance_item`: the
  ``AWS::Config::ResourceCompliance`` item Config records for a resource's rules;
- :func:`history_file`: ``{"fileVersion": "1.0", "configurationItems": [...]}`` and its key
  (:func:`history_key`); :func:`writability_check_key`: the 0-byte probe Config writes first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from demo.ids import iso_millis

Record = dict[str, Any]
ITEM_VERSION = "1.3"


def configuration_item(
    account: str,
    region: str,
    resource_type: str,
    resource_id: str,
    captured: datetime,
    configuration: Record | None,
    *,
    status: str = "OK",
    arn: str | None = None,
    name: str | None = None,
    related_events: tuple[str, ...] = (),
    relationships: tuple[Record, ...] = (),
    zone: str = "Not Applicable",
) -> Record:
    """One configuration item; its state id is the capture time in milliseconds, as Config's grow."""
    return {
        "relatedEvents": list(related_events),
        "relationships": list(relationships),
        "configuration": configuration,
        "supplementaryConfiguration": {},
        "tags": {},
        "configurationItemVersion": ITEM_VERSION,
        "configurationItemCaptureTime": iso_millis(captured),
        "configurationStateId": int(captured.timestamp() * 1000),
        "awsAccountId": account,
        "configurationItemStatus": status,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": name,
        "ARN": arn,
        "awsRegion": region,
        "availabilityZone": zone,
        "configurationStateMd5Hash": "",
    }


def resource_compliance_item(
    account: str,
    region: str,
    resource_type: str,
    resource_id: str,
    captured: datetime,
    rules: tuple[tuple[str, str], ...],
) -> Record:
    """The compliance item of one resource: ``rules`` as ``(rule name, compliance type)``."""
    rule_list = [
        {
            "configRuleArn": f"arn:aws:config:{region}:{account}:config-rule/config-rule-{number:06x}",
            "configRuleId": f"config-rule-{number:06x}",
            "configRuleName": name,
            "complianceType": compliance,
        }
        for number, (name, compliance) in enumerate(rules, start=1)
    ]
    overall = "NON_COMPLIANT" if any(c == "NON_COMPLIANT" for _, c in rules) else "COMPLIANT"
    resource = f"{resource_type}/{resource_id}"
    return configuration_item(
        account,
        region,
        "AWS::Config::ResourceCompliance",
        resource,
        captured,
        {
            "complianceType": overall,
            "configRuleList": rule_list,
            "resourceId": resource_id,
            "resourceType": resource_type,
        },
        arn=f"arn:aws:config:{region}:{account}:resource-compliance/{resource}",
        name=resource,
        relationships=(
            {"resourceId": resource_id, "resourceType": resource_type, "name": "Is associated with "},
        ),
    )


def history_file(items: list[Record]) -> bytes:
    return orjson.dumps({"fileVersion": "1.0", "configurationItems": items})


def snapshot_file(items: list[Record], snapshot_id: str = "7c1e0a52-3b1d-4f6e-9a8b-0c1d2e3f4a5b") -> bytes:
    """A configuration snapshot file as the S3 delivery channel writes it."""
    return orjson.dumps({"fileVersion": "1.0", "configSnapshotId": snapshot_id, "configurationItems": items})


def snapshot_key(account: str, region: str, delivered: datetime, snapshot_id: str) -> str:
    """``AWSLogs/<acct>/Config/<region>/<yyyy>/<m>/<d>/ConfigSnapshot/<acct>_Config_<region>_ConfigSnapshot_<time>_<id>.json.gz``."""
    return (
        f"AWSLogs/{account}/Config/{region}/{delivered.year}/{delivered.month}/{delivered.day}/ConfigSnapshot/"
        f"{account}_Config_{region}_ConfigSnapshot_{delivered:%Y%m%dT%H%M%SZ}_{snapshot_id}.json.gz"
    )


def history_key(account: str, region: str, resource_type: str, start: datetime, end: datetime) -> str:
    """``AWSLogs/<acct>/Config/<region>/<yyyy>/<m>/<d>/ConfigHistory/<acct>_Config_<region>_ConfigHistory_<type>_<start>_<end>_1.json.gz``."""
    kind = resource_type.replace("::", "_")
    return (
        f"AWSLogs/{account}/Config/{region}/{start.year}/{start.month}/{start.day}/ConfigHistory/"
        f"{account}_Config_{region}_ConfigHistory_{kind}_{start:%Y%m%dT%H%M%SZ}_{end:%Y%m%dT%H%M%SZ}_1.json.gz"
    )


def writability_check_key(account: str) -> str:
    return f"AWSLogs/{account}/Config/ConfigWritabilityCheckFile"
