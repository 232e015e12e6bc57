"""Render the catalogue into OpenSearch Dashboards 2.x saved objects (the NDJSON import format).

``python -m opensearch_assets.saved_objects`` rewrites ``opensearch_assets/saved_objects.ndjson``
(committed; a test checks it is up to date). Index-pattern field lists are derived from the
index templates, so Dashboards knows every mapped field and its type from the first import.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from opensearch_assets.catalogue import (
    DASHBOARDS,
    FIELD_LINKS,
    INDEX_PATTERNS,
    SEARCHES,
    VISUALIZATIONS,
    Dashboard,
    Search,
    Terms,
    Timeline,
    Visualization,
    index_pattern_title,
)
from opensearch_assets.links import url_format, url_template
from opensearch_assets.templates import DEFAULT_PREFIX, index_fields

NDJSON_PATH = Path(__file__).with_name("saved_objects.ndjson")
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"

# The document format of each type in OpenSearch Dashboards 2.x: declaring it spares the
# importer from running legacy (Kibana 6/7) migrations on objects already in today's shape.
_MIGRATION_VERSION = {
    "index-pattern": "7.6.0",
    "search": "7.9.3",
    "visualization": "7.10.0",
    "dashboard": "7.9.3",
}

# Mapping type -> Dashboards field type.
_DASHBOARDS_TYPES = {
    "keyword": "string",
    "constant_keyword": "string",
    "text": "string",
    "flat_object": "string",
    "date": "date",
    "ip": "ip",
    "long": "number",
    "integer": "number",
    "float": "number",
    "boolean": "boolean",
    "geo_point": "geo_point",
}
_META_FIELDS = [
    {"name": "_id", "type": "string", "esTypes": ["_id"], "searchable": True, "aggregatable": True},
    {"name": "_index", "type": "string", "esTypes": ["_index"], "searchable": True, "aggregatable": True},
    {"name": "_score", "type": "number", "searchable": False, "aggregatable": False},
    {
        "name": "_source",
        "type": "_source",
        "esTypes": ["_source"],
        "searchable": False,
        "aggregatable": False,
    },
]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def _saved_object(
    kind: str, object_id: str, attributes: dict[str, Any], references: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "id": object_id,
        "type": kind,
        "attributes": attributes,
        "references": references,
        "migrationVersion": {kind: _MIGRATION_VERSION[kind]},
    }


def _field_descriptor(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    mapping_type = spec["type"]
    indexed = spec.get("index", True)
    has_doc_values = spec.get("doc_values", mapping_type not in ("text", "flat_object"))
    return {
        "name": name,
        "type": _DASHBOARDS_TYPES[mapping_type],
        "esTypes": [mapping_type],
        "count": 0,
        "scripted": False,
        "searchable": bool(indexed),
        "aggregatable": bool(has_doc_values),
        "readFromDocValues": bool(has_doc_values),
    }


def pattern_fields(pattern_id: str) -> list[dict[str, Any]]:
    """The Dashboards field list of an index pattern: the union of its indices' mappings."""
    merged: dict[str, dict[str, Any]] = {}
    for index in INDEX_PATTERNS[pattern_id]:
        for name, spec in index_fields(index).items():
            if name in merged and _DASHBOARDS_TYPES[merged[name]["type"]] != _DASHBOARDS_TYPES[spec["type"]]:
                raise ValueError(f"{pattern_id}: {name} is {merged[name]['type']} and {spec['type']}")
            merged[name] = spec
    fields = [_field_descriptor(name, spec) for name, spec in sorted(merged.items())]
    return [*(dict(meta, count=0, scripted=False, readFromDocValues=False) for meta in _META_FIELDS), *fields]


def field_formats(field_names: set[str]) -> dict[str, Any]:
    """``fieldFormatMap``: a URL formatter on each linked field the pattern holds."""
    return {
        name: url_format(url_template(link.dashboard, link.query_fields))
        for link in FIELD_LINKS
        for name in link.fields
        if name in field_names
    }


def index_pattern(pattern_id: str, prefix: str) -> dict[str, Any]:
    fields = pattern_fields(pattern_id)
    attributes = {
        "title": index_pattern_title(pattern_id, prefix),
        "timeFieldName": "@timestamp",
        "fields": _dumps(fields),
        "fieldFormatMap": _dumps(field_formats({field["name"] for field in fields})),
    }
    return _saved_object("index-pattern", pattern_id, attributes, [])


