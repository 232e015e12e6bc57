"""The scheduled report's Lambda (posture/handler.py) through its entry point: the embedded
engine answering like Serverless, S3 and SNS -> SQS in moto. The event is the synthesized
schedule's input with Scheduler's time put in, and the environment the function's own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from enrichment.accounts import Account, AccountDirectory
from infra.reports import REPORT_INPUT
from opensearch_assets.templates import install_templates
from posture import handler
from posture.report import parse_period
from tests.assets.indexing import PREFIX, index_documents
from tests.posture.test_report import A, B, _documents

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
BUCKET, STATE = "siem-reports", "siem-state"
QUIET, SUSPENDED = "333333333333", "444444444444"
DIRECTORY = AccountDirectory(
    [
        Account(A, "prod-payments", ou_path="Root/Workloads/Prod", tags={"owner": "payments-team"}),
        Account(B, "prod-search", ou_path="Root/Workloads/Prod", tags={"owner": "search-team"}),
        # Nothing in the period: the active one gets its quiet report, the suspended one nothing.
        Account(QUIET, "sandbox", ou_path="Root/Sandbox", status="ACTIVE"),
        Account(SUSPENDED, "old-sandbox", ou_path="Root/Sandbox", status="SUSPENDED"),
    ]
)
# The schedule's input as Scheduler sends it (infra/reports.py), on 2 December 2026 at 06:00 UTC.
SCHEDULED = json.loads(REPORT_INPUT.replace("<aws.scheduler.scheduled-time>", "2026-12-02T06:00:00Z"))
KEYS = [
    f"reports/2026-11/{account}/{name}"
    for account in (A, B, QUIET)
    for name in (
        f"report-2026-11-{account}.html",
        f"open-findings-2026-11-{account}.csv",
        f"report-2026-11-{account}.md",
    )
]
"""Per account, in format order (html, csv, md)."""
MARKERS = [f"reports/2026-11/{account}/notified.json" for account in (A, B, QUIET)]
"""One per account whose message went out (posture/handler.py)."""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, engine: OpenSearch) -> Iterator[dict[str, Any]]:
    install_templates(engine, PREFIX)
    assert index_documents(engine, _documents()) == []
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        s3, sns, sqs = (boto3.client(kind, region_name=REGION) for kind in ("s3", "sns", "sqs"))
        for bucket in (BUCKET, STATE):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket=STATE, Key="enrichment/accounts.json", Body=DIRECTORY.to_bytes())
        topic = sns.create_topic(Name="siem-reports")["TopicArn"]
        queues = {
            name: _subscribed_queue(sns, sqs, topic, name, policy)
            for name, policy in (
                ("payments", {"owner": ["payments-team"]}),
                ("prod", {"ou_path": ["Root/Workloads/Prod"]}),
                ("sandbox", {"ou_path": ["Root/Sandbox"]}),
            )
        }
        environment = {
            "OPENSEARCH_ENDPOINT": "http://logs",
            "ALERTS_ENDPOINT": "http://alerts",
            "OPENSEARCH_AUTH": "none",
            "INDEX_PREFIX": PREFIX,
            "REPORTS_BUCKET": BUCKET,
            "REPORTS_PREFIX": "reports/",
            "REPORT_TOPIC_ARN": topic,
            "ACCOUNTS_LOCATION": f"s3://{STATE}/enrichment/accounts.json",
            "AWS_REGION": REGION,
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        # Both collections are the one embedded engine here, wrapped by the Serverless guard.
        monkeypatch.setattr(handler, "make_client", lambda settings: engine)
        yield {"s3": s3, "sqs": sqs, "queues": queues}


def _subscribed_queue(sns: Any, sqs: Any, topic: str, name: str, policy: dict[str, Any]) -> str:
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)}
    )
    return str(queue)


def _messages(aws: dict[str, Any], queue: str) -> list[dict[str, Any]]:
    answer = aws["sqs"].receive_message(QueueUrl=aws["queues"][queue], MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def _objects(s3: Any) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    return {item["Key"]: s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


def test_the_previous_month_is_written_per_account_and_each_team_told_of_its_own(
    aws: dict[str, Any],
) -> None:
    answer = handler.lambda_handler(SCHEDULED, None)

    assert answer == {
        "period": "2026-11",
        "accounts": {A: KEYS[:3], B: KEYS[3:6], QUIET: KEYS[6:]},
        "notified": 3,
        "already_notified": [],
    }
    objects = _objects(aws["s3"])
    assert sorted(objects) == sorted(KEYS + MARKERS)
    csv_a = objects[KEYS[1]].decode("utf-8-sig").splitlines()
    assert csv_a[0].startswith("account,source,severity") and len(csv_a) == 4  # A's three open findings
    assert all(line.startswith(A) for line in csv_a[1:])
    assert f"Account {A}" in objects[KEYS[0]].decode() and B not in objects[KEYS[0]].decode()
    head = aws["s3"].head_object(Bucket=BUCKET, Key=KEYS[0])
    assert head["ContentType"] == "text/html; charset=utf-8"

    [payments] = _messages(aws, "payments")
    assert payments["Subject"] == f"Security report 2026-11: prod-payments ({A})"
    attributes = payments["MessageAttributes"]
    assert attributes["account_id"] == {"Type": "String.Array", "Value": json.dumps([A])}
    assert attributes["account_name"] == {"Type": "String.Array", "Value": '["prod-payments"]'}
    assert attributes["ou_path"] == {"Type": "String.Array", "Value": '["Root/Workloads/Prod"]'}
    assert attributes["period"] == {"Type": "String", "Value": "2026-11"}
    text = payments["Message"]
    assert "Open findings at the end: 3 (high 2, medium 1)" in text
    assert "Failed controls and rules: 2 -> 2 (0)" in text and "Alerts raised: 2" in text
    assert [line[2:] for line in text.splitlines() if line.startswith("- ")] == [
        f"s3://{BUCKET}/{key}" for key in KEYS[:3]
    ]
    assert sorted(m["Subject"] for m in _messages(aws, "prod")) == [
        f"Security report 2026-11: prod-payments ({A})",
        f"Security report 2026-11: prod-search ({B})",
    ]
    [quiet] = _messages(aws, "sandbox")
    assert quiet["Subject"] == f"Security report 2026-11: sandbox ({QUIET})"
    assert "Open findings at the end: 0" in quiet["Message"]


def test_without_the_alerts_index_every_report_is_still_written_and_says_its_alerts_are_unknown(
    aws: dict[str, Any], engine: OpenSearch, caplog: pytest.LogCaptureFixture
) -> None:
    """A missing alerts index is no reason to withhold the rest of the month's report, nor a
    reason to tell a team "Alerts raised: 0": each report, the quiet account's too, says so."""
    engine.indices.delete(index=f"{PREFIX}alerts")
    answer = handler.lambda_handler(SCHEDULED, None)

    assert answer["accounts"] == {A: KEYS[:3], B: KEYS[3:6], QUIET: KEYS[6:]} and answer["notified"] == 3
    unknown = f"Alerts raised: unknown: the alerts index {PREFIX}alerts was not found"
    messages = [m["Message"] for queue in ("payments", "sandbox") for m in _messages(aws, queue)]
    assert len(messages) == 2 and all(f"\n{unknown}\n" in message for message in messages)
    objects = _objects(aws["s3"])
    assert all(f"{unknown}." in objects[key].decode() for key in KEYS[2::3])  # the Markdown of A, B, QUIET
    assert "Open findings at the end: 3 (high 2, medium 1)" in messages[0]
    assert f"alerts index {PREFIX}alerts not found" in caplog.text


