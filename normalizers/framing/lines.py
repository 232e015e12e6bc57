"""Text read as chunks of complete lines, with its first line apart, in bounded memory.

A gzip stream cut short raises :class:`~normalizers.stream.TruncatedInput` from ``read``;
reading with ``read1`` (one underlying read at a time) loses nothing decompressed before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from normalizers.stream import TruncatedInput

TEXT_CHUNK_BYTES = 1 << 20
"""Text is parsed in chunks of complete lines of about this size (one Arrow batch each)."""


MAX_LINE_BYTES = 1 << 20
"""A longer "line" is not a flow record: it is cut to this size and dead-lettered."""


MAX_HEADER_BYTES = 1 << 16


class LineChunks:
    """Read a stream as chunks of complete lines, keeping every byte read before a truncation.

    A gzip stream cut short raises :class:`TruncatedInput` from ``read``; reading with
    ``read1`` (one underlying read at a time) loses nothing that was decompressed before.
    The lines completed so far are handed out first, the partial last line is dropped (it is
    part of what the truncation lost), then the error is re-raised for the pipeline to
    dead-letter: it is deferred, never swallowed.
    """

    def __init__(self, stream: BinaryIO, head: bytes) -> None:
        self._read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
        self._pending = head
        self._truncation: TruncatedInput | None = None
        self._eof = False
        self.oversized: list[tuple[int, bytes]] = []
        """(line number, first bytes) of over-long lines, cut out of the chunks."""
        self._line = 1

    def header(self) -> bytes:
        """The first line (without its end of line), or what there is of it."""
        while b"\n" not in self._pending and len(self._pending) <= MAX_HEADER_BYTES and self._fill():
            pass
        line, _, self._pending = self._pending.partition(b"\n")
        self._line = 2
        return line[:MAX_HEADER_BYTES]

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(number of the first line, bytes of complete lines)``."""
        while True:
            while len(self._pending) < TEXT_CHUNK_BYTES and self._fill():
                pass
            cut = self._cut()
            if not cut:
                if not self._pending:
                    break
                if self._eof:
                    if self._truncation is not None:
                        break  # the partial last line is lost with the rest of the stream
                    cut = len(self._pending)  # the last line may lack its end of line
                elif len(self._pending) > MAX_LINE_BYTES:
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

    def _cut(self) -> int:
        """Where the next chunk ends: after the last end of line within the chunk size."""
        cut = self._pending.rfind(b"\n", 0, TEXT_CHUNK_BYTES) + 1
        return cut or self._pending.find(b"\n") + 1

    def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            data = self._read(1 << 18)
        except TruncatedInput as error:
            self._truncation, data = error, b""
        if not data:
            self._eof = True
            return False
        self._pending += data
        return True

    def _skip_long_line(self) -> None:
        self.oversized.append((self._line, self._pending[:MAX_LINE_BYTES]))
        self._line += 1
        while True:
            end = self._pending.find(b"\n")
            if end >= 0:
                self._pending = self._pending[end + 1 :]
                return
            self._pending = b""
            if not self._fill():
                return
