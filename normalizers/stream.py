"""Turn a raw object stream (gzip or plain) into a decompressed, buffered stream.

Decompression is incremental (``zlib.decompressobj``), so memory stays flat whatever the
object's size, and it handles multi-member gzip (concatenated ``.gz`` files, as Firehose
and some exporters write them). A stream cut short raises :class:`TruncatedInput` from
``read`` after every byte that could be decompressed has been returned.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
CHUNK = 1 << 18


class TruncatedInput(EOFError):
    """The compressed stream ended before its end-of-stream marker, or is corrupt."""

    def __init__(self, message: str, compressed_offset: int) -> None:
        super().__init__(message)
        self.compressed_offset = compressed_offset


class SourceReadError(OSError):
    """Reading the object itself failed (network, S3 stream, disk): not the data's fault.

    It is never turned into a dead letter: the object is left unfinished and retried.
    """


def _read_source(read: Callable[[int], bytes], size: int) -> bytes:
    try:
        return read(size) or b""
    except (TruncatedInput, SourceReadError):
        raise
    except Exception as error:  # botocore/urllib3 stream errors are not OSError subclasses
        raise SourceReadError(f"reading the object failed: {type(error).__name__}: {error}") from error


class _GzipRaw(io.RawIOBase):
    def __init__(self, raw: BinaryIO, first: bytes) -> None:
        self._raw = raw
        self._pending = first
        self._inflate = zlib.decompressobj(wbits=31)
        self._out = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_compressed(self) -> bytes:
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return _read_source(self._raw.read, CHUNK)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._out and not self._done:
            data = self._next_compressed()
            if not data:
                if self._inflate.eof:
                    self._done = True
                    break
                raise TruncatedInput(
                    f"gzip stream truncated after {self._offset} compressed bytes", self._offset
                )
            self._offset += len(data)
            try:
                self._out = self._inflate.decompress(data)
                while self._inflate.eof and self._inflate.unused_data:
                    rest = self._inflate.unused_data
                    self._inflate = zlib.decompressobj(wbits=31)
                    self._out += self._inflate.decompress(rest)
            except zlib.error as error:
                raise TruncatedInput(
                    f"corrupt gzip data near compressed byte {self._offset}: {error}", self._offset
                ) from None
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that first returns bytes already read from it.

    ``error`` is raised once the prefix is consumed, when reading the prefix itself hit a
    truncation: the records inside the prefix are still delivered before the error.
    """

    def __init__(self, raw: BinaryIO, first: bytes, error: TruncatedInput | None = None) -> None:
        self._first = first
        self._error = error
        self._read = getattr(raw, "read1", raw.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._first:
            n = min(len(buffer), len(self._first))
            buffer[:n] = self._first[:n]
            self._first = self._first[n:]
            return n
        if self._error is not None:
            raise self._error
        # read1 where there is one: a truncation must not discard bytes already decompressed
        # (an S3 streaming body has only read).
        data = _read_source(self._read, len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)


def decompressed(raw: BinaryIO) -> io.BufferedReader:
    """Wrap ``raw`` so that reads return decompressed bytes (gzip detected by magic)."""
    first = _read_source(raw.read, 2)
    inner: io.RawIOBase = _GzipRaw(raw, first) if first == GZIP_MAGIC else _PrefixedRaw(raw, first)
    return io.BufferedReader(inner, buffer_size=CHUNK)


def read_head(stream: io.BufferedReader, size: int = 1 << 16) -> tuple[bytes, io.BufferedReader]:
    """Read up to ``size`` bytes for sniffing and return them with a stream that replays them.

    A truncation inside the head is deferred to the returned stream, after the head's bytes.
    """
    head = b""
    error: TruncatedInput | None = None
    while len(head) < size:
        try:
            chunk = stream.read1(size - len(head))
        except TruncatedInput as truncated:
            error = truncated
            break
        if not chunk:
            break
        head += chunk
    return head, io.BufferedReader(_PrefixedRaw(stream, head, error), buffer_size=CHUNK)
