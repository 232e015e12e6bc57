"""Security Lake Network Activity rows whose numbers no flow log field can hold (an infinity,
``1e308``, past 2**63 - 1): the row is a dead letter naming the field out of range, as a flow
log line's too large number is (normalizers/vpcflow/columns.py), never a wrapped int64
(docs/sources/securitylake.md, "Network Activity")."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demo.records import securitylake as sl
from demo.records import vpcflow
from normalizers import DeadLetter, Origin, normalize_object

KEY = "aws/VPC_FLOW/2.0/region=us-east-1/accountId=123456789012/eventDay=20240501/x.parquet"


def _row(**changes: Any) -> dict[str, Any]:
    row = sl.network_activity_row(vpcflow.flow(src="198.51.100.7", dst="172.31.16.21"))
    for path, value in changes.items():
        *parents, name = path.split("__")
        node = row
        for part in parents:
            node = node[part]
        node[name] = value
    return row


def _items(rows: list[dict[str, Any]]) -> list[Any]:
    normalized = normalize_object(io.BytesIO(sl.parquet_from_rows(rows)), Origin(KEY, "2026-01-01T00:00:00Z"))
    items = list(normalized)
    assert normalized.outcome.records == len(rows) == len(items)  # records in = indexed + dead-lettered
    return items


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), 1e308, 2.0**63])
def test_a_double_beyond_int64_makes_its_row_a_dead_letter(value: float) -> None:
    # A whole double in the column makes Parquet's column a double for every row.
    good, bad = _items([_row(traffic__bytes=4249.0), _row(traffic__bytes=value)])
    assert good["source"]["bytes"] == 4249
    assert isinstance(bad, DeadLetter)
    assert (bad.source, bad.position) == ("vpcflow", "row 2")
    assert bad.reason == f"invalid record: bytes {value} out of range"


def test_a_uint64_past_int64_makes_its_row_a_dead_letter_and_spares_the_others() -> None:
    rows = [_row(), _row()]
    table = pa.Table.from_pylist(rows)
    traffic = table.column("traffic").combine_chunks()
    packets = pa.array([20, 2**64 - 1], pa.uint64())
    bytes_ = traffic.field("bytes").cast(pa.uint64())
    fixed = pa.StructArray.from_arrays([packets, bytes_], names=["packets", "bytes"])
    table = table.set_column(table.schema.get_field_index("traffic"), "traffic", fixed)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    normalized = normalize_object(io.BytesIO(sink.getvalue()), Origin(KEY, "2026-01-01T00:00:00Z"))
    good, bad = list(normalized)
    assert good["source"]["packets"] == 20
    assert isinstance(bad, DeadLetter) and bad.reason == f"invalid record: packets {2**64 - 1} out of range"


def test_a_start_time_beyond_int64_is_an_unparseable_start_unless_another_member_gives_it() -> None:
    lost = _row(start_time=float("inf"), time=float("inf"))
    kept = _row(start_time=float("inf"))  # `time` still gives the start
    ok = _row(start_time=1714564800000.0, time=1714564800000.0)
    bad, document, fine = _items([lost, kept, ok])
    assert isinstance(bad, DeadLetter) and bad.reason == "unparseable timestamp: start inf"
    assert not isinstance(document, DeadLetter) and not isinstance(fine, DeadLetter)


def test_nan_is_no_value_as_a_dash_is() -> None:
    # What a dataframe writes for a missing double: the flow without its byte count.
    [document] = _items([_row(traffic__bytes=float("nan"))])
    assert "bytes" not in document.get("source", {})


@pytest.mark.parametrize("account", [None, "", "  "])
def test_a_row_without_its_account_is_a_dead_letter_and_spares_the_others(account: str | None) -> None:
    # Security Lake writes every flow's account (cloud.account.uid): a row without one would be
    # a document no account's search or posture finds (tests/fuzz found it).
    good, bad = _items([_row(), _row(cloud__account__uid=account)])
    assert good["cloud"]["account"]["id"] == vpcflow.flow()["account-id"]
    assert isinstance(bad, DeadLetter)
    assert (bad.source, bad.position) == ("vpcflow", "row 2")
    assert bad.reason == "missing field: cloud.account.id"
    assert bad.raw


def test_rows_without_a_cloud_member_are_all_dead_letters() -> None:
    rows = [_row(), _row()]
    for row in rows:
        row["cloud"] = None
    items = _items(rows)
    assert [item.reason for item in items if isinstance(item, DeadLetter)] == [
        "missing field: cloud.account.id"
    ] * 2


@pytest.mark.parametrize("millis", [-500, -1500, -1.0])
def test_a_start_time_before_1970_is_an_unparseable_start_unless_another_member_gives_it(
    millis: float,
) -> None:
    # OCSF times are epoch milliseconds since 1970 (as every epoch time of
    # normalizers/ecs/timestamps.py): -500 is no time, never 1970-01-01T00:00:00Z by truncation.
    lost = _row(start_time=millis, time=millis)
    kept = _row(start_time=millis)  # `time` still gives the start
    bad, document = _items([lost, kept])
    assert isinstance(bad, DeadLetter) and bad.reason == f"unparseable timestamp: start {int(millis)}"
    assert not isinstance(document, DeadLetter)
    assert document["@timestamp"] == _row()["time"]


def test_an_end_time_before_1970_makes_its_row_a_dead_letter() -> None:
    good, bad = _items([_row(), _row(end_time=-1500)])
    assert not isinstance(good, DeadLetter)
    assert isinstance(bad, DeadLetter) and bad.reason == "invalid record: end -1500 out of range"
