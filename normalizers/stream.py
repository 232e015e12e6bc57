"""Turn a raw object stream (gzip or plain) into a decompressed, buffered stream, in bounded
memory and within the object's limits.

Decompression is incremental (``zlib.decompressobj``, from zlib-ng where it is installed: the
same bytes and checks, inflated about 40% faster) and each step's output is bounded
(``max_length``): a 1 MB gzip of 1 GiB of NUL bytes is read 256 KiB at a time like any other
object, never inflated at once. It handles multi-member gzip (concatenated ``.gz`` files, as
Firehose and some exporters write them), each read filled across members: a gzip of one-byte
members gives reads as large as any other. A stream cut short raises :class:`TruncatedInput`
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
MEMBER_WINDOW = 1 << 12
"""Compressed bytes handed to the inflater after a gzip member's end (see :class:`_GzipRaw`)."""


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
    """Decompressed bytes of a gzip stream (one member or many), a read filled across members.

    A read is filled from as many members as the compressed bytes already read hold: a stream
    of one-byte members (hostile, or a writer flushing each record) gives reads as large as
    any other, not one byte each (every later stage pays a cost per read). What ends the
    stream (a truncation, a limit, the deadline) raised while a read is partly filled is
    raised by the next read, after those bytes are handed out.
    """

    def __init__(self, raw: BinaryIO, first: bytes, budget: _Budget) -> None:
        self._raw = raw
        self._input = first
        """Compressed bytes read, consumed up to :attr:`_at`."""
        self._at = 0
        self._window = CHUNK
        """Compressed bytes handed to the inflater at once: after a member's end, a few
        (each member's end copies what is left of them: its ``unused_data``), doubling back to
        :data:`CHUNK` with each step that ends none."""
        self._zlib = _inflater()
        self._inflate = self._zlib.decompressobj(wbits=31)
        self._budget = budget
        self._out = b""
        self._out_at = 0
        self._offset = len(first)
        """Compressed bytes read from the object so far."""
        self._error: Exception | Interrupted | None = None
        """What ended the stream while a read was partly filled: raised by the next read."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size, filled = len(buffer), 0
        while filled < size:
            if self._out_at == len(self._out):
                if filled and self._at == len(self._input):
                    break  # more would need another read of the object: hand out these first
                try:
                    if not self._step():
                        break
                except (Exception, Interrupted) as error:  # a truncation, a limit, the deadline, the source
                    if not filled:
                        raise
                    self._error = error
                    break
                continue
            n = min(size - filled, len(self._out) - self._out_at)
            buffer[filled : filled + n] = self._out[self._out_at : self._out_at + n]
            self._out_at += n
            filled += n
        return filled

    def _step(self) -> bool:
        """Decompress the next step's bytes into :attr:`_out` (some may be none: a member's
        header); ``False`` at the stream's end."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._at == len(self._input):
            self._input, self._at = _read_source(self._raw.read, CHUNK), 0
            if not self._input:
                if self._inflate.eof:
                    return False
                raise TruncatedInput(
                    f"gzip stream truncated after {self._offset} compressed bytes", self._offset
                )
            self._offset += len(self._input)
        if self._inflate.eof:  # the next member of a multi-member gzip
            self._inflate = self._zlib.decompressobj(wbits=31)
        window = memoryview(self._input)[self._at : self._at + self._window]
        try:
            # At most CHUNK bytes out per step, whatever the compression ratio.
            out = self._inflate.decompress(window, CHUNK)
        except self._zlib.error as error:
            raise TruncatedInput(
                f"corrupt gzip data near compressed byte {self._offset}: {error}", self._offset
            ) from None
        inflate = self._inflate
        self._at += len(window) - len(inflate.unused_data if inflate.eof else inflate.unconsumed_tail)
        self._window = min(CHUNK, 2 * self._window) if not inflate.eof else MEMBER_WINDOW
        # Counted before it is handed out: past a limit, no byte of it is.
        self._budget.spend(len(out), self._offset - (len(self._input) - self._at))
        self._out, self._out_at = out, 0
        return True


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
    parts, length = [], 0
    error: TruncatedInput | None = None
    while length < size:
        try:
            chunk = stream.read1(size - length)
        except TruncatedInput as truncated:
            error = truncated
            break
        if not chunk:
            break
        parts.append(chunk)  # joined once: reads of a few bytes never copy the head again
        length += len(chunk)
    head = b"".join(parts)
    return head, io.BufferedReader(_PrefixedRaw(stream, head, error), buffer_size=CHUNK)
