"""Index templates on the embedded engine (through the Serverless guard): idempotent install,
zero mapping errors for every golden, fixture and sample document, bounded field counts."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from enrichment import Account, AccountDirectory, Enricher
from enrichment.accounts import DEFAULT_TAG_KEYS
from normalizers import Document
from normalizers.terms import MAX_TERM_BYTES, term_fields
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
from tests.conftest import GOLDEN

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


# Flow documents leave out what the index template says for them (docs/sources/vpcflow.md,
# "Document size"): the same queries must still find them.
FLOW_QUERIES = {
    "event.kind:event AND event.category:network AND event.module:aws AND cloud.provider:aws": 2,
    "event.start:[2014-12-14 TO 2014-12-15}": 2,
    "event.start:[2014-12-15 TO 2014-12-16}": 0,
    "network.bytes:4249 AND network.packets:20": 2,
    "aws.vpcflow.action:REJECT": 1,
    # related.ip is indexed from the addresses (copy_to); dates are written in epoch ms.
    'related.ip:"172.31.9.12"': 1,
    'related.ip:"172.31.16.0/20"': 1,
    'related.ip:"172.31.0.0/16"': 2,
    '@timestamp:"2014-12-14T04:06:50Z" AND event.end:"2014-12-14T04:07:50Z"': 2,
    "event.kind:alert": 0,
    "network.bytes:>5000": 0,
}


@pytest.mark.parametrize("query", list(FLOW_QUERIES))
def test_flow_constants_and_aliases_answer_queries(engine: OpenSearch, query: str) -> None:
    # Two flows of 20 packets and 4249 bytes starting at 1418530010, one accepted, one rejected
    # (the VPC User Guide's examples).
    flows = json.loads((GOLDEN / "vpcflow" / "v2-accepted-rejected" / "expected.json").read_text())[:2]
    assert (
        "start" not in flows[0]["event"] and "bytes" not in flows[0]["network"] and "related" not in flows[0]
    )
    install_templates(engine, PREFIX)
    assert index_documents(engine, [("vpcflow", flow) for flow in flows]) == []
    found = engine.search(
        index=f"{PREFIX}vpcflow", body={"query": {"query_string": {"query": query}}, "size": 10}
    )
    assert found["hits"]["total"]["value"] == FLOW_QUERIES[query]


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


def _account_ids(value: object, key: str = "") -> set[str]:
    """Every account id of a document: ``cloud.account.id`` and every ``...account_id``."""
    if isinstance(value, dict):
        return set().union(*(_account_ids(item, name) for name, item in value.items()), set())
    if isinstance(value, list):
        return set().union(*(_account_ids(item, key) for item in value), set())
    return {value} if key in ("id", "account_id") or key.endswith("_account_id") else set()


def test_enriched_documents_index_without_mapping_errors_or_unmapped_fields(
    engine: OpenSearch, shared_dir: Path
) -> None:
    """Every field enrichment writes (account name, OU path, the default tags beside every
    account id; geo, AS and scope; user agent and tool) is mapped in every index."""
    install_templates(engine, PREFIX)
    documents = sample_documents(shared_dir) + golden_documents() + fixture_documents()
    ids = {
        value
        for _, document in documents
        for value in _account_ids(document)
        if isinstance(value, str) and value.isdigit() and len(value) == 12
    }
    directory = AccountDirectory(
        Account(
            id=account_id,
            name=f"account-{account_id}",
            ou_path="Root/Workloads/Prod",
            tags={key: "value" for key in DEFAULT_TAG_KEYS},
        )
        for account_id in ids
    )
    enricher = Enricher(directory)
    enriched = [(source, enricher.enrich(copy.deepcopy(document))) for source, document in documents]
    assert enricher.failures == 0
    paths = {path for _, document in enriched for path in leaf_paths(document)}
    # The documents do carry the fields (so the assertions below are about something).
    assert {
        "cloud.account.name",
        "aws.account.ou_path",
        "aws.account.tags.owner",
        "aws.securityhub_findings.envelope_account_name",
        "aws.vpcflow.tgw_dst_vpc_account_name",
        "source.geo.country_iso_code",
        "aws.source.scope",
        "user_agent.name",
        "aws.user_agent.tool.type",
    } <= paths
    errors = index_documents(engine, enriched)
    assert errors == [], errors[:3]
    assert _unmapped_paths(enriched) == {}


# Types whose values never become one term longer than Lucene's limit: parsed into numbers,
# dates, addresses, points; split into words (text); fixed by the template (constant_keyword).
_BOUNDED_TERM_TYPES = {"text", "date", "ip", "long", "float", "boolean", "geo_point", "constant_keyword"}


def test_every_field_bounds_its_terms_or_is_one_the_ingest_path_cuts() -> None:
    """Lucene refuses a whole document holding one term over 32,766 UTF-8 bytes
    (normalizers/terms.py): a keyword is guarded by ``ignore_above`` (counted in UTF-16 units,
    at most 3 bytes each) or not indexed; a flat_object is one the ingest path cuts. A new type
    (wildcard...) must be judged here first."""
    exempt = {"alert.group_by"}  # the detections runner writes it from keyword values (<= 1,024)
    for name in INDEX_NAMES:
        for path, spec in index_fields(name).items():
            kind = spec["type"]
            if kind == "keyword":
                unindexed = spec.get("index") is False and spec.get("doc_values") is False
                assert unindexed or 3 * spec["ignore_above"] <= MAX_TERM_BYTES, (name, path)
            elif kind == "flat_object":
                assert path in term_fields() or path in exempt, (name, path)
            else:
                assert kind in _BOUNDED_TERM_TYPES, (name, path, kind)
