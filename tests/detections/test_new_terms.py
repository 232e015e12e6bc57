"""New-terms rules through the runner: the terms state on the alerts (SEARCH) collection, its
first fill from the logs, learning, and exactly-once alerts over overlapping runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections import new_terms
from detections.checkpoints import MemoryCheckpoints
from detections.matching import Sources, find_matches
from detections.new_terms import TermsStore, rule_key
from detections.runner import RunSettings, run
from detections.windows import Window
from tests.detections.conftest import T0, index_raw, minutes, our_rule, trail

pytestmark = pytest.mark.integration
SETTINGS = RunSettings(lag=minutes(2), overlap=minutes(15), first_lookback=minutes(30))
RULE = "siem-new-region-in-account"
DEPLOY = ct.role_session("111122223333", "deploy", "deploy-1", "ASIAEXAMPLEDEPLOY001", "AROAEXAMPLEDEPLOY001")


def write_call(when: datetime, region: str, account: str = "111122223333") -> dict[str, Any]:
    """A successful CreateTags by a deployment role (a write: readOnly false)."""
    return ct.api_call(
        ct.assumed_role(DEPLOY),
        event_name="CreateTags",
        event_source="ec2.amazonaws.com",
        time=when,
        region=region,
        read_only=False,
        recipient_account=account,
        request={"resourcesSet": {"items": [{"resourceId": "i-0abc1234def567890"}]}},
        response={"_return": True},
    )


def alerts_in(client: OpenSearch) -> list[dict[str, Any]]:
    response = client.search(index="siem-alerts", body={"size": 100, "query": {"match_all": {}}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_a_new_region_alerts_once_over_overlapping_runs(siem: OpenSearch) -> None:
    history = [write_call(T0 - timedelta(days=days), "us-east-1") for days in (20, 3)]
    index_raw(siem, "cloudtrail", trail(history), T0 - timedelta(days=1))
    index_raw(siem, "cloudtrail", trail([write_call(T0, "ap-southeast-3")]), T0 + minutes(1))
    store = MemoryCheckpoints()
    rule = our_rule(RULE)

    reports = [run(siem, siem, [rule], T0 + minutes(k), store, None, SETTINGS) for k in (5, 10, 15)]

    assert [report.created for report in reports] == [1, 0, 0]
    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {
        "cloud.account.id": "111122223333",
        "cloud.region": "ap-southeast-3",
    }
    assert alert["alert"]["first_seen"] == "2026-03-14T09:00:00.000Z"
    assert alert["cloud"]["region"] == "ap-southeast-3"
    # The next runs found the term in the state: not even a duplicate to create.
    assert [report.outcomes[0].duplicates for report in reports[1:]] == [0, 0]


def test_a_region_seen_in_an_earlier_run_is_known_to_later_ones(siem: OpenSearch) -> None:
    index_raw(
        siem, "cloudtrail", trail([write_call(T0 - timedelta(days=20), "us-east-1")]), T0 - timedelta(days=1)
    )
    store, rule = MemoryCheckpoints(), our_rule(RULE)
    index_raw(siem, "cloudtrail", trail([write_call(T0, "eu-west-3")]), T0 + minutes(1))
    first = run(siem, siem, [rule], T0 + minutes(5), store, None, SETTINGS)
    # Two hours later (beyond every window's overlap) the same region again: known.
    later = T0 + timedelta(hours=2)
    index_raw(siem, "cloudtrail", trail([write_call(later, "eu-west-3")]), later + minutes(1))
    second = run(siem, siem, [rule], later + minutes(5), store, None, SETTINGS)
    assert (first.created, second.created, second.outcomes[0].matches) == (1, 0, 0)


def test_a_fresh_deployment_learns_for_the_history_then_judges(siem: OpenSearch) -> None:
    # The logs start today: nothing is judged for 14 days; the regions used meanwhile are known.
    index_raw(
        siem, "cloudtrail", trail([write_call(T0, "us-east-1"), write_call(T0, "eu-west-1")]), T0 + minutes(1)
    )
    store, rule = MemoryCheckpoints(), our_rule(RULE)
    learning = run(siem, siem, [rule], T0 + minutes(5), store, None, SETTINGS)
    later = T0 + timedelta(days=15)
    calls = [write_call(later, "us-east-1"), write_call(later - timedelta(days=2), "eu-west-1")]
    calls += [write_call(later, "sa-east-1")]
    index_raw(siem, "cloudtrail", trail(calls), later + minutes(1))
    judged = run(siem, siem, [rule], later + minutes(5), store, None, SETTINGS)

    assert learning.created == 0
    # sa-east-1: never seen. us-east-1: last seen 15 days before, past the history: new again.
    # eu-west-1: a late record from day 13, whose 14 days of history would start the day
    # before the logs did: not judged.
    regions = sorted(alert["cloud"]["region"] for alert in alerts_in(siem))
    assert regions == ["sa-east-1", "us-east-1"]
    assert judged.created == 2


def test_terms_not_written_after_the_alerts_leave_no_duplicate(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_raw(
        siem, "cloudtrail", trail([write_call(T0 - timedelta(days=20), "us-east-1")]), T0 - timedelta(days=1)
    )
    index_raw(siem, "cloudtrail", trail([write_call(T0, "ap-east-1")]), T0 + minutes(1))
    store, rule = MemoryCheckpoints(), our_rule(RULE)
    real_write = TermsStore.write

    def fail_once(self: TermsStore, documents: Any, cost: Any) -> None:
        monkeypatch.setattr(TermsStore, "write", real_write)
        raise ConnectionError("alerts collection unreachable")

    monkeypatch.setattr(TermsStore, "write", fail_once)
    first = run(siem, siem, [rule], T0 + minutes(5), store, None, SETTINGS)
    assert first.errors and first.created == 1 and store.get(rule.id) is None  # window kept
    second = run(siem, siem, [rule], T0 + minutes(10), store, None, SETTINGS)
    third = run(siem, siem, [rule], T0 + minutes(15), store, None, SETTINGS)

    assert (second.created, second.outcomes[0].duplicates, second.errors) == (0, 1, [])
    assert (third.created, third.outcomes[0].duplicates) == (0, 0)  # now known from the state
    assert len(alerts_in(siem)) == 1


def test_the_cost_of_a_first_and_a_later_run(siem: OpenSearch) -> None:
    """docs/detections.md, "Cost per run": searches and look-ups by id, counted."""
    history = [write_call(T0 - timedelta(days=days), "us-east-1") for days in (20, 3)]
    index_raw(siem, "cloudtrail", trail(history), T0 - timedelta(days=1))
    index_raw(
        siem,
        "cloudtrail",
        trail([write_call(T0, "us-east-1"), write_call(T0, "me-south-1")]),
        T0 + minutes(1),
    )
    rule, store = our_rule(RULE), TermsStore(siem, "siem-alerts-terms")
    window = Window(T0, T0 + minutes(3))

    first = find_matches(siem, rule, Sources(), window, store)
    assert first.commit is not None
    first.commit()
    second = find_matches(siem, rule, Sources(), Window(T0 - minutes(12), T0 + minutes(8)), store)

    # First run: the window's terms, the first fill from the logs, the index's earliest event,
    # the new term's events: 4 searches; 2 terms looked up; 2 terms and the rule's state written.
    assert [match.key[-1][1] for match in first.matches] == ["me-south-1"]
    assert (first.cost.searches, first.cost.state_reads, first.cost.state_writes) == (4, 2, 3)
    # A later run: 1 search, 2 look-ups, no term to write; the rule's state says how far it is
    # current (docs/detections.md, "A definition taken up again").
    assert (second.cost.searches, second.cost.state_reads, second.matches) == (1, 2, [])
    assert second.commit is not None
    second.commit()
    assert second.cost.state_writes == 1
    assert store.rule_state(rule_key(rule)) == {
        "terms_rule": rule_key(rule),
        "since": "2026-02-27T09:00:00.000Z",
        "fill": None,
        "current": "2026-03-14T09:08:00.000Z",
    }


def test_a_changed_rule_learns_again() -> None:
    rule = our_rule(RULE)
    changed = type(rule)(
        **{
            **{name: getattr(rule, name) for name in rule.__slots__},
            "new_terms": ("cloud.availability_zone",),
        }
    )
    assert new_terms.rule_key(rule) != new_terms.rule_key(changed)
    assert new_terms.rule_key(rule).startswith(f"{RULE}@")


def test_an_in_process_state_judges_as_the_stored_one(siem: OpenSearch) -> None:
    """Callers without the alerts collection (inline tests, a corpus measured once, an index
    named as a string) get the rule's first run with an in-process state."""
    history = [write_call(T0 - timedelta(days=days), "us-east-1") for days in (20, 3)]
    index_raw(siem, "cloudtrail", trail(history), T0 - timedelta(days=1))
    index_raw(
        siem,
        "cloudtrail",
        trail([write_call(T0, "us-east-1"), write_call(T0, "me-south-1")]),
        T0 + minutes(1),
    )
    rule, window = our_rule(RULE), Window(T0, T0 + minutes(3))

    stored = find_matches(siem, rule, Sources(), window, TermsStore(siem, "siem-alerts-terms"))
    in_process = find_matches(siem, rule, "siem-cloudtrail", window)

    assert [match.key for match in in_process.matches] == [match.key for match in stored.matches]
    assert [match.key[-1][1] for match in in_process.matches] == ["me-south-1"]
    state = new_terms.MemoryTerms()
    first = find_matches(siem, rule, "siem-cloudtrail", window, state)
    assert first.commit is not None
    first.commit()
    again = find_matches(siem, rule, "siem-cloudtrail", Window(T0 - minutes(12), T0 + minutes(8)), state)
    assert again.matches == [] and again.cost.state_reads == 2


