"""Silence rules through the runner over simulated days: an account's CloudTrail or flow logs
arriving every hour, then not; the state on the alerts (SEARCH) collection; one alert per
silence episode; late documents; the first run after a deployment; the cost of a run."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from demo.records import vpcflow
from detections.checkpoints import MemoryCheckpoints
from detections.exceptions import parse_exceptions
from detections.rules import Rule, parse_rule
from detections.runner import RunReport, RunSettings, run
from detections.silence import Entity, slot
from detections.windows import iso
from normalizers import DeadLetter, Origin, normalize_object
from tests.detections.conftest import T0, minutes, our_rule, trail

pytestmark = pytest.mark.integration
SETTINGS = RunSettings(lag=minutes(2), overlap=minutes(15), first_lookback=minutes(30))
CLOUDTRAIL = "siem-cloudtrail-account-silent"
FLOWS = "siem-vpcflow-account-silent"
HOUR = timedelta(hours=1)
DELIVERY = timedelta(minutes=10)
"""CloudTrail's usual delay: a record is logged this long before its object is ingested."""
REGULAR, BUSY, NIGHTLY, WEEKLY = "111122223333", "444455556666", "777788889999", "121212121212"
START = T0 - timedelta(days=8)
"""The simulated logs start 8 days before T0 (09:00): more than the rules' 7 days of history."""


def hours(start: datetime, end: datetime, skip: Iterable[datetime] = ()) -> list[datetime]:
    """A delivery at 20 past every hour from ``start`` to before ``end``, but ``skip``'s hours."""
    skipped = {slot(moment) for moment in skip}
    moments, moment = [], start + minutes(20)
    while moment < end:
        if slot(moment) not in skipped:
            moments.append(moment)
        moment += HOUR
    return moments


def cloudtrail_record(account: str, when: datetime) -> dict[str, Any]:
    """A routine call in ``account`` at ``when``."""
    caller = ct.role_session(account, "app", "i-0abc", "ASIAEXAMPLEAPP00001", "AROAEXAMPLEAPP00001")
    return ct.api_call(ct.assumed_role(caller), time=when, recipient_account=account)


def flow_lines(account: str, when: datetime) -> bytes:
    start = int(when.timestamp())
    return vpcflow.text_body([vpcflow.text_line(vpcflow.flow(account=account, start=start))])


def deliver(
    client: OpenSearch,
    source: str,
    schedule: Mapping[str, Sequence[datetime]],
    delay: timedelta = DELIVERY,
) -> None:
    """Each account's records, one object per delivery, stamped ``event.ingested`` at it and
    logged ``delay`` before it; one bulk."""
    body: list[dict[str, Any]] = []
    for account, moments in schedule.items():
        for moment in moments:
            logged = moment - delay
            raw = (
                trail([cloudtrail_record(account, logged)])
                if source == "cloudtrail"
                else flow_lines(account, logged)
            )
            origin = Origin(object=f"{source}/{account}/{iso(moment)}", ingested=iso(moment))
            for document in normalize_object(io.BytesIO(raw), origin, source):
                assert not isinstance(document, DeadLetter)
                body += [{"create": {"_index": f"siem-{source}"}}, document]
    if body:
        response = client.bulk(body=body)
        assert not response["errors"]


def run_every_hour(
    client: OpenSearch,
    rules: Sequence[Rule],
    start: datetime,
    end: datetime,
    store: MemoryCheckpoints,
    settings: RunSettings = SETTINGS,
) -> list[RunReport]:
    """The runner at 30 past every hour from ``start`` to before ``end`` (the same checkpoints)."""
    reports, moment = [], start + minutes(30)
    while moment < end:
        reports.append(run(client, client, list(rules), moment, store, None, settings))
        moment += HOUR
    return reports


def alerts_in(client: OpenSearch) -> list[dict[str, Any]]:
    response = client.search(
        index="siem-alerts", body={"size": 100, "query": {"match_all": {}}}, ignore_unavailable=True
    )
    return sorted((hit["_source"] for hit in response["hits"]["hits"]), key=lambda alert: alert["@timestamp"])


def created_at(reports: Sequence[RunReport]) -> list[int]:
    """The runs (by position) that created alerts."""
    return [number for number, report in enumerate(reports) if report.created]


