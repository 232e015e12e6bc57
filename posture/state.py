"""The current posture: the latest state of every (account, control or rule, resource).

Computed at read time, with no write to the TIMESERIES collection (which takes no update by
id, docs: ../shared/reference/opensearch-serverless.md): a ``composite`` aggregation walks
every key (account + Security Hub finding id, or account + Config rule + resource) in pages
(``after_key``), and a ``top_hits`` of size 1 sorted on ``@timestamp`` picks each key's newest
document. Why not ``collapse``: it groups on one field only (Config's key is three), and it
cannot page past 10 000 groups without ``search_after``, which it does not combine with on
every engine; a composite pages any number of keys. Why not a state index kept by a scheduled
function: one more writer and one more thing to drift, for a question a query answers in a
few pages per thousand accounts' resources.

A Security Hub control finding's id names one control on one resource in one account, so it
is the key; its newest update wins. A finding whose newest update is ``ARCHIVED`` or whose
workflow is ``RESOLVED`` drops out. A Config verdict's key is the account, the rule and the
evaluated resource; ``NOT_APPLICABLE`` drops out. An index not created yet (no finding of
the source so far) answers nothing (``ignore_unavailable``), as in Dashboards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

PAGE_SIZE = 500

SH = "aws.securityhub_findings"
SH_FIELDS = (
    "@timestamp",
    "cloud.account.id",
    "rule.id",
    "rule.name",
    "message",
    f"{SH}.id",
    f"{SH}.compliance.status",
    f"{SH}.compliance.security_control_id",
    f"{SH}.record_state",
    f"{SH}.workflow.status",
    f"{SH}.severity.label",
    f"{SH}.resources.id",
    f"{SH}.generator_id",
)
CONFIG_FIELDS = (
    "@timestamp",
    "cloud.account.id",
    "rule.name",
    "rule.category",
    "aws.config.compliance.type",
    "aws.config.compliance.annotation",
    "aws.config.evaluated_resource",
)
FAILED = frozenset({"FAILED", "NON_COMPLIANT"})
PASSED = frozenset({"PASSED", "COMPLIANT"})


class Searcher(Protocol):
    def search(self, index: str, body: dict[str, Any], ignore_unavailable: bool) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ControlState:
    """One control or rule on one resource of one account, as its newest document says."""

    account: str
    source: str
    """``securityhub`` or ``config``."""
    control: str
    """The Security Hub control id (``S3.8``) or the Config rule's name."""
    resource: str
    status: str
    """``PASSED``/``FAILED``/``WARNING``/``NOT_AVAILABLE`` or ``COMPLIANT``/``NON_COMPLIANT``/``INSUFFICIENT_DATA``."""
    updated: str
    severity: str
    title: str

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    @property
    def passed(self) -> bool:
        return self.status in PASSED


