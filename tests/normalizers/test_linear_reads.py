"""The JSON splitter looks at each byte a bounded number of times, whatever the reads' sizes.

A hostile gzip object (a stream of one-byte members) hands the splitter reads of a few bytes.
Each case below is read in reads of 7 bytes through a splitter whose buffer and searches count
the bytes they look at (a search's span up to its hit, or to its end when it finds nothing):
the total must stay within a small multiple of the object's size. A splitter that searched a
pending run again at each read looked at each byte once per later read, quadratic: the count
stops it as soon as it passes the bound (the test fails, it never hangs). Likewise the screen's
marks are counted as they are sorted. Never timed.
"""

from __future__ import annotations

import io
import re
from typing import Any

import orjson
import pytest

from normalizers.framing import json_stream
from normalizers.framing.json_stream import JsonRecord, json_records
from tests.normalizers.streams import Trickle

RUN = 60_000
"""Bytes of the hostile run in each case: far below a read (``READ_SIZE``), so that the
splitter waits for the next record's start; read 7 bytes at a time, a rescan per read would
look at some 250 million bytes."""
BOUND = 12
"""Bytes looked at per byte of the object, at most (a few searches and counts per byte)."""
RECORD = orjson.dumps({"eventVersion": "1.08", "eventName": "CreateUser", "requestParameters": {"a": [1]}})
WRAPPER = json_stream.Wrapper(("Records",), "eventVersion")
READ = 7
"""Bytes per read, as a gzip stream of tiny members gives them."""


class _Budget(Exception):
    """More bytes looked at than the bound allows: stop at once."""


class _Counter:
    def __init__(self, limit: int) -> None:
        self.limit, self.total = limit, 0

    def add(self, count: int) -> None:
        self.total += max(count, 0)
        if self.total > self.limit:
            raise _Budget(f"{self.total} bytes looked at")


def _counting_bytearray(counter: _Counter) -> type[bytearray]:
    class Counted(bytearray):
        """The splitter's buffer: its searches and counts say how far they looked."""

        def find(self, sub: Any, start: Any = 0, end: Any = None) -> int:
            stop = len(self) if end is None else min(end, len(self))
            at = super().find(sub, start, stop)
            counter.add((at + len(sub) if at >= 0 else stop) - start)
            return at

        def rfind(self, sub: Any, start: Any = 0, end: Any = None) -> int:
            stop = len(self) if end is None else min(end, len(self))
            at = super().rfind(sub, start, stop)
            counter.add(stop - (at if at >= 0 else start))
            return at

        def count(self, sub: Any, start: Any = 0, end: Any = None) -> int:
            stop = len(self) if end is None else min(end, len(self))
            counter.add(stop - start)
            return super().count(sub, start, stop)

    return Counted


class _CountedPattern:
    """A compiled pattern whose searches say how far they looked."""

    def __init__(self, pattern: re.Pattern[bytes], counter: _Counter) -> None:
        self._pattern, self._counter = pattern, counter

    def _counted(self, method: Any, data: Any, pos: int = 0, endpos: int | None = None) -> Any:
        end = len(data) if endpos is None else endpos
        found = method(data, pos, end)
        self._counter.add((found.end() if found is not None else end) - pos)
        return found

    def search(self, data: Any, pos: int = 0, endpos: int | None = None) -> Any:
        return self._counted(self._pattern.search, data, pos, endpos)

    def match(self, data: Any, pos: int = 0, endpos: int | None = None) -> Any:
        return self._counted(self._pattern.match, data, pos, endpos)

    def fullmatch(self, data: Any, pos: int = 0, endpos: int | None = None) -> Any:
        return self._counted(self._pattern.fullmatch, data, pos, endpos)


def _records(
    data: bytes, wrapper: json_stream.Wrapper | None, monkeypatch: pytest.MonkeyPatch
) -> list[JsonRecord]:
    counter = _Counter(BOUND * len(data))
    monkeypatch.setattr(json_stream, "bytearray", _counting_bytearray(counter), raising=False)
    for name, value in list(vars(json_stream).items()):
        if isinstance(value, re.Pattern):
            monkeypatch.setattr(json_stream, name, _CountedPattern(value, counter))
    line_within = json_stream._line_within
    monkeypatch.setattr(
        json_stream, "_line_within", lambda indent: _CountedPattern(line_within(indent), counter)
    )
    records = list(json_records(Trickle(data, READ), wrapper))  # type: ignore[arg-type]
    assert counter.total > len(data)  # the instruments see the splitter's searches
    return records


