"""What documents write back for an index created under an older template (ingest.legacy_fields).

The expected fields come from what each index maps (docs/ingest.md, "An index created under an
older template"): the current templates (opensearch_assets) and the 0.2.0 mappings written by
hand in tests/ingest/data/mappings-v0.2.0.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.legacy_fields import Backfill, backfill, live_fields, unknown_index_backfill
from normalizers.registry import spec
from opensearch_assets.templates import index_properties

LEGACY = json.loads((Path(__file__).parent / "data" / "mappings-v0.2.0.json").read_text())
CLOUDTRAIL = spec("cloudtrail").left_to_index
VPCFLOW = spec("vpcflow").left_to_index


def _legacy(index: str) -> dict[str, Any]:
    return live_fields(LEGACY[index]["properties"])


def test_an_index_of_the_current_template_needs_nothing() -> None:
    for source in ("cloudtrail", "vpcflow", "guardduty", "securityhub", "config"):
        source_spec = spec(source)
        current = live_fields(index_properties(source_spec.index))
        assert not backfill(source_spec.left_to_index, current), source


def test_a_0_2_0_cloudtrail_index_gets_the_four_constants_back() -> None:
    needed = backfill(CLOUDTRAIL, _legacy("siem-cloudtrail"))
    assert sorted(needed.fields()) == ["cloud.provider", "event.dataset", "event.kind", "event.module"]

    document: dict[str, Any] = {
        "event": {"action": "DeleteUser"},
        "cloud": {"account": {"id": "111122223333"}},
    }
    needed.fill(document)
    assert document["event"] == {
        "action": "DeleteUser",
        "dataset": "aws.cloudtrail",
        "kind": "event",
        "module": "aws",
    }
    assert document["cloud"] == {"account": {"id": "111122223333"}, "provider": "aws"}


def test_a_0_2_0_flow_index_gets_its_dataset_and_related_fields_but_not_what_it_maps() -> None:
    needed = backfill(VPCFLOW, _legacy("siem-vpcflow"))
    # 0.2.0 already held event.kind, event.category, event.module, cloud.provider as constants
    # and network.bytes... as aliases; it had neither event.dataset as a constant nor copy_to.
    assert needed.fields() == ["event.dataset", "related.ip", "related.hosts"]
    assert not needed.aliases

    document: dict[str, Any] = {
        "source": {"ip": "172.31.16.139", "bytes": 4249},
        "destination": {"ip": "172.31.16.21"},
        "aws": {"vpcflow": {"pkt_srcaddr": "172.31.16.139", "pkt_dstaddr": "10.0.0.9"}},
        "cloud": {"instance": {"id": "i-0abcd1234efgh5678"}},
        "event": {"action": "ACCEPT"},
    }
    needed.fill(document)
    assert document["event"] == {"action": "ACCEPT", "dataset": "aws.vpcflow"}
    # Each address once, in the order of the fields that hold them.
    assert document["related"] == {
        "ip": ["172.31.16.139", "172.31.16.21", "10.0.0.9"],
        "hosts": ["i-0abcd1234efgh5678"],
    }


def test_a_document_keeps_what_it_has_and_gains_only_what_is_missing() -> None:
    needed = backfill(VPCFLOW, {})
    document: dict[str, Any] = {
        "event": {"dataset": "aws.vpcflow"},
        "source": {"ip": "198.51.100.1", "bytes": 10},
        "related": {"ip": ["198.51.100.1", "203.0.113.5"]},
    }
    needed.fill(document)
    assert document["related"]["ip"] == ["198.51.100.1", "203.0.113.5"]
    assert "hosts" not in document["related"]  # no instance id: nothing to copy
    assert document["network"] == {"bytes": 10}  # an alias the index lacks: the value it names


def test_an_index_of_unknown_mapping_gets_constants_and_copies_never_aliases() -> None:
    unknown = unknown_index_backfill(VPCFLOW)
    assert {".".join(path) for path, _ in unknown.constants} == set(VPCFLOW.constants)
    assert {".".join(path) for path, _ in unknown.copies} == set(VPCFLOW.copies)
    # An index that maps network.bytes as an alias refuses a value written there.
    assert not unknown.aliases


def test_a_constant_the_index_maps_as_such_and_a_copy_it_has_are_not_written() -> None:
    live: dict[str, dict[str, Any]] = {
        "event.dataset": {"type": "constant_keyword", "value": "aws.vpcflow"},
        "source.ip": {"type": "ip", "copy_to": "related.ip"},  # a single target, not a list
        "destination.ip": {"type": "ip", "copy_to": ["related.ip"]},
    }
    needed = backfill(VPCFLOW, live)
    assert "event.dataset" not in needed.fields()
    written = {(".".join(path), ".".join(target)) for path, target in needed.copies}
    assert ("source.ip", "related.ip") not in written and ("destination.ip", "related.ip") not in written
    assert ("cloud.instance.id", "related.hosts") in written


def test_backfills_of_several_indices_merge_without_repeats() -> None:
    one = backfill(CLOUDTRAIL, {"event.kind": {"type": "constant_keyword", "value": "event"}})
    both = one.merged(backfill(CLOUDTRAIL, {}))
    assert sorted(both.fields()) == sorted(CLOUDTRAIL.constants)
    assert not Backfill() and Backfill().merged(Backfill()) == Backfill()


def test_live_fields_flatten_objects_and_keep_leaf_parameters() -> None:
    flat = live_fields(LEGACY["siem-vpcflow"]["properties"])
    assert flat["event.dataset"] == {"type": "keyword"}
    assert flat["network.bytes"] == {"type": "alias", "path": "source.bytes"}
    assert flat["cloud.account.id"] == {"type": "keyword"}
