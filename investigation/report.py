"""The investigation's answer: who, when, what, from where, and related findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from investigation.chain import Link
from investigation.finding import Finding


@dataclass(frozen=True, slots=True)
class Count:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class ActionCount:
    provider: str
    action: str
    count: int
    errors: int

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "action": self.action, "count": self.count, "errors": self.errors}


@dataclass(frozen=True, slots=True)
class Identity:
    """One identity seen acting on the subject (resource and IP investigations)."""

    key: str
    """The principal id the events were grouped by (empty for an AWS service)."""
    link: Link
    events: int
    writes: int
    errors: int
    last_seen: str | None
    origin: str | None = None
    """Where this identity's credentials come from, when that took a chain to find."""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.link.to_dict(),
            "events": self.events,
            "writes": self.writes,
            "errors": self.errors,
            "last_seen": self.last_seen,
            "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class Change:
    """A write call on the subject, with who made it."""

    principal_id: str
    time: str | None
    provider: str | None
    action: str | None
    actor: str
    outcome: str | None
    source: str | None
    resources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "provider": self.provider,
            "action": self.action,
            "actor": self.actor,
            "outcome": self.outcome,
            "source": self.source,
            "resources": list(self.resources),
        }


@dataclass(slots=True)
class Who:
    mode: str
    chain: list[Link] = field(default_factory=list)
    complete: bool = False
    stopped: str | None = None
    identities: list[Identity] = field(default_factory=list)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "summary": self.summary,
            "chain": [link.to_dict() for link in self.chain],
            "origin": self.chain[-1].to_dict() if self.complete and self.chain else None,
            "complete": self.complete,
            "stopped": self.stopped,
            "identities": [identity.to_dict() for identity in self.identities],
        }


@dataclass(slots=True)
class When:
    window_start: str
    window_end: str
    finding_first_observed: str
    finding_last_observed: str
    first_seen: str | None = None
    last_seen: str | None = None
    interval: str = ""
    histogram: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": {"from": self.window_start, "to": self.window_end},
            "finding": {
                "first_observed": self.finding_first_observed,
                "last_observed": self.finding_last_observed,
            },
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "interval": self.interval,
            "histogram": [{"time": time, "count": count} for time, count in self.histogram],
        }


@dataclass(slots=True)
class What:
    events: int = 0
    reads: int = 0
    writes: int = 0
    errors: int = 0
    denials: int = 0
    actions: list[ActionCount] = field(default_factory=list)
    error_codes: list[Count] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "events": self.events,
            "reads": self.reads,
            "writes": self.writes,
            "errors": self.errors,
            "denials": self.denials,
            "actions": [action.to_dict() for action in self.actions],
            "error_codes": [{"code": c.value, "count": c.count} for c in self.error_codes],
            "resources": self.resources,
            "changes": [change.to_dict() for change in self.changes],
        }


@dataclass(slots=True)
class Where:
    ips: list[Count] = field(default_factory=list)
    user_agents: list[Count] = field(default_factory=list)
    accounts: list[Count] = field(default_factory=list)
    """``<id> (<name>)`` of the accounts the events happened in (the name from enrichment)."""
    countries: list[Count] = field(default_factory=list)
    """``source.geo.country_iso_code`` of the source addresses (docs/enrichment.md)."""
    networks: list[Count] = field(default_factory=list)
    """``source.as.organization.name`` (with an ASN database)."""
    tools: list[Count] = field(default_factory=list)
    """``aws.user_agent.tool.name``: console, aws-cli, boto3, terraform..."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ips": [{"ip": c.value, "count": c.count} for c in self.ips],
            "user_agents": [{"user_agent": c.value, "count": c.count} for c in self.user_agents],
            "accounts": [{"account": c.value, "count": c.count} for c in self.accounts],
            "countries": [{"country": c.value, "count": c.count} for c in self.countries],
            "networks": [{"network": c.value, "count": c.count} for c in self.networks],
            "tools": [{"tool": c.value, "count": c.count} for c in self.tools],
        }


@dataclass(frozen=True, slots=True)
class RelatedFinding:
    id: str
    source: str
    title: str | None
    type: str | None
    severity: float | None
    updated: str | None
    shared: tuple[str, ...]
    """The actor's keys this finding also names."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "type": self.type,
            "severity": self.severity,
            "updated": self.updated,
            "shared": list(self.shared),
        }


@dataclass(slots=True)
class Report:
    finding: Finding
    who: Who
    when: When
    what: What
    where: Where
    related_findings: list[RelatedFinding] = field(default_factory=list)
    dashboards_url: str | None = None
    queries: int = 0
    """Searches the investigation sent (not part of the JSON form)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding": self.finding.to_dict(),
            "who": self.who.to_dict(),
            "when": self.when.to_dict(),
            "what": self.what.to_dict(),
            "where": self.where.to_dict(),
            "related_findings": [related.to_dict() for related in self.related_findings],
            "dashboards_url": self.dashboards_url,
        }
