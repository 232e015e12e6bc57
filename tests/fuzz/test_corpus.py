"""Inputs that once failed a fuzz invariant, replayed as regression tests.

A file ``tests/fuzz/corpus/<source>/<name>`` holds one object's bytes as the fuzzer built it
(with the source whose key the object is read under); its name says what it broke."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import check_object

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(path for path in CORPUS.glob("*/*") if path.is_file())


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_a_once_failing_input_keeps_the_invariants(path: Path) -> None:
    check_object(path.read_bytes(), path.parent.name)


def test_the_corpus_is_not_empty() -> None:
    assert CASES
