"""What lies between records costs no record but its own, in every container and compression.

A source's seed records (each one document alone) in JSON lines, concatenated (Firehose) or in
a top-level array, with hostile values between them: a record that is an array or a scalar,
nesting past the limit, a number no double holds, a lone surrogate or invalid UTF-8 in a key,
a NUL byte, a byte order mark, an object without a record's members, a record longer than the
record limit; the object plain, gzip, multi-member gzip, a gzip inside a gzip, after a byte
order mark (after the first record: what an object begins with decides its format, and an
object no format begins is one dead letter of all its bytes). Records in = documents + dead letters: each seed is its document, each hostile
value at least one dead letter (side by side in a stream without lines, junk may be one), and each dead letter has a reason, a position, the object,
and bytes that are the object's own (nothing invented, nothing of another record).
"""

from __future__ import annotations

import dataclasses
import gzip
import os
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalizers import DeadLetter
from normalizers.limits import DEFAULT_LIMITS, Limits
from tests.fuzz.harness import (
    CONTAINERS,
    KEYS,
    REASONS,
    bare_records,
    compressions,
    eventbridge_event,
    firehose_error_line,
    normalize,
    refusals,
    some,
)
from tests.fuzz.test_fuzz import JSON_SOURCES

settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SHARED = ("json lines", "concatenated (Firehose)", "array")
"""The containers whose records are each a value of their own, wherever they come from."""


def hazards(limit: int) -> dict[str, bytes]:
    """Values that are no record, by what they try; ``limit``: the record limit."""
    return {
        "an array": b"[1,2]",
        "a number": b"5",
        "a string": b'"x"',
        "null": b"null",
        "an empty object": b"{}",
        "nesting past the limit": b'{"a":' * 200 + b"1" + b"}" * 200,
        "an integer no double holds": b'{"a":' + b"9" * 400 + b"}",
        "a number beyond a double": b'{"a":1e999}',
        "a lone surrogate in a key": b'{"\\ud800":1}',
        "invalid UTF-8 in a key": b'{"\xff\xfe":1}',
        "invalid UTF-8 in a value": b'{"a":"\xc3\x28"}',
        "a NUL byte": b"\x00",
        "a byte order mark": b"\xef\xbb\xbf",
        "a string longer than a record": b'{"a":"' + b"x" * limit + b'"}',
        "a record twice the limit": b'{"a":"' + b"x" * (2 * limit) + b'"}',
    }


def _in_gzip_twice(data: bytes, parts: Sequence[bytes]) -> bytes:
    return gzip.compress(gzip.compress(data, 1), 1)


def _after_a_bom(data: bytes, parts: Sequence[bytes]) -> bytes:
    return b"\xef\xbb\xbf" + data


COMPRESSIONS: dict[str, Callable[[bytes, Sequence[bytes]], bytes]] = {
    **compressions(),
    "gzip inside gzip": _in_gzip_twice,
    "after a byte order mark": _after_a_bom,
}


def _limits(source: str) -> Limits:
    """A record limit every seed fits in, small enough that a hostile value passes it cheaply."""
    return dataclasses.replace(DEFAULT_LIMITS, max_record_bytes=max(map(len, bare_records(source))) + 1)


@pytest.mark.parametrize("source", JSON_SOURCES)
@given(data=st.data())
def test_a_hostile_value_between_records_costs_no_other_record(source: str, data: st.DataObject) -> None:
    limits = _limits(source)
    found = hazards(limits.max_record_bytes)
    seeds = data.draw(some(st.sampled_from(bare_records(source)), 1, 4))
    hostile = data.draw(some(st.sampled_from(sorted(found)), 1, 3))
    records = list(seeds)
    for name in hostile:  # after the first record: an object's head decides its format
        records.insert(data.draw(st.integers(1, len(records))), found[name])
    shared = data.draw(st.sampled_from(SHARED))
    container = next(c for c in CONTAINERS if c.name == shared)
    plain = container.wrap(source, records)
    body = COMPRESSIONS[data.draw(st.sampled_from(sorted(COMPRESSIONS)))](plain, records)
    items = normalize(body, source, limits=limits)
    letters = [item for item in items if isinstance(item, DeadLetter)]
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    shapes = [(letter.reason, letter.position, letter.raw[:60]) for letter in letters]
    assert len(documents) == len(seeds), (len(documents), len(seeds), hostile, shapes)
    # A line each in JSON lines; elsewhere two values of junk side by side may be one.
    dead = len(hostile) - hostile.count("a byte order mark")
    assert len(letters) >= (dead if shared == "json lines" else min(dead, 1)), (hostile, shapes)
    for letter in letters:
        assert letter.reason.split(":", 1)[0] in REASONS, letter.reason
        assert letter.position and letter.object == f"s3://bucket/{KEYS[source]}", letter
        assert letter.raw and letter.raw in plain, (letter.reason, letter.raw[:200])
        # Longer than the limit, a record is not parsed (its memory is the limit's): its reason says so.
        too_large = letter.reason.startswith("record too large")
        assert too_large or len(letter.raw) <= limits.max_record_bytes, (letter.reason, len(letter.raw))
    for document in documents:
        assert not refusals(document), refusals(document)


@pytest.mark.parametrize("shared", SHARED)
@pytest.mark.parametrize("source", JSON_SOURCES)
def test_a_record_longer_than_the_limit_is_too_large_though_one_read_holds_it(
    source: str, shared: str
) -> None:
    """The limit was checked only when the buffer ran out: a record that one read held whole,
    reads growing with the record up to 16 MiB, was parsed up to twice the limit (a 9 MiB record
    indexed, a 10 MiB one dead-lettered, as the reads fell). One byte more than the limit is too
    large, the limit itself is not."""
    seed = bare_records(source)[0]
    limits = dataclasses.replace(DEFAULT_LIMITS, max_record_bytes=len(seed))
    container = next(c for c in CONTAINERS if c.name == shared)
    at_limit = normalize(container.wrap(source, [seed, seed]), source, limits=limits)
    assert [type(item) for item in at_limit] == [dict, dict], at_limit
    longer = seed[:-1] + b' , "padding": "x"}'
    over = normalize(container.wrap(source, [seed, longer, seed]), source, limits=limits)
    assert [type(item) for item in over] == [dict, DeadLetter, dict], over
    assert over[1].reason == f"record too large: more than {len(seed)} bytes", over[1]
    assert over[1].raw == longer, over[1]


def test_a_record_of_the_limit_in_a_firehose_error_line_is_recovered() -> None:
    """An error line holds its record in base64 (4 bytes for 3) beside the error's members: it
    is cut with room for a record of the limit, and the record is held to the limit itself."""
    event = eventbridge_event("guardduty", bare_records("guardduty")[0])
    limits = dataclasses.replace(DEFAULT_LIMITS, max_record_bytes=len(event))
    [document] = normalize(firehose_error_line(event), "firehose_errors", limits=limits)
    assert not isinstance(document, DeadLetter), document
    longer = event[:-1] + b',"padding":"xxxx"}'
    [letter] = normalize(firehose_error_line(longer), "firehose_errors", limits=limits)
    assert isinstance(letter, DeadLetter), letter
    assert letter.reason.startswith("record too large: rawData decodes to"), letter.reason
