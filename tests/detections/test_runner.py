"""The runner: lagged overlapping windows, exactly-once alerts, incidents notified on SNS, failures isolated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionTimeout

from demo.records import cloudtrail as ct
from detections import matching
from detections.alerts import alert_id
from detections.checkpoints import DynamoCheckpoints, IndexCheckpoints, MemoryCheckpoints
from detections.notify import CollectingIncidentNotifier, SnsIncidentNotifier
from detections.rules import parse_rule
from detections.runner import RunSettings, run
from detections.windows import Checkpoint
from opensearch_assets.fields import leaf_fields
from tests.detections.conftest import (
    T0,
    cloudtrail_record,
    index_raw,
    minutes,
    our_rule,
    rejected_flows,
    trail,
)

pytestmark = pytest.mark.integration
SETTINGS = RunSettings(lag=minutes(2), overlap=minutes(15), first_lookback=minutes(30))


def alerts_in_index(client: OpenSearch, index: str = "siem-alerts") -> list[dict[str, Any]]:
    response = client.search(index=index, body={"size": 100, "query": {"match_all": {}}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_an_event_ingested_after_its_window_was_queried_alerts_exactly_once(siem: OpenSearch) -> None:
    rule = our_rule("siem-root-account-usage")
    store, notifier = IndexCheckpoints(siem, "siem-alerts-state"), CollectingIncidentNotifier()
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("a-1", T0)]), ingested=T0 + minutes(1))

    first = run(siem, siem, [rule], T0 + minutes(5), store, notifier, SETTINGS)
    assert first.outcomes[0].window_end == "2026-03-14T09:03:00.000Z"
    assert first.created == 1

    # Stamped at 09:02 (inside the window just queried) but searchable only now, from another
    # address: the next run's overlap still covers it.
    late = cloudtrail_record("b-1", T0 + minutes(1), sourceIPAddress="203.0.113.9")
    index_raw(siem, "cloudtrail", trail([late]), ingested=T0 + minutes(2))
    second = run(siem, siem, [rule], T0 + minutes(10), store, notifier, SETTINGS)
    third = run(siem, siem, [rule], T0 + minutes(15), store, notifier, SETTINGS)

    assert second.outcomes[0].window_start == "2026-03-14T08:48:00.000Z"  # 09:03 - 15 min overlap
    assert (second.created, third.created) == (1, 0)
    assert second.outcomes[0].duplicates == 1 and third.outcomes[0].duplicates == 2
    stored = alerts_in_index(siem)
    assert sorted(alert["source"]["ip"] for alert in stored) == ["198.51.100.214", "203.0.113.9"]
    # Both sign-ins are root's: one incident, announced once when it opened.
    (incident,) = alerts_in_index(siem, "siem-incidents")
    assert sorted(incident["incident"]["alert_ids"]) == sorted(
        a["alert"]["id"] for a in first.alerts + second.alerts
    )
    assert [sent["incident"]["id"] for sent in notifier.incidents] == [incident["incident"]["id"]]
    assert notifier.incidents[0]["incident"]["alert_ids"] == [first.alerts[0]["alert"]["id"]]


def test_alert_holds_who_when_what_and_attribution(siem: OpenSearch) -> None:
    rule = our_rule("siem-iam-access-key-for-another-user")
    record = ct.api_call(
        ct.iam_user("111122223333", "mallory", "AIDAEXAMPLE", "AKIAEXAMPLEMALLORY1"),
        event_name="CreateAccessKey",
        event_source="iam.amazonaws.com",
        time=T0,
        source_ip="203.0.113.124",
        read_only=False,
        request={"userName": "svc-backup-sync"},
        event_id="k-1",
    )
    index_raw(siem, "cloudtrail", trail([record]), ingested=T0 + minutes(1))
    settings = RunSettings(
        lag=minutes(2), first_lookback=minutes(30), dashboards_url="https://dash/_dashboards"
    )
    report = run(siem, siem, [rule], T0 + minutes(5), MemoryCheckpoints(), None, settings)

    (alert,) = alerts_in_index(siem)
    summary = alert["alert"]["summary"]
    assert "mallory" in summary["who"] and "AKIAEXAMPLEMALLORY1" in summary["who"]
    assert "arn:aws:iam::111122223333:user/mallory" in summary["who"]
    assert "CreateAccessKey" in summary["what"] and "svc-backup-sync" in summary["what"]
    assert summary["when"].startswith("2026-03-14T09:00:00Z")
    assert "203.0.113.124" in summary["where"]
    assert alert["rule"]["id"] == rule.id and alert["alert"]["severity"] == "high"
    assert alert["event"]["severity"] == 75 and alert["threat"]["technique"]["id"] == ["T1098.001"]
    assert alert["alert"]["event_ids"] == ["k-1"]
    assert alert["alert"]["dashboards_url"].startswith("https://dash/_dashboards/app/dashboards#/view/")
    assert report.alerts[0]["alert"]["id"] == alert["alert"]["id"]
    assert not unmapped_fields(siem, alert), "ask for these fields in ALERTS (opensearch_assets/mappings.py)"


def unmapped_fields(client: OpenSearch, document: dict[str, Any]) -> list[str]:
    """Leaf paths of ``document`` that the alerts index template does not map (kept unindexed)."""
    mapping = client.indices.get_mapping(index="siem-alerts")["siem-alerts"]["mappings"]["properties"]
    mapped = leaf_fields(mapping)

    def leaves(value: Any, prefix: str) -> list[str]:
        if isinstance(value, list) and value:  # a list of objects (alert.accounts): each item's leaves
            return sorted({path for item in value for path in leaves(item, prefix)})
        if isinstance(value, dict) and prefix not in mapped:
            return [
                path
                for key, item in value.items()
                for path in leaves(item, f"{prefix}{'.' if prefix else ''}{key}")
            ]
        return [prefix]

    return [path for path in leaves(document, "") if path not in mapped]


def test_a_burst_completed_by_late_flows_alerts_once(siem: OpenSearch) -> None:
    rule = our_rule("siem-vpcflow-rejected-burst")
    store = MemoryCheckpoints()
    index_raw(siem, "vpcflow", rejected_flows("203.0.113.124", T0, 15), ingested=T0 + minutes(1))
    assert run(siem, siem, [rule], T0 + minutes(5), store, None, SETTINGS).created == 0

    # Five more flows of the same 10-minute window arrive late: 20 reaches the threshold.
    index_raw(
        siem, "vpcflow", rejected_flows("203.0.113.124", T0 + minutes(1), 5, 100), ingested=T0 + minutes(6)
    )
    second = run(siem, siem, [rule], T0 + minutes(10), store, None, SETTINGS)
    third = run(siem, siem, [rule], T0 + minutes(15), store, None, SETTINGS)

    assert (second.created, third.created) == (1, 0)
    (alert,) = alerts_in_index(siem)
    assert alert["alert"]["count"] == 20
    assert alert["alert"]["group_by"] == {"source.ip": "203.0.113.124"}
    assert alert["alert"]["summary"]["who"] == "source 203.0.113.124"
    assert "20 REJECT flows" in alert["alert"]["summary"]["what"]


def test_a_failing_rule_is_reported_and_the_others_still_run(siem: OpenSearch) -> None:
    broken = parse_rule(
        {
            "id": "broken-rule",
            "title": "Broken",
            "severity": "low",
            "index": "cloudtrail",
            "query": "event.action:(ConsoleLogin",
        }
    )
    good = our_rule("siem-root-account-usage")
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("a-1", T0)]), ingested=T0 + minutes(1))
    store = MemoryCheckpoints()

    report = run(siem, siem, [broken, good], T0 + minutes(5), store, None, SETTINGS)

    failed, succeeded = report.outcomes
    assert failed.error and not succeeded.error
    assert succeeded.created == 1
    assert store.get("broken-rule") is None  # queried again next run
    assert store.get(good.id) == Checkpoint(T0 + minutes(3))
    assert [outcome.rule_id for outcome in report.errors] == ["broken-rule"]


class FlakyNotifier:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def notify_incident(self, incident: dict[str, Any]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SNS unreachable")
        self.sent.append(incident["incident"]["id"])


def test_a_failed_publish_neither_stops_the_run_nor_loses_its_incident(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = our_rule("siem-root-account-usage")
    records = [cloudtrail_record(f"a-{n}", T0, sourceIPAddress=f"198.51.100.{n}") for n in (1, 2, 3)]
    index_raw(siem, "cloudtrail", trail(records), ingested=T0 + minutes(1))
    store, notifier = MemoryCheckpoints(), FlakyNotifier(failures=1)

    delete = siem.delete

    def refuse_delete(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("index") == SETTINGS.incidents_index:  # the incidents' lease, released
            return delete(*args, **kwargs)
        raise ConnectionTimeout("TIMEOUT", "delete timed out", None)

    monkeypatch.setattr(siem, "delete", refuse_delete)  # an alert must never depend on a delete

    first = run(siem, siem, [rule], T0 + minutes(5), store, notifier, SETTINGS)
    assert first.created == 3 and not notifier.sent and len(first.notify_errors) == 1
    assert store.get(rule.id) == Checkpoint(T0 + minutes(3))  # the alerts wait, not the window
    # Each pending alert records the incident that counts it (its list of ids is bounded).
    (change,) = first.incidents
    assert {a["alert"]["incident_id"] for a in alerts_in_index(siem)} == {change.incident["incident"]["id"]}
    second = run(siem, siem, [rule], T0 + minutes(10), store, notifier, SETTINGS)
    third = run(siem, siem, [rule], T0 + minutes(15), store, notifier, SETTINGS)

    # Three sign-ins of one root: one incident, published by the next run, once.
    assert (second.renotified, third.renotified, second.created + third.created) == (3, 0, 0)
    (incident,) = alerts_in_index(siem, "siem-incidents")
    assert notifier.sent == [incident["incident"]["id"]]
    assert incident["incident"]["notified_severity"] == "high"
    stored = alerts_in_index(siem)
    assert sorted(alert["alert"]["id"] for alert in stored) == sorted(incident["incident"]["alert_ids"])
    assert incident["incident"]["alert_count"] == 3
    assert all(alert["alert"]["notified"] is True for alert in stored)


class TimeoutOnceAfterApplying:
    """``bulk`` that applies the request, then times out (the answer is lost)."""

    def __init__(self, bulk: Any) -> None:
        self.bulk, self.timed_out = bulk, False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        response = self.bulk(*args, **kwargs)
        if not self.timed_out:
            self.timed_out = True
            raise ConnectionTimeout("TIMEOUT", "Read timed out", None)
        return response


def test_an_alert_whose_create_timed_out_after_being_applied_is_still_notified(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = our_rule("siem-root-account-usage")
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("a-1", T0)]), ingested=T0 + minutes(1))
    monkeypatch.setattr(siem, "bulk", TimeoutOnceAfterApplying(siem.bulk))
    store, notifier = MemoryCheckpoints(), CollectingIncidentNotifier()

    reports = [run(siem, siem, [rule], T0 + minutes(5 * k), store, notifier, SETTINGS) for k in (1, 2, 3)]

    assert reports[0].errors and reports[0].notified == 0  # the create's answer was lost
    (stored,) = alerts_in_index(siem)
    (sent,) = notifier.incidents
    assert sent["incident"]["alert_ids"] == [stored["alert"]["id"]]
    assert stored["alert"]["notified"] is True and reports[1].renotified == 1


def test_alerts_without_a_notifier_are_not_left_pending(siem: OpenSearch) -> None:
    rule = our_rule("siem-root-account-usage")
    index_raw(siem, "cloudtrail", trail([cloudtrail_record("a-1", T0)]), ingested=T0 + minutes(1))
    run(siem, siem, [rule], T0 + minutes(5), MemoryCheckpoints(), None, SETTINGS)
    notifier = CollectingIncidentNotifier()

    later = run(siem, siem, [rule], T0 + minutes(10), MemoryCheckpoints(), notifier, SETTINGS)

    assert later.renotified == 0 and not notifier.incidents and later.outcomes[0].duplicates == 1


def test_more_hits_than_the_budget_in_one_object_are_read_over_several_runs(
    siem: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One object stamps all its records with one event.ingested: 50 root sign-ins against a
    # budget of 20 hits per run (10,000 in production).
    monkeypatch.setattr(matching, "MAX_HITS", 20)
    monkeypatch.setattr(matching, "PAGE_SIZE", 8)
    rule = our_rule("siem-root-account-usage")
    burst = [cloudtrail_record(f"b-{n:02d}", T0, sourceIPAddress=f"198.51.100.{n}") for n in range(50)]
    index_raw(siem, "cloudtrail", trail(burst), ingested=T0 + minutes(1))
    later = cloudtrail_record("later-1", T0 + minutes(19), sourceIPAddress="203.0.113.77")
    index_raw(siem, "cloudtrail", trail([later]), ingested=T0 + minutes(20))
    store, notifier = IndexCheckpoints(siem, "siem-alerts-state"), CollectingIncidentNotifier()

    reports = [run(siem, siem, [rule], T0 + minutes(5 * k), store, notifier, SETTINGS) for k in range(1, 9)]
    outcomes = [report.outcomes[0] for report in reports]

    assert not [outcome.error for outcome in outcomes if outcome.error]
    first, second, third = outcomes[:3]
    assert first.truncated and second.resumed and second.truncated and third.resumed and not third.truncated
    # The summary (the Lambda's answer, without per-rule outcomes) names them too.
    summaries = [report.to_dict() for report in reports[:3]]
    assert [(s["truncated"], s["resumed"]) for s in summaries] == [
        ([rule.id], []),
        ([rule.id], [rule.id]),
        ([], [rule.id]),
    ]
    assert first.window_end == second.window_end == third.window_end  # no overlap re-subtracted
    assert first.hits + second.hits + third.hits == 50  # each document read once
    stored = alerts_in_index(siem)
    stored_ids = {alert["alert"]["id"] for alert in stored}
    assert sum(outcome.created for outcome in outcomes) == len(stored_ids) == 51
    # All root's: one incident holding every alert, the later one included, announced once.
    (incident,) = alerts_in_index(siem, "siem-incidents")
    assert set(incident["incident"]["alert_ids"]) == stored_ids
    assert any(alert["source"]["ip"] == "203.0.113.77" for alert in stored)
    assert [sent["incident"]["id"] for sent in notifier.incidents] == [incident["incident"]["id"]]
    checkpoint = store.get(rule.id)
    assert checkpoint is not None and checkpoint.end > T0 + minutes(20)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_sns_receives_one_message_per_incident(siem: OpenSearch, aws: None) -> None:
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="siem-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    rule = our_rule("siem-root-account-usage")
    records = [
        cloudtrail_record(f"r-{n}", T0 + minutes(n), sourceIPAddress=f"198.51.100.{n}") for n in (1, 2)
    ]
    index_raw(siem, "cloudtrail", trail(records), ingested=T0 + minutes(3))
    notifier, store = SnsIncidentNotifier(sns, topic), MemoryCheckpoints()

    for now in (T0 + minutes(6), T0 + minutes(11), T0 + minutes(16)):
        run(siem, siem, [rule], now, store, notifier, SETTINGS)

    # Two root sign-ins, two alerts, one incident (one actor): one message.
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    (incident,) = alerts_in_index(siem, "siem-incidents")
    assert body["Subject"] == "[HIGH] New incident: Root account usage and 1 more"
    assert body["MessageAttributes"]["incident_id"]["Value"] == incident["incident"]["id"]
    text = body["Message"]
    assert "Actor: principal:arn:aws:iam::111122223333:root" in text
    assert "Alerts: 2 on 2 lines" in text and f"Incident id: {incident['incident']['id']}" in text


def test_dynamodb_checkpoints_never_move_backwards(aws: None) -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    store = DynamoCheckpoints("state", dynamodb)
    assert store.get("rule") is None
    store.put("rule", Checkpoint(T0 + minutes(10)))
    store.put("rule", Checkpoint(T0 + minutes(5)))
    assert store.get("rule") == Checkpoint(T0 + minutes(10))
    cursor = (1773478860000, "event-7")
    store.put("rule", Checkpoint(T0 + minutes(10), cursor))
    assert store.get("rule") == Checkpoint(T0 + minutes(10), cursor)


def test_the_alert_id_depends_on_rule_key_and_suppression_bucket() -> None:
    from detections.matching import Match

    rule = our_rule("siem-root-account-usage")  # suppression 1h
    key = (("cloud.account.id", "1"), ("source.ip", "198.51.100.1"), ("source.address", None))
    same_hour = [alert_id(rule, Match(key, T0 + minutes(m))) for m in (0, 59)]
    assert same_hour[0] == same_hour[1]
    assert alert_id(rule, Match(key, T0 + minutes(60))) != same_hour[0]
    assert alert_id(rule, Match((("cloud.account.id", "2"), *key[1:]), T0)) != same_hour[0]
