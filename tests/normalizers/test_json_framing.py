"""The one JSON splitter and the EventBridge step, on what both former splitters had to survive:
layouts, separators, and damaged records that must cost themselves only."""

from __future__ import annotations

import io
import json
import random
import re
from typing import Any

import pytest

from normalizers.framing import json_stream
from normalizers.framing.envelopes import EventBridge, JsonFraming
from normalizers.framing.json_stream import (
    MAX_DEPTH,
    TOO_DEEP,
    JsonRecord,
    Wrapper,
    has_long_integer,
    json_records,
)
from normalizers.reasons import RecordError
from tests.normalizers.streams import Trickle

RECORDS = Wrapper(keys=("Records",), record_key="eventVersion")


def _split(data: bytes, wrapper: Wrapper = RECORDS, chunk: int = 7) -> list[JsonRecord]:
    return list(json_records(Trickle(data, chunk), wrapper))  # type: ignore[arg-type]


def _values(records: list[JsonRecord]) -> list[Any]:
    return [record.value if record.error is None else None for record in records]


def test_commas_between_top_level_records_are_separators_not_records() -> None:
    records = _split(b'{"a": 1},\n{"b": 2} , {"c": 3}')
    assert _values(records) == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [record.index for record in records] == [0, 1, 2]


def test_a_wrapper_whose_array_is_not_first_gives_its_records_with_their_own_index() -> None:
    data = b'{"x": 1}\n{"nextToken": "t", "Records": [{"eventName": "A"}, {"eventName": "B"}]}\n{"y": 2}'
    records = _split(data)
    assert _values(records) == [{"x": 1}, {"eventName": "A"}, {"eventName": "B"}, {"y": 2}]
    assert [record.index for record in records] == [0, 1, 2, 3]
    assert json.loads(records[2].raw) == {"eventName": "B"}  # replays on its own


def test_an_object_with_the_record_key_is_a_record_even_with_a_records_array() -> None:
    record = {"eventVersion": "1.08", "Records": [{"eventName": "A"}]}
    assert _values(_split(json.dumps(record).encode())) == [record]


def test_a_streamed_wrapper_skips_its_other_members() -> None:
    data = b'{ "Records" : [ {"eventName": "A"} ], "nextToken": "}{", "more": [1, {"x": "]"}] }{"eventName": "B"}'
    assert _values(_split(data)) == [{"eventName": "A"}, {"eventName": "B"}]


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        # JSON lines: a line whose brackets never balance stops before the next line.
        (b'{"n": 1}\n{"n": [2, {"x": 1}\n{"n": 3}\n', [{"n": 1}, None, {"n": 3}]),
        # Concatenated (Firehose): an unbalanced record stops at the next "}{".
        (b'{"n": 1}{"n": [2}{"n": 3}{"n": 4}', [{"n": 1}, None, {"n": 3}, {"n": 4}]),
        # One line opens a bracket too many, a later one closes one too many: no merging (the
        # second one's brackets close at "]": its "}" is one more stray dead letter).
        (b'{"n": [1}\n{"n": 2}\n{"n": 3]}\n{"n": 4}\n', [None, {"n": 2}, None, None, {"n": 4}]),
        # A string broken by a raw newline, the record going on on the next line, then a
        # record concatenated on that same line.
        (b'{"n": "bro\nken", "m": 1}{"n": 5}\n', [None, {"n": 5}]),
    ],
)
def test_a_damaged_top_level_record_never_takes_the_next_ones(data: bytes, kept: list[Any]) -> None:
    for chunk in (1, 3, 1 << 18):
        records = _split(data, chunk=chunk)
        assert _values(records) == kept, chunk
        for record in records:
            if record.error is not None:
                assert record.error.startswith("invalid JSON: ")


def test_a_damaged_item_stops_at_the_next_item() -> None:
    # Compact: the bad item's brackets balance only at the end of the array.
    compact = b'{"Records":[{"n":1},{"n":[2,{"x":1}},{"n":3},{"n":4}]}'
    assert _values(_split(compact)) == [{"n": 1}, None, {"n": 3}, {"n": 4}]
    # Pretty-printed: nested objects are indented deeper than the items, so they are no boundary.
    items = [{"n": 1, "list": [{"a": 1}, {"b": 2}]}, {"n": 3, "list": [{"c": 3}]}]
    pretty = json.dumps({"Records": items}, indent=2).encode()
    damaged = pretty.replace(b'"n": 1,', b'"n": [1,', 1)
    assert _values(_split(damaged)) == [None, items[1]]


