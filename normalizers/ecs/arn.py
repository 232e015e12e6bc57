"""Parts of an ARN (``arn:partition:service:region:account-id:resource``)."""

from __future__ import annotations

from typing import Any


def arn_part(arn: Any, index: int) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return (parts[index] or None) if len(parts) > index else None


def arn_region(arn: Any) -> str | None:
    """``arn:aws:guardduty:us-east-1:...`` -> ``us-east-1``."""
    return arn_part(arn, 3)


def arn_account(arn: Any) -> str | None:
    """``arn:aws:securityhub:us-east-1:111122223333:...`` -> ``111122223333``."""
    return arn_part(arn, 4)


def role_name(arn: Any) -> str | None:
    """``arn:aws:iam::111122223333:role/service-role/payments-exec`` -> ``payments-exec``;
    ``None`` for anything that is not a role's ARN (the name its sessions' issuer has)."""
    if not isinstance(arn, str) or not arn.startswith("arn:") or ":role/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1] or None
