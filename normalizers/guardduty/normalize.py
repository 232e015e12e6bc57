"""GuardDuty's entry point: one document or dead letter per finding of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.guardduty.mapping import finding_document
from normalizers.guardduty.spec import SPEC
from normalizers.loop import json_items


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per finding of ``stream`` (decompressed)."""

    def mapper(finding: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> Document:
        return finding_document(finding, origin, raw)

    return json_items(SPEC, stream, origin, mapper)
