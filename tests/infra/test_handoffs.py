"""Hand-offs in the central stack: the alert bus only the detection function may put events on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.cfn import only, render, resources
from tests.infra.conftest import EXISTING_BUS
from tests.infra.test_central_stack import function_by_handler, role_of
from tests.infra.test_config import ORG, config, problems
from tests.infra.test_iam_actions import actions_by_role, role_name

pytestmark = pytest.mark.slow


def test_the_detection_function_puts_events_on_our_bus_and_no_other_role_may(central: dict[str, Any]) -> None:
    bus_id, bus = only(central, "AWS::Events::EventBus")
    assert bus["Properties"]["Name"] == "siem-alerts"
    _, detection = function_by_handler(central, "detections.handler.lambda_handler")
    environment = detection["Properties"]["Environment"]["Variables"]
    assert render(environment["EVENT_BUS"]) == f"<{bus_id}.Arn>"
    putters = {
        role: grants["events:PutEvents"]
        for role, grants in actions_by_role(central).items()
        if "events:PutEvents" in grants
    }
    assert putters == {role_name(role_of(detection)): [f"<{bus_id[:-8]}.Arn>"]}
    assert render(central["Outputs"]["AlertEventBusArn"]["Value"]) == f"<{bus_id}.Arn>"


def test_a_configured_bus_is_used_as_is(variant: dict[str, Any]) -> None:
    assert not resources(variant, "AWS::Events::EventBus")
    _, detection = function_by_handler(variant, "detections.handler.lambda_handler")
    assert detection["Properties"]["Environment"]["Variables"]["EVENT_BUS"] == EXISTING_BUS
    putters = {
        role: grants["events:PutEvents"]
        for role, grants in actions_by_role(variant).items()
        if "events:PutEvents" in grants
    }
    assert putters == {role_name(role_of(detection)): [EXISTING_BUS]}


def test_no_bus_when_switched_off_and_ours_or_a_configured_one_not_both() -> None:
    assert config(eventBus="false").event_bus is False
    assert config().event_bus is True and config().event_bus_arn is None
    assert config(eventBusArn=EXISTING_BUS).event_bus is False
    assert problems(organizationId=ORG, eventBus=True, eventBusArn=EXISTING_BUS) == [
        "set eventBus or eventBusArn, not both (eventBus creates our own bus)"
    ]


def test_the_custom_action_reaches_its_function_whose_role_may_only_write_notes(
    central: dict[str, Any],
) -> None:
    name, function = function_by_handler(central, "investigation.action_handler.lambda_handler")
    (rule,) = resources(central, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.securityhub"]
    assert pattern["detail-type"] == ["Security Hub Findings - Custom Action"]
    action_arn = (
        "arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:action/custom/InvestigateInSIEM"
    )
    assert [render(arn) for arn in pattern["resources"]] == [action_arn]
    assert [render(target["Arn"]) for target in rule["Properties"]["Targets"]] == [f"<{name}.Arn>"]
    (creation,) = resources(central, "Custom::AWS").values()
    assert (creation["Properties"]["Id"], creation["Properties"]["Name"]) == (
        "InvestigateInSIEM",
        "Investigate in SIEM",
    )

    grants = actions_by_role(central)[role_name(role_of(function))]
    (condition,) = grants["securityhub:BatchUpdateFindings"]
    hub = "arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default"
    resource, _, rendered = condition.partition(" if ")
    assert resource == hub  # the account's hub in this region, not "*"
    null = json.loads(rendered)["Null"]
    assert null["securityhub:ASFFSyntaxPath/Note.Text"] == ["false"]
    assert null["securityhub:ASFFSyntaxPath/Workflow.Status"] == ["true"]
    assert null["securityhub:ASFFSyntaxPath/Severity.Label"] == ["true"]
    assert null["securityhub:ASFFSyntaxPath/VerificationState"] == ["true"]
    assert not [
        action
        for action in grants
        if action.startswith(("aoss:", "securityhub:"))
        and action
        not in (
            "aoss:APIAccessAll",
            "securityhub:BatchUpdateFindings",
        )
    ]
    assert grants["aoss:APIAccessAll"] == ["<SearchLogs.Arn>"]

    _, detection = function_by_handler(central, "detections.handler.lambda_handler")
    environment = detection["Properties"]["Environment"]["Variables"]
    assert render(environment["NOTE_WRITER_ROLE_ARN"]) == f"<{role_of(function)}.Arn>"
