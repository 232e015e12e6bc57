"""Incidents: alerts sharing an actor grouped once, twins folded into one line, one message per
incident opened or escalated; on the demo incident, against its ground truth (demo/truth.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo import Incident
from detections.checkpoints import MemoryCheckpoints
from detections.incidents import actor_keys, add_alert, fold_alerts, needs_notification, new_incident
from detections.notify import CollectingIncidentNotifier
from detections.rules import load_rules
from detections.runner import RunSettings, run
from siem_cli.main import main
from tests.detections.test_demo_incident import INGESTED
from tests.detections.test_demo_incident import incident as incident  # the fixture

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
ROOT = "arn:aws:iam::111122223333:root"


def alert(
    identifier: str,
    rule: str,
    severity: str,
    number: int,
    start: str,
    events: list[str],
    users: list[str] | None = None,
    ips: list[str] | None = None,
    ruleset: str = "siem",
) -> dict[str, Any]:
    """An alert document as detections/alerts.py writes it (only the fields incidents read)."""
    return {
        "rule": {"id": rule, "name": rule.title(), "ruleset": ruleset},
        "event": {"severity": number, "start": start, "end": start},
        "alert": {
            "id": identifier,
            "severity": severity,
            "dedup_key": f"event.id={events[0]}",
            "event_ids": events,
            "created": start,
            "summary": {"who": "root"},
        },
        "related": {"user": users or [], "ip": ips or []},
        "source": {"ip": (ips or [None])[0]},
        "cloud": {"account": {"id": "111122223333"}},
    }


def test_actors_are_principals_then_users_then_routable_addresses() -> None:
    document = alert(
        "a",
        "r",
        "high",
        75,
        "2026-03-14T09:00:00Z",
        ["e"],
        users=[
            "ci-deploy",
            "111122223333",
            "AKIAIOSFODNN7EXAMPLE",
            "arn:aws:iam::111122223333:user/ci-deploy",
        ],
        ips=["10.20.1.161", "203.0.113.124", "100.64.0.1", "fe80::1", "2001:db8::7"],
    )
    assert actor_keys(document) == [
        "principal:AKIAIOSFODNN7EXAMPLE",
        "principal:arn:aws:iam::111122223333:user/ci-deploy",
        "user:111122223333/ci-deploy",  # a name is only an actor within its account
        "ip:203.0.113.124",  # private, shared (CGNAT) and link-local addresses tie strangers together
        "ip:2001:db8::7",
    ]


def test_a_sigma_twin_on_the_same_event_folds_into_our_line_and_severity_escalates() -> None:
    incident = new_incident("i-1", f"principal:{ROOT}", NOW, NOW)
    sigma = alert(
        "s-1", "sigma-root-login", "medium", 50, "2026-03-14T10:04:40Z", ["ev-1"], [ROOT], ruleset="sigma"
    )
    ours = alert("o-1", "siem-root-account-usage", "high", 75, "2026-03-14T10:04:40Z", ["ev-1"], [ROOT])
    assert add_alert(incident, sigma, NOW) and add_alert(incident, ours, NOW)
    assert not add_alert(incident, ours, NOW)  # folding twice changes nothing

    (line,) = incident["incident"]["lines"]
    assert (line["rule_id"], line["folded"], line["alert_ids"]) == (
        "siem-root-account-usage",
        ["sigma-root-login"],
        ["s-1", "o-1"],  # in the order they were folded
    )
    assert incident["incident"]["severity"] == "high" and incident["event"]["severity"] == 75
    incident["incident"]["notified_severity"] = "high"
    assert not needs_notification(incident)
    later = alert("o-2", "siem-cloudtrail-stopped", "critical", 95, "2026-03-14T10:30:00Z", ["ev-2"], [ROOT])
    add_alert(incident, later, NOW)
    assert len(incident["incident"]["lines"]) == 2 and incident["incident"]["severity"] == "critical"
    assert needs_notification(incident)  # escalated past what was announced


@pytest.mark.integration
def test_alerts_far_apart_or_on_other_actors_open_separate_incidents(siem: OpenSearch) -> None:
    first = alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    near = alert("a-2", "r2", "high", 75, "2026-03-14T13:00:00Z", ["e2"], [ROOT])  # 4 h later
    far = alert("a-3", "r3", "high", 75, "2026-03-15T09:00:00Z", ["e3"], [ROOT])  # a day later
    stranger = alert("a-4", "r4", "high", 75, "2026-03-14T09:00:00Z", ["e4"], ips=["198.51.100.9"])

    changes = fold_alerts(siem, "siem-incidents", [first, stranger], NOW)
    assert [change.change for change in changes] == ["new", "new"]
    # A later run: the incident written by the first is found by id (no refresh needed).
    (joined,) = fold_alerts(siem, "siem-incidents", [near], NOW)
    assert (
        joined.change == "updated"
        and joined.incident["incident"]["id"] == changes[0].incident["incident"]["id"]
    )
    assert joined.incident["incident"]["alert_ids"] == ["a-1", "a-2"]
    (separate,) = fold_alerts(siem, "siem-incidents", [far], NOW)
    assert separate.change == "new"
    (again,) = fold_alerts(siem, "siem-incidents", [near], NOW)
    assert again.change == "unchanged" and again.incident["incident"]["alert_ids"] == ["a-1", "a-2"]


@pytest.mark.integration
def test_the_demo_incident_becomes_few_incidents_each_notified_once(
    siem: OpenSearch, incident: Incident, engine_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    notifier = CollectingIncidentNotifier()
    now = INGESTED + timedelta(minutes=5)
    settings = RunSettings(first_lookback=timedelta(hours=6))
    report = run(siem, siem, load_rules(), now, MemoryCheckpoints(), notifier, settings)
    assert not report.errors and not report.incident_error
    by_alert = {
        alert_id: change.incident
        for change in report.incidents
        for alert_id in change.incident["incident"]["alert_ids"]
    }
    assert set(by_alert) == {alert["alert"]["id"] for alert in report.alerts}

    # The root sign-in without MFA: our rule and its Sigma twin, one incident, one line.
    root_alerts = [
        a for a in report.alerts if incident.attacker_console_ip in a.get("related", {}).get("ip", [])
    ]
    assert {a["rule"]["ruleset"] for a in root_alerts} == {"siem", "sigma"}
    (root_incident,) = {by_alert[a["alert"]["id"]]["incident"]["id"] for a in root_alerts}
    root = next(c.incident for c in report.incidents if c.incident["incident"]["id"] == root_incident)
    (line,) = root["incident"]["lines"]
    assert line["rule_id"] == "siem-root-account-usage" and line["folded"]

    # Everything done with the stolen credentials, and the attacker's scan, is one incident.
    key = incident.final_session.access_key_id
    on_key = {
        by_alert[a["alert"]["id"]]["incident"]["id"]
        for a in report.alerts
        if key in a.get("related", {}).get("user", [])
    }
    scans = {
        by_alert[a["alert"]["id"]]["incident"]["id"]
        for a in report.alerts
        if a["rule"]["id"] == "siem-vpcflow-rejected-burst"
    }
    assert len(on_key) == 1 and scans == on_key
    (attack,) = (c.incident for c in report.incidents if c.incident["incident"]["id"] in on_key)
    assert attack["incident"]["severity"] == "critical"
    assert incident.attacker_ip in attack["related"]["ip"]

    # One message per incident, fewer incidents than alerts; a re-run adds nothing.
    assert sorted(sent["incident"]["id"] for sent in notifier.incidents) == sorted(
        change.incident["incident"]["id"] for change in report.incidents
    )
    assert len(report.incidents) < len(report.alerts)
    again = run(siem, siem, load_rules(), now + timedelta(minutes=5), MemoryCheckpoints(), notifier, settings)
    assert not again.alerts and again.notified == 0

    # siem incidents list / show
    url = engine_url
    assert main(["incidents", "list", "--endpoint", url, "--auth", "none"]) == 0
    listed = capsys.readouterr().out
    assert root_incident in listed and f"{len(report.incidents)} incidents" in listed
    assert main(["incidents", "show", root_incident, "--endpoint", url, "--auth", "none"]) == 0
    shown = capsys.readouterr().out
    assert "siem-root-account-usage (also: sigma-" in shown and "Lines (1, from 2 alerts)" in shown
    assert main(["incidents", "show", "incident-nope", "--endpoint", url, "--auth", "none"]) == 1
    assert "no incident 'incident-nope'" in capsys.readouterr().err


@pytest.mark.integration
def test_open_incidents_filter_and_sort_on_the_mapped_counts_and_merge_pointers(siem: OpenSearch) -> None:
    first = alert("m-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT])
    stranger = alert("m-2", "r2", "high", 75, "2026-03-14T09:05:00Z", ["e2"], ips=["198.51.100.9"])
    busy = alert("m-3", "r3", "high", 75, "2026-03-14T09:10:00Z", ["e3"], ips=["198.51.100.9"])
    fold_alerts(siem, "siem-incidents", [first, stranger, busy], NOW)
    # One alert holding both actors merges the younger incident into the older (root's).
    both = alert("m-4", "r4", "high", 75, "2026-03-14T09:20:00Z", ["e4"], [ROOT], ips=["198.51.100.9"])
    fold_alerts(siem, "siem-incidents", [both], NOW)

    def search(query: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"query": query, "sort": [{"incident.alert_count": "desc"}]}
        return [
            hit["_source"]["incident"]
            for hit in siem.search(index="siem-incidents", body=body)["hits"]["hits"]
        ]

    (survivor,) = search({"term": {"incident.status": "open"}})
    (merged,) = search({"term": {"incident.status": "merged"}})
    assert survivor["alert_count"] == 4 and survivor["merged_from"] == [merged["id"]]
    assert merged["merged_into"] == survivor["id"]
    assert search({"term": {"incident.merged_into": survivor["id"]}}) == [merged]
    assert search({"range": {"incident.alert_count": {"gte": 4}}}) == [survivor]
    assert search({"term": {"incident.alert_ids_truncated": False}}) == [survivor, merged]
