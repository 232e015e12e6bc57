"""The committed NDJSON: up to date, well-formed for the Dashboards importer, and naming only
fields the index templates map."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from detections.rules import load_rules
from opensearch_assets.catalogue import INDEX_PATTERNS, SEARCHES, index_pattern_title
from opensearch_assets.execute import index_pattern_id
from opensearch_assets.saved_objects import NDJSON_PATH, render, to_ndjson
from opensearch_assets.templates import INDEX_NAMES, index_fields

DOCS = Path(__file__).resolve().parents[2] / "docs" / "assets.md"
OBJECTS: list[dict[str, Any]] = [json.loads(line) for line in NDJSON_PATH.read_text().splitlines()]
BY_ID = {obj["id"]: obj for obj in OBJECTS}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_FIELD = re.compile(r"(?<![\w.])(_exists_:)?([A-Za-z@][\w.@]*):")
_EXISTS = re.compile(r"_exists_:([\w.@]+)")


def _of_type(kind: str) -> list[dict[str, Any]]:
    return [obj for obj in OBJECTS if obj["type"] == kind]


def _pattern_fields(pattern_id: str) -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for index in INDEX_PATTERNS[pattern_id]:
        fields.update(index_fields(index))
    return fields


def _known(field: str, fields: dict[str, dict[str, Any]]) -> bool:
    """Mapped, a key path inside a flat_object field (searchable, never mapped), or ``_index``."""
    if field in fields or field == "_index":
        return True
    return any(field.startswith(f"{name}.") for name, spec in fields.items() if spec["type"] == "flat_object")


def query_fields(lucene: str) -> set[str]:
    """Field names a Lucene query names (quoted values removed first: ``"arn:aws:..."``)."""
    bare = _QUOTED.sub('""', lucene)
    names = {match.group(2) for match in _FIELD.finditer(bare) if match.group(2) != "_exists_"}
    return names | set(_EXISTS.findall(bare))


def test_committed_ndjson_is_up_to_date() -> None:
    assert NDJSON_PATH.read_bytes() == to_ndjson(render()), (
        "run: .venv/bin/python -m opensearch_assets.saved_objects"
    )


def test_ids_are_unique_and_documented() -> None:
    ids = [obj["id"] for obj in OBJECTS]
    assert len(ids) == len(set(ids))
    documented = DOCS.read_text()
    assert [i for i in ids if f"`{i}`" not in documented] == []


def test_the_issue_lists_every_kind_of_object() -> None:
    kinds = {obj["type"] for obj in OBJECTS}
    assert kinds == {"index-pattern", "search", "visualization", "dashboard"}
    assert {"siem-all", "siem-alerts", "siem-finding-investigation"} <= set(BY_ID)
    assert (
        BY_ID["siem-all"]["attributes"]["title"]
        == "siem-cloudtrail,siem-vpcflow,siem-guardduty,siem-securityhub,siem-config"
    )
    assert BY_ID["siem-alerts"]["attributes"]["title"] == "siem-alerts"
    assert all(obj["attributes"]["timeFieldName"] == "@timestamp" for obj in _of_type("index-pattern"))


def test_every_reference_resolves_to_an_object_of_its_type() -> None:
    for obj in OBJECTS:
        for reference in obj["references"]:
            target = BY_ID.get(reference["id"])
            assert target is not None, f"{obj['id']} -> missing {reference['id']}"
            assert target["type"] == reference["type"], f"{obj['id']} -> {reference}"


def test_json_held_in_string_attributes_parses() -> None:
    for obj in OBJECTS:
        attributes = obj["attributes"]
        for name in ("visState", "uiStateJSON", "panelsJSON", "optionsJSON", "fields", "fieldFormatMap"):
            if name in attributes:
                assert isinstance(attributes[name], str)
                json.loads(attributes[name])
        meta = attributes.get("kibanaSavedObjectMeta")
        if meta:
            source = json.loads(meta["searchSourceJSON"])
            assert source["query"]["language"] == "lucene"


def test_dashboard_panels_name_their_references() -> None:
    for board in _of_type("dashboard"):
        panels = json.loads(board["attributes"]["panelsJSON"])
        names = {reference["name"] for reference in board["references"]}
        assert panels and {panel["panelRefName"] for panel in panels} == names
        assert len({panel["panelIndex"] for panel in panels}) == len(panels)


def test_index_pattern_fields_exist_in_the_templates_with_their_type() -> None:
    for pattern in _of_type("index-pattern"):
        mapped = _pattern_fields(pattern["id"])
        for field in json.loads(pattern["attributes"]["fields"]):
            if field["name"].startswith("_"):
                continue
            assert field["name"] in mapped, f"{pattern['id']}: {field['name']}"
            assert field["esTypes"] == [mapped[field["name"]]["type"]]


def test_visualization_fields_exist_and_aggregate() -> None:
    for viz in _of_type("visualization"):
        fields = _pattern_fields(index_pattern_id(viz))
        for agg in json.loads(viz["attributes"]["visState"])["aggs"]:
            name = agg["params"].get("field")
            if name is None or name == "_index":  # a metadata field: every hit has it
                continue
            assert name in fields, f"{viz['id']}: {name}"
            assert fields[name]["type"] not in ("text", "flat_object"), (
                f"{viz['id']}: {name} cannot aggregate"
            )


@pytest.mark.parametrize("kind", ["search", "visualization"])
def test_query_and_column_fields_exist_in_the_templates(kind: str) -> None:
    for obj in _of_type(kind):
        fields = _pattern_fields(index_pattern_id(obj))
        query = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
        named = query_fields(query) | set(obj["attributes"].get("columns", []))
        assert [name for name in named if not _known(name, fields)] == [], obj["id"]


def test_query_field_parser_sees_through_quotes() -> None:
    assert query_fields('a.b:"arn:aws:x" AND NOT _exists_:c.d OR e:(f OR g:h)') == {"a.b", "c.d", "e", "g"}


def test_another_prefix_changes_titles_not_ids() -> None:
    renamed = render("logs-")
    assert [obj["id"] for obj in renamed] == [obj["id"] for obj in OBJECTS]
    titles = {obj["id"]: obj["attributes"]["title"] for obj in renamed if obj["type"] == "index-pattern"}
    assert titles == {pattern: index_pattern_title(pattern, "logs-") for pattern in INDEX_PATTERNS}
    assert titles["siem-all"] == "logs-cloudtrail,logs-vpcflow,logs-guardduty,logs-securityhub,logs-config"
    assert titles["siem-vpcflow"] == "logs-vpcflow" and titles["siem-alerts"] == "logs-alerts"


# Every index the product writes, for the default prefix: what an index pattern may match.
PRODUCT_INDICES = {
    *(f"siem-{name}" for name in INDEX_NAMES),  # the sources (ingest) and the alerts (detections)
    "siem-alerts-state",  # the detections' checkpoints (detections/checkpoints.py)
    "siem-incidents",  # alerts grouped into incidents (issue 16, on the alerts collection)
    "siem-cloudtrail-ruletest-1",  # a rule's test cases (siem rules test, detections/testing.py)
}
PATTERN_INTENT = {
    "siem-all": {"siem-cloudtrail", "siem-vpcflow", "siem-guardduty", "siem-securityhub", "siem-config"},
    "siem-cloudtrail": {"siem-cloudtrail"},
    "siem-vpcflow": {"siem-vpcflow"},
    "siem-guardduty": {"siem-guardduty"},
    "siem-securityhub": {"siem-securityhub"},
    "siem-config": {"siem-config"},
    "siem-alerts": {"siem-alerts"},
    "siem-incidents": {"siem-incidents"},
}


def matched_indices(title: str, indices: set[str]) -> set[str]:
    """The indices a Dashboards index-pattern title matches: a comma-separated list of
    names or wildcard expressions."""
    return {index for index in indices for part in title.split(",") if fnmatchcase(index, part.strip())}


def test_each_index_pattern_matches_only_its_indices() -> None:
    patterns = _of_type("index-pattern")
    assert {pattern["id"] for pattern in patterns} == set(PATTERN_INTENT)
    for pattern in patterns:
        intent = PATTERN_INTENT[pattern["id"]]
        assert intent <= PRODUCT_INDICES
        assert matched_indices(pattern["attributes"]["title"], PRODUCT_INDICES) == intent, pattern["id"]


def test_a_wildcard_title_would_reach_the_alerts() -> None:
    assert matched_indices("siem-*", PRODUCT_INDICES) >= {
        "siem-alerts",
        "siem-alerts-state",
        "siem-incidents",
    }


GRID_COLUMNS = 48
"""OpenSearch Dashboards lays panels on a 48-column grid (react-grid-layout, ``cols: 48``)."""


def _overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    """Two grid rectangles share at least one cell (touching edges do not)."""
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def test_overlap_is_cell_intersection() -> None:
    cell = {"x": 0, "y": 0, "w": 24, "h": 15}
    assert _overlap(cell, {"x": 23, "y": 14, "w": 1, "h": 1})
    assert not _overlap(cell, {"x": 24, "y": 0, "w": 24, "h": 15})
    assert not _overlap(cell, {"x": 0, "y": 15, "w": 48, "h": 15})


@pytest.mark.parametrize("board", _of_type("dashboard"), ids=lambda board: board["id"])
def test_dashboard_panels_fit_the_grid_without_overlapping(board: dict[str, Any]) -> None:
    panels = json.loads(board["attributes"]["panelsJSON"])
    grids = {panel["panelIndex"]: panel["gridData"] for panel in panels}
    for index, grid in grids.items():
        assert grid["i"] == index
        assert all(isinstance(grid[key], int) for key in ("x", "y", "w", "h")), grid
        assert grid["x"] >= 0 and grid["y"] >= 0 and grid["w"] > 0 and grid["h"] > 0, grid
        assert grid["x"] + grid["w"] <= GRID_COLUMNS, f"panel {index} ends past column {GRID_COLUMNS}"
    overlapping = [
        (first, second)
        for position, first in enumerate(grids)
        for second in list(grids)[position + 1 :]
        if _overlap(grids[first], grids[second])
    ]
    assert overlapping == [], f"panels sharing cells: {overlapping}"
    rows: dict[int, int] = {}
    for grid in grids.values():
        rows[grid["y"]] = rows.get(grid["y"], 0) + grid["w"]
    assert set(rows.values()) == {GRID_COLUMNS}, f"rows with a hole: {rows}"


def test_a_search_that_mirrors_a_rule_runs_its_query_on_its_index() -> None:
    rules = {rule.id: rule for rule in load_rules()}
    mirrors = [search for search in SEARCHES if search.rule]
    assert {search.slug for search in mirrors} >= {"root-usage", "console-signin-without-mfa"}
    for search in mirrors:
        rule = rules[str(search.rule)]
        assert rule.lucene is not None and " ".join(rule.lucene.split()) == search.query, search.id
        assert INDEX_PATTERNS[search.pattern] == (rule.index,), search.id
        # What the search runs is what the rule runs and its alerts show (alert.query): the
        # rule's query without the network activity copies of calls.
        assert search.lucene() == " ".join(rule.query_text().split()) != search.query, search.id
