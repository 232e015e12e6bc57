"""A Config rule as the documents name it: its name, id, manager and category."""

from __future__ import annotations

from typing import Any

from normalizers.config.tables import MANAGER_PREFIXES, RULE_CATEGORIES
from normalizers.ecs.arn import arn_part
from normalizers.ecs.values import as_text


def manager_of(name: str) -> tuple[str | None, str]:
    """The service that manages a rule (``securityhub``...) and the name without its prefix."""
    for prefix, manager in MANAGER_PREFIXES:
        if name.startswith(prefix):
            return manager, name[len(prefix) :]
    return None, name


def category_of(name: str) -> str | None:
    """The AWS service the rule checks, from its name's first words (:data:`RULE_CATEGORIES`).

    ``securityhub-s3-bucket-logging-enabled-1a2b3c`` -> ``s3``; ``restricted-ssh`` -> ``ec2``;
    ``root-account-mfa-enabled`` -> ``iam``; a name that starts with none (a custom rule's) ->
    ``None``.
    """
    _, own = manager_of(name)
    words = own.lower().replace("_", "-")
    found = [prefix for prefix in RULE_CATEGORIES if words == prefix or words.startswith(prefix + "-")]
    return RULE_CATEGORIES[max(found, key=len)] if found else None


def rule_block(name: str | None, arn: Any = None, rule_id: Any = None) -> dict[str, Any]:
    """``aws.config.rule``: the name, ARN, id (the ARN's last part when not given), manager."""
    if name is None:
        return {}
    arn_text = as_text(arn)
    resource = arn_part(arn_text, 5) if arn_text else None
    derived_id = resource.rsplit("/", 1)[-1] if resource else None
    return {
        "name": name,
        "arn": arn_text,
        "id": as_text(rule_id) or derived_id,
        "manager": manager_of(name)[0],
    }
