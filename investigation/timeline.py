"""Turn the scope search into the chain's activity per hop and the timeline of important events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from investigation import fields as f
from investigation.activity import (
    DENIAL,
    aggregations,
    bucket_counts,
    events,
    metric_time,
    named_resources,
    total,
)
from investigation.chain import Link, link_from_identity
from investigation.documents import identity_of, text
from investigation.importance import reasons
from investigation.report import HopActivity, Timeline, TimelineEvent
from investigation.scope import Scope
from investigation.times import normalized


def timeline(
    response: dict[str, Any], scope: Scope, chain: Sequence[Link], hops: Sequence[Scope]
) -> Timeline:
    """``hops[i]`` is the scope of ``chain[i]``'s own events (empty when it cannot be told)."""
    aggs = aggregations(response)
    buckets = aggs.get("hops", {}).get("buckets", {})
    return Timeline(
        scope=scope,
        events=int(aggs.get("events", {}).get("doc_count", 0)),
        important=total(response),
        hops=[
            _hop(number, link, buckets.get(str(number), {}))
            for number, (link, hop) in enumerate(zip(chain, hops, strict=True), 1)
            if not hop.empty
        ],
        entries=[_entry(event, hops) for event in events(response)],
    )


def _hop(number: int, link: Link, bucket: dict[str, Any]) -> HopActivity:
    codes = bucket_counts(bucket.get("errors", {}).get("codes", {}))
    return HopActivity(
        hop=number,
        identity=link.label,
        access_key_id=link.access_key_id,
        events=int(bucket.get("doc_count", 0)),
        writes=int(bucket.get("writes", {}).get("doc_count", 0)),
        errors=int(bucket.get("errors", {}).get("doc_count", 0)),
        denials=sum(code.count for code in codes if DENIAL.search(code.value)),
        first_seen=metric_time(bucket.get("first", {})),
        last_seen=metric_time(bucket.get("last", {})),
        actions=bucket_counts(bucket.get("actions", {})),
        ips=bucket_counts(bucket.get("ips", {})),
    )


def hop_of(event: dict[str, Any], hops: Sequence[Scope]) -> int | None:
    """The number of the hop whose scope holds ``event`` (``None``: another identity)."""
    return next(
        (
            number
            for number, scope in enumerate(hops, 1)
            if not scope.empty and all(term.matches(event) for term in scope.clauses[0])
        ),
        None,
    )


def _entry(event: dict[str, Any], hops: Sequence[Scope]) -> TimelineEvent:
    hop = hop_of(event, hops)
    return TimelineEvent(
        time=normalized(text(event, f.TIMESTAMP)),
        event_id=text(event, "event.id"),
        hop=hop,
        actor=link_from_identity(identity_of(event), text(event, f.ACCOUNT)).label,
        provider=text(event, f.PROVIDER),
        action=text(event, f.ACTION),
        outcome=text(event, f.OUTCOME),
        error_code=text(event, f.ERROR_CODE),
        source=text(event, f.SOURCE_ADDRESS) or text(event, f.SOURCE_IP),
        reasons=reasons(event),
        resources=named_resources(event),
    )
