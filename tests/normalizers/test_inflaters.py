"""gzip objects read the same with zlib-ng (installed with the project) as with the standard
library's zlib (a bundle without zlib-ng): every byte, members, truncation and corruption."""

from __future__ import annotations

import gzip
import io
import random
import struct
import zlib
from types import ModuleType

import pytest

from normalizers import stream
from normalizers.stream import TruncatedInput, decompressed

BODY = bytes(random.Random(15).getrandbits(8) for _ in range(300_000)) + b'{"Records":[]}' * 20_000


@pytest.fixture(params=["zlib", "zlib_ng"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = zlib if request.param == "zlib" else pytest.importorskip("zlib_ng.zlib_ng")
    monkeypatch.setattr(stream, "_inflater", lambda: module)
    return module


def _read_all(data: bytes) -> tuple[bytes, TruncatedInput | None]:
    reader, out = decompressed(io.BytesIO(data)), b""
    try:
        while chunk := reader.read1(1 << 16):
            out += chunk
    except TruncatedInput as error:
        return out, error
    return out, None


def test_the_installed_inflater_is_zlib_ng() -> None:
    pytest.importorskip("zlib_ng")
    assert stream._inflater().__name__ == "zlib_ng.zlib_ng"


def test_members_of_a_multi_member_gzip_are_read_in_order(inflater: ModuleType) -> None:
    data = gzip.compress(BODY[:1000]) + gzip.compress(BODY) + gzip.compress(b"")
    assert _read_all(data) == (BODY[:1000] + BODY, None)


def test_a_cut_gzip_gives_a_prefix_of_its_bytes_then_truncated_input(inflater: ModuleType) -> None:
    data = gzip.compress(BODY)
    out, error = _read_all(data[: len(data) // 2])
    assert BODY.startswith(out) and len(out) > 0
    assert isinstance(error, TruncatedInput) and "truncated" in str(error)


def test_a_wrong_crc_is_corrupt_data(inflater: ModuleType) -> None:
    data = bytearray(gzip.compress(BODY))
    crc = struct.unpack("<I", data[-8:-4])[0]
    data[-8:-4] = struct.pack("<I", crc ^ 1)  # RFC 1952: CRC-32 of the uncompressed data
    _, error = _read_all(bytes(data))
    assert isinstance(error, TruncatedInput) and "corrupt gzip data" in str(error)


def _one_byte_members(body: bytes) -> bytes:
    return b"".join(gzip.compress(body[n : n + 1]) for n in range(len(body)))


def test_a_read_is_filled_across_members_of_one_byte(inflater: ModuleType) -> None:
    """A gzip of one-byte members (hostile, or a writer that flushes each byte) gives reads as
    large as any other: every later stage pays a cost per read."""
    body = BODY[:10_000]  # 210 kB of members: one read of the object (stream.CHUNK)
    reader = decompressed(io.BytesIO(_one_byte_members(body)))
    assert reader.read1(1 << 16) == body  # all of it in one read, not one byte
    assert reader.read1(1 << 16) == b""


def test_bytes_inflated_before_a_truncation_come_first_whatever_the_members(inflater: ModuleType) -> None:
    body = BODY[:5_000]
    cut = gzip.compress(b"the rest")[:-3]
    reader = decompressed(io.BytesIO(_one_byte_members(body) + cut))
    out = reader.read1(1 << 16)
    with pytest.raises(TruncatedInput, match="truncated"):
        while chunk := reader.read1(1 << 16):
            out += chunk
    assert out.startswith(body) and b"the rest".startswith(out[len(body) :])


def test_a_member_boundary_in_any_read_of_the_object_loses_no_byte(inflater: ModuleType) -> None:
    """Members of every size, the object read from its source in reads of a few bytes."""
    rng = random.Random(3)
    cuts = sorted(rng.sample(range(1, 60_000), 300))
    pieces = [BODY[a:b] for a, b in zip([0, *cuts], [*cuts, 60_000], strict=True)]

    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data, self._pos = data, 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            n = min(size, rng.randint(1, 50))
            chunk = self._data[self._pos : self._pos + n]
            self._pos += len(chunk)
            return chunk

    reader = decompressed(Trickle(b"".join(gzip.compress(piece) for piece in pieces)))  # type: ignore[arg-type]
    out = b""
    while chunk := reader.read1(1 << 16):
        out += chunk
    assert out == BODY[:60_000]
