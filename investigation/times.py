"""Times as the report writes them: RFC 3339 UTC with milliseconds and a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def normalized(value: str | None) -> str | None:
    """``value`` rewritten in the report's form, or ``None`` when it is not a time."""
    if not value:
        return None
    try:
        return iso(parse(value))
    except ValueError:
        return None


def cloudtrail_date(value: str | None) -> str | None:
    """A date as STS and IAM write it in CloudTrail's ``responseElements``
    (``Mar 14, 2026, 10:08:30 AM``, UTC), or an ISO 8601 time, in the report's form."""
    if not value:
        return None
    try:
        return iso(datetime.strptime(value, "%b %d, %Y, %I:%M:%S %p").replace(tzinfo=UTC))
    except ValueError:
        return normalized(value)
