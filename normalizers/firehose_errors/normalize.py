"""Firehose error output -> the documents of the records it failed to deliver, each routed to its
source (docs/sources/firehose_errors.md).

An error output object holds one JSON object per failed record (Amazon Data Firehose Developer
Guide, "Handle data delivery failure", "Data transformation failure handling", "Record format
conversion error handling", "Dynamic partitioning"). What this reader relies on, and nothing more:

- ``rawData``: the record Firehose received, base64 (standard alphabet, padded): required,
  every kind of error record has it;
- ``errorCode``/``errorMessage`` (``lastErrorCode``/``lastErrorMessage`` for format conversion
  errors), ``attemptsMade``, ``arrivalTimestamp``: kept as provenance when they have the
  documented type, ignored otherwise (a record is never lost for its metadata);
- any other member (``attemptEndingTimestamp``, ``lambdaArn``, ``subsequenceNumber``,
  ``dynamicPartitioningKeys``, ``dataCatalogTable``...): ignored.

The objects are cut by the shared splitter (:mod:`~normalizers.framing.json_stream`), so a
line that is not JSON, not an object or has no valid ``rawData`` is one dead letter with its
bytes. The lines are cut with room for a record of the record limit in base64
(:func:`line_limits`: a longer line is a dead letter of the splitter's, ``record too large``), and
the decoded record is held to the record limit (a ``rawData`` decoding past it is a dead
letter, told before it is decoded), then recognized by content
(:func:`~normalizers.detect.detect`) and read by its source's own normalizer (envelopes,
splitter, mapper): a finding recovered here is the document it would have been through the
Firehose stream, same ``event.id``, plus ``aws.firehose_errors.*``. Only the sources the member
stack's streams carry are read; a record of any other kind is a dead letter whose bytes are the
decoded record.
"""

from __future__ import annotations

import binascii
import dataclasses
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from normalizers import registry
from normalizers.base import DeadLetter, Origin, Skipped
from normalizers.delivery import Routed
from normalizers.detect import detect
from normalizers.ecs.getters import json_type
from normalizers.ecs.timestamps import epoch_millis_timestamp
from normalizers.firehose_errors.delivery import DELIVERY
from normalizers.framing.json_stream import json_records
from normalizers.layouts import firehose_error_output_type
from normalizers.limits import Limits
from normalizers.object_key import object_key
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, RECORD_TOO_LARGE, UNRECOGNIZED_FORMAT

UNKNOWN = "unknown"
"""The source of a dead letter for an error record that cannot be read (it replays by its key)."""
MAX_ERROR_TEXT = 2048
"""Characters kept of an error code or message: Firehose's are a word and a sentence; the rest
of a longer one stays in the object."""
HEAD = 1 << 16
"""Decoded bytes looked at to recognize the record, as for an object."""
NO_RECORD = "Firehose error record whose rawData holds no record"
LINE_METADATA = 1 << 16
"""Bytes of an error line besides its ``rawData``: codes, messages, times, ARNs, partition keys
(a few hundred in Firehose's own lines)."""


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Routed | Skipped]:
    """Each recovered record's item, named by its source, in the object's order."""
    output_type = firehose_error_output_type(object_key(origin.object))
    for record in json_records(stream, limits=line_limits(origin.limits)):
        position = f"record {record.index}"
        if record.error is not None:
            yield _letter(UNKNOWN, record.error, origin, position, record.raw)
            continue
        value = record.value
        problem = _not_an_error_record(value)
        if problem is not None:
            yield _letter(UNKNOWN, problem, origin, position, record.raw)
            continue
        decoded = _decoded(value["rawData"], origin.limits.max_record_bytes)
        if isinstance(decoded, str):
            yield _letter(UNKNOWN, decoded, origin, position, record.raw)
            continue
        yield from _recovered(decoded, _provenance(value, output_type), origin, position)


