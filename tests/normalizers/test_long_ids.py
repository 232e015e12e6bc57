"""An id the record gives, however long, makes an ``event.id`` that a search finds: every
``keyword`` indexes at most 1,024 characters (``ignore_above``), and the crash-resume look-up
(ingest/searchable.py) and every pivot find a document by its ``event.id``
(normalizers/ecs/ids.py, :func:`searchable_id`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from normalizers.ecs.ids import KEPT_ID_BYTES, MAX_ID_BYTES, searchable_id
from tests.fuzz.harness import check_object
from tests.fuzz.models import Generator
from tests.records import cloudtrail_record

LONG_ID = "x" * 2000 + "-end"
"""2 KB: an ARN-like id no keyword of the templates indexes whole."""


def _cloudtrail(record_id: str, **members: Any) -> bytes:
    return json.dumps({"Records": [cloudtrail_record(0, "ListUsers", eventID=record_id, **members)]}).encode()


def _finding(source: str, record_id: str) -> bytes:
    finding: dict[str, Any] = Generator(source, seed=3).finding()
    if source == "guardduty":
        finding["id"] = record_id
        return json.dumps(finding).encode()
    if source == "securityhub":
        finding["Id"] = record_id
        return json.dumps({"Findings": [finding]}).encode()
    finding["resourceId"] = record_id
    return json.dumps({"configurationItems": [finding]}).encode()


def _event_id(source: str, record_id: str) -> str:
    body = _cloudtrail(record_id) if source == "cloudtrail" else _finding(source, record_id)
    (document,) = check_object(body, source, records=1)
    event_id: str = document["event"]["id"]
    return event_id


@pytest.mark.parametrize("source", ["cloudtrail", "guardduty", "securityhub", "config"])
def test_a_2_kb_id_makes_a_searchable_stable_and_distinct_event_id(source: str) -> None:
    event_id = _event_id(source, LONG_ID)
    assert len(event_id.encode()) <= MAX_ID_BYTES
    assert event_id == _event_id(source, LONG_ID)  # stable: every delivery of the record
    assert event_id != _event_id(source, LONG_ID[:-1] + "f")  # distinct: the whole id counts
    assert "short-id" in _event_id(source, "short-id")  # an id within the bound: as given


def test_an_id_keeps_its_beginning_and_a_hash_of_the_whole_past_the_bound() -> None:
    fitting = "é" * (MAX_ID_BYTES // 2)  # 1,024 bytes exactly
    assert searchable_id(fitting) == fitting
    longer = fitting + "a"
    cut = searchable_id(longer)
    head, digest = cut.split("…")
    assert longer.startswith(head) and len(head.encode()) in (KEPT_ID_BYTES - 1, KEPT_ID_BYTES)
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert searchable_id("\ud800" * 2000) != searchable_id("\ud801" * 2000)  # lone surrogates: no error


def test_a_config_items_related_event_joins_the_long_cloudtrail_event_id() -> None:
    finding: dict[str, Any] = Generator("config", seed=3).finding()
    finding["relatedEvents"] = [LONG_ID]
    body = json.dumps({"configurationItems": [finding]}).encode()
    (document,) = check_object(body, "config", records=1)
    assert document["aws"]["config"]["related_events"] == [_event_id("cloudtrail", LONG_ID)]


@pytest.mark.parametrize("original", [LONG_ID, "2b3c4d5e-6f7a-4b8c-9d0e-EXAMPLE4a5b6"])
def test_an_updated_records_original_event_id_joins_the_original_events_id(original: str) -> None:
    """A record CloudTrail delivers again with updated fields names the first delivery's
    eventID in addendum.originalEventID: written as that record's event.id is, a pivot from
    one finds the other however long the id."""
    addendum = {"reason": "UPDATED_DATA", "updatedFields": "sourceIPAddress", "originalEventID": original}
    (document,) = check_object(_cloudtrail("updated-id", addendum=addendum), "cloudtrail", records=1)
    written = document["aws"]["cloudtrail"]["addendum"]["original_event_id"]
    assert written == _event_id("cloudtrail", original)
    assert len(written.encode()) <= MAX_ID_BYTES
