"""The streaming JSON splitter on findings layouts (GuardDuty and Security Hub wrappers: ``findings``/``Findings``)."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.framing.json_stream import JsonRecord, Wrapper, json_records
from tests.normalizers.streams import Trickle

# Values chosen to put structural characters where a naive splitter would cut.
TRICKY_VALUES: list[Any] = [
    {"title": "a } { b", "quote": 'say "}{" now', "backslash": "ends with \\", "n": 1},
    {"unicode": "café ✓ 日本 \U0001f600", "escaped": "\u00e9\\u00e9", "list": [{"a": "]"}, {"b": "["}]},
    {"deep": json.loads("[" * 60 + '{"x": "}"}' + "]" * 60)},
    {"empty": {}, "arr": [], "nested": {"findings": [1, 2]}, "s": "\n{\n"},
    {"Findings": "not a batch: the value is a string"},
]


FINDINGS = Wrapper(keys=("findings", "Findings"), record_key="id")


def _split(data: bytes, chunk_size: int) -> list[JsonRecord]:
    return list(json_records(Trickle(data, chunk_size), FINDINGS))  # type: ignore[arg-type]


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


LAYOUTS = {
    "concatenated": lambda values: b"".join(_compact(v) for v in values),
    "json-lines": lambda values: b"\n".join(_compact(v) for v in values) + b"\n",
    "crlf-lines": lambda values: b"\r\n".join(_compact(v) for v in values),
    "pretty": lambda values: b"\n".join(json.dumps(v, indent=2).encode() for v in values),
    "spaced": lambda values: b"  ".join(_compact(v) for v in values) + b" \n ",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_yields_every_value_whatever_the_chunk_size(layout: str) -> None:
    data = LAYOUTS[layout](TRICKY_VALUES)
    for chunk_size in (1, 2, 3, 7, 64, 1 << 18):
        values = _split(data, chunk_size)
        assert [v.value for v in values] == TRICKY_VALUES, f"chunk {chunk_size}"
        assert [v.index for v in values] == list(range(len(TRICKY_VALUES)))
        assert all(v.error is None for v in values)
        assert [json.loads(v.raw) for v in values] == TRICKY_VALUES


def test_raw_is_exactly_the_value_bytes() -> None:
    records = [b'{"a": "x}y"}', b'{"b":[1,{"c":2}]}', b'{ "d" : null }']
    values = _split(b"\n".join(records), 5)
    assert [v.raw for v in values] == records


def test_batch_items_are_streamed_one_by_one() -> None:
    items = TRICKY_VALUES[:3]
    for key in ("findings", "Findings"):
        data = (
            b'{ "%s" :\n [' % key.encode()
            + b",\n".join(_compact(v) for v in items)
            + b'], "nextToken": "}{"}'
        )
        for chunk_size in (1, 4, 1 << 18):
            values = _split(data + _compact({"after": True}), chunk_size)
            assert [v.value for v in values] == [*items, {"after": True}]
            assert [v.raw for v in values[:3]] == [_compact(v) for v in items]


def test_commas_between_top_level_values_are_separators() -> None:
    values = _split(b'{"a": 1},\n{"b": 2} , {"c": 3}', 2)
    assert [v.value for v in values] == [{"a": 1}, {"b": 2}, {"c": 3}]


def test_top_level_array_items_are_values() -> None:
    values = _split(b'[{"a": 1}, {"b": "],["}]\n[]\n{"c": 3}', 3)
    assert [v.value for v in values] == [{"a": 1}, {"b": "],["}, {"c": 3}]


def test_empty_inputs_yield_nothing() -> None:
    for data in (b"", b"   \n", b"\xef\xbb\xbf", b'{"findings": []}', b'{"Findings":[ ]}\n', b"[]"):
        assert _split(data, 2) == []


def test_byte_order_mark_is_skipped() -> None:
    assert [v.value for v in _split(b'\xef\xbb\xbf{"a": 1}', 1)] == [{"a": 1}]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (b'{"a": tru}', "invalid literal"),
        (b'{"a": 1,}', "trailing comma"),
        (b'{"a": "caf\xe9"}', "UTF-8"),
        (b"garbage", "unexpected character"),
        (b'{"a": [1, 2', "unexpected end"),
    ],
)
def test_a_bad_value_is_reported_and_the_next_one_still_comes(bad: bytes, error: str) -> None:
    data = b'{"first": 1}\n' + bad + b'\n{"last": 2}\n'
    for chunk_size in (1, 5, 1 << 18):
        values = _split(data, chunk_size)
        assert [v.value for v in values] == [{"first": 1}, None, {"last": 2}], f"chunk {chunk_size}"
        assert values[1].raw == bad
        assert values[1].error is not None and error.lower() in values[1].error.lower()


def test_bad_value_between_concatenated_objects() -> None:
    values = _split(b'{"a": 1}{"b": tru}{"c": 3}', 2)
    assert [v.value for v in values] == [{"a": 1}, None, {"c": 3}]
    assert values[1].raw == b'{"b": tru}'


def test_an_unterminated_value_at_the_end_is_one_error() -> None:
    values = _split(b'{"a": 1}\n{"b": "never closed', 3)
    assert [v.value for v in values] == [{"a": 1}, None]
    assert values[1].raw == b'{"b": "never closed'


def _lines(count: int) -> Iterator[bytes]:
    finding = {"id": "x" * 32, "padding": "p" * 900, "nested": [{"k": i} for i in range(5)]}
    for number in range(count):
        yield _compact({**finding, "n": number}) + b"\n"


class _Source(io.RawIOBase):
    """A stream generated on the fly: the test never holds the whole input either."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts = parts
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._parts)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def test_memory_stays_flat_for_a_large_batch() -> None:
    count = 3_000  # about 3 MB of findings in one {"findings": [...]} batch
    parts = iter(
        [
            b'{"findings": [',
            *(line.rstrip(b"\n") + b"," for line in _lines(count - 1)),
            next(_lines(1)).rstrip(b"\n"),
            b"]}",
        ]
    )
    tracemalloc.start()
    try:
        seen = sum(1 for _ in json_records(io.BufferedReader(_Source(parts)), FINDINGS))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 1 << 20, f"peak {peak} bytes: the batch was not streamed"


def test_truncated_gzip_after_the_head_keeps_complete_records() -> None:
    """Truncation inside the normalizer's reads (past the 64 KiB the pipeline sniffs) ends
    the object with one ``truncated input`` dead letter after the complete findings."""
    template = {
        "schemaVersion": "2.0",
        "accountId": "111122223333",
        "region": "us-east-1",
        "type": "Recon:EC2/Portscan",
        "severity": 5,
        "updatedAt": "2026-03-02T10:00:00Z",
        "description": "d" * 2000,
    }
    body = b"".join(_compact({**template, "id": f"finding-{n:04d}"}) + b"\n" for n in range(200))
    compressed = gzip.compress(body, mtime=0)
    cut = compressed[: len(compressed) * 3 // 4]
    normalized = normalize_object(
        io.BytesIO(cut), Origin("s3://bucket/AWSLogs/gd.jsonl.gz", "2026-01-01T00:00:00Z")
    )
    items = list(normalized)
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    dead = [item for item in items if isinstance(item, DeadLetter)]
    assert normalized.outcome.source == "guardduty"
    assert 0 < len(documents) < 200
    assert [d["aws"]["guardduty"]["id"] for d in documents] == [
        f"finding-{n:04d}" for n in range(len(documents))
    ]
    assert [d.reason.split(":")[0] for d in dead] == ["truncated input"]
    assert normalized.outcome.error and normalized.outcome.records == len(items)
