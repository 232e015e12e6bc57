"""Timestamps: every date of every document is RFC 3339 in UTC with a ``Z`` (docs/schema.md, "Time")."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

# RFC 3339 in UTC with a literal Z: passed through untouched (the common, fast case).
_RFC3339_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z\Z")
_CHECKED: set[str] = set()
"""Times already found RFC 3339 in UTC: a file's records share their second, a session its
creation date, and a set lookup costs a fraction of the match and the parse."""
_MAX_CHECKED = 1024
MAX_EPOCH_SECONDS = 253402300800
"""Epoch seconds must give a year below 10000 to be an RFC 3339 date."""


def timestamp(value: Any) -> str:
    """Return ``value`` as an RFC 3339 UTC string ending in ``Z``.

    Accepts ISO 8601 with ``T`` or a space, with or without fraction and offset, and
    epoch seconds. Raises ``ValueError`` for anything else, so the caller dead-letters it.
    """
    if isinstance(value, str):
        if value in _CHECKED:
            return value
        if _RFC3339_Z.match(value):
            datetime.fromisoformat(value[:19])  # rejects 2026-13-45T00:00:00Z; the text is kept as is
            if len(_CHECKED) >= _MAX_CHECKED:
                _CHECKED.clear()
            _CHECKED.add(value)
            return value
        text = value.strip()
        if not text:
            raise ValueError("empty timestamp")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"unparseable timestamp {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return _format(parsed.astimezone(UTC))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_timestamp(value)
    raise ValueError(f"unparseable timestamp {value!r}")


def epoch_timestamp(seconds: float) -> str:
    if not 0 <= seconds < MAX_EPOCH_SECONDS:
        raise ValueError(f"epoch seconds out of range: {seconds!r}")
    return _format(datetime.fromtimestamp(seconds, UTC))


@lru_cache(maxsize=64)
def epoch_millis(moment: str) -> int:
    """An RFC 3339 UTC time (``2026-01-01T00:00:00.123Z``) as epoch milliseconds: the short
    form a ``date`` field takes by default (``strict_date_optional_time||epoch_millis``)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    seconds = int(parsed.timestamp())
    return seconds * 1000 + parsed.microsecond // 1000


def ingested_millis(moment: str) -> int | str:
    """The loader's ``event.ingested`` stamp (RFC 3339) in epoch milliseconds, 13 digits
    instead of 24 characters; any other text (a test's placeholder) as it is."""
    try:
        return epoch_millis(moment)
    except ValueError:
        return moment


def optional_time(value: Any) -> str | None:
    """A secondary time (a session's creation date...): dropped when absent or unparseable,
    rather than losing the whole record."""
    if value is None or value == "":
        return None
    try:
        return timestamp(value)
    except ValueError:
        return None


def _format(moment: datetime) -> str:
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_EPOCH_MILLISECONDS = 100_000_000_000
"""Epoch numbers above this (the year 5138 in seconds) are milliseconds."""


def epoch_or_iso(value: Any) -> str | None:
    """A secondary time given as ISO 8601 text, epoch seconds or epoch milliseconds (ASFF's
    attack sequence times are ``long`` milliseconds); ``None`` when absent or unparseable."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= _EPOCH_MILLISECONDS:
        value = value / 1000
    return optional_time(value)
