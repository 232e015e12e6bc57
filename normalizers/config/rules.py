"""A Config rule as the documents name it: its name, id, manager and category."""

from __future__ import annotations

from typing import Any

from normalizers.config.tables import MANAGER_PREFIXES
from normalizers.ecs.arn import arn_part
from normalizers.ecs.values import as_text


def manager_of(name: str) -> tuple[str | None, str]:
    """The service that manages a rule (``securityhub``...) and the name without its prefix."""
    for prefix, manager in MANAGER_PREFIXES:
        if name.startswith(prefix):
            return manager, name[len(prefix) :]
    return None, name


def category_of(name: str) -> str | None:
    """The first word of the rule's own name: the AWS service it checks (``s3``, ``iam``).

    ``securityhub-s3-bucket-logging-enabled-1a2b3c`` -> ``s3``; ``root-account-mfa-enabled``
    -> ``root``. A name with no separator has no category.
    """
    _, own = manager_of(name)
    for separator in ("-", "_"):
        if separator in own:
            return own.split(separator, 1)[0].lower() or None
    return None


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
