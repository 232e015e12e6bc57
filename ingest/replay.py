"""The items a dead-letter file stands for, for ``siem replay-dead-letters``.

Entries of stage ``normalize`` go back through their source's normalizer; entries of stage
``index`` (documents OpenSearch refused) are sent again as they are; entries with nothing to
replay (stage ``read``, or a cut record) stay dead letters. The processor does the rest, as for
any object (docs/ingest.md).

A dead-letter file is data, and whoever can write one chooses its ``source``: that name becomes
the folder or S3 key prefix its records are dead-lettered under again and the index its
documents go to. So only a known source name is accepted (:data:`DEAD_LETTER_SOURCES`: the
normalizers' sources and ``unknown``). A line that is not a dead letter, or names any other
source (``../../etc``, ``/abs``, ``cloudtrail/../../x``, a NUL byte), is refused: it becomes a
dead letter of its own, source ``unknown``, with the reason and the whole line as its raw bytes,
so it is counted, kept, and reported on stderr; the rest of the file replays. So is a line
that fails in any other way while it is read (an error of a normalizer, say): one line never
stops its file.
"""

from __future__ import annotations

import binascii
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ingest.deadletters import DEAD_LETTER_SOURCES, UNKNOWN_SOURCE
from ingest.processor import SourcedItem, ingested_now
from ingest.reader import OpenedObject
from normalizers import SOURCES, DeadLetter, Origin, normalize_object

LOGGER = logging.getLogger(__name__)
REPORTED_REFUSALS = 10
"""Refused lines told one by one per file; the others are counted in one last line."""


class Refused(ValueError):
    """A line of a dead-letter file that is not a dead letter this replay accepts."""


def replayed_items(opened: OpenedObject) -> Iterator[SourcedItem]:
    """The items a dead-letter file stands for, in file order; see the module doc."""
    ingested = ingested_now()
    location = opened.identity.location
    refused = 0
    for number, line in enumerate(opened.stream, start=1):
        if not line.strip():
            continue
        try:
            items = list(_entry_items(_accepted(line), ingested))
        except Exception as error:  # whatever a line does, it does to itself: the others replay
            refused += 1
            why = str(error) if isinstance(error, Refused) else f"cannot be replayed: {type(error).__name__}"
            if refused <= REPORTED_REFUSALS:
                LOGGER.warning("%s line %d refused: %s", location, number, why)
            letter = DeadLetter(
                UNKNOWN_SOURCE, f"invalid dead letter: {why}", location, f"line {number}", line.rstrip(b"\n")
            )
            yield UNKNOWN_SOURCE, letter
            continue
        yield from items
    if refused > REPORTED_REFUSALS:
        LOGGER.warning("%s: %d lines refused in all", location, refused)


@dataclass(frozen=True, slots=True)
class _Entry:
    source: str
    stage: str
    raw: bytes
    fields: dict[str, Any]
    document: dict[str, Any] | None = None
    """Stage ``index``: the refused document in ``raw``."""


def _accepted(line: bytes) -> _Entry:
    """The dead letter on ``line``, or :class:`Refused` with why."""
    try:
        fields = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise Refused("not JSON") from None
    if not isinstance(fields, dict):
        raise Refused("not a JSON object")
    source = fields.get("source", UNKNOWN_SOURCE)
    if not isinstance(source, str) or source not in DEAD_LETTER_SOURCES:
        raise Refused(f"unknown source {_shown(source)}; known: {', '.join(sorted(DEAD_LETTER_SOURCES))}")
    stage = str(fields.get("stage", "normalize"))
    try:
        raw = DeadLetter.raw_from_json(fields)
    except (binascii.Error, ValueError, TypeError):
        raise Refused("raw is not valid base64") from None
    if stage != "index":
        return _Entry(source, stage, raw, fields)
    if source not in SOURCES:
        raise Refused(f"a refused document needs its source, not {_shown(source)}")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise Refused("the refused document in raw is not a JSON object")
    return _Entry(source, stage, raw, fields, document)


def _entry_items(entry: _Entry, ingested: str) -> Iterator[SourcedItem]:
    source, raw, fields = entry.source, entry.raw, entry.fields
    if entry.document is not None:
        yield source, entry.document
        return
    if entry.stage in ("read", "provenance") or not raw:
        # Nothing to replay (the object was gone, or the input was cut), or nothing that may be
        # (its object had no right to carry it: docs/ingest.md, "Provenance"); keep it visible.
        reason, where, position = (str(fields.get(name)) for name in ("reason", "object", "position"))
        yield source, DeadLetter(source, reason, where, position, raw)
        return
    origin = Origin(object=str(fields.get("object")), ingested=ingested)
    normalized = normalize_object(io.BytesIO(raw), origin, source if source in SOURCES else None)
    for item in normalized:
        if isinstance(item, DeadLetter):
            item = DeadLetter(item.source, item.reason, item.object, str(fields.get("position")), item.raw)
        # The source detected (a record of an "unknown" object that a normalizer now reads).
        yield normalized.outcome.source or UNKNOWN_SOURCE, item


def _shown(value: object) -> str:
    """A value from the file, quoted and escaped (no control character reaches a terminal), cut."""
    text = ascii(value)
    return text if len(text) <= 80 else f"{text[:80]}..."
