"""Alerts and incidents on an EventBridge bus: what a subscriber reads (a rule -> SQS target in
moto), once per transition, through partial PutEvents failures, without touching the SNS path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from detections.checkpoints import MemoryCheckpoints
from detections.eventbus import (
    MAX_DETAIL_BYTES,
    MAX_ENTRIES,
    MAX_REQUEST_BYTES,
    BusEvent,
    EventBusPublisher,
    bounded,
    entry_size,
    incident_event,
)
from detections.incident_status import StatusChange, change_status
from detections.incidents import PUBLISHED, add_alert, needs_notification, new_incident
from detections.notify import SnsIncidentNotifier, incident_text
from detections.runner import RunSettings, run
from tests.detections.conftest import T0, cloudtrail_record, index_raw, minutes, our_rule, trail
from tests.detections.test_incident_triage import RecordingSns
from tests.detections.test_incidents import alert

SETTINGS = RunSettings(lag=minutes(2), overlap=minutes(15), first_lookback=minutes(30))
REGION = "us-east-1"
ROOT = "arn:aws:iam::111122223333:root"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def queue_arn(sqs: Any, url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def subscribed_bus(name: str = "siem") -> tuple[str, str]:
    """A bus and an SQS queue its rule on ``source: aws-siem`` targets (what a SOAR would read)."""
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    bus_arn = events.create_event_bus(Name=name)["EventBusArn"]
    queue = sqs.create_queue(QueueName=f"{name}-soar")["QueueUrl"]
    events.put_rule(Name="to-soar", EventBusName=name, EventPattern=json.dumps({"source": ["aws-siem"]}))
    events.put_targets(
        Rule="to-soar", EventBusName=name, Targets=[{"Id": "soar", "Arn": queue_arn(sqs, queue)}]
    )
    return bus_arn, queue


def received(queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    out: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        out += [json.loads(message["Body"]) for message in batch]
        for message in batch:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return out


def sns_queue() -> tuple[Any, str, str]:
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="siem-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, queue))
    return sns, topic, queue


def two_root_sign_ins(siem: OpenSearch) -> None:
    records = [
        cloudtrail_record(f"r-{n}", T0 + minutes(n), sourceIPAddress=f"198.51.100.{n}") for n in (1, 2)
    ]
    index_raw(siem, "cloudtrail", trail(records), ingested=T0 + minutes(3))


class FailingFirst:
    """An events client whose first PutEvents fails the entries at ``positions`` (as the API
    reports a partial failure: ``FailedEntryCount`` and an ``ErrorCode`` at the entry's place)."""

    def __init__(self, client: Any, positions: set[int]) -> None:
        self.client, self.positions = client, positions
        self.requests: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.requests.append(Entries)
        if len(self.requests) > 1:
            response: dict[str, Any] = self.client.put_events(Entries=Entries)
            return response
        kept = [entry for n, entry in enumerate(Entries) if n not in self.positions]
        sent = iter(self.client.put_events(Entries=kept)["Entries"]) if kept else iter(())
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            if n in self.positions
            else next(sent)
            for n in range(len(Entries))
        ]
        return {"FailedEntryCount": len(self.positions), "Entries": results}


