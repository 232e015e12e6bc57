"""Sliding thresholds through the runner, over several lagged, overlapping runs.

Records are built with the shared CloudTrail builders (AWS's record shapes) and go through
the real normalizer, the index templates and the Serverless guard. Runs every 5 minutes,
lag 2 minutes, overlap 15 minutes (the production settings, with a short first look-back).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections.checkpoints import MemoryCheckpoints
from detections.matching import Sources, find_matches
from detections.rules import Rule, parse_rule
from detections.runner import RunReport, RunSettings, run
from detections.windows import Window
from tests.detections.conftest import T0, index_raw, minutes, our_rule, trail

pytestmark = pytest.mark.integration
SETTINGS = RunSettings(lag=minutes(2), overlap=minutes(15), first_lookback=minutes(30))
MALLORY = ct.iam_user("111122223333", "mallory", "AIDAEXAMPLEMALLORY01", "AKIAEXAMPLEMALLORY01")


def deletions(start: datetime, count: int, every: timedelta, first_key: int = 0) -> list[dict[str, Any]]:
    """``count`` successful DeleteObject data events by mallory, one every ``every``."""
    return [
        ct.api_call(
            MALLORY,
            event_name="DeleteObject",
            event_source="s3.amazonaws.com",
            time=start + every * n,
            source_ip="203.0.113.124",
            read_only=False,
            request={"bucketName": "finance-exports", "key": f"q4/file-{first_key + n:04d}.xlsx"},
            category="Data",
        )
        for n in range(count)
    ]


def runs(client: OpenSearch, rule_ids: Sequence[str | Rule], times: Sequence[datetime]) -> list[RunReport]:
    rules = [our_rule(rule_id) if isinstance(rule_id, str) else rule_id for rule_id in rule_ids]
    store = MemoryCheckpoints()
    return [run(client, client, rules, now, store, None, SETTINGS) for now in times]


def stored_alerts(client: OpenSearch) -> list[dict[str, Any]]:
    response = client.search(index="siem-alerts", body={"size": 100, "query": {"match_all": {}}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_a_burst_straddling_two_runs_and_a_clock_bucket_alerts_once(siem: OpenSearch) -> None:
    # 12 deletions 08:58:00-08:59:50 reach the first run; 12 more 09:00:00-09:01:50 reach the
    # next. Epoch-aligned 10-minute buckets would count 12 and 12 (threshold 20): never.
    index_raw(
        siem, "cloudtrail", trail(deletions(T0 - minutes(2), 12, timedelta(seconds=10))), T0 + minutes(1)
    )
    first = runs(siem, ["siem-s3-object-deletion-burst"], [T0 + minutes(5)])
    assert first[0].created == 0
    late = deletions(T0, 12, timedelta(seconds=10), first_key=100)
    index_raw(siem, "cloudtrail", trail(late), T0 + minutes(6))

    later = runs(siem, ["siem-s3-object-deletion-burst"], [T0 + minutes(k) for k in (10, 15, 20)])

    assert [report.created for report in later] == [1, 0, 0]
    assert [report.outcomes[0].duplicates for report in later] == [0, 1, 1]
    (alert,) = stored_alerts(siem)
    # The first window reaching 20 ends at the 20th deletion (09:01:10) and holds all 20.
    assert alert["alert"]["count"] == 20
    assert alert["alert"]["first_seen"] == "2026-03-14T08:58:00.000Z"
    assert alert["alert"]["last_seen"] == "2026-03-14T09:01:10.000Z"
    assert alert["alert"]["group_by"] == {"principal": "arn:aws:iam::111122223333:user/mallory"}
    assert len(alert["alert"]["event_ids"]) == 20


def test_a_burst_that_goes_on_for_ninety_minutes_raises_one_alert(siem: OpenSearch) -> None:
    # Three deletions a minute (20 per 7 minutes) for 90 minutes, each 5 minutes' worth
    # delivered a minute after its end; one run every 5 minutes. Suppression is an hour, but
    # the burst never pauses for one: one episode.
    times = []
    for chunk in range(18):
        start = T0 + minutes(5 * chunk)
        index_raw(
            siem,
            "cloudtrail",
            trail(deletions(start, 15, timedelta(seconds=20), 15 * chunk)),
            start + minutes(6),
        )
        times.append(start + minutes(9))
    reports = runs(siem, ["siem-s3-object-deletion-burst"], times)
    assert sum(report.created for report in reports) == 1
    assert len(stored_alerts(siem)) == 1


def test_a_new_burst_after_a_quiet_hour_is_a_new_alert(siem: OpenSearch) -> None:
    index_raw(siem, "cloudtrail", trail(deletions(T0, 20, timedelta(seconds=5))), T0 + minutes(1))
    later = T0 + minutes(75)  # 75 minutes after, well over the 1-hour suppression
    index_raw(siem, "cloudtrail", trail(deletions(later, 20, timedelta(seconds=5), 100)), later + minutes(1))
    reports = runs(siem, ["siem-s3-object-deletion-burst"], [T0 + minutes(k) for k in range(5, 95, 5)])
    assert sum(report.created for report in reports) == 2


def test_each_run_sends_four_searches_for_one_burst(siem: OpenSearch) -> None:
    """Cost per run (docs/detections.md): groups touched, bounds, seconds, the alert's events."""
    index_raw(siem, "cloudtrail", trail(deletions(T0, 25, timedelta(seconds=2))), T0 + minutes(1))
    quiet = ct.api_call(
        MALLORY, event_name="GetObject", event_source="s3.amazonaws.com", time=T0, category="Data"
    )
    index_raw(siem, "cloudtrail", trail([quiet]), T0 + minutes(1))

    (plain,) = runs(siem, [per_caller_arn("siem-s3-object-deletion-burst")], [T0 + minutes(5)])

    outcome = plain.outcomes[0]
    assert (outcome.searches, outcome.created) == (4, 1)
    assert outcome.buckets == 1 + 1 + 25  # 1 group, 1 ten-minute bucket, 25 seconds with events
    assert outcome.hits == 20  # the alert's events: the first window reaching 20, read back
    # Grouped by principal: the same searches and buckets (one bucket per session; here one).
    (principal,) = runs(siem, ["siem-s3-object-deletion-burst"], [T0 + minutes(5)])
    outcome = principal.outcomes[0]
    assert (outcome.searches, outcome.created, outcome.buckets, outcome.hits) == (4, 1, 27, 20)