BLANKS = b" \n" * (RUN // 2)
CASES = {
    # A record followed by a run of blanks: its end ("}" then the next record's start) is
    # cut by the buffer's end until the run ends.
    "blanks between the items of an array": (
        b'{"Records":[' + RECORD + BLANKS + b"," + RECORD + b"]}",
        WRAPPER,
    ),
    "blanks on both sides of the comma": (
        b'{"Records":[' + RECORD + BLANKS + b"," + BLANKS + RECORD + b"]}",
        WRAPPER,
    ),
    "blanks between top-level records": (RECORD + BLANKS + RECORD, None),
    # A "}" that blanks then other text follow is no end: nothing after it is searched again.
    "blanks then text after a nested object": (
        b'{"eventVersion":"1","a":{"b":1}' + BLANKS + b"x" * RUN + b"}\n" + RECORD,
        None,
    ),
    # A value that is no object, with no end of line.
    "a number with no end of line": (b"1" * RUN + b"\n" + RECORD, None),
    # A string broken by a raw newline (after a false end, so that the rest is not read yet):
    # the next record's start is looked for.
    "a broken string then blank lines, top level": (
        b'{"eventVersion":"1","a":"broken\n","b":{"c":1}, ['
        + b" " * RUN
        + b"\n"
        + b"\t" * RUN
        + b"\n"
        + RECORD,
        None,
    ),
    "a broken string then blank lines, in an array": (
        b'{"Records":[{"eventVersion":"1","a":"broken\n","b":{"c":1},{"d":1},'
        + b" " * RUN
        + b"\n"
        + b"\t" * RUN
        + b"\n"
        + RECORD
        + b"]}",
        WRAPPER,
    ),
    # Lists of objects make false ends: each try twice as long, then a long string without "}".
    "a record of many false ends then a long string": (
        b'{"Records":[{"eventVersion":"1","l":[{},{},{},{},{},{}],"s":"'
        + b"a" * RUN
        + b'"},'
        + RECORD
        + b"]}",
        WRAPPER,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_byte_is_looked_at_a_bounded_number_of_times_in_reads_of_a_few_bytes(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, wrapper = CASES[case]
    records = _records(data, wrapper, monkeypatch)
    assert records[-1].raw == RECORD and records[-1].error is None  # the record after the run is whole
    monkeypatch.undo()
    # The same records as in one read: only the cost depends on the reads.
    assert [(r.index, r.raw, r.value, r.error) for r in records] == [
        (r.index, r.raw, r.value, r.error) for r in json_records(io.BytesIO(data), wrapper)
    ]


class _SortCounted(list[tuple[int, int]]):
    """The splitter's screen marks: how many of them each sort went over."""

    sorted_items = 0

    def sort(self, *args: Any, **kwargs: Any) -> None:
        _SortCounted.sorted_items += len(self)
        super().sort(*args, **kwargs)


def test_a_record_full_of_screened_names_never_has_its_marks_sorted_again_at_each_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record holding thousands of the screen's names, read 7 bytes at a time: the marks of
    each read are added in order, not the whole pending list sorted at each read."""
    from normalizers.cloudtrail.credentials import SECRET_MARKERS

    names = b'"password":"x",' * 4_000
    data = b'{"Records":[{"eventVersion":"1.08",' + names + b'"eventName":"x"},' + RECORD + b"]}"
    splitter = json_stream._Splitter(Trickle(data, READ), WRAPPER, 1 << 20, SECRET_MARKERS)  # type: ignore[arg-type]
    monkeypatch.setattr(_SortCounted, "sorted_items", 0)
    splitter._marks = _SortCounted()
    records = list(splitter)
    assert [screened for *_, screened in records] == [
        False,
        True,
    ]  # the names are seen, the next record clean
    assert _SortCounted.sorted_items <= 4 * len(data) // READ  # at most a few per read, not all of them