def _search_source(query: str, *, with_index: bool = True) -> str:
    source: dict[str, Any] = {"query": {"query": query, "language": "lucene"}, "filter": []}
    if with_index:
        source["indexRefName"] = INDEX_REF
    return _dumps(source)


def _index_reference(pattern_id: str) -> list[dict[str, str]]:
    return [{"name": INDEX_REF, "type": "index-pattern", "id": pattern_id}]


def saved_search(search: Search) -> dict[str, Any]:
    attributes = {
        "title": search.title,
        "description": search.description,
        "hits": 0,
        "columns": list(search.columns),
        "sort": [["@timestamp", "desc"]],
        "version": 1,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(search.lucene())},
    }
    return _saved_object("search", search.id, attributes, _index_reference(search.pattern))


def _count_agg() -> dict[str, Any]:
    return {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def _bucket_agg(position: int, bucket: Terms | Timeline, schema: str) -> dict[str, Any]:
    if isinstance(bucket, Timeline):
        params: dict[str, Any] = {
            "field": bucket.field,
            "useNormalizedOpenSearchInterval": True,
            "scaleMetricValues": False,
            "interval": "auto",
            "drop_partials": False,
            "min_doc_count": 1,
            "extended_bounds": {},
        }
        return {
            "id": str(position),
            "enabled": True,
            "type": "date_histogram",
            "schema": schema,
            "params": params,
        }
    params = {
        "field": bucket.field,
        "orderBy": "1",
        "order": "desc",
        "size": bucket.size,
        "otherBucket": False,
        "otherBucketLabel": "Other",
        "missingBucket": bucket.missing is not None,
        "missingBucketLabel": bucket.missing or "Missing",
    }
    return {"id": str(position), "enabled": True, "type": "terms", "schema": schema, "params": params}


def _expanded_buckets(viz: Visualization) -> list[Terms | Timeline]:
    """A timeline's ``split`` becomes a second, series-splitting terms bucket."""
    out: list[Terms | Timeline] = []
    for bucket in viz.buckets:
        out.append(bucket)
        if isinstance(bucket, Timeline) and bucket.split:
            out.append(Terms(bucket.split, 5))
    return out


def _schemas(viz: Visualization) -> list[str]:
    buckets = _expanded_buckets(viz)
    if viz.kind == "table":
        return ["bucket"] * len(buckets)
    if viz.kind == "pie":
        return ["segment"] * len(buckets)
    if viz.kind in ("histogram", "line"):
        return ["segment", *["group"] * (len(buckets) - 1)]
    if viz.kind == "metric" and not buckets:
        return []
    raise ValueError(f"{viz.id}: unsupported kind {viz.kind!r} with {len(buckets)} buckets")


def vis_state(viz: Visualization) -> dict[str, Any]:
    aggs = [_count_agg()]
    for position, (bucket, schema) in enumerate(
        zip(_expanded_buckets(viz), _schemas(viz), strict=True), start=2
    ):
        aggs.append(_bucket_agg(position, bucket, schema))
    return {"title": viz.title, "type": viz.kind, "aggs": aggs, "params": _vis_params(viz.kind)}


def _vis_params(kind: str) -> dict[str, Any]:
    if kind == "table":
        return {
            "perPage": 10,
            "showPartialRows": False,
            "showMetricsAtAllLevels": False,
            "showTotal": False,
            "totalFunc": "sum",
            "percentageCol": "",
            "sort": {"columnIndex": None, "direction": None},
        }
    if kind == "pie":
        return {
            "type": "pie",
            "addTooltip": True,
            "addLegend": True,
            "legendPosition": "right",
            "isDonut": True,
            "labels": {"show": False, "values": True, "last_level": True, "truncate": 100},
        }
    if kind == "metric":
        return {
            "addTooltip": True,
            "addLegend": False,
            "type": "metric",
            "metric": {
                "percentageMode": False,
                "useRanges": False,
                "colorSchema": "Green to Red",
                "metricColorMode": "None",
                "colorsRange": [{"from": 0, "to": 10000}],
                "labels": {"show": True},
                "invertColors": False,
                "style": {
                    "bgFill": "#000",
                    "bgColor": False,
                    "labelColor": False,
                    "subText": "",
                    "fontSize": 60,
                },
            },
        }
    return _xy_params(kind)


def _xy_params(kind: str) -> dict[str, Any]:
    """Histogram and line charts: time on the x axis, count on the y axis."""
    mode = "stacked" if kind == "histogram" else "normal"
    return {
        "type": kind,
        "addTooltip": True,
        "addLegend": True,
        "legendPosition": "right",
        "addTimeMarker": False,
        "grid": {"categoryLines": False},
        "categoryAxes": [
            {
                "id": "CategoryAxis-1",
                "type": "category",
                "position": "bottom",
                "show": True,
                "style": {},
                "scale": {"type": "linear"},
                "labels": {"show": True, "filter": True, "truncate": 100},
                "title": {},
            }
        ],
        "valueAxes": [
            {
                "id": "ValueAxis-1",
                "name": "LeftAxis-1",
                "type": "value",
                "position": "left",
                "show": True,
                "style": {},
                "scale": {"type": "linear", "mode": "normal"},
                "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                "title": {"text": "Count"},
            }
        ],
        "seriesParams": [
            {
                "show": True,
                "type": kind,
                "mode": mode,
                "data": {"label": "Count", "id": "1"},
                "valueAxis": "ValueAxis-1",
                "drawLinesBetweenPoints": True,
                "lineWidth": 2,
                "showCircles": True,
            }
        ],
        "labels": {"show": False},
        "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
    }


def visualization(viz: Visualization) -> dict[str, Any]:
    attributes = {
        "title": viz.title,
        "description": viz.description,
        "visState": _dumps(vis_state(viz)),
        "uiStateJSON": "{}",
        "version": 1,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(viz.lucene())},
    }
    return _saved_object("visualization", viz.id, attributes, _index_reference(viz.pattern))


