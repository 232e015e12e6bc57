"""Dead-letter reasons: the stable prefixes (docs/schema.md, "Dead letters") and the error
that carries one out of a mapper.

A reason is ``<prefix>: <detail>``; the prefix is what counts and alerts group by, the
detail is for the person reading the dead letter.
"""

from __future__ import annotations

INVALID_JSON = "invalid JSON"
INVALID_RECORD = "invalid record"
MISSING_FIELD = "missing field"
UNPARSEABLE_TIMESTAMP = "unparseable timestamp"
TRUNCATED_INPUT = "truncated input"
RECORD_TOO_LARGE = "record too large"
OBJECT_TOO_LARGE = "object too large"
UNRECOGNIZED_FORMAT = "unrecognized format"
NORMALIZER_ERROR = "normalizer error"


class RecordError(ValueError):
    """A record that cannot become a document; ``prefix`` is the dead letter's stable reason."""

    def __init__(self, prefix: str, detail: str) -> None:
        super().__init__(f"{prefix}: {detail}")
        self.prefix = prefix


def unexpected(error: Exception) -> RecordError:
    """A failure no check foresaw (a ``TypeError`` on an odd shape, an ``OverflowError``...)
    as the record's error: it costs that record alone, never the rest of the object."""
    return RecordError(INVALID_RECORD, f"{type(error).__name__}: {error}")
