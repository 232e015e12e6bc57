"""AWS Config snapshot files import their compliance items only, unless the full inventory is
asked for; history files and notifications are read as before. What a snapshot is comes from
the AWS Config Developer Guide: the delivery channel writes it under
``.../Config/<region>/<y>/<m>/<d>/ConfigSnapshot/<account>_Config_<region>_ConfigSnapshot_<time>_<id>.json.gz``,
a JSON object whose ``configSnapshotId`` sits beside ``configurationItems``."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime

import orjson
import pytest

from demo.records import config as cfg
from normalizers import DeadLetter, Origin, normalize_object

ACCOUNT, REGION = "123456789012", "eu-west-1"
CAPTURED = datetime(2026, 11, 5, 6, tzinfo=UTC)
SNAPSHOT_ID = "0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d"
SKIPPED = "AWS Config snapshot inventory item"
ITEMS = [
    cfg.configuration_item(ACCOUNT, REGION, "AWS::EC2::SecurityGroup", "sg-1", CAPTURED, {"groupId": "sg-1"}),
    cfg.resource_compliance_item(
        ACCOUNT,
        REGION,
        "AWS::EC2::SecurityGroup",
        "sg-1",
        CAPTURED,
        (("restricted-ssh", "NON_COMPLIANT"), ("vpc-sg-open-only-to-authorized-ports", "COMPLIANT")),
    ),
    cfg.configuration_item(ACCOUNT, "global", "AWS::IAM::User", "AIDAEXAMPLE1", CAPTURED, {"userName": "ci"}),
]
SNAPSHOT_KEY = cfg.snapshot_key(ACCOUNT, REGION, CAPTURED, SNAPSHOT_ID)
HISTORY_KEY = cfg.history_key(ACCOUNT, REGION, "AWS::EC2::SecurityGroup", CAPTURED, CAPTURED)


def _read(
    key: str, data: bytes, inventory: bool = False
) -> tuple[list[dict[str, object]], int, dict[str, int]]:
    """(documents, dead letters, skipped records) of the object, as the pipeline counts them."""
    origin = Origin(
        object=f"s3://logs/config/{key}",
        ingested="2026-11-05T07:00:00.000Z",
        config_snapshot_inventory=inventory,
    )
    normalized = normalize_object(io.BytesIO(gzip.compress(data)), origin)
    items = list(normalized)
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    assert normalized.outcome.source == "config"
    return documents, len(items) - len(documents), normalized.outcome.skipped_records


def _kinds(documents: list[dict[str, object]]) -> list[tuple[str, object]]:
    return [
        (document["aws"]["config"]["resource"]["type"], document.get("rule", {}).get("name"))  # type: ignore[index,union-attr]
        for document in documents
    ]


def test_a_snapshot_imports_its_compliance_items_and_counts_the_rest() -> None:
    documents, dead, skipped = _read(SNAPSHOT_KEY, cfg.snapshot_file(ITEMS, SNAPSHOT_ID))
    assert _kinds(documents) == [
        ("AWS::Config::ResourceCompliance", "restricted-ssh"),
        ("AWS::Config::ResourceCompliance", "vpc-sg-open-only-to-authorized-ports"),
    ]
    assert dead == 0 and skipped == {SKIPPED: 2}  # the security group's and the user's items


def test_the_full_inventory_on_request() -> None:
    documents, dead, skipped = _read(SNAPSHOT_KEY, cfg.snapshot_file(ITEMS, SNAPSHOT_ID), inventory=True)
    assert _kinds(documents) == [
        ("AWS::EC2::SecurityGroup", None),
        ("AWS::Config::ResourceCompliance", "restricted-ssh"),
        ("AWS::Config::ResourceCompliance", "vpc-sg-open-only-to-authorized-ports"),
        ("AWS::IAM::User", None),
    ]
    assert dead == 0 and skipped == {}


@pytest.mark.parametrize(
    ("key", "data"),
    [
        # The snapshot id after the items: the key alone says it is a snapshot.
        (
            SNAPSHOT_KEY,
            orjson.dumps(
                {"fileVersion": "1.0", "configurationItems": ITEMS, "configSnapshotId": SNAPSHOT_ID}
            ),
        ),
        # A snapshot copied under another name (a local file): its configSnapshotId says it, pretty-printed too.
        (
            "exports/config-2026-11-05.json.gz",
            json.dumps(json.loads(cfg.snapshot_file(ITEMS)), indent=2).encode(),
        ),
    ],
)
def test_a_snapshot_is_told_by_its_key_or_by_its_content(key: str, data: bytes) -> None:
    documents, _, skipped = _read(key, data)
    assert len(documents) == 2 and skipped == {SKIPPED: 2}


def test_history_files_and_notifications_are_read_whole() -> None:
    documents, dead, skipped = _read(HISTORY_KEY, cfg.history_file(ITEMS))
    assert len(documents) == 4 and dead == 0 and skipped == {}
    notification = {
        "version": "0",
        "id": "5a8e0f6d-1d2c-4b7a-9e3f-2a1b0c9d8e7f",
        "detail-type": "Config Configuration Item Change",
        "source": "aws.config",
        "account": ACCOUNT,
        "time": "2026-11-05T06:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {
            "messageType": "ConfigurationItemChangeNotification",
            "configurationItemDiff": {"changeType": "UPDATE", "changedProperties": {}},
            "configurationItem": ITEMS[0],
        },
    }
    # Under the snapshot key, an object of notifications is still no snapshot file.
    documents, dead, skipped = _read(SNAPSHOT_KEY, orjson.dumps(notification) + b"\n")
    assert _kinds(documents) == [("AWS::EC2::SecurityGroup", None)] and skipped == {}
