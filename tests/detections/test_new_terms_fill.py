"""A new-terms rule whose history fill takes several runs (its first run, or a change of its
query, fields or exceptions) holds its window: alerts wait, they are not lost.

Through the runner on the embedded engine behind the Serverless guard. The fill's pages are
made tiny (2 terms a page, 1 page a run; in production 10,000 and up to 10) so that a handful of roles' history takes several
runs, as a large organization's does with 1,000-term pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections import new_terms
from detections.checkpoints import CheckpointStore, MemoryCheckpoints
from detections.exceptions import NO_EXCEPTIONS, Exceptions, parse_exceptions
from detections.new_terms import TermsStore
from detections.runner import RunReport, RunSettings, run
from detections.settings import DetectionSettings, FillBudgetError
from detections.windows import Checkpoint
from siem_cli.main import main
from tests.detections.conftest import T0, index_raw, minutes, our_rule, trail

pytestmark = pytest.mark.integration
RULE = "siem-role-new-discovery-api"
ACCOUNT = "111122223333"
CI = ct.RoleSession(
    ACCOUNT, "deployer", "AROACIDEPLOYER000001", "build-42", "ASIACIDEPLOYER000001", T0, "/ci/"
)
WEB = ct.RoleSession(
    ACCOUNT, "web-instance-role", "AROAWEBINSTANCE00001", "i-0abc1234", "ASIAWEB0000000000001", T0
)
APPS = [
    ct.RoleSession(ACCOUNT, f"app-{n}", f"AROAAPP{n:013d}", f"i-0app{n}", f"ASIAAPP{n:013d}", T0)
    for n in range(6)
]
"""Six application roles that list buckets every day: with WEB, 7 terms of history (4 pages of 2)."""
EXCEPT_CI = parse_exceptions(
    {"exceptions": [{"rules": [RULE], "principals": ["arn:aws:iam::*:role/ci/deployer"], "reason": "CI"}]}
)
SETTINGS = RunSettings(first_lookback=minutes(30))


def discovery(session: ct.RoleSession, action: str, when: datetime) -> dict[str, Any]:
    source = "s3" if action == "ListBuckets" else "iam"
    return ct.api_call(
        ct.assumed_role(session), event_name=action, event_source=f"{source}.amazonaws.com", time=when
    )


@pytest.fixture
def tiny_fill(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """2 terms a composite page and 1 page of fill a run."""
    monkeypatch.setattr(new_terms, "FILL_PAGE", 2)
    monkeypatch.setattr(new_terms, "FILL_PAGES", 1)
    yield


def index_history(client: OpenSearch) -> None:
    """Every role listed buckets 20 and 3 days ago; the CI role also listed the users."""
    calls = [
        discovery(session, "ListBuckets", T0 - timedelta(days=days))
        for session in (*APPS, WEB, CI)
        for days in (20, 3)
    ]
    calls += [discovery(CI, "ListUsers", T0 - timedelta(days=3))]
    index_raw(client, "cloudtrail", trail(calls), T0 - timedelta(days=2))


def runs(
    client: OpenSearch,
    store: CheckpointStore,
    times: list[datetime],
    excepted: Exceptions = NO_EXCEPTIONS,
    settings: RunSettings = SETTINGS,
) -> list[RunReport]:
    rule = our_rule(RULE)
    settings = replace(settings, exceptions=excepted)
    return [run(client, client, [rule], now, store, None, settings) for now in times]


def created(reports: list[RunReport]) -> list[tuple[str, str]]:
    return [
        (alert["user"]["name"], alert["alert"]["group_by"]["event.action"])
        for report in reports
        for alert in report.alerts
    ]


def test_a_new_term_during_the_refill_after_an_exception_change_alerts_once_the_fill_completes(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defect: an exception added for the CI role refills the rule's history; during the
    refill the web role lists the account's users for the first time. The old code skipped the
    sighting (learning), wrote it as known and moved the checkpoint on: no alert, ever."""
    index_history(siem)
    store = MemoryCheckpoints()
    (before,) = runs(siem, store, [T0 + minutes(5)])  # the rule as it was: its history complete
    assert before.created == 0
    held = store.get(RULE)
    assert held == Checkpoint(T0 + minutes(3))

    monkeypatch.setattr(new_terms, "FILL_PAGE", 2)
    monkeypatch.setattr(new_terms, "FILL_PAGES", 1)
    intrusion = T0 + minutes(12)
    calls = [discovery(WEB, "ListUsers", intrusion), discovery(WEB, "ListBuckets", intrusion)]
    index_raw(siem, "cloudtrail", trail(calls), intrusion)
    times = [T0 + minutes(10 + 5 * k) for k in range(8)]
    checkpoints = []
    reports = []
    for now in times:
        reports += runs(siem, store, [now], EXCEPT_CI)
        checkpoints.append(store.get(RULE))

    # The web role's first listing of users alerts once; its usual bucket listing does not.
    assert created(reports) == [("i-0abc1234", "ListUsers")]
    assert not any(report.errors for report in reports)
    filling = [report.outcomes[0].filling for report in [before, *reports]]
    # 6 roles' history without the CI role's: 7 terms, 4 pages of 2, one page a run.
    assert filling == [False, True, True, True, False, False, False, False, False]
    # While filling, the checkpoint stays and the window keeps its start.
    assert checkpoints[:3] == [held, held, held]
    assert {report.outcomes[0].window_start for report in reports[:4]} == {"2026-03-14T08:48:00.000Z"}
    assert [report.created for report in reports[:3]] == [0, 0, 0]
    # The run that completes the fill judges the held span and moves on; later runs: known.
    assert reports[3].created == 1 and checkpoints[3] == Checkpoint(times[3] - minutes(2))
    assert [report.outcomes[0].matches for report in reports[4:]] == [0, 0, 0, 0]


