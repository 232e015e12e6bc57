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


def test_every_action_exists(all_statements: list[tuple[str, Statement]]) -> None:
    unknown = [
        f"{where}: {pattern}"
        for where, statement in all_statements
        for pattern in actions_of(statement.body)
        if not reference().actions(pattern)
    ]
    assert unknown == []


def test_every_condition_key_is_one_the_action_takes(all_statements: list[tuple[str, Statement]]) -> None:
    wrong = [
        f"{where}: {key} for {actions_of(statement.body)}"
        for where, statement in all_statements
        for keys in statement.body.get("Condition", {}).values()
        for key in keys
        if not is_global_key(key) and not any(action.takes(key) for action in matched(statement.body))
    ]
    assert wrong == []


def test_resource_level_permissions_are_used(all_statements: list[tuple[str, Statement]]) -> None:
    on_any = [
        f"{where}: {action.qualified} (resource types {sorted(action.resource_types)})"
        for where, statement in all_statements
        if statement.identity_based
        and statement.body["Effect"] == "Allow"
        and "*" in as_list(statement.body.get("Resource", []))
        for action in matched(statement.body)
        if action.resource_types and action.qualified not in ALLOWED_ON_ANY_RESOURCE
    ]
    assert on_any == []


# -- the reference itself, on facts from the Service Authorization Reference ---------------------


def test_the_reference_knows_what_the_checks_rely_on() -> None:
    (update,) = reference().actions("securityhub:BatchUpdateFindings")
    assert update.takes("securityhub:ASFFSyntaxPath/Note.Text")
    assert not update.takes("securityhub:TargetAccount/Note.Text")
    assert "hub" in update.resource_types
    (list_roots,) = reference().actions("organizations:ListRoots")
    assert list_roots.resource_types == frozenset()
    (put,) = reference().actions("s3:PutObject")
    assert put.takes("s3:x-amz-acl") and not put.takes("s3:prefix")
    assert {a.qualified for a in reference().actions("kms:GenerateDataKey*")} >= {
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
    }
    assert reference().actions("s3:NoSuchAction") == [] and reference().actions("nosuchservice:*") == []
    assert is_global_key("aws:SourceOrgID") and is_global_key("aws:PrincipalTag/team")
    assert not is_global_key("aws:ResourceTag/team")  # per action, where the service supports it


def test_a_wrong_statement_is_caught() -> None:
    """The checks above on statements written wrong on purpose."""
    bad_key = {
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "*",
        "Condition": {"StringLike": {"s3:prefix": "a/*"}},
    }
    assert not any(action.takes("s3:prefix") for action in matched(bad_key))
    assert not reference().actions("securityhub:BatchUpdateFinding")  # a typo
    on_any = [a for a in matched({"Action": "securityhub:CreateActionTarget"}) if a.resource_types]
    assert on_any
