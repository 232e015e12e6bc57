"""Every account-level control the samples hold is answered by the calls that change what it
checks: the real sample finding (../shared/samples/securityhub/asr-simtest) and a CloudTrail
record of one of those calls, built from the real StopLogging record of Stratus Red Team's
cloudtrail-stop detonation (../shared/samples/cloudtrail/stratus-red-team) with only its call,
parameters, time and account changed. The same event name in another service and the same call
in another account are not the control's."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import orjson
import pytest

from investigation import investigate
from investigation.controls import ACCOUNT_CONTROL_CALLS
from tests.investigation.conftest import Siem

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"

# CloudTrail eventSource -> the botocore models of its operations. CloudTrail logs S3 Control's
# account-level PutPublicAccessBlock / DeletePublicAccessBlock under s3.amazonaws.com with the
# names PutAccountPublicAccessBlock / DeleteAccountPublicAccessBlock (docs/detections.md's
# s3-public-access-block-disabled rule); every other name is the operation's own.
_MODELS = {
    "iam.amazonaws.com": ("iam",),
    "cloudtrail.amazonaws.com": ("cloudtrail",),
    "logs.amazonaws.com": ("logs",),
    "monitoring.amazonaws.com": ("cloudwatch",),
    "sns.amazonaws.com": ("sns",),
    "ec2.amazonaws.com": ("ec2",),
    "autoscaling.amazonaws.com": ("autoscaling",),
    "guardduty.amazonaws.com": ("guardduty",),
    "config.amazonaws.com": ("config",),
    "s3.amazonaws.com": ("s3", "s3control"),
    "securityhub.amazonaws.com": ("securityhub",),
    "macie2.amazonaws.com": ("macie2",),
}
_CLOUDTRAIL_NAMES = {
    "PutAccountPublicAccessBlock": "PutPublicAccessBlock",
    "DeleteAccountPublicAccessBlock": "DeletePublicAccessBlock",
}


def test_every_call_is_an_operation_of_its_service() -> None:
    session = botocore.session.get_session()
    for control, calls in ACCOUNT_CONTROL_CALLS.items():
        for source, names in calls.items():
            operations = {
                name for model in _MODELS[source] for name in session.get_service_model(model).operation_names
            }
            unknown = [name for name in names if _CLOUDTRAIL_NAMES.get(name, name) not in operations]
            assert not unknown, f"{control}: {source} has no {unknown}"


_ALARM = "cis-alarm"
_GROUP = "aws-cloudtrail-logs-111111111111"
_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:cis-alarms"
_TRAIL = "management-events"

# sample file -> (the security control it stands for, the call, its requestParameters: the
# operation's input members in CloudTrail's lowerCamelCase).
CASES: dict[str, tuple[str, str, str, dict[str, Any] | None]] = {
    "cis-31.json": (
        "CloudWatch.2",
        "logs.amazonaws.com",
        "PutMetricFilter",
        {
            "logGroupName": _GROUP,
            "filterName": "unauthorized-api-calls",
            "filterPattern": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
            "metricTransformations": [
                {"metricName": "UnauthorizedAPICalls", "metricNamespace": "CIS", "metricValue": "1"}
            ],
        },
    ),
    "cis32.json": ("CloudWatch.3", "monitoring.amazonaws.com", "DeleteAlarms", {"alarmNames": [_ALARM]}),
    "cis-34.json": (
        "CloudWatch.4",
        "sns.amazonaws.com",
        "Unsubscribe",
        {"subscriptionArn": f"{_TOPIC}:0b6941c3-f4a5-4d4c-a0d6-1d0a5b1e2f3a"},
    ),
    "cis-35.json": ("CloudWatch.5", "cloudtrail.amazonaws.com", "StopLogging", {"name": _TRAIL}),
    "cis-36.json": (
        "CloudWatch.6",
        "monitoring.amazonaws.com",
        "DisableAlarmActions",
        {"alarmNames": [_ALARM]},
    ),
    "cis-37.json": (
        "CloudWatch.7",
        "logs.amazonaws.com",
        "DeleteMetricFilter",
        {"logGroupName": _GROUP, "filterName": "cmk-deletion"},
    ),
    "cis-38.json": ("CloudWatch.8", "sns.amazonaws.com", "DeleteTopic", {"topicArn": _TOPIC}),
    "cis-39.json": (
        "CloudWatch.9",
        "cloudtrail.amazonaws.com",
        "UpdateTrail",
        {"name": _TRAIL, "cloudWatchLogsLogGroupArn": "", "cloudWatchLogsRoleArn": ""},
    ),
    "cis-310.json": (
        "CloudWatch.10",
        "monitoring.amazonaws.com",
        "PutMetricAlarm",
        {
            "alarmName": _ALARM,
            "metricName": "SecurityGroupChanges",
            "namespace": "CIS",
            "statistic": "Sum",
            "period": 300,
            "threshold": 1.0,
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            "evaluationPeriods": 1,
            "alarmActions": [],
        },
    ),
    "cis-311.json": (
        "CloudWatch.11",
        "sns.amazonaws.com",
        "SetTopicAttributes",
        {"topicArn": _TOPIC, "attributeName": "Policy", "attributeValue": "{}"},
    ),
    "cis-312.json": ("CloudWatch.12", "logs.amazonaws.com", "DeleteLogGroup", {"logGroupName": _GROUP}),
    "cis-313.json": ("CloudWatch.13", "cloudtrail.amazonaws.com", "DeleteTrail", {"name": _TRAIL}),
    "cis-314.json": (
        "CloudWatch.14",
        "cloudtrail.amazonaws.com",
        "PutEventSelectors",
        {
            "trailName": _TRAIL,
            "eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": True}],
        },
    ),
    "afsbp-ec2.1.json": (
        "EC2.1",
        "ec2.amazonaws.com",
        "ModifySnapshotAttribute",
        {
            "snapshotId": "snap-0a1b2c3d4e5f60718",
            "attributeType": "CREATE_VOLUME_PERMISSION",
            "createVolumePermission": {"add": {"items": [{"group": "all"}]}},
        },
    ),
    "pci-ec2.1.json": ("EC2.1", "ec2.amazonaws.com", "DisableSnapshotBlockPublicAccess", None),
    "pci-autoscaling.1.json": (
        "AutoScaling.1",
        "autoscaling.amazonaws.com",
        "UpdateAutoScalingGroup",
        {"autoScalingGroupName": "web", "healthCheckType": "EC2"},
    ),
}


def _finding(shared_dir: Path, name: str) -> dict[str, Any]:
    finding: dict[str, Any] = orjson.loads(
        (shared_dir / "samples/securityhub/asr-simtest" / name).read_bytes()
    )
    assert finding["Resources"][0]["Id"] == f"AWS::::Account:{ACCOUNT}"
    return finding


def _stop_logging(shared_dir: Path) -> dict[str, Any]:
    records = orjson.loads(
        (
            shared_dir / "samples/cloudtrail/stratus-red-team/aws.defense-evasion.cloudtrail-stop.json"
        ).read_bytes()
    )
    return next(record for record in records if record["eventName"] == "StopLogging")


def _call(
    base: dict[str, Any],
    source: str,
    name: str,
    parameters: dict[str, Any] | None,
    time: str,
    account: str = ACCOUNT,
    event_id: str = "0b6c1e7e-3a9d-4c55-9d3e-6a1f00000001",
) -> dict[str, Any]:
    """``base`` (a real record) making another call, in ``account``, at ``time``."""
    record = copy.deepcopy(base)
    record.update(
        eventSource=source,
        eventName=name,
        requestParameters=parameters,
        eventTime=time,
        eventID=event_id,
        recipientAccountId=account,
    )
    region = record["awsRegion"]
    record["tlsDetails"]["clientProvidedHostHeader"] = f"{source.split('.')[0]}.{region}.amazonaws.com"
    identity = record["userIdentity"]
    identity["accountId"] = account
    identity["arn"] = f"arn:aws:iam::{account}:user/{identity['userName']}"
    return record


def _cloudtrail_time(text: str) -> str:
    """An ASFF time (``2021-07-21T08:21:47.096Z``) as CloudTrail writes one (seconds)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(CASES))
