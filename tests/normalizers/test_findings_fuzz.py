"""Damaged findings never raise out of the normalizers: each record becomes a document or
a dead letter (the pipeline's catch-all for normalizer errors must never be needed)."""

from __future__ import annotations

import gzip
import io
import random

import pytest

from normalizers import DeadLetter
from normalizers.base import Origin
from normalizers.guardduty.normalize import normalize as normalize_guardduty
from normalizers.securityhub.normalize import normalize as normalize_securityhub
from tests.conftest import GOLDEN

ORIGIN = Origin("fuzz", "2026-01-01T00:00:00Z")
NORMALIZERS = {"guardduty": normalize_guardduty, "securityhub": normalize_securityhub}
INTERESTING = [b"{", b"}", b"[", b"]", b'"', b"\\", b",", b":", b"\n", b"null", b"1e999", b"\xff", b"-", b"0"]


def _inputs(source: str) -> list[bytes]:
    data = []
    for path in sorted((GOLDEN / source).glob("*/input*")):
        raw = path.read_bytes()
        if path.suffix == ".gz":
            try:
                raw = gzip.decompress(raw)
            except EOFError:
                continue
        data.append(raw)
    return data


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(out) + 1)
        choice = rng.random()
        if choice < 0.4:
            out[where:where] = rng.choice(INTERESTING)
        elif choice < 0.7:
            del out[where : where + rng.randint(1, 20)]
        else:
            out = out[:where]
    return bytes(out)


@pytest.mark.parametrize("source", sorted(NORMALIZERS))
def test_mutated_inputs_never_raise(source: str) -> None:
    rng = random.Random(20260302)
    inputs = [data for data in _inputs(source) if data.strip()]
    assert inputs
    normalize = NORMALIZERS[source]
    for _ in range(300):
        data = _mutate(rng.choice(inputs), rng)
        items = list(normalize(io.BufferedReader(io.BytesIO(data)), ORIGIN))
        for item in items:
            if isinstance(item, DeadLetter):
                assert item.source == source and item.reason.split(":")[0] in (
                    "invalid JSON",
                    "invalid record",
                    "missing field",
                    "unparseable timestamp",
                    "truncated input",
                )
            else:
                assert item["@timestamp"] and item["event"]["id"] and item["cloud"]["account"]["id"]
