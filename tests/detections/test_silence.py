"""Silence rules through the runner over simulated days: an account's CloudTrail or flow logs
arriving every hour, then not; the state on the alerts (SEARCH) collection; one alert per
silence episode; late documents; the first run after a deployment; the cost of a run; many
accounts silent at once (a wide silence: one alert, one incident) and what follows it."""

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
from detections.notify import CollectingIncidentNotifier
from detections.rules import Rule, parse_rule
from detections.runner import RuleOutcome, RunReport, RunSettings, run
from detections.silence import WIDE, Entity, slot
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
FLEET = [f"2000000000{number:02d}" for number in range(12)]
"""Twelve regular accounts: enough for a whole-pipeline outage, a partial one and the rest."""


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
    notifier: CollectingIncidentNotifier | None = None,
) -> list[RunReport]:
    """The runner at 30 past every hour from ``start`` to before ``end`` (the same checkpoints)."""
    reports, moment = [], start + minutes(30)
    while moment < end:
        reports.append(run(client, client, list(rules), moment, store, notifier, settings))
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

    assert cost_of(quiet) == (1, 0, 2, 0)
    assert cost_of(alerting) == (2, 1, 2, 1)


def cost_of(outcome: RuleOutcome) -> tuple[int, int, int, int]:
    """A run's searches, events read, buckets read and alerts created."""
    return (outcome.searches, outcome.hits, outcome.buckets, outcome.created)


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


def run_at(number: int) -> datetime:
    """When the run at position ``number`` of :func:`run_every_hour` from START ran."""
    return START + minutes(30) + number * HOUR


def test_a_whole_pipeline_outage_raises_one_alert_and_one_incident(siem: OpenSearch) -> None:
    # Every account's CloudTrail stops at 09:00 (the last deliveries at 08:20): our delivery,
    # not 12 intrusions. One alert names them all, one incident, one page.
    deliver(siem, "cloudtrail", {account: hours(START, T0) for account in FLEET})
    rule, store, notifier = our_rule(CLOUDTRAIL), MemoryCheckpoints(), CollectingIncidentNotifier()

    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=8), store, notifier=notifier)

    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {"cloud.account.id": "*"}
    assert alert["event"]["severity"] == 75 and alert["alert"]["count"] == 12
    assert alert["alert"]["first_seen"] == iso(T0 - minutes(40))
    assert alert["alert"]["silent"] == [
        {"key": {"cloud.account.id": account}, "last": "2026-03-14T08:20:00.000Z"} for account in FLEET
    ]
    assert alert["alert"]["summary"]["who"] == (
        "delivery, not 12 separate silences: 12 of 12 regular accounts silent at once "
        "(200000000000; 200000000001; 200000000002 and 9 more)"
    )
    assert alert["alert"]["summary"]["what"] == (
        "no cloudtrail records from 12 of 12 regular accounts at once (last ingested "
        "2026-03-14T08:20:00.000Z to 2026-03-14T08:20:00.000Z): our delivery or the organization "
        "trail stopped, not 12 intrusions; " + "; ".join(FLEET)
    )
    # No one account's alert: organization-wide, no account attributes on its page.
    assert "accounts" not in alert["alert"] and alert["cloud"] == {"provider": "aws"}
    (number,) = created_at(reports)
    assert run_at(number) == T0 + timedelta(hours=2, minutes=30)
    (incident,) = notifier.incidents
    assert incident["incident"]["alert_count"] == 1
    assert incident["incident"]["key"] == f'rule:{CLOUDTRAIL}|cloud.account.id="*"'
    assert incident["incident"]["lines"][0]["who"] == alert["alert"]["summary"]["who"]


def test_one_account_silent_among_many_still_alerts_on_its_own(siem: OpenSearch) -> None:
    deliver(
        siem,
        "cloudtrail",
        {
            account: hours(START, T0 if account == REGULAR else T0 + timedelta(hours=8))
            for account in [*FLEET, REGULAR]
        },
    )
    rule = our_rule(CLOUDTRAIL)

    run_every_hour(siem, [rule], START, T0 + timedelta(hours=8), MemoryCheckpoints())

    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {"cloud.account.id": REGULAR}
    assert alert["event"]["severity"] == 75 and alert["alert"]["summary"]["who"] == "unknown"