def test_an_account_control_finds_the_call_that_changed_what_it_checks(
    siem: Siem, shared_dir: Path, name: str
) -> None:
    control, source, action, parameters = CASES[name]
    finding = _finding(shared_dir, name)
    base = _stop_logging(shared_dir)
    time = _cloudtrail_time(finding["LastObservedAt"])
    changed = _call(base, source, action, parameters, time)
    elsewhere = _call(
        base, source, action, parameters, time, OTHER_ACCOUNT, "0b6c1e7e-3a9d-4c55-9d3e-6a1f00000002"
    )
    # CodeStar Notifications' Unsubscribe: an SNS event name, another service's call.
    same_name = _call(
        base,
        "codestar-notifications.amazonaws.com",
        "Unsubscribe",
        {
            "arn": f"arn:aws:codestar-notifications:us-east-1:{ACCOUNT}:notificationrule/1a2b3c",
            "targetAddress": _TOPIC,
        },
        time,
        event_id="0b6c1e7e-3a9d-4c55-9d3e-6a1f00000003",
    )
    siem.cloudtrail([changed, elsewhere, same_name])
    siem.securityhub([finding])

    report = investigate(siem.client, finding["Id"]).to_dict()

    assert report["finding"]["mode"] == "account"
    assert report["finding"]["control"] == control
    assert [(a["provider"], a["action"], a["count"]) for a in report["what"]["actions"]] == [
        (source, action, 1)
    ]
    assert [change["event_id"] for change in report["what"]["changes"]] == [changed["eventID"]]
    assert report["who"]["chain"][0]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/christophe"