@pytest.mark.parametrize(
    "bad",
    [b'"\\ud800"', b"1e999", b'"\xff\xfe"', b'"tab\tinside"', b"NaN"],
    ids=["lone surrogate", "infinite number", "not utf-8", "control character", "nan"],
)
@pytest.mark.parametrize("top", [False, True], ids=["array", "concatenated"])
def test_a_well_formed_record_with_a_value_orjson_refuses_is_one_dead_letter_with_all_its_bytes(
    bad: bytes, top: bool
) -> None:
    # Its brackets balance (one JSON value but for a string or number orjson refuses), so the
    # "},{" of its lists and the "}{" of its strings are its own, not the start of the next
    # record: cut there, it was several dead letters (the count of records wrong, the later
    # ones' indices shifted, its bytes not replayable), its nested objects records of their own.
    nested = (
        b'{"eventVersion":"1.08","text":"x}{y","items":[{"id":"i-1","bad":%s},{"eventVersion":"1.08"}]}' % bad
    )
    first, last = b'{"eventVersion":"1.08","n":0}', b'{"eventVersion":"1.08","n":2}'
    if top:
        data = first + b"\n" + nested + b"\n" + last
    else:
        data = b'{"Records":[' + first + b"," + nested + b"," + last + b"]}"
    for chunk in (1, 5, 1 << 18):
        records = _split(data, chunk=chunk)
        assert [(record.index, record.raw) for record in records] == [(0, first), (1, nested), (2, last)], (
            chunk
        )
        assert _values(records) == [{"eventVersion": "1.08", "n": 0}, None, {"eventVersion": "1.08", "n": 2}]
        assert records[1].error is not None and records[1].error.startswith("invalid JSON: ")


def test_braces_inside_strings_never_cost_a_record_its_end() -> None:
    # Compact, as CloudTrail writes it: an item ends with "}" then "]" (the last) or ",{".
    # Strings may hold unbalanced braces (a policy cut short, a message) and lists of objects.
    items = [
        {"eventVersion": "1.09", "errorMessage": "expected '}' here", "set": {"items": [{"id": "i-1"}]}},
        {"eventVersion": "1.09", "policy": "{{{", "set": {"items": [{"id": "i-2"}, {"id": "i-3"}]}},
        {"eventVersion": "1.09", "set": {"items": [{"id": "i-4"}]}, "note": "}}]"},
    ]
    for records in (items, items[:1], items[1:2], items[2:], items[::-1]):
        data = json.dumps({"Records": records}, separators=(",", ":")).encode()
        for chunk in (7, 1 << 20):
            split = _split(data, chunk=chunk)
            assert _values(split) == records
            assert [json.loads(record.raw) for record in split] == records


def _nested_record(name: str, levels: int, openings: str) -> str:
    """A record of ``levels`` levels of nesting (itself one of them), its member nesting
    objects and arrays, each level opening with the next of ``openings`` in turn."""
    inner = '"v"'
    for level in range(levels - 1):
        opening = openings[level % len(openings)]
        inner = '{"a":' + inner + "}" if opening == "{" else "[" + inner + "]"
    return f'{{"eventVersion":"1.09","eventName":"{name}","p":{inner}}}'


