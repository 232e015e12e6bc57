"""Text flow logs: a header line naming the fields, then one record per line, parsed a chunk
of lines at a time into Arrow columns (pyarrow's CSV reader, or a Python split it cannot do)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from normalizers.base import DeadLetter, Item, Origin
from normalizers.framing import lines
from normalizers.framing.lines import LineChunks
from normalizers.loop import BatchFraming
from normalizers.vpcflow.arrow import pylist
from normalizers.vpcflow.batch import dead_letter, emit
from normalizers.vpcflow.header import INVALID_HEADER, Header, parse_header
from normalizers.vpcflow.spec import SPEC

_SPACES = re.compile(rb" +")


@dataclass(slots=True)
class _Rows:
    """A batch of parsed rows: binary columns, their line numbers, and the rejected lines."""

    columns: list[pa.Array]
    lines: list[int]
    invalid: list[tuple[int, bytes, str]] = field(default_factory=list)
    """(line number, raw line, reason), in line order."""


def text_items(chunks: LineChunks, origin: Origin) -> Iterator[Item]:
    first = chunks.header()  # the first line that is not blank
    if not first:
        return  # an empty object, or blanks only, holds no records
    header = parse_header(first)
    if isinstance(header, str):
        position = f"line {chunks.header_line}"
        yield DeadLetter(SPEC.name, f"{INVALID_HEADER}: {header}", origin.object, position, first)
        return
    for first_line, lines_chunk in chunks:
        chunk = lines.without_edge_blanks(lines_chunk)
        rows = _parse_fast(chunk, first_line, header) or _parse_slow(chunk, first_line, header)
        rows.invalid.extend(_pop_oversized(chunks, first_line, origin))
        rows.invalid.sort(key=lambda entry: entry[0])
        yield from _text_batch(rows, header, origin)
    for line, raw in chunks.oversized:
        yield dead_letter(
            origin,
            f"invalid record: line longer than {origin.limits.max_line_bytes} bytes",
            "line",
            line,
            header.raw + b"\n" + raw,
        )


def _pop_oversized(chunks: LineChunks, before_line: int, origin: Origin) -> list[tuple[int, bytes, str]]:
    """Over-long lines met before this chunk, to be dead-lettered in line order."""
    taken = [
        (line, raw, f"invalid record: line longer than {origin.limits.max_line_bytes} bytes")
        for line, raw in chunks.oversized
        if line < before_line
    ]
    chunks.oversized[:] = [entry for entry in chunks.oversized if entry[0] >= before_line]
    return taken


def _parse_fast(chunk: bytes, first_line: int, header: Header) -> _Rows | None:
    """Parse a chunk with pyarrow's CSV reader; ``None`` when only the careful path can."""
    if not _is_utf8(chunk):
        return None  # pyarrow cannot report a rejected line that is not UTF-8
    if b"  " in chunk:
        return None  # a run of spaces is one separator: pyarrow's reader counts empty fields
    width = len(header.names)
    rejected: list[tuple[int, bytes, str]] = []

    def on_invalid(row: Any) -> str:
        # row.number counts the chunk's physical lines from 1.
        rejected.append(
            (
                first_line + row.number - 1,
                row.text.encode("utf-8"),
                f"invalid record: {row.actual_columns} fields, header has {width}",
            )
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(chunk),
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=len(chunk) + 1, column_names=[f"c{i}" for i in range(width)]
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=" ",
                quote_char=False,
                escape_char=False,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.binary() for i in range(width)},
                null_values=[],
                strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if any(number is None for number, _, _ in rejected):
        return None
    # pyarrow also ends a line at a lone CR: the numbering would no longer match the file.
    if table.num_rows + len(rejected) != chunk.count(b"\n") + (not chunk.endswith(b"\n")):
        return None
    lines = _line_numbers(first_line, table.num_rows, {number for number, _, _ in rejected})
    columns = [table.column(i).combine_chunks() for i in range(width)]
    rows = _Rows(columns, lines, rejected)
    return _without_blank_rows(rows)


