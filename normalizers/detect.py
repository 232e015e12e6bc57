"""Recognize a source from an object's first bytes; the S3 key is only a tie-breaker.

Content decides because keys lie: a bucket shared by an organization receives objects
under prefixes nobody controls, and Firehose names files after the delivery stream.
The earliest discriminating JSON key in the head wins, so that a CloudTrail record that
merely *mentions* ``ProductArn`` in its request parameters is still CloudTrail. What each
source is recognized by is its spec's :class:`~normalizers.spec.Recognition`. The key can
only keep an object from being read: one in the layout of a service we do not read (load
balancer logs, digest files, write probes) is skipped by the object pipeline before its bytes
are looked at (:mod:`normalizers.layouts`), so that it is never taken for a source it resembles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from normalizers.base import Origin
from normalizers.framing.envelopes import sns_message_head
from normalizers.layouts import read_key
from normalizers.object_key import object_key
from normalizers.registry import DELIVERY_SPECS, SPECS
from normalizers.spec import ParquetSchema, SourceSpec
from normalizers.stream import PARQUET_MAGIC

_DETAIL_TYPE = re.compile(rb'"detail-type"\s*:\s*"([^"]*)"')
_SNS_NOTIFICATION = re.compile(rb'"Type"\s*:\s*"Notification"')


@dataclass(frozen=True, slots=True)
class Detection:
    source: str | None
    skip: str | None = None
    """Set for objects recognized as not holding records (CloudTrail digest files)."""
    parquet: bool = False
    """A Parquet file: its schema decides (:func:`detect_parquet`), once it is spooled."""
    delivery: str | None = None
    """A delivery path's container (normalizers/delivery.py): its reader names each record's source."""


def hint_from_key(key: str) -> str | None:
    for spec in SPECS:
        hint = spec.recognition.key_hint
        if hint is not None and hint.search(key):
            return spec.name
    return None


def detect(head: bytes, key: str = "", origin: Origin | None = None) -> Detection:
    """Name the source of an object from its first bytes (decompressed); ``origin`` carries
    the configuration a text with no header line may be recognized by (VPC flow formats)."""
    if head.startswith(PARQUET_MAGIC):
        return Detection(None, parquet=True)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return _empty_object(key)
    if text[:1] in (b"{", b"["):
        return _detect_json(text, key)
    for spec in SPECS:
        header = spec.recognition.text_header
        if header is not None and header.match(text):
            return Detection(spec.name)
    for spec in SPECS:  # no header line: the first line is a record (VPC flows through Firehose)
        record = spec.recognition.text_record
        if record is not None and record(text, origin):
            return Detection(spec.name)
    return Detection(None)


def _empty_object(key: str) -> Detection:
    """An object with no content: the key's hint (a probe some service writes, Config's
    ``ConfigWritabilityCheckFile``, is skipped by its key before: normalizers/layouts.py)."""
    return Detection(hint_from_key(key))


def detect_parquet(schema: ParquetSchema) -> str | None:
    """The source (or delivery path: Security Lake's OCSF) whose rows a Parquet file holds,
    from its columns; ``None`` if no source's."""
    for recognition, name in [
        *((spec.recognition, spec.name) for spec in SPECS),
        *((delivery.recognition, delivery.name) for delivery in DELIVERY_SPECS),
    ]:
        accepts = recognition.parquet
        if accepts is not None and accepts(schema):
            return name
    return None


def _detect_json(text: bytes, key: str) -> Detection:
    earliest: tuple[int, re.Match[bytes], SourceSpec | None, str | None] | None = None
    for envelope in (_DETAIL_TYPE, _SNS_NOTIFICATION):
        match = envelope.search(text)
        if match and (earliest is None or match.start() < earliest[0]):
            earliest = (match.start(), match, None, None)
    for spec in SPECS:
        recognition = spec.recognition
        markers: list[tuple[re.Pattern[bytes], str | None]] = list(recognition.skip)
        if recognition.json_keys is not None:
            markers.append((recognition.json_keys, None))
        for pattern, skip in markers:
            marker = pattern.search(text)
            if marker and (earliest is None or marker.start() < earliest[0]):
                earliest = (marker.start(), marker, spec, skip)
    for delivery in DELIVERY_SPECS:
        keys = delivery.recognition.json_keys
        marker = keys.search(text) if keys is not None else None
        if marker and (earliest is None or marker.start() < earliest[0]):
            return Detection(None, delivery=delivery.name)
    if earliest is None:
        return _empty_batch(text, key)
    _, found, winner, skip = earliest
    if winner is None and found.re is _SNS_NOTIFICATION:  # the message says whose
        return _detect_json(sns_message_head(text).lstrip(), key)
    if winner is None:  # an EventBridge event: its detail-type says whose, else the record inside
        return _detect_event(text, found, key)
    if skip is not None:
        return Detection(winner.name, skip=skip)
    for other in SPECS:
        for pattern, outranked in other.recognition.outranks:
            if outranked == winner.name and pattern.search(text):
                return Detection(other.name)
    return Detection(winner.name)


def _detect_event(text: bytes, match: re.Match[bytes], key: str) -> Detection:
    detail_type = match.group(1).decode("utf-8", "replace")
    for spec in SPECS:
        recognition = spec.recognition
        suffix = recognition.detail_type_suffix
        if detail_type in recognition.detail_types or (suffix is not None and detail_type.endswith(suffix)):
            return Detection(spec.name)
    # An event kind no source lists: the record inside (``detail``) still says what it is.
    return _detect_json(text[match.end() :], key)


def _empty_batch(text: bytes, key: str) -> Detection:
    """JSON whose head holds no source's marker: an empty batch (``{"findings": []}``), whose
    source the key's hint names; else records whose marking members are gone or past the head
    (newline-delimited CloudTrail records without ``eventVersion``, a first record longer than
    the head), read as the source whose own delivery layout the key is in (:func:`_delivered_json`)."""
    for spec in SPECS:
        batch = spec.recognition.empty_batch
        if batch is not None and batch.match(text):
            return Detection(hint_from_key(key) or spec.name)
    return Detection(_delivered_json(key))


def _delivered_json(key: str) -> str | None:
    """The JSON source whose delivery layout ``key`` is in (``AWSLogs/<account>/CloudTrail/...``):
    a precise layout, not the loose :func:`hint_from_key`. Nothing in the content contradicts it,
    and that source's reader makes each record one document or one dead letter with its bytes,
    where the object would otherwise be one ``unrecognized format`` dead letter of its head."""
    source = read_key(object_key(key)).source
    return next((spec.name for spec in SPECS if spec.name == source and spec.framing is not None), None)
