"""Turn a rendered saved search or visualization into the search request Dashboards sends.

Dashboards runs a Lucene query bar through ``query_string`` and a visualization's buckets as
nested aggregations under a ``count`` metric. Doing the same here lets the tests (and anyone
checking an installation) run every saved object against real data.
"""

from __future__ import annotations

import json
from typing import Any

from opensearch_assets.saved_objects import INDEX_REF

# Dashboards derives "auto" from the time picker; one day keeps a multi-year fixture small.
AUTO_INTERVAL = "1d"


def search_source(saved_object: dict[str, Any]) -> dict[str, Any]:
    meta = saved_object["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
    source: dict[str, Any] = json.loads(meta)
    return source


def index_pattern_id(saved_object: dict[str, Any]) -> str:
    for reference in saved_object["references"]:
        if reference["name"] == INDEX_REF:
            return str(reference["id"])
    raise KeyError(f"{saved_object['id']}: no index-pattern reference")


def query_clause(lucene: str) -> dict[str, Any]:
    """The query bar as Dashboards sends it: an empty bar matches everything."""
    if not lucene.strip():
        return {"match_all": {}}
    return {"query_string": {"query": lucene, "analyze_wildcard": True}}


def aggregations(vis_state: dict[str, Any]) -> dict[str, Any]:
    """Bucket aggregations nested in visState order (count needs no sub-aggregation)."""
    buckets = [agg for agg in vis_state["aggs"] if agg.get("enabled", True) and agg["type"] != "count"]
    nested: dict[str, Any] = {}
    for agg in reversed(buckets):
        body = _bucket_body(agg)
        if nested:
            body["aggs"] = nested
        nested = {agg["id"]: body}
    return nested


MISSING_KEY = "__missing__"
"""The key of a terms bucket's row of documents without the field (OpenSearch Dashboards')."""


def _bucket_body(agg: dict[str, Any]) -> dict[str, Any]:
    params = agg["params"]
    if agg["type"] == "terms":
        terms = {"field": params["field"], "size": params["size"], "order": {"_count": params["order"]}}
        if params.get("missingBucket"):  # what Dashboards sends; it shows missingBucketLabel instead
            terms["missing"] = MISSING_KEY
        return {"terms": terms}
    if agg["type"] == "date_histogram":
        interval = AUTO_INTERVAL if params["interval"] == "auto" else params["interval"]
        return {
            "date_histogram": {
                "field": params["field"],
                "fixed_interval": interval,
                "min_doc_count": params.get("min_doc_count", 1),
            }
        }
    raise ValueError(f"unsupported aggregation {agg['type']!r}")


def request_body(
    saved_object: dict[str, Any], *, query: str | None = None, size: int = 100
) -> dict[str, Any]:
    """The body for a saved search or visualization; ``query`` replaces the saved query bar."""
    lucene = search_source(saved_object)["query"]["query"] if query is None else query
    body: dict[str, Any] = {"query": query_clause(lucene), "track_total_hits": True}
    if saved_object["type"] == "visualization":
        body["size"] = 0
        aggs = aggregations(json.loads(saved_object["attributes"]["visState"]))
        if aggs:
            body["aggs"] = aggs
    else:
        body["size"] = size
        body["sort"] = [{"@timestamp": {"order": "desc"}}]
    return body
