"""The pipeline over the demo objects: expected counts, only the expected dead letters, and
one actor that pivots across sources (docs/schema.md "Pivot contract")."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from demo import DemoObject, Incident
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import indexed_related

INGESTED = "2026-03-14T12:00:00Z"


def _require_normalizer(source: str) -> None:
    if importlib.util.find_spec(f"normalizers.{source}") is None:
        pytest.skip(f"normalizers/{source}.py is not written yet")


def _normalize(demo_dir: Path, obj: DemoObject) -> tuple[list[dict[str, Any]], list[DeadLetter], Any]:
    _require_normalizer(obj.source)
    with (demo_dir / obj.key).open("rb") as handle:
        normalized = normalize_object(handle, Origin(object=obj.key, ingested=INGESTED))
        items = list(normalized)
    documents = [item for item in items if not isinstance(item, DeadLetter)]
    dead = [item for item in items if isinstance(item, DeadLetter)]
    return documents, dead, normalized.outcome


@pytest.fixture(scope="module")
def documents(incident: Incident, demo_dir: Path) -> dict[str, list[dict[str, Any]]]:
    by_source: dict[str, list[dict[str, Any]]] = {}
    for obj in incident.objects:
        if importlib.util.find_spec(f"normalizers.{obj.source}") is None:
            continue
        docs, _, _ = _normalize(demo_dir, obj)
        by_source.setdefault(obj.source, []).extend(docs)
    return by_source


@pytest.mark.parametrize("source", ["cloudtrail", "vpcflow", "guardduty", "securityhub"])
def test_each_object_yields_its_counts_and_only_expected_dead_letters(
    source: str, incident: Incident, demo_dir: Path
) -> None:
    for obj in incident.objects_of(source):
        documents, dead, outcome = _normalize(demo_dir, obj)
        assert outcome.source == source, obj.key
        assert outcome.skipped == obj.skipped, obj.key
        assert outcome.error is None, (obj.key, outcome.error)
        assert len(documents) == obj.documents, obj.key
        expected = sorted((d.reason, d.position) for d in incident.dead_letters if d.key == obj.key)
        assert sorted((d.reason.split(":", 1)[0], d.position) for d in dead) == expected, obj.key
        for letter in dead:
            assert letter.object == obj.key and letter.raw


def test_final_session_key_pivots_across_sources(
    incident: Incident, documents: dict[str, list[dict[str, Any]]]
) -> None:
    session = incident.final_session
    for source in ("cloudtrail", "guardduty", "securityhub"):
        _require_normalizer(source)
        hits = [
            doc
            for doc in documents[source]
            if session.access_key_id in doc.get("related", {}).get("user", [])
        ]
        assert hits, source
        # The session's own calls name it as their actor; the call that issued its key names
        # it as its target (docs/schema.md, "Credentials").
        for doc in hits:
            named = doc["related"]["user"] + [doc.get("user", {}).get("target", {}).get("name")]
            assert session.session_name in named, source
    minted = [
        doc
        for doc in documents["cloudtrail"]
        if session.access_key_id in doc.get("related", {}).get("user", [])
    ]
    assert any(doc["user"].get("target", {}).get("name") == session.session_name for doc in minted)


def test_attacker_ip_pivots_across_sources(
    incident: Incident, documents: dict[str, list[dict[str, Any]]]
) -> None:
    for source in ("cloudtrail", "vpcflow", "guardduty", "securityhub"):
        _require_normalizer(source)
        assert any(incident.attacker_ip in indexed_related(doc).get("ip", []) for doc in documents[source]), (
            source
        )


def test_accounts_come_from_the_records(
    incident: Incident, documents: dict[str, list[dict[str, Any]]]
) -> None:
    _require_normalizer("securityhub")
    accounts = {doc["cloud"]["account"]["id"] for doc in documents["securityhub"]}
    # Envelopes all name the admin account; the documents keep the member accounts.
    assert {incident.source_account_id, incident.target_account_id} <= accounts
    _require_normalizer("cloudtrail")
    copies = [
        doc
        for doc in documents["cloudtrail"]
        if doc["event"]["id"] in {e.event_id for e in incident.attack_events if e.event_name == "AssumeRole"}
    ]
    assert {doc["cloud"]["account"]["id"] for doc in copies} == {
        incident.source_account_id,
        incident.target_account_id,
    }


def test_malformed_flow_address_is_kept_as_address_not_ip(documents: dict[str, list[dict[str, Any]]]) -> None:
    _require_normalizer("vpcflow")
    odd = [doc for doc in documents["vpcflow"] if doc.get("source", {}).get("address") == "211.9.016.253"]
    assert len(odd) == 1
    assert "ip" not in odd[0]["source"]
