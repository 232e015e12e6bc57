"""CloudTrail's entry point: one document or dead letter per record of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.cloudtrail.actor import ActorCache
from normalizers.cloudtrail.mapping import build_document
from normalizers.cloudtrail.spec import SPEC
from normalizers.framing.envelopes import Framed
from normalizers.loop import json_items


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per CloudTrail record of ``stream`` (decompressed)."""
    actors = ActorCache()

    def mapper(record: dict[str, Any], framed: Framed) -> Document:
        return build_document(record, framed.raw, framed.envelope, origin, actors)

    return json_items(SPEC, stream, origin, mapper)