@pytest.mark.parametrize("stopped", [WIDE - 1, WIDE])
def test_a_partial_outage_is_wide_from_five_accounts(siem: OpenSearch, stopped: int) -> None:
    # A region's or an OU's accounts stop together, the others go on: 4 alert each, 5 as one.
    silent, sending = FLEET[:stopped], FLEET[stopped:]
    deliver(
        siem,
        "cloudtrail",
        {account: hours(START, T0 if account in silent else T0 + timedelta(hours=8)) for account in FLEET},
    )

    run_every_hour(siem, [our_rule(CLOUDTRAIL)], START, T0 + timedelta(hours=8), MemoryCheckpoints())

    alerts = alerts_in(siem)
    if stopped < WIDE:
        assert sorted(alert["alert"]["group_by"]["cloud.account.id"] for alert in alerts) == silent
    else:
        (alert,) = alerts
        assert alert["alert"]["group_by"] == {"cloud.account.id": "*"}
        assert [item["key"]["cloud.account.id"] for item in alert["alert"]["silent"]] == silent
        assert alert["alert"]["summary"]["who"].startswith(
            f"delivery, not 5 separate silences: 5 of {len(FLEET)} "
        )
    assert not set(sending) & {
        item["key"]["cloud.account.id"] for alert in alerts for item in alert["alert"].get("silent", [])
    }


@pytest.mark.parametrize(
    "stopped, hole, alerted",
    [(WIDE - 1, 2, True), (WIDE, 2, True), (WIDE, 3, False)],
)
def test_a_flow_logs_outage_is_wide_from_five_accounts_with_the_flow_rules_gap(
    siem: OpenSearch, stopped: int, hole: int, alerted: bool
) -> None:
    # The flow rule's gap is 3 hours (quiet 6h): the day before, the whole fleet's flow logs
    # miss ``hole`` hours. 2 (shorter than the gap) raise nothing and every account stays
    # regular; 3 make them all irregular for the history. Then ``stopped`` accounts stop at
    # 09:00 (the last deliveries at 08:20), the others go on: 4 alert each, 5 as one, at the
    # first run 6 hours after 08:20 (14:30); after a 3-hour hole, none.
    outage = [T0 - timedelta(hours=30) + number * HOUR for number in range(hole)]
    silent, sending = FLEET[:stopped], FLEET[stopped:]
    deliver(
        siem,
        "vpcflow",
        {
            account: hours(START, T0 if account in silent else T0 + timedelta(hours=8), skip=outage)
            for account in FLEET
        },
    )

    reports = run_every_hour(siem, [our_rule(FLOWS)], START, T0 + timedelta(hours=8), MemoryCheckpoints())

    alerts = alerts_in(siem)
    if not alerted:
        assert not alerts and not created_at(reports)
        return
    assert [run_at(number) for number in created_at(reports)] == [T0 + timedelta(hours=5, minutes=30)]
    assert all(alert["rule"]["id"] == FLOWS for alert in alerts)
    if stopped < WIDE:
        assert sorted(alert["alert"]["group_by"]["cloud.account.id"] for alert in alerts) == silent
    else:
        (alert,) = alerts
        assert alert["alert"]["group_by"] == {"cloud.account.id": "*"}
        assert alert["alert"]["first_seen"] == iso(T0 - minutes(40))
        assert [item["key"]["cloud.account.id"] for item in alert["alert"]["silent"]] == silent
        assert alert["alert"]["summary"]["who"].startswith(
            f"delivery, not {WIDE} separate silences: {WIDE} of {len(FLEET)} regular accounts silent at once"
        )
    assert not set(sending) & {
        item["key"]["cloud.account.id"] for alert in alerts for item in alert["alert"].get("silent", [])
    }


def test_after_an_outage_the_accounts_alert_alone_again(siem: OpenSearch) -> None:
    # Delivery stops at 09:00 and works again at 15:00: every account sends from 15:20, one
    # of them only from 17:20 (within 3 hours of the run that saw delivery back: no alert).
    # The next day at 05:00 one account stops alone: its own alert, as before the outage.
    late, alone = FLEET[0], FLEET[1]
    back, stop = T0 + timedelta(hours=6), T0 + timedelta(hours=20)
    schedule = {account: hours(START, T0) + hours(back, T0 + timedelta(hours=24)) for account in FLEET}
    schedule[late] = hours(START, T0) + hours(back + 2 * HOUR, T0 + timedelta(hours=24))
    schedule[alone] = hours(START, T0) + hours(back, stop)
    deliver(siem, "cloudtrail", schedule)

    reports = run_every_hour(
        siem, [our_rule(CLOUDTRAIL)], START, T0 + timedelta(hours=24), MemoryCheckpoints()
    )

    wide, single = alerts_in(siem)
    assert wide["alert"]["group_by"] == {"cloud.account.id": "*"} and wide["alert"]["count"] == 12
    assert single["alert"]["group_by"] == {"cloud.account.id": alone}
    assert single["alert"]["first_seen"] == iso(stop - minutes(40))
    assert [run_at(number) for number in created_at(reports)] == [
        T0 + timedelta(hours=2, minutes=30),
        stop + timedelta(hours=2, minutes=30),
    ]