def line_limits(limits: Limits) -> Limits:
    """The object's limits for its lines: a line may hold a record of the record limit in
    base64 (4 bytes for 3) and :data:`LINE_METADATA` bytes of the error's other members; the
    record it holds is held to the record limit itself once it is known (:func:`_decoded`)."""
    record = limits.max_record_bytes
    return dataclasses.replace(limits, max_record_bytes=(record + 2) // 3 * 4 + LINE_METADATA)


def _not_an_error_record(value: Any) -> str | None:
    if type(value) is not dict:
        return f"{INVALID_RECORD}: a Firehose error record must be a JSON object, not {json_type(value)}"
    if "rawData" not in value:
        return f"{MISSING_FIELD}: rawData (the record Firehose could not deliver)"
    if not isinstance(value["rawData"], str):
        return f"{INVALID_RECORD}: rawData is a {json_type(value['rawData'])}, expected base64 text"
    return None


def _decoded(text: str, limit: int) -> bytes | str:
    """The bytes of ``rawData``, or the dead letter's reason: past ``limit`` (the record limit),
    told from the text's length before anything is decoded."""
    size = len(text) // 4 * 3 - text.endswith("=") - text.endswith("==")
    if size > limit:
        return f"{RECORD_TOO_LARGE}: rawData decodes to {size} bytes, more than {limit}"
    try:
        decoded = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (UnicodeEncodeError, binascii.Error) as error:
        return f"{INVALID_RECORD}: rawData is not base64: {error}"
    if not decoded.strip():
        return f"{INVALID_RECORD}: rawData holds no record"
    return decoded


def _recovered(
    decoded: bytes, provenance: dict[str, Any], origin: Origin, position: str
) -> Iterator[Routed | Skipped]:
    """The items of the record ``decoded``, read by its source's normalizer."""
    found = detect(decoded[:HEAD], "", origin)
    source = found.source
    if source is None or source not in DELIVERY.carries or found.skip or found.delivery:
        what = found.delivery or source or "no source's record"
        carried = " and ".join(DELIVERY.carries)
        reason = f"{UNRECOGNIZED_FORMAT}: rawData holds {what}; Firehose error output is read for {carried}"
        yield _letter(source or UNKNOWN, reason, origin, f"{position} rawData", decoded)
        return
    items = 0
    for item in registry.normalizer(source)(io.BytesIO(decoded), origin):
        if isinstance(item, Skipped):
            yield item
            continue
        items += 1
        if isinstance(item, DeadLetter):
            where = f"{position} rawData {item.position}"
            yield Routed(source, DeadLetter(item.source, item.reason, item.object, where, item.raw))
            continue
        aws = item.setdefault("aws", {})
        aws[DELIVERY.name] = dict(provenance)
        yield Routed(source, item)
    if not items:  # an event whose batch is empty: nothing to index, still counted
        yield Skipped(NO_RECORD)


def _provenance(value: dict[str, Any], output_type: str | None) -> dict[str, Any]:
    """``aws.firehose_errors.*``: the members of the documented type, the others left out."""
    code = _text(value, "errorCode") or _text(value, "lastErrorCode")
    message = _text(value, "errorMessage") or _text(value, "lastErrorMessage")
    attempts = value.get("attemptsMade")
    fields: dict[str, Any] = {
        "recovered": True,
        "error_code": code,
        "error_message": message,
        "error_output_type": output_type,
        "attempts_made": attempts if type(attempts) is int and 0 <= attempts < 1 << 63 else None,
        "arrival_time": _arrival(value.get("arrivalTimestamp")),
    }
    return {name: field for name, field in fields.items() if field is not None}


def _text(value: dict[str, Any], key: str) -> str | None:
    found = value.get(key)
    return found[:MAX_ERROR_TEXT] if isinstance(found, str) and found else None


def _arrival(millis: Any) -> str | None:
    if type(millis) is not int:
        return None
    try:
        return epoch_millis_timestamp(millis)
    except ValueError:  # out of range: not a time Firehose wrote
        return None


def _letter(source: str, reason: str, origin: Origin, position: str, raw: bytes) -> Routed:
    return Routed(source, DeadLetter(source, reason, origin.object, position, raw))
