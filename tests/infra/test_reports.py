"""The scheduled monthly report in the synthesized stack: its schedule, bucket, topic, and a
role that may do exactly what posture/handler.py does (tests/posture/test_report_handler.py
runs the handler on the schedule's input)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import Config, ConfigError
from infra.reports import REPORT_HANDLER, REPORT_INPUT
from tests.infra.cfn import as_list, by_name, policy_document, render, resources, statements
from tests.infra.conftest import ORG_ID, ORG_TRAIL

pytestmark = pytest.mark.slow


def _named(template: dict[str, Any], kind: str, prefix: str) -> str:
    [found] = [name for name in resources(template, kind) if name.startswith(prefix)]
    return found


def _function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [found] = [
        (name, res)
        for name, res in resources(template, "AWS::Lambda::Function").items()
        if res["Properties"].get("Handler") == REPORT_HANDLER
    ]
    return found


def test_the_schedule_invokes_the_report_function_monthly_with_its_time(central: dict[str, Any]) -> None:
    name, _ = _function(central)
    [schedule] = [
        s["Properties"]
        for s in resources(central, "AWS::Scheduler::Schedule").values()
        if render(s["Properties"]["Target"]["Arn"]) == f"<{name}.Arn>"
    ]
    assert schedule["ScheduleExpression"] == "cron(0 6 2 * ? *)"
    assert json.loads(schedule["Target"]["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert schedule["Target"]["Input"] == REPORT_INPUT
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1


def test_the_schedule_comes_from_the_context() -> None:
    base = {"organizationId": ORG_ID, "organizationTrailArn": ORG_TRAIL}
    config = Config.from_context({**base, "reportSchedule": "cron(30 7 1 * ? *)"}.get)
    assert config.report_schedule == "cron(30 7 1 * ? *)"
    assert (
        Config.from_context({**base, "reportSchedule": "rate(7 days)"}.get).report_schedule == "rate(7 days)"
    )
    for bad in ("monthly", "cron(0 6 2 * ?)", "rate(0 days)"):
        with pytest.raises(ConfigError) as raised:
            Config.from_context({**base, "reportSchedule": bad}.get)
        assert any(problem.startswith("reportSchedule=") for problem in raised.value.problems)


def test_the_reports_bucket_is_private_encrypted_ssl_only_and_versioned(central: dict[str, Any]) -> None:
    bucket_id = _named(central, "AWS::S3::Bucket", "ReportsBucket")
    props = central["Resources"][bucket_id]["Properties"]
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    [lifecycle] = props["LifecycleConfiguration"]["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(central, "AWS::S3::BucketPolicy").values()
        if render(p["Properties"]["Bucket"]) == f"<{bucket_id}>"
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy
    )


def test_the_report_topic_is_its_own_encrypted_and_ssl_only(central: dict[str, Any]) -> None:
    topic_id = _named(central, "AWS::SNS::Topic", "ReportsTopic")
    key_id = _named(central, "AWS::KMS::Key", "ReportsKey")
    assert render(central["Resources"][topic_id]["Properties"]["KmsMasterKeyId"]) == f"<{key_id}.Arn>"
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(central, "AWS::SNS::TopicPolicy").values()
        if [render(t) for t in p["Properties"]["Topics"]] == [f"<{topic_id}>"]
    ]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s["Condition"]) for s in policy)


def test_the_function_s_environment_names_its_bucket_topic_and_collections(central: dict[str, Any]) -> None:
    _, function = _function(central)
    environment = {k: render(v) for k, v in function["Properties"]["Environment"]["Variables"].items()}
    assert environment["REPORTS_BUCKET"] == f"<{_named(central, 'AWS::S3::Bucket', 'ReportsBucket')}>"
    assert environment["REPORT_TOPIC_ARN"] == f"<{_named(central, 'AWS::SNS::Topic', 'ReportsTopic')}>"
    assert environment["REPORTS_PREFIX"] == "reports/" and environment["INDEX_PREFIX"] == "siem-"
    assert environment["ACCOUNTS_LOCATION"].endswith("/enrichment/accounts.json")
    assert environment["OPENSEARCH_ENDPOINT"].endswith(".CollectionEndpoint>")
    assert environment["ALERTS_ENDPOINT"].endswith(".CollectionEndpoint>")
    assert environment["ALERTS_ENDPOINT"] != environment["OPENSEARCH_ENDPOINT"]
    assert environment["DASHBOARDS_URL"].endswith(".DashboardEndpoint>")
    assert function["Properties"]["ReservedConcurrentExecutions"] == 1


def test_the_role_may_do_what_the_handler_does_and_nothing_else(central: dict[str, Any]) -> None:
    _, function = _function(central)
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    granted = {
        (action, render(resource))
        for statement in statements(central, role)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    bucket = _named(central, "AWS::S3::Bucket", "ReportsBucket")
    state = _named(central, "AWS::S3::Bucket", "AccountsStateBucket")
    topic = _named(central, "AWS::SNS::Topic", "ReportsTopic")
    key = _named(central, "AWS::KMS::Key", "ReportsKey")
    logs = {(a, r) for a, r in granted if a.startswith("logs:")}
    assert logs and all("ReportLogs" in r for _, r in logs)
    assert granted - logs == {
        ("s3:PutObject", f"<{bucket}.Arn>/reports/*"),
        ("s3:ListBucket", f"<{bucket}.Arn>"),
        ("s3:GetObject", f"<{state}.Arn>/enrichment/accounts.json"),
        ("sns:Publish", f"<{topic}>"),
        ("kms:GenerateDataKey", f"<{key}.Arn>"),
        ("kms:Decrypt", f"<{key}.Arn>"),
        *(
            ("aoss:APIAccessAll", f"<{name}.Arn>")
            for name, c in resources(central, "AWS::OpenSearchServerless::Collection").items()
        ),
    }


def test_the_role_lists_the_reports_prefix_only(central: dict[str, Any]) -> None:
    # The handler lists a period's keys to find the accounts already told (their markers).
    _, function = _function(central)
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    [listing] = [s for s in statements(central, role) if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["reports/*"]}}


def test_the_data_access_policy_reads_the_report_s_indices_only(central: dict[str, Any]) -> None:
    _, function = _function(central)
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    [rule] = policy_document(by_name(central, "AWS::OpenSearchServerless::AccessPolicy", "siem-reports"))
    assert rule["Principal"] == [f"<{role}.Arn>"]
    assert [(r["ResourceType"], r["Resource"], r["Permission"]) for r in rule["Rules"]] == [
        (
            "index",
            [f"index/siem-logs/siem-{source}*" for source in ("securityhub", "guardduty", "config")],
            ["aoss:ReadDocument", "aoss:DescribeIndex"],
        ),
        ("index", ["index/siem-alerts/siem-alerts"], ["aoss:ReadDocument", "aoss:DescribeIndex"]),
    ]
