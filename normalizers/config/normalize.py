"""AWS Config's entry point: the documents or the dead letter of each record of an object.

A configuration snapshot file holds the whole inventory of a region, every day or so: by
default only its ``AWS::Config::ResourceCompliance`` items (the compliance the posture and
the reports read) are indexed, and each other item is counted as skipped
(:class:`~normalizers.base.Skipped`, ``outcome.skipped_records``). The history files and the
notifications record each change when it happens, so nothing of the configuration timeline
is lost; ``Origin.config_snapshot_inventory`` (``CONFIG_SNAPSHOT_INVENTORY``) indexes the
snapshot's every item too (docs/sources/config.md, "Snapshots").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin, Skipped
from normalizers.config.mapping import documents_of
from normalizers.config.spec import SPEC
from normalizers.config.tables import RESOURCE_COMPLIANCE
from normalizers.loop import json_items

SNAPSHOT_INVENTORY = Skipped("AWS Config snapshot inventory item")
# The delivery channel's snapshot keys (AWS Config Developer Guide, "Configuration snapshot"):
# AWSLogs/<account>/Config/<region>/<y>/<m>/<d>/ConfigSnapshot/<account>_Config_<region>_ConfigSnapshot_<time>_<id>.json.gz
_SNAPSHOT_KEY = re.compile(r"/ConfigSnapshot/|_ConfigSnapshot_")
# ... and their content: the snapshot's id is a member of the file beside its items.
_SNAPSHOT_HEADER = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{[^\[\]{}]*"configSnapshotId"\s*:')
_HEADER_BYTES = 4096


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item | Skipped]:
    """Yield the documents of each record of ``stream`` (decompressed), or its dead letter."""
    compliance_only = not origin.config_snapshot_inventory and is_snapshot(stream, origin)
    skipped = 0

    def mapper(record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> list[Document]:
        nonlocal skipped
        if compliance_only and envelope is None and is_inventory_item(record):
            skipped += 1
            return []
        return documents_of(record, raw, envelope, origin)

    for item in json_items(SPEC, stream, origin, mapper):
        yield from _skipped(skipped)
        skipped = 0
        yield item
    yield from _skipped(skipped)


def _skipped(count: int) -> Iterator[Skipped]:
    for _ in range(count):
        yield SNAPSHOT_INVENTORY


def is_snapshot(stream: BinaryIO, origin: Origin) -> bool:
    """Whether the object is a configuration snapshot file: by its key, else by its header
    (read without consuming it, where the stream can peek)."""
    if _SNAPSHOT_KEY.search(origin.object):
        return True
    peek = getattr(stream, "peek", None)
    head = peek(_HEADER_BYTES)[:_HEADER_BYTES] if callable(peek) else b""
    return _SNAPSHOT_HEADER.search(head) is not None


def is_inventory_item(record: dict[str, Any]) -> bool:
    """A configuration item of any resource type but a resource's compliance."""
    return "configurationItemCaptureTime" in record and record.get("resourceType") != RESOURCE_COMPLIANCE