@pytest.mark.parametrize("openings", ["{", "[", "{["])
@pytest.mark.parametrize(("chunk", "before"), [(7, 0), (300, 0), (1 << 20, 0), (1 << 20, 5000)])
def test_a_record_past_the_depth_limit_is_its_dead_letter_and_one_at_the_limit_never(
    openings: str, chunk: int, before: int
) -> None:
    # Counted as one search of each read's bytes translated ("[" as "{"): the deep records'
    # brackets straddle read boundaries (chunk 7 and 300), or come after the first records'
    # bytes were dropped from the buffer (350 kB before them); brackets inside strings, however
    # many, are no nesting.
    in_strings = '"' + "{[" * (2 * MAX_DEPTH) + '"'
    records = [_nested_record(f"before {number}", 3, openings) for number in range(before)] + [
        _nested_record("at the limit", MAX_DEPTH, openings),
        _nested_record("past the limit", MAX_DEPTH + 1, openings),
        '{"eventVersion":"1.09","eventName":"in strings","p":{"s":' + in_strings + "}}",
        _nested_record("after", 3, openings),
    ]
    for data in (
        ('{"Records":[' + ",".join(records) + "]}").encode(),  # the array: one search per record
        "\n".join(records).encode(),  # JSON lines: the records at the top level
    ):
        split = _split(data, chunk=chunk)
        errors = [None] * len(records)
        errors[before + 1] = f"invalid JSON: {TOO_DEEP}"
        assert [record.error for record in split] == errors
        assert [record.raw for record in split] == [record.encode() for record in records]
        assert _values(split) == [
            None if error else json.loads(r) for r, error in zip(records, errors, strict=True)
        ]


def test_records_among_items_that_are_no_records_keep_their_order_bytes_and_values() -> None:
    # Records one after the other (the common case) interleaved with what is not a record
    # there: an EventBridge event, a damaged item, a number beyond 64 bits, lists of objects.
    items = [
        b'{"eventVersion":"1.09","set":{"items":[{"id":"i-1"},{"id":"i-2"}]}}',
        b'{"eventVersion":"1.09","note":"},{\\"x\\":1}]"}',
        b'{"detail-type":"AWS API Call via CloudTrail","detail":{"eventVersion":"1.09"}}',
        b'{"eventVersion":"1.09","n":[2,{"x":1}}',
        b'{"eventVersion":"1.09","big":123456789012345678901234567890}',
        b'{"eventVersion":"1.09","last":[{"a":1}]}',
    ]
    data = b'{"Records":[' + b",".join(items) + b"]}"
    for chunk in (5, 1 << 20):
        records = _split(data, chunk=chunk)
        assert [record.index for record in records] == list(range(len(items)))
        assert [record.raw for record in records] == items
        assert [record.error is None for record in records] == [True, True, True, False, True, True]
        assert records[1].value == {"eventVersion": "1.09", "note": '},{"x":1}]'}
        assert records[4].value["big"] == "123456789012345678901234567890"  # its digits, exact
        assert records[5].value == {"eventVersion": "1.09", "last": [{"a": 1}]}


@pytest.mark.parametrize("chunk", [1, 7, 19, 20, 64, 65, 200])
def test_an_integer_beyond_64_bits_keeps_its_digits_wherever_a_read_boundary_cuts_it(chunk: int) -> None:
    # Each read is checked for numbers of 19 digits or more, and the bytes around its start
    # apart: wherever the boundary falls (in the number, in the blanks or sign before it),
    # the record holding it is parsed exactly, and one without any is parsed as usual.
    for padding in range(0, 70, 3):
        first = b'{"eventVersion":"1.09","pad":"%s"}' % (b"x" * padding)
        big = b'{"eventVersion":"1.09","big": \n -123456789012345678901234567890,"small":[18446744073709551615]}'
        data = b'{"Records":[' + first + b"," + big + b"]}"
        records = _split(data, chunk=chunk)
        assert [record.raw for record in records] == [first, big]
        assert records[1].value == {
            "eventVersion": "1.09",
            "big": "-123456789012345678901234567890",
            "small": [18446744073709551615],
        }


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (b'{"n":12345678901234567890}', True),  # 20 digits: may not fit 64 bits
        (b'{"n":-1234567890123456789}', True),  # 19 after a minus sign: may not fit either
        (b'{"n":1234567890123456789}', False),  # 19 digits always fit (unsigned)
        (b'{"n":-123456789012345678}', False),  # 18 digits always fit
        (b'{"n": \t\r\n -1234567890123456789}', True),  # blanks and a minus sign before it
        (b'{"n":[1,\n  12345678901234567890]}', True),  # an array's items
        (b'{"n":[1,\n  1234567890123456789]}', False),
        (b"[12345678901234567890]", True),
        (b"[-1234567890123456789]", True),
        (b'{"n":12345678901234567890.5}', True),  # a fraction: only a re-parse, the same float
        # Digits inside strings follow a quote or text: the Go SDK's session names, ids.
        (b'{"s":"aws-go-sdk-1714567890123456789"}', False),
        (b'{"s":"12345678901234567890"}', False),
        (b'{"s":"a: 12345678901234567890"}', True),  # text that reads like JSON: a re-parse
        (b'{"s":"a-1234567890123456789-b"}', False),
        (b'{"s":"1234567890123456789","t":"x-123456789012345678901234"}', False),
        (b'{"n":-123456789012345678,"m":0.1234567890123456789}', False),  # a fraction's digits
    ],
)
def test_an_integer_that_may_not_fit_64_bits_is_found_and_digits_in_strings_are_not(
    text: bytes, found: bool
) -> None:
    assert has_long_integer(text) is found
    assert has_long_integer(bytearray(text)) is found
    assert has_long_integer(memoryview(text)) is found


