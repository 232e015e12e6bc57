"""Incidents stay bounded under a flood of alerts (the count exact, the ids listed first and
latest) and an alert that links two incidents merges them into the older, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, cast

import pytest
from opensearchpy import OpenSearch

from detections import eventbus
from detections import incidents as incident_store
from detections.checkpoints import MemoryCheckpoints
from detections.incidents import (
    FIRST_ALERT_IDS,
    MAX_ALERT_IDS,
    MAX_KEYS,
    MAX_LINES,
    MAX_MERGE_HOPS,
    add_alert,
    fold_alerts,
    get_incident,
    incident_id,
    merge_incident,
    new_incident,
    write_incidents,
)
from detections.notify import incident_text
from detections.runner import run
from siem_cli.incidents import _listed
from siem_cli.main import main
from tests.detections.test_incidents import NOW, alert

INDEX = "siem-incidents"
KEY = "arn:aws:iam::111122223333:role/ci"
OTHER_KEY = "arn:aws:iam::111122223333:role/deploy"
IP = "198.51.100.9"


def _flood(count: int, rules: int = 5, users: list[str] | None = None) -> list[dict[str, Any]]:
    """``count`` alerts of one actor, a minute apart, each on its own event, ``rules`` rules in turn."""
    start = NOW - timedelta(hours=5)
    return [
        alert(
            f"a-{n:04d}",
            f"rule-{n % rules}",
            "medium",
            50,
            (start + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            [f"event-{n}"],
            users or [KEY],
        )
        for n in range(count)
    ]


def test_a_flood_keeps_the_count_exact_and_lists_the_first_and_latest_ids() -> None:
    incident = new_incident("i-1", f"principal:{KEY}", NOW, NOW)
    flood = _flood(250)
    for item in flood:
        assert add_alert(incident, item, NOW)
    details = incident["incident"]
    ids = [item["alert"]["id"] for item in flood]
    assert details["alert_count"] == 250 and details["alert_ids_truncated"] is True
    assert details["alert_ids"] == ids[:FIRST_ALERT_IDS] + ids[250 - (MAX_ALERT_IDS - FIRST_ALERT_IDS) :]
    # 50 lines of distinct events, then each alert joins its rule's latest line.
    assert len(details["lines"]) == MAX_LINES
    assert sum(line["alert_count"] for line in details["lines"]) == 250
    assert all(len(line["alert_ids"]) <= MAX_ALERT_IDS for line in details["lines"])
    assert len(json.dumps(incident)) < 100_000  # 250 alerts; 25,000 would be no larger
    # Every reader says 250, not the 100 listed.
    assert "Alerts: 250 on 50 lines" in incident_text(incident)
    detail = eventbus.incident_event(incident, "new").detail
    assert detail["alert_count"] == 250 and detail["alert_ids_truncated"] is True
    assert detail["alert_ids"] == ids[:FIRST_ALERT_IDS] + ids[250 - 40 :]  # 50 listed: first and latest


def test_a_small_incident_lists_every_alert_and_is_not_truncated() -> None:
    incident = new_incident("i-1", f"principal:{KEY}", NOW, NOW)
    for item in _flood(3):
        add_alert(incident, item, NOW)
    details = incident["incident"]
    assert (details["alert_ids"], details["alert_count"], details["alert_ids_truncated"]) == (
        ["a-0000", "a-0001", "a-0002"],
        3,
        False,
    )
    detail = eventbus.incident_event(incident, "new").detail
    assert detail["alert_ids_truncated"] is False


@pytest.mark.integration
def test_an_alert_folded_again_past_the_listed_ids_is_not_counted_twice(siem: OpenSearch) -> None:
    flood = _flood(150)
    (change,) = fold_alerts(siem, INDEX, flood, NOW)
    identifier = change.incident["incident"]["id"]
    unlisted = flood[50]
    assert unlisted["alert"]["id"] not in change.incident["incident"]["alert_ids"]
    # A pending alert comes back with the incident the runner recorded on it.
    unlisted["alert"]["incident_id"] = identifier
    listed = flood[-1]  # the latest are listed: no record needed
    (again,) = fold_alerts(siem, INDEX, [unlisted, listed], NOW + timedelta(minutes=5))
    assert again.change == "unchanged" and again.alert_ids == (unlisted["alert"]["id"], listed["alert"]["id"])
    stored = get_incident(siem, INDEX, identifier)
    assert stored is not None and stored["incident"]["alert_count"] == 150


def _linked(siem: OpenSearch) -> tuple[str, str, dict[str, Any]]:
    """Two incidents, one per actor (the first older), and an alert on both actors."""
    older = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [KEY])
    newer = alert("a-2", "r2", "medium", 50, "2026-03-14T09:30:00Z", ["e2"], ips=[IP])
    first, second = (fold_alerts(siem, INDEX, [item], NOW)[0] for item in (older, newer))
    assert first.change == second.change == "new"
    bridge = alert("a-3", "r3", "critical", 95, "2026-03-14T10:00:00Z", ["e3"], [KEY], ips=[IP])
    return first.incident["incident"]["id"], second.incident["incident"]["id"], bridge


@pytest.mark.integration
def test_an_alert_linking_two_incidents_merges_the_newer_into_the_older_once(siem: OpenSearch) -> None:
    older_id, newer_id, bridge = _linked(siem)

    (change,) = fold_alerts(siem, INDEX, [bridge], NOW)
    survivor = change.incident["incident"]
    assert survivor["id"] == older_id and change.change == "escalated"
    assert (survivor["alert_count"], sorted(survivor["alert_ids"])) == (3, ["a-1", "a-2", "a-3"])
    assert survivor["merged_from"] == [newer_id] and survivor["severity"] == "critical"
    assert sorted(survivor["rule_ids"]) == ["r1", "r2", "r3"] and f"ip:{IP}" in survivor["keys"]
    assert IP in change.incident["related"]["ip"]
    merged = get_incident(siem, INDEX, newer_id)
    assert merged is not None
    assert (merged["incident"]["status"], merged["incident"]["merged_into"]) == ("merged", older_id)
    assert "Merged from: " + newer_id in incident_text(change.incident)

    # The same alert again (a retried run), or a later one on the merged incident's actor alone:
    # the survivor takes it, nothing is counted twice and the merged incident stays closed.
    (again,) = fold_alerts(siem, INDEX, [bridge], NOW + timedelta(minutes=5))
    assert again.change == "unchanged" and again.incident["incident"]["alert_count"] == 3
    later = alert("a-4", "r2", "medium", 50, "2026-03-14T10:30:00Z", ["e4"], ips=[IP])
    (joined,) = fold_alerts(siem, INDEX, [later], NOW + timedelta(minutes=10))
    assert joined.incident["incident"]["id"] == older_id and joined.incident["incident"]["alert_count"] == 4
    stored = get_incident(siem, INDEX, newer_id)
    assert stored is not None and stored["incident"]["alert_count"] == 1


@pytest.mark.integration
def test_an_alert_whose_own_incident_was_merged_goes_to_the_survivor(siem: OpenSearch) -> None:
    # The older incident's actors are full (MAX_KEYS): the merge cannot add the newer's address,
    # so a later alert on that address alone joins no open incident; the id it would open is the
    # merged incident's, and the survivor that ``merged_into`` names must take it.
    crowd = [KEY, *(f"arn:aws:iam::111122223333:role/r{n}" for n in range(MAX_KEYS - 1))]
    older = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], crowd)
    newer = alert("a-2", "r2", "medium", 50, "2026-03-14T09:30:00Z", ["e2"], ips=[IP])
    older_id, newer_id = (
        fold_alerts(siem, INDEX, [item], NOW)[0].incident["incident"]["id"] for item in (older, newer)
    )
    bridge = alert("a-3", "r3", "high", 75, "2026-03-14T10:00:00Z", ["e3"], [KEY], ips=[IP])
    (merged,) = fold_alerts(siem, INDEX, [bridge], NOW)
    assert (
        merged.incident["incident"]["id"] == older_id
        and f"ip:{IP}" not in merged.incident["incident"]["keys"]
    )

    later = alert("a-4", "r2", "medium", 50, "2026-03-14T10:30:00Z", ["e4"], ips=[IP])
    (joined,) = fold_alerts(siem, INDEX, [later], NOW + timedelta(minutes=5))
    assert joined.incident["incident"]["id"] == older_id and joined.change == "updated"
    assert (
        joined.incident["incident"]["alert_count"] == 4 and "a-4" in joined.incident["incident"]["alert_ids"]
    )
    survivor, closed = get_incident(siem, INDEX, older_id), get_incident(siem, INDEX, newer_id)
    assert survivor is not None and survivor["incident"]["alert_count"] == 4
    assert closed is not None and closed["incident"]["status"] == "merged"
    assert closed["incident"]["alert_ids"] == ["a-2"]  # the closed incident took nothing more
    # Folded again (a retried run): counted once.
    (again,) = fold_alerts(siem, INDEX, [later], NOW + timedelta(minutes=10))
    assert again.change == "unchanged" and again.incident["incident"]["alert_count"] == 4


def _chain(start: datetime, hops: int) -> list[dict[str, Any]]:
    """The incident an alert on ``IP`` opens in the span from ``start``, merged ``hops`` times
    along a chain (each closed one pointing at the next); the last, open, holds one alert."""
    chain = [new_incident(incident_id(f"ip:{IP}", start), f"ip:{IP}", start, NOW)]
    chain += [new_incident(f"incident-hop-{n}", f"principal:{KEY}", start, NOW) for n in range(hops)]
    for merged, survivor in pairwise(chain):
        merged["incident"].update(status="merged", merged_into=survivor["incident"]["id"])
    add_alert(chain[-1], alert("a-0", "r0", "high", 75, "2026-03-14T09:00:00Z", ["e0"], [KEY]), NOW)
    return chain


@pytest.mark.integration
def test_past_the_merge_pointers_looked_up_an_alert_opens_a_new_incident_not_a_merged_one(
    siem: OpenSearch,
) -> None:
    # The id the alert would open was merged along a chain longer than MAX_MERGE_HOPS: no open
    # incident is known to take it, so it opens its own (a closed incident takes nothing).
    start = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
    chain = _chain(start, MAX_MERGE_HOPS + 1)
    write_incidents(siem, INDEX, chain)

    later = alert("a-1", "r1", "medium", 50, "2026-03-14T10:30:00Z", ["e1"], ips=[IP])
    (opened,) = fold_alerts(siem, INDEX, [later], NOW)
    assert opened.change == "new" and opened.incident["incident"]["status"] == "open"
    assert opened.incident["incident"]["id"] not in {incident["incident"]["id"] for incident in chain}
    assert opened.incident["incident"]["alert_ids"] == ["a-1"]
    closed = get_incident(siem, INDEX, chain[0]["incident"]["id"])
    assert closed is not None and closed["incident"]["alert_ids"] == []


@pytest.mark.integration
def test_a_run_that_died_between_the_merge_s_two_writes_is_finished_once(siem: OpenSearch) -> None:
    older_id, newer_id, bridge = _linked(siem)
    older, newer = get_incident(siem, INDEX, older_id), get_incident(siem, INDEX, newer_id)
    assert older is not None and newer is not None
    merge_incident(older, newer, NOW)
    add_alert(older, bridge, NOW)
    write_incidents(siem, INDEX, [older])  # the survivor went; the run died before the merged one

    (change,) = fold_alerts(siem, INDEX, [bridge], NOW + timedelta(minutes=5))
    assert change.incident["incident"]["id"] == older_id and change.incident["incident"]["alert_count"] == 3
    closed = get_incident(siem, INDEX, newer_id)
    assert closed is not None and closed["incident"]["status"] == "merged"


class Killed(Exception):
    """The process dying: nothing after it runs."""


def _dies_writing(
    siem: OpenSearch,
    monkeypatch: pytest.MonkeyPatch,
    alerts: list[dict[str, Any]],
    fatal: Callable[[Any], bool],
) -> None:
    """Fold ``alerts``; the process dies at the first write of incidents one of which is ``fatal``."""
    write = incident_store.write_incidents

    def dies(client: OpenSearch, index: str, incidents: Any, lease: Any = None) -> None:
        if any(fatal(incident) for incident in incidents):
            raise Killed
        write(client, index, incidents, lease)

    monkeypatch.setattr(incident_store, "write_incidents", dies)
    with pytest.raises(Killed):
        fold_alerts(siem, INDEX, alerts, NOW)
    monkeypatch.undo()


@pytest.mark.integration
def test_the_next_run_finishes_a_merge_the_process_died_in_without_counting_twice(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    older_id, newer_id, bridge = _linked(siem)
    _dies_writing(siem, monkeypatch, [bridge], lambda incident: incident["incident"]["status"] == "merged")
    # Half-written: the survivor holds the three alerts and lists the newer, still open.
    survivor = get_incident(siem, INDEX, older_id)
    left_open = get_incident(siem, INDEX, newer_id)
    assert survivor is not None and left_open is not None
    assert survivor["incident"]["merged_from"] == [newer_id] and survivor["incident"]["alert_count"] == 3
    assert left_open["incident"]["status"] == "open"

    # The monitor runner's next run: no new alert, no hand-off (no pending alert folded again).
    report = run(siem, siem, [], NOW + timedelta(minutes=5), MemoryCheckpoints())
    assert report.incidents == [] and report.incident_error is None
    closed = get_incident(siem, INDEX, newer_id)
    assert closed is not None
    assert (closed["incident"]["status"], closed["incident"]["merged_into"]) == ("merged", older_id)
    assert closed["incident"]["alert_count"] == 1  # its own, as it was: nothing moved twice
    assert get_incident(siem, INDEX, older_id) == survivor  # nothing added to the survivor
    assert sorted(survivor["incident"]["alert_ids"]) == ["a-1", "a-2", "a-3"]

    # Another run changes nothing; the bridge folded again (a retried run) is in the survivor.
    run(siem, siem, [], NOW + timedelta(minutes=10), MemoryCheckpoints())
    assert get_incident(siem, INDEX, newer_id) == closed
    (again,) = fold_alerts(siem, INDEX, [bridge], NOW + timedelta(minutes=15))
    assert (again.incident["incident"]["id"], again.change) == (older_id, "unchanged")
    assert again.incident["incident"]["alert_count"] == 3
    assert again.incident["incident"]["merged_from"] == [newer_id]


@pytest.mark.integration
def test_incidents_show_says_what_was_merged_and_where(
    siem: OpenSearch, engine_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    older_id, newer_id, bridge = _linked(siem)
    fold_alerts(siem, INDEX, [bridge], NOW)
    options = ["--endpoint", engine_url, "--auth", "none", "--index", INDEX]
    assert main(["incidents", "show", newer_id, *options]) == 0
    assert f"Merged into: {older_id}" in capsys.readouterr().out
    assert main(["incidents", "show", older_id, *options]) == 0
    shown = capsys.readouterr().out
    assert f"Merged from: {newer_id}" in shown and "Lines (3, from 3 alerts):" in shown


def test_a_line_with_ids_left_out_shows_how_many() -> None:
    line = {"alert_ids": [f"a-{n}" for n in range(MAX_ALERT_IDS)], "alert_count": 130}
    text = _listed(line)
    assert text.startswith("a-0, ") and ", ... 30 more ..., a-10, " in text and text.endswith(", a-99")
    assert _listed({"alert_ids": ["a-1", "a-2"]}) == "a-1, a-2"  # a document from before the count


class SearchLag:
    """Serverless makes a write searchable 10-60 s after it (a get by id is real time): this
    client's searches still see the version of each incident in ``stale`` (``None``: none, not
    searchable yet), as between a write and the index's refresh. The query is matched against
    the current version: the tests choose incidents both versions match, or hide them."""

    def __init__(self, client: OpenSearch, stale: dict[str, dict[str, Any] | None]) -> None:
        self._client, self.stale = client, stale

    def search(self, **kwargs: Any) -> Any:
        response = self._client.search(**kwargs)
        hits = []
        for hit in response["hits"]["hits"]:
            if hit["_id"] not in self.stale:
                hits.append(hit)
            elif (earlier := self.stale[hit["_id"]]) is not None:
                hits.append({**hit, "_source": earlier})
        return {**response, "hits": {**response["hits"], "hits": hits}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _lagging(siem: OpenSearch, stale: dict[str, dict[str, Any] | None]) -> OpenSearch:
    return cast(OpenSearch, SearchLag(siem, stale))


@pytest.mark.integration
def test_an_incident_a_search_shows_as_it_was_is_folded_into_as_it_is(siem: OpenSearch) -> None:
    first = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [KEY], ips=[IP])
    (opened,) = fold_alerts(siem, INDEX, [first], NOW)
    identifier = opened.incident["incident"]["id"]
    searched = get_incident(siem, INDEX, identifier)
    second = alert("a-2", "r2", "high", 75, "2026-03-14T09:30:00Z", ["e2"], [KEY])
    fold_alerts(siem, INDEX, [second], NOW + timedelta(minutes=1))

    # Before that write is searchable, an alert on the address alone (found by a search only).
    lagging = _lagging(siem, {identifier: searched})
    third = alert("a-3", "r3", "high", 75, "2026-03-14T10:00:00Z", ["e3"], ips=[IP])
    (joined,) = fold_alerts(lagging, INDEX, [third], NOW + timedelta(minutes=2))
    assert joined.incident["incident"]["id"] == identifier
    stored = get_incident(siem, INDEX, identifier)
    assert stored is not None and stored["incident"]["alert_ids"] == ["a-1", "a-2", "a-3"]
    assert stored["incident"]["alert_count"] == 3


@pytest.mark.integration
def test_an_alert_whose_own_incident_was_merged_along_a_long_chain_goes_to_its_open_end(
    siem: OpenSearch,
) -> None:
    start = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
    chain = _chain(start, 8)  # eight merges, each into an older incident
    write_incidents(siem, INDEX, chain)
    end_id = chain[-1]["incident"]["id"]

    later = alert("a-1", "r1", "medium", 50, "2026-03-14T10:30:00Z", ["e1"], ips=[IP])
    (joined,) = fold_alerts(siem, INDEX, [later], NOW)
    assert (joined.incident["incident"]["id"], joined.change) == (end_id, "updated")
    stored = get_incident(siem, INDEX, end_id)
    assert stored is not None and sorted(stored["incident"]["alert_ids"]) == ["a-0", "a-1"]
    assert stored["incident"]["alert_count"] == 2
    for merged in chain[:-1]:  # the closed ones took nothing
        closed = get_incident(siem, INDEX, merged["incident"]["id"])
        assert closed is not None and closed["incident"]["alert_count"] == 0
    (again,) = fold_alerts(siem, INDEX, [later], NOW + timedelta(minutes=5))
    assert again.change == "unchanged" and again.incident["incident"]["alert_count"] == 2


@pytest.mark.integration
def test_the_incident_opened_past_an_unfollowed_chain_is_found_again_before_it_is_searchable(
    siem: OpenSearch,
) -> None:
    # Past MAX_MERGE_HOPS pointers the open end is not looked up: the alert opens its own
    # incident. A second fold, before that incident is searchable, must find it by id and add
    # to it, never rebuild it under the same id without the first alert.
    start = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
    chain = _chain(start, MAX_MERGE_HOPS + 1)
    write_incidents(siem, INDEX, chain)
    first = alert("a-1", "r1", "medium", 50, "2026-03-14T10:30:00Z", ["e1"], ips=[IP])
    (opened,) = fold_alerts(siem, INDEX, [first], NOW)
    opened_id = opened.incident["incident"]["id"]
    assert opened.change == "new" and opened_id not in {i["incident"]["id"] for i in chain}

    lagging = _lagging(siem, {opened_id: None})
    second = alert("a-2", "r2", "medium", 50, "2026-03-14T10:40:00Z", ["e2"], ips=[IP])
    (joined,) = fold_alerts(lagging, INDEX, [second], NOW + timedelta(minutes=1))
    assert (joined.incident["incident"]["id"], joined.change) == (opened_id, "updated")
    (again,) = fold_alerts(lagging, INDEX, [first, second], NOW + timedelta(minutes=2))
    assert again.change == "unchanged"
    stored = get_incident(siem, INDEX, opened_id)
    assert stored is not None and stored["incident"]["alert_ids"] == ["a-1", "a-2"]
    assert stored["incident"]["alert_count"] == 2
    end = get_incident(siem, INDEX, chain[-1]["incident"]["id"])
    assert end is not None and end["incident"]["alert_ids"] == ["a-0"]


@pytest.mark.integration
def test_an_alert_between_a_crashed_merge_and_the_next_fold_goes_to_the_survivor(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    older_id, newer_id, bridge = _linked(siem)
    _dies_writing(siem, monkeypatch, [bridge], lambda incident: incident["incident"]["status"] == "merged")

    # The next fold runs before the survivor's write is searchable: its search for the merges
    # to finish misses it, and an alert on the newer incident's actor alone arrives.
    lagging = _lagging(siem, {older_id: None})
    later = alert("a-4", "r2", "medium", 50, "2026-03-14T10:30:00Z", ["e4"], ips=[IP])
    (change,) = fold_alerts(lagging, INDEX, [later], NOW + timedelta(minutes=1))
    assert change.incident["incident"]["id"] == older_id
    assert change.incident["incident"]["alert_count"] == 4

    fold_alerts(siem, INDEX, [], NOW + timedelta(minutes=5))  # searchable now: nothing left to do
    survivor, closed = get_incident(siem, INDEX, older_id), get_incident(siem, INDEX, newer_id)
    assert survivor is not None and closed is not None
    assert survivor["incident"]["alert_count"] == 4
    assert sorted(survivor["incident"]["alert_ids"]) == ["a-1", "a-2", "a-3", "a-4"]
    assert (closed["incident"]["status"], closed["incident"]["merged_into"]) == ("merged", older_id)
    assert closed["incident"]["alert_ids"] == ["a-2"] and closed["incident"]["alert_count"] == 1


@pytest.mark.integration
def test_a_run_that_died_after_marking_the_merge_leaves_it_undone_and_the_rerun_makes_it(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    older_id, newer_id, bridge = _linked(siem)
    _dies_writing(siem, monkeypatch, [bridge], lambda incident: bool(incident["incident"].get("merged_from")))
    marked, untouched = get_incident(siem, INDEX, newer_id), get_incident(siem, INDEX, older_id)
    assert marked is not None and untouched is not None
    assert (marked["incident"]["status"], marked["incident"]["merging_into"]) == ("open", older_id)
    assert marked["incident"]["alert_ids"] == ["a-2"] and untouched["incident"]["alert_ids"] == ["a-1"]

    # The bridge folded again (the run is retried): the merge is made, each alert counted once.
    (change,) = fold_alerts(siem, INDEX, [bridge], NOW + timedelta(minutes=5))
    assert change.incident["incident"]["id"] == older_id
    survivor, closed = get_incident(siem, INDEX, older_id), get_incident(siem, INDEX, newer_id)
    assert survivor is not None and closed is not None
    assert survivor["incident"]["alert_count"] == 3 and survivor["incident"]["merged_from"] == [newer_id]
    assert (closed["incident"]["status"], closed["incident"]["merged_into"]) == ("merged", older_id)
    assert closed["incident"]["alert_count"] == 1 and "merging_into" not in closed["incident"]