class Unreachable:
    def __init__(self) -> None:
        self.calls = 0

    def put_events(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        raise ConnectionError("events.us-east-1.amazonaws.com unreachable")


@pytest.mark.integration
def test_one_event_per_incident_and_per_alert_beside_sns_and_a_rerun_publishes_nothing(
    siem: OpenSearch, aws: None
) -> None:
    bus_arn, soar = subscribed_bus()
    sns, topic, alerts_queue = sns_queue()
    two_root_sign_ins(siem)
    bus = EventBusPublisher(boto3.client("events", region_name=REGION), bus_arn)
    store = MemoryCheckpoints()
    notifier = SnsIncidentNotifier(sns, topic)

    reports = [
        run(
            siem, siem, [our_rule("siem-root-account-usage")], T0 + minutes(m), store, notifier, SETTINGS, bus
        )
        for m in (6, 11, 16)
    ]

    events = received(soar)
    assert [r.published for r in reports] == [3, 0, 0] and not any(r.notify_errors for r in reports)
    assert {event["source"] for event in events} == {"aws-siem"}
    (incident,) = [event["detail"] for event in events if event["detail-type"] == "SIEM Incident"]
    alerts = [event["detail"] for event in events if event["detail-type"] == "SIEM Alert"]
    assert incident["change"] == "new" and incident["severity"] == "high"
    assert (incident["status"], incident["resolution"], incident["was_closed"]) == ("open", None, None)
    assert incident["actor"] == f"principal:{ROOT}" and incident["alert_count"] == 2
    assert sorted(incident["alert_ids"]) == sorted(alert["alert_id"] for alert in alerts)
    assert {alert["incident_id"] for alert in alerts} == {incident["incident_id"]}
    assert {alert["rule"]["id"] for alert in alerts} == {"siem-root-account-usage"}
    assert {alert["source_ip"] for alert in alerts} == {"198.51.100.1", "198.51.100.2"}
    assert all(alert["summary"]["who"] for alert in alerts)
    # The SNS path is unchanged: one message for the incident.
    assert len(received(alerts_queue)) == 1


def test_entries_that_failed_are_sent_again_alone(aws: None) -> None:
    bus_arn, soar = subscribed_bus()
    client = FailingFirst(boto3.client("events", region_name=REGION), positions={1})
    events = [BusEvent(f"alert:a-{n}", "SIEM Alert", {"alert_id": f"a-{n}"}) for n in range(3)]

    failures = EventBusPublisher(client, bus_arn, sleep=lambda _: None).publish(events)

    assert failures == []
    first, retry = client.requests
    assert [json.loads(entry["Detail"])["alert_id"] for entry in first] == ["a-0", "a-1", "a-2"]
    assert [json.loads(entry["Detail"])["alert_id"] for entry in retry] == ["a-1"]
    assert retry[0]["EventBusName"] == bus_arn and retry[0]["Source"] == "aws-siem"
    assert sorted(event["detail"]["alert_id"] for event in received(soar)) == ["a-0", "a-1", "a-2"]


@pytest.mark.integration
def test_a_bus_down_never_costs_the_sns_message_and_its_events_go_next_run(
    siem: OpenSearch, aws: None
) -> None:
    bus_arn, soar = subscribed_bus()
    sns, topic, alerts_queue = sns_queue()
    two_root_sign_ins(siem)
    rule, store, notifier = (
        our_rule("siem-root-account-usage"),
        MemoryCheckpoints(),
        SnsIncidentNotifier(sns, topic),
    )
    down = Unreachable()

    first = run(
        siem,
        siem,
        [rule],
        T0 + minutes(6),
        store,
        notifier,
        SETTINGS,
        EventBusPublisher(down, bus_arn, sleep=lambda _: None),
    )

    assert first.notified == 1 and first.published == 0 and down.calls == 3  # every attempt
    assert len(first.notify_errors) == 3 and "event bus: incident:" in first.notify_errors[0]
    assert len(received(alerts_queue)) == 1

    healthy = EventBusPublisher(boto3.client("events", region_name=REGION), bus_arn)
    second = run(siem, siem, [rule], T0 + minutes(11), store, notifier, SETTINGS, healthy)
    third = run(siem, siem, [rule], T0 + minutes(16), store, notifier, SETTINGS, healthy)

    assert (second.notified, second.published, second.renotified) == (0, 3, 2)
    assert (third.notified, third.published, third.renotified) == (0, 0, 0)
    assert sorted(event["detail-type"] for event in received(soar)) == [
        "SIEM Alert",
        "SIEM Alert",
        "SIEM Incident",
    ]
    assert received(alerts_queue) == []  # SNS was not sent a second time


@pytest.mark.integration
def test_alerts_the_bus_took_while_sns_failed_are_not_put_again(siem: OpenSearch, aws: None) -> None:
    bus_arn, soar = subscribed_bus()
    two_root_sign_ins(siem)
    rule, store = our_rule("siem-root-account-usage"), MemoryCheckpoints()
    bus = EventBusPublisher(boto3.client("events", region_name=REGION), bus_arn)

    class SnsDownOnce:
        def __init__(self) -> None:
            self.sent: list[str] = []
            self.down = True

        def notify_incident(self, incident: dict[str, Any]) -> None:
            if self.down:
                self.down = False
                raise ConnectionError("SNS unreachable")
            self.sent.append(incident["incident"]["id"])

    notifier = SnsDownOnce()
    first = run(siem, siem, [rule], T0 + minutes(6), store, notifier, SETTINGS, bus)
    second = run(siem, siem, [rule], T0 + minutes(11), store, notifier, SETTINGS, bus)

    assert (first.published, first.notified, second.published, second.notified) == (3, 0, 0, 1)
    assert len(received(soar)) == 3 and len(notifier.sent) == 1 and second.renotified == 2


@pytest.mark.integration
def test_a_publisher_that_raises_is_reported_and_the_sns_message_still_goes(
    siem: OpenSearch, aws: None
) -> None:
    sns, topic, alerts_queue = sns_queue()
    two_root_sign_ins(siem)

    class Raising:
        def publish(self, events: Any) -> Any:
            raise ValueError("not serializable")

    report = run(
        siem,
        siem,
        [our_rule("siem-root-account-usage")],
        T0 + minutes(6),
        MemoryCheckpoints(),
        SnsIncidentNotifier(sns, topic),
        SETTINGS,
        Raising(),
    )

    assert report.notified == 1 and report.published == 0 and report.renotified == 0
    assert report.notify_errors == [
        f"notify {report.incidents[0].incident['incident']['id']}: event bus: ValueError: not serializable"
    ]
    assert len(received(alerts_queue)) == 1


def test_an_escalation_is_published_on_the_bus_whatever_sns_announced() -> None:
    incident = {"incident": {"severity": "critical", "notified_severity": "critical", PUBLISHED: "high"}}
    assert needs_notification(incident, PUBLISHED) and not needs_notification(incident)
    incident["incident"][PUBLISHED] = "critical"
    assert not needs_notification(incident, PUBLISHED)


def test_an_incident_event_and_message_say_its_triage_status() -> None:
    # An acknowledged incident that escalates: the subscriber (and the engineer paged) learns
    # someone is on it, and who.
    incident = new_incident("incident-1", f"principal:{ROOT}", T0, T0)
    add_alert(incident, alert("a-1", "r1", "high", 75, "2026-03-14T09:00:00Z", ["e1"], [ROOT]), T0)
    change_status(incident, StatusChange("acknowledged", "alice", "on it"), T0 + minutes(3))
    detail = incident_event(incident, "escalated").detail
    assert {
        key: detail[key] for key in ("status", "resolution", "status_by", "status_updated", "was_closed")
    } == {
        "status": "acknowledged",
        "resolution": None,
        "status_by": "alice",
        "status_updated": "2026-03-14T09:03:00.000Z",
        "was_closed": None,
    }
    assert "\nStatus: acknowledged by alice at 2026-03-14T09:03:00.000Z\n" in incident_text(incident)
    sns = RecordingSns()
    SnsIncidentNotifier(sns, "arn:aws:sns:us-east-1:111122223333:incidents").notify_incident(incident)
    (message,) = sns.published
    assert message["MessageAttributes"]["status"] == {"DataType": "String", "StringValue": "acknowledged"}
    change_status(incident, StatusChange("closed", "bob", None, "benign"), T0 + minutes(4))
    closed = incident_event(incident, "escalated").detail
    assert (closed["status"], closed["resolution"], closed["status_by"]) == ("closed", "benign", "bob")
    assert "\nStatus: closed (benign) by bob at 2026-03-14T09:04:00.000Z\n" in incident_text(incident)


def test_a_large_detail_is_bounded_and_requests_stay_within_the_limits() -> None:
    huge: dict[str, Any] = {
        "incident_id": "incident-1",
        "alert_ids": [f"alert-{n:060d}" for n in range(5000)],
        "related": {"user": [f"arn:aws:iam::111122223333:user/u{n:080d}" for n in range(2000)], "ip": []},
    }
    detail = bounded(huge)
    assert len(json.dumps(detail, separators=(",", ":")).encode()) <= MAX_DETAIL_BYTES
    assert detail["truncated"] is True and detail["incident_id"] == "incident-1"
    assert detail["alert_ids"] == huge["alert_ids"][: len(detail["alert_ids"])] and detail["alert_ids"]
    assert bounded({"incident_id": "small", "alert_ids": ["a"]}) == {
        "incident_id": "small",
        "alert_ids": ["a"],
    }

    class Recording:
        def __init__(self) -> None:
            self.requests: list[list[dict[str, Any]]] = []

        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            self.requests.append(Entries)
            return {"FailedEntryCount": 0, "Entries": [{"EventId": str(n)} for n in range(len(Entries))]}

    client = Recording()
    events = [
        BusEvent(f"alert:{n}", "SIEM Alert", bounded(dict(huge, incident_id=str(n)))) for n in range(25)
    ]
    assert EventBusPublisher(client, "siem").publish(events) == []
    assert sum(len(request) for request in client.requests) == 25
    for request in client.requests:
        assert (
            len(request) <= MAX_ENTRIES and sum(entry_size(entry) for entry in request) <= MAX_REQUEST_BYTES
        )