GRID_COLUMNS = 48
"""Dashboards lays panels on a 48-column grid; ``y`` and ``h`` count rows of about 20 px."""
PANEL_HEIGHT = 15


def _panel_width(item: Visualization | Search) -> int:
    """A table of events needs the full width; a chart or a table of counts half of it."""
    return GRID_COLUMNS if isinstance(item, Search) else GRID_COLUMNS // 2


def layout(panels: tuple[Visualization | Search, ...]) -> list[dict[str, int]]:
    """Grid rectangles for ``panels`` in reading order: left to right, then the next row.

    A panel that does not fit in what is left of its row starts the next one, and the last
    panel of a row stretches to the right edge, so no two panels share a cell, none ends
    past the grid, and no row has a hole.
    """
    rows: list[list[dict[str, int]]] = [[]]
    x = 0
    for item in panels:
        width = _panel_width(item)
        if x + width > GRID_COLUMNS:
            rows.append([])
            x = 0
        rows[-1].append({"x": x, "y": (len(rows) - 1) * PANEL_HEIGHT, "w": width, "h": PANEL_HEIGHT})
        x += width
    for row in rows:
        if row:
            row[-1]["w"] = GRID_COLUMNS - row[-1]["x"]
    return [grid for row in rows for grid in row]


def dashboard(board: Dashboard) -> dict[str, Any]:
    panels, references = [], []
    for position, (item, grid) in enumerate(zip(board.panels, layout(board.panels), strict=True)):
        index = str(position + 1)
        panels.append(
            {
                "version": "2.11.0",
                "gridData": {**grid, "i": index},
                "panelIndex": index,
                "embeddableConfig": {},
                "panelRefName": f"panel_{position}",
            }
        )
        kind = "search" if isinstance(item, Search) else "visualization"
        references.append({"name": f"panel_{position}", "type": kind, "id": item.id})
    attributes = {
        "title": board.title,
        "description": board.description,
        "hits": 0,
        "panelsJSON": _dumps(panels),
        "optionsJSON": _dumps({"hidePanelTitles": False, "useMargins": True}),
        "version": 1,
        "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source("", with_index=False)},
    }
    return _saved_object("dashboard", board.id, attributes, references)


def render(prefix: str = DEFAULT_PREFIX) -> list[dict[str, Any]]:
    """Every saved object, referenced objects first (the order Dashboards imports best)."""
    return [
        *(index_pattern(pattern_id, prefix) for pattern_id in INDEX_PATTERNS),
        *(saved_search(search) for search in SEARCHES),
        *(visualization(viz) for viz in VISUALIZATIONS),
        *(dashboard(board) for board in DASHBOARDS),
    ]


def to_ndjson(objects: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in objects).encode("utf-8")


def main() -> int:
    NDJSON_PATH.write_bytes(to_ndjson(render()))
    print(f"wrote {NDJSON_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