def _invocation(when: datetime, endpoint_account: str, event_id: str) -> dict[str, Any]:
    """An IAM user's InvokeModel through a VPC endpoint of ``endpoint_account``."""
    call = ct.api_call(
        ct.iam_user("111122223333"),
        event_name="InvokeModel",
        event_source="bedrock.amazonaws.com",
        time=when,
        source_ip="10.20.3.17",
        request={"modelId": "anthropic.claude-3-haiku-20240307-v1:0"},
        event_id=event_id,
    )
    return {**call, "vpcEndpointId": "vpce-0f1e2d3c4b5a69788", "vpcEndpointAccountId": endpoint_account}


def test_a_where_keeps_buckets_whole_and_leaves_the_rest_out_of_the_alert(siem: OpenSearch) -> None:
    """siem-bedrock-model-invoked-outside-compute's where (the endpoint is not the caller's
    account): the calls through our own endpoint, before and after the intruder's, neither
    make the term known nor join the alert's count and events."""
    rule = our_rule("siem-bedrock-model-invoked-outside-compute")
    history = [ct.api_call(ct.iam_user("111122223333"), time=T0 - timedelta(days=20))]
    calls = [
        _invocation(T0 - minutes(1), "111122223333", "00000000-0000-4000-8000-000000000001"),
        _invocation(T0, "444455556666", "00000000-0000-4000-8000-000000000002"),
        _invocation(T0 + minutes(1), "111122223333", "00000000-0000-4000-8000-000000000003"),
    ]
    index_raw(siem, "cloudtrail", trail(history), T0 - timedelta(days=1))
    index_raw(siem, "cloudtrail", trail(calls), T0 + minutes(2))
    window = Window(T0, T0 + minutes(5))

    (match,) = find_matches(siem, rule, Sources(only="siem-cloudtrail"), window).matches

    assert (match.first_seen, match.count) == ("2026-03-14T09:00:00.000Z", 1)
    assert match.event_ids == ["00000000-0000-4000-8000-000000000002"]
