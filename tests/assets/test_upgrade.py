"""Indices created before ``siem assets install``: what a newly mapped field does there, and the
installer bringing them up to their template (additive ``PUT <index>/_mapping``).

The older indices are built by hand from the current template minus what an older release did
not map (``TEMPLATE_VERSION`` 5 added ``file.*`` and ``process.parent.*`` to every index; 0.2.0
mapped CloudTrail's ``event.dataset`` as a ``keyword``, CHANGELOG.md upgrade notes), with the
templates' ``dynamic: false``. On the embedded engine through the Serverless guard.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

from ingest.live_mapping import RECHECK_SECONDS, LiveMappings
from opensearch_assets import custom_resource
from opensearch_assets import install as installer
from opensearch_assets.install import install
from opensearch_assets.settings import InstallSettings
from opensearch_assets.templates import index_properties, install_templates
from opensearch_client import ConnectionSettings
from siem_cli import main as cli
from tests.assets.indexing import index_documents

pytestmark = pytest.mark.integration
SETTINGS = InstallSettings(ConnectionSettings("http://engine", auth="none"), None, "siem-")
MALWARE = {"file": {"name": "evil.sh", "size": 4096}, "process": {"parent": {"name": "bash"}}}


def _older(
    name: str, *, without: tuple[str, ...] = (), retyped: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The mapping an older template gave index ``<prefix><name>``: the current one without the
    dotted paths ``without`` and with ``retyped`` fields mapped otherwise."""
    properties = copy.deepcopy(index_properties(name))
    for path in without:
        *parents, leaf = path.split(".")
        node = properties
        for part in parents:
            node = node[part]["properties"]
        del node[leaf]
    for path, mapping in (retyped or {}).items():
        *parents, leaf = path.split(".")
        node = properties
        for part in parents:
            node = node[part]["properties"]
        node[leaf] = mapping
    return {"dynamic": False, "date_detection": False, "properties": properties}


def _finding(minute: int, **extra: Any) -> dict[str, Any]:
    return {"@timestamp": f"2026-12-01T10:{minute:02d}:00.000Z", "message": f"finding {minute}", **extra}


def _hits(engine: OpenSearch, index: str, query: dict[str, Any]) -> list[str]:
    answer = engine.search(index=index, body={"query": query, "size": 10})
    return sorted(hit["_source"]["message"] for hit in answer["hits"]["hits"])


def _mapped(engine: OpenSearch, index: str, path: str) -> dict[str, Any] | None:
    node: Any = engine.indices.get_mapping(index=index)[index]["mappings"]
    for part in path.split("."):
        node = node.get("properties", {}).get(part)
        if node is None:
            return None
    return dict(node)


def test_before_an_upgrade_a_newly_mapped_field_stays_in_source_unmapped_and_unsearchable(
    engine: OpenSearch,
) -> None:
    """What happens today in an index the current templates did not create: ``dynamic: false``
    keeps the field in ``_source`` and maps nothing (no dynamic mapping, no wrong type), so no
    query finds it; installing the templates alone does not change the index."""
    engine.indices.create(index="siem-guardduty", body={"mappings": _older("guardduty", without=("file",))})
    install_templates(engine, "siem-")
    assert index_documents(engine, [("guardduty", _finding(1, **MALWARE))]) == []

    assert _mapped(engine, "siem-guardduty", "file") is None
    stored = engine.search(index="siem-guardduty", body={"size": 1})["hits"]["hits"][0]["_source"]
    assert stored["file"] == {"name": "evil.sh", "size": 4096}
    assert _hits(engine, "siem-guardduty", {"term": {"file.name": "evil.sh"}}) == []
    assert _hits(engine, "siem-guardduty", {"range": {"file.size": {"gte": 1}}}) == []


