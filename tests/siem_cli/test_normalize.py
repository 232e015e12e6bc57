"""``siem normalize``: records in = documents + dead letters, whatever a document holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

import siem_cli.normalize
from normalizers import Item, NormalizedObject, Origin
from siem_cli.main import main
from tests.records import cloudtrail_record


def _nested(levels: int) -> object:
    value: object = "v"
    for _ in range(levels):
        value = {"a": value}
    return value


class _Spoiled:
    """A normalized object whose second document is nested past what orjson encodes (254
    levels): a shape the normalizers already refuse, injected after them."""

    def __init__(self, normalized: NormalizedObject) -> None:
        self._normalized = normalized

    @property
    def outcome(self) -> Any:
        return self._normalized.outcome

    def __iter__(self) -> Iterator[Item]:
        for number, item in enumerate(self._normalized):
            if number == 1 and isinstance(item, dict):
                item["aws"]["cloudtrail"]["request_parameters"] = _nested(300)
            yield item


def test_a_document_that_cannot_be_encoded_is_dead_lettered_not_the_end_of_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    records = [cloudtrail_record(number) for number in range(3)]
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": records}))
    letters = tmp_path / "letters.jsonl"
    normalize = siem_cli.normalize.normalize_object

    def spoiled(handle: BinaryIO, origin: Origin, source: str | None) -> Any:
        return _Spoiled(normalize(handle, origin, source))

    monkeypatch.setattr(siem_cli.normalize, "normalize_object", spoiled)

    status = main(["normalize", "--original", "--dead-letter", str(letters), str(trail)])

    assert status == 0
    out, err = capsysbinary.readouterr()
    documents = [json.loads(line) for line in out.splitlines()]
    assert [document["event"]["id"] for document in documents] == [
        records[0]["eventID"],
        records[2]["eventID"],
    ]
    (letter,) = [json.loads(line) for line in letters.read_bytes().splitlines()]
    assert letter["reason"].startswith("invalid record: its document cannot be encoded")
    assert (letter["source"], letter["object"], letter["position"]) == ("cloudtrail", str(trail), "record 1")
    assert json.loads(letter["raw"]) == records[1]  # event.original: what a replay normalizes again
    summary = err.decode().splitlines()[-1].split()
    # source, objects, records, documents, dead-letters, skipped, partial
    assert summary == ["cloudtrail", "1", "3", "2", "1", "0", "0"]
