"""One batch of flow records (Arrow columns) -> its documents and dead letters, in record order."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pyarrow as pa

from normalizers.base import DeadLetter, Item, Origin
from normalizers.loop import BatchFraming, batch_items
from normalizers.vpcflow.mapping import batch_fields
from normalizers.vpcflow.spec import SPEC
from normalizers.vpcflow.template import document_builder


def dead_letter(origin: Origin, reason: str, label: str, position: int, raw: bytes) -> DeadLetter:
    return DeadLetter(SPEC.name, reason, origin.object, f"{label} {position}", raw)


def emit(
    strings: dict[str, pa.Array],
    tgw: bool,
    framing: BatchFraming,
    problems: dict[int, str],
    pending: list[tuple[int, DeadLetter]],
    origin: Origin,
    integers: dict[str, pa.Array] | None = None,
) -> Iterator[Item]:
    """Documents and dead letters of one batch, in record order.

    ``pending`` holds the batch's lines rejected while parsing, with their line numbers;
    ``integers`` the Parquet integer columns of numeric fields (see ``batch_fields``).

    Not a generator itself (nor are the batch functions that call it): a clean batch's
    documents reach the reader's loop straight from the compiled template, with no
    generator frames between them to resume for every document.
    """
    length = len(framing.positions)
    if not length:
        return iter([letter for _, letter in pending])
    provider = "tgw-flow-logs" if tgw else "vpc-flow-logs"
    build = document_builder(batch_fields(strings, problems, length, provider, origin, integers or {}))
    # Bad rows get a document too (built from the same lists, then dropped): checking each
    # row first would cost every good row more than the rare bad ones cost.
    documents = build(map(_EventIds(origin.object).of, framing.positions, framing.id_texts))
    if not problems and not pending and not origin.keep_original:
        return documents  # the common case: every row of the batch is a document
    return batch_items(documents, framing, problems, pending, origin)


EVENT_ID_BYTES = 12
"""Bytes of blake2b in a flow's ``event.id``: 16 URL-safe characters, 96 bits. A collision
matters only between two records that a resumed chunk's check (:mod:`ingest.searchable`)
looks up in one index: none to expect below ~10^14 records per index."""


class _EventIds:
    """A flow's ``event.id``: blake2b-96 of its object, position and line (each followed by
    a NUL byte), base64url; the object's part hashed once per batch."""

    def __init__(self, obj: str) -> None:
        self._prefix = hashlib.blake2b(digest_size=EVENT_ID_BYTES)
        self._prefix.update(obj.encode("utf-8", "surrogateescape") + b"\x00")

    def of(self, position: int, line: bytes) -> str:
        digest = self._prefix.copy()
        digest.update(b"%d\x00%b\x00" % (position, line))
        return base64.urlsafe_b64encode(digest.digest()).decode("ascii")