def test_an_account_that_sent_every_hour_then_stops_alerts_once_after_three_hours(siem: OpenSearch) -> None:
    stop = T0  # its last delivery is at 08:20
    deliver(
        siem,
        "cloudtrail",
        {
            REGULAR: hours(START, stop),
            BUSY: hours(START, T0 + timedelta(hours=8)),
            # Nightly: nothing from 22:00 to 06:00 (not regular); weekly: one delivery a week.
            NIGHTLY: [moment for moment in hours(START, stop) if 6 <= moment.hour < 22],
            WEEKLY: [START + minutes(20), START + timedelta(days=7, minutes=20)],
        },
    )
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()

    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=8), store)

    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {"cloud.account.id": REGULAR}
    assert alert["alert"]["first_seen"] == iso(T0 - minutes(40))  # the last arrival
    assert alert["event"]["severity"] == 75
    assert alert["alert"]["summary"]["what"] == (
        f"no cloudtrail records from cloud.account.id {REGULAR} for 3h08m "
        "(last ingested 2026-03-14T08:20:00.000Z); it sent in every hour of the 7 days before"
    )
    # Its sample is the last record's account and times, not its actor: the caller of the last
    # call did not stop the logs, and naming them would fold the alert into their incidents.
    assert alert["cloud"]["account"]["id"] == REGULAR and alert["alert"]["accounts"] == [{"id": REGULAR}]
    assert "user" not in alert and alert["alert"]["summary"]["who"] == "unknown"
    # 11:30 - 2 min lag is the first run 3 hours after 08:20; later runs of the silence raise nothing.
    (number,) = created_at(reports)
    assert START + minutes(30) + number * HOUR == T0 + timedelta(hours=2, minutes=30)
    assert [report.outcomes[0].duplicates for report in reports[number + 1 :]] == [0] * 5


def test_an_account_that_resumes_and_stops_again_alerts_again(siem: OpenSearch) -> None:
    first_stop, resumed, second_stop = T0, T0 + timedelta(hours=5), T0 + timedelta(hours=10)
    deliver(siem, "cloudtrail", {REGULAR: hours(START, first_stop) + hours(resumed, second_stop)})
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()

    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=16), store)

    assert [alert["alert"]["first_seen"] for alert in alerts_in(siem)] == [
        iso(first_stop - minutes(40)),
        iso(second_stop - minutes(40)),
    ]
    assert len(created_at(reports)) == 2


def test_an_hour_without_records_makes_an_account_irregular_for_the_history(siem: OpenSearch) -> None:
    # One hour missing 3 days before: the account does not send every hour; 8 days later it would.
    gap = T0 - timedelta(days=3)
    deliver(siem, "cloudtrail", {REGULAR: hours(START, T0, skip=[gap + minutes(20)])})
    rule = our_rule(CLOUDTRAIL)

    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=6), MemoryCheckpoints())

    assert not alerts_in(siem) and not created_at(reports)


def test_the_first_runs_after_a_deployment_alert_nothing(siem: OpenSearch) -> None:
    # The logs hold 8 days of hourly deliveries, but the rule runs first at 09:30: it has seen
    # nothing of them, so it knows no account (it learns from its runs for 7 days).
    deliver(siem, "cloudtrail", {REGULAR: hours(START, T0)})
    rule = our_rule(CLOUDTRAIL)

    reports = run_every_hour(siem, [rule], T0, T0 + timedelta(hours=8), MemoryCheckpoints())

    assert not alerts_in(siem) and not created_at(reports)
    assert reports[-1].outcomes[0].error is None


def test_documents_arriving_late_end_the_silence(siem: OpenSearch) -> None:
    # The 09:20 object is stamped at 09:20 but becomes searchable only after
    # every window holding their stamps ran (a loader stuck past the overlap): the run that
    # would alert (11:30) finds it in the logs and does not; the next hours are arrivals again.
    deliver(siem, "cloudtrail", {REGULAR: hours(START, T0)})
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()
    before = run_every_hour(siem, [rule], START, T0 + timedelta(hours=2), store)
    deliver(siem, "cloudtrail", {REGULAR: [T0 + minutes(20)]})  # after the 09:30 and 10:30 runs
    # From 12:20 on, records logged 5 hours before their delivery (a backfill) arrive: arrivals.
    deliver(siem, "cloudtrail", {REGULAR: hours(T0 + timedelta(hours=3), T0 + timedelta(hours=8))}, HOUR * 5)

    after = run_every_hour(siem, [rule], T0 + timedelta(hours=2), T0 + timedelta(hours=8), store)

    assert not alerts_in(siem)
    assert not created_at(before) and not created_at(after)
    assert after[0].outcomes[0].searches == 2  # its window, and the latest document that ended it


