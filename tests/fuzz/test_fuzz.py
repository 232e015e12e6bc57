"""Property-based fuzzing of every source in every container (issue 19, deliverable 3).

Profiles (``HYPOTHESIS_PROFILE``): ``ci``, the default in ``make test``, a few hundred
examples per source, derandomized so that CI is deterministic; ``long`` (``make fuzz``),
thousands of random examples with hypothesis's example database, on demand. An input that
fails goes into ``tests/fuzz/corpus/`` (see ``test_corpus.py``) once its bug is fixed.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import check_object, compressions, containers, fuzzed_sources, seeds

settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SOURCES = fuzzed_sources()
NOISE = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b" ",
    b"\xef\xbb\xbf",
    b"null",
    b"1e999",
    b"123456789012345678901234567890",
    b"\xff",
    b"\x00",
    b"-",
    b"0",
]


@st.composite
def wrapped(draw: st.DrawFn, source: str) -> tuple[bytes, int]:
    container = draw(st.sampled_from(containers(source)))
    pool = [raw for raw in seeds(source) if not container.bare_only or _bare(source, raw)]
    records = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    if source == "vpcflow":  # one header per file: the records of the first one's header
        header = records[0].split(b"\n", 1)[0]
        records = [r for r in records if r.split(b"\n", 1)[0] == header]
    compress = draw(st.sampled_from(sorted(compressions())))
    return compressions()[compress](container.wrap(source, records), records), len(records)


def _bare(source: str, raw: bytes) -> bool:
    from tests.fuzz.harness import bare_records

    return raw in bare_records(source)


@st.composite
def mutated(draw: st.DrawFn, source: str) -> bytes:
    data, _ = draw(wrapped(source))
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["insert", "delete", "cut", "flip"]))
        if kind == "insert":
            out[where:where] = draw(st.sampled_from(NOISE) | st.binary(max_size=8))
        elif kind == "delete":
            del out[where : where + draw(st.integers(1, 40))]
        elif kind == "cut":
            del out[where:]
        elif out:
            out[min(where, len(out) - 1)] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


@pytest.mark.parametrize("source", SOURCES)
@given(data=st.data())
def test_records_in_every_container_become_one_document_each(source: str, data: st.DataObject) -> None:
    body, records = data.draw(wrapped(source))
    check_object(body, source, records)


@pytest.mark.parametrize("source", SOURCES)
@given(data=st.data())
def test_mutated_objects_keep_the_invariants(source: str, data: st.DataObject) -> None:
    check_object(data.draw(mutated(source)), source)


@pytest.mark.parametrize("source", SOURCES)
@given(junk=st.binary(max_size=2000) | st.lists(st.sampled_from(NOISE), max_size=60).map(b"".join))
def test_junk_keeps_the_invariants(source: str, junk: bytes) -> None:
    check_object(junk, source)
