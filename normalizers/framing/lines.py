"""Text read as chunks of complete lines, with its first line apart, in bounded memory and in
time linear in the text's size.

- Blank lines and whitespace before the first line (a byte order mark, spaces, CR, LF) are
  skipped; the first line is the first that holds something.
- A chunk of blank lines only is skipped at C speed (``bytes.strip``), never handed out:
  a gigabyte of blank lines costs a gigabyte of ``memchr``, not a gigabyte of rows.
- A line longer than the maximum line size is cut, its first bytes kept for its dead letter,
  and its rest skipped as it is read, never held.

A gzip stream cut short raises :class:`~normalizers.stream.TruncatedInput` from ``read``;
reading with ``read1`` (one underlying read at a time) loses nothing decompressed before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from normalizers.limits import DEFAULT_LIMITS
from normalizers.stream import TruncatedInput

TEXT_CHUNK_BYTES = 1 << 20
"""Text is parsed in chunks of complete lines of about this size (one Arrow batch each)."""


MAX_LINE_BYTES = DEFAULT_LIMITS.max_line_bytes
"""A longer "line" is not a record: it is cut to this size and dead-lettered."""


MAX_HEADER_BYTES = 1 << 16

_BOM = b"\xef\xbb\xbf"
_BLANK = b" \t\r\n"
_NOT_BLANK = re.compile(rb"[^ \t\r\n]")
_EDGE_BLANKS = re.compile(rb"^[ \t]+|[ \t]+(?=\r?$)", re.MULTILINE)
_INDENTS = (b"\n ", b"\n\t")


def without_edge_blanks(chunk: bytes) -> bytes:
    """The lines of ``chunk`` without spaces or tabs at their start or end, when some line starts
    with one (a text re-indented by a tool); any other chunk is returned as is, after a
    ``memchr``-speed look for a newline followed by a blank, so the common chunk pays no regex.
    (A blank at the end of a line only, never at a start, is left: the line is a dead letter.)"""
    if chunk[:1] in (b" ", b"\t") or any(indent in chunk for indent in _INDENTS):
        return _EDGE_BLANKS.sub(b"", chunk)
    return chunk


class LineChunks:
    """Read a stream as chunks of complete lines, keeping every byte read before a truncation.

    A gzip stream cut short raises :class:`TruncatedInput` from ``read``; reading with
    ``read1`` (one underlying read at a time) loses nothing that was decompressed before.
    The lines completed so far are handed out first, the partial last line is dropped (it is
    part of what the truncation lost), then the error is re-raised for the pipeline to
    dead-letter: it is deferred, never swallowed.
    """

    def __init__(
        self,
        stream: BinaryIO,
        head: bytes,
        max_line: int | None = None,
        headerless: Callable[[bytes], bytes | None] | None = None,
    ) -> None:
        self._read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
        self._headerless = headerless
        """``first line -> header``: the header to read a text with when its first line is a
        record (flow lines with no header line), else ``None``."""
        self._pending = head
        self._max_line = MAX_LINE_BYTES if max_line is None else max_line
        self._truncation: TruncatedInput | None = None
        self._eof = False
        self.oversized: list[tuple[int, bytes]] = []
        """(line number, first bytes) of over-long lines, cut out of the chunks."""
        self._line = 1
        self.header_line = 1
        """The number of the first line that holds something: the header's."""

    def header(self) -> bytes:
        """The first line that is not blank (without its end of line and the blanks around
        it), or ``b""`` for a text of blanks only; for a text whose first line is a record,
        the header ``headerless`` gives, that line staying the first record."""
        self._skip_leading_blanks()
        while b"\n" not in self._pending and len(self._pending) <= MAX_HEADER_BYTES and self._fill():
            pass
        line, _, rest = self._pending.partition(b"\n")
        first = line[:MAX_HEADER_BYTES].rstrip(_BLANK)
        given = self._headerless(first) if self._headerless is not None else None
        if given is not None:
            return given
        self._pending = rest
        self.header_line = self._line
        self._line += 1
        return first

    def _skip_leading_blanks(self) -> None:
        while len(self._pending) < len(_BOM) and self._fill():
            pass
        self._pending = self._pending.removeprefix(_BOM)
        while True:
            rest = self._pending.lstrip(_BLANK)
            if rest:
                skipped = self._pending[: len(self._pending) - len(rest)]
                self._line += skipped.count(b"\n")
                self._pending = rest
                return
            self._line += self._pending.count(b"\n")
            self._pending = b""
            if not self._fill():
                return

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(number of the first line, bytes of complete lines)``."""
        while True:
            self._fill_to(TEXT_CHUNK_BYTES)
            if self._skip_blank_chunk():
                continue
            cut = self._cut()
            if not cut:
                if not self._pending:
                    break
                if self._eof:
                    if self._truncation is not None:
                        break  # the partial last line is lost with the rest of the stream
                    cut = len(self._pending)  # the last line may lack its end of line
                elif len(self._pending) > self._max_line:
                    self._skip_long_line()
                    continue
                else:
                    self._fill()  # a line longer than a chunk: read on to its end
                    continue
            chunk, self._pending = self._pending[:cut], self._pending[cut:]
            first = self._line
            self._line += chunk.count(b"\n") + (not chunk.endswith(b"\n"))
            yield first, chunk
        if self._truncation is not None:
            raise self._truncation

    def _skip_blank_chunk(self) -> bool:
        """Drop the pending lines when they are all blank (a record needs a byte that is not)."""
        cut = self._cut() if not self._eof else len(self._pending)
        if not cut or _NOT_BLANK.search(self._pending, 0, cut):
            return False
        blank, self._pending = self._pending[:cut], self._pending[cut:]
        self._line += blank.count(b"\n") + (not blank.endswith(b"\n"))
        return True

    def _cut(self) -> int:
        """Where the next chunk ends: after the last end of line within the chunk size."""
        cut = self._pending.rfind(b"\n", 0, TEXT_CHUNK_BYTES) + 1
        return cut or self._pending.find(b"\n") + 1

    def _fill(self) -> bool:
        data = self._read_once()
        self._pending += data
        return bool(data)

    def _fill_to(self, size: int) -> None:
        """Read until ``size`` bytes are pending or the stream ends, joined once: appended
        read by read, reads of a few bytes would copy the pending bytes again at each."""
        parts, pending = [self._pending], len(self._pending)
        while pending < size and (data := self._read_once()):
            parts.append(data)
            pending += len(data)
        self._pending = b"".join(parts)

    def _read_once(self) -> bytes:
        if self._eof:
            return b""
        try:
            data = self._read(1 << 18)
        except TruncatedInput as error:
            self._truncation, data = error, b""
        if not data:
            self._eof = True
        return data

    def _skip_long_line(self) -> None:
        self.oversized.append((self._line, self._pending[: self._max_line]))
        self._line += 1
        while True:
            end = self._pending.find(b"\n")
            if end >= 0:
                self._pending = self._pending[end + 1 :]
                return
            self._pending = b""
            if not self._fill():
                return
