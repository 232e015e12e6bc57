"""Reading synthesized CloudFormation: resources by type and intrinsic functions as text."""

from __future__ import annotations

import json
from typing import Any


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def render(value: Any) -> str:
    """Intrinsics as readable text: ``{"Fn::GetAtt": ["Role", "Arn"]}`` -> ``<Role.Arn>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(render(part) for part in parts)
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Ref":
            return f"<{argument}>"
    return json.dumps(value, sort_keys=True)


def policy_document(resource: dict[str, Any]) -> Any:
    """The JSON policy of an OpenSearch Serverless policy resource, principals rendered."""
    return json.loads(render(resource["Properties"]["Policy"]))


def by_name(template: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    matches = [res for res in resources(template, kind).values() if res["Properties"].get("Name") == name]
    assert len(matches) == 1, f"expected one {kind} named {name}"
    return matches[0]


def statements(template: dict[str, Any], role_logical_prefix: str) -> list[dict[str, Any]]:
    """All IAM statements attached (inline policies) to the role whose logical id starts with the prefix."""
    found: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = [render(role) for role in policy["Properties"].get("Roles", [])]
        if any(role.startswith(f"<{role_logical_prefix}") for role in roles):
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