@dataclass(frozen=True, slots=True)
class Scope:
    """Which states: up to a moment (a period's end), for some accounts (all when empty)."""

    until: str | None = None
    accounts: tuple[str, ...] = ()

    def filters(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.until:
            out.append({"range": {"@timestamp": {"lte": self.until}}})
        if self.accounts:
            out.append({"terms": {"cloud.account.id": list(self.accounts)}})
        return out


def current_states(client: Searcher, prefix: str, scope: Scope = Scope()) -> list[ControlState]:
    """Every current control and rule state, Security Hub's then Config's, in key order."""
    states = [
        state
        for hit in newest_per_key(client, f"{prefix}securityhub", _securityhub_query(scope), SH_FIELDS)
        if (state := securityhub_state(hit)) is not None
    ]
    states += [
        state
        for hit in newest_per_key(client, f"{prefix}config", _config_query(scope), CONFIG_FIELDS)
        if (state := config_state(hit)) is not None
    ]
    return states


def _securityhub_query(scope: Scope) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    query = {"bool": {"filter": [{"exists": {"field": f"{SH}.compliance.status"}}, *scope.filters()]}}
    return query, [
        {"account": {"terms": {"field": "cloud.account.id"}}},
        {"finding": {"terms": {"field": f"{SH}.id"}}},
    ]


def _config_query(scope: Scope) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    query = {
        "bool": {
            "filter": [
                {"term": {"event.dataset": "aws.config"}},
                {"exists": {"field": "aws.config.compliance.type"}},
                *scope.filters(),
            ]
        }
    }
    return query, [
        {"account": {"terms": {"field": "cloud.account.id"}}},
        {"rule": {"terms": {"field": "rule.name"}}},
        {"resource": {"terms": {"field": "aws.config.evaluated_resource.id"}}},
    ]


def newest_per_key(
    client: Searcher,
    index: str,
    query_and_keys: tuple[dict[str, Any], list[dict[str, Any]]],
    fields: tuple[str, ...],
) -> Iterator[dict[str, Any]]:
    """The newest document of each key, page after page of the composite aggregation."""
    query, keys = query_and_keys
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"size": PAGE_SIZE, "sources": keys}
        if after is not None:
            composite["after"] = after
        body = {
            "size": 0,
            "query": query,
            "aggs": {
                "keys": {
                    "composite": composite,
                    "aggs": {
                        "newest": {
                            "top_hits": {
                                "size": 1,
                                "sort": [{"@timestamp": {"order": "desc"}}],
                                "_source": {"includes": list(fields)},
                            }
                        }
                    },
                }
            },
        }
        answer = client.search(index=index, body=body, ignore_unavailable=True)
        aggregation = answer.get("aggregations", {}).get("keys", {})
        buckets = aggregation.get("buckets", [])
        for bucket in buckets:
            hits = bucket["newest"]["hits"]["hits"]
            if hits:
                yield hits[0]["_source"]
        after = aggregation.get("after_key")
        if not buckets or after is None or len(buckets) < PAGE_SIZE:
            return


def _get(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def securityhub_state(document: dict[str, Any]) -> ControlState | None:
    """A control finding's newest update as a state; ``None`` when it dropped out."""
    if _get(document, f"{SH}.record_state") == "ARCHIVED":
        return None
    if _get(document, f"{SH}.workflow.status") == "RESOLVED":
        return None
    resources = _get(document, f"{SH}.resources") or []
    resource = next((r.get("id") for r in resources if isinstance(r, dict) and r.get("id")), "")
    control = (
        _get(document, f"{SH}.compliance.security_control_id")
        or str(_get(document, "rule.id") or "").rsplit("/", 1)[-1]
    )
    return ControlState(
        account=str(_get(document, "cloud.account.id")),
        source="securityhub",
        control=str(control),
        resource=str(resource),
        status=str(_get(document, f"{SH}.compliance.status")),
        updated=str(document.get("@timestamp")),
        severity=str(_get(document, f"{SH}.severity.label") or ""),
        title=str(_get(document, "rule.name") or document.get("message") or ""),
    )


def config_state(document: dict[str, Any]) -> ControlState | None:
    """A Config rule's newest verdict on a resource; ``None`` when not applicable."""
    status = str(_get(document, "aws.config.compliance.type"))
    if status == "NOT_APPLICABLE":
        return None
    evaluated = _get(document, "aws.config.evaluated_resource") or {}
    resource = "/".join(part for part in (evaluated.get("type"), evaluated.get("id")) if part)
    return ControlState(
        account=str(_get(document, "cloud.account.id")),
        source="config",
        control=str(_get(document, "rule.name")),
        resource=resource,
        status=status,
        updated=str(document.get("@timestamp")),
        severity="",
        title=str(_get(document, "aws.config.compliance.annotation") or _get(document, "rule.name") or ""),
    )


@dataclass(frozen=True, slots=True)
class AccountPosture:
    account: str
    passed: int
    failed: int
    other: int

    @property
    def pass_rate(self) -> float | None:
        """Passed over passed + failed; ``None`` with nothing evaluated."""
        judged = self.passed + self.failed
        return self.passed / judged if judged else None


def by_account(states: list[ControlState]) -> list[AccountPosture]:
    """Counts per account, accounts in order."""
    counts: dict[str, list[int]] = {}
    for state in states:
        row = counts.setdefault(state.account, [0, 0, 0])
        row[0 if state.passed else 1 if state.failed else 2] += 1
    return [AccountPosture(account, *row) for account, row in sorted(counts.items())]