@pytest.mark.integration
def test_the_root_usage_alarm_control_finds_the_root_user_and_the_change_to_its_alarm(
    siem: Siem, shared_dir: Path
) -> None:
    # CloudWatch.1 (CIS 3.3) is answered by both: what the root user did, and the calls that
    # change its metric filter, alarm, topic or trail (CloudWatch.2-14's).
    finding = _finding(shared_dir, "cis-33.json")
    time = _cloudtrail_time(finding["LastObservedAt"])
    deleted = _call(
        _stop_logging(shared_dir), "monitoring.amazonaws.com", "DeleteAlarms", {"alarmNames": [_ALARM]}, time
    )
    root = _call(
        _stop_logging(shared_dir),
        "s3.amazonaws.com",
        "ListBuckets",
        None,
        time,
        event_id="0b6c1e7e-3a9d-4c55-9d3e-6a1f00000004",
    )
    # The root user's userIdentity: type `Root` (cloudtrail-event-reference-user-identity.md);
    # principalId and arn as demo.records.cloudtrail.root writes them.
    root["userIdentity"] = {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
    }
    root["readOnly"] = True
    elsewhere = _call(
        _stop_logging(shared_dir),
        "monitoring.amazonaws.com",
        "DeleteAlarms",
        {"alarmNames": [_ALARM]},
        time,
        OTHER_ACCOUNT,
        "0b6c1e7e-3a9d-4c55-9d3e-6a1f00000002",
    )
    siem.cloudtrail([deleted, root, elsewhere])
    siem.securityhub([finding])

    report = investigate(siem.client, finding["Id"]).to_dict()

    assert report["finding"]["control"] == "CloudWatch.1"
    assert sorted((a["provider"], a["action"]) for a in report["what"]["actions"]) == [
        ("monitoring.amazonaws.com", "DeleteAlarms"),
        ("s3.amazonaws.com", "ListBuckets"),
    ]
    assert [change["event_id"] for change in report["what"]["changes"]] == [deleted["eventID"]]
    assert report["who"]["chain"][0]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/christophe"
    assert sorted(identity["type"] for identity in report["who"]["identities"]) == ["IAMUser", "Root"]
    assert report["who"]["summary"].startswith(
        "2 identities acted as the root user or changed the setting this control checks; "
        f"the newest change was made by arn:aws:iam::{ACCOUNT}:user/christophe"
    )
