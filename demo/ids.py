"""Deterministic AWS-shaped identifiers and timestamps, drawn from one seeded generator.

Every id has the shape AWS gives it (length, prefix, alphabet), so that code which
validates or pattern-matches ids (``AKIA``/``ASIA`` keys, ``AROA`` role ids, 32-hex
GuardDuty ids) treats demo data exactly like real data.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

# Access key ids are base32 after the four-letter prefix; unique ids are upper alphanumerics.
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_UNIQUE_ID_ALPHABET = string.ascii_uppercase + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


class Ids:
    """A seeded source of identifiers: the same seed yields the same ids in the same order."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def _pick(self, alphabet: str, length: int) -> str:
        return "".join(self.random.choices(alphabet, k=length))

    def account_id(self) -> str:
        return str(self.random.randrange(100_000_000_000, 999_999_999_999))

    def access_key_id(self, temporary: bool = False) -> str:
        """``AKIA`` + 16 for a long-term key, ``ASIA`` + 16 for an STS session key."""
        return ("ASIA" if temporary else "AKIA") + self._pick(_KEY_ALPHABET, 16)

    def unique_id(self, prefix: str) -> str:
        """An IAM unique id: ``AIDA`` (user), ``AROA`` (role), ``AGPA`` (group) + 17."""
        return prefix + self._pick(_UNIQUE_ID_ALPHABET, 17)

    def uuid(self) -> str:
        value = f"{self.random.getrandbits(128):032x}"
        # Force the version-4 and variant nibbles so the text reads as a real UUIDv4.
        value = value[:12] + "4" + value[13:16] + "89ab"[int(value[16], 16) % 4] + value[17:]
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"

    def hex(self, length: int) -> str:
        return f"{self.random.getrandbits(length * 4):0{length}x}"

    def resource_id(self, prefix: str) -> str:
        """``i-``, ``sg-``, ``eni-``, ``vpc-``, ``subnet-``, ``fl-`` + 17 hex digits."""
        return f"{prefix}-{self.hex(17)}"

    def lower_alnum(self, length: int) -> str:
        return self._pick(_LOWER_ALNUM, length)

    def mixed_alnum(self, length: int) -> str:
        return self._pick(string.ascii_letters + string.digits, length)

    def session_token(self) -> str:
        """Shaped like an STS session token; CloudTrail logs it in ``responseElements``."""
        body = self._pick(string.ascii_letters + string.digits + "+/", 300)
        return "IQoJb3JpZ2luX2Vj" + body

    def ip_in(self, prefix: str) -> str:
        """A host address in a /24 given by its first three octets (``203.0.113``)."""
        return f"{prefix}.{self.random.randrange(2, 254)}"


def iso(moment: datetime) -> str:
    """CloudTrail's and EventBridge's form: ``2026-03-14T09:12:40Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(moment: datetime) -> str:
    """GuardDuty's and Security Hub's form: ``2026-03-14T09:12:40.123Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def compact(moment: datetime) -> str:
    """The time stamp in S3 file names: ``20260314T0915Z``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def cloudtrail_response_date(moment: datetime) -> str:
    """The US-style date STS and IAM write into ``responseElements``: ``Mar 14, 2026, 9:20:00 AM``."""
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M:%S} {suffix}"
