"""Every IAM action each role (and the analyst managed policy) is granted, against a listing
checked in by hand (``iam_actions.json``): a widening is a visible diff in review.

Each grant is ``action -> [resource]``, the resource rendered with intrinsics as text and
logical ids without CDK's hash suffix (``<Ledger.Arn>``), followed by `` if <conditions>``
when the statement has conditions. AWS managed policies attached to a role are listed
under ``"managed policies"``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.infra.cfn import as_list, render, resources
from tests.infra.conftest import Assembly

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).with_name("iam_actions.json")
# CDK's logical ids end with an 8-character hash: in a reference (<Id> or <Id.Attribute>)...
_REFERENCE_HASH = re.compile(r"(?<=[A-Za-z0-9])[0-9A-F]{8}(?=[.>])")
# ...and as a resource's own name.
_NAME_HASH = re.compile(r"[0-9A-F]{8}$")


def without_hash(text: str) -> str:
    return _REFERENCE_HASH.sub("", text)


def role_name(logical_id: str) -> str:
    return _NAME_HASH.sub("", logical_id)


def grant(resource: Any, condition: dict[str, Any] | None) -> str:
    text = without_hash(render(resource))
    if condition:
        rendered = {
            operator: {
                key: sorted(without_hash(render(v)) for v in as_list(value)) for key, value in keys.items()
            }
            for operator, keys in condition.items()
        }
        text += " if " + json.dumps(rendered, sort_keys=True)
    return text


def add_statements(listing: dict[str, list[str]], statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                listing.setdefault(action, []).append(grant(resource, statement.get("Condition")))


def actions_by_role(template: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {}
    for name, role in resources(template, "AWS::IAM::Role").items():
        listing = found.setdefault(role_name(name), {})
        managed = [without_hash(render(arn)) for arn in role["Properties"].get("ManagedPolicyArns", [])]
        if managed:
            listing["managed policies"] = managed
        for policy in role["Properties"].get("Policies", []):
            add_statements(listing, policy["PolicyDocument"]["Statement"])
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            role_id = render(role).strip("<>")
            add_statements(found[role_name(role_id)], policy["Properties"]["PolicyDocument"]["Statement"])
    for name, policy in resources(template, "AWS::IAM::ManagedPolicy").items():
        add_statements(
            found.setdefault(role_name(name), {}), policy["Properties"]["PolicyDocument"]["Statement"]
        )
    return {
        role: {action: sorted(grants) for action, grants in sorted(listing.items())}
        for role, listing in sorted(found.items())
    }


@pytest.mark.parametrize(
    ("which", "stack"),
    [
        ("default", "AwsSiem"),
        ("default", "AwsSiemMemberFindings"),
        ("default", "AwsSiemVpcFlowLogs"),
        ("variant", "AwsSiem"),
    ],
)
def test_every_action_of_every_role_is_the_reviewed_one(
    assembly: Assembly, variant_assembly: Assembly, which: str, stack: str
) -> None:
    source = assembly if which == "default" else variant_assembly
    expected = json.loads(GOLDEN.read_text())[f"{which}/{stack}"]
    assert actions_by_role(source.template(stack)) == expected
