"""What the GuardDuty and Security Hub normalizers share: :func:`json_values`, a streaming
splitter for a byte stream of JSON values (objects concatenated with no separator, as
Firehose writes them; JSON lines; one top-level value; a ``{"findings": [...]}`` batch or a
top-level array, whose items it yields one by one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from normalizers.base import DeadLetter, Origin
from normalizers.reasons import RecordError

# ---------------------------------------------------------------------------------------
# Streaming JSON values
# ---------------------------------------------------------------------------------------

CHUNK = 1 << 18
MAX_RECORD_BYTES = 64 << 20
"""A value still unfinished after this many bytes is cut and dead-lettered (memory bound)."""

# Where a value may end. The fast path tries ``orjson.loads`` at each candidate; a false
# candidate (a brace inside a string, a nested object) fails with "unexpected end of data"
# at the very end of the slice, and the next candidate is tried.
_TOP_END = re.compile(rb"[}\]](?=[ \t\r]*(?:\n|[{\[]|\Z))")
_ITEM_END = re.compile(rb"[}\]](?=[ \t\r\n]*(?:[,\]]|\Z))")
_TOP_SCALAR_END = re.compile(rb"[\n{\[]")
_ITEM_SCALAR_END = re.compile(rb"[\n,\]]")
_BATCH_START = re.compile(rb'\{[ \t\r\n]*"(?:findings|Findings)"[ \t\r\n]*:[ \t\r\n]*\[')
_BATCH_LOOKAHEAD = 4096
# The exact scanner (slow path, used only for records the fast path rejects): whole
# strings are skipped by the regex engine, brackets are counted.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|["{}\[\]]', re.DOTALL)
_NEXT_LINE_VALUE = re.compile(rb"\n(?=[{\[])")
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class JsonValue:
    """One record of the stream: its bytes, and the parsed value or the parse error."""

    index: int
    raw: bytes
    value: Any = None
    error: str | None = None


class _Reader:
    """A growing window over the stream; ``pos`` is the first byte not consumed yet."""

    def __init__(self, stream: BinaryIO, chunk_size: int) -> None:
        # read1: at most one read of the raw stream, so that bytes decompressed before a
        # TruncatedInput are returned by one call and the error comes with the next.
        self._read = getattr(stream, "read1", stream.read)
        self._chunk = chunk_size
        self.data = b""
        self.pos = 0
        self.eof = False

    def refill(self) -> bool:
        """Read more bytes (at least as many as are buffered, so a long record costs
        linear time); ``False`` at end of stream. Never catches ``TruncatedInput``."""
        if self.eof:
            return False
        pending = len(self.data) - self.pos
        more = self._read(max(self._chunk, pending))
        if not more:
            self.eof = True
            return False
        self.data = self.data[self.pos :] + more
        self.pos = 0
        return True

    def skip_whitespace(self) -> bool:
        """Move to the next non-blank byte; ``False`` when the stream is exhausted."""
        while True:
            data, pos = self.data, self.pos
            while pos < len(data) and data[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(data):
                return True
            if not self.refill():
                return False

    def ensure(self, size: int) -> None:
        while len(self.data) - self.pos < size and self.refill():
            pass

    def peek(self) -> int:
        return self.data[self.pos]

    def take_value(self, item: bool) -> tuple[bytes, Any, str | None]:
        """Consume one value starting at ``pos`` (a top-level value, or an array item)."""
        if self.peek() not in b"{[":
            return self._take_scalar(_ITEM_SCALAR_END if item else _TOP_SCALAR_END)
        ends = _ITEM_END if item else _TOP_END
        offset = 1  # relative to the value's start: survives refills
        while True:
            data, start = self.data, self.pos
            view = memoryview(data)
            for match in ends.finditer(data, start + offset):
                end = match.end()
                offset = end - start
                try:
                    value = orjson.loads(view[start:end])
                except orjson.JSONDecodeError as error:
                    if _premature(error):
                        continue
                    return self._take_exact(item)
                self.pos = end
                return data[start:end], value, None
            if len(data) - start > MAX_RECORD_BYTES or not self.refill():
                return self._take_exact(item)

    def _take_exact(self, item: bool) -> tuple[bytes, Any, str | None]:
        """Slow path: find the value's end by counting brackets outside strings."""
        while True:
            end = _balanced_end(self.data, self.pos)
            if end is not None or len(self.data) - self.pos > MAX_RECORD_BYTES or not self.refill():
                break
        data, start = self.data, self.pos
        if end is None:
            end = _resync_end(data, start, item)
        self.pos = end
        return _parsed(data[start:end])

    def _take_scalar(self, stop: re.Pattern[bytes]) -> tuple[bytes, Any, str | None]:
        while True:
            match = stop.search(self.data, self.pos + 1)
            if match or len(self.data) - self.pos > MAX_RECORD_BYTES or not self.refill():
                break
        data, start = self.data, self.pos
        end = match.start() if match else len(data)
        self.pos = end
        return _parsed(data[start:end].rstrip())