@pytest.mark.parametrize("length", [20, 21, 37, 38, 39, 57, 100, 1000])
def test_a_run_of_digits_is_judged_by_what_precedes_its_first_digit_however_long(length: int) -> None:
    digits = b"7" * length
    assert has_long_integer(b'{"n":' + digits + b"}")
    assert has_long_integer(b'{"n":-' + digits + b',"s":"x' + digits + b'"}')  # a later run in a string
    assert has_long_integer(b'{"s":"x' + digits + b'","n":[' + digits + b"]}")  # an earlier run in one
    assert not has_long_integer(b'{"s":"x' + digits + b'","t":"-' + digits + b'"}')
    assert not has_long_integer(b'{"s":"' + b"ab".join([digits] * 5) + b'"}')


def test_a_run_of_digits_at_the_start_of_a_window_counts_only_when_the_window_is_open() -> None:
    # A read of a longer stream: what precedes its first bytes is unknown.
    for window in (b"1234567890123456789,", b" \n-1234567890123456789", b"  12345678901234567890"):
        assert has_long_integer(window, open_start=True)  # a minus sign may come before the 19 digits
    for window in (b"1234567890123456789,", b"  1234567890123456789"):
        assert not has_long_integer(window)
    for window in (b" \n-1234567890123456789", b"  12345678901234567890"):
        assert not has_long_integer(window)
        assert has_long_integer(b"[" + window)
        assert has_long_integer(b"," + window)
        assert not has_long_integer(b"x" + window)
    assert not has_long_integer(b"x 1234567890123456789", open_start=True)
    assert not has_long_integer(b"123456789012345678", open_start=True)


_A_LONG_NUMBER = re.compile(rb"[:,\[][ \t\r\n]*(?:-[0-9]{19}|[0-9]{20})")
"""An integer that may not fit 64 bits (20 digits, or 19 after a minus sign) after what JSON
puts before a value (blanks aside)."""
_NO_NUMBER_OF_JSON = re.compile(rb"[:,\[][ \t\r\n]*[-0-9]{20}")
"""What also counts: 20 digits and minus signs, which no number of JSON holds (``:--1...``)
unless it is one of the above; at worst a record is parsed again."""


def _digits_and_json(rng: random.Random, longest: int) -> bytes:
    """Mostly digits, with what JSON puts around numbers and strings: runs of 19 and more."""
    alphabet = b'0123456789:,[-" x\n\t'
    weights = [30] * 10 + [3, 3, 2, 3, 3, 2, 5, 2, 1]
    return bytes(rng.choices(alphabet, weights, k=rng.randint(0, longest)))


def test_random_text_finds_every_integer_that_may_not_fit_64_bits_and_no_other_run_of_digits() -> None:
    rng = random.Random(15)
    for _ in range(20000):
        text = _digits_and_json(rng, 90)
        found = has_long_integer(text)
        if _A_LONG_NUMBER.search(text):
            assert found, text
        assert found is bool(_NO_NUMBER_OF_JSON.search(text)), text


