"""Does a request grant access outside the caller's account? (the ``outside_account`` comparison)

Lucene cannot compare a value with another field of the same document, and a trust or
resource policy arrives in CloudTrail either as an object (S3 ``PutBucketPolicy``:
``requestParameters.bucketPolicy``) or as JSON text (IAM ``CreateRole`` /
``UpdateAssumeRolePolicy``: ``assumeRolePolicyDocument`` / ``policyDocument``). This module
reads both, and plain principal values (Lambda ``AddPermission``'s ``principal``: an account
id, an ARN or ``*``), the way IAM evaluates them:

- only ``Allow`` statements grant anything;
- a principal is outside the account when it is everyone (``*``, ``{"AWS": "*"}``) or an AWS
  account id / ARN of another account; service principals (``*.amazonaws.com``), federated
  identity providers and canonical user ids name no account and are left alone;
- a statement whose ``Condition`` pins the caller to an account or organization
  (``aws:PrincipalOrgID``, ``aws:PrincipalAccount``, ``aws:SourceAccount``...) does not
  grant everyone, even with ``Principal: "*"`` (the usual organization-wide bucket policy).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

_ACCOUNT = re.compile(r"\A\d{12}\Z")
_ARN_ACCOUNT = re.compile(r"\Aarn:[^:]*:[^:]*:[^:]*:(\d{12}):")
PINNING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:ResourceOrgID",
    )
)
"""Condition keys that restrict a wildcard principal to known accounts."""


def grants_outside(values: Iterable[Any], account: Any) -> bool:
    """Whether any of ``values`` (policies, as objects or JSON text, or principal strings)
    lets a principal outside ``account`` in. No account to compare with: ``False``."""
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        return False
    return any(_outside(value, account) for value in values)


def _outside(value: Any, account: str) -> bool:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    if isinstance(value, Mapping):
        return any(_statement_outside(statement, account) for statement in _statements(value))
    if isinstance(value, str):
        return _principal_outside(value, account)
    return False


def _statements(policy: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    statements = policy.get("Statement", ())
    if isinstance(statements, Mapping):
        statements = [statements]
    if isinstance(statements, list):
        yield from (item for item in statements if isinstance(item, Mapping))


def _statement_outside(statement: Mapping[str, Any], account: str) -> bool:
    if statement.get("Effect") != "Allow" or "NotPrincipal" in statement:
        return False
    pinned = _pinned(statement.get("Condition"))
    return any(
        (principal == "*" and not pinned) or (principal != "*" and _principal_outside(principal, account))
        for principal in _aws_principals(statement.get("Principal"))
    )


def _aws_principals(principal: Any) -> Iterator[str]:
    """``"*"``, ``{"AWS": ...}`` values; other keys (Service, Federated, CanonicalUser) name no account."""
    if isinstance(principal, str):
        yield principal
    elif isinstance(principal, Mapping):
        aws = principal.get("AWS")
        yield from ([aws] if isinstance(aws, str) else [item for item in aws or () if isinstance(item, str)])


def _pinned(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(str(key).lower() in PINNING_KEYS for key in block)
        for block in condition.values()
    )


def _principal_outside(principal: str, account: str) -> bool:
    principal = principal.strip()
    if principal == "*":
        return True
    if _ACCOUNT.match(principal):
        return principal != account
    found = _ARN_ACCOUNT.match(principal)
    return found is not None and found.group(1) != account


__all__ = ["PINNING_KEYS", "grants_outside"]
