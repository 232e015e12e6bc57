"""Recognize a source from an object's first bytes; the S3 key is only a tie-breaker.

Content decides because keys lie: a bucket shared by an organization receives objects
under prefixes nobody controls, and Firehose names files after the delivery stream.
The earliest discriminating JSON key in the head wins, counted only where a format puts it
(:data:`_RECORD_PATHS`): a CloudTrail record whose request parameters hold a ``ProductArn`` or
an SSM document's ``schemaVersion`` is still CloudTrail, even with ``eventVersion`` lost or
after them. What each source is recognized by is its spec's
:class:`~normalizers.spec.Recognition`. The key can only keep an object from being read: one
in the layout of a service we do not read (load balancer logs, digest files, write probes) is
skipped by the object pipeline before its bytes are looked at (:mod:`normalizers.layouts`),
so that it is never taken for a source it resembles.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
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


class _Structure:
    """Which containers each position of a JSON head is in, read once from left to right.

    A path is the kinds of the containers around a position, outermost first: ``{`` an object,
    ``[`` an array, ``L`` an array that is the value of a member holding a source's records
    (:data:`_RECORD_LISTS`): a record's members in ``{"Records": [{`` are at ``b"{L{"``, a
    CloudTrail record's ``resources`` entries at ``b"{[{"``. Only brackets outside strings
    count; a string is skipped whole by one regex that cannot backtrack (an escaped quote is
    consumed with its backslash, an unterminated string runs to the end), so reading the head
    costs one pass, and only as far as the positions asked for.
    A closing bracket with nothing open (a damaged object) is ignored.
    """

    __slots__ = ("_key", "_next", "_path", "_text", "_tokens")

    def __init__(self, text: bytes) -> None:
        self._text = text
        self._tokens = _TOKEN.finditer(text)
        self._next: re.Match[bytes] | None = next(self._tokens, None)
        self._path = bytearray()
        self._key: re.Match[bytes] | None = None
        """The last string read since a bracket: the member name an array may be the value of."""

    def key_path(self, position: int, deepest: int) -> bytes | None:
        """The path of a key whose opening quote is at ``position`` (never before a position
        asked before); ``None`` if ``position`` is inside a string (an escaped quote) or the
        path is longer than ``deepest`` (not copied: a hostile head nests thousands deep)."""
        token = self._next
        while token is not None and token.end() <= position:
            kind = token.lastindex
            if kind is None:
                self._key = token
                token = next(self._tokens, None)
                continue
            if kind == _CLOSING:
                if self._path:
                    del self._path[-1]
            elif token[_OPENING] == b"{" or not self._holds_records(token.start()):
                self._path += token[_OPENING]
            else:
                self._path += b"L"
            self._key = None
            token = next(self._tokens, None)
        self._next = token
        if (token is not None and token.start() < position) or len(self._path) > deepest:
            return None
        return bytes(self._path)

    def _holds_records(self, bracket: int) -> bool:
        """Whether the array opening at ``bracket`` is the value of a member that holds a
        source's records (each string is looked past once: the key is forgotten at a bracket)."""
        key = self._key
        if key is None or key[0] not in _RECORD_LISTS:
            return False
        colon = _COLON.match(self._text, key.end())
        return colon is not None and colon.end() == bracket


_TOKEN = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)|([\[{])|([\]}])', re.S)
"""A JSON string (closed, or running to the end of the head), an opening or a closing bracket."""
_OPENING, _CLOSING = 1, 2
_COLON = re.compile(rb"[ \t\r\n]*+:[ \t\r\n]*+")
_RECORD_LISTS = frozenset(
    b'"' + key.encode() + b'"'
    for spec in SPECS
    if spec.framing is not None
    for key in spec.framing.wrapper.keys
)
"""The member names whose array holds a source's records (``Records``, ``findings``...)."""

_RECORD_PATHS = (b"{", b"[{", b"{L{")
"""Where a format puts the members that mark it: a top-level member (a record per line, an
envelope's own members), a member of a record in a top-level array, or of a record in an
envelope's list (``{"Records": [{"eventVersion"``, ``{"Findings": [{"SchemaVersion"``). A key
deeper than that, or in a record's own array (``resources``), is the record's own data
(``requestParameters``), which names keys as it likes."""
_DETAIL_PATHS = (b"{", b"{L{")
"""The same, inside an EventBridge event, relative to the event: ``detail``'s members, or of a
record in a list of ``detail`` (Security Hub's ``detail.findings``)."""


@dataclass(frozen=True, slots=True)
class _Marker:
    pattern: re.Pattern[bytes]
    spec: SourceSpec | None = None
    """The source the marker names; ``None`` for an envelope or a delivery's marker."""
    skip: str | None = None
    delivery: str | None = None


def _markers() -> tuple[_Marker, ...]:
    """Every marker, in the order detection breaks ties in: envelopes, then each source's
    (its skipped files' first), then the deliveries'."""
    markers = [_Marker(_DETAIL_TYPE), _Marker(_SNS_NOTIFICATION)]
    for spec in SPECS:
        markers += [_Marker(pattern, spec, skip) for pattern, skip in spec.recognition.skip]
        if spec.recognition.json_keys is not None:
            markers.append(_Marker(spec.recognition.json_keys, spec))
    for delivery in DELIVERY_SPECS:
        if delivery.recognition.json_keys is not None:
            markers.append(_Marker(delivery.recognition.json_keys, delivery=delivery.name))
    return tuple(markers)


_MARKERS = _markers()
_OUTRANKING = tuple(
    ((_Marker(pattern, other),), other.name, outranked)
    for other in SPECS
    for pattern, outranked in other.recognition.outranks
)
"""``(marker, source, outranked source)``: a marker of ``source`` that wins over the outranked
source's even when they come first (:attr:`~normalizers.spec.Recognition.outranks`)."""


def _earliest(
    text: bytes,
    markers: Sequence[_Marker],
    structure: _Structure,
    start: int,
    base: bytes,
    paths: tuple[bytes, ...],
) -> tuple[re.Match[bytes], _Marker, bytes] | None:
    """The first match of any of ``markers`` from ``start`` at one of ``paths`` below ``base``,
    with its path: all markers' matches merged in the order of their positions, so that the
    structure is read once, up to the match that counts."""
    found: list[tuple[int, int, re.Match[bytes], Iterator[re.Match[bytes]]]] = []
    for rank, marker in enumerate(markers):
        matches = marker.pattern.finditer(text, start)
        match = next(matches, None)
        if match is not None:
            found.append((match.start(), rank, match, matches))
    heapq.heapify(found)
    deepest = len(base) + max(map(len, paths))
    while found:
        position, rank, match, matches = found[0]
        path = structure.key_path(position, deepest)
        if path is not None and path.startswith(base) and path[len(base) :] in paths:
            return match, markers[rank], path
        following = next(matches, None)
        if following is None:
            heapq.heappop(found)
        else:
            heapq.heapreplace(found, (following.start(), rank, following, matches))
    return None


def _detect_json(text: bytes, key: str) -> Detection:
    return _detect_from(text, key, _Structure(text), 0, b"", _RECORD_PATHS)


def _detect_from(
    text: bytes, key: str, structure: _Structure, start: int, base: bytes, paths: tuple[bytes, ...]
) -> Detection:
    earliest = _earliest(text, _MARKERS, structure, start, base, paths)
    if earliest is None:
        return _empty_batch(text[start:], key)
    found, marker, at = earliest
    if marker.delivery is not None:
        return Detection(None, delivery=marker.delivery)
    if marker.pattern is _SNS_NOTIFICATION:  # the message says whose
        return _detect_json(sns_message_head(text).lstrip(), key)
    if marker.spec is None:  # an EventBridge event: its detail-type says whose, else the record inside
        return _detect_event(text, found, key, structure, at)
    if marker.skip is not None:
        return Detection(marker.spec.name, skip=marker.skip)
    for outranking, other, outranked in _OUTRANKING:  # anywhere in the head: read it again
        if outranked == marker.spec.name and _earliest(
            text, outranking, _Structure(text), start, base, paths
        ):
            return Detection(other)
    return Detection(marker.spec.name)


def _detect_event(
    text: bytes, match: re.Match[bytes], key: str, structure: _Structure, event: bytes
) -> Detection:
    detail_type = match.group(1).decode("utf-8", "replace")
    for spec in SPECS:
        recognition = spec.recognition
        suffix = recognition.detail_type_suffix
        if detail_type in recognition.detail_types or (suffix is not None and detail_type.endswith(suffix)):
            return Detection(spec.name)
    # An event kind no source lists: the record inside (``detail``) still says what it is.
    return _detect_from(text, key, structure, match.end(), event, _DETAIL_PATHS)


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
