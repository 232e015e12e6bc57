"""The ingest function as synthesized: fed only once the index templates exist (issue 19.6)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import only, render, resources

pytestmark = pytest.mark.slow


def _ingest_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [found] = [
        (name, function)
        for name, function in resources(template, "AWS::Lambda::Function").items()
        if function["Properties"].get("Handler") == "ingest.handler.lambda_handler"
    ]
    return found


@pytest.mark.parametrize("stack", ["central", "variant"])
def test_the_queue_feeds_ingest_only_after_the_asset_installer_ran(
    stack: str, request: pytest.FixtureRequest
) -> None:
    template: dict[str, Any] = request.getfixturevalue(stack)
    installer, _ = only(template, "Custom::SiemOpenSearchAssets")
    function, _ = _ingest_function(template)
    [mapping] = [
        m
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if render(m["Properties"]["FunctionName"]) == f"<{function}>"
    ]
    # CloudFormation creates the mapping (and SQS starts invoking ingest) only once the
    # installer's custom resource has put the templates (an update re-runs it first, too).
    assert installer in mapping["DependsOn"]

