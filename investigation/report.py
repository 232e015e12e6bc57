"""The investigation's answer: who, when, what, from where, and related findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from investigation.chain import Link
from investigation.finding import Finding
from investigation.pivots import Pivot
from investigation.scope import Scope


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
    event_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "time": self.time,
            "provider": self.provider,
            "action": self.action,
            "actor": self.actor,
            "outcome": self.outcome,
            "source": self.source,
            "resources": list(self.resources),
        }


@dataclass(frozen=True, slots=True)
class ConfigItem:
    """A configuration item AWS Config recorded for the resource, and the CloudTrail events
    (``relatedEvents``) behind its change."""

    captured: str | None
    status: str | None
    resource_type: str | None
    resource_id: str | None
    event_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "captured": self.captured,
            "status": self.status,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "event_ids": list(self.event_ids),
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
    changes_from: str = "window"
    """``config``: the changes are the CloudTrail events AWS Config named (``config_items``);
    ``window``: the newest write calls on the subject in the window."""
    config_items: list[ConfigItem] = field(default_factory=list)
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
            "changes_from": self.changes_from,
            "config_items": [item.to_dict() for item in self.config_items],
        }


@dataclass(slots=True)
class Where:
    ips: list[Count] = field(default_factory=list)
    addresses: list[Count] = field(default_factory=list)
    """``source.address``: a ``sourceIPAddress`` that is no IP, such as the AWS service that
    made the call (``cloudformation.amazonaws.com``) or ``AWS Internal``."""
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
            "addresses": [{"address": c.value, "count": c.count} for c in self.addresses],
            "user_agents": [{"user_agent": c.value, "count": c.count} for c in self.user_agents],
            "accounts": [{"account": c.value, "count": c.count} for c in self.accounts],
            "countries": [{"country": c.value, "count": c.count} for c in self.countries],
            "networks": [{"network": c.value, "count": c.count} for c in self.networks],
            "tools": [{"tool": c.value, "count": c.count} for c in self.tools],
        }


@dataclass(frozen=True, slots=True)
class FindingSummary:
    """One finding as its newest update tells it (``siem findings list``, related findings)."""

    id: str
    """The id ``siem investigate`` takes: the GuardDuty id, or the Security Hub ``Id``."""
    source: str
    title: str | None
    type: str | None
    severity: float | None
    """``event.severity``: 0-100 for both sources."""
    updated: str | None
    account_id: str | None = None
    region: str | None = None
    sample: bool = False
    """A sample finding (GuardDuty ``CreateSampleFindings``, Security Hub ``Sample``), not a real one."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "type": self.type,
            "severity": self.severity,
            "updated": self.updated,
            "account_id": self.account_id,
            "region": self.region,
            "sample": self.sample,
        }


@dataclass(frozen=True, slots=True)
class RelatedFinding(FindingSummary):
    shared: tuple[str, ...] = ()
    """The actor's keys this finding also names."""

    def to_dict(self) -> dict[str, Any]:
        return {**FindingSummary.to_dict(self), "shared": list(self.shared)}


@dataclass(frozen=True, slots=True)
class HopActivity:
    """What one identity of the chain did in the window (its own events only)."""

    hop: int
    """1 is the finding's credential (or the identity followed), the last is the origin."""
    identity: str
    access_key_id: str | None
    events: int
    writes: int
    errors: int
    denials: int
    first_seen: str | None
    last_seen: str | None
    actions: list[Count]
    ips: list[Count]

    def to_dict(self) -> dict[str, Any]:
        return {
            "hop": self.hop,
            "identity": self.identity,
            "access_key_id": self.access_key_id,
            "events": self.events,
            "writes": self.writes,
            "errors": self.errors,
            "denials": self.denials,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "actions": [{"action": c.value, "count": c.count} for c in self.actions],
            "ips": [{"ip": c.value, "count": c.count} for c in self.ips],
        }


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One important event of the scope."""

    time: str | None
    event_id: str | None
    hop: int | None
    """The hop of the chain that made it; ``None`` for another identity acting on the subject."""
    actor: str
    provider: str | None
    action: str | None
    outcome: str | None
    error_code: str | None
    source: str | None
    reasons: tuple[str, ...]
    """``sign-in``, ``credentials``, ``error``, ``write``, ``sensitive read``."""
    resources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "event_id": self.event_id,
            "hop": self.hop,
            "actor": self.actor,
            "provider": self.provider,
            "action": self.action,
            "outcome": self.outcome,
            "error_code": self.error_code,
            "source": self.source,
            "reasons": list(self.reasons),
            "resources": list(self.resources),
        }


@dataclass(slots=True)
class Timeline:
    """The scope's events: how many, per hop, and the important ones in time order."""

    scope: Scope | None = None
    events: int = 0
    """Every CloudTrail event of the scope (what the Dashboards link shows)."""
    important: int = 0
    """Important events of the scope; ``entries`` holds the oldest of them."""
    hops: list[HopActivity] = field(default_factory=list)
    entries: list[TimelineEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope.to_dict() if self.scope else None,
            "events": self.events,
            "important": self.important,
            "hops": [hop.to_dict() for hop in self.hops],
            "entries": [entry.to_dict() for entry in self.entries],
        }


@dataclass(frozen=True, slots=True)
class FlowSide:
    """An address's VPC flows on one side (``from``: it is the source; ``to``: the destination)
    with one action (``ACCEPT``, ``REJECT``)."""

    side: str
    action: str
    flows: int
    bytes: int
    packets: int
    first_seen: str | None
    last_seen: str | None
    peers: list[Count]
    """The addresses on the other side."""
    ports: list[Count]
    """Destination ports."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "action": self.action,
            "flows": self.flows,
            "bytes": self.bytes,
            "packets": self.packets,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "peers": [{"ip": c.value, "flows": c.count} for c in self.peers],
            "ports": [{"port": c.value, "flows": c.count} for c in self.ports],
        }


@dataclass(frozen=True, slots=True)
class AddressFlows:
    ip: str
    sides: list[FlowSide]

    def to_dict(self) -> dict[str, Any]:
        return {"ip": self.ip, "flows": [side.to_dict() for side in self.sides]}


@dataclass(slots=True)
class Report:
    finding: Finding
    who: Who
    when: When
    what: What
    where: Where
    related_findings: list[RelatedFinding] = field(default_factory=list)
    dashboards_url: str | None = None
    timeline: Timeline = field(default_factory=Timeline)
    network: list[AddressFlows] = field(default_factory=list)
    """VPC flows of the finding's addresses and the actor's outside source addresses."""
    pivots: list[Pivot] = field(default_factory=list)
    """What the chain created or changed, with its latest known state."""
    containment: list[str] = field(default_factory=list)
    """Containment steps derived from the chain and the pivots (advice only)."""
    queries: int = 0
    """Searches the investigation sent (not part of the JSON form)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding": self.finding.to_dict(),
            "who": self.who.to_dict(),
            "when": self.when.to_dict(),
            "what": self.what.to_dict(),
            "where": self.where.to_dict(),
            "timeline": self.timeline.to_dict(),
            "network": [address.to_dict() for address in self.network],
            "pivots": [pivot.to_dict() for pivot in self.pivots],
            "containment": self.containment,
            "related_findings": [related.to_dict() for related in self.related_findings],
            "dashboards_url": self.dashboards_url,
        }