def test_an_account_still_silent_after_the_others_resume_alerts_on_its_own(siem: OpenSearch) -> None:
    # The outage ends at the 15:30 run (15:20's deliveries, end 15:28); one account never comes
    # back: 3 hours after the others resumed (the 18:30 run) it alerts alone, high.
    back, cut = T0 + timedelta(hours=6), FLEET[3]
    schedule = {account: hours(START, T0) + hours(back, T0 + timedelta(hours=10)) for account in FLEET}
    schedule[cut] = hours(START, T0)
    deliver(siem, "cloudtrail", schedule)

    reports = run_every_hour(
        siem, [our_rule(CLOUDTRAIL)], START, T0 + timedelta(hours=10), MemoryCheckpoints()
    )

    wide, single = alerts_in(siem)
    assert wide["alert"]["count"] == 12
    assert single["alert"]["group_by"] == {"cloud.account.id": cut} and single["event"]["severity"] == 75
    assert single["alert"]["summary"]["what"] == (
        f"no cloudtrail records from cloud.account.id {cut} for 10h08m (last ingested "
        "2026-03-14T08:20:00.000Z); it sent in every hour of the 7 days before; it stayed silent "
        "after the others resumed at 2026-03-14T15:28:00.000Z"
    )
    assert [run_at(number) for number in created_at(reports)] == [
        T0 + timedelta(hours=2, minutes=30),
        T0 + timedelta(hours=9, minutes=30),
    ]


def test_the_cost_of_an_outage_run(siem: OpenSearch) -> None:
    # The run that raises the wide alert: its (empty) window, and one composite over the 12
    # accounts' documents since the earliest last arrival (a bucket each: their last ones) for
    # documents the state missed, instead of one search per account; the next run: its window.
    deliver(siem, "cloudtrail", {account: hours(START, T0) for account in FLEET})
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()
    reports = run_every_hour(siem, [rule], START, T0 + timedelta(hours=4), store)

    assert cost_of(reports[-2].outcomes[0]) == (2, 0, 12, 1)
    assert cost_of(reports[-1].outcomes[0]) == (1, 0, 0, 0)


def test_a_wide_silence_reads_documents_the_state_missed_in_one_search(siem: OpenSearch) -> None:
    # Six accounts stop at 09:00; one's 09:20 object becomes searchable only after the 09:30
    # and 10:30 runs. The run that raises the wide alert finds it (one composite for the six)
    # and lists that account with its real last arrival; it is still overdue (10:00-11:00 empty).
    late, stopped = FLEET[0], FLEET[:6]
    deliver(
        siem,
        "cloudtrail",
        {account: hours(START, T0 if account in stopped else T0 + timedelta(hours=6)) for account in FLEET},
    )
    rule, store = our_rule(CLOUDTRAIL), MemoryCheckpoints()
    before = run_every_hour(siem, [rule], START, T0 + timedelta(hours=2), store)
    deliver(siem, "cloudtrail", {late: [T0 + minutes(20)]})

    after = run_every_hour(siem, [rule], T0 + timedelta(hours=2), T0 + timedelta(hours=6), store)

    (alert,) = alerts_in(siem)
    assert not created_at(before) and created_at(after) == [0]
    assert {item["key"]["cloud.account.id"]: item["last"] for item in alert["alert"]["silent"]} == {
        account: iso(T0 + minutes(20) if account == late else T0 - minutes(40)) for account in stopped
    }
    assert after[0].outcomes[0].searches == 2


def test_a_region_still_down_after_an_outage_is_a_new_wide_silence(siem: OpenSearch) -> None:
    # Delivery comes back at 15:00 for half the accounts only (one region's ingest still
    # broken): 3 hours after the run that saw delivery back, the six still silent raise one
    # new wide alert, not six (its id keyed on that run, not on the first alert's).
    back, down = T0 + timedelta(hours=6), FLEET[6:]
    schedule = {account: hours(START, T0) + hours(back, T0 + timedelta(hours=10)) for account in FLEET}
    schedule.update({account: hours(START, T0) for account in down})
    deliver(siem, "cloudtrail", schedule)

    reports = run_every_hour(
        siem, [our_rule(CLOUDTRAIL)], START, T0 + timedelta(hours=10), MemoryCheckpoints()
    )

    first, second = alerts_in(siem)
    assert (first["alert"]["count"], second["alert"]["count"]) == (12, 6)
    assert [item["key"]["cloud.account.id"] for item in second["alert"]["silent"]] == down
    assert second["alert"]["first_seen"] == "2026-03-14T15:28:00.000Z"
    assert [run_at(number) for number in created_at(reports)] == [
        T0 + timedelta(hours=2, minutes=30),
        T0 + timedelta(hours=9, minutes=30),
    ]
