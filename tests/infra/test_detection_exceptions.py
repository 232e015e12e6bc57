"""Rule exceptions in the deployed stack: a file named in the CDK context, validated at synthesis,
handed to the detection Lambda as ``DETECTION_EXCEPTIONS``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from detections.exceptions import from_setting
from infra.config import Config, ConfigError
from tests.infra.cfn import render, resources
from tests.infra.conftest import ORG_TRAIL

ORG = "o-a1b2c3d4e5"
BASE = {"organizationId": ORG, "organizationTrailArn": ORG_TRAIL}
EXCEPTIONS = Path(__file__).with_name("exceptions.yml")


def _problems(**context: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        Config.from_context({**BASE, **context}.get)
    return raised.value.problems


def test_the_file_becomes_compact_json_with_the_same_exceptions() -> None:
    config = Config.from_context({**BASE, "detectionExceptionsFile": str(EXCEPTIONS)}.get)
    assert config.detection_exceptions is not None and "\n" not in config.detection_exceptions
    entries = from_setting(config.detection_exceptions).entries
    assert [entry.rules for entry in entries] == [("siem-iam-access-key-for-another-user",), ("*",)]
    assert entries[1].accounts == ("222222222222",)
    assert entries[1].role_paths == ("/aws-reserved/sso.amazonaws.com/",)
    assert Config.from_context(BASE.get).detection_exceptions is None


def test_an_invalid_or_missing_file_is_a_context_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("exceptions:\n  - rules: ['*']\n    accounts: ['123']\n    reason: x\n")
    [problem] = _problems(detectionExceptionsFile=str(bad))
    assert problem.startswith("detectionExceptionsFile:") and "not a 12-digit account id" in problem
    [missing] = _problems(detectionExceptionsFile=str(tmp_path / "none.yml"))
    assert missing.startswith("detectionExceptionsFile:") and "none.yml" in missing


def _detection_environment(template: dict[str, Any]) -> dict[str, Any]:
    [function] = [
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "detections.handler.lambda_handler"
    ]
    return {k: render(v) for k, v in function["Properties"]["Environment"]["Variables"].items()}


@pytest.mark.slow
def test_the_detection_function_gets_the_exceptions(variant: dict[str, Any], central: dict[str, Any]) -> None:
    value = _detection_environment(variant)["DETECTION_EXCEPTIONS"]
    assert len(from_setting(value).entries) == 2
    assert "DETECTION_EXCEPTIONS" not in _detection_environment(central)


def test_the_fill_budget_follows_the_detection_timeout_unless_set() -> None:
    """``FILL_BUDGET_SECONDS``: a fifth of the function's timeout, 60 s at most; set, below it."""
    assert Config.from_context(BASE.get).detection_fill_budget_seconds == 60
    assert Config.from_context({**BASE, "detectionRateMinutes": 1}.get).detection_fill_budget_seconds == 12
    context = {**BASE, "detectionFillBudgetSeconds": "120"}
    assert Config.from_context(context.get).detection_fill_budget_seconds == 120
    [problem] = _problems(detectionFillBudgetSeconds=300)
    assert "must be less than the detection function's timeout (300 s" in problem
    [problem] = _problems(detectionFillBudgetSeconds=-1)
    assert "from 0 to 900" in problem


@pytest.mark.slow
def test_the_detection_function_gets_the_fill_budget(variant: dict[str, Any]) -> None:
    assert _detection_environment(variant)["FILL_BUDGET_SECONDS"] == "30"