def test_a_read_cut_inside_the_digits_of_a_string_leaves_the_records_unchecked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The Go SDK's session names end in 19 digits: a read that starts within them, or just
    # after them, is no number, and must not make every later record pay a search of its own
    # (it did: from a read boundary there on, through the rest of a 100,000-record object).
    checked: list[bytes] = []
    monkeypatch.setattr(json_stream, "has_long_integer", lambda data, open_start=False: checked.append(data))
    record = b'{"eventVersion":"1.09","arn":"assumed-role/r/aws-go-sdk-1722375070115152000","n":[12,-3]}'
    data = b'{"Records":[' + b",".join([record] * 4) + b"]}"
    for chunk in range(1, len(record) + 30):
        assert [r.raw for r in _split(data, chunk=chunk)] == [record] * 4
    assert checked == []


def test_every_integer_that_may_not_fit_64_bits_is_seen_wherever_the_reads_cut_the_stream() -> None:
    # What a read boundary hides from the search of each read (a run in two, the blanks or
    # the sign before a number in the read before) is found from the stream's bytes before it.
    rng = random.Random(152)
    for _ in range(3000):
        text = _digits_and_json(rng, 200)
        splitter = json_stream._Splitter(Trickle(text, rng.randint(1, 40)), None, 1 << 20)  # type: ignore[arg-type]
        for _ in splitter:
            pass
        if _A_LONG_NUMBER.search(text):
            assert splitter._long_numbers, text


def test_records_keep_their_bytes_whatever_separates_them_and_wherever_it_recurs() -> None:
    # The splitter looks for the bytes that separated the last two records (",", ", ", a
    # newline and an indentation): the same bytes inside a string, between the objects of a
    # list inside a record, or a separator that changes, never cut a record elsewhere.
    items = [
        b'{"eventVersion":"1.09","n":0}',
        b'{"eventVersion":"1.09","note":"},{ and }, {","set":{"items":[{"id":1},{"id":2},{"id":3}]}}',
        b'{"eventVersion":"1.09","set":{"items":[{"id":4}, {"id":5}]}}',
        b'{"eventVersion":"1.09","n":[2,{"x":1}}',
        b'{"eventVersion":"1.09","n":3}',
        b'{"eventVersion":"1.09","n":4}',
        b'{"eventVersion":"1.09","n":5}',
    ]
    separators = [b",", b",", b", ", b",", b",\n  ", b" , "]
    data = (
        b'{"Records":['
        + b"".join(item + separator for item, separator in zip(items[:-1], separators, strict=True))
        + items[-1]
        + b"]}"
    )
    for chunk in (5, 1 << 20):
        records = _split(data, chunk=chunk)
        assert [record.index for record in records] == list(range(len(items)))
        assert [record.raw for record in records] == items
        assert [record.error is None for record in records] == [True, True, True, False, True, True, True]
        assert records[1].value["note"] == "},{ and }, {"
        assert records[2].value["set"] == {"items": [{"id": 4}, {"id": 5}]}


@pytest.mark.parametrize("between", [b",", b", ", b",\n", b",\r\n", b",\n  ", b",\n    ", b" ,\t"])
def test_a_separator_kept_for_a_run_of_records_never_cuts_one_where_it_recurs_inside(between: bytes) -> None:
    # The usual separators are searched as a literal regex, others with bytes.find: either
    # way the same bytes inside a list of objects or a string are only a candidate end.
    inner = b'[{"id":1}' + between + b'{"id":2}]'
    items = [b'{"eventVersion":"1.09","n":%d,"set":%s,"note":"},{ }, {"}' % (n, inner) for n in range(6)]
    data = b'{"Records":[' + between.join(items) + b"]}"
    for chunk in (3, 1 << 20):
        records = _split(data, chunk=chunk)
        assert [record.raw for record in records] == items
        assert [record.value["set"] for record in records] == [[{"id": 1}, {"id": 2}]] * 6
        assert records[5].value["note"] == "},{ }, {"


def test_a_string_broken_inside_a_pretty_array_resumes_at_the_next_item_not_inside_the_record() -> None:
    items = [{"n": 1, "list": [{"a": 1}]}, {"n": 2}, {"n": 3, "list": [{"b": 2}]}]
    pretty = json.dumps(items, indent=4).encode()
    damaged = pretty.replace(b'"n": 1', b'"n": "1\n', 1)
    assert _values(_split(damaged)) == [None, items[1], items[2]]


