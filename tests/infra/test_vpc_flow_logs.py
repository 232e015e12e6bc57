"""The VPC Flow Logs stack (infra/vpc_flow_logs.py) and its inline function.

The function's EC2 calls are checked with botocore's Stubber, which validates every request
against EC2's service model; the expected requests are written from the EC2 API reference
(CreateFlowLogs, DescribeFlowLogs, DescribeVpcs, DeleteFlowLogs) and the trust model's
flow log path (docs/deploy.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra import vpc_flow_logs_handler as handler
from infra.functions import INLINE_CODE_LIMIT
from infra.vpc_flow_logs import CLOUDTRAIL_EVENTS, HANDLER_SOURCE
from tests.infra.cfn import only, render, resources

BUCKET = "central-logs"
DESTINATION = f"arn:aws:s3:::{BUCKET}/vpcflow/"
TAG = {"Key": "siem:managed-by", "Value": "siem-vpc-flow-logs"}
ONLY_S3 = {"Filters": [{"Name": "log-destination-type", "Values": ["s3"]}]}


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack's defaults, as its template passes them to the function."""
    for name, value in {
        "BUCKET": BUCKET,
        "PREFIX": "vpcflow/",
        "FILE_FORMAT": "plain-text",
        "AGGREGATION": "600",
        "LOG_FORMAT": "",
        "PER_HOUR": "false",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def ec2() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "ec2", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def flow_log(vpc: str, destination: str, flow_log_id: str) -> dict[str, Any]:
    return {
        "FlowLogId": flow_log_id,
        "ResourceId": vpc,
        "LogDestinationType": "s3",
        "LogDestination": destination,
    }


def expect_listing(stubber: Stubber, flow_logs: list[dict[str, Any]], vpcs: list[str]) -> None:
    stubber.add_response("describe_flow_logs", {"FlowLogs": flow_logs}, ONLY_S3)
    stubber.add_response("describe_vpcs", {"Vpcs": [{"VpcId": vpc} for vpc in vpcs]}, {})


def creation(vpc: str, **changes: Any) -> dict[str, Any]:
    request = {
        "ResourceIds": [vpc],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": DESTINATION,
        "MaxAggregationInterval": 600,
        "DestinationOptions": {
            "FileFormat": "plain-text",
            "HiveCompatiblePartitions": False,
            "PerHourPartition": False,
        },
        "TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": [TAG]}],
    }
    return {**request, **changes}


# -- the function --------------------------------------------------------------------------------