def test_an_exception_added_keeps_what_was_learned(siem: OpenSearch) -> None:
    # Both accounts sent every hour and stop at 09:00; at 07:30 an exception for one of them is
    # deployed: it does not alert, and the other one still does (the state was not relearned).
    deliver(siem, "cloudtrail", {REGULAR: hours(START, T0), BUSY: hours(START, T0)})
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()
    excepted = parse_exceptions(
        {"exceptions": [{"rules": [rule.id], "accounts": [BUSY], "reason": "closing"}]}
    )

    before = run_every_hour(siem, [rule], START, T0 - timedelta(hours=2), store)
    after = run_every_hour(
        siem,
        [rule],
        T0 - timedelta(hours=2),
        T0 + timedelta(hours=6),
        store,
        replace(SETTINGS, exceptions=excepted),
    )

    assert [alert["alert"]["group_by"] for alert in alerts_in(siem)] == [{"cloud.account.id": REGULAR}]
    assert not created_at(before) and len(created_at(after)) == 1


def test_flow_logs_alert_after_six_hours_not_three(siem: OpenSearch) -> None:
    deliver(siem, "vpcflow", {REGULAR: hours(START, T0), BUSY: hours(START, T0 + timedelta(hours=8))})
    rule, store = our_rule(FLOWS), MemoryCheckpoints()

    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=8), store)

    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {"cloud.account.id": REGULAR}
    assert alert["event"]["severity"] == 50
    (number,) = created_at(reports)
    assert START + minutes(30) + number * HOUR == T0 + timedelta(hours=5, minutes=30)
    assert "with never 3 hours in a row missing of the 7 days before" in alert["alert"]["summary"]["what"]


def test_the_cost_of_a_run(siem: OpenSearch) -> None:
    # Two accounts sending every hour, one stops: a quiet run reads its window in one search
    # (a bucket per account and hour: 08:20-10:20 and 09:20-10:20 in its 75 minutes), an alerting one adds a search for the alert's sample.
    deliver(siem, "cloudtrail", {REGULAR: hours(START, T0), BUSY: hours(START, T0 + timedelta(hours=4))})
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()
    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=3), store)
    quiet, alerting = reports[-2].outcomes[0], reports[-1].outcomes[0]

    assert (quiet.searches, quiet.hits, quiet.buckets, quiet.created) == (1, 0, 2, 0)
    assert (alerting.searches, alerting.hits, alerting.buckets, alerting.created) == (2, 1, 2, 1)


def test_the_state_is_one_document_per_rule_on_the_alerts_collection(siem: OpenSearch) -> None:
    deliver(siem, "cloudtrail", {REGULAR: hours(START, T0), BUSY: hours(START, T0)})
    run_every_hour(siem, [our_rule(CLOUDTRAIL)], START, START + timedelta(hours=3), MemoryCheckpoints())

    hits = siem.search(index="siem-alerts-terms", body={"query": {"match_all": {}}})["hits"]["hits"]
    (state,) = [hit["_source"] for hit in hits]
    entities = {tuple(item["key"]): Entity.from_dict(item) for item in state["entities"].values()}
    regular = entities[(REGULAR,)]
    assert regular.last == START + timedelta(hours=2, minutes=20)
    assert (regular.since, regular.to, regular.hours) == (slot(START), slot(START) + 2, 0b111)


def test_an_entity_is_regular_only_when_known_for_the_whole_history() -> None:
    entity = Entity(("a",), START, slot(START), slot(START), 1)
    entity.arrived({slot(START) + hour: START + hour * HOUR for hour in range(1, 168)}, width=169)
    assert not entity.regular(168, 1)  # known for 167 hours
    entity.arrived({slot(START) + 168: START + 168 * HOUR}, width=169)
    assert entity.regular(168, 1)
    entity.arrived({slot(START) + 170: START + 170 * HOUR}, width=169)  # one hour missing
    assert not entity.regular(168, 1) and entity.regular(168, 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quiet": "90m"}, "whole hours, 2h to 1d"),
        ({"history": "36h"}, "whole days"),
        ({"group_by": ["principal"]}, "1 or 2 fields"),
        ({"suppression": "1h"}, "no suppression"),
    ],
)
def test_a_silence_rule_is_checked_when_it_loads(changes: dict[str, Any], message: str) -> None:
    data = {
        "id": "x-silent",
        "title": "x",
        "severity": "high",
        "index": "cloudtrail",
        "type": "silence",
        "group_by": ["cloud.account.id"],
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        parse_rule(data)
