"""``siem backfill --queue``: AWS key layouts, filters, notification messages, batching, the rate
limit and the resumable listing (ingest/enqueue.py). Layouts are those of the AWS user guides
(CloudTrail "Finding your log files", VPC "Flow log files", Config "Delivery channel",
GuardDuty "Exporting findings"); the message shape is S3's event structure version 2.1."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.enqueue import (
    Checkpoint,
    Enqueuer,
    Filters,
    Listed,
    RateLimit,
    SendFailed,
    classify,
    notification,
)
from ingest.events import ObjectRef, parse_event
from normalizers.layouts import KeyLayout, read_key

MAY_1 = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
TRAIL = "cloudtrail/AWSLogs/o-exampleorgid/111122223333/CloudTrail/us-east-2/2024/05/01/111122223333_CloudTrail_us-east-2_20240501T1230Z_abc.json.gz"
DIGEST = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2024/05/01/111122223333_CloudTrail-Digest_us-east-2_x_20240501T1230Z.json.gz"
INSIGHTS = "AWSLogs/111122223333/CloudTrail-Insight/us-east-2/2024/05/01/111122223333_CloudTrail-Insight_us-east-2_20240501T1230Z_abc.json.gz"
FLOWS = "AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/04/30/123456789012_vpcflowlogs_eu-west-1_fl-1_20240430T2355Z_h.log.gz"
HIVE_FLOWS = "flows/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=05/day=02/x.log.parquet"
WRITABILITY = "AWSLogs/123456789012/Config/ConfigWritabilityCheckFile"
CONFIG_HISTORY = "AWSLogs/123456789012/Config/us-east-1/2024/5/1/ConfigHistory/123456789012_Config_us-east-1_ConfigHistory_AWS::EC2::Instance_20240501T000000Z_20240501T060000Z_1.json.gz"
# the member stack's Firehose stream of Security Hub findings (infra/member_stack.py)
FIREHOSE = "securityhub/AWSLogs/123456789012/firehose/eu-west-1/2024/05/01/AwsSiemFindings-1-2024-05-01-00-00-00-abc.gz"
FINDINGS = "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/9f2c0a1e-0000-4000-8000-000000000001.jsonl.gz"


def _listed(key: str, size: int = 100) -> Listed:
    return Listed(key, size, '"0123456789abcdef0123456789abcdef"', MAY_1)


@pytest.mark.parametrize(
    ("key", "layout"),
    [
        (TRAIL, KeyLayout("CloudTrail", "111122223333", "us-east-2", date(2024, 5, 1), "cloudtrail")),
        (
            DIGEST,
            KeyLayout(
                "CloudTrail-Digest",
                "111122223333",
                "us-east-2",
                date(2024, 5, 1),
                "cloudtrail",
                "CloudTrail digest file",
            ),
        ),
        (
            INSIGHTS,
            KeyLayout("CloudTrail-Insight", "111122223333", "us-east-2", date(2024, 5, 1), "cloudtrail"),
        ),
        (FLOWS, KeyLayout("vpcflowlogs", "123456789012", "eu-west-1", date(2024, 4, 30), "vpcflow")),
        (HIVE_FLOWS, KeyLayout("vpcflowlogs", "123456789012", "us-east-1", date(2024, 5, 2), "vpcflow")),
        (WRITABILITY, KeyLayout(source="config", skip="AWS Config writability check file")),
        (CONFIG_HISTORY, KeyLayout("Config", "123456789012", "us-east-1", date(2024, 5, 1), "config")),
        (FINDINGS, KeyLayout("GuardDuty", "123456789012", "us-east-1", date(2024, 5, 1), "guardduty")),
        (FIREHOSE, KeyLayout("firehose", "123456789012", "eu-west-1", date(2024, 5, 1), "securityhub")),
        ("securityhub/2024/05/01/findings-1.gz", KeyLayout()),
    ],
)
def test_aws_delivery_layouts_are_read(key: str, layout: KeyLayout) -> None:
    assert read_key(key) == layout


def test_objects_that_are_no_logs_are_skipped_with_their_reason() -> None:
    nothing = Filters()
    assert classify(_listed(WRITABILITY, size=0), nothing) == "AWS Config writability check file"
    assert classify(_listed(DIGEST), nothing) == "CloudTrail digest file"
    assert classify(
        _listed("AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/x.json.gz", 0), nothing
    ) == ("empty object")
    assert classify(_listed("AWSLogs/123456789012/CloudTrail/"), nothing) == "folder marker"
    for key in (
        TRAIL,
        INSIGHTS,
        FLOWS,
        CONFIG_HISTORY,
        HIVE_FLOWS,
        FINDINGS,
        FIREHOSE,
        "securityhub/2024/05/01/findings-1.gz",
    ):
        assert classify(_listed(key), nothing) is None, key


def test_filters_select_source_account_region_and_days() -> None:
    assert classify(_listed(FLOWS), Filters(sources=frozenset({"cloudtrail"}))) == "other source"
    assert classify(_listed(TRAIL), Filters(sources=frozenset({"cloudtrail"}))) is None
    assert classify(_listed(FIREHOSE), Filters(sources=frozenset({"securityhub"}))) is None
    assert classify(_listed(TRAIL), Filters(accounts=frozenset({"123456789012"}))) == "other account"
    assert classify(_listed(TRAIL), Filters(regions=frozenset({"us-east-1"}))) == "other region"
    may = Filters(since=date(2024, 5, 1), until=date(2024, 5, 1))
    assert classify(_listed(TRAIL), may) is None
    assert classify(_listed(FLOWS), may) == "outside dates"  # April 30th
    assert classify(_listed(HIVE_FLOWS), may) == "outside dates"  # May 2nd
    # a key outside the layouts cannot be shown to match a filter: not enqueued
    assert classify(_listed("securityhub/2024/05/01/findings-1.gz"), may) == "key outside the AWS layouts"


@pytest.mark.parametrize("key", [TRAIL, "logs/a b+c/ünïcode=1&x.json.gz", "AWSLogs/123456789012/x%41.gz"])
def test_a_message_is_an_s3_notification_the_handler_reads_back(key: str) -> None:
    body = notification("org-logs", "us-east-2", _listed(key, size=4242))
    record = json.loads(body)["Records"][0]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["eventTime"] == "2024-05-01T12:30:00.000Z"
    assert " " not in record["s3"]["object"]["key"]
    sqs_event = {"Records": [{"messageId": "m-1", "body": body, "eventSource": "aws:sqs"}]}
    (message,) = parse_event(sqs_event)
    assert message.error is None
    assert message.objects == (ObjectRef("org-logs", key, None, "0123456789abcdef0123456789abcdef", 4242),)


def test_the_rate_limit_spaces_batches_without_real_sleeping() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(20.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limit.wait_for(10)
    # 50 messages at 20 per second: the fifth batch of ten may leave 40 / 20 = 2 seconds after the start
    assert now[0] == pytest.approx(2.0)
    assert slept == pytest.approx([0.5, 0.5, 0.5, 0.5])
    unlimited = RateLimit(None, clock=lambda: 0.0, sleep=lambda seconds: pytest.fail("slept"))
    unlimited.wait_for(10)


class _Sqs:
    """Records ``SendMessageBatch`` calls; fails the calls numbered in ``down`` (1-based)."""

    def __init__(self, down: tuple[int, ...] = (), refuse: dict[int, str] | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.down = down
        self.refuse = refuse or {}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Entries)
        if len(self.calls) in self.down:
            raise ConnectionError("queue unreachable")
        if code := self.refuse.get(len(self.calls)):
            failed = [
                {"Id": e["Id"], "Code": code, "SenderFault": False, "Message": code} for e in Entries[:1]
            ]
            return {"Successful": [{"Id": e["Id"]} for e in Entries[1:]], "Failed": failed}
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}

    def keys(self) -> list[str]:
        return [
            parse_event(
                {"Records": [{"messageId": "m", "body": e["MessageBody"], "eventSource": "aws:sqs"}]}
            )[0]
            .objects[0]
            .key
            for call in self.calls
            for e in call
        ]


def _enqueuer(sqs: _Sqs, checkpoint: Checkpoint) -> Enqueuer:
    return Enqueuer(
        sqs, "https://sqs/q", "org-logs", "us-east-1", checkpoint, RateLimit(None), backoff=lambda s: None
    )


def _listing() -> list[Listed]:
    keys = [f"AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/{n:03}.json.gz" for n in range(25)]
    keys += [DIGEST.replace("111122223333", "123456789012"), WRITABILITY]
    return [_listed(key, size=0 if key == WRITABILITY else 10) for key in sorted(keys)]


def _trails() -> list[Listed]:
    return [listed for listed in _listing() if "/CloudTrail/" in listed.key][:10]


def test_objects_are_sent_ten_per_call_and_skips_are_counted(tmp_path: Path) -> None:
    sqs = _Sqs()
    checkpoint = Checkpoint(tmp_path / "c.json", "t")
    _enqueuer(sqs, checkpoint).run(_listing(), Filters())
    assert [len(call) for call in sqs.calls] == [10, 10, 5]
    assert sqs.keys() == [listed.key for listed in _listing() if "/CloudTrail/" in listed.key]
    assert checkpoint.counts == {
        "enqueued": 25,
        "skipped: AWS Config writability check file": 1,
        "skipped: CloudTrail digest file": 1,
    }
    saved = json.loads((tmp_path / "c.json").read_text())
    assert saved["last_key"] == _listing()[-1].key
    assert saved["counts"]["enqueued"] == 25


def test_a_listing_stopped_by_a_failure_resumes_after_the_last_batch_sent(tmp_path: Path) -> None:
    listing = _listing()
    first = _Sqs(down=(2,))
    with pytest.raises(ConnectionError):
        _enqueuer(first, Checkpoint(tmp_path / "c.json", "t")).run(listing, Filters())
    resumed = Checkpoint.load(tmp_path / "c.json", "t")
    assert resumed.counts["enqueued"] == 10
    second = _Sqs()
    _enqueuer(second, resumed).run([entry for entry in listing if entry.key > resumed.last_key], Filters())
    sent_once = first.keys()[:10] + second.keys()
    assert sent_once == [listed.key for listed in listing if "/CloudTrail/" in listed.key]
    assert resumed.counts["enqueued"] == 25
    with pytest.raises(ValueError, match="not of"):
        Checkpoint.load(tmp_path / "c.json", "another target")


def test_entries_sqs_refuses_are_retried_then_the_run_stops_before_them(tmp_path: Path) -> None:
    retried = _Sqs(refuse={1: "ServiceUnavailable"})
    _enqueuer(retried, Checkpoint(None, "t")).run(_trails(), Filters())
    assert [len(call) for call in retried.calls] == [10, 1]  # only the refused entry again

    refusing = _Sqs(refuse=dict.fromkeys(range(1, 10), "ServiceUnavailable"))
    checkpoint = Checkpoint(tmp_path / "c.json", "t")
    with pytest.raises(SendFailed, match="ServiceUnavailable"):
        _enqueuer(refusing, checkpoint).run(_trails(), Filters())
    assert checkpoint.last_key == "" and not (tmp_path / "c.json").exists()