def test_the_end_of_the_object_inside_a_record_is_a_truncation() -> None:
    for data in (
        b'{"n": 1}\n{"n": [2, ',
        b'{"Records": [{"n": 1}, {"n": {"m": [1, 2]}, {"k": ',
        b'[{"n": 1}, {"n": "x',
    ):
        records = _split(data)
        assert records[0].value == {"n": 1}
        assert records[-1].error is not None and records[-1].error.startswith("truncated input: ")
        assert records[-1].raw == data[data.index(b"}", data.index(b'"n": 1')) + 1 :].lstrip(b", \n")


CLOUDTRAIL = JsonFraming(
    noun="CloudTrail record", wrapper=RECORDS, eventbridge=EventBridge(detail_type_suffix=" via CloudTrail")
)
FINDINGS = JsonFraming(
    noun="Security Hub finding",
    wrapper=Wrapper(keys=("Findings", "findings"), record_key="Id"),
    eventbridge=EventBridge(
        detail_types=frozenset({"Security Hub Findings - Imported"}),
        batch_key="findings",
        batch_item="finding",
    ),
)


def test_an_eventbridge_event_gives_its_detail_and_keeps_the_event() -> None:
    event = {
        "version": "0",
        "detail-type": "AWS API Call via CloudTrail",
        "account": "1",
        "detail": {"eventName": "A"},
    }
    (framed,) = CLOUDTRAIL.unwrap(event, b"raw", "record 4")
    assert framed.value == {"eventName": "A"} and framed.envelope is event
    assert (framed.raw, framed.position) == (b"raw", "record 4")
    (bare,) = CLOUDTRAIL.unwrap({"eventVersion": "1.08", "detail": "x"}, b"r", "record 0")
    assert bare.envelope is None and bare.value == {"eventVersion": "1.08", "detail": "x"}


def test_an_event_batch_gives_each_record_on_its_own() -> None:
    event = {
        "detail-type": "Security Hub Findings - Imported",
        "detail": {"findings": [{"Id": "a"}, {"Id": "b"}]},
    }
    framed = list(FINDINGS.unwrap(event, b"whole", "record 2"))
    assert [(f.value, f.position, json.loads(f.raw)) for f in framed] == [
        ({"Id": "a"}, "record 2 finding 0", {"Id": "a"}),
        ({"Id": "b"}, "record 2 finding 1", {"Id": "b"}),
    ]
    assert list(FINDINGS.unwrap({"detail-type": "Security Hub Findings - Imported"}, b"", "record 0")) == []


@pytest.mark.parametrize(
    ("framing", "event", "reason"),
    [
        (
            CLOUDTRAIL,
            {"detail-type": "Scheduled Event", "detail": {}},
            "detail-type 'Scheduled Event' does not carry CloudTrail records",
        ),
        (
            CLOUDTRAIL,
            {"detail-type": "AWS API Call via CloudTrail", "detail": "x"},
            "detail is a string, expected an object",
        ),
        (CLOUDTRAIL, {"detail-type": "AWS API Call via CloudTrail"}, "the event has no detail"),
        (
            FINDINGS,
            {"detail-type": ["x"], "detail": {}},
            "detail-type ['x'] does not carry Security Hub findings",
        ),
        (
            FINDINGS,
            {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": {}}},
            "findings is a object, expected an array",
        ),
    ],
)
def test_an_event_that_cannot_hold_the_records_is_an_invalid_record(
    framing: JsonFraming, event: dict[str, Any], reason: str
) -> None:
    with pytest.raises(RecordError) as raised:
        list(framing.unwrap(event, b"", "record 0"))
    assert str(raised.value) == f"invalid record: {reason}"


def _notification(message: Any) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": "m-1",
        "TopicArn": "arn:aws:sns:us-east-1:1:t",
        "Message": message,
    }