def test_a_rerun_of_the_period_overwrites_the_same_keys_with_the_same_bytes(aws: dict[str, Any]) -> None:
    handler.lambda_handler(SCHEDULED, None)
    first = _objects(aws["s3"])
    handler.lambda_handler({"period": "2026-11"}, None)  # by hand, a day later
    assert _objects(aws["s3"]) == first
    versions = aws["s3"].list_object_versions(Bucket=BUCKET)["Versions"]
    assert len(versions) == 2 * len(KEYS) + len(MARKERS)  # each marker written once
    for key in KEYS:
        assert len({v["ETag"] for v in versions if v["Key"] == key}) == 1, key


def _subjects(aws: dict[str, Any]) -> list[str]:
    """The subjects every queue received, one per message and queue (sorted)."""
    return sorted(message["Subject"] for queue in aws["queues"] for message in _messages(aws, queue))


ONE_EACH = sorted(
    [
        f"Security report 2026-11: prod-payments ({A})",  # payments
        f"Security report 2026-11: prod-payments ({A})",  # prod
        f"Security report 2026-11: prod-search ({B})",  # prod
        f"Security report 2026-11: sandbox ({QUIET})",  # sandbox
    ]
)


def test_a_retry_or_a_rerun_sends_no_account_s_message_again(aws: dict[str, Any]) -> None:
    handler.lambda_handler(SCHEDULED, None)
    again = handler.lambda_handler(SCHEDULED, None)  # Scheduler's retry
    by_hand = handler.lambda_handler({"period": "2026-11"}, None)

    assert again["notified"] == by_hand["notified"] == 0
    assert again["already_notified"] == [A, B, QUIET]
    assert _subjects(aws) == ONE_EACH


