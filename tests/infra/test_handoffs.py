"""Hand-offs in the central stack: the alert bus only the detection function may put events on."""

from __future__ import annotations

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
