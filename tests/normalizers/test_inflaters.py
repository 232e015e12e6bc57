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
