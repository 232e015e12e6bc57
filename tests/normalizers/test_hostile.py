"""Hostile objects cost bounded memory and linear work, and hide no record (issue 19).

Each case is the small-scale twin of a row of ``benchmarks/hostile.py``: the property that
keeps the full-size case within seconds and a few hundred MB is asserted structurally (a
memory peak traced by ``tracemalloc``, a count of calls), never by timing.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from demo.records import vpcflow as flows
from demo.records.cloudwatch_logs import firehose_object, log_event, subscription_payload
from demo.records.securitylake import parquet_from_rows
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.framing import json_stream
from normalizers.limits import DEFAULT_LIMITS, Interrupted, Limits
from tests.conftest import GOLDEN

MIB = 1 << 20
CLOUDTRAIL_RECORD: dict[str, Any] = orjson.loads(
    (GOLDEN / "cloudtrail" / "docs-iam-create-user" / "input.json").read_bytes()
)["Records"][0]


def _items(data: bytes, limits: Limits = DEFAULT_LIMITS, name: str = "s3://b/k") -> list[Any]:
    return list(normalize_object(io.BytesIO(data), Origin(name, "2026-01-01T00:00:00Z", limits=limits)))


def _peak(run: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _gzip_of_repeated(prefix: bytes, filler: bytes, size: int, suffix: bytes = b"") -> bytes:
    """A gzip of ``prefix + filler * size + suffix``, built without holding the inflated bytes."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = filler * MIB
    parts = [deflate.compress(prefix)]
    for _ in range(size // MIB):
        parts.append(deflate.compress(block))
    parts += [deflate.compress(suffix), deflate.flush()]
    return b"".join(parts)


def test_a_gzip_bomb_is_never_inflated_at_once() -> None:
    bomb = _gzip_of_repeated(b"", b"\0", 64 * MIB)  # 64 KB that inflate to 64 MiB of NUL bytes
    items, peak = _peak(lambda: _items(bomb))
    (letter,) = items
    assert letter.reason.startswith("unrecognized format") and letter.position == "object"
    assert letter.raw and set(letter.raw) == {0} and len(letter.raw) <= MIB
    assert peak < 8 * MIB  # one decompression step of the whole read was 64 MiB


def test_past_the_compression_ratio_the_rest_is_one_dead_letter_after_the_records_read() -> None:
    record = orjson.dumps({**CLOUDTRAIL_RECORD, "eventID": "before-the-blanks"})
    data = _gzip_of_repeated(b'{"Records":[' + record + b",", b" ", 48 * MIB, record + b"]}")
    limits = Limits(max_ratio=20, ratio_floor=4 * MIB)
    items, peak = _peak(lambda: _items(data, limits))
    assert [type(item).__name__ for item in items] == ["dict", "DeadLetter"]
    assert items[0]["event"]["id"]
    letter = items[1]
    assert letter.reason.startswith("object too large: ") and "compression ratio over 20" in letter.reason
    assert letter.position == "after item 1"
    assert peak < 16 * MIB


def test_past_the_decompressed_size_the_rest_is_one_dead_letter() -> None:
    records = [orjson.dumps({**CLOUDTRAIL_RECORD, "eventID": f"id-{n}"}) for n in range(2000)]
    data = b'{"Records":[' + b",".join(records) + b"]}"
    items = _items(data, Limits(max_object_bytes=len(data) // 2))
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    assert 0 < len(documents) < 2000 and len(items) == len(documents) + 1
    assert items[-1].reason.startswith(f"object too large: more than {len(data) // 2} decompressed bytes")


def test_whitespace_between_records_is_skipped_without_being_kept() -> None:
    record = orjson.dumps(CLOUDTRAIL_RECORD)
    data = b'{"Records":[' + b" \n" * (16 * MIB) + record + b"]}"
    items, peak = _peak(lambda: _items(data))
    assert len(items) == 1 and not isinstance(items[0], DeadLetter)
    assert peak < 48 * MIB  # the object itself is 32 MiB; the splitter holds about one read more


def test_a_finding_with_thousands_of_small_objects_is_cut_with_a_few_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finding = orjson.loads((GOLDEN / "securityhub" / "findings-array-iam" / "input.json").read_bytes())
    first = (finding.get("Findings") or finding.get("findings"))[0]
    first["Resources"] = [{"Type": "Other", "Id": f"resource-{n}"} for n in range(20_000)]
    data = orjson.dumps({"Findings": [first]})
    loads, scans = 0, 0
    real_loads, real_scan = json_stream.orjson.loads, json_stream._Splitter._scan

    def counting_loads(raw: Any) -> Any:
        nonlocal loads
        loads += 1
        return real_loads(raw)

    def counting_scan(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal scans
        scans += 1
        return real_scan(self, *args, **kwargs)

    monkeypatch.setattr(json_stream.orjson, "loads", counting_loads)
    monkeypatch.setattr(json_stream._Splitter, "_scan", counting_scan)
    items = _items(data)
    assert len(items) == 1 and not isinstance(items[0], DeadLetter)
    assert scans == 0 and loads <= len(data).bit_length() + 2  # each try twice as long as the last


def test_blank_lines_of_a_flow_log_are_skipped_in_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [flows.text_line(flows.flow(start=1_700_000_000 + n)) for n in range(3)]
    body = flows.text_body(lines).split(b"\n", 1)
    data = b"\n" * (8 * MIB) + body[0] + b"\n" + b"\n" * (8 * MIB) + body[1]
    parses = 0
    real = pacsv.read_csv

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal parses
        parses += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(pacsv, "read_csv", counting)
    # The first 64 KiB are blank: the key says what the object is (a flow log's name).
    items = _items(data, name="s3://b/AWSLogs/1/vpcflowlogs/eu-west-3/1_vpcflowlogs_eu-west-3_fl-1_x.log")
    assert len(items) == 3 and not any(isinstance(item, DeadLetter) for item in items)
    assert parses == 1  # 16 chunks of blank lines never reached the CSV reader


@pytest.mark.parametrize(
    "layout",
    [
        "blank first line",
        "byte order mark and CRLF",
        "leading spaces",
        "indented lines",
        "blank and BOM, gzip",
    ],
)
def test_a_flow_log_with_an_unusual_start_is_read_record_by_record(layout: str) -> None:
    lines = [flows.text_line(flows.flow(start=1_700_000_000 + n)) for n in range(1000)]
    text = flows.text_body(lines)
    data = {
        "blank first line": b"\n\n" + text,
        "byte order mark and CRLF": b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"),
        "leading spaces": b"   " + text,
        "indented lines": b"\n".join(b"  " + line + b" " for line in text.split(b"\n")),
        "blank and BOM, gzip": gzip.compress(b"\xef\xbb\xbf\r\n \r\n" + text),
    }[layout]
    items = _items(data)
    assert len(items) == 1000 and not any(isinstance(item, DeadLetter) for item in items)


def test_a_parquet_file_with_a_cut_footer_is_one_dead_letter_that_keeps_its_bytes() -> None:
    body = flows.parquet_body([flows.flow(start=1_700_000_000 + n) for n in range(1000)])
    cut = body[:-100]
    (letter,) = _items(cut)
    assert letter.reason.startswith("invalid parquet") and letter.position == "object"
    assert letter.raw == cut[:MIB]


def test_an_object_no_source_recognizes_keeps_its_first_bytes() -> None:
    data = b"nothing any source writes\n" * 10
    (letter,) = _items(data)
    assert letter.reason.startswith("unrecognized format") and letter.raw == data


def test_integers_beyond_64_bits_keep_their_digits() -> None:
    parameters = {"huge": 10**30, "unsigned": 2**64 - 1, "below": -(2**63) - 1, "fits": -(2**63)}
    record = {**CLOUDTRAIL_RECORD, "requestParameters": parameters}
    data = b'{"Records":[' + json_stream.to_json_bytes(record) + b"]}"
    (document,) = _items(data)
    assert document["aws"]["cloudtrail"]["request_parameters"] == {
        "huge": str(10**30),
        "unsigned": 2**64 - 1,
        "below": str(-(2**63) - 1),
        "fits": -(2**63),
    }
    orjson.dumps(document)  # and it serializes, as the bulk writer does


def test_the_deadline_stops_the_normalization_after_whole_items() -> None:
    records = [orjson.dumps({**CLOUDTRAIL_RECORD, "eventID": f"id-{n}"}) for n in range(3000)]
    data = b'{"Records":[' + b",".join(records) + b"]}"
    everything = _items(data)
    calls = 0

    def stop_on_the_fifth_read() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 5

    got: list[Any] = []
    with pytest.raises(Interrupted):
        for item in normalize_object(
            io.BytesIO(data), Origin("s3://b/k", "2026-01-01T00:00:00Z", should_stop=stop_on_the_fifth_read)
        ):
            got.append(item)
    assert 0 < len(got) < len(everything)
    assert [item["event"]["id"] for item in got] == [item["event"]["id"] for item in everything[: len(got)]]


def _nested(levels: int) -> Any:
    value: Any = "v"
    for _ in range(levels):
        value = {"a": value}
    return value


def _deep_record(levels: int, leaf: str) -> str:
    """A CloudTrail record whose requestParameters nest ``levels`` objects around ``leaf``
    (written as text: the standard library's encoder recurses once per level)."""
    record = _text({**CLOUDTRAIL_RECORD, "eventID": "deep", "requestParameters": "?"})
    return record.replace(
        '"requestParameters":"?"', '"requestParameters":' + '{"a":' * levels + leaf + "}" * levels
    )


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # orjson encodes 254 levels at most


def _payload(*messages: str) -> bytes:
    events = [log_event(message, 1714564800000, str(number)) for number, message in enumerate(messages)]
    payload = subscription_payload(owner="111122223333", log_group="trail", log_stream="s", events=events)
    return firehose_object([payload])


_DEEP_OBJECTS: dict[str, Callable[[str, str], bytes]] = {
    "log file": lambda deep, plain: f'{{"Records":[{plain},{deep},{plain}]}}'.encode(),
    "JSON lines": lambda deep, plain: f"{plain}\n{deep}\n{plain}\n".encode(),
    "EventBridge": lambda deep, plain: "\n".join(
        f'{{"detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{record}}}'
        for record in (plain, deep, plain)
    ).encode(),
    "SNS": lambda deep, plain: "\n".join(
        _text({"Type": "Notification", "MessageId": "m", "Message": record})
        for record in (plain, deep, plain)
    ).encode(),
    "CloudWatch Logs": lambda deep, plain: _payload(plain, deep, plain),
    "lookup-events": lambda deep, plain: _text(
        {"Events": [{"EventId": "e", "CloudTrailEvent": record} for record in (plain, deep, plain)]}
    ).encode(),
}


@pytest.mark.parametrize("layout", _DEEP_OBJECTS)
@pytest.mark.parametrize(("levels", "leaf"), [(300, '"v"'), (1000, str(10**30))])
def test_a_record_nested_too_deeply_is_its_own_dead_letter(layout: str, levels: int, leaf: str) -> None:
    # orjson parses 1,024 levels but encodes 254 (the bulk writer's encoding), and the standard
    # library's re-parse for integers beyond 64 bits recursed past Python's stack limit: the
    # object ended there, the records after it lost.
    plain = _text({**CLOUDTRAIL_RECORD, "eventID": "plain"})
    items = _items(_DEEP_OBJECTS[layout](_deep_record(levels, leaf), plain), name="s3://b/trail.json")
    assert [type(item) for item in items] == [dict, DeadLetter, dict], items
    letter = items[1]
    assert letter.reason.startswith("invalid JSON: ") and "depth limit exceeded" in letter.reason
    assert letter.position.startswith(("record 1", "payload 0 event 1")), letter.position
    assert b"deep" in letter.raw and letter.raw.count(b"{") > levels  # the record (or its envelope)
    for document in items[::2]:
        orjson.dumps(document)


def test_records_nested_up_to_the_limit_are_documents() -> None:
    levels = json_stream.MAX_DEPTH - 2  # the record and its requestParameters are two of them
    (document,) = _items(b'{"Records":[' + _deep_record(levels, '"v"').encode() + b"]}")
    assert document["aws"]["cloudtrail"]["request_parameters"] == _nested(levels)
    orjson.dumps(document)


@pytest.mark.parametrize("column", ["api.request.data", "unmapped"])
def test_an_ocsf_row_whose_json_text_nests_too_deeply_is_its_own_dead_letter(column: str) -> None:
    rows = orjson.loads((GOLDEN / "securitylake" / "api-activity-1.1" / "input.ocsf.json").read_bytes())
    deep = '{"a":' * 300 + '"v"' + "}" * 300
    row = dict(rows[0])
    if column == "unmapped":  # OCSF 1.1's unmapped: a map of texts
        row["unmapped"] = {**row["unmapped"], "additionalEventData": deep}
    else:
        row["api"] = {**row["api"], "request": {**row["api"]["request"], "data": deep}}
    key = "s3://b/aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=111111111111/eventDay=20240501/x.gz.parquet"
    items = _items(parquet_from_rows([rows[0], row, rows[0]]), name=key)
    assert [type(item) for item in items] == [dict, DeadLetter, dict], items
    assert items[1].reason.startswith("invalid JSON: ") and "depth limit exceeded" in items[1].reason
    assert items[1].position == "row 2" and items[1].raw  # rows count from 1
    for document in items[::2]:
        orjson.dumps(document)


@pytest.mark.parametrize("layout", ["CloudWatch Logs", "lookup-events"])
def test_integers_beyond_64_bits_keep_their_digits_in_json_text_too(layout: str) -> None:
    plain = _text({**CLOUDTRAIL_RECORD, "eventID": "plain"})
    record = _text({**CLOUDTRAIL_RECORD, "eventID": "huge", "requestParameters": {"n": 10**30}})
    items = _items(_DEEP_OBJECTS[layout](record, plain), name="s3://b/trail.json")
    assert [type(item) for item in items] == [dict, dict, dict], items
    assert items[1]["aws"]["cloudtrail"]["request_parameters"] == {"n": str(10**30)}


_WHOLE_RECORDS: dict[str, Callable[[list[str]], bytes]] = {
    "log file": lambda records: ('{"Records":[' + ",".join(records) + "]}").encode(),
    "JSON lines": lambda records: "\n".join(records).encode(),
    "concatenated": lambda records: "".join(records).encode(),
    "CloudWatch Logs": lambda records: gzip.decompress(_payload(*records)),
}
_DAMAGED_ENDS: dict[str, Callable[[bytes], bytes]] = {
    "trailing garbage": lambda member: member + b"not a gzip member",
    "zero padding": lambda member: member + b"\0" * 512,
    "cut trailer": lambda member: member[:-4],  # every byte inflated, the size check missing
}


@pytest.mark.parametrize("layout", _WHOLE_RECORDS)
@pytest.mark.parametrize("damage", _DAMAGED_ENDS)
@pytest.mark.parametrize("count", [3, 300])
def test_whole_records_before_a_damaged_gzip_end_are_documents(layout: str, damage: str, count: int) -> None:
    # The splitter looks past a record for its end (or 4 KiB past a "{" for the wrapper's
    # name): a read that raised there lost every record of a small object, the last of any.
    records = [_text({**CLOUDTRAIL_RECORD, "eventID": f"id-{n}"}) for n in range(count)]
    data = _DAMAGED_ENDS[damage](gzip.compress(_WHOLE_RECORDS[layout](records)))
    items = _items(data, name="s3://b/trail.json.gz")
    *documents, letter = items
    assert [document["event"]["id"] for document in documents] == [f"id-{n}" for n in range(count)]
    assert isinstance(letter, DeadLetter) and letter.reason.startswith("truncated input: ")
    assert letter.position == f"after item {count}"


def test_a_record_cut_by_a_truncated_gzip_is_lost_with_the_rest_of_the_stream() -> None:
    records = [_text({**CLOUDTRAIL_RECORD, "eventID": f"id-{n}"}) for n in range(3)]
    whole = "\n".join(records).encode()
    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)
    cut = deflate.compress(whole[:-50]) + deflate.flush(zlib.Z_SYNC_FLUSH)  # a stream with no end
    *documents, letter = _items(cut, name="s3://b/trail.json.gz")
    assert [document["event"]["id"] for document in documents] == ["id-0", "id-1"]
    assert (
        letter.reason.startswith("truncated input: ") and letter.position == "after item 2" and not letter.raw
    )


def _identical_flows(rows: int) -> bytes:
    """A Parquet file of ``rows`` identical flows: dictionaries and run lengths make it a few
    bytes per thousand rows, which no limit on the object's own bytes sees."""
    schema = flows.parquet_schema(flows.DEFAULT_FIELDS)
    line = [
        "2",
        "123456789012",
        "eni-1",
        "10.0.0.1",
        "10.0.0.2",
        "443",
        "49152",
        "6",
        "10",
        "840",
        "1714560000",
        "1714560060",
        "ACCEPT",
        "OK",
    ]
    arrays = [
        pa.array([pa.scalar(value).cast(field.type).as_py()] * rows, field.type)
        for value, field in zip(line, schema, strict=True)
    ]
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def test_a_parquet_file_of_millions_of_rows_in_kilobytes_stops_at_the_compression_ratio() -> None:
    data = _identical_flows(200_000)
    assert len(data) < 20_000  # 10 bytes per 100 rows
    limits = Limits(ratio_floor=MIB)  # the default floor (64 MiB) scaled down, the same ratio
    name = "s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/x.log.parquet"
    *documents, letter = _items(data, limits, name)
    assert 0 < len(documents) < 20_000  # about 1 MiB of decoded rows, a few batches
    assert isinstance(letter, DeadLetter) and letter.reason.startswith("object too large: ")
    assert letter.position == f"after item {len(documents)}"
    assert not any(isinstance(item, DeadLetter) for item in documents)


def test_varied_flows_in_parquet_stay_far_under_the_compression_ratio() -> None:
    rng = random.Random(3)
    varied = [
        flows.flow(
            src=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            dst=f"172.31.{rng.randrange(256)}.{rng.randrange(256)}",
            src_port=rng.randrange(1, 65536),
            dst_port=rng.choice([22, 443, 3306, 53]),
            packets=rng.randrange(1, 1000),
            byte_count=rng.randrange(40, 10**6),
            start=1714560000 + number,
            action=rng.choice(["ACCEPT", "REJECT"]),
        )
        for number in range(20_000)
    ]
    name = "s3://b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/x.log.parquet"
    items = _items(flows.parquet_body(varied), Limits(ratio_floor=MIB), name)  # as above
    assert len(items) == 20_000 and not any(isinstance(item, DeadLetter) for item in items)


def _golden_records(path: str) -> list[dict[str, Any]]:
    """The records of a golden input, whatever its layout (pretty-printed, JSON lines)."""
    return [record.value for record in json_stream.json_records(io.BytesIO((GOLDEN / path).read_bytes()))]


@pytest.mark.parametrize(
    ("path", "member"),
    [
        (
            "guardduty/attack-sequence/input.jsonl",
            ("service", "detection", "sequence", "actors", 0, "user", "type"),
        ),
        ("securityhub/ocsf-observables/input.json", ("severity_id",)),
    ],
)
@pytest.mark.parametrize("value", [[], {}])
def test_a_list_or_object_where_an_enum_is_read_is_no_value_not_a_dead_letter(
    path: str, member: tuple[Any, ...], value: Any
) -> None:
    # It was looked up in a table: "unhashable type" dead-lettered the whole finding.
    record = _golden_records(path)[0]
    parent: Any = record
    for step in member[:-1]:
        parent = parent[step]
    parent[member[-1]] = value
    (document,) = _items(_text(record).encode(), name=f"s3://b/{path}")
    assert not isinstance(document, DeadLetter), document.reason


@pytest.mark.parametrize("minutes", [1e9, 1e13, 1e300])
def test_an_insight_duration_no_long_holds_is_left_out(minutes: float) -> None:
    # event.duration is nanoseconds in a long: 1e9 minutes made an integer beyond 64 bits
    # (a document orjson cannot encode), 1e13 overflowed the date arithmetic.
    (wrapper,) = _golden_records("cloudtrail/docs-insights/input.json")
    end = next(record for record in wrapper["Records"] if record["insightDetails"]["state"] == "End")
    end["insightDetails"]["insightContext"]["statistics"]["insightDuration"] = minutes
    (document,) = _items(_text({"Records": [end]}).encode(), name="s3://b/trail.json")
    assert not isinstance(document, DeadLetter), document.reason
    assert "duration" not in document["event"] and "start" not in document["event"]
    orjson.dumps(document)


def test_a_record_orjson_refuses_hides_no_forged_record_in_its_lists() -> None:
    # A caller's parameter may hold a list of objects whose names it chooses (tags) and a lone
    # surrogate, which orjson refuses: the record is one dead letter, and the object in its
    # list that reads like a CloudTrail record is no document of its own.
    forged = {**CLOUDTRAIL_RECORD, "eventName": "Forged", "sourceIPAddress": "203.0.113.66"}
    record = {**CLOUDTRAIL_RECORD, "requestParameters": {"tags": [{"key": "a"}, forged]}}
    raw = orjson.dumps(record).replace(b'{"key":"a"}', b'{"key":"\\ud800"}')
    items = _items(b'{"Records":[' + raw + b"," + orjson.dumps(CLOUDTRAIL_RECORD) + b"]}")
    assert [type(item).__name__ for item in items] == ["DeadLetter", "dict"]
    assert items[0].raw == raw and items[0].position == "record 0"
    assert items[1]["event"]["action"] == CLOUDTRAIL_RECORD["eventName"]


@pytest.mark.parametrize(
    ("name", "body", "count"),
    [
        (
            "s3://b/AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/01/x.json.gz",
            b'{"Records":['
            + orjson.dumps(CLOUDTRAIL_RECORD)
            + b" \n" * 3000
            + b',{"eventVersion":"1.08","broken":"x\n"},\n'  # a raw newline: a dead letter
            + orjson.dumps(CLOUDTRAIL_RECORD)
            + b"]}",
            3,
        ),
        (
            "s3://b/AWSLogs/111111111111/vpcflowlogs/us-east-1/2024/05/01/x.log.gz",
            flows.text_body([flows.text_line(flows.flow(start=1_700_000_000 + n)) for n in range(40)]),
            40,
        ),
    ],
)
def test_a_gzip_of_one_byte_members_gives_what_one_member_gives(name: str, body: bytes, count: int) -> None:
    """The same items, in the same order, as the same bytes in one gzip member: records in =
    indexed + dead-lettered, whatever the members (their reads are filled across them)."""
    members = b"".join(gzip.compress(body[n : n + 1]) for n in range(len(body)))
    items = _items(members, name=name)
    assert items == _items(gzip.compress(body), name=name) and len(items) == count
