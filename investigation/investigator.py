"""``investigate``: from a finding id to who, when, what, from where, in at most 10 searches.

The searches, whatever the number of events (docs/investigate.md):

1. the finding (both findings indices and Config's verdicts, every update of it);
2. for a resource, its AWS Config items in the window and the CloudTrail events they name
   (:mod:`investigation.config_changes`);
3. the subject's CloudTrail activity in the window, as two searches sent together: what
   (calls per service and action, writes, errors, the newest events, and the events Config
   named) and when/where/who (the oldest event, the histogram, addresses, user agents,
   identities);
4. one search per depth of the credential chain (at most :data:`investigation.chain.MAX_DEPTH`,
   and what the budget leaves after reserving the last two searches);
5. the scope (the subject's events and each hop's own events): counts per hop and the timeline
   of important events (:mod:`investigation.scope`, :mod:`investigation.importance`);
6. related findings sharing the actor's keys (both findings indices) and, in the same search,
   the VPC flows of the finding's and the actor's outside addresses (:mod:`investigation.flows`).

1 + 2 + 5 + 1 + 1 = 10 searches at most (:data:`MAX_QUERIES`); with Config 1 + 1 + 2 + 4 + 1 + 1.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from investigation import activity, config_changes, queries
from investigation import fields as f
from investigation.chain import MAX_DEPTH, Chain, Link, issuers, link_from_identity, resolve
from investigation.controls import ACCOUNT_CONTROL_CALLS, ROOT_CONTROLS
from investigation.dashboards import dashboard_url
from investigation.documents import values
from investigation.finding import Finding, from_document, pick
from investigation.flows import MAX_ADDRESSES, network
from investigation.network import is_external
from investigation.pivots import Pivot, chain_credentials, checklist, created, latest_states
from investigation.report import (
    AddressFlows,
    ConfigItem,
    Identity,
    RelatedFinding,
    Report,
    Timeline,
    What,
    When,
    Where,
    Who,
)
from investigation.scope import Scope, hop_clause, scope
from investigation.summaries import newest_per_finding
from investigation.timeline import hop_of, timeline
from investigation.times import iso, parse

MAX_QUERIES = 10
SEARCHES_AFTER_CHAIN = 2
"""The timeline and the neighbours."""
DEFAULT_WINDOW = timedelta(hours=2)


class FindingNotFound(LookupError):
    """No GuardDuty or Security Hub document, nor Config NON_COMPLIANT verdict, has this id."""


class QueryBudgetExceeded(RuntimeError):
    """The investigation tried to send more searches than :data:`MAX_QUERIES`."""


class Searcher:
    """Sends the investigation's searches and counts them against the budget."""

    def __init__(self, client: OpenSearch, limit: int = MAX_QUERIES) -> None:
        self._client = client
        self.limit = limit
        self.count = 0
        self._lock = threading.Lock()

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self.count >= self.limit:
                raise QueryBudgetExceeded(f"an investigation may send at most {self.limit} searches")
            self.count += 1
        response: dict[str, Any] = self._client.search(
            index=index, body=body, ignore_unavailable=True, allow_no_indices=True
        )
        return response


def investigate(
    client: OpenSearch,
    finding_id: str,
    window: timedelta = DEFAULT_WINDOW,
    prefix: str = "siem-",
    dashboards_url: str | None = None,
    network_activity_copies: bool = False,
) -> Report:
    """Investigate one finding (Security Hub ``Id``, GuardDuty id or ARN).

    ``network_activity_copies``: count and list the CloudTrail network activity copies of the
    calls made through a VPC endpoint too (by default each call counts once, on its own event;
    an endpoint's denials are always in: :class:`~investigation.scope.Scope`)."""
    searcher = Searcher(client)
    indices = f.index_names(prefix)
    finding = _load_finding(searcher, indices, finding_id)
    start = parse(finding.first_observed) - window
    end = parse(finding.last_observed) + window
    when = When(iso(start), iso(end), finding.first_observed, finding.last_observed)

    mode = finding.mode
    subject = queries.subject_filter(mode, finding.keys, finding.control, network_activity_copies)
    interval = queries.histogram_interval(start, end)
    # One credential needs no grouping by identity; an attack sequence names several.
    by_identity = mode != "credential" or len(finding.actors) > 1
    items = _config_items(searcher, indices["config"], finding, start, end) if mode == "resource" else []
    named = config_changes.event_ids(items)
    response, sources = (
        _activity(searcher, indices["cloudtrail"], subject, start, end, by_identity, named)
        if subject
        else ({}, {})
    )
    activity.fill_when(when, response, sources, interval)
    what, where = activity.what(response), activity.where(sources)
    seen = activity.identities(response, sources)
    what.config_items = items
    changes = activity.named_changes(response)
    if changes:  # the exact calls Config names, and their actors, before the window's guess
        what.changes, what.changes_from = changes, "config"
        known = {identity.key for identity in seen}
        seen += [actor for actor in activity.named_actors(response) if actor.key not in known]

    who, followed = _who(searcher, indices, finding, seen, what, start, end)
    what.summary = _what_summary(finding, what, when)
    events, created = _timeline(searcher, indices["cloudtrail"], finding, who, when, network_activity_copies)
    related, flows, pivots = _neighbours(
        searcher, indices, finding, followed, where, events, created, start, end
    )
    url = _dashboards_url(dashboards_url, events.scope) if dashboards_url and events.scope else None
    return Report(
        finding,
        who,
        when,
        what,
        where,
        related,
        url,
        events,
        flows,
        [*chain_credentials(who.chain), *pivots],
        checklist(pivots, who.chain),
        queries=searcher.count,
    )


