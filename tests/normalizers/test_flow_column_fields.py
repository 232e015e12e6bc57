"""``Origin.column_fields``: the flow reader merges the caller's per-row mappings into the
documents it builds, after each object's own keys, in the order given; the delivery paths that
add keys to built flow documents (Security Lake, CloudWatch Logs) never call it."""

from __future__ import annotations

import io
from typing import Any

import orjson

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.vpcflow.template import Field, document_builder
from tests.conftest import GOLDEN

FLOWS = (
    b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
    b"2 111122223333 eni-1 198.51.100.7 10.0.0.5 443 50000 6 10 1000 1714564800 1714564860 ACCEPT OK\n"
    b"2 111122223333 eni-1 10.0.0.5 not-an-ip 50000 443 6 10 1000 1714564800 1714564860 ACCEPT OK\n"
)


def _items(raw: bytes, column_fields: Any) -> list[Any]:
    origin = Origin(object="flows.log", ingested="2024-05-01T12:00:00.000Z", column_fields=column_fields)
    return list(normalize_object(io.BytesIO(raw), origin))


def test_each_rows_mappings_land_after_the_objects_own_keys() -> None:
    seen: list[tuple[str, dict[str, list[Any]]]] = []

    def fields(source: str, columns: dict[str, list[Any]]) -> list[tuple[str, list[Any]]]:
        seen.append((source, columns))
        return [
            ("source", [{"mark": 1}, {}]),
            ("aws", [{"first": True}, {}]),
            ("destination", [{}, {"mark": 2}]),
            ("aws", [{"second": True}, {"second": False}]),
        ]

    plain, merged = _items(FLOWS, None), _items(FLOWS, fields)
    ((source, columns),) = seen
    assert source == "vpcflow"
    assert columns["source.ip"] == ["198.51.100.7", "10.0.0.5"]
    assert columns["destination.address"] == [None, "not-an-ip"]
    plain[0]["source"]["mark"] = 1
    plain[0]["aws"] |= {"first": True, "second": True}
    plain[1]["destination"]["mark"] = 2
    plain[1]["aws"]["second"] = False
    assert [orjson.dumps(item) for item in merged] == [orjson.dumps(item) for item in plain]


def test_an_object_only_a_mapping_fills_is_made_where_it_is_not_empty() -> None:
    build = document_builder(
        [
            Field("a.x", "column", [1, None], dense=False),
            Field("b.*0", "merge", [{"y": 2}, {}]),
            Field("a.*1", "merge", [{"z": 3}, {"z": 4}]),
        ]
    )
    assert list(build(["id1", "id2"])) == [{"a": {"x": 1, "z": 3}, "b": {"y": 2}}, {"a": {"z": 4}}]
    assert [list(document) for document in build(["id1", "id2"])] == [["a", "b"], ["a"]]


def test_delivery_paths_that_add_keys_are_not_given_column_fields() -> None:
    def fields(source: str, columns: dict[str, list[Any]]) -> list[tuple[str, list[Any]]]:
        raise AssertionError("called for a delivery path that adds keys to built flow documents")

    for case in ("securitylake/network-activity-sample", "cloudwatch_logs/flow-log-groups"):
        items = _items_of(GOLDEN / case, fields)
        assert any(not isinstance(item, DeadLetter) and "aws" in item for item in items)


def _items_of(case: Any, column_fields: Any) -> list[Any]:
    (path,) = case.glob("input*")
    return _items(path.read_bytes(), column_fields)