def _premature(error: orjson.JSONDecodeError) -> bool:
    """True when the slice is a valid prefix cut short (a false candidate end).

    ``pos`` counts characters of the decoded ``doc``, not bytes."""
    return error.msg.startswith("unexpected end") and error.pos >= len(error.doc)


def _parsed(raw: bytes) -> tuple[bytes, Any, str | None]:
    try:
        return raw, orjson.loads(raw), None
    except orjson.JSONDecodeError as error:
        return raw, None, error.msg or str(error)


def _balanced_end(data: bytes, start: int, depth: int = 0) -> int | None:
    """Index just after the bracket that closes the value at ``start`` (None: not in data)."""
    for token in _TOKEN.finditer(data, start):
        char = token.group()
        if char in (b"{", b"["):
            depth += 1
        elif char in (b"}", b"]"):
            depth -= 1
            if depth <= 0:
                return token.end()
        elif char == b'"':  # a string that does not end in the buffer
            return None
    return None


def _resync_end(data: bytes, start: int, item: bool) -> int:
    """Where an unbalanced (cut, corrupt) value is taken to end: at the next line that
    starts a new value (JSON lines), else at the end of what was read."""
    if not item:
        match = _NEXT_LINE_VALUE.search(data, start + 1)
        if match:
            return match.start()
    return len(data)


def json_values(stream: BinaryIO, chunk_size: int = CHUNK) -> Iterator[JsonValue]:
    """Yield each JSON value of ``stream`` with its bytes, streaming, never failing.

    A ``{"findings": [...]}`` / ``{"Findings": [...]}`` batch (the key first) and a
    top-level array are not loaded whole: each of their items is yielded as a value. An
    empty batch yields nothing. Invalid JSON yields a value with ``error`` set and the
    splitter carries on with the next value.
    """
    reader = _Reader(stream, chunk_size)
    reader.ensure(len(_BOM))
    if reader.data.startswith(_BOM):
        reader.pos = len(_BOM)
    index = 0
    while reader.skip_whitespace():
        if reader.peek() == ord(","):  # values written as a bracketless list: a separator
            reader.pos += 1
            continue
        for raw, value, error in _top_level(reader):
            yield JsonValue(index, raw, value, error)
            index += 1


def _top_level(reader: _Reader) -> Iterator[tuple[bytes, Any, str | None]]:
    if reader.peek() == ord("["):
        reader.pos += 1
        yield from _array_items(reader)
        return
    if reader.peek() == ord("{"):
        reader.ensure(_BATCH_LOOKAHEAD)
        batch = _BATCH_START.match(reader.data, reader.pos)
        if batch:
            reader.pos = batch.end()
            yield from _array_items(reader)
            _close_batch_object(reader)
            return
    yield reader.take_value(item=False)


def _array_items(reader: _Reader) -> Iterator[tuple[bytes, Any, str | None]]:
    while reader.skip_whitespace():
        char = reader.peek()
        if char == ord("]"):
            reader.pos += 1
            return
        if char == ord(","):
            reader.pos += 1
            continue
        yield reader.take_value(item=True)


def _close_batch_object(reader: _Reader) -> None:
    """After a batch's array: skip the rest of its object (``}``, or more members)."""
    if not reader.skip_whitespace():
        return
    if reader.peek() == ord("}"):
        reader.pos += 1
        return
    if reader.peek() == ord(","):
        while True:
            end = _balanced_end(reader.data, reader.pos, depth=1)
            if end is not None:
                reader.pos = end
                return
            if not reader.refill():
                reader.pos = len(reader.data)
                return


def dead_letter(
    source: str, error: RecordError | str, origin: Origin, position: str, raw: bytes
) -> DeadLetter:
    return DeadLetter(source, str(error), origin.object, position, raw)


def to_json_bytes(value: Any) -> bytes:
    """A finding object back to bytes (dead letter ``raw`` for a finding inside an envelope)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits: keep the text form
        import json

        return json.dumps(value).encode("utf-8")
