"""The Security Hub custom action's target (infra/handoffs.py) and its inline function
(infra/action_target_handler.py).

The function's Security Hub calls are checked with botocore's Stubber, which validates every
request against Security Hub's service model; the expected requests are written from the
Security Hub API reference (CreateActionTarget, UpdateActionTarget, DeleteActionTarget) and
CloudFormation's custom resource request and response objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra import action_target_handler as handler
from infra.functions import INLINE_CODE_LIMIT
from infra.handoffs import ACTION_TARGET_SOURCE
from tests.infra.cfn import only, render

ARN = "arn:aws:securityhub:eu-west-1:111111111111:action/custom/InvestigateInSIEM"
RESPONSE_URL = "https://cloudformation-custom-resource-response.example/x"
WANTED = {
    "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:provider",
    "Name": "Investigate in SIEM",
    "Description": "Write the SIEM investigation into the finding's note",
    "Id": "InvestigateInSIEM",
}


@pytest.fixture
def hub() -> Iterator[Stubber]:
    client = boto3.client(
        "securityhub", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch, hub: Stubber) -> list[dict[str, Any]]:
    """What the function answers CloudFormation (the PUT to the pre-signed ResponseURL)."""
    sent: list[dict[str, Any]] = []

    class Answer:
        def close(self) -> None:
            pass

    def urlopen(request: Any, timeout: float) -> Answer:
        assert request.full_url == RESPONSE_URL and request.get_method() == "PUT"
        sent.append(json.loads(request.data))
        return Answer()

    monkeypatch.setattr(handler.urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(handler.boto3, "client", lambda service: hub.client)
    return sent


def event_of(request_type: str, physical_id: str | None = None, **properties: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ResponseURL": RESPONSE_URL,
        "StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/AwsSiem/1",
        "RequestId": "request-1",
        "LogicalResourceId": "HandoffActionTarget87D52E86",
        "ResourceType": "Custom::AWS",
        "ResourceProperties": {**WANTED, **properties},
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def answers(responses: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(answer["Status"], answer["PhysicalResourceId"]) for answer in responses]


def test_creation_names_the_action_target_by_its_arn(hub: Stubber, responses: list[dict[str, Any]]) -> None:
    hub.add_response(
        "create_action_target",
        {"ActionTargetArn": ARN},
        {"Name": WANTED["Name"], "Description": WANTED["Description"], "Id": "InvestigateInSIEM"},
    )
    handler.handler(event_of("Create"), None)
    assert answers(responses) == [("SUCCESS", ARN)]
    [answer] = responses
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        "arn:aws:cloudformation:eu-west-1:111111111111:stack/AwsSiem/1",
        "request-1",
        "HandoffActionTarget87D52E86",
    )


def test_the_update_from_cdk_s_aws_custom_resource_keeps_the_action_target(
    hub: Stubber, responses: list[dict[str, Any]]
) -> None:
    # 0.3.0's resource had the properties Create, Delete and InstallLatestAwsSdk: CloudFormation
    # sends an Update with the same physical id, which must stay (a new one deletes the old).
    event = event_of("Update", ARN)
    event["OldResourceProperties"] = {"Create": "{...}", "Delete": "{...}", "InstallLatestAwsSdk": "false"}
    hub.add_response(
        "update_action_target",
        {},
        {"ActionTargetArn": ARN, "Name": WANTED["Name"], "Description": WANTED["Description"]},
    )
    handler.handler(event, None)
    assert answers(responses) == [("SUCCESS", ARN)]


def test_a_new_id_is_a_new_action_target(hub: Stubber, responses: list[dict[str, Any]]) -> None:
    renamed = ARN.replace("InvestigateInSIEM", "InvestigateInSOC")
    hub.add_response(
        "create_action_target",
        {"ActionTargetArn": renamed},
        {"Name": WANTED["Name"], "Description": WANTED["Description"], "Id": "InvestigateInSOC"},
    )
    handler.handler(event_of("Update", ARN, Id="InvestigateInSOC"), None)
    assert answers(responses) == [("SUCCESS", renamed)]


def test_deletion_deletes_it_and_one_already_gone_is_deleted(
    hub: Stubber, responses: list[dict[str, Any]]
) -> None:
    hub.add_response("delete_action_target", {"ActionTargetArn": ARN}, {"ActionTargetArn": ARN})
    hub.add_client_error(
        "delete_action_target",
        service_error_code="ResourceNotFoundException",
        expected_params={"ActionTargetArn": ARN},
    )
    handler.handler(event_of("Delete", ARN), None)
    handler.handler(event_of("Delete", ARN), None)
    assert answers(responses) == [("SUCCESS", ARN), ("SUCCESS", ARN)]


def test_a_failed_creation_fails_the_stack_and_its_rollback_calls_nothing(
    hub: Stubber, responses: list[dict[str, Any]]
) -> None:
    hub.add_client_error(
        "create_action_target",
        service_error_code="InvalidAccessException",
        service_message="Account 111111111111 is not subscribed to AWS Security Hub",
    )
    handler.handler(event_of("Create"), None)
    [failed] = responses
    assert failed["Status"] == "FAILED" and "not subscribed to AWS Security Hub" in failed["Reason"]
    # The rollback's Delete carries the physical id of the failed creation: not an ARN.
    handler.handler(event_of("Delete", failed["PhysicalResourceId"]), None)
    assert [answer["Status"] for answer in responses] == ["FAILED", "SUCCESS"]


def test_a_failed_deletion_never_blocks_removing_the_stack(
    hub: Stubber, responses: list[dict[str, Any]]
) -> None:
    hub.add_client_error("delete_action_target", service_error_code="InvalidAccessException")
    handler.handler(event_of("Delete", ARN), None)
    assert answers(responses) == [("SUCCESS", ARN)]


# -- the template --------------------------------------------------------------------------------

# 0.3.0's logical ids (main 2d22ae1, where CDK's AwsCustomResource created the action target):
# an update must change these resources in place. A new role or log group id would replace the
# role and delete the log group with its logs; a new function id would change the custom
# resource's ServiceToken, which CloudFormation refuses to modify; and a resource's type cannot
# change in an update.
DEPLOYED = {
    "HandoffActionTargetLogs1FB296CD": "AWS::Logs::LogGroup",
    "HandoffActionTargetRole3132CA59": "AWS::IAM::Role",
    "HandoffActionTargetRoleDefaultPolicyB3984C64": "AWS::IAM::Policy",
    "AWS679f53fac002430cb0da5b7982bd22872D164C4C": "AWS::Lambda::Function",
    "HandoffActionTarget87D52E86": "Custom::AWS",
}


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["central", "variant"])
def test_an_update_from_0_3_0_keeps_the_action_target_s_logical_ids(
    stack: str, request: pytest.FixtureRequest
) -> None:
    template: dict[str, Any] = request.getfixturevalue(stack)
    resources = template["Resources"]
    assert {name: resources[name]["Type"] for name in DEPLOYED} == DEPLOYED
    named = {name for name in resources if "ActionTarget" in name or name.startswith("AWS679")}
    assert named == set(DEPLOYED)
    target = resources["HandoffActionTarget87D52E86"]["Properties"]
    assert render(target["ServiceToken"]) == "<AWS679f53fac002430cb0da5b7982bd22872D164C4C.Arn>"
    assert {key: target[key] for key in ("Name", "Id")} == {
        "Name": "Investigate in SIEM",
        "Id": "InvestigateInSIEM",
    }
    function = resources["AWS679f53fac002430cb0da5b7982bd22872D164C4C"]["Properties"]
    assert render(function["Role"]) == "<HandoffActionTargetRole3132CA59.Arn>"
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "HandoffActionTargetLogs1FB296CD"}}
    assert resources["HandoffActionTargetRoleDefaultPolicyB3984C64"]["Properties"]["Roles"] == [
        {"Ref": "HandoffActionTargetRole3132CA59"}
    ]


@pytest.mark.slow
def test_the_provider_follows_the_builder_s_conventions(central: dict[str, Any]) -> None:
    # arm64, the latest runtime with the module inline, a log group of its own kept a year,
    # Lambda's own network (it calls only the Security Hub API).
    resources = central["Resources"]
    function = resources["AWS679f53fac002430cb0da5b7982bd22872D164C4C"]["Properties"]
    assert function["Architectures"] == ["arm64"] and function["Runtime"] == "python3.14"
    assert function["Handler"] == "index.handler"
    assert function["Code"]["ZipFile"] == ACTION_TARGET_SOURCE.read_text()
    assert len(function["Code"]["ZipFile"]) <= INLINE_CODE_LIMIT
    assert "VpcConfig" not in function
    log_group = resources["HandoffActionTargetLogs1FB296CD"]
    assert log_group["Properties"]["RetentionInDays"] == 365 and log_group["DeletionPolicy"] == "Delete"
    role = resources["HandoffActionTargetRole3132CA59"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    _, rule = only(central, "AWS::Events::Rule")
    assert "HandoffActionTarget87D52E86" in rule["DependsOn"]
