"""Security Lake's OCSF Parquet: recognition, routing of each class, batches and dead letters
(docs/sources/securitylake.md)."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from demo.records import securitylake as sl
from demo.records import vpcflow
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.detect import detect_parquet
from normalizers.framing.parquet import read_schema
from tests.conftest import GOLDEN

KEY = "s3://aws-security-data-lake-us-east-1-x/aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=123456789012/eventDay=20240501/a.gz.parquet"
RECORD: dict[str, Any] = json.loads((GOLDEN / "cloudtrail" / "docs-error-code" / "input.json").read_text())[
    "Records"
][0]


def _items(body: bytes, key: str = KEY) -> tuple[list[Any], Any]:
    normalized = normalize_object(io.BytesIO(body), Origin(key, "2026-01-01T00:00:00Z"))
    return list(normalized), normalized.outcome


def test_an_ocsf_schema_is_security_lake_and_a_flow_log_schema_is_not() -> None:
    ocsf = read_schema(io.BytesIO(sl.parquet_from_rows([sl.api_activity_row(RECORD)])))
    flows = read_schema(io.BytesIO(vpcflow.parquet_body([vpcflow.flow()])))
    assert detect_parquet(ocsf) == "securitylake" and detect_parquet(flows) == "vpcflow"


def test_the_source_of_the_key_is_provenance_and_rows_are_counted_from_1() -> None:
    rows = [sl.api_activity_row(RECORD), sl.api_activity_row({**RECORD, "eventName": ""})]
    items, outcome = _items(sl.parquet_from_rows(rows))
    document, letter = items
    assert document["aws"]["securitylake"]["source"] == "CLOUD_TRAIL_MGMT"
    assert outcome.delivery == "securitylake" and outcome.source == "cloudtrail"
    assert isinstance(letter, DeadLetter) and letter.position == "row 2" and letter.source == "cloudtrail"
    # The dead letter keeps the CloudTrail record rebuilt: it replays through CloudTrail.
    replayed, _ = _items(letter.raw, "replay")
    assert [item.reason for item in replayed] == ["missing field: eventName"]


def test_classes_of_several_sources_in_one_file_go_each_to_its_source_in_row_order() -> None:
    flow = {**vpcflow.flow(), "region": "us-east-1"}
    rows = [sl.api_activity_row(RECORD), sl.network_activity_row(flow), sl.api_activity_row(RECORD)]
    normalized = normalize_object(io.BytesIO(sl.parquet_from_rows(rows)), Origin(KEY, "2026-01-01T00:00:00Z"))
    # Each item's source (its index) as the loader reads it: as the item comes.
    sourced = [(normalized.outcome.source, item) for item in normalized]
    assert [source for source, _ in sourced] == ["cloudtrail", "vpcflow", "cloudtrail"]
    items = [item for _, item in sourced]
    assert all("dataset" not in item["event"] for item in items)  # constants of their indices
    assert items[1]["source"]["ip"] == "172.31.16.139" and items[1]["event"]["action"] == "ACCEPT"


def test_batches_and_row_groups_keep_the_row_numbers_of_the_file() -> None:
    rows = [sl.network_activity_row(vpcflow.flow(src_port=1000 + n)) for n in range(20_000)]
    rows[12_345].update(start_time=None, time=None)  # no start: a dead letter in its place
    items, outcome = _items(sl.parquet_from_rows(rows, row_group_size=5000))
    assert outcome.records == 20_000 and outcome.dead_letters == 1
    [letter] = [item for item in items if isinstance(item, DeadLetter)]
    assert letter.position == "row 12346" and letter.reason == "missing field: start"
    assert items[12_346]["source"]["port"] == 1000 + 12_346


def test_a_file_that_is_not_parquet_or_not_ocsf_is_one_dead_letter() -> None:
    items, _ = _items(b"PAR1 this is no parquet file PAR1")
    assert [(item.source, item.reason.split(":")[0]) for item in items] == [("unknown", "invalid parquet")]


def test_a_damaged_page_is_one_dead_letter_of_the_rows_from_it_holding_the_file_head() -> None:
    # Found by the fuzzer (target securitylake): a page header overwritten after the magic
    # made a dead letter with no bytes; it holds the file's first bytes (the key re-drives it),
    # read from the start of the file, not from where pyarrow left it.
    body = sl.parquet_from_rows([sl.api_activity_row(RECORD)] * 3, row_group_size=2)
    damaged = body[:4] + b"\xff" * 8 + body[12:]
    items, outcome = _items(damaged)
    (letter,) = items
    assert isinstance(letter, DeadLetter) and letter.reason.startswith(
        "invalid parquet: rows 1 to 3 unreadable"
    )
    assert (letter.source, letter.position) == ("unknown", "row 1")
    assert letter.raw == damaged[: len(letter.raw)] and letter.raw.startswith(b"PAR1\xff")
    assert outcome.records == 1


def test_a_class_uid_that_is_no_number_makes_each_row_a_dead_letter_of_an_unknown_class() -> None:
    # Found by the fuzzer (OCSF rows with hostile values): a class_uid column of lists (or
    # structs) could not be looked up (unhashable) and ended the object with "normalizer error"
    # after no row: records in were not indexed + dead-lettered.
    rows = [{**sl.api_activity_row(RECORD), "class_uid": [6003]} for _ in range(2)]
    items, outcome = _items(sl.parquet_from_rows(rows))
    assert [(item.source, item.reason, item.position) for item in items] == [
        ("unknown", "unrecognized format: OCSF class [6003] (API Activity) has no index here", f"row {n}")
        for n in (1, 2)
    ]
    assert all(json.loads(item.raw)["class_uid"] == [6003] for item in items)
    assert outcome.records == 2 and outcome.error is None


def test_observables_that_are_no_array_name_nothing_and_the_rows_are_mapped() -> None:
    # Found by the fuzzer: an observables column of integers ended the object ("'int' object
    # is not iterable"); OCSF's observables are an array of objects, anything else names nothing.
    rows = [{**sl.api_activity_row(RECORD), "observables": 5} for _ in range(2)]
    items, outcome = _items(sl.parquet_from_rows(rows))
    assert [item["event"]["action"] for item in items] == ["UpdateTrail", "UpdateTrail"]
    assert all(item["related"]["ip"] == ["205.251.233.182"] for item in items)
    assert outcome.documents == 2 and outcome.error is None


def test_bytes_where_an_api_activity_row_has_text_make_the_row_a_dead_letter_of_its_own() -> None:
    # Found by probing each member of the golden rows with hostile types (the fuzzer's
    # hostile-values test covers it): a binary src_endpoint.ip could not be written as the
    # native record's JSON, and ended the object with "normalizer error".
    row = {**sl.api_activity_row(RECORD), "src_endpoint": {"ip": b"\xff"}}
    items, outcome = _items(sl.parquet_from_rows([row]))
    (letter,) = items
    assert isinstance(letter, DeadLetter) and letter.reason.startswith("invalid record: TypeError: ")
    assert (letter.source, letter.position) == ("cloudtrail", "row 1")
    assert json.loads(letter.raw)["src_endpoint"]["ip"] == "b'\\xff'"  # the OCSF row, bytes as text
    assert outcome.records == 1 and outcome.error is None


def test_network_activity_members_of_a_type_no_flow_field_has_make_each_row_a_dead_letter() -> None:
    # Found by the fuzzer (long profile, OCSF rows with hostile values): a list where the flow
    # log version goes could not be cast to text and ended the object with "normalizer error".
    flow = sl.network_activity_row(vpcflow.flow())
    metadata = {**flow["metadata"], "product": {**flow["metadata"]["product"], "version": [None]}}
    items, outcome = _items(sl.parquet_from_rows([{**flow, "metadata": metadata}] * 2))
    assert [(item.source, item.position) for item in items] == [("vpcflow", "row 1"), ("vpcflow", "row 2")]
    assert all(
        item.reason.startswith("invalid record: Network Activity members of types no flow log field has: ")
        and json.loads(item.raw)["metadata"]["product"]["version"] == [None]
        for item in items
    )
    assert outcome.records == 2 and outcome.error is None


def _with_invalid_text(body: bytes, row: int) -> bytes:
    """``body`` with the text of ``row`` in its first string column made invalid UTF-8 (a
    ``\\xc3`` that no continuation byte follows), written uncompressed as pyarrow leaves it."""
    table = pq.read_table(io.BytesIO(body))
    name = next(field.name for field in table.schema if pa.types.is_string(field.type))
    column = table.column(name).combine_chunks()
    validity, offsets, data = column.buffers()
    assert validity is None or column.is_valid()[row].as_py()
    start = int.from_bytes(offsets.to_pybytes()[4 * row : 4 * row + 4], "little")
    spoiled = bytearray(data.to_pybytes())
    spoiled[start] = 0xC3
    broken = pa.Array.from_buffers(
        pa.string(), len(column), [validity, offsets, pa.py_buffer(bytes(spoiled))]
    )
    sink = io.BytesIO()
    pq.write_table(table.set_column(table.schema.get_field_index(name), name, broken), sink)
    return sink.getvalue()


def test_a_row_whose_text_is_not_utf8_is_a_dead_letter_of_its_own_and_the_rows_around_it_are_mapped() -> None:
    # Found by the long fuzzing profile: pyarrow raised UnicodeDecodeError reading the batch
    # into Python, and the object ended in one "normalizer error" without raw bytes.
    body = _with_invalid_text(sl.parquet_from_rows([sl.api_activity_row(RECORD)] * 3), row=1)
    items, outcome = _items(body)
    assert [isinstance(item, DeadLetter) for item in items] == [False, True, False]
    letter = items[1]
    assert letter.reason.startswith("invalid record: text that is not UTF-8") and letter.position == "row 2"
    assert "\\xc3" in letter.raw.decode("utf-8")  # the row as JSON, the bad byte escaped
    assert outcome.records == 3 and outcome.dead_letters == 1 and outcome.error is None


def test_a_column_name_that_is_not_utf8_is_one_dead_letter_of_an_invalid_file() -> None:
    body = sl.parquet_from_rows([{**sl.api_activity_row(RECORD), "zqzqzq": "x"}])
    items, outcome = _items(body.replace(b"zqzqzq", b"\xf6zqzqz"))
    assert [(item.source, item.reason.split(":")[0]) for item in items] == [("unknown", "invalid parquet")]
    assert outcome.error is None


def test_a_row_whose_time_is_past_what_python_holds_is_a_dead_letter_holding_the_row() -> None:
    # Found by the long fuzzing profile: a timestamp column at the largest int64 (no datetime
    # holds it) raised OverflowError while the row's dead letter was written, and the object
    # ended in one "normalizer error" without raw bytes.
    flow = sl.network_activity_row(vpcflow.flow())
    table = pa.Table.from_pylist([flow, flow])
    moments = pa.array([2**63 - 1, 1_726_056_144_000], pa.timestamp("ms", tz="UTC"))
    sink = io.BytesIO()
    pq.write_table(table.append_column("start_time_dt", moments), sink)
    items, outcome = _items(sink.getvalue())
    assert [isinstance(item, DeadLetter) for item in items] == [True, False]
    letter = items[0]
    assert letter.reason.startswith("unparseable timestamp") and letter.position == "row 1"
    assert json.loads(letter.raw)["start_time_dt"] == 2**63 - 1  # the row, its time as its number
    assert outcome.records == 2 and outcome.error is None


def test_a_row_that_names_no_account_takes_its_key_partition_and_one_that_names_one_keeps_it() -> None:
    # Found by make fuzz: an API activity row without cloud.account_uid and without an actor's
    # account made a document with no cloud.account.id, which compliance by account groups on.
    # Security Lake writes each account's rows under its own accountId= partition.
    row = {**sl.api_activity_row(RECORD), "unmapped": {"eventType": "AwsApiCall"}}  # no recipientAccountId
    nameless = {**row, "cloud": {**row["cloud"], "account_uid": None}, "actor": None}
    other = {**row, "cloud": {**row["cloud"], "account_uid": "444455556666"}}
    items, _ = _items(sl.parquet_from_rows([nameless, other]))
    assert [item["cloud"]["account"]["id"] for item in items] == ["123456789012", "444455556666"]
    elsewhere = KEY.replace("accountId=123456789012/", "")  # a key in no layout says nothing
    (item,), _ = _items(sl.parquet_from_rows([nameless]), elsewhere)
    assert "account" not in item["cloud"]
