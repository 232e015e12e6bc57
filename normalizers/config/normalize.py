"""AWS Config's entry point: the documents or the dead letter of each record of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.config.mapping import documents_of
from normalizers.config.spec import SPEC
from normalizers.loop import json_items


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield the documents of each record of ``stream`` (decompressed), or its dead letter."""

    def mapper(record: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> list[Document]:
        return documents_of(record, raw, envelope, origin)

    return json_items(SPEC, stream, origin, mapper)
