"""One line per finding from a :func:`investigation.queries.findings_by_id` search.

A GuardDuty finding imported into Security Hub is one finding: its Security Hub ``Id`` is the
GuardDuty ARN, and the native GuardDuty document (the fuller one) stands for both.
"""

from __future__ import annotations

from typing import Any

from investigation import fields as f
from investigation.activity import aggregations
from investigation.documents import first, text, values
from investigation.finding import is_sample
from investigation.report import FindingSummary


def newest_per_finding(response: dict[str, Any]) -> list[tuple[FindingSummary, dict[str, Any]]]:
    """Each finding's summary and newest document, newest first."""
    aggs = aggregations(response)
    native = aggs.get("guardduty", {}).get("buckets", [])
    native_arns = {arn for bucket in native for arn in values(latest(bucket), f.GUARDDUTY_ARN)}
    imported = [
        bucket
        for bucket in aggs.get("securityhub", {}).get("buckets", [])
        if bucket["key"] not in native_arns
    ]
    found = [(summary("guardduty", bucket), latest(bucket)) for bucket in native]
    found += [(summary("securityhub", bucket), latest(bucket)) for bucket in imported]
    return sorted(found, key=lambda pair: pair[0].updated or "", reverse=True)


def latest(bucket: dict[str, Any]) -> dict[str, Any]:
    hits = bucket.get("latest", {}).get("hits", {}).get("hits", [])
    return hits[0].get("_source", {}) if hits else {}


def summary(source: str, bucket: dict[str, Any]) -> FindingSummary:
    document = latest(bucket)
    severity = first(document, "event.severity")
    return FindingSummary(
        id=str(bucket["key"]),
        source=source,
        title=text(document, "message"),
        type=text(document, "rule.id") or text(document, f.ACTION),
        severity=float(severity) if isinstance(severity, int | float) else None,
        updated=text(document, f.TIMESTAMP),
        account_id=text(document, f.ACCOUNT),
        region=text(document, f.REGION),
        sample=is_sample(document),
    )