def test_install_adds_the_fields_an_existing_index_lacks_and_new_documents_are_searchable(
    engine: OpenSearch,
) -> None:
    older = _older("guardduty", without=("file", "process.parent"))
    engine.indices.create(index="siem-guardduty", body={"mappings": older})
    assert index_documents(engine, [("guardduty", _finding(1, **MALWARE))]) == []

    report = install(SETTINGS, client=engine)

    assert report.ok
    (upgraded,) = report.indices
    assert (upgraded.index, upgraded.template, upgraded.error) == ("siem-guardduty", "siem-guardduty", None)
    assert set(upgraded.added) == {
        "file.hash.md5",
        "file.hash.sha1",
        "file.hash.sha256",
        "file.hash.sha512",
        "file.name",
        "file.path",
        "file.size",
        "process.parent.executable",
        "process.parent.name",
        "process.parent.pid",
    }
    assert _mapped(engine, "siem-guardduty", "file.size") == {"type": "long"}
    assert _mapped(engine, "siem-guardduty", "process.parent.name") == {
        "type": "keyword",
        "ignore_above": 1024,
    }
    assert "index siem-guardduty: 10 fields added (" in "\n".join(report.lines())
    # A document indexed from now on is found by the new fields; one indexed before is not
    # (a mapping update does not reindex: docs/assets.md).
    assert index_documents(engine, [("guardduty", _finding(2, **MALWARE))]) == []
    assert _hits(engine, "siem-guardduty", {"term": {"file.name": "evil.sh"}}) == ["finding 2"]
    assert _hits(engine, "siem-guardduty", {"term": {"process.parent.name": "bash"}}) == ["finding 2"]
    assert _hits(engine, "siem-guardduty", {"range": {"file.size": {"gte": 4096}}}) == ["finding 2"]


def test_a_field_typed_otherwise_in_the_index_is_reported_never_changed(engine: OpenSearch) -> None:
    """0.2.0's CloudTrail ``event.dataset`` keyword (now a constant) and a ``file.size`` an
    older mapping would have made a keyword: each named with the index, left as it is; the
    other missing fields are added all the same."""
    older = _older(
        "cloudtrail",
        without=("file.name",),
        retyped={"event.dataset": {"type": "keyword"}, "file.size": {"type": "keyword"}},
    )
    engine.indices.create(index="siem-cloudtrail-000001", body={"mappings": older})

    report = install(SETTINGS, client=engine)

    assert report.ok  # a field left alone is not a failure: ingest adapts to the index
    (upgraded,) = report.indices
    assert upgraded.added == ["file.name"]
    assert [(c.field, c.live, c.template) for c in upgraded.conflicts] == [
        ("event.dataset", "keyword", "constant_keyword"),
        ("file.size", "keyword", "long"),
    ]
    assert _mapped(engine, "siem-cloudtrail-000001", "event.dataset") == {"type": "keyword"}
    assert _mapped(engine, "siem-cloudtrail-000001", "file.size") == {"type": "keyword"}
    assert (
        "index siem-cloudtrail-000001: field file.size is keyword in the index, long in template "
        "siem-cloudtrail: left as it is (a new index gets it)"
    ) in report.lines()


def test_an_alias_is_not_added_to_an_index_whose_documents_carry_its_value(engine: OpenSearch) -> None:
    """Ingest writes ``network.bytes`` into the documents of an index without the alias
    (ingest.legacy_fields): added under a running ingest, the alias would make the index refuse them."""
    engine.indices.create(
        index="siem-vpcflow", body={"mappings": _older("vpcflow", without=("network.bytes", "file.name"))}
    )

    (upgraded,) = install(SETTINGS, client=engine).indices

    assert (upgraded.added, upgraded.aliases) == (["file.name"], ["network.bytes"])
    assert _mapped(engine, "siem-vpcflow", "network.bytes") is None
    document = _finding(3, network={"bytes": 1200}, source={"bytes": 1200})
    assert index_documents(engine, [("vpcflow", document)]) == []


def test_a_second_install_changes_nothing_and_says_so(engine: OpenSearch) -> None:
    engine.indices.create(index="siem-guardduty", body={"mappings": _older("guardduty", without=("file",))})
    install_templates(engine, "siem-")
    engine.indices.create(index="siem-incidents")  # by the current template: nothing to add
    engine.indices.create(index="siem-unrelated", body={"mappings": {"dynamic": False}})
    first = install(SETTINGS, client=engine)
    mapping = engine.indices.get_mapping(index="siem-guardduty")

    second = install(SETTINGS, client=engine)

    assert [(u.index, bool(u.added)) for u in first.indices] == [
        ("siem-guardduty", True),
        ("siem-incidents", False),
    ]
    assert [(u.index, u.added, u.conflicts, u.error) for u in second.indices] == [
        ("siem-guardduty", [], [], None),
        ("siem-incidents", [], [], None),
    ]
    assert engine.indices.get_mapping(index="siem-guardduty") == mapping
    assert (
        "existing indices: 2 checked, 0 given new fields, 2 already had every field of their template"
        in second.lines()
    )
    assert _mapped(engine, "siem-unrelated", "file") is None  # no template of ours matches it


def test_an_empty_collection_installs_and_says_no_index_matched(engine: OpenSearch) -> None:
    report = install(SETTINGS, client=engine)
    assert report.ok and report.indices == []
    assert "existing indices: none matches a template" in report.lines()


