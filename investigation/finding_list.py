"""List findings (``siem findings list``): one line per finding, its newest update, newest first,
with the id ``siem investigate`` takes. One search over both findings indices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch

from investigation import fields as f
from investigation.finding import SAMPLE_TAG
from investigation.queries import findings_by_id
from investigation.report import FindingSummary
from investigation.summaries import newest_per_finding

SEVERITY_LABELS: dict[str, tuple[float | None, float | None]] = {
    "INFORMATIONAL": (None, 1),
    "LOW": (1, 40),
    "MEDIUM": (40, 70),
    "HIGH": (70, 90),
    "CRITICAL": (90, None),
}
"""Label -> ``event.severity`` range [from, to): Security Hub's ``Severity.Normalized`` bands
(0 informational, 1-39 low, 40-69 medium, 70-89 high, 90-100 critical), which GuardDuty's
0-10 bands are tenfold of."""
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class FindingFilter:
    labels: tuple[str, ...] = ()
    """Severity labels (any of them)."""
    min_severity: float | None = None
    type_prefix: str | None = None
    """``rule.id`` starts with it: ``Recon:``, ``UnauthorizedAccess:IAMUser/``, ``IAM.``."""
    account_ids: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    """The finding's newest update lies in [since, until] (``@timestamp``)."""
    sample: bool | None = None
    """``True``: sample findings only; ``False``: real findings only; ``None``: both."""
    limit: int = DEFAULT_LIMIT

    def query(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if self.labels:
            bands = [_range(*SEVERITY_LABELS[label]) for label in self.labels]
            clauses.append({"bool": {"should": bands, "minimum_should_match": 1}})
        if self.min_severity is not None:
            clauses.append({"range": {"event.severity": {"gte": self.min_severity}}})
        if self.type_prefix:
            clauses.append({"prefix": {"rule.id": self.type_prefix}})
        if self.account_ids:
            clauses.append({"terms": {f.ACCOUNT: list(self.account_ids)}})
        if self.since or self.until:
            bounds = {"gte": self.since, "lte": self.until, "format": "strict_date_optional_time"}
            clauses.append({"range": {f.TIMESTAMP: {k: v for k, v in bounds.items() if v}}})
        sample = {"term": {"tags": SAMPLE_TAG}}
        if self.sample is True:
            clauses.append(sample)
        query: dict[str, Any] = {"bool": {"filter": clauses}}
        if self.sample is False:
            query["bool"]["must_not"] = [sample]
        return query


def list_findings(client: OpenSearch, filters: FindingFilter, prefix: str = "siem-") -> list[FindingSummary]:
    indices = f.index_names(prefix)
    response = client.search(
        index=f"{indices['guardduty']},{indices['securityhub']}",
        body=findings_by_id(filters.query(), min(filters.limit, MAX_LIMIT)),
        ignore_unavailable=True,
        allow_no_indices=True,
    )
    return [found for found, _ in newest_per_finding(response)][: filters.limit]


def _range(low: float | None, high: float | None) -> dict[str, Any]:
    bounds: dict[str, float] = {}
    if low is not None:
        bounds["gte"] = low
    if high is not None:
        bounds["lt"] = high
    return {"range": {"event.severity": bounds}}
