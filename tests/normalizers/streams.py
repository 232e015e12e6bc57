"""Streams for splitter tests."""

from __future__ import annotations

import io


class Trickle(io.RawIOBase):
    """A stream whose reads return at most ``size`` bytes: chunk boundaries fall everywhere."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._size, self._offset = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._size if n < 0 else min(n, self._size)
        chunk = self._data[self._offset : self._offset + n]
        self._offset += len(chunk)
        return chunk
