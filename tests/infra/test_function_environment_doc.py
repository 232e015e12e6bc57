"""docs/deploy.md, "What the stack gives each function (interface)", names every environment
variable the synthesized stack gives each of its Python functions: a variable added to a function
(in infra/) without its line in the table fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.cfn import resources

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
HEADING = "## What the stack gives each function (interface)"


def documented() -> dict[str, str]:
    """Handler (``ingest.handler.lambda_handler``) -> its row of the interface table."""
    text = DEPLOY.read_text()
    section = text[text.index(HEADING) :]
    section = section[: section.find("\n## ", len(HEADING))]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        handler = re.fullmatch(r"`([\w.]+)`", cells[1]) if len(cells) >= 3 else None
        if handler:
            rows[handler.group(1)] = cells[2]
    return rows


def environments(template: dict[str, Any]) -> dict[str, set[str]]:
    """Handler -> the environment variables the template gives its function."""
    found: dict[str, set[str]] = {}
    for function in resources(template, "AWS::Lambda::Function").values():
        properties = function["Properties"]
        variables = properties.get("Environment", {}).get("Variables", {})
        found.setdefault(properties.get("Handler", ""), set()).update(variables)
    return found


@pytest.mark.parametrize("which", ["central", "variant"])
def test_every_variable_a_function_is_given_is_documented(which: str, request: pytest.FixtureRequest) -> None:
    given = environments(request.getfixturevalue(which))
    rows = documented()
    assert set(rows) <= set(given), "a handler of the table the stack does not deploy"
    undocumented = {
        handler: sorted(name for name in variables if f"`{name}" not in rows[handler])
        for handler, variables in given.items()
        if handler in rows
    }
    assert not any(undocumented.values()), undocumented


def test_the_table_is_read() -> None:
    rows = documented()
    assert len(rows) == 6
    assert "`LEDGER_TABLE`" in rows["ingest.handler.lambda_handler"]
