"""One streaming splitter for every JSON source: a byte stream in, its records out, one by one.

Layouts, in any mix, with any JSON whitespace and an optional UTF-8 byte order mark:

- a wrapper object whose *first* member is the records' array, named by :class:`Wrapper`
  (CloudTrail's ``{"Records": [...]}``, a findings batch ``{"findings": [...]}``), or whose
  members before it are scalars the wrapper names (AWS Config's ``fileVersion``): streamed
  item by item, never loaded whole; the wrapper's other members (``nextToken``) are skipped;
- a top-level array of records: streamed item by item;
- records concatenated with no separator (Firehose), one per line (JSON lines), or separated
  by commas;
- a wrapper whose array is not its first member: parsed whole (it is bounded by the maximum
  record size, :attr:`Limits.max_record_bytes <normalizers.limits.Limits>`), then each of
  its records is yielded.

Each record comes with its bytes (``raw``, what a dead letter keeps) and either its parsed
value or the reason it is not one. ``index`` counts the records of the stream from 0: a
dead letter's ``record N``.

How a record is cut, in about one chunk of memory: a C-speed regex finds *candidate* ends (a
``}`` followed by the start of the next record, or by ``,``/``]`` inside an array), or, once
two records of an array were seen, a literal search of the bytes between them (``},{``), and
``orjson.loads`` tries the slice. A candidate inside a string or a nested object leaves an
unterminated string or unbalanced brackets, which cannot parse ("unexpected end of data" at
the very end of the slice), so a later one is tried: each try at least twice as far as the
last (a slice that runs past the record's end tells, "unexpected content after document",
exactly where the record ends), so a record full of false candidates (a finding with thousands
of small ``Resources`` objects) costs a few parses of its own length: linear, at C speed. For
invalid JSON, a string-aware bracket scan finds the record's true extent, so a bad record is
reported alone:

- a bad record never runs past the start of the next one: at top level a ``}`` followed on
  the same line by ``{`` (concatenated records) or a line starting with ``{`` or ``[``; in an
  array a ``}`` followed by ``,{`` (on the same line, or ``,`` and a line holding ``{`` at the
  item's indentation when pretty-printed). Its brackets may otherwise balance with those of
  later records, and those records would be lost with it. A record whose brackets balance and
  that is well-formed JSON but for a value orjson refuses (a lone surrogate, a number beyond a
  double: :func:`_well_formed`) is one dead letter whole: the ``},{`` inside it are its own;
- a string that runs into a raw newline (never valid JSON) ends the record there, and reading
  resumes at the next record's start (in an array: a line starting with ``{`` indented no
  deeper than the record): one broken line of a JSON-lines stream costs one dead letter;
- a record still open at the end of the object, with no record start after it, is a
  ``truncated input`` (an array item's always: nothing can follow it);
- a record larger than the maximum record size is reported (``record too large``, its first
  :data:`~normalizers.base.MAX_DEAD_LETTER_RAW` bytes kept) and skipped without being held;
  one that a read holds whole too (reads grow with a pending record): it is never parsed.

Whitespace between records is skipped at regex speed and never kept: ``{"Records":[``
followed by gigabytes of blanks holds one chunk. Each search resumes where the last one stopped
(or at the last ``}`` or newline that only blanks follow, where a match may have been cut),
and none runs while only blanks are read: each byte is looked at a bounded number of times
whatever the reads' sizes (tests/normalizers/test_linear_reads.py). Integers beyond 64 bits (which ``orjson``
would turn into floats, losing digits) keep their exact value: a record holding an integer of
20 digits or more, or of 19 after a minus sign, is parsed again with the standard library, and
an integer that no 64-bit number holds becomes the string of its digits (docs/schema.md,
"Numbers").

The buffer is kept a second time translated, byte for byte (ASCII letters in lower case,
digits and ``-`` as NUL, ``[`` as ``{``: :data:`_FOLD`): the search for long integers and the
screen (below) look at each read there, and a record nested more than :data:`MAX_DEPTH` levels is
found with one count of ``{`` in its bytes there (one that holds no more brackets than that
cannot be; else the exact check), not two counts of its own bytes.

A source may give the splitter a *screen*: byte strings (its secret keys' names) looked for
once in each read, ASCII case aside, rather than in each record. A record is *screened* when
none of them starts within its bytes; one that any may start within, that the general path
took, or that a read too full of them (:data:`MAX_MARKS`) left unscreened, is not, and its
mapper looks at its bytes itself. A string cut by the read boundary is found too.

Reads use ``read1`` where the stream has it (one underlying read at a time), and a read that
raises :class:`~normalizers.stream.TruncatedInput` (a gzip stream cut short or followed by
bytes that are no gzip member, a limit of the object) is held back until the records read
before it are yielded, as if the stream ended there: only the record it cut is lost with the
rest of the stream (the truncation's own dead letter covers them), never a whole record that
merely waited for the bytes after it.
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_left
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

import orjson
import stringzilla as sz

from normalizers.base import MAX_DEAD_LETTER_RAW
from normalizers.limits import DEFAULT_LIMITS, Limits
from normalizers.reasons import INVALID_JSON, RECORD_TOO_LARGE, TRUNCATED_INPUT
from normalizers.stream import TruncatedInput

READ_SIZE = 1 << 18
MAX_READ_SIZE = 16 << 20
SEQUENTIAL_CANDIDATES = 4
"""False candidate ends tried one after the other (a record's nested lists of objects: the
next one is often the end) before each try goes twice as far (thousands of them)."""
_TRIES = range(SEQUENTIAL_CANDIDATES)
"""Iterated once per record: built once, not per record."""
MAX_SEPARATOR = 64
"""The most bytes between two records that :meth:`_Splitter._run` looks for literally."""
FIND_WINDOW = 1 << 14
"""How far each search of that separator looks: a stream whose separators keep changing
costs a bounded scan per record, never one of the whole buffer."""
KEEP_BEFORE_SPACE = 256
"""Bytes kept before a run of whitespace that is dropped (the next record's indentation)."""
WRAPPER_LOOKAHEAD = 4096
"""How far past a top-level ``{`` its first member name is looked for."""

_QUOTE, _NEWLINE, _OPEN_BRACE, _OPEN_BRACKET, _CLOSE_BRACKET, _COMMA, _CLOSE_BRACE = b'"\n{[],}'
_BOM = b"\xef\xbb\xbf"
_WS = rb"[ \t\r\n]*"
_JSON_BLANKS = b" \t\r\n"
"""What JSON reads as whitespace (RFC 8259): not Python's wider set, which holds \\x0b and \\x0c."""

# Candidate ends: a top-level record ends with "}" before the next record ("{", "[", or a
# comma then one); an item of an array, with "}" before ",{" or "]".
_TOP_END = re.compile(rb"\}(?=" + _WS + rb"(?:," + _WS + rb")?[{\[])")
_ITEM_END = re.compile(rb"\}(?=" + _WS + rb"(?:," + _WS + rb"(\{)|\]))")
"""Its group 1: the next item's ``{``, where the next record of an array starts."""
# A value that does not start with a bracket (a number, a string, stray text) ends at the
# next line or bracket (top level), or at the next separator (array item).
_TOP_SCALAR_END = re.compile(rb"[\n{\[]")
_ITEM_SCALAR_END = re.compile(rb"[\n,\]]")
_NOT_SPACE = re.compile(rb"[^ \t\r\n]")
_BLANK_TAIL = re.compile(_WS + rb"(?:," + _WS + rb")?")
_STRUCTURAL = re.compile(rb'["{}\[\]]')
# The rest of a string after its opening quote, up to (not including) the closing quote. A raw
# newline can never be inside a JSON string, so it stops there too: that bounds the damage
# of an unterminated string to one line.
_STRING_BODY = re.compile(rb'[^"\\\n]*(?:\\[^\n][^"\\\n]*)*')
# Where a bad record stops, so that the next one is read on its own. Between top-level
# records: a "}" followed on the same line by "{" (never so outside a string in valid JSON),
# or a line starting with "{" or "[" (nested objects of pretty-printed JSON are indented).
_TOP_BOUNDARY = re.compile(rb"\}(?=[ \t\r]*\{)|\n(?=[{\[])")
# After a string broken by a raw newline inside an array: a line starting with "{".
_ITEM_LINE = re.compile(rb"\n(?=[ \t\r]*\{)")
_NOT_INLINE_BLANK = re.compile(rb"[^ \t\r]")
_OPEN_LINE_TAIL = re.compile(rb"[}\n][ \t\r]*\Z")
"""The last ``}`` or newline that only blanks of its line follow: where a record's start
(:data:`_TOP_BOUNDARY`, :data:`_ITEM_LINE`) may be cut by the buffer's end."""

_find, _rfind, _count, _translate = sz.find, sz.rfind, sz.count, sz.translate
"""StringZilla's searches, count and translation (SIMD, chosen at run time for the processor:
AVX2, AVX-512, NEON...) where the splitter scans the most bytes: the separator between
records, the screen's names, each record's brackets and the translation of each read. The
standard library's scan a byte or two at a time (``bytes.find`` of ``},{`` skips ahead little
in JSON text): the same results in a fraction of the time (docs/sources/cloudtrail.md,
"Performance"). Their ``start`` and ``end`` are those of ``bytes.find``."""
_first_not_of, _last_not_of = sz.find_first_not_of, sz.find_last_not_of
"""The first and last byte outside a set (the blanks before a long integer), -1 for none."""

_NOTHING = object()
"""No value parsed (``None`` is JSON's ``null``)."""
_COMPLETE, _BROKEN, _UNBALANCED, _EOF, _TOO_LARGE = "complete", "broken", "unbalanced", "eof", "too large"


@dataclass(frozen=True, slots=True)
class Wrapper:
    """An object that holds records rather than being one (CloudTrail's log file, a batch)."""

    keys: tuple[str, ...]
    """Member names holding the records' array, in the order they are looked for."""
    record_key: str
    """A member only a record has: an object with it is a record, whatever else it holds."""
    leading: tuple[str, ...] = ()
    """Members with a string or number value that may come before the array (AWS Config's
    ``fileVersion`` and ``configSnapshotId``): skipped, and the array still streamed."""

    def records(self, value: Any) -> list[Any] | None:
        """The records of a wrapper parsed whole, ``None`` when ``value`` is not one."""
        if type(value) is not dict or self.record_key in value:
            return None
        for key in self.keys:
            records = value.get(key)
            if type(records) is list:
                return records
        return None


@dataclass(slots=True)
class JsonRecord:
    """One record of the stream: its bytes, and its parsed value or why it has none."""

    index: int
    raw: bytes
    value: Any = None
    error: str | None = None
    """The dead letter's reason: ``invalid JSON: ...``, ``truncated input: ...``,
    ``record too large: ...``."""


def to_json_bytes(value: Any) -> bytes:
    """A parsed record back to bytes (the ``raw`` of a record taken out of a wrapper or envelope)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits: keep the text form
        return json.dumps(value).encode("utf-8")


_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-[,\t\r\n",
    b"abcdefghijklmnopqrstuvwxyz" + bytes(11) + b"{:   ",
)
"""ASCII letters to lower case, digits and ``-`` to NUL, ``[`` to ``{``, ``,`` to ``:`` and
blanks to spaces: one translation of each read serves the search for long integers (a number
is a run of NULs after ``:`` or ``{``, blanks aside), the screen (lower-case names, without
digits) and the nesting check (one count of ``{`` per record, not one of ``{`` and one of
``[``). NUL, not ``0``: a substring search that skips ahead past bytes outside a filter of the
needle's bytes modulo 64 (CPython's) would find ``0``-``9`` with ``p``-``y``, the letters of
the names; NUL falls with none. (A NUL byte in the text, never valid JSON, at worst has a
record parsed again.)"""
_OPENING = b"{"
"""``{`` or ``[``, folded."""
_LONG_DIGITS = 19
"""The digits of the shortest integer that may not fit 64 bits (``-9223372036854775809``)."""
_LONG_RUN = bytes(_LONG_DIGITS + 1)
"""The shortest integer that may not fit 64 bits, folded: a minus sign and 19 digits, or 20
digits (19 always fit an unsigned 64-bit number: the largest, ``9999999999999999999``, is less
than 2^64 - 1)."""
_LONG_NUMBERS = (b":" + _LONG_RUN, b"{" + _LONG_RUN)
"""Such an integer after what JSON puts before a value, folded: ``:`` or ``,``, ``[``."""
_LONG_AFTER_BLANK = b" " + _LONG_RUN
"""Such an integer after a blank: what precedes the blanks decides (pretty-printed JSON)."""
_NUMBER_BEFORE_FOLDED = frozenset(b":{")
_BLANK = b" "  # any blank, folded
_OPEN_RUN = bytes(_LONG_DIGITS)
"""Digits (or a minus sign) at a window's start that may be part of a long integer: 19, since
a minus sign may come before them in the bytes before the window."""
_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1


_NUMBER_BEFORE = frozenset(b":,[")
"""What comes before a number (blanks and a minus sign aside); digits inside a string come
after a quote or text, unless the string itself reads like JSON, which only costs a re-parse."""
_DIGITS = b"0123456789"
_LEADING_DIGITS = re.compile(rb"[0-9]+")
TAIL = 64
"""Bytes of the previous read kept to see a number's start that the read boundary cut."""


def has_long_integer(data: bytes | bytearray | memoryview, open_start: bool = False) -> bool:
    """Whether ``data`` holds a JSON integer that may not fit 64 bits: of 20 digits or more, or
    of 19 after a minus sign.

    Found in C, in the translation of ``data`` by :data:`_FOLD` (digits and ``-`` to NUL,
    ``,`` to ``:``, ``[`` to ``{``, blanks to spaces): a run of 20 NULs right after ``:`` or
    ``{`` (:data:`_LONG_NUMBERS`, two SIMD searches from the end), or after blanks, when what
    precedes them is one of those. Digits inside a string follow a quote or text (the Go SDK's
    session names: ``aws-go-sdk-`` and 19 digits), so they cost no step of Python each.
    Runs of digits and minus signs that JSON has no number for (``:1-1234...``) count too:
    such a text is no JSON, and at worst a record is parsed again. With ``open_start`` (a
    window into a longer stream), 19 digits or minus signs with nothing but blanks before them
    in ``data`` count as a number: what precedes them is unknown.
    """
    text = bytes(data) if isinstance(data, memoryview) else data  # no copy of bytes read
    return _has_long_run(text.translate(_FOLD), open_start)


def _has_long_run(folded: bytes | bytearray, open_start: bool, low: int = 0) -> bool:
    """:func:`has_long_integer` of the text whose translation by ``_FOLD`` is ``folded[low:]``
    (a read appended to the splitter's buffers, at ``low``)."""
    end = len(folded)
    if _rfind(folded, _LONG_NUMBERS[0], low, end) >= 0 or _rfind(folded, _LONG_NUMBERS[1], low, end) >= 0:
        return True
    while (at := _rfind(folded, _LONG_AFTER_BLANK, low, end)) >= 0:  # rare: pretty-printed JSON
        before = _last_not_of(folded, _BLANK, low, at)  # -1: blanks back to the read's start
        if (folded[before] in _NUMBER_BEFORE_FOLDED) if before >= 0 else open_start:
            return True
        end = at
    if open_start:  # the window's first value: what precedes it is unknown
        first = _first_not_of(folded, _BLANK, low, len(folded))
        return first >= 0 and folded.startswith(_OPEN_RUN, first)
    return False


def _may_precede_number(tail: bytes) -> bool:
    """Whether a run of digits that reaches back to a read's start (through blanks or a minus
    sign, if any) may be a number, from ``tail``, the stream's bytes before the read: the run's
    digits there, a minus sign and blanks aside, what comes before it. A read cut inside the
    digits of a string (the Go SDK's session names: 19 of them) is no number, where taking
    every read's first run as one turned the per-record check on for the rest of the object.
    Nothing left to look at (the stream's start, a tail of digits and blanks) may be one."""
    before = tail.rstrip(_DIGITS)
    if before.endswith(b"-"):
        before = before[:-1]
    before = before.rstrip(_JSON_BLANKS)
    return not before or before[-1] in _NUMBER_BEFORE


def _cut_run(tail: bytes, chunk: bytes) -> int:
    """The digits of the run the boundary between ``tail`` and ``chunk`` cuts (0: none)."""
    leading = _LEADING_DIGITS.match(chunk)
    return 0 if leading is None else len(tail) - len(tail.rstrip(_DIGITS)) + leading.end()


def _exact_int(text: str) -> int | str:
    """An integer as JSON wrote it: a Python ``int`` when 64 bits hold it (signed or unsigned,
    as OpenSearch's ``long``/``unsigned_long`` and orjson do), else the string of its digits."""
    if len(text) <= 20:
        value = int(text)
        if _INT64_MIN <= value <= _UINT64_MAX:
            return value
    return text


MAX_DEPTH = 128
"""Levels of nesting a record may have. orjson parses 1,024 levels but encodes 254, and the
standard library's parser (for integers beyond 64 bits) recurses once per level: a deeper
record is dead-lettered, never a document the ingest path cannot send or a parse that
exhausts the stack. AWS's records nest some twenty levels at most."""
_ENCODABLE_DEPTH = 254
"""The most levels ``orjson.dumps`` encodes."""


def too_deep(raw: bytes | bytearray | memoryview | str, value: Any) -> bool:
    """Whether ``value`` (parsed from ``raw``) nests more than :data:`MAX_DEPTH` levels.

    A value with no more brackets than that cannot (one C-speed count per record); else orjson
    encodes it under enough levels of lists that it fails exactly past the limit (at C speed,
    where a walk of the value would cost more than mapping it)."""
    if isinstance(raw, str):
        brackets = raw.count("{") + raw.count("[")
    else:
        text = bytes(raw) if isinstance(raw, memoryview) else raw
        brackets = text.count(b"{") + text.count(b"[")
    return brackets > MAX_DEPTH and _nests_too_deep(value)


def _nests_too_deep(value: Any) -> bool:
    """:func:`too_deep` of a value with more than :data:`MAX_DEPTH` brackets: the exact check."""
    for _ in range(_ENCODABLE_DEPTH - MAX_DEPTH):
        value = [value]
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return True
    return False


TOO_DEEP = f"depth limit exceeded: more than {MAX_DEPTH} levels of nesting"
"""The detail of an ``invalid JSON`` dead letter for a value past :data:`MAX_DEPTH` (orjson
says ``depth limit exceeded`` past its own 1,024)."""
_TOO_DEEP_REASON = f"{INVALID_JSON}: {TOO_DEEP}"


def exact_loads(data: bytes | bytearray | memoryview | str) -> Any:
    """``orjson.loads``, except that integers beyond 64 bits keep their digits (as strings),
    and that a value nested more than :data:`MAX_DEPTH` levels is ``orjson.JSONDecodeError``."""
    value = orjson.loads(data)
    if too_deep(data, value):
        raise orjson.JSONDecodeError(TOO_DEEP, "", 0)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if has_long_integer(raw):
        return json.loads(bytes(raw), parse_int=_exact_int)
    return value


RecordFields = tuple[int, bytes, Any, str | None, bool]
"""A :class:`JsonRecord`'s fields in order, then whether the record is screened (none of the
screen's strings in its bytes): ``(index, raw, value, error, screened)``."""

MAX_MARKS = 4096
"""The screen's strings found in one read beyond which it stops looking in that read: each
record with bytes in it is then unscreened (a read full of them costs a bounded number of
searches, and their marks a bounded memory)."""
_NO_MARK = sys.maxsize
"""The start of the next mark when there is none: every record ends before it."""
_UNSCREENED = -1
"""The start of the next mark without a screen: every record ends after it."""


def json_records(
    stream: BinaryIO, wrapper: Wrapper | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[JsonRecord]:
    """Yield each record of ``stream`` (decompressed), streaming, never failing on bad data."""
    for index, raw, value, error, _ in json_record_fields(stream, wrapper, limits):
        yield JsonRecord(index, raw, value, error)


def json_record_fields(
    stream: BinaryIO,
    wrapper: Wrapper | None = None,
    limits: Limits = DEFAULT_LIMITS,
    screen: tuple[bytes, ...] = (),
) -> Iterator[RecordFields]:
    """:func:`json_records` as plain tuples, for the loop that runs once per record (a tuple
    costs a fraction of a :class:`JsonRecord` to build), each saying whether the record is
    screened: none of ``screen`` (lower-case ASCII, without digits; searched ASCII
    case-insensitively) starts within its bytes."""
    return iter(_Splitter(stream, wrapper, limits.max_record_bytes, screen))


class _Splitter:
    def __init__(
        self, stream: BinaryIO, wrapper: Wrapper | None, max_record: int, screen: tuple[bytes, ...] = ()
    ) -> None:
        # read1: at most one read of the underlying stream, so the bytes decompressed before a
        # truncated gzip stream raises are returned (and their records yielded) first.
        self._read = getattr(stream, "read1", stream.read)
        self._wrapper = wrapper
        self._header = (
            re.compile(
                rb"\{"
                + _WS
                + _leading_members(wrapper.leading)
                + rb'"(?:'
                + b"|".join(re.escape(k.encode()) for k in wrapper.keys)
                + rb')"'
                + _WS
                + rb":"
                + _WS
                + rb"\["
            )
            if wrapper is not None
            else None
        )
        self._max_record = max_record
        self._data = bytearray()
        self._folded = bytearray()
        """``_data`` translated by ``_FOLD``, byte for byte: a record's brackets are one count."""
        self._pos = 0
        self._eof = False
        self._index = 0
        self._long_numbers = False
        """Set once a read held an integer that may not fit 64 bits: from then on each record is
        checked."""
        self._tail = b""
        self._separator = b""
        """The bytes between two records of the array, from ``}`` to ``{`` (see :meth:`_run`):
        set once two records in a row were followed by the same ones, unset when they do not
        end the next record (so that a stream whose separators keep changing never pays a
        search per record)."""
        self._seen_separator = b""
        self._truncation: TruncatedInput | None = None
        """What the stream raised, raised again once the records read before it are yielded."""
        if any(not needle or needle.translate(_FOLD) != needle for needle in screen):
            raise ValueError("a screen's strings are lower-case ASCII without digits")
        self._screen = screen
        self._screen_keep = max(map(len, screen), default=1) - 1
        """Bytes of the stream kept, folded, to find a string that a read's end cut."""
        self._screen_tail = b""
        self._marks: list[tuple[int, int]] = []
        """``[start, end)`` spans of the buffer where the screen found a string (or gave up),
        sorted by start: a record whose bytes reach into one is not screened."""

    def __iter__(self) -> Iterator[RecordFields]:
        while len(self._data) < len(_BOM) and self._read_more():
            pass
        if self._data.startswith(_BOM):
            self._pos = len(_BOM)
        while True:
            self._compact()
            start = self._skip_space(self._pos)
            if start is None:
                if self._truncation is not None:
                    raise self._truncation
                return
            first = self._data[start]
            if first == _COMMA:  # records written as a bracketless list: a separator
                self._pos = start + 1
            elif first == _OPEN_BRACE:
                header_end = self._wrapper_header(start)
                if header_end is None:
                    yield from self._records(*self._value(start, _TOP_END, top=True), start)
                else:
                    self._pos = header_end
                    yield from self._array()
                    self._close_wrapper()
            elif first == _OPEN_BRACKET:
                self._pos = start + 1
                yield from self._array()
            else:
                yield from self._records(*self._scalar(start, _TOP_SCALAR_END))

    def _records(
        self, raw: bytes, value: Any, error: str | None, start: int | None = None
    ) -> list[RecordFields]:
        """The record cut from the stream at ``start`` (``None``: ``raw`` is not the buffer's
        bytes there), or the records of a wrapper parsed whole (a list, not a generator: this
        runs once per record)."""
        index = self._index
        if error is None and (
            too_deep(raw, value) if start is None else self._too_deep(start, start + len(raw), value)
        ):
            value, error = None, _TOO_DEEP_REASON
        inner = self._wrapper.records(value) if error is None and self._wrapper is not None else None
        if inner is None:
            self._index = index + 1
            return [(index, raw, value, error, error is None and self._screened(self._pos))]
        self._index = index + len(inner)
        return [
            (index + number, to_json_bytes(record), record, None, False)
            for number, record in enumerate(inner)
        ]

    def _checked(self, index: int, start: int, raw: bytes, value: Any, screened: bool) -> RecordFields:
        """The record parsed whole from ``data[start:]``, or its dead letter when it nests too
        deeply (:meth:`_run` has it inline)."""
        if not self._too_deep(start, start + len(raw), value):
            return index, raw, value, None, screened
        return index, raw, None, _TOO_DEEP_REASON, False

    def _too_deep(self, start: int, end: int, value: Any) -> bool:
        """:func:`too_deep` of the record ``data[start:end]``: its ``{`` and ``[`` counted in
        one search of the folded bytes."""
        return _count(self._folded, _OPENING, start, end) > MAX_DEPTH and _nests_too_deep(value)

    # -- buffer ---------------------------------------------------------------------------

    def _read_more(self) -> bool:
        """Append the next chunk; reads grow with the pending record so big ones stay linear."""
        if self._eof:
            return False
        size = min(max(READ_SIZE, len(self._data) - self._pos), MAX_READ_SIZE)
        try:
            chunk = self._read(size)
        except TruncatedInput as error:  # the end of what can be read: the records before it first
            self._truncation, chunk = error, b""
        if not chunk:
            self._eof = True
            return False
        position = len(self._data)
        self._data += chunk
        folded = self._folded
        folded += chunk
        _translate(folded, _FOLD, inplace=True, start=position)  # in place: no buffer of its own
        if not self._long_numbers:
            # The read, its runs that reach back to its start judged by the stream's bytes
            # before it, and apart (not a copy of the whole read joined to the tail) a run that
            # the read boundary cuts in two: those before the read were judged with their own.
            tail = self._tail
            open_start = _may_precede_number(tail)
            self._long_numbers = _has_long_run(folded, open_start, position) or (
                open_start and _cut_run(tail, chunk) >= _LONG_DIGITS
            )
            self._tail = (tail + chunk[-TAIL:])[-TAIL:]  # of the stream, not of this read (may be short)
        if self._screen:
            self._mark(position)
        return True

    def _mark(self, position: int) -> None:
        """Mark where the screen's strings start in the read appended at ``position`` (in the
        folded buffer), one cut by the end of the stream's previous bytes too. Searched from
        the end, by StringZilla (SIMD: some 7 times the speed of ``bytearray.rfind`` here)."""
        tail, keep, folded = self._screen_tail, self._screen_keep, self._folded
        size = len(folded)
        junction = tail + folded[position : position + keep]
        starts: list[int] = []
        for needle in self._screen:
            overlap = len(needle) - 1  # the next search may end inside this match
            # In the junction, only those starting in the tail: the read's own are found below.
            end = len(junction)
            while (at := junction.rfind(needle, 0, end)) >= 0:
                if at < len(tail):
                    starts.append(position - len(tail) + at)
                end = at + overlap
            end = size
            while (at := _rfind(folded, needle, position, end)) >= 0 and len(starts) <= MAX_MARKS:
                starts.append(at)
                end = at + overlap
            if len(starts) > MAX_MARKS:  # the whole read, and the tail before it, unscreened
                new = [(position - len(tail), size)]
                break
        else:
            new = sorted((start, start + 1) for start in starts)
        marks = self._marks
        if new and marks and new[0] < marks[-1]:  # a string the tail holds, before this read's
            marks += new
            marks.sort()
        else:  # after every mark so far: kept in order without a sort of them all at each read
            marks += new
        self._screen_tail = (tail + folded[max(position, size - keep) :])[-keep:] if keep else b""

    def _next_mark(self) -> int:
        """Where the next mark starts (:data:`_NO_MARK`: none, :data:`_UNSCREENED`: no screen)."""
        if not self._screen:
            return _UNSCREENED
        return self._marks[0][0] if self._marks else _NO_MARK

    def _passed(self, end: int) -> int:
        """Drop the marks that end by ``end`` (a record's end); where the next one starts."""
        marks = self._marks
        before = bisect_left(marks, (end,))  # the marks starting before ``end``
        spill = [mark for mark in marks[:before] if mark[1] > end]  # a span reaching past it
        marks[:before] = spill
        return self._next_mark()

    def _screened(self, end: int) -> bool:
        """Whether the record that ends at ``end``, taken by the general path, is screened."""
        mark = self._next_mark()
        if end <= mark:
            return True
        if mark != _UNSCREENED:
            self._passed(end)
        return False

    def _drop(self, start: int, end: int) -> None:
        """Delete ``data[start:end]`` (the bytes before a record, or the middle of one too large
        to keep), moving the marks with the bytes after it. The marks of the bytes deleted go
        with them (a record too large keeps the marks of one read at most, whatever it holds)."""
        del self._data[start:end]
        del self._folded[start:end]
        if self._marks:
            removed = end - start

            def moved(offset: int) -> int:
                return offset if offset < start else max(start, offset - removed)

            marks = ((moved(low), moved(high)) for low, high in self._marks)
            self._marks = [(low, high) for low, high in marks if high > low]

    def _loads(self, raw: bytes | bytearray) -> Any:
        """A record's value; integers beyond 64 bits exact (rare: checked only once a read
        held an integer that may not fit 64 bits, so that the common record pays nothing)."""
        value = orjson.loads(raw)
        # Too deep for the standard library's recursion: the record is dead-lettered anyway.
        if self._long_numbers and has_long_integer(raw) and not too_deep(raw, value):
            return json.loads(bytes(raw), parse_int=_exact_int)
        return value

    def _compact(self) -> None:
        # Only between records: no other offset into the buffer is alive here.
        if self._pos >= READ_SIZE:
            self._drop(0, self._pos)
            self._pos = 0

    def _skip_space(self, pos: int) -> int | None:
        """The next byte that is not whitespace, from ``pos`` (nothing before ``pos`` is needed
        any more); a run of whitespace is dropped as it is read, keeping a few bytes before
        the next record for its indentation."""
        while True:
            match = _NOT_SPACE.search(self._data, pos)
            if match is not None:
                return match.start()
            pos = len(self._data)
            if pos > READ_SIZE:
                self._drop(0, pos - KEEP_BEFORE_SPACE)
                pos = self._pos = KEEP_BEFORE_SPACE
            if not self._read_more():
                self._pos = pos
                return None

    def _wrapper_header(self, start: int) -> int | None:
        if self._header is None:
            return None
        while len(self._data) - start < WRAPPER_LOOKAHEAD and self._read_more():
            pass
        match = self._header.match(self._data, start)
        return match.end() if match else None

    # -- containers -----------------------------------------------------------------------

    def _array(self) -> Iterator[RecordFields]:
        # An object with the record key is a record: no wrapper to look into.
        record_key = self._wrapper.record_key if self._wrapper is not None else None
        while True:
            self._compact()
            pos = self._skip_space(self._pos)
            if pos is None:
                return  # the array is not closed: every complete record was already yielded
            byte = self._data[pos]
            if byte == _COMMA:
                self._pos = pos + 1
            elif byte == _CLOSE_BRACKET:
                self._pos = pos + 1
                return
            elif byte == _OPEN_BRACE:
                if record_key is not None:
                    next_start = yield from self._run(pos, record_key)
                    if next_start is None:
                        continue
                    pos = next_start
                raw, value, error = self._value(pos, _ITEM_END, top=False)
                if error is None and record_key in value:  # a record (the common case, inlined)
                    yield self._checked(self._index, pos, raw, value, self._screened(self._pos))
                    self._index += 1
                else:
                    yield from self._records(raw, value, error, pos)
            elif byte == _OPEN_BRACKET:  # an array inside the records' array: no record
                yield from self._records(*self._scanned(pos, top=False))
            else:
                yield from self._records(*self._scalar(pos, _ITEM_SCALAR_END))

    def _run(self, start: int, record_key: str) -> Generator[RecordFields, None, int | None]:
        """The records from ``start`` on while they come in the common layout (a record's end
        and the next record's ``{`` already in the buffer, within a few candidate ends): one
        regex search and one parse per record, without a detour through the general loop.
        Returns where the general path takes over: the start of a record this could not take,
        or ``None`` after the array's last record.

        It accepts the ends :meth:`_value` accepts: a slice that parses is the whole record (a
        JSON object ends at its own closing brace, so no shorter slice parses). So the
        candidates may come from anywhere: once two records in a row were followed by the same
        bytes (``},{`` as AWS writes them, ``}, {``...), those are looked for literally (far
        faster than the candidate regex, and blind to the ``}]`` of the lists inside a record);
        a record they do not end (the array's last, other blanks) takes the regex."""
        data, folded = self._data, self._folded
        search, find, count = _ITEM_END.search, _find, _count
        loads = self._loads if self._long_numbers else orjson.loads
        separator = self._separator
        to_next = len(separator) - 2  # from a record's end (after its "}") to the next one's "{"
        mark = self._next_mark()  # a record ending by it is screened
        while True:
            if start >= READ_SIZE:  # between records: no other offset into the buffer is alive
                self._drop(0, start)
                start = self._pos = 0
                mark = self._next_mark()
            if separator:
                end, value = start, _NOTHING
                for _ in _TRIES:
                    end = find(data, separator, end, end + FIND_WINDOW) + 1
                    if not end:
                        break  # not near (a large record, another separator): the regex decides
                    if end - start > self._max_record:
                        return start  # too large: the general path says so
                    piece = data[start:end]
                    try:
                        value = loads(piece)
                    except orjson.JSONDecodeError as error:
                        if _cut_short(error):
                            continue  # "},{" inside a list of objects: the next candidate
                    break  # the record, or past its end (or invalid: the regex decides)
                else:
                    return start  # many nested lists of objects: the general path gallops
                if value is _NOTHING:  # until the regex sees one separator twice in a row
                    separator = self._separator = b""
                else:
                    if type(value) is not dict or record_key not in value:
                        return start
                    index = self._index
                    self._index, self._pos = index + 1, end
                    screened = end <= mark
                    if not screened and mark != _UNSCREENED:
                        mark = self._passed(end)
                    if count(folded, _OPENING, start, end) <= MAX_DEPTH or not _nests_too_deep(value):
                        yield index, bytes(piece), value, None, screened
                    else:  # _checked, inline: once per record
                        yield index, bytes(piece), None, _TOO_DEEP_REASON, False
                    start = end + to_next
                    continue
            end = start + 1
            for _ in _TRIES:
                match = search(data, end)
                if match is None:  # the end is not in the buffer yet: the general path reads on
                    # into a buffer of this record alone (what the last record's end leaves:
                    # the next one's indentation too), never twice a read's size: the read
                    # appended to a buffer that holds one would copy it as the buffer grows.
                    kept = self._pos
                    if kept:
                        self._drop(0, kept)
                        self._pos, start = 0, start - kept
                    return start
                end = match.end()
                if match.start(1) < 0 and data.count(b"{", start, end) != data.count(b"}", start, end):
                    continue  # "}]" closing a list inside the record (see _value)
                if end - start > self._max_record:
                    return start  # too large: the general path says so
                piece = data[start:end]
                try:
                    value = loads(piece)
                except orjson.JSONDecodeError as error:
                    if _cut_short(error):
                        continue  # "},{" inside a list of objects: the next candidate
                    return start  # past the record's end, or invalid: the general path decides
                break
            else:
                return start  # many nested lists of objects: the general path gallops
            if type(value) is not dict or record_key not in value:
                return start
            index = self._index
            self._index, self._pos = index + 1, end
            screened = end <= mark
            if not screened and mark != _UNSCREENED:
                mark = self._passed(end)
            if count(folded, _OPENING, start, end) <= MAX_DEPTH or not _nests_too_deep(value):
                yield index, bytes(piece), value, None, screened
            else:  # _checked, inline: once per record
                yield index, bytes(piece), None, _TOO_DEEP_REASON, False
            start = match.start(1)
            if start < 0:  # "]": the general loop closes the array
                return None
            if start - end < MAX_SEPARATOR:
                seen = bytes(data[end - 1 : start + 1])
                if seen == self._seen_separator:
                    separator = self._separator = seen
                    to_next = len(separator) - 2
                self._seen_separator = seen

    def _close_wrapper(self) -> None:
        """After the records' array: the wrapper's end, or its other members, then its end."""
        pos = self._skip_space(self._pos)
        if pos is None:
            return
        if self._data[pos] == _CLOSE_BRACE:
            self._pos = pos + 1
        elif self._data[pos] == _COMMA:
            end, _ = self._scan(pos, depth=1)
            self._pos = end

    # -- one value ------------------------------------------------------------------------

    def _value(self, start: int, ends: re.Pattern[bytes], top: bool) -> tuple[bytes, Any, str | None]:
        """The object or array starting at ``start``: try candidate ends, then scan."""
        data = self._data
        search_from = start + 1
        misses = 0
        brace = tried = quiet = -1
        while True:
            searched = quiet < 0 or _NOT_SPACE.search(data, quiet) is not None
            if searched:
                match = ends.search(data, search_from)
            else:  # only blanks read since a search found no end: another would find none
                match, quiet = None, len(data)
            if match is None:
                if self._eof or len(data) - start > self._max_record:
                    return self._scanned(start, top)
                if searched:
                    brace, quiet = self._last_open_end(search_from)
                    search_from = brace if quiet >= 0 else len(data)
                if (
                    quiet >= 0
                    and brace != tried
                    and len(data) - brace > READ_SIZE
                    and brace < start + self._max_record
                ):
                    # Only blanks after it so far (a record followed by a run of whitespace):
                    # take the record now rather than hold the blanks until the next one.
                    tried = brace
                    try:
                        value = self._loads(data[start : brace + 1])
                    except orjson.JSONDecodeError:
                        pass
                    else:
                        self._pos = brace + 1
                        return bytes(data[start : brace + 1]), value, None
                self._read_more()
                continue
            end = match.end()
            if end - start > self._max_record:  # a read may hold more than the limit: not parsed
                return self._scanned(start, top)
            if data[end] == _CLOSE_BRACKET and data.count(b"{", start, end) != data.count(b"}", start, end):
                # "}]": the end of an array's last item, once per array, but also of every
                # list of objects inside a record (far more often). An unbalanced slice is one
                # of those, taken without a parse and its error. A record whose strings hold
                # unbalanced braces is still found: a later try runs past its end, which
                # orjson then names (or, for the last one, the scan finds it).
                misses += 1
                if misses >= SEQUENTIAL_CANDIDATES:
                    return self._gallop(start, end, top)
                search_from = end
                continue
            try:
                value = self._loads(data[start:end])
            except orjson.JSONDecodeError as error:
                if not _cut_short(error):
                    return self._at_document_end(start, error, top)
                misses += 1
                if misses >= SEQUENTIAL_CANDIDATES:
                    return self._gallop(start, end, top)
                search_from = end  # a record's own nested lists: the next candidate is often it
                continue
            self._pos = end
            return bytes(data[start:end]), value, None

    def _last_open_end(self, search_from: int) -> tuple[int, int]:
        """After a search from ``search_from`` found no end: the last ``}`` whose lookahead the
        buffer's end may have cut (only blanks and a comma after it), and the buffer's length
        (``quiet``), from which a run of blanks needs no search; ``(-1, -1)`` when there is
        none. Each byte of a run of blanks is looked at a few times whatever the reads' sizes:
        a search from that ``}`` again at each read (as before) was quadratic in reads of a
        few bytes."""
        data = self._data
        # Only the bytes past the last search's end are new: a "}" before them was judged.
        brace = data.rfind(b"}", search_from)
        if brace >= 0 and _BLANK_TAIL.fullmatch(data, brace + 1):
            return brace, len(data)
        return -1, -1

    def _gallop(self, start: int, end: int, top: bool) -> tuple[bytes, Any, str | None]:
        """After a false candidate end at ``end``: try slices at least twice as long, each
        ending at a ``}``, until one parses or runs past the record's end (which orjson then
        names). A record of length n costs about 2n bytes of parsing per doubling, log(n)
        doublings at most: linear, at C speed, whatever number of ``}`` it holds."""
        data = self._data
        while True:  # each try twice as long, up to the maximum record size: log(n) tries
            target, last = start + 2 * (end - start), False
            brace = data.find(b"}", target)
            while brace < 0:
                if self._eof or len(data) - start > self._max_record:
                    brace, last = data.rfind(b"}", end), True  # the last "}" within reach
                    break
                searched = len(data)  # none before: only the bytes read next are looked at
                self._read_more()
                brace = data.find(b"}", max(target, searched))
            if brace < 0:
                break
            end = brace + 1
            if end - start > self._max_record:
                return self._scanned(start, top)
            try:
                value = self._loads(data[start:end])
            except orjson.JSONDecodeError as error:
                if not _cut_short(error):
                    return self._at_document_end(start, error, top)
                if last:
                    return self._scanned(start, top)
                continue
            self._pos = end
            return bytes(data[start:end]), value, None
        return self._scanned(start, top)

    def _at_document_end(
        self, start: int, error: orjson.JSONDecodeError, top: bool
    ) -> tuple[bytes, Any, str | None]:
        """A slice that holds a whole value and more ("unexpected content after document"):
        the value is the record; any other error, the scan decides."""
        length = _document_length(error)
        if length is None or length > self._max_record:
            return self._scanned(start, top)
        end = start + length
        raw = bytes(self._data[start:end])
        try:
            value = self._loads(raw)
        except orjson.JSONDecodeError:
            return self._scanned(start, top)
        self._pos = end
        return raw, value, None

    def _scanned(self, start: int, top: bool) -> tuple[bytes, Any, str | None]:
        """The value at ``start`` when the fast path could not take it: found by a scan."""
        end, state = self._scan(start, top=top)
        if state == _TOO_LARGE:
            self._pos = end
            raw = bytes(self._data[start : min(end, start + MAX_DEAD_LETTER_RAW)])  # its own bytes only
            return raw, None, f"{RECORD_TOO_LARGE}: more than {self._max_record} bytes"
        if state == _COMPLETE:
            raw = bytes(self._data[start:end])
            try:
                value = self._loads(raw)
            except orjson.JSONDecodeError as error:
                if _well_formed(raw):  # its brackets are its own: so is its end
                    self._pos = end
                    return raw, None, f"{INVALID_JSON}: {error}"
            else:
                self._pos = end
                return raw, value, None
        if state in (_COMPLETE, _BROKEN) or (state == _EOF and top):
            # A bad record never spans past the start of the next one (its brackets may balance
            # with those of later records, or a string break lines further on). An array item
            # still open at the end of the object is a truncation: nothing follows it.
            boundary = _boundary(self._data, start + 1, end, top)
            if boundary is not None:
                end, state = boundary, _UNBALANCED
        if state == _BROKEN:  # a string ran into a raw newline at ``end``: the record stops there
            end = self._resync(start, end, top)
        raw = bytes(self._data[start:end])
        if state in (_BROKEN, _UNBALANCED):
            raw = raw.rstrip(b" \t\r\n,")  # the separator before the next record is not this one's
        self._pos = end
        return self._parsed(raw, truncated=state == _EOF)

    def _scan(self, start: int, depth: int = 0, top: bool = False) -> tuple[int, str]:
        """Find where the value at ``start`` ends by counting brackets outside strings.

        Returns the end offset and how it ended: complete; broken (a string runs into a raw
        newline); unbalanced (a top-level value still open at the end of the object or past
        the maximum record size, cut before the next line that starts a record); eof; too
        large (the middle was dropped to keep memory bounded).
        """
        data = self._data
        in_string, dropped, i = False, False, start
        while True:
            size = len(data)
            if in_string:
                j = _STRING_BODY.match(data, i).end()  # type: ignore[union-attr]
                if j < size:
                    if data[j] == _QUOTE:
                        in_string, i = False, j + 1
                        continue
                    if data[j] == _NEWLINE or j + 1 < size:  # a raw newline, or "\" + newline
                        return j, _BROKEN
                i = j  # cut at the buffer's end (maybe just after a backslash): read on
            else:
                match = _STRUCTURAL.search(data, i)
                if match is not None:
                    i = match.end()
                    byte = data[i - 1]
                    if byte == _QUOTE:
                        in_string = True
                    elif byte in (_OPEN_BRACE, _OPEN_BRACKET):
                        depth += 1
                    else:
                        depth -= 1
                        if depth <= 0:  # longer than the limit, though whole in the buffer: not parsed
                            too_large = dropped or i - start > self._max_record
                            return i, (_TOO_LARGE if too_large else _COMPLETE)
                    continue
                i = size
            too_large = i - start > self._max_record
            if not dropped and not too_large and self._read_more():
                continue
            if not dropped:  # the object ended, or the value outgrew the limit, still unbalanced
                resync = _boundary(data, start + 1, None, top=True) if top else None
                if resync is not None:
                    return resync, _UNBALANCED
                if not too_large:
                    return len(data), _EOF
            keep = start + MAX_DEAD_LETTER_RAW  # keep the head for the dead letter, drop the rest
            if i > keep:
                self._drop(keep, i)
                i, dropped = keep, True
            if not self._read_more():
                return len(data), _TOO_LARGE

    def _resync(self, start: int, end: int, top: bool) -> int:
        """After a string of the record at ``start`` broke at ``end``: where the next record
        starts (read on to find it, within the maximum record size). Inside an array, a line
        that starts with ``{`` indented no deeper than the record (any, for a record that did
        not start a line): the record's nested objects are indented deeper."""
        indent = None if top else _indent(self._data, start)
        line = _ITEM_LINE if indent is None else _line_within(len(indent))
        data, search_from, quiet = self._data, end, -1
        while True:
            # Searched again only from the last "}" or newline that only blanks follow (a
            # start the buffer's end may have cut), and not at all while only blanks are read:
            # each byte is looked at a few times whatever the reads' sizes.
            if quiet < 0 or _NOT_INLINE_BLANK.search(data, quiet) is not None:
                if top:
                    resync = _boundary(data, search_from, None, top=True)
                else:
                    match = line.search(data, search_from)
                    resync = match.start() if match is not None else None
                if resync is not None:
                    return resync
                open_tail = _OPEN_LINE_TAIL.search(data, search_from)
                search_from = open_tail.start() if open_tail is not None else len(data)
            quiet = len(data)
            if len(data) - end > self._max_record or not self._read_more():
                return len(data)

    def _scalar(self, start: int, stop: re.Pattern[bytes]) -> tuple[bytes, Any, str | None]:
        """A value that is not an object or array (a number, ``null``, stray text)."""
        search_from = start + 1
        while True:
            match = stop.search(self._data, search_from)
            if match is not None or self._eof or len(self._data) - start > self._max_record:
                end = match.start() if match is not None else len(self._data)
                break
            search_from = len(self._data)  # one byte stops it: only the next read is looked at
            self._read_more()
        self._pos = end
        if end - start > self._max_record:
            raw = bytes(self._data[start : min(end, start + MAX_DEAD_LETTER_RAW)])
            return raw, None, f"{RECORD_TOO_LARGE}: more than {self._max_record} bytes"
        return self._parsed(bytes(self._data[start:end]).rstrip(_JSON_BLANKS), truncated=False)

    def _parsed(self, raw: bytes, truncated: bool) -> tuple[bytes, Any, str | None]:
        try:
            return raw, self._loads(raw), None
        except orjson.JSONDecodeError as error:
            if truncated and self._truncation is not None:
                raise self._truncation from None  # the record it cut is lost with the rest
            if truncated:
                return raw, None, f"{TRUNCATED_INPUT}: the object ends inside a record ({error})"
            return raw, None, f"{INVALID_JSON}: {error}"


def _leading_members(names: tuple[str, ...]) -> bytes:
    """A regex for scalar members before a wrapper's array: ``"fileVersion": "1.0",``."""
    if not names:
        return b""
    name = rb'"(?:' + b"|".join(re.escape(n.encode()) for n in names) + rb')"'
    scalar = rb'(?:"[^"\\\n]*"|-?[0-9][0-9.eE+-]*)'
    return rb"(?:" + name + _WS + rb":" + _WS + scalar + _WS + rb"," + _WS + rb")*"


def _boundary(data: bytearray, start: int, end: int | None, top: bool) -> int | None:
    """Where the next record starts in ``data[start:end]``, after the record at ``start - 1``:
    just after a ``}`` followed by ``{`` (top level) or by ``,{`` (array), or at a newline
    before ``{``/``[`` (top level)."""
    pattern = _TOP_BOUNDARY if top else _item_boundary(_indent(data, start - 1))
    match = pattern.search(data, start, len(data) if end is None else end)
    if match is None:
        return None
    return match.end() if match.group() == b"}" else match.start()


def _indent(data: bytearray, start: int) -> bytes | None:
    """The whitespace before ``start`` on its line, ``None`` when other bytes precede it."""
    line_start = data.rfind(b"\n", 0, start) + 1
    indent = bytes(data[line_start:start])
    return indent if not indent.strip() else None


@lru_cache(maxsize=64)
def _line_within(indent: int) -> re.Pattern[bytes]:
    """A line starting with ``{`` after at most ``indent`` blanks."""
    return re.compile(rb"\n(?=[ \t\r]{0,%d}\{)" % indent)


@lru_cache(maxsize=64)
def _item_boundary(indent: bytes | None) -> re.Pattern[bytes]:
    """The end of an item of an array: ``}`` then ``,{`` on the same line (compact JSON), or
    then ``,`` and a line holding ``{`` at the item's own indentation (pretty-printed JSON,
    whose nested objects are indented deeper)."""
    compact = rb"\}(?=[ \t]*,[ \t]*\{)"
    if indent is None:
        return re.compile(compact)
    return re.compile(compact + rb"|\}(?=[ \t\r]*,[ \t\r]*\n" + re.escape(indent) + rb"\{)")


def _well_formed(raw: bytes) -> bool:
    """Whether ``raw`` is one JSON value but for what orjson refuses inside its strings and
    numbers (a lone surrogate, bytes that are not UTF-8, a control character, a number beyond
    a double, ``NaN``): its brackets are then its own, and the ``},{`` of its lists and strings
    no start of another record. The standard library's parser, lenient there; only a record
    orjson refused whose brackets balance comes this way."""
    try:
        json.loads(raw.decode("utf-8", "surrogateescape"), strict=False)
    except (ValueError, RecursionError):
        return False
    return True


def _cut_short(error: orjson.JSONDecodeError) -> bool:
    """True when the slice is a valid prefix cut short (a false candidate end).

    ``pos`` counts characters of the decoded ``doc``, not bytes."""
    return error.msg.startswith("unexpected end") and error.pos >= len(error.doc)


def _document_length(error: orjson.JSONDecodeError) -> int | None:
    """The length in bytes of the whole value at the start of a slice that holds more after it
    (``None`` for any other error). ``pos`` counts characters of the decoded ``doc``: the
    first one after the value and its trailing whitespace."""
    if not error.msg.startswith("unexpected content after document"):
        return None
    before = error.doc[: error.pos]
    return len(before.rstrip(" \t\r\n").encode("utf-8"))
