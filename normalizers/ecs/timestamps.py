"""Timestamps: every date of every document is RFC 3339 in UTC with a ``Z`` (docs/schema.md, "Time").

One instant has one text, whatever it was given as (RFC 3339 text of any fraction, another
offset, epoch seconds or milliseconds): milliseconds, the precision of a ``date`` field, written
as three digits, and no fraction at all when they are zero (``2024-05-01T10:00:00Z``,
``2024-05-01T10:00:00.120Z``). A finding's ``event.id`` is ``<id>@<@timestamp>``, so the same
update delivered as an EventBridge event (``modified_time_dt`` text) and as a Security Lake row
(``modified_time`` epoch milliseconds) is one document.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

# RFC 3339 in UTC with a literal Z: passed through untouched (the common, fast case).
_RFC3339_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z\Z", re.ASCII)
_CHECKED: set[str] = set()
"""Times already found RFC 3339 in UTC: a file's records share their second, a session its
creation date, and a set lookup costs a fraction of the match and the parse."""
_MAX_CHECKED = 1024
_MINUTES: set[str] = set()
"""``YYYY-MM-DDTHH:MM:`` of times that passed the full check: a file's records fall in few
minutes though each second may be new (one per record in a busy file), so a time of such a
minute is its one text when the rest is a whole second, ``00Z`` to ``59Z`` in ASCII digits
(the full check's verdict, without the pattern and the parse)."""
SECOND_ENDS = frozenset(f"{second:02d}Z" for second in range(60))
_last_minute = "?" * 21
"""The minute of :data:`_MINUTES` last seen: consecutive records mostly share it, and one
``startswith`` finds it where the sets hash the fresh text twice (its verdict is the set's, a
minute that passed the full check once). Before the first, a text longer than any it could
let through: what starts with it has more than ``00Z`` after its 17th character. The compiled
CloudTrail builders test a record's time against it themselves (:func:`timestamp`'s first
test, without its call: a frame per record)."""
MAX_EPOCH_SECONDS = 253402300800
"""Epoch seconds must give a year below 10000 to be an RFC 3339 date."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: Any) -> str:
    """Return ``value`` as an RFC 3339 UTC string ending in ``Z``.

    Accepts ISO 8601 with ``T`` or a space, with or without fraction and offset, and
    epoch seconds. Raises ``ValueError`` for anything else, so the caller dead-letters it.
    The result is the instant's one text (the module's docstring).
    """
    global _last_minute
    if isinstance(value, str):
        if value.startswith(_last_minute) and value[17:] in SECOND_ENDS:
            return value  # the common case: a whole second of the minute last seen
        if value in _CHECKED:
            return value
        if value[:17] in _MINUTES and value[17:] in SECOND_ENDS:
            _last_minute = value[:17]
            return value
        if _RFC3339_Z.match(value):
            datetime.fromisoformat(value[:19])  # rejects 2026-13-45T00:00:00Z
            if len(_MINUTES) >= _MAX_CHECKED:
                _MINUTES.clear()
            _MINUTES.add(value[:17])
            _last_minute = value[:17]
            if len(value) != 20 and (len(value) != 24 or value[20:23] == "000"):
                value = _in_millis(value)  # not already no fraction or three digits but 000
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
    """Epoch seconds (a float's digits read as written: 1714557600.123 is .123, never .122)."""
    if not 0 <= seconds < MAX_EPOCH_SECONDS:
        raise ValueError(f"epoch seconds out of range: {seconds!r}")
    return _from_millis(_thousandths(seconds))


def epoch_millis_timestamp(millis: float) -> str:
    """Epoch milliseconds (OCSF's ``time``, ASFF's sequence times), sub-millisecond digits dropped."""
    if not 0 <= millis < MAX_EPOCH_SECONDS * 1000:
        raise ValueError(f"epoch milliseconds out of range: {millis!r}")
    return _from_millis(int(millis) if isinstance(millis, int) else int(Decimal(repr(millis))))


def _thousandths(seconds: float) -> int:
    if isinstance(seconds, int):
        return seconds * 1000
    return int(Decimal(repr(seconds)) * 1000)  # exact: float arithmetic would give .122999...


def _from_millis(millis: int) -> str:
    return _format(_EPOCH + timedelta(milliseconds=millis))


@lru_cache(maxsize=64)
def epoch_millis(moment: str) -> int:
    """An RFC 3339 UTC time (``2026-01-01T00:00:00.123Z``) as epoch milliseconds: the short
    form a ``date`` field takes by default (``strict_date_optional_time||epoch_millis``)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    seconds = int(parsed.timestamp())
    return seconds * 1000 + parsed.microsecond // 1000


@lru_cache(maxsize=64)
def ingested_millis(moment: str) -> int | str:
    """The loader's ``event.ingested`` stamp (RFC 3339) in epoch milliseconds, 13 digits
    instead of 24 characters; any other text (a test's placeholder) as it is. Cached: one
    stamp per object, asked for by each of its records."""
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
    millis = moment.microsecond // 1000
    if millis:
        return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{millis:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _in_millis(text: str) -> str:
    """RFC 3339 UTC text with a fraction of other than three digits, or ``.000``: its
    milliseconds (sub-millisecond digits dropped, as a ``date`` field drops them)."""
    millis = (text[20:-1] + "00")[:3]
    return f"{text[:19]}.{millis}Z" if millis != "000" else f"{text[:19]}Z"


_EPOCH_MILLISECONDS = 100_000_000_000
"""Epoch numbers above this (the year 5138 in seconds) are milliseconds."""


def epoch_or_iso(value: Any) -> str | None:
    """A secondary time given as ISO 8601 text, epoch seconds or epoch milliseconds (ASFF's
    attack sequence times are ``long`` milliseconds); ``None`` when absent or unparseable."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= _EPOCH_MILLISECONDS:
        try:
            return epoch_millis_timestamp(value)
        except ValueError:
            return None
    return optional_time(value)
