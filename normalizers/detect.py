"""Recognize a source from an object's first bytes; the S3 key is only a tie-breaker.

Content decides because keys lie: a bucket shared by an organization receives objects
under prefixes nobody controls, and Firehose names files after the delivery stream.
The earliest discriminating JSON key in the head wins, so that a CloudTrail record that
merely *mentions* ``ProductArn`` in its request parameters is still CloudTrail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from normalizers.base import Source

PARQUET_MAGIC = b"PAR1"

_DETAIL_TYPES: dict[bytes, Source] = {
    b"GuardDuty Finding": "guardduty",
    b"Security Hub Findings - Imported": "securityhub",
    b"Security Hub Findings - Custom Action": "securityhub",
    b"Security Hub Insight Results": "securityhub",
}
# Every CloudTrail event on EventBridge is "<something> via CloudTrail" (API calls, console
# sign-ins and actions, service events, Insights...); new kinds appear over time.
_VIA_CLOUDTRAIL = b" via CloudTrail"

# Each marker names the JSON key (quotes included, so "/detectorId" inside a Security Hub
# ProductFields key does not count) and what it means.
_MARKERS: list[tuple[re.Pattern[bytes], str]] = [
    (re.compile(rb'"detail-type"\s*:\s*"([^"]*)"'), "detail-type"),
    (
        re.compile(rb'"(?:digestStartTime|digestEndTime|digestS3Bucket|digestPublicKeyFingerprint)"\s*:'),
        "digest",
    ),
    (re.compile(rb'"(?:Records|eventVersion)"\s*:'), "cloudtrail"),
    (re.compile(rb'"(?:SchemaVersion|ProductArn|AwsAccountId|GeneratorId)"\s*:'), "securityhub"),
    (
        re.compile(rb'"(?:schemaVersion|detectorId)"\s*:|"[Aa]rn"\s*:\s*"arn:aws[\w-]*:guardduty:'),
        "guardduty",
    ),
]
# A GuardDuty finding as the CLI/SDK print it (PascalCase: "SchemaVersion" like ASFF) has
# a top-level "Arn" that is a GuardDuty finding ARN; ASFF has no "Arn" key (its GuardDuty
# imports carry that ARN in "Id"), so this outranks the Security Hub markers wherever it is.
_GUARDDUTY_API = re.compile(rb'"Arn"\s*:\s*"arn:aws[\w-]*:guardduty:')

_FLOW_FIELDS = re.compile(
    rb"\A\s*(?:[a-z0-9-]+ )*(?:srcaddr|dstaddr|interface-id|log-status|account-id|tgw-id|flow-direction|packets)\b"
)

_KEY_HINTS: list[tuple[re.Pattern[str], Source]] = [
    (re.compile(r"CloudTrail-Digest", re.I), "cloudtrail"),
    (re.compile(r"cloudtrail", re.I), "cloudtrail"),
    (re.compile(r"vpcflowlogs|flow-?logs?", re.I), "vpcflow"),
    (re.compile(r"guardduty", re.I), "guardduty"),
    (re.compile(r"security-?hub", re.I), "securityhub"),
]


@dataclass(frozen=True, slots=True)
class Detection:
    source: Source | None
    skip: str | None = None
    """Set for objects recognized as not holding records (CloudTrail digest files)."""


def hint_from_key(key: str) -> Source | None:
    for pattern, source in _KEY_HINTS:
        if pattern.search(key):
            return source
    return None


def detect(head: bytes, key: str = "") -> Detection:
    """Name the source of an object from its first bytes (decompressed)."""
    if head.startswith(PARQUET_MAGIC):
        return Detection("vpcflow")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return Detection(hint_from_key(key))
    if text[:1] in (b"{", b"["):
        return _detect_json(text, key)
    if _FLOW_FIELDS.match(text):
        return Detection("vpcflow")
    return Detection(None)


def _detect_json(text: bytes, key: str) -> Detection:
    earliest: tuple[int, str, re.Match[bytes]] | None = None
    for pattern, meaning in _MARKERS:
        match = pattern.search(text)
        if match and (earliest is None or match.start() < earliest[0]):
            earliest = (match.start(), meaning, match)
    if earliest is None:
        # e.g. {"findings": []}: an empty batch carries no marker; the key decides.
        if re.match(rb'\{\s*"(?:findings|Findings)"\s*:\s*\[\s*\]', text):
            return Detection(hint_from_key(key) or "guardduty")
        return Detection(None)
    _, meaning, match = earliest
    if meaning == "securityhub" and _GUARDDUTY_API.search(text):
        return Detection("guardduty")
    if meaning == "detail-type":
        detail_type = match.group(1)
        if detail_type.endswith(_VIA_CLOUDTRAIL):
            return Detection("cloudtrail")
        if detail_type in _DETAIL_TYPES:
            return Detection(_DETAIL_TYPES[detail_type])
        # An event kind we do not list: the record inside (``detail``) still says what it is.
        return _detect_json(text[match.end() :], key)
    if meaning == "digest":
        return Detection("cloudtrail", skip="CloudTrail digest file")
    return Detection(meaning)  # type: ignore[arg-type]