def _refusing(engine: OpenSearch, monkeypatch: pytest.MonkeyPatch, refused: str) -> None:
    """The engine refuses ``PUT <refused>/_mapping`` (a field limit, a missing permission)."""
    put = engine.indices.put_mapping

    def put_mapping(*, index: str, body: dict[str, Any], **kwargs: Any) -> Any:
        if index == refused:
            reason = "Limit of total fields [2000] has been exceeded"
            raise RequestError(400, "illegal_argument_exception", {"error": {"reason": reason}})
        return put(index=index, body=body, **kwargs)

    monkeypatch.setattr(engine.indices, "put_mapping", put_mapping)


def test_an_index_that_refuses_the_update_is_reported_and_the_others_are_upgraded(
    engine: OpenSearch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    for index in ("siem-guardduty", "siem-securityhub"):
        name = index.removeprefix("siem-")
        engine.indices.create(index=index, body={"mappings": _older(name, without=("file",))})
    _refusing(engine, monkeypatch, "siem-guardduty")
    monkeypatch.setattr(installer, "make_client", lambda connection, **_: engine)

    with caplog.at_level(logging.ERROR, logger="opensearch_assets.upgrade"):
        status = cli.main(["assets", "install", "--endpoint", "http://engine", "--auth", "none"])

    out, err = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in out + err
    assert (
        "index siem-guardduty: mapping not updated: HTTP 400 illegal_argument_exception: "
        "Limit of total fields [2000] has been exceeded"
    ) in out.splitlines()
    assert "index siem-securityhub: 7 fields added (" in out
    assert (
        "existing indices: 2 checked, 1 given new fields, 0 already had every field of their template, 1 failed (see above)"
        in out
    )
    assert _mapped(engine, "siem-securityhub", "file.name") is not None
    assert any("siem-guardduty" in record.getMessage() for record in caplog.records)


def test_the_custom_resource_logs_a_refused_index_without_failing_the_deploy(
    engine: OpenSearch, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    engine.indices.create(index="siem-guardduty", body={"mappings": _older("guardduty", without=("file",))})
    _refusing(engine, monkeypatch, "siem-guardduty")
    monkeypatch.setattr(installer, "make_client", lambda connection, **_: engine)
    monkeypatch.setenv("OPENSEARCH_ENDPOINT", "http://engine")
    monkeypatch.setenv("AUTH", "none")

    with caplog.at_level(logging.INFO):
        answer = custom_resource.on_event({"RequestType": "Update", "ResourceProperties": {}}, None)

    assert answer["PhysicalResourceId"] == "opensearch-assets-siem-"
    messages = [record.getMessage() for record in caplog.records]
    assert any(message.startswith("index siem-guardduty: mapping not updated:") for message in messages)
    assert "existing indices not all upgraded: run siem assets install (docs/assets.md)" in messages


def test_ingest_reads_an_upgraded_index_again_and_sends_it_lean_documents(engine: OpenSearch) -> None:
    """An index created before GuardDuty's constants were mapped (no ``event.kind``,
    ``event.dataset``, ``event.module``, ``cloud.provider`` at all): ingest's documents carry
    them; once the installer added them as constants, a process that read the index as older
    reads it again after ``RECHECK_SECONDS`` and writes lean documents."""
    constants = ("event.kind", "event.dataset", "event.module", "cloud.provider")
    engine.indices.create(index="siem-guardduty", body={"mappings": _older("guardduty", without=constants)})
    now = [0.0]
    mappings = LiveMappings(engine, clock=lambda: now[0])
    before = mappings.backfill("siem-guardduty", "guardduty")
    assert before is not None and sorted(before.fields()) == sorted(constants)

    (upgraded,) = install(SETTINGS, client=engine).indices
    assert sorted(upgraded.added) == sorted(constants)
    # The documents a process still sends with the constants are accepted meanwhile.
    carried = {
        "event": {"kind": "alert", "dataset": "aws.guardduty", "module": "aws"},
        "cloud": {"provider": "aws"},
    }
    assert index_documents(engine, [("guardduty", _finding(4, **carried))]) == []
    now[0] += RECHECK_SECONDS - 1
    assert mappings.backfill("siem-guardduty", "guardduty") is before
    now[0] += 1
    assert mappings.backfill("siem-guardduty", "guardduty") is None
    assert _hits(engine, "siem-guardduty", {"term": {"event.dataset": "aws.guardduty"}}) == ["finding 4"]