def test_an_sns_notification_gives_the_record_in_its_message_then_its_envelopes() -> None:
    event = {
        "detail-type": "Security Hub Findings - Imported",
        "account": "9",
        "detail": {"findings": [{"Id": "a"}]},
    }
    notification = _notification(json.dumps(event))
    (framed,) = FINDINGS.unwrap(notification, b"whole", "record 0")
    assert (framed.value, framed.position, framed.envelope) == ({"Id": "a"}, "record 0 finding 0", event)
    record = {"eventVersion": "1.08", "eventName": "A"}
    (bare,) = CLOUDTRAIL.unwrap(_notification(json.dumps(record)), b"raw", "record 3")
    assert (bare.value, bare.raw, bare.envelope) == (record, b"raw", None)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ('{"eventVersion": ', "invalid JSON: the SNS Message: unexpected end of data"),
        (42, "invalid record: the SNS Message is a number, expected JSON text"),
    ],
)
def test_an_sns_message_that_holds_no_json_is_a_dead_letter_of_the_notification(
    message: Any, reason: str
) -> None:
    with pytest.raises(RecordError) as raised:
        list(CLOUDTRAIL.unwrap(_notification(message), b"", "record 0"))
    assert str(raised.value).startswith(reason)


def test_the_folded_buffer_stays_the_translation_of_the_buffer_whatever_the_reads() -> None:
    # Each read is appended to both buffers and translated in place in the folded one: byte
    # for byte the translation of the other, through reads of any size, the buffer's
    # compaction between records and the middle of a record too large dropped.
    rng = random.Random(152)
    records = [json.dumps({"eventVersion": "1.09", "Key": "A[0]" * rng.randint(0, 300)}) for _ in range(300)]
    data = ('{"Records":[' + ",".join(records) + "]}").encode()
    for chunk in (1, 7, 4096, 1 << 20):
        splitter = json_stream._Splitter(Trickle(data, chunk), RECORDS, 1000)  # type: ignore[arg-type]
        seen = 0
        for _ in splitter:
            seen += 1
            assert splitter._folded == splitter._data.translate(json_stream._FOLD)
        assert seen == len(records)
    assert any(len(record) > 1000 for record in records)  # some too large: their middles dropped


def test_a_read_is_searched_for_long_numbers_from_where_it_was_appended() -> None:
    # The splitter searches each read where it was appended to its buffers: digits before it
    # (an earlier read's) neither make a run of the read's longer nor tell what precedes it.
    text = b"[" + b"1234567890" * 2 + b"]"
    folded = text.translate(json_stream._FOLD)
    assert json_stream._has_long_run(folded, open_start=False)  # "[" then 20 digits
    assert not json_stream._has_long_run(folded, open_start=True, low=11)  # 10 digits of it
    assert json_stream._has_long_run(folded, open_start=True, low=1)  # 20, what precedes unknown
    assert not json_stream._has_long_run(folded, open_start=False, low=1)  # the stream says none


def test_the_buffers_hold_one_read_and_the_record_it_cut_never_two_reads() -> None:
    # A read is appended once the records before it are dropped: a buffer that held the last
    # read and grew to take the next one copied it (both buffers, at every read).
    record = b'{"eventVersion":"1.09","pad":"' + b"x" * 1000 + b'"}'
    data = b'{"Records":[' + b",".join([record] * 2000) + b"]}"
    splitter = json_stream._Splitter(io.BytesIO(data), RECORDS, 1 << 20)
    largest = 0
    for _ in splitter:
        largest = max(largest, len(splitter._data), len(splitter._folded))
    assert json_stream.READ_SIZE < largest <= json_stream.READ_SIZE + 2 * len(record)


@pytest.mark.parametrize("blank", [b"\x0b", b"\x0c", b"\x0b\x0c"])
def test_bytes_python_calls_blank_but_json_does_not_are_a_dead_letter_holding_them(blank: bytes) -> None:
    # JSON's whitespace is space, tab, CR and LF (RFC 8259 section 2); a vertical tab or form
    # feed between records is stray text, whose dead letter must hold it (make fuzz found it
    # read as an empty record, its raw b"").
    record = b'{"eventVersion":"1.09","eventName":"ListBuckets"}'
    for data in (record + b"\n" + blank, record + b"\n" + blank + b"\n" + record):
        records = _split(data, chunk=3)
        stray = [item for item in records if item.error is not None]
        assert len(stray) == 1
        assert stray[0].raw == blank
        assert "zero-length" not in stray[0].error
        assert [item.value for item in records if item.error is None] == [json.loads(record)] * data.count(
            record
        )