def _timeline(
    searcher: Searcher, index: str, finding: Finding, who: Who, when: When, copies: bool
) -> tuple[Timeline, list[Pivot]]:
    """The scope (the subject's events and every hop's own events), counted per hop, and its
    important events in time order; and what the chain's writes among them created: one search."""
    window = (when.window_start, when.window_end)
    hops = [scope(*window, [hop_clause(link)], copies) for link in who.chain]
    subject = queries.subject_clauses(finding.mode, finding.keys, finding.control)
    whole = scope(*window, [*subject, *(hop_clause(link) for link in who.chain)], copies)
    if whole.empty:
        return Timeline(scope=None), []
    response = searcher.search(index, queries.scope_events(whole, hops))
    by_hop = [(event, hop_of(event, hops)) for event in activity.events(response)]
    return timeline(response, whole, who.chain, hops), created(
        [(event, hop) for event, hop in by_hop if hop is not None]
    )


def _activity(
    searcher: Searcher,
    index: str,
    subject: dict[str, Any],
    start: datetime,
    end: datetime,
    by_identity: bool,
    named: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two CloudTrail searches of when/what and where/who, sent at the same time; the
    first also fetches the events ``named`` by AWS Config."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        what = pool.submit(searcher.search, index, queries.activity(subject, start, end, named))
        where = pool.submit(searcher.search, index, queries.origins(subject, start, end, by_identity))
        return what.result(), where.result()


def _config_items(
    searcher: Searcher, index: str, finding: Finding, start: datetime, end: datetime
) -> list[ConfigItem]:
    """The resource's configuration items in the window that name CloudTrail events: one search."""
    body = config_changes.items_query(finding.keys, start, end)
    return config_changes.config_items(searcher.search(index, body)) if body else []


def _load_finding(searcher: Searcher, indices: Mapping[str, str], finding_id: str) -> Finding:
    findings = f"{indices['guardduty']},{indices['securityhub']},{indices['config']}"
    response = searcher.search(findings, queries.load_finding(finding_id))
    document = pick(activity.documents(response))
    if document is None:
        raise FindingNotFound(
            f"no GuardDuty or Security Hub finding with id {finding_id!r} "
            f"(nor a Config NON_COMPLIANT verdict) in {findings}"
        )
    aggs = activity.aggregations(response)
    return from_document(
        document,
        aggs.get("first_observed", {}).get("value_as_string"),
        aggs.get("last_observed", {}).get("value_as_string"),
    )


def _who(
    searcher: Searcher,
    indices: Mapping[str, str],
    finding: Finding,
    seen: list[Identity],
    what: What,
    start: datetime,
    end: datetime,
) -> tuple[Who, list[Link]]:
    """Who, and the identities whose keys find related findings: the chain followed, or every
    chain of an attack sequence's credentials."""
    who = Who(mode=finding.mode)
    primary: str | None
    actors = _actor_links(finding, seen) if finding.mode == "credential" else {}
    if actors:
        starts = actors
        primary = next(iter(starts))
    elif finding.mode == "credential":
        starts = {"subject": _subject_link(finding, seen)}
        primary = "subject"
    else:
        starts = {identity.key: identity.link for identity in seen}
        primary = _primary_key(what, seen)
    # The searches after the chain (timeline, neighbours) keep their place in the budget.
    depth = min(MAX_DEPTH, searcher.limit - searcher.count - SEARCHES_AFTER_CHAIN)
    chains = (
        resolve(starts, lambda keys: _issuing_events(searcher, indices, keys, start, end), depth)
        if starts
        else {}
    )
    if actors:
        who.identities = [
            _with_origin(_actor_identity(key, chain.links[0], seen), chain) for key, chain in chains.items()
        ]
    else:
        who.identities = [_with_origin(identity, chains.get(identity.key)) for identity in seen]
    chain = chains.get(primary) if primary is not None else None
    if chain is not None:
        who.chain = chain.links
        who.complete = chain.origin is not None
        who.stopped = chain.stopped
    who.summary = _who_summary(finding, who, what)
    if actors:  # every credential of an attack sequence is the finding's actor
        return who, [link for followed in chains.values() for link in followed.links]
    return who, list(who.chain)


def _subject_link(finding: Finding, seen: list[Identity]) -> Link:
    """The finding's credential, completed with what CloudTrail recorded about it."""
    document_identity = link_from_identity(finding.identity, finding.account_id)
    keys = finding.keys
    recorded = next(
        (
            identity.link
            for identity in seen
            if identity.link.access_key_id and identity.link.access_key_id in keys.access_key_ids
        ),
        None,
    )
    if recorded is None and not keys.access_key_ids and seen:
        recorded = seen[0].link
    return _completed(document_identity, recorded)


def _actor_links(finding: Finding, seen: list[Identity]) -> dict[str, Link]:
    """Each credential an attack sequence names (its actors, in order), completed with what
    CloudTrail recorded about it: all are followed together, one search per depth."""
    starts: dict[str, Link] = {}
    for actor in finding.actors:
        key = actor.access_key_id or actor.principal_id or actor.name
        if key and key not in starts:
            recorded = next((i.link for i in seen if _same_credential(i.link, actor)), None)
            starts[key] = _completed(actor, recorded)
    return starts


def _same_credential(recorded: Link, actor: Link) -> bool:
    if actor.access_key_id:
        return recorded.access_key_id == actor.access_key_id
    return bool(actor.principal_id) and recorded.principal_id == actor.principal_id


def _completed(named: Link, recorded: Link | None) -> Link:
    """What CloudTrail recorded about a credential, completed with what the finding names."""
    if recorded is None:
        return named
    return replace(
        recorded,
        arn=recorded.arn or named.arn,
        type=recorded.type or named.type,
        account_id=recorded.account_id or named.account_id,
        principal_id=recorded.principal_id or named.principal_id,
        name=recorded.name or named.name,
    )


def _actor_identity(key: str, link: Link, seen: list[Identity]) -> Identity:
    """An attack sequence's credential with its activity in the window (none if unseen)."""
    recorded = next((identity for identity in seen if _same_credential(identity.link, link)), None)
    if recorded is None:
        return Identity(key=key, link=link, events=0, writes=0, errors=0, last_seen=None)
    return replace(recorded, key=key, link=link)


def _primary_key(what: What, seen: list[Identity]) -> str | None:
    """Resource/IP investigations follow whoever made the newest change, else the most active."""
    if what.changes:
        return what.changes[0].principal_id
    return seen[0].key if seen else None


def _with_origin(identity: Identity, chain: Chain | None) -> Identity:
    if chain is None or chain.origin is None or len(chain.links) < 2:
        return identity
    return replace(identity, origin=chain.links[-1].label)


def _issuing_events(
    searcher: Searcher, indices: Mapping[str, str], keys: list[str], start: datetime, end: datetime
) -> dict[str, Mapping[str, Any]]:
    response = searcher.search(indices["cloudtrail"], queries.issuing_events(keys, start, end))
    return issuers(activity.events(response), keys)


def _neighbours(
    searcher: Searcher,
    indices: Mapping[str, str],
    finding: Finding,
    followed: list[Link],
    where: Where,
    events: Timeline,
    created: list[Pivot],
    start: datetime,
    end: datetime,
) -> tuple[list[RelatedFinding], list[AddressFlows], list[Pivot]]:
    """Related findings, the network view and the latest state of what the chain created, in
    one search."""
    users = _actor_keys(finding, followed)
    outside = [c.value for c in where.ips] + [ip.value for hop in events.hops for ip in hop.ips]
    ips = list(dict.fromkeys([*finding.keys.ips, *(ip for ip in outside if is_external(ip))]))
    addresses = ips[:MAX_ADDRESSES]
    resources = list(finding.keys.resource_arns)
    signals = list(finding.keys.signal_findings)
    if not (users or ips or resources or signals or created):
        return [], [], created
    searched = f"{indices['guardduty']},{indices['securityhub']},{indices['vpcflow']}"
    response = searcher.search(
        f"{searched},{indices['cloudtrail']}" if created else searched,
        queries.neighbours(finding, users, ips, resources, signals, addresses, created, start, end),
    )
    aggs = activity.aggregations(response)
    wanted = set(users) | set(ips) | set(resources) | set(signals)
    related = [
        RelatedFinding(**asdict(found), shared=_shared(document, wanted))
        for found, document in newest_per_finding(response)
    ]
    return related, network(aggs.get("flows", {}), addresses), latest_states(created, aggs.get("pivots", {}))


def _shared(document: dict[str, Any], wanted: set[str]) -> tuple[str, ...]:
    named = (
        values(document, f.RELATED_USER)
        + values(document, f.RELATED_IP)
        + values(document, f"{f.SECURITYHUB_RESOURCES}.id")
        + [value for name in f.FINDING_ID_FIELDS for value in values(document, name)]
    )
    return tuple(dict.fromkeys(str(value) for value in named if str(value) in wanted))


def _actor_keys(finding: Finding, followed: list[Link]) -> list[str]:
    keys = finding.keys
    values_ = [*keys.access_key_ids, *keys.principal_ids, *keys.arns]
    for link in followed:
        values_ += link.keys()
    return list(dict.fromkeys(values_))


def _dashboards_url(base: str, events: Scope) -> str:
    """The Finding investigation dashboard on exactly the report's scope (window and clauses)."""
    return dashboard_url(base, events.start, events.end, events.lucene())


def _who_summary(finding: Finding, who: Who, what: What) -> str:
    if finding.mode == "none":
        return "The finding names no identity, address or resource to pivot on."
    root = finding.control in ROOT_CONTROLS
    setting = finding.control in ACCOUNT_CONTROL_CALLS  # both for CloudWatch.1
    if not who.chain and finding.mode == "account":
        if root and setting:
            return "The root user did not act in the account and no call changed the setting this control checks in the window."
        if root:
            return "The root user did not act in the account in the window."
        return "No call changed the setting this control checks in the window."
    if not who.chain:
        subject = "address" if finding.mode == "ip" else "resource"
        return f"No CloudTrail identity acted on this {subject} in the window."
    head, origin = who.chain[0], who.chain[-1]
    count = f"{len(who.identities)} {'identity' if len(who.identities) == 1 else 'identities'}"
    followed = (
        "the change AWS Config recorded was made by"
        if what.changes_from == "config"
        else "the newest change was made by"
        if what.changes
        else "the most active is"
    )
    if finding.mode == "credential" and finding.actors and len(who.identities) > 1:
        lead = (
            f"The attack sequence names {len(who.identities)} credentials, each followed to its "
            f"origin; the first belongs to {head.label}"
        )
    elif finding.mode == "credential":
        lead = f"The finding's credential belongs to {head.label}"
    elif finding.mode == "resource":
        lead = f"{count} acted on the resource; {followed} {head.label}"
    elif finding.mode == "account" and root and (not setting or head.type == "Root"):
        lead = f"The root user acted in the account ({head.label})"
    elif finding.mode == "account" and root:
        lead = f"{count} acted as the root user or changed the setting this control checks; {followed} {head.label}"
    elif finding.mode == "account":
        lead = f"{count} changed the setting this control checks; {followed} {head.label}"
    else:
        lead = f"{count} acted from {', '.join(finding.keys.ips)}; {followed} {head.label}"
    if not who.complete:
        return f"{lead}; its chain stops at {origin.label}: {who.stopped}."
    if len(who.chain) == 1:
        return f"{lead} ({head.type}), acting with its own long-term credentials."
    return f"{lead}, obtained through {len(who.chain) - 1} hop(s) from {origin.label} ({origin.type})."


def _what_summary(finding: Finding, what: What, when: When) -> str:
    if finding.mode == "none":
        return "Nothing to look up in CloudTrail."
    subject = {
        "credential": "this actor",
        "ip": "this address",
        "resource": "this resource",
        "account": _account_subject(finding.control),
    }[finding.mode]
    if not what.events:
        summary = f"No CloudTrail events of {subject} between {when.window_start} and {when.window_end}."
    else:
        summary = (
            f"{what.events} CloudTrail events of {subject}: {what.writes} writes, {what.reads} reads, "
            f"{what.errors} failed ({what.denials} of them denied)."
        )
    return f"{summary} {_config_summary(what)}" if what.config_items else summary


def _account_subject(control: str | None) -> str:
    if control in ROOT_CONTROLS and control in ACCOUNT_CONTROL_CALLS:
        return "the root user and of the calls changing this account setting"
    return "the root user" if control in ROOT_CONTROLS else "this account setting"


def _config_summary(what: What) -> str:
    named = len(config_changes.event_ids(what.config_items))
    items = f"AWS Config recorded {len(what.config_items)} change(s) of the resource naming {named} CloudTrail event(s)"
    if what.changes_from == "config":
        return f"{items}: the changes listed are those events ({len(what.changes)} found in CloudTrail)."
    return (
        f"{items}, none of them found in CloudTrail: the changes listed are the newest writes in the window."
    )