def test_every_vpc_without_a_flow_log_to_the_bucket_gets_one(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    expect_listing(
        stubber,
        [
            flow_log("vpc-aaaaaaaa", DESTINATION.rstrip("/"), "fl-0001"),  # ours, as EC2 may print it
            flow_log("vpc-bbbbbbbb", "arn:aws:s3:::team-bucket/", "fl-0002"),  # the account's own
        ],
        ["vpc-aaaaaaaa", "vpc-bbbbbbbb", "vpc-cccccccc"],
    )
    for vpc in ("vpc-bbbbbbbb", "vpc-cccccccc"):
        stubber.add_response(
            "create_flow_logs", {"FlowLogIds": ["fl-new"], "Unsuccessful": []}, creation(vpc)
        )
    assert handler.reconcile(client) == ["vpc-bbbbbbbb", "vpc-cccccccc"]


def test_a_custom_format_and_hourly_parquet_files(
    ec2: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    custom = "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end}"
    monkeypatch.setenv("LOG_FORMAT", custom)
    monkeypatch.setenv("FILE_FORMAT", "parquet")
    monkeypatch.setenv("PER_HOUR", "true")
    monkeypatch.setenv("AGGREGATION", "60")
    client, stubber = ec2
    expect_listing(stubber, [], ["vpc-aaaaaaaa"])
    options = {"FileFormat": "parquet", "HiveCompatiblePartitions": False, "PerHourPartition": True}
    stubber.add_response(
        "create_flow_logs",
        {"FlowLogIds": ["fl-new"]},
        creation("vpc-aaaaaaaa", LogFormat=custom, MaxAggregationInterval=60, DestinationOptions=options),
    )
    assert handler.reconcile(client) == ["vpc-aaaaaaaa"]


def test_a_flow_log_created_meanwhile_counts_as_done(ec2: tuple[Any, Stubber]) -> None:
    # Two runs at once (the hourly one and a CreateVpc event): EC2 refuses the second copy.
    client, stubber = ec2
    expect_listing(stubber, [], ["vpc-aaaaaaaa"])
    stubber.add_client_error(
        "create_flow_logs",
        service_error_code="FlowLogAlreadyExists",
        service_message="Error. There is an existing Flow Log with the same configuration and log destination.",
        expected_params=creation("vpc-aaaaaaaa"),
    )
    assert handler.reconcile(client) == ["vpc-aaaaaaaa"]


def test_a_refused_destination_fails_after_every_vpc_was_tried(ec2: tuple[Any, Stubber]) -> None:
    client, stubber = ec2
    expect_listing(stubber, [], ["vpc-aaaaaaaa", "vpc-bbbbbbbb"])
    refused = {
        "ResourceId": "vpc-aaaaaaaa",
        "Error": {"Code": "400", "Message": "Access Denied for LogDestination: central-logs."},
    }
    stubber.add_response("create_flow_logs", {"Unsuccessful": [refused]}, creation("vpc-aaaaaaaa"))
    stubber.add_response("create_flow_logs", {"FlowLogIds": ["fl-new"]}, creation("vpc-bbbbbbbb"))
    with pytest.raises(RuntimeError, match="vpc-aaaaaaaa: 400: Access Denied for LogDestination"):
        handler.reconcile(client)


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch, ec2: tuple[Any, Stubber]) -> list[dict[str, Any]]:
    """What the function answers CloudFormation (the PUT to the pre-signed ResponseURL)."""
    sent: list[dict[str, Any]] = []

    class Answer:
        def close(self) -> None:
            pass

    def urlopen(request: Any, timeout: float) -> Answer:
        assert request.full_url == "https://cloudformation-custom-resource-response.example/x"
        assert request.get_method() == "PUT" and request.get_header("Content-type") == ""
        sent.append(json.loads(request.data))
        return Answer()

    monkeypatch.setattr(handler.urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(handler.boto3, "client", lambda service: ec2[0])
    return sent


def custom_resource_event(request_type: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/x",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/StackSet-siem-flow-logs/1",
        "RequestId": "request-1",
        "LogicalResourceId": "FlowLogs",
        "ResourceProperties": {},
    }


def test_stack_creation_fails_visibly_when_the_bucket_refuses(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    _, stubber = ec2
    expect_listing(stubber, [], ["vpc-aaaaaaaa"])
    refused = {
        "ResourceId": "vpc-aaaaaaaa",
        "Error": {"Code": "400", "Message": "Access Denied for LogDestination"},
    }
    stubber.add_response("create_flow_logs", {"Unsuccessful": [refused]}, creation("vpc-aaaaaaaa"))
    handler.handler(custom_resource_event("Create"), None)
    [answer] = responses
    assert answer["Status"] == "FAILED" and "Access Denied for LogDestination" in answer["Reason"]
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/StackSet-siem-flow-logs/1",
        "request-1",
        "FlowLogs",
    )


def test_stack_deletion_removes_only_its_own_flow_logs(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    _, stubber = ec2
    stubber.add_response(
        "describe_flow_logs",
        {
            "FlowLogs": [
                flow_log("vpc-aaaaaaaa", DESTINATION, "fl-0001"),
                flow_log("vpc-bbbbbbbb", "arn:aws:s3:::team-bucket/", "fl-0002"),
            ]
        },
        ONLY_S3,
    )
    stubber.add_response("delete_flow_logs", {"Unsuccessful": []}, {"FlowLogIds": ["fl-0001"]})
    event = {**custom_resource_event("Delete"), "PhysicalResourceId": "siem-vpc-flow-logs"}
    handler.handler(event, None)
    assert [(r["Status"], r["PhysicalResourceId"]) for r in responses] == [("SUCCESS", "siem-vpc-flow-logs")]


def test_a_failed_deletion_never_blocks_removing_the_stack(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    _, stubber = ec2
    stubber.add_client_error("describe_flow_logs", service_error_code="UnauthorizedOperation")
    handler.handler(custom_resource_event("Delete"), None)
    assert [r["Status"] for r in responses] == ["SUCCESS"]


def test_events_and_the_schedule_reconcile_without_answering_cloudformation(
    ec2: tuple[Any, Stubber], responses: list[dict[str, Any]]
) -> None:
    _, stubber = ec2
    expect_listing(stubber, [], [])
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert handler.handler(scheduled, None) == []
    assert responses == []


# -- the template --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flow_logs_stack(assembly: Any) -> dict[str, Any]:
    return dict(assembly.template("AwsSiemVpcFlowLogs"))


def test_the_function_code_is_the_module_inline(flow_logs_stack: dict[str, Any]) -> None:
    _, function = only(flow_logs_stack, "AWS::Lambda::Function")
    code = function["Properties"]["Code"]["ZipFile"]
    assert code == HANDLER_SOURCE.read_text() and len(code) <= INLINE_CODE_LIMIT
    assert function["Properties"]["Handler"] == "index.handler"
    variables = function["Properties"]["Environment"]["Variables"]
    assert {name: render(value) for name, value in variables.items()} == {
        "BUCKET": "<LogBucketName>",
        "PREFIX": "<VpcflowPrefix>",
        "FILE_FORMAT": "<FileFormat>",
        "AGGREGATION": "<MaxAggregationInterval>",
        "LOG_FORMAT": "<LogFormat>",
        "PER_HOUR": "<PerHourPartition>",
    }


def test_a_parameter_change_runs_the_function_again(flow_logs_stack: dict[str, Any]) -> None:
    _, resource = only(flow_logs_stack, "Custom::SiemVpcFlowLogs")
    _, function = only(flow_logs_stack, "AWS::Lambda::Function")
    properties = {k: render(v) for k, v in resource["Properties"].items() if k != "ServiceToken"}
    assert properties == {k: render(v) for k, v in function["Properties"]["Environment"]["Variables"].items()}


def test_flow_logs_land_where_the_bucket_policy_admits_them(
    flow_logs_stack: dict[str, Any], central: dict[str, Any]
) -> None:
    # The log delivery service writes <destination>AWSLogs/<account>/vpcflowlogs/<region>/...
    prefix = flow_logs_stack["Parameters"]["VpcflowPrefix"]["Default"]
    [policy] = [
        p
        for name, p in resources(central, "AWS::S3::BucketPolicy").items()
        if name.startswith("StorageLogBucket")
    ]
    [write] = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "FlowLogsWrite"
    ]
    assert render(write["Resource"]).split("/", 1)[1] == f"{prefix}AWSLogs/{'?' * 12}/vpcflowlogs/*"
    assert "Hive" not in json.dumps(flow_logs_stack["Parameters"])


def test_new_vpcs_and_deleted_flow_logs_trigger_it_and_so_does_an_hourly_schedule(
    flow_logs_stack: dict[str, Any],
) -> None:
    rules = [r["Properties"] for r in resources(flow_logs_stack, "AWS::Events::Rule").values()]
    assert sorted(r.get("ScheduleExpression", "") for r in rules) == ["", "rate(1 hour)"]
    [pattern] = [r["EventPattern"] for r in rules if "EventPattern" in r]
    assert pattern == {
        "source": ["aws.ec2"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": list(CLOUDTRAIL_EVENTS)},
    }
    assert set(CLOUDTRAIL_EVENTS) == {"CreateVpc", "CreateDefaultVpc", "DeleteFlowLogs"}
    assert len(resources(flow_logs_stack, "AWS::Lambda::Permission")) == 2


def test_the_function_follows_the_builder_s_conventions(flow_logs_stack: dict[str, Any]) -> None:
    # arm64, the latest runtime (inline code has no wheels to pin it), a log group of its own
    # kept a year, and a role Lambda alone assumes that writes only to that log group.
    log_group_id, log_group = only(flow_logs_stack, "AWS::Logs::LogGroup")
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Delete"
    _, function = only(flow_logs_stack, "AWS::Lambda::Function")
    properties = function["Properties"]
    assert properties["Architectures"] == ["arm64"] and properties["Runtime"] == "python3.14"
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    role_id, role = only(flow_logs_stack, "AWS::IAM::Role")
    assert properties["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    _, policy = only(flow_logs_stack, "AWS::IAM::Policy")
    [logs] = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "logs:PutLogEvents" in s["Action"]
    ]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert [render(r) for r in logs["Resource"]] == [
        f"<{log_group_id}.Arn>",
        f"<{log_group_id}.Arn>:log-stream:*",
    ]


def test_an_update_from_0_3_0_changes_the_function_and_its_log_group_in_place(
    flow_logs_stack: dict[str, Any],
) -> None:
    # The logical ids 0.3.0 deployed (its template): a new function id would change the custom
    # resource's ServiceToken, which CloudFormation refuses to modify on a StackSet update.
    deployed = {
        "Logs6819BB44": "AWS::Logs::LogGroup",
        "Role1ABCC5F0": "AWS::IAM::Role",
        "RoleDefaultPolicy5FFB7DAB": "AWS::IAM::Policy",
        "Function76856677": "AWS::Lambda::Function",
    }
    assert {name: flow_logs_stack["Resources"][name]["Type"] for name in deployed} == deployed
    _, custom = only(flow_logs_stack, "Custom::SiemVpcFlowLogs")
    assert custom["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["Function76856677", "Arn"]}
