"""Index templates on the embedded engine (through the Serverless guard): idempotent install,
zero mapping errors for every golden, fixture and sample document, bounded field counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from normalizers import Document
from opensearch_assets.fields import leaf_fields, properties
from opensearch_assets.templates import (
    INDEX_NAMES,
    TOTAL_FIELDS_LIMIT,
    index_fields,
    index_templates,
    install_templates,
)
from tests.assets.fixtures import fixture_documents
from tests.assets.indexing import PREFIX, golden_documents, index_documents, leaf_paths, sample_documents

MAX_FIELDS = 1000

pytestmark = pytest.mark.integration


def _mapped_leaves(client: OpenSearch, index: str) -> dict[str, dict[str, object]]:
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]
    return leaf_fields(mapping["properties"])


def _unmapped_paths(documents: list[tuple[str, Document]]) -> dict[str, set[str]]:
    """Leaves of documents that no template maps: unsearchable data.

    A flat_object holds any key path below it; a geo_point its ``lat``/``lon``.
    """
    missing: dict[str, set[str]] = {}
    for source, document in documents:
        fields = index_fields(source)
        flat = tuple(
            f"{name}." for name, spec in fields.items() if spec["type"] in ("flat_object", "geo_point")
        )
        for path in leaf_paths(document):
            if path not in fields and not path.startswith(flat):
                missing.setdefault(source, set()).add(path)
    return missing


def test_install_templates_twice_creates_each_template_once(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    install_templates(engine, PREFIX)
    installed = engine.indices.get_index_template(name=f"{PREFIX}*")["index_templates"]
    names = sorted(item["name"] for item in installed)
    assert names == sorted(index_templates(PREFIX))
    for item in installed:
        composed = item["index_template"]["composed_of"]
        for component in composed:
            assert engine.cluster.get_component_template(name=component)["component_templates"]


def test_template_types_reach_the_created_index(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    errors = index_documents(engine, fixture_documents())
    assert errors == []
    mapping = engine.indices.get_mapping(index=f"{PREFIX}vpcflow")[f"{PREFIX}vpcflow"]["mappings"]
    assert mapping["dynamic"] in (False, "false")
    leaves = leaf_fields(mapping["properties"])
    assert leaves["source.bytes"]["type"] == "long"
    assert leaves["related.ip"]["type"] == "ip"
    assert leaves["event.original"]["index"] in (False, "false")
    cloudtrail = _mapped_leaves(engine, f"{PREFIX}cloudtrail")
    assert cloudtrail["aws.cloudtrail.request_parameters"]["type"] == "flat_object"
    assert cloudtrail["source.geo.location"]["type"] == "geo_point"
    settings = engine.indices.get_settings(index=f"{PREFIX}cloudtrail")[f"{PREFIX}cloudtrail"]["settings"]
    assert int(settings["index"]["mapping"]["total_fields"]["limit"]) == TOTAL_FIELDS_LIMIT


def test_event_original_is_stored_not_searchable(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    assert index_documents(engine, fixture_documents()) == []
    hit = engine.search(
        index=f"{PREFIX}cloudtrail", body={"query": {"term": {"event.id": "ct-stop-logging"}}}
    )
    original = hit["hits"]["hits"][0]["_source"]["event"]["original"]
    assert "StopLogging" in original
    found = engine.search(
        index=f"{PREFIX}cloudtrail",
        body={"query": {"query_string": {"query": "event.original:*StopLogging*"}}},
    )
    assert found["hits"]["total"]["value"] == 0


def test_golden_and_fixture_documents_index_without_mapping_errors(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    documents = golden_documents() + fixture_documents()
    errors = index_documents(engine, documents)
    assert errors == [], errors[:3]
    assert _unmapped_paths(documents) == {}


def test_sample_documents_index_without_mapping_errors_and_fields_stay_bounded(
    engine: OpenSearch, shared_dir: Path
) -> None:
    install_templates(engine, PREFIX)
    documents = sample_documents(shared_dir) + golden_documents() + fixture_documents()
    assert {source for source, _ in documents} >= {"cloudtrail", "vpcflow", "guardduty", "securityhub"}
    errors = index_documents(engine, documents)
    assert errors == [], errors[:3]
    assert _unmapped_paths(documents) == {}
    for name in INDEX_NAMES:
        if name in ("alerts", "incidents"):  # written by the detections, not from records
            continue
        count = len(_mapped_leaves(engine, f"{PREFIX}{name}"))
        assert 100 < count < MAX_FIELDS, f"{name}: {count} mapped fields"


def test_alerts_template_applies_to_the_alerts_index(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    alert = {
        "@timestamp": "2024-05-01T12:00:00Z",
        "rule": {"id": "fixture-rule", "name": "Fixture"},
        "event": {"kind": "alert", "severity": 70},
        "alert": {"dedup_key": "fixture-rule|fixture-mallory", "first_seen": "2024-05-01T10:00:00Z"},
        "related": {"user": ["fixture-mallory"], "ip": ["203.0.113.66"]},
    }
    engine.index(index=f"{PREFIX}alerts", id="fixture-rule|fixture-mallory", body=alert)
    leaves = _mapped_leaves(engine, f"{PREFIX}alerts")
    assert leaves["alert.dedup_key"]["type"] == "keyword"
    assert leaves["alert.first_seen"]["type"] == "date"
    assert len(leaves) < MAX_FIELDS


def test_incidents_template_maps_what_incidents_are_found_and_sorted_by(engine: OpenSearch) -> None:
    install_templates(engine, PREFIX)
    incident = {
        "@timestamp": "2024-05-01T12:00:00Z",
        "event": {"kind": "alert", "severity": 75, "start": "2024-05-01T10:00:00Z"},
        "incident": {
            "id": "incident-fixture",
            "keys": ["principal:arn:aws:iam::111122223333:root", "ip:203.0.113.66"],
            "last_seen": "2024-05-01T11:00:00Z",
            "lines": [{"rule_id": "fixture-rule", "alert_ids": ["a-1"], "who": "root"}],
        },
    }
    engine.index(index=f"{PREFIX}incidents", id="incident-fixture", body=incident)
    leaves = _mapped_leaves(engine, f"{PREFIX}incidents")
    assert leaves["incident.keys"]["type"] == "keyword"
    assert leaves["incident.last_seen"]["type"] == "date"
    assert not any(path.startswith("incident.lines") for path in leaves)  # kept in _source only


def test_field_tables_reject_a_path_that_is_both_leaf_and_object() -> None:
    with pytest.raises(ValueError, match="already a leaf"):
        properties({"user.name": "keyword", "user.name.first": "keyword"})
    with pytest.raises(ValueError, match="unknown field kind"):
        properties({"user.name": "string"})
