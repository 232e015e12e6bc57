"""A new-terms rule's state picked up where it was not kept up to date: a fill whose hold
outlived its checkpoint (a store switched, another definition ran meanwhile), and a state
reverted to after another definition ran (A -> B -> A).

Through the runner on the embedded engine behind the Serverless guard, with the fills of
tests/detections/test_new_terms_fill.py (tiny pages where a fill must take several runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections import new_terms
from detections.checkpoints import CheckpointStore, DynamoCheckpoints, IndexCheckpoints, MemoryCheckpoints
from detections.new_terms import TermsStore, rule_key
from detections.rules import Rule
from detections.runner import RunReport, RunSettings
from detections.windows import iso
from tests.detections.conftest import T0, index_raw, minutes, our_rule, trail
from tests.detections.test_new_terms_fill import (
    APPS,
    CI,
    EXCEPT_CI,
    RULE,
    WEB,
    created,
    discovery,
    index_history,
    runs,
    tiny_fill,
)

pytestmark = pytest.mark.integration
__all__ = ["tiny_fill"]  # the fixture, used by name


def every_5_minutes(start: datetime, end: datetime) -> list[datetime]:
    return [start + minutes(5 * k) for k in range(int((end - start) / minutes(5)) + 1)]


def first_seen(reports: list[RunReport]) -> list[str]:
    return [alert["alert"]["first_seen"] for report in reports for alert in report.alerts]


def use(client: OpenSearch, when: datetime, *calls: tuple[ct.RoleSession, str]) -> None:
    """Discovery calls made at ``when``, ingested then."""
    index_raw(client, "cloudtrail", trail([discovery(s, a, when) for s, a in calls]), when)


def state_of(client: OpenSearch, rule: Rule) -> dict[str, object] | None:
    return TermsStore(client, "siem-alerts-terms").rule_state(rule_key(rule))


# --- 1. the fill's bound and the held window meet -------------------------------------------


def test_a_fill_resumed_after_another_definition_ran_judges_from_its_own_bound(
    siem: OpenSearch, tiny_fill: None
) -> None:
    """The rule (A: no exception) starts its fill at T0 and holds from its bound (T0 - 32 min);
    an exception for the CI role (B) is deployed, B fills and runs for an hour, then the
    exception is removed. A's fill resumes under B's later checkpoint. The old code judged its
    completion from that checkpoint: the CI role's first ListRoles (T0 + 30, under B excepted)
    was in neither A's fill nor its judged window, and its next use (T0 + 70) alerted as new."""
    index_history(siem)
    use(siem, T0 + minutes(30), (CI, "ListRoles"))
    use(siem, T0 + minutes(70), (CI, "ListRoles"))
    store = MemoryCheckpoints()
    first = runs(siem, store, [T0])
    during_b = runs(siem, store, every_5_minutes(T0 + minutes(5), T0 + minutes(60)), EXCEPT_CI)
    after = runs(siem, store, every_5_minutes(T0 + minutes(65), T0 + minutes(90)))

    # Under A the CI role's ListRoles is new at its first use, and only there.
    assert created(after) == [("build-42", "ListRoles")]
    assert first_seen(after) == [iso(T0 + minutes(30))]
    assert first[0].outcomes[0].filling and not created(during_b)
    filling = [report.outcomes[0].filling for report in after]
    assert filling == [True, True, True, False, False, False]  # A's pages 2 to 5
    # The run that completes A's fill judges from A's bound, not from B's checkpoint.
    assert after[3].outcomes[0].window_start == iso(T0 - minutes(32))


# --- 2. a definition reverted to (A -> B -> A) --------------------------------------------