def test_a_group_far_under_the_threshold_is_done_after_two_searches(siem: OpenSearch) -> None:
    index_raw(siem, "cloudtrail", trail(deletions(T0, 5, timedelta(seconds=2))), T0 + minutes(1))
    (report,) = runs(siem, [per_caller_arn("siem-s3-object-deletion-burst")], [T0 + minutes(5)])
    assert (report.outcomes[0].searches, report.outcomes[0].hits) == (2, 0)
    (report,) = runs(siem, ["siem-s3-object-deletion-burst"], [T0 + minutes(5)])
    assert (report.outcomes[0].searches, report.outcomes[0].hits) == (2, 0)  # by principal too


def per_caller_arn(rule_id: str) -> Rule:
    """The rule grouped by the caller's ARN, as it was."""
    rule = our_rule(rule_id)
    field = ("aws.cloudtrail.user_identity.arn",)
    return dataclasses.replace(rule, group_by=field, dedup_key=field)


def test_suppression_shorter_than_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="suppression must be at least its window"):
        parse_rule(
            {
                "id": "short-suppression",
                "title": "t",
                "severity": "low",
                "index": "cloudtrail",
                "query": "event.action:DeleteObject",
                "type": "threshold",
                "group_by": ["aws.cloudtrail.user_identity.arn"],
                "threshold": 5,
                "window": "1h",
                "suppression": "10m",
            }
        )


def test_one_index_named_as_a_string_serves_every_source(siem: OpenSearch) -> None:
    index_raw(siem, "cloudtrail", trail(deletions(T0, 25, timedelta(seconds=2))), T0 + minutes(1))
    rule, window = our_rule("siem-s3-object-deletion-burst"), Window(T0, T0 + minutes(3))
    by_name = find_matches(siem, rule, "siem-cloudtrail", window)
    by_prefix = find_matches(siem, rule, Sources(), window)
    assert [(m.key, m.bucket, m.count) for m in by_name.matches] == [
        (m.key, m.bucket, m.count) for m in by_prefix.matches
    ]
    assert len(by_name.matches) == 1


def parameter_reads(start: datetime, requests: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """mallory's SSM reads with decryption from a laptop, one a second (AWS's request shapes)."""
    return [
        ct.api_call(
            MALLORY,
            event_name=name,
            event_source="ssm.amazonaws.com",
            time=start + timedelta(seconds=n),
            source_ip="203.0.113.124",
            request={**request, "withDecryption": True},
        )
        for n, (name, request) in enumerate(requests)
    ]


def test_pooled_distinct_fields_count_every_name_an_event_carries(siem: OpenSearch) -> None:
    """GetParameters names up to ten parameters in one event and GetParameter one: the SSM rule
    pools ``name``, ``names`` and ``path``, so one event can bring ten values (no event-count
    bound may drop it) and a name read twice counts once."""
    batch = [f"/prod/app/secret-{n}" for n in range(8)]
    reads = parameter_reads(
        T0,
        [
            ("GetParameters", {"names": batch}),
            ("GetParameter", {"name": batch[0]}),  # read again: still 8
            ("GetParameter", {"name": "/prod/app/secret-8"}),
            ("GetParametersByPath", {"path": "/prod/other/", "recursive": True}),
        ],
    )
    index_raw(siem, "cloudtrail", trail(reads), T0 + minutes(1))
    rule, window = our_rule("siem-ssm-securestring-decrypted-outside-compute"), Window(T0, T0 + minutes(3))
    (match,) = find_matches(siem, rule, Sources(), window).matches
    assert match.count == 10 and len(match.event_ids) == 4

    later = T0 + timedelta(hours=3)
    index_raw(siem, "cloudtrail", trail(parameter_reads(later, [("GetParameters", {"names": batch})])), later)
    index_raw(siem, "cloudtrail", trail(parameter_reads(later, [("GetParameter", {"name": "/x"})])), later)
    assert not find_matches(siem, rule, Sources(), Window(later, later + minutes(3))).matches  # 9 names
