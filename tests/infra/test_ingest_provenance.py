"""The ingest function as synthesized: fed only once the index templates exist, and told what
each prefix may hold and which accounts are delegated administrators (issues 19.6, 20.2)."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.config import from_env
from tests.infra.cfn import only, render, resources
from tests.infra.conftest import GUARDDUTY_ADMIN

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


def test_ingest_reads_the_prefixes_and_delegated_administrators_it_is_given(central: dict[str, Any]) -> None:
    _, function = _ingest_function(central)
    environment = {k: render(v) for k, v in function["Properties"]["Environment"]["Variables"].items()}
    assert environment["SOURCE_PREFIXES"] == (
        "cloudtrail=cloudtrail/,vpcflow=vpcflow/,guardduty=guardduty/,securityhub=securityhub/,config=config/"
    )
    assert environment["DELEGATED_ADMIN_ACCOUNT_IDS"] == GUARDDUTY_ADMIN
    # The function's own reading of them (ingest.config).
    settings = from_env(
        {name: environment[name] for name in ("SOURCE_PREFIXES", "DELEGATED_ADMIN_ACCOUNT_IDS")}
    )
    assert settings.delegated_admin_account_ids == {GUARDDUTY_ADMIN}
    assert dict(settings.source_prefixes) == {
        "cloudtrail": "cloudtrail/",
        "vpcflow": "vpcflow/",
        "guardduty": "guardduty/",
        "securityhub": "securityhub/",
        "config": "config/",
    }