def test_a_first_run_whose_fill_takes_several_runs_holds_its_first_window(
    siem: OpenSearch, tiny_fill: None
) -> None:
    index_history(siem)
    intrusion = T0 - minutes(10)  # inside the first window
    index_raw(siem, "cloudtrail", trail([discovery(WEB, "ListRoles", intrusion)]), intrusion)
    store = MemoryCheckpoints()
    times = [T0 + minutes(5 * k) for k in range(6)]
    reports = runs(siem, store, times[:1])
    first_start = T0 - minutes(2) - minutes(30)
    # No checkpoint yet: the first window's start is kept, so the next windows start there.
    assert reports[0].outcomes[0].filling and store.get(RULE) == Checkpoint(first_start)
    reports += runs(siem, store, times[1:])

    # 8 terms (the CI role's ListUsers too): 5 pages of 2 (the last one empty).
    assert [report.outcomes[0].filling for report in reports] == [True, True, True, True, False, False]
    assert created(reports) == [("i-0abc1234", "ListRoles")]
    assert reports[4].outcomes[0].window_start == "2026-03-14T08:13:00.000Z"  # first start - overlap


def test_a_run_that_fails_mid_fill_resumes_it(
    siem: OpenSearch, tiny_fill: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_history(siem)
    intrusion = T0 - minutes(10)
    index_raw(siem, "cloudtrail", trail([discovery(WEB, "ListRoles", intrusion)]), intrusion)
    store = MemoryCheckpoints()
    first = runs(siem, store, [T0])
    real_write = TermsStore.write

    def fail_once(self: TermsStore, documents: Any, cost: Any) -> None:
        monkeypatch.setattr(TermsStore, "write", real_write)
        raise ConnectionError("alerts collection unreachable")

    monkeypatch.setattr(TermsStore, "write", fail_once)
    failed = runs(siem, store, [T0 + minutes(5)])
    assert failed[0].errors and store.get(RULE) == Checkpoint(T0 - minutes(32))
    rest = runs(siem, store, [T0 + minutes(5 * k) for k in range(2, 8)])
    reports = [*first, *failed, *rest]

    # The failed run's page is read again: one run more than without the failure.
    assert [report.outcomes[0].filling for report in reports[:6]] == [True, True, True, True, True, False]
    assert created(reports) == [("i-0abc1234", "ListRoles")]
    assert sum(report.outcomes[0].duplicates for report in reports) == 0


def test_a_fresh_deployment_with_a_long_fill_still_learns_silently(siem: OpenSearch, tiny_fill: None) -> None:
    """The logs start two days ago: whatever the fill takes, what is used meanwhile is learned,
    not alerted (its 14 days of history are not in the logs); later it is known."""
    calls = [
        discovery(session, action, T0 - timedelta(days=2))
        for session in (*APPS, WEB)
        for action in ("ListBuckets", "ListRoles")
    ]
    index_raw(siem, "cloudtrail", trail(calls), T0 - timedelta(days=2))
    index_raw(siem, "cloudtrail", trail([discovery(WEB, "ListUsers", T0 - minutes(10))]), T0 - minutes(10))
    store = MemoryCheckpoints()
    reports = runs(siem, store, [T0 + minutes(5 * k) for k in range(10)])
    later = T0 + timedelta(days=13)
    calls = [discovery(WEB, "ListUsers", later), discovery(WEB, "GetAccountSummary", later)]
    index_raw(siem, "cloudtrail", trail(calls), later)
    judged = runs(siem, store, [later + minutes(5)])

    # 14 terms: 7 full pages and an empty one.
    assert [report.outcomes[0].filling for report in reports] == [True] * 7 + [False] * 3
    assert created(reports) == []
    # 13 days on, the logs hold the history: the ListUsers learned during the fill is known.
    assert created(judged) == [("i-0abc1234", "GetAccountSummary")]


def test_a_fill_that_outlasts_the_maximum_look_back_reports_the_gap(
    siem: OpenSearch, tiny_fill: None
) -> None:
    index_history(siem)
    store = MemoryCheckpoints()
    settings = RunSettings(first_lookback=minutes(30), max_lookback=minutes(50))
    reports = runs(siem, store, [T0 + minutes(5 * k) for k in range(6)], settings=settings)

    # The held window reaches back 50 minutes at most: from the third run its start moves on,
    # and the run says so (capped), as any window whose checkpoint is too old.
    assert [report.outcomes[0].filling for report in reports] == [True] * 4 + [False] * 2
    assert [report.outcomes[0].capped for report in reports] == [False, False, True, True, True, False]
    assert reports[2].to_dict()["capped"] == [RULE] and reports[2].to_dict()["filling"] == [RULE]
    assert reports[2].outcomes[0].window_start == "2026-03-14T08:18:00.000Z"


@pytest.mark.parametrize(("budget", "filling"), [(60, [True, False]), (0, [True, True, True, True, False])])
def test_a_fill_reads_more_pages_while_the_runs_fill_budget_lasts(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch, budget: int, filling: list[bool]
) -> None:
    """8 terms in pages of 2, up to 3 pages a run: 2 runs; with the budget spent (a run in which
    other rules' fills took it), one page a run: 5 (the last page empty)."""
    monkeypatch.setattr(new_terms, "FILL_PAGE", 2)
    monkeypatch.setattr(new_terms, "FILL_PAGES", 3)
    index_history(siem)
    settings = RunSettings(first_lookback=minutes(30), fill_budget=timedelta(seconds=budget))
    reports = runs(
        siem, MemoryCheckpoints(), [T0 + minutes(5 * k) for k in range(len(filling))], settings=settings
    )

    assert [report.outcomes[0].filling for report in reports] == filling
    assert [report.outcomes[0].searches for report in reports[:1]] == [3 if budget else 1]


def test_siem_detect_run_says_which_rule_is_filling(
    siem: OpenSearch, engine_url: str, tiny_fill: None, capsys: pytest.CaptureFixture[str]
) -> None:
    index_history(siem)
    args = ["detect", "run", "--endpoint", engine_url, "--auth", "none", "--rule", RULE]

    assert main([*args, "--now", "2026-03-14T09:00:00Z"]) == 0
    printed = capsys.readouterr().out
    assert main([*args, "--now", "2026-03-14T09:05:00Z", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)

    assert f"rule {RULE} is filling its new-terms history" in printed
    assert "from 2026-03-14T07:58:00.000Z waits" in printed
    # The checkpoint in the alerts collection held the first window's start (the CLI's first look-back: 1 hour).
    assert second["filling"] == [RULE] and second["outcomes"][0]["filling"] is True
    assert second["outcomes"][0]["window_start"] == "2026-03-14T07:43:00.000Z"


def test_a_resume_cursor_is_kept_while_filling_and_its_window_judged_after(
    siem: OpenSearch, tiny_fill: None
) -> None:
    """A checkpoint cut short by the hit budget (the rule was an event rule under the same id):
    the held window is that rest, to the same end, until the fill completes; then it moves on."""
    index_history(siem)
    intrusion = T0 - minutes(10)
    index_raw(siem, "cloudtrail", trail([discovery(WEB, "ListRoles", intrusion)]), intrusion)
    store = MemoryCheckpoints()
    cut = Checkpoint(T0, (int((T0 - minutes(20)).timestamp() * 1000), "some-event-id"))
    store.put(RULE, cut)
    reports = runs(siem, store, [T0 + minutes(5 * k) for k in range(1, 6)])

    assert [report.outcomes[0].filling for report in reports] == [True] * 4 + [False]
    assert {report.outcomes[0].window_start for report in reports} == {"2026-03-14T08:40:00.000Z"}
    assert all(report.outcomes[0].resumed for report in reports)
    assert created(reports) == [("i-0abc1234", "ListRoles")]
    assert store.get(RULE) == Checkpoint(T0)


@pytest.mark.parametrize("by", ["option", "variable"])
def test_siem_detect_run_takes_the_fill_budget(
    siem: OpenSearch,
    engine_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    by: str,
) -> None:
    """8 terms in pages of 2, up to 3 pages a run: with a budget of 0 a run reads one page (its
    one search), 5 runs in all, as the detection function does with ``FILL_BUDGET_SECONDS=0``;
    with the default budget, 3 pages (test_a_fill_reads_more_pages_while_the_runs_fill_budget_lasts)."""
    monkeypatch.setattr(new_terms, "FILL_PAGE", 2)
    monkeypatch.setattr(new_terms, "FILL_PAGES", 3)
    index_history(siem)
    args = ["detect", "run", "--endpoint", engine_url, "--auth", "none", "--rule", RULE, "--json"]
    if by == "variable":
        monkeypatch.setenv("FILL_BUDGET_SECONDS", "0")
    else:
        args += ["--fill-budget", "0"]
    outcomes = []
    for minute in range(0, 25, 5):
        assert main([*args, "--now", f"2026-03-14T09:{minute:02d}:00Z"]) == 0
        outcomes.append(json.loads(capsys.readouterr().out)["outcomes"][0])

    assert [outcome["filling"] for outcome in outcomes] == [True, True, True, True, False]
    assert outcomes[0]["searches"] == 1


@pytest.mark.parametrize("value", ["-1", "a minute", "901"])
def test_a_fill_budget_out_of_range_is_refused(
    value: str, engine_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["detect", "run", "--endpoint", engine_url, "--auth", "none", "--fill-budget", value]
    assert main(args) == 2  # a usage error (docs/cli.md)
    assert f"fill budget {value!r}" in capsys.readouterr().err
    with pytest.raises(FillBudgetError, match=r"0 to 900 seconds|not a number"):
        DetectionSettings.from_env({"OPENSEARCH_ENDPOINT": engine_url, "FILL_BUDGET_SECONDS": value})


def test_the_detection_function_reads_the_fill_budget() -> None:
    endpoint = {"OPENSEARCH_ENDPOINT": "https://logs.example", "AWS_REGION": "eu-west-1"}
    budget = DetectionSettings.from_env({**endpoint, "FILL_BUDGET_SECONDS": "12.5"}).run.fill_budget
    assert budget == timedelta(seconds=12.5)
    assert DetectionSettings.from_env(endpoint).run.fill_budget == timedelta(minutes=1)
    assert DetectionSettings.from_env({**endpoint, "FILL_BUDGET_SECONDS": ""}).run.fill_budget == timedelta(
        minutes=1
    )