def _is_utf8(chunk: bytes) -> bool:
    if chunk.isascii():
        return True
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _line_numbers(first_line: int, count: int, rejected: set[int]) -> list[int]:
    """The line numbers of ``count`` accepted rows, skipping the rejected lines."""
    if not rejected:
        return list(range(first_line, first_line + count))
    lines: list[int] = []
    line = first_line
    while len(lines) < count:
        if line not in rejected:
            lines.append(line)
        line += 1
    return lines


def _without_blank_rows(rows: _Rows) -> _Rows:
    """An empty line is not a record: drop it (it keeps its line number)."""
    if not rows.columns or not rows.lines:
        return rows
    blank = pc.equal(pc.binary_length(rows.columns[0]), 0)
    for column in rows.columns[1:]:
        blank = pc.and_(blank, pc.equal(pc.binary_length(column), 0))
    if not pc.any(blank).as_py():
        return rows
    keep = pc.invert(blank)
    lines = [line for line, dropped in zip(rows.lines, blank.to_pylist(), strict=True) if not dropped]
    return _Rows([column.filter(keep) for column in rows.columns], lines, rows.invalid)


def _parse_slow(chunk: bytes, first_line: int, header: Header) -> _Rows:
    """Split the chunk line by line in Python: slower, but it copes with any bytes."""
    width = len(header.names)
    values: list[list[bytes]] = [[] for _ in range(width)]
    lines: list[int] = []
    invalid: list[tuple[int, bytes, str]] = []
    for offset, line in enumerate(chunk.split(b"\n")[: chunk.count(b"\n") + (not chunk.endswith(b"\n"))]):
        line = line.removesuffix(b"\r")
        if not line:
            continue
        parts = _fields(line)
        if len(parts) != width:
            invalid.append(
                (first_line + offset, line, f"invalid record: {len(parts)} fields, header has {width}")
            )
            continue
        lines.append(first_line + offset)
        for column, value in zip(values, parts, strict=True):
            column.append(value)
    return _Rows([pa.array(column, pa.binary()) for column in values], lines, invalid)


def _fields(line: bytes) -> list[bytes]:
    """The fields of a line: "fields separated by spaces" (flow-logs.md, "Flow log records"),
    one or more (the guide's own "TCP flag sequence" example has two in a row)."""
    return _SPACES.split(line) if b"  " in line else line.split(b" ")


def _text_batch(rows: _Rows, header: Header, origin: Origin) -> Iterator[Item]:
    raw_lines = (
        pc.binary_join_element_wise(*rows.columns, b" ") if rows.columns else pa.array([], pa.binary())
    )
    raw_list: list[bytes] = pylist(raw_lines)
    strings, problems = _decode_utf8(rows.columns, header.names)
    framing = BatchFraming(
        source=SPEC.name,
        label="line",
        positions=rows.lines,
        id_texts=raw_list,
        raw=lambda i: header.raw + b"\n" + raw_list[i],
        original=lambda i: raw_list[i].decode("utf-8", "replace"),
    )
    pending = [
        (line, dead_letter(origin, reason, "line", line, header.raw + b"\n" + raw))
        for line, raw, reason in rows.invalid
    ]
    return emit(strings, header.tgw, framing, problems, pending, origin)


def _decode_utf8(columns: list[pa.Array], names: list[str]) -> tuple[dict[str, pa.Array], dict[int, str]]:
    """Binary columns -> string columns; rows holding bytes that are not UTF-8 are bad rows."""
    problems: dict[int, str] = {}
    strings: dict[str, pa.Array] = {}
    for name, column in zip(names, columns, strict=True):
        try:
            strings[name] = column.cast(pa.string())
            continue
        except pa.ArrowInvalid:
            pass
        decoded: list[str | None] = []
        for index, value in enumerate(column.to_pylist()):
            try:
                decoded.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                problems.setdefault(index, f"invalid record: {name} is not UTF-8")
                decoded.append(None)
        strings[name] = pa.array(decoded, pa.string())
    return strings, problems