def test_a_reverted_definition_learns_what_was_used_while_another_ran(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A (no exception) runs, B (the CI role excepted) runs for an hour, A comes back. The
    old code took A's state as complete: the CI role's ListRoles, used while B ran (excepted
    there), alerted as new when used again after the revert. (The application roles'
    GetAccountSummary, which B alerted on, raised no second alert only because its alert id
    is in the same history bucket; a revert days later would have raised it again.)"""
    index_history(siem)
    use(siem, T0 + minutes(30), (CI, "ListRoles"), *[(app, "GetAccountSummary") for app in APPS])
    use(siem, T0 + minutes(72), (CI, "ListRoles"), (WEB, "ListRoles"))
    store = MemoryCheckpoints()
    a = runs(siem, store, every_5_minutes(T0, T0 + minutes(5)))
    b = runs(siem, store, every_5_minutes(T0 + minutes(10), T0 + minutes(60)), EXCEPT_CI)
    monkeypatch.setattr(new_terms, "FILL_PAGE", 2)  # the gap fill takes several runs
    monkeypatch.setattr(new_terms, "FILL_PAGES", 1)
    back = runs(siem, store, every_5_minutes(T0 + minutes(65), T0 + minutes(95)))

    # What was used while B ran is history; what is new after the revert alerts.
    assert created(back) == [("i-0abc1234", "ListRoles")]
    assert created(a) == [] and sorted(created(b)) == sorted(
        (app.session_name, "GetAccountSummary") for app in APPS
    )
    # A's state was last current at T0 - 12 (its last window's end less the overlap); B's runs
    # moved the checkpoint on. The gap, 7 terms in pages of 2 (the fourth completes it), is
    # filled first: the window is held (the checkpoint stays) as during any fill.
    assert [report.outcomes[0].filling for report in back] == [True, True, True, False, False, False, False]
    assert {report.outcomes[0].window_start for report in back[:4]} == {iso(T0 + minutes(43))}


def test_a_definition_reverted_to_after_more_than_its_history_fills_again(siem: OpenSearch) -> None:
    """A state last current more than ``history`` + 1 day ago holds nothing of use: the
    gap fill would read more than a fill from scratch, so the state is filled again (bounded:
    ``history`` + 1 day of logs), ``since`` included."""
    index_history(siem)
    store = MemoryCheckpoints()
    rule = our_rule(RULE)
    runs(siem, store, [T0])
    before = state_of(siem, rule)
    later = T0 + timedelta(days=20)
    use(siem, later - minutes(10), (WEB, "ListBuckets"), (WEB, "GetAccountSummary"))
    (report,) = runs(siem, store, [later])
    after = state_of(siem, rule)

    assert before is not None and after is not None
    assert before["since"] == iso(T0 - minutes(32) - timedelta(days=15))
    # Refilled from history + 1 day before the (capped) window: T0 + 19 days - 15 days.
    assert after["since"] == iso(later - minutes(2) - timedelta(days=16))
    assert report.outcomes[0].capped and not report.outcomes[0].filling
    # 20 days on, the web role's bucket listing is past its history too: both alert.
    assert sorted(created([report])) == [("i-0abc1234", "GetAccountSummary"), ("i-0abc1234", "ListBuckets")]


# --- 3. switching checkpoint stores mid-fill ------------------------------------------------


@pytest.fixture
def dynamo_checkpoints() -> Iterator[DynamoCheckpoints]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="state",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoCheckpoints("state", client)


def test_a_fill_that_outlives_a_switch_of_checkpoint_stores_keeps_its_hold(
    siem: OpenSearch, tiny_fill: None, dynamo_checkpoints: DynamoCheckpoints
) -> None:
    """``siem detect run`` (checkpoints in the alerts collection) starts the fill; the deployed
    function (DynamoDB, no checkpoint for the rule yet) finishes it. The hold was the index's
    checkpoint: the new store's first window started an hour later, and the old code never
    judged the web role's first ListRoles, made in the held span."""
    index_history(siem)
    use(siem, T0 - minutes(10), (WEB, "ListRoles"))
    index_store: CheckpointStore = IndexCheckpoints(siem, "siem-alerts-state")
    by_cli = runs(siem, index_store, [T0, T0 + minutes(5)])
    by_function = runs(siem, dynamo_checkpoints, every_5_minutes(T0 + minutes(60), T0 + minutes(75)))
    reports = [*by_cli, *by_function]

    assert created(reports) == [("i-0abc1234", "ListRoles")]
    assert [report.outcomes[0].filling for report in reports] == [True, True, True, True, False, False]
    assert reports[4].outcomes[0].window_start == iso(T0 - minutes(32))  # the fill's bound


def test_a_state_left_behind_while_detections_were_off_learns_the_capped_span(siem: OpenSearch) -> None:
    """Detections off for two days: the window reaches back one day (capped), and the state
    fills in what was ingested from its ``current`` to that start before judging. The old code
    left that span unlearned: the web role's GetAccountSummary, used 12 hours after T0, alerted
    as new when used again two days later."""
    index_history(siem)
    store = MemoryCheckpoints()
    use(siem, T0 + timedelta(hours=12), (WEB, "GetAccountSummary"))
    back = T0 + timedelta(days=2)
    use(siem, back - minutes(10), (WEB, "GetAccountSummary"), (WEB, "ListRoles"))
    reports = runs(siem, store, [T0, back])

    assert created(reports) == [("i-0abc1234", "ListRoles")]
    assert reports[1].outcomes[0].capped and not reports[1].outcomes[0].filling


def test_a_held_span_older_than_the_maximum_look_back_is_judged_from_there_and_reported(
    siem: OpenSearch, tiny_fill: None
) -> None:
    """As any window, the span a completed fill judges reaches back ``max_lookback`` at most:
    the run says so (``capped``) and the window's start is where it judged from."""
    index_history(siem)
    use(siem, T0 - minutes(10), (WEB, "ListRoles"))
    use(siem, T0 + minutes(30), (WEB, "GetAccountSummary"))
    settings = RunSettings(first_lookback=minutes(30), max_lookback=minutes(50))
    first = runs(siem, MemoryCheckpoints(), [T0], settings=settings)
    switched = runs(
        siem, MemoryCheckpoints(), every_5_minutes(T0 + minutes(60), T0 + minutes(75)), settings=settings
    )
    completing = switched[3]

    assert [report.outcomes[0].filling for report in [*first, *switched]] == [True, True, True, True, False]
    # Judged from T0 + 73 - 50 minutes, not from the fill's bound (T0 - 32): reported.
    assert completing.outcomes[0].capped and completing.outcomes[0].window_start == iso(T0 + minutes(23))
    assert created(switched) == [("i-0abc1234", "GetAccountSummary")]
