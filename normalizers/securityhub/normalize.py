"""Security Hub's entry point: one document or dead letter per finding (ASFF or OCSF) of an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers.base import Document, Item, Origin
from normalizers.ecs.values import as_text
from normalizers.loop import json_items
from normalizers.securityhub.mapping import asff_document
from normalizers.securityhub.ocsf import is_ocsf_finding, ocsf_finding_document
from normalizers.securityhub.spec import SPEC


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per finding of ``stream`` (decompressed)."""

    def mapper(finding: dict[str, Any], raw: bytes, envelope: dict[str, Any] | None) -> Document:
        envelope_account = as_text(envelope.get("account")) if envelope else None
        if is_ocsf_finding(finding):
            return ocsf_finding_document(finding, origin, raw, envelope_account)
        return asff_document(finding, origin, raw, envelope_account)

    return json_items(SPEC, stream, origin, mapper)
