"""Every IAM policy statement of every synthesized stack, against the AWS Service Authorization
Reference (offline, ``tests/infra/iam_reference.py``): each action exists (a wildcard matches at
least one), each condition key is one the action takes (or a global ``aws:`` key), and an
identity-based ``Allow`` names resources wherever the action supports resource-level
permissions, unless the action is on the allow-list below with its reason.

All policies are walked: roles' inline policies and trust policies, ``AWS::IAM::Policy``,
managed policies, bucket, key, topic and queue policies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.cfn import as_list
from tests.infra.conftest import Assembly
from tests.infra.iam_reference import (
    Action,
    Statement,
    is_global_key,
    policy_statements,
    reference,
)

pytestmark = pytest.mark.slow

# Actions granted on "*" although the reference lists resource types for them: each with why.
ALLOWED_ON_ANY_RESOURCE: dict[str, str] = {
    # None today. An entry reads: "service:Action": "why it cannot name its resources".
}


def stack_statements(assembly: Assembly, variant_assembly: Assembly) -> Iterator[tuple[str, Statement]]:
    for which, source in (("default", assembly), ("variant", variant_assembly)):
        paths = sorted(source.directory.glob("*.template.json"))
        assert paths, f"no template in {source.directory}"
        for path in paths:
            stack = path.name.removesuffix(".template.json")
            for statement in policy_statements(source.template(stack)):
                yield f"{which}/{stack} {statement.where}", statement


@pytest.fixture(scope="module")
def all_statements(assembly: Assembly, variant_assembly: Assembly) -> list[tuple[str, Statement]]:
    found = list(stack_statements(assembly, variant_assembly))
    # The walk reaches every kind of policy (a regression here would make the checks vacuous).
    assert any(s.identity_based for _, s in found)
    assert any("AssumeRolePolicyDocument" in where for where, _ in found)
    assert any(" PolicyDocument" in where and not s.identity_based for where, s in found)  # bucket etc.
    return found


def actions_of(statement: dict[str, Any]) -> list[str]:
    return as_list(statement.get("Action", statement.get("NotAction", [])))


def matched(statement: dict[str, Any]) -> list[Action]:
    return [action for pattern in actions_of(statement) for action in reference().actions(pattern)]


def unknown_actions(found: list[tuple[str, Statement]]) -> list[str]:
    return [
        f"{where}: {pattern}"
        for where, statement in found
        for pattern in actions_of(statement.body)
        if not reference().actions(pattern)
    ]


def wrong_condition_keys(found: list[tuple[str, Statement]]) -> list[str]:
    return [
        f"{where}: {key} for {actions_of(statement.body)}"
        for where, statement in found
        for keys in statement.body.get("Condition", {}).values()
        for key in keys
        if not is_global_key(key) and not any(action.takes(key) for action in matched(statement.body))
    ]


def granted_on_any_resource(found: list[tuple[str, Statement]]) -> list[str]:
    return [
        f"{where}: {action.qualified} (resource types {sorted(action.resource_types)})"
        for where, statement in found
        if statement.identity_based
        and statement.body["Effect"] == "Allow"
        and "*" in as_list(statement.body.get("Resource", []))
        for action in matched(statement.body)
        if action.resource_types and action.qualified not in ALLOWED_ON_ANY_RESOURCE
    ]


def test_every_action_exists(all_statements: list[tuple[str, Statement]]) -> None:
    assert unknown_actions(all_statements) == []


def test_every_condition_key_is_one_the_action_takes(all_statements: list[tuple[str, Statement]]) -> None:
    assert wrong_condition_keys(all_statements) == []


def test_resource_level_permissions_are_used(all_statements: list[tuple[str, Statement]]) -> None:
    assert granted_on_any_resource(all_statements) == []


# -- the checks themselves, on facts from the Service Authorization Reference ------------------


def identity(body: dict[str, Any]) -> list[tuple[str, Statement]]:
    return [("test", Statement("test", identity_based=True, body={"Effect": "Allow", **body}))]


def test_each_check_reports_a_statement_written_wrong() -> None:
    assert unknown_actions(identity({"Action": "securityhub:BatchUpdateFinding", "Resource": "*"}))
    assert unknown_actions(identity({"Action": "nosuchservice:*", "Resource": "*"}))
    assert not unknown_actions(identity({"Action": "kms:GenerateDataKey*", "Resource": "*"}))
    # s3:prefix is a condition of ListBucket, not of PutObject.
    prefix = {"StringLike": {"s3:prefix": "a/*"}}
    assert wrong_condition_keys(identity({"Action": "s3:PutObject", "Resource": "*", "Condition": prefix}))
    assert not wrong_condition_keys(
        identity({"Action": "s3:ListBucket", "Resource": "*", "Condition": prefix})
    )
    note = {"Null": {"securityhub:ASFFSyntaxPath/Note.Text": "false", "aws:SourceAccount": "1"}}
    assert not wrong_condition_keys(
        identity({"Action": "securityhub:BatchUpdateFindings", "Condition": note})
    )
    # The hub is a resource type of CreateActionTarget; ListRoots has none.
    assert granted_on_any_resource(identity({"Action": "securityhub:CreateActionTarget", "Resource": "*"}))
    assert not granted_on_any_resource(identity({"Action": "organizations:ListRoots", "Resource": "*"}))
    assert not granted_on_any_resource(
        identity({"Action": "securityhub:CreateActionTarget", "Resource": "arn"})
    )


def test_global_keys_are_the_iam_user_guides() -> None:
    assert is_global_key("aws:SourceOrgID") and is_global_key("aws:PrincipalTag/team")
    assert not is_global_key("aws:ResourceTag/team")  # per action, where the service supports it
    assert not is_global_key("s3:prefix")
