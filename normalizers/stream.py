"""Turn a raw object stream (gzip or plain) into a decompressed, buffered stream, in bounded
memory and within the object's limits.

Decompression is incremental (``zlib.decompressobj``, from zlib-ng where it is installed: the
same bytes and checks, inflated about 40% faster) and each step's output is bounded
(``max_length``): a 1 MB gzip of 1 GiB of NUL bytes is read 256 KiB at a time like any other
object, never inflated at once. It handles multi-member gzip (concatenated ``.gz`` files, as
Firehose and some exporters write them). A stream cut short raises :class:`TruncatedInput`
from ``read`` after every byte that could be decompressed has been returned; past one of the
object's :class:`~normalizers.limits.Limits` (decompressed bytes, compression ratio) it raises
:class:`LimitExceeded` the same way, and when the caller's ``should_stop`` answers ``True``
(checked on every read), :class:`~normalizers.limits.Interrupted`.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from types import ModuleType
from typing import BinaryIO

from normalizers.limits import DEFAULT_LIMITS, Interrupted, Limits, never
from normalizers.reasons import OBJECT_TOO_LARGE, TRUNCATED_INPUT

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
CHUNK = 1 << 18


class TruncatedInput(EOFError):
    """The compressed stream ended before its end-of-stream marker, or is corrupt: reading
    stops here; the records before are kept, the rest is one dead letter."""

    reason = TRUNCATED_INPUT
    """The prefix of the dead letter that ends the object."""

    def __init__(self, message: str, compressed_offset: int) -> None:
        super().__init__(message)
        self.compressed_offset = compressed_offset


class LimitExceeded(TruncatedInput):
    """One of the object's limits was reached: reading stops here, as for a truncation."""

    reason = OBJECT_TOO_LARGE


class SourceReadError(OSError):
    """Reading the object itself failed (network, S3 stream, disk): not the data's fault.

    It is never turned into a dead letter: the object is left unfinished and retried.
    """


class _Budget:
    """The object's decompressed bytes against its limits, and the caller's deadline."""

    def __init__(self, limits: Limits, should_stop: Callable[[], bool]) -> None:
        self._limits = limits
        self._should_stop = should_stop
        self.total = 0

    def spend(self, produced: int, compressed: int | None) -> None:
        """Count ``produced`` decompressed bytes, ``compressed`` input bytes consumed so far
        (``None`` for a plain object); raise where a limit or the deadline says stop."""
        if self._should_stop():
            raise Interrupted(f"stopped after {self.total} decompressed bytes")
        limits = self._limits
        self.total += produced
        where = self.total if compressed is None else compressed
        if self.total > limits.max_object_bytes:
            raise LimitExceeded(f"more than {limits.max_object_bytes} decompressed bytes", where)
        if compressed is not None and self.total > max(limits.ratio_floor, limits.max_ratio * compressed):
            raise LimitExceeded(
                f"{self.total} bytes decompressed from {compressed}: "
                f"compression ratio over {limits.max_ratio}",
                where,
            )


def _inflater() -> ModuleType:
    """zlib-ng where it is installed: the same API, DEFLATE and CRC-32 checks as the standard
    library's zlib, for about 40% less CPU per byte; else zlib. Imported on the first gzip
    object only, so that a function that never reads one needs neither in its bundle."""
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return zlib
    return zlib_ng


def _read_source(read: Callable[[int], bytes], size: int) -> bytes:
    try:
        return read(size) or b""
    except (TruncatedInput, SourceReadError):
        raise
    except Exception as error:  # botocore/urllib3 stream errors are not OSError subclasses
        raise SourceReadError(f"reading the object failed: {type(error).__name__}: {error}") from error


class _GzipRaw(io.RawIOBase):
    def __init__(self, raw: BinaryIO, first: bytes, budget: _Budget) -> None:
        self._raw = raw
        self._input = first
        """Compressed bytes read and not yet consumed by the inflater."""
        self._zlib = _inflater()
        self._inflate = self._zlib.decompressobj(wbits=31)
        self._budget = budget
        self._out = b""
        self._offset = len(first)
        """Compressed bytes read from the object so far."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._out:
            if not self._input:
                self._input = _read_source(self._raw.read, CHUNK)
                if not self._input:
                    if self._inflate.eof:
                        return 0
                    raise TruncatedInput(
                        f"gzip stream truncated after {self._offset} compressed bytes", self._offset
                    )
                self._offset += len(self._input)
            if self._inflate.eof:  # the next member of a multi-member gzip
                self._inflate = self._zlib.decompressobj(wbits=31)
            try:
                # At most CHUNK bytes out per step, whatever the compression ratio.
                out = self._inflate.decompress(self._input, CHUNK)
            except self._zlib.error as error:
                raise TruncatedInput(
                    f"corrupt gzip data near compressed byte {self._offset}: {error}", self._offset
                ) from None
            inflate = self._inflate
            self._input = inflate.unused_data if inflate.eof else inflate.unconsumed_tail
            # Counted before it is handed out: past a limit, no byte of it is.
            self._budget.spend(len(out), self._offset - len(self._input))
            self._out = out
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that first returns bytes already read from it.

    ``error`` is raised once the prefix is consumed, when reading the prefix itself hit a
    truncation: the records inside the prefix are still delivered before the error.
    """

    def __init__(
        self, raw: BinaryIO, first: bytes, error: TruncatedInput | None = None, budget: _Budget | None = None
    ) -> None:
        self._first = first
        self._error = error
        self._read = getattr(raw, "read1", raw.read)
        self._budget = budget
        """Counts a plain object's bytes (``None`` for bytes already counted once)."""

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
        if self._budget is not None:
            self._budget.spend(len(data), None)
        buffer[: len(data)] = data
        return len(data)


def decompressed(
    raw: BinaryIO, limits: Limits = DEFAULT_LIMITS, should_stop: Callable[[], bool] = never
) -> io.BufferedReader:
    """Wrap ``raw`` so that reads return decompressed bytes (gzip detected by magic), within
    ``limits``; ``should_stop`` is consulted on every read (see the module's doc)."""
    first = _read_source(raw.read, 2)
    budget = _Budget(limits, should_stop)
    inner: io.RawIOBase = (
        _GzipRaw(raw, first, budget) if first == GZIP_MAGIC else _PrefixedRaw(raw, first, budget=budget)
    )
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
