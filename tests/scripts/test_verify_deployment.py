"""scripts/verify_deployment.py: its AWS reads and triggers against botocore's Stubber (requests
and answers validated against each service's model), and its searches against the embedded
engine through the Serverless guard, on documents made by the real normalizers and an alert
made by the real detection runner."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from detections.checkpoints import MemoryCheckpoints
from detections.rules import RULES_DIR, load_rules
from detections.runner import RunSettings, run
from detections.windows import iso
from ingest.serverless_guard import ServerlessGuard
from normalizers import Origin, normalize_object
from opensearch_assets.templates import install_templates
from scripts import verify_deployment as verify
from tests.scripts.stubs import Clients, stubbed_clients

REGION = "eu-west-1"
ACCOUNT = "111111111111"
ORG = "o-a1b2c3d4e5"
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
BUCKET = "central-logs"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/PlatformAdmin/alice"
LOGS = "https://logs0123.eu-west-1.aoss.amazonaws.com"
ALERTS = "https://alerts0123.eu-west-1.aoss.amazonaws.com"
QUEUE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/AwsSiem-IngestQueue-abc"
DLQ = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/AwsSiem-IngestDeadLetterQueue-def"
ALARMS = [f"AwsSiem-Alarms{name}1A2B3C4D-XYZ" for name in ("QueueAge", "DeadLetterDepth", "IngestErrors")]
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
SAMPLE_IDS = ["a" * 32, "b" * 32]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with stubbed_clients() as found:
        yield found


def stack(clients: Clients) -> None:
    cloudformation = clients.stub("cloudformation", REGION)
    outputs = {
        "LogBucketName": BUCKET,
        "LogsCollectionEndpoint": LOGS,
        "AlertsCollectionEndpoint": ALERTS,
        "DashboardsUrl": f"{LOGS}/_dashboards",
        "IngestQueueUrl": QUEUE,
        "AlertTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:AwsSiem-AlertsTopic",
    }
    cloudformation.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "AwsSiem",
                    "CreationTime": NOW,
                    "StackStatus": "UPDATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                }
            ]
        },
        {"StackName": "AwsSiem"},
    )
    summaries = [(name, "AWS::CloudWatch::Alarm") for name in ALARMS] + [
        (QUEUE, "AWS::SQS::Queue"),
        (DLQ, "AWS::SQS::Queue"),
    ]
    cloudformation.add_response(
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": f"R{i}",
                    "PhysicalResourceId": physical,
                    "ResourceType": kind,
                    "LastUpdatedTimestamp": NOW,
                    "ResourceStatus": "UPDATE_COMPLETE",
                }
                for i, (physical, kind) in enumerate(summaries)
            ]
        },
        {"StackName": "AwsSiem"},
    )
    clients.stub("sts", REGION).add_response(
        "get_caller_identity", {"UserId": "AROA:alice", "Account": ACCOUNT, "Arn": CALLER}, {}
    )
    clients.stub("organizations", REGION).add_response(
        "describe_organization", {"Organization": {"Id": ORG, "MasterAccountId": "222222222222"}}, {}
    )


def health(
    clients: Clients,
    *,
    firing: str | None = None,
    confirmed: bool = True,
    parked: int = 0,
    trail_age: int | None = 4,
    flow_age: int | None = 2,
) -> None:
    """One round of the read-only checks' answers."""
    clients.stub("cloudwatch", REGION).add_response(
        "describe_alarms",
        {
            "MetricAlarms": [
                {"AlarmName": name, "StateValue": "ALARM" if firing and firing in name else "OK"}
                for name in ALARMS
            ]
        },
        {"AlarmNames": ALARMS},
    )
    clients.stub("sns", REGION).add_response(
        "list_subscriptions_by_topic",
        {
            "Subscriptions": [
                {
                    "SubscriptionArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:AwsSiem-AlertsTopic:1"
                    if confirmed
                    else "PendingConfirmation",
                    "Protocol": "email",
                    "Endpoint": "soc@example.com",
                }
            ]
        },
        {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:AwsSiem-AlertsTopic"},
    )
    clients.stub("sqs", REGION).add_response(
        "get_queue_attributes",
        {"Attributes": {"ApproximateNumberOfMessages": str(parked)}},
        {"QueueUrl": DLQ, "AttributeNames": ["ApproximateNumberOfMessages"]},
    )
    listing(clients, f"cloudtrail/AWSLogs/{ORG}/{ACCOUNT}/CloudTrail/{REGION}/", trail_age, "trail.json.gz")
    listing(clients, f"vpcflow/AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/", flow_age, "flows.log.gz")


def listing(clients: Clients, base: str, age: int | None, name: str) -> None:
    s3 = clients.stub("s3", REGION)
    for day in (NOW, NOW - timedelta(days=1)):
        prefix = f"{base}{day:%Y/%m/%d}/"
        contents = (
            [{"Key": f"{prefix}{name}", "LastModified": NOW - timedelta(minutes=age), "Size": 100}]
            if age is not None and day == NOW
            else []
        )
        s3.add_response(
            "list_objects_v2",
            {"Contents": contents, "KeyCount": len(contents)},
            {"Bucket": BUCKET, "Prefix": prefix},
        )


class FakeSearch:
    """Answers by index, like the collections would; records the requests."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    def __call__(self, endpoint: str, index: str, body: dict[str, Any]) -> dict[str, Any]:
        self.requests.append((endpoint, index, body))
        answer = self.answers[index]
        if isinstance(answer, verify.SearchError):
            raise answer
        return dict(answer(body) if callable(answer) else answer)


def counted(n: int) -> dict[str, Any]:
    return {"hits": {"total": {"value": n, "relation": "eq"}, "hits": []}}


class Clock:
    """Time stands still except while the script sleeps."""

    def __init__(self) -> None:
        self.current = NOW
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=seconds)


def main(clients: Clients, search: FakeSearch, *argv: str, clock: Clock | None = None) -> int:
    clock = clock or Clock()
    return verify.main(["--region", REGION, *argv], clients, search=search, sleep=clock.sleep, now=clock.now)


def test_a_healthy_deployment_passes(clients: Clients, capsys: pytest.CaptureFixture[str]) -> None:
    stack(clients)
    health(clients)
    search = FakeSearch({"siem-cloudtrail": counted(1200), "siem-vpcflow": counted(56000)})
    assert main(clients, search) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "PASS  stack AwsSiem: UPDATE_COMPLETE, outputs present"
    assert "PASS  alarms: 3 alarms, none in ALARM" in out
    assert "PASS  dead-letter queue: empty" in out
    assert any(
        line.startswith("PASS  CloudTrail delivery: newest object 4 min old: cloudtrail/AWSLogs/")
        for line in out
    )
    assert "PASS  documents in siem-vpcflow: 56000 ingested since 09:00Z" in out
    assert out[-1] == "8 passed, 0 failed, 0 waiting"
    assert {(endpoint, index) for endpoint, index, _ in search.requests} == {
        (LOGS, "siem-cloudtrail"),
        (LOGS, "siem-vpcflow"),
    }


def test_what_is_wrong_is_named_with_its_runbook(
    clients: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    stack(clients)
    health(clients, firing="DeadLetterDepth", confirmed=False, parked=3, trail_age=None)
    search = FakeSearch(
        {
            "siem-cloudtrail": verify.SearchError(403, '{"status":403,"message":"Forbidden"}'),
            "siem-vpcflow": verify.SearchError(404, "index_not_found_exception"),
        }
    )
    assert main(clients, search) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL  alarm AwsSiem-AlarmsDeadLetterDepth1A2B3C4D-XYZ: ALARM since ?: see docs/runbooks.md (#deadletterdepth)"
        in out
    )
    assert "FAIL  alert topic: no confirmed subscription (1 pending): confirm the e-mail" in out
    assert "FAIL  dead-letter queue: 3 notifications parked: see docs/runbooks.md (#deadletterdepth)" in out
    assert (
        "WAIT  CloudTrail delivery: no object since 09:00Z under s3://central-logs/cloudtrail/AWSLogs/" in out
    )
    assert "FAIL  documents in siem-cloudtrail: 403: " in out and f"does not name {CALLER}" in out
    assert "WAIT  documents in siem-vpcflow: the index does not exist yet" in out


def test_trigger_waits_until_the_findings_and_the_alert_arrive(
    clients: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    stack(clients)
    clients.stub("sts", REGION).add_response(
        "get_caller_identity", {"UserId": "AROA:alice", "Account": ACCOUNT, "Arn": CALLER}, {}
    )
    guardduty = clients.stub("guardduty", REGION)
    guardduty.add_response("list_detectors", {"DetectorIds": [DETECTOR]}, {})
    guardduty.add_response(
        "create_sample_findings", {}, {"DetectorId": DETECTOR, "FindingTypes": list(verify.SAMPLE_TYPES)}
    )
    clients.stub("ssm", REGION).add_client_error(
        "get_parameter",
        service_error_code="ParameterNotFound",
        expected_params={"Name": "/aws-siem/verification"},
    )
    criteria = {
        "Criterion": {
            "type": {"Eq": list(verify.SAMPLE_TYPES)},
            "updatedAt": {"GreaterThanOrEqual": int(NOW.timestamp() * 1000)},
        }
    }
    for round_ in (1, 2):
        health(clients)
        guardduty.add_response(
            "list_findings", {"FindingIds": SAMPLE_IDS}, {"DetectorId": DETECTOR, "FindingCriteria": criteria}
        )
        listing(
            clients,
            f"guardduty/AWSLogs/{ACCOUNT}/GuardDuty/{REGION}/",
            None if round_ == 1 else 0,
            "f.jsonl.gz",
        )
    rounds = iter([0, 2])
    found = iter(
        [
            [],
            [
                {
                    "_source": {
                        "alert": {"id": "siem-deployment-verification-1", "dedup_key": ""},
                        "related": {"user": [CALLER]},
                    }
                }
            ],
        ]
    )
    findings = iter([[], [{"_source": {"aws": {"guardduty": {"id": i}}}} for i in SAMPLE_IDS]])
    search = FakeSearch(
        {
            "siem-cloudtrail": counted(5),
            "siem-vpcflow": counted(5),
            "siem-guardduty": lambda body: {
                "hits": {"total": {"value": next(rounds)}, "hits": next(findings)}
            },
            "siem-alerts": lambda body: {"hits": {"total": {"value": 1}, "hits": next(found)}},
        }
    )
    clock = Clock()
    assert main(clients, search, "--trigger", "--wait", "45", clock=clock) == 0
    assert clock.sleeps == [60]
    out = capsys.readouterr().out
    assert "PASS  GuardDuty export: newest object 1 min old: guardduty/AWSLogs/111111111111/GuardDuty/" in out
    assert f"PASS  sample findings in siem-guardduty: 2 of 2 indexed; try: siem investigate {'a' * 32}" in out
    assert (
        f"PASS  alert siem-deployment-verification: alert siem-deployment-verification-1 for {CALLER}" in out
    )
    [(_, _, query)] = [r for r in search.requests if r[1] == "siem-alerts"][:1]
    assert query["query"]["bool"]["filter"][0] == {"term": {"rule.id": "siem-deployment-verification"}}


def test_a_missing_stack_prints_one_line(clients: Clients, capsys: pytest.CaptureFixture[str]) -> None:
    clients.stub("cloudformation", REGION).add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id AwsSiem does not exist",
    )
    assert main(clients, FakeSearch({})) == 2
    assert capsys.readouterr().err == (
        "verify_deployment.py: An error occurred (ValidationError) when calling the DescribeStacks operation: "
        "Stack with id AwsSiem does not exist\n"
    )


# -- the searches, on the engine ----------------------------------------------------------------


@pytest.fixture
def through_the_guard(
    monkeypatch: pytest.MonkeyPatch, serverless_guard: ServerlessGuard
) -> list[dict[str, str]]:
    """SignedSearch's requests go to the engine after the guard checked them; their headers are kept."""
    seen: list[dict[str, str]] = []
    real = urllib.request.urlopen

    def urlopen(request: urllib.request.Request, timeout: float) -> Any:
        seen.append({k.lower(): v for k, v in request.header_items()})
        serverless_guard.check(request.get_method(), request.full_url, None, request.data)
        return real(request, timeout=timeout)

    monkeypatch.setattr(verify.urllib.request, "urlopen", urlopen)
    return seen


def index(client: OpenSearch, source: str, raw: bytes, ingested: datetime) -> None:
    documents = list(normalize_object(io.BytesIO(raw), Origin(object="test", ingested=iso(ingested)), source))
    body: list[Any] = []
    for document in documents:
        body += [{"create": {"_index": f"siem-{source}"}}, document]
    assert not client.bulk(body=body)["errors"]


@pytest.mark.integration
def test_the_searches_find_what_the_pipeline_writes(
    engine: OpenSearch,
    engine_url: str,
    through_the_guard: list[dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_templates(engine, "siem-")
    session = ct.role_session(
        account=ACCOUNT, role="PlatformAdmin", session="alice", created=NOW - timedelta(hours=1)
    )
    marker_read = ct.api_call(
        ct.assumed_role(session),
        event_name="GetParameter",
        event_source="ssm.amazonaws.com",
        time=NOW - timedelta(minutes=12),
        region=REGION,
        request={"name": verify.VERIFICATION_PARAMETER},
        error_code="ParameterNotFound",
        event_id="5e5c0c6e-0000-4000-8000-000000000001",
    )
    index(engine, "cloudtrail", json.dumps({"Records": [marker_read]}).encode(), NOW - timedelta(minutes=5))
    samples = [
        gd.finding(
            gd.FindingSpec(type=kind, id=finding_id, sample=True, account=ACCOUNT, region=REGION, created=NOW)
        )
        for kind, finding_id in zip(verify.SAMPLE_TYPES, SAMPLE_IDS, strict=True)
    ]
    index(engine, "guardduty", gd.export_lines(samples), NOW - timedelta(minutes=4))
    [rule] = [r for r in load_rules([RULES_DIR]) if r.id == verify.ALERT_RULE]
    report = run(
        engine,
        engine,
        [rule],
        NOW,
        MemoryCheckpoints(),
        settings=RunSettings(prefix="siem-", alerts_index="siem-alerts"),
    )
    assert report.to_dict()["created"] == 1

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    search = verify.SignedSearch(verify.boto3.Session(region_name=REGION), REGION)
    since = NOW - timedelta(minutes=30)
    assert verify.freshness_check(search, engine_url, "siem-cloudtrail", since, CALLER).status == "PASS"
    assert verify.freshness_check(search, engine_url, "siem-cloudtrail", NOW, CALLER).status == "WAIT"
    assert verify.freshness_check(search, engine_url, "siem-vpcflow", since, CALLER).status == "WAIT"
    findings = verify.findings_check(search, engine_url, "siem-guardduty", SAMPLE_IDS, CALLER)
    assert findings.status == "PASS", findings
    missing = verify.findings_check(search, engine_url, "siem-guardduty", [*SAMPLE_IDS, "c" * 32], CALLER)
    assert missing == verify.Check("sample findings in siem-guardduty", "WAIT", "2 of 3 indexed")
    alert = verify.alert_check(search, engine_url, "siem-alerts", CALLER, NOW - timedelta(hours=1))
    assert alert.status == "PASS", alert
    other = verify.alert_check(search, engine_url, "siem-alerts", "arn:aws:iam::111111111111:user/bob", since)
    assert other.status == "WAIT"
    # Every request was signed for OpenSearch Serverless, with the payload hash it requires.
    assert through_the_guard and all(
        "/aoss/aws4_request" in headers["authorization"] and len(headers["x-amz-content-sha256"]) == 64
        for headers in through_the_guard
    )