def test_resend_publishes_every_message_again(aws: dict[str, Any]) -> None:
    handler.lambda_handler(SCHEDULED, None)
    assert handler.lambda_handler({"period": "2026-11", "resend": True}, None)["notified"] == 3
    assert _subjects(aws) == sorted(ONE_EACH * 2)


class _DiesAfter:
    """A client whose ``method`` raises once it has been called ``calls`` times (the run dies)."""

    def __init__(self, client: Any, method: str, calls: int, when: Any = None) -> None:
        self._client, self._method, self._left, self._when = client, method, calls, when

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self._method:
            return real

        def call(**kwargs: Any) -> Any:
            if self._when is None or self._when(kwargs):
                if self._left == 0:
                    raise RuntimeError("the function timed out")
                self._left -= 1
            return real(**kwargs)

        return call


def _run(aws: dict[str, Any], engine: OpenSearch, s3: Any = None, sns: Any = None) -> dict[str, Any]:
    settings = handler.ReportSettings.from_env()
    return handler.run_report(
        settings,
        parse_period("2026-11"),
        engine,
        engine,
        s3 or aws["s3"],
        sns or boto3.client("sns", region_name=REGION),
    )


@pytest.mark.parametrize("sent_before", [0, 1, 2])
def test_a_run_that_dies_halfway_is_finished_by_the_retry_each_account_told_once(
    aws: dict[str, Any], engine: OpenSearch, sent_before: int
) -> None:
    sns = _DiesAfter(boto3.client("sns", region_name=REGION), "publish", sent_before)
    with pytest.raises(RuntimeError):
        _run(aws, engine, sns=sns)
    retry = _run(aws, engine)

    assert retry["already_notified"] == [A, B, QUIET][:sent_before]
    assert retry["notified"] == 3 - sent_before
    assert _subjects(aws) == ONE_EACH


def test_the_one_duplicate_window_is_a_death_between_the_publish_and_its_marker(
    aws: dict[str, Any], engine: OpenSearch
) -> None:
    # B's message goes out, then the run dies writing B's marker: the retry sends B's again.
    s3 = _DiesAfter(aws["s3"], "put_object", 0, when=lambda call: call["Key"] == MARKERS[1])
    with pytest.raises(RuntimeError):
        _run(aws, engine, s3=s3)
    assert _run(aws, engine)["notified"] == 2  # B and the quiet account
    assert _subjects(aws) == sorted([*ONE_EACH, f"Security report 2026-11: prod-search ({B})"])


@pytest.mark.parametrize(
    ("event", "period"),
    [
        ({"scheduled_time": "2026-12-02T06:00:00Z"}, "2026-11"),
        ({"scheduled_time": "2027-01-02T06:00:00Z"}, "2026-12"),  # across the year
        ({"scheduled_time": "2026-03-01T00:30:00+01:00"}, "2026-01"),  # still February in UTC
        ({"period": "2025-07", "scheduled_time": "2026-12-02T06:00:00Z"}, "2025-07"),
        ({}, "2029-12"),  # invoked by hand without a period: the month before now
    ],
)
def test_the_period_is_the_full_month_before_the_schedule_s_time(event: dict[str, str], period: str) -> None:
    assert handler.report_period(event, datetime(2030, 1, 1, tzinfo=UTC)) == parse_period(period)


def test_a_marker_another_run_wrote_is_kept(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key=MARKERS[0], Body=b'{"message_id": "first"}')
    handler._mark_notified(aws["s3"], BUCKET, MARKERS[0], {"MessageId": "second"}, resend=False)
    assert _objects(aws["s3"])[MARKERS[0]] == b'{"message_id": "first"}'
