"""The request bodies of an investigation: a handful of bounded searches.

Every body sets its own ``size`` and every ``terms`` aggregation its own bucket count, so a
query costs the same whatever the number of matching events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from investigation import fields as f
from investigation.chain import ISSUING_ACTIONS
from investigation.controls import ACCOUNT_CONTROL_CALLS, ROOT_CONTROLS, account_of
from investigation.finding import Finding, JoinKeys, Mode
from investigation.flows import flows_aggregation, flows_clause
from investigation.importance import important
from investigation.pivots import Pivot, state_aggregation, state_clause
from investigation.scope import Clause, Scope, scope, terms
from investigation.times import iso
from normalizers.cloudtrail.network_activity import without_copies

FINDING_VERSIONS = 20
"""Updates of one finding fetched to pick the document to investigate."""
MAX_KEYS = 100
"""Values per ``terms`` filter (keys, IPs, resources)."""
ACTIONS = 200
PROVIDERS_PER_ACTION = 5
"""An action name shared by several services (``TagResource``) splits by service."""
TOP_VALUES = 20
IDENTITIES = 20
RECENT_EVENTS = 100
"""Newest events fetched to list the resources the actor's requests name."""
RECENT_CHANGES = 20
RELATED_FINDINGS = 25
TIMELINE_EVENTS = 200
"""Important events of the scope listed on the timeline, oldest first."""
HOP_ACTIONS = 10
HOP_IPS = 5
HISTOGRAM_BUCKETS = 60
CREDENTIAL_LIFETIME = timedelta(hours=36)
"""The longest an STS credential lives: how far back before the window the call that issued a
key can be. botocore's sts ``DurationSeconds``: at most 129,600 s (36 h) for GetSessionToken
and GetFederationToken, 43,200 s (12 h) for the AssumeRole calls (one hour when chained)."""

_INTERVALS = (
    ("1m", 60),
    ("5m", 300),
    ("10m", 600),
    ("15m", 900),
    ("30m", 1800),
    ("1h", 3600),
    ("3h", 10800),
    ("6h", 21600),
    ("12h", 43200),
    ("1d", 86400),
    ("7d", 604800),
)
_EVENT_FIELDS = [
    f.TIMESTAMP,
    "event.id",
    f.ACTION,
    f.PROVIDER,
    f.OUTCOME,
    f.ACCOUNT,
    f.REGION,
    f.SOURCE_IP,
    f.SOURCE_ADDRESS,
    f.IDENTITY,
    f.USER,
    f.ERROR_CODE,
    f.READ_ONLY,
    f.REQUEST_PARAMETERS,
    "aws.cloudtrail.resources",
    f.RELATED_HOSTS,
    "group",
    "aws.s3",
    "cloud.target",
]
"""``user`` holds the targets ``user.target``/``user.changes`` too (docs/schema.md, "Targets")."""


def time_range(start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "range": {f.TIMESTAMP: {"gte": iso(start), "lte": iso(end), "format": "strict_date_optional_time"}}
    }


def histogram_interval(start: datetime, end: datetime) -> str:
    """The smallest calendar-free interval that keeps the histogram under its bucket bound."""
    seconds = max((end - start).total_seconds(), 1)
    for name, size in _INTERVALS:
        if seconds / size <= HISTOGRAM_BUCKETS:
            return name
    return _INTERVALS[-1][0]


def load_finding(finding_id: str) -> dict[str, Any]:
    return {
        "size": FINDING_VERSIONS,
        "query": {
            "bool": {
                "should": [
                    *({"term": {name: finding_id}} for name in f.FINDING_ID_FIELDS),
                    {
                        "bool": {
                            "filter": [
                                {"term": {"event.id": finding_id}},
                                {"term": {f.CONFIG_VERDICT: "NON_COMPLIANT"}},
                            ]
                        }
                    },
                ],
                "minimum_should_match": 1,
            }
        },
        "sort": [{f.TIMESTAMP: {"order": "desc"}}],
        "aggs": {
            "first_observed": {"min": {"field": f.FIRST_OBSERVED}},
            "last_observed": {"max": {"field": f.LAST_OBSERVED}},
        },
    }


def subject_filter(
    mode: Mode, keys: JoinKeys, control: str | None = None, network_activity_copies: bool = False
) -> dict[str, Any] | None:
    """What CloudTrail events belong to the investigation's subject (see :func:`subject_clauses`);
    without the network activity copies of calls unless asked (:class:`Scope`)."""
    clauses = subject_clauses(mode, keys, control)
    return scope("", "", clauses, network_activity_copies).match() if clauses else None


def subject_clauses(mode: Mode, keys: JoinKeys, control: str | None = None) -> list[Clause]:
    """What CloudTrail events belong to the investigation's subject, as scope clauses.

    The credential is the most precise key (it names one session); without it the
    principal, then the user name in its account. A control on the account (``control``, its
    id) is answered by the root user's events, by the calls that change its setting, or by
    both (CloudWatch.1), in that account.
    """
    if mode == "account":
        account = terms(f.ACCOUNT, [account_of(keys.resource_ids) or ""])
        if not account:
            return []
        # CloudWatch.1 has both subjects: the root user's activity and the calls that change
        # its filter and alarm, as clauses of one scope: each search that reads the subject stays one search.
        clauses: list[Clause] = []
        if control in ROOT_CONTROLS:
            root = terms(f"{f.IDENTITY}.type", ["Root"])
            clauses += [(root, account)] if root else []
        # A call is its service's: the same event name in another service changes something else.
        for source, actions in ACCOUNT_CONTROL_CALLS.get(control or "", {}).items():
            provider, action = terms(f.PROVIDER, [source]), terms(f.ACTION, actions)
            if provider and action:
                clauses.append((provider, action, account))
        return clauses
    if mode == "credential":
        if keys.access_key_ids:
            return _singles((f.IDENTITY_ACCESS_KEY, keys.access_key_ids))
        if keys.principal_ids or keys.arns:
            return _singles((f.IDENTITY_PRINCIPAL, keys.principal_ids), (f.IDENTITY_ARN, keys.arns))
        user, account = terms(f.USER_NAME, keys.user_names), terms(_IDENTITY_ACCOUNT, keys.account_ids)
        return [(user, account)] if user and account else []
    if mode == "ip":
        return _singles((f.SOURCE_IP, keys.ips))
    if mode == "resource":
        # A flat_object root field matches a value at any key path: one clause covers
        # bucketName, groupId, userName, roleArn... without listing every API's parameters.
        clauses = _singles((f.RESOURCE_ARN, keys.resource_arns), (f.REQUEST_PARAMETERS, keys.resource_arns))
        # A short id (a user, function or database name) is no ARN: the same name exists in
        # many accounts of an organization, so it matches in the resource's accounts only.
        names = terms(f.REQUEST_PARAMETERS, keys.resource_ids)
        accounts = terms(f.ACCOUNT, _resource_accounts(keys))
        if names:
            clauses.append((names, accounts) if accounts else (names,))
        return clauses
    return []


def _resource_accounts(keys: JoinKeys) -> list[str]:
    """The accounts of the finding's resources: each ARN's account, and the finding's."""
    from_arns = [parts[4] for parts in (arn.split(":", 5) for arn in keys.resource_arns) if len(parts) > 4]
    return [account for account in from_arns + list(keys.account_ids) if account]


_IDENTITY_ACCOUNT = "aws.cloudtrail.user_identity.account_id"


def _singles(*pairs: tuple[str, Any]) -> list[Clause]:
    return [(term,) for name, candidates in pairs if (term := terms(name, candidates))]


def activity(
    subject: dict[str, Any], start: datetime, end: datetime, named: Sequence[str] = ()
) -> dict[str, Any]:
    """What: the newest events, calls per service and action, writes, reads and errors.

    Each aggregation that reads a field's values costs a pass over every matching event
    (filters, and ``top_hits`` inside a filter, do not), so the work is split in two
    searches sent together: this one and :func:`origins`. Resources and the newest changes
    come from the newest events themselves.

    ``named``: CloudTrail event ids AWS Config gave for the subject's changes
    (:mod:`investigation.config_changes`), fetched in the same search whatever their time
    (``aggregations.named``: a ``global`` aggregation ignores the query).
    """
    latest = {f.TIMESTAMP: {"order": "desc"}}
    body: dict[str, Any] = {
        "size": RECENT_EVENTS,
        "track_total_hits": True,
        "query": _within(subject, start, end),
        "sort": [latest],
        "_source": _EVENT_FIELDS,
        "aggs": {
            # Action first, service inside: one pass each, and cheaper than the other nesting
            # in the embedded engine (few services per action).
            "actions": {
                "terms": {"field": f.ACTION, "size": ACTIONS},
                "aggs": {
                    "providers": {
                        "terms": {"field": f.PROVIDER, "size": PROVIDERS_PER_ACTION},
                        "aggs": {"errors": {"filter": {"term": {f.OUTCOME: "failure"}}}},
                    }
                },
            },
            "writes": {
                "filter": {"term": {f.READ_ONLY: False}},
                "aggs": {
                    "latest": {
                        "top_hits": {"size": RECENT_CHANGES, "sort": [latest], "_source": _EVENT_FIELDS}
                    }
                },
            },
            "reads": {"filter": {"term": {f.READ_ONLY: True}}},
            "errors": {
                "filter": {"term": {f.OUTCOME: "failure"}},
                "aggs": {"codes": {"terms": {"field": f.ERROR_CODE, "size": TOP_VALUES}}},
            },
        },
    }
    if named:
        ids = list(named)[:MAX_KEYS]
        body["aggs"]["named"] = {
            "global": {},
            "aggs": {
                "events": {
                    "filter": {"terms": {"event.id": ids}},
                    "aggs": {
                        "latest": {"top_hits": {"size": len(ids), "sort": [latest], "_source": _EVENT_FIELDS}}
                    },
                }
            },
        }
    return body


def origins(subject: dict[str, Any], start: datetime, end: datetime, identities: bool) -> dict[str, Any]:
    """When, from where and by whom: the oldest event, the histogram, addresses, user
    agents, and (when the subject is not one credential) the identities."""
    latest = {f.TIMESTAMP: {"order": "desc"}}
    aggs: dict[str, Any] = {
        "histogram": {
            "date_histogram": {
                "field": f.TIMESTAMP,
                "fixed_interval": histogram_interval(start, end),
                "min_doc_count": 0,
                "extended_bounds": {"min": iso(start), "max": iso(end)},
            }
        },
        "ips": {"terms": {"field": f.SOURCE_IP, "size": TOP_VALUES}},
        # A sourceIPAddress that is no IP: the AWS service that made the call
        # (``cloudformation.amazonaws.com``), ``AWS Internal``.
        "addresses": {"terms": {"field": f.SOURCE_ADDRESS, "size": TOP_VALUES}},
        "user_agents": {"terms": {"field": f.USER_AGENT, "size": TOP_VALUES}},
        # From enrichment: which accounts (with their names), countries, networks and tools.
        "accounts": {
            "terms": {"field": f.ACCOUNT, "size": TOP_VALUES},
            "aggs": {"names": {"terms": {"field": f.ACCOUNT_NAME, "size": 1}}},
        },
        "countries": {"terms": {"field": f.SOURCE_COUNTRY, "size": TOP_VALUES}},
        "networks": {"terms": {"field": f.SOURCE_NETWORK, "size": TOP_VALUES}},
        "tools": {"terms": {"field": f.CALLER_TOOL, "size": TOP_VALUES}},
    }
    if identities:
        aggs["identities"] = {
            "terms": {"field": f.IDENTITY_PRINCIPAL, "size": IDENTITIES, "missing": ""},
            "aggs": {
                "writes": {"filter": {"term": {f.READ_ONLY: False}}},
                "errors": {"filter": {"term": {f.OUTCOME: "failure"}}},
                "latest": {
                    "top_hits": {
                        "size": 1,
                        "sort": [latest],
                        "_source": [f.IDENTITY, f.USER, f.ACCOUNT, f.TIMESTAMP],
                    }
                },
            },
        }
    return {
        "size": 1,
        "query": _within(subject, start, end),
        # The oldest event: a sorted search is far cheaper than a ``min`` aggregation.
        "sort": [{f.TIMESTAMP: {"order": "asc"}}],
        "_source": [f.TIMESTAMP],
        "aggs": aggs,
    }


def _within(subject: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    return {"bool": {"filter": [subject, time_range(start, end)]}}


def issuing_events(access_key_ids: list[str], start: datetime, end: datetime) -> dict[str, Any]:
    """The STS calls that issued these keys (a cross-account call is logged on both sides).

    A call that issues a key names it in ``related.user`` (docs/schema.md, "Credentials"), as
    does every call made with it: a key's issuer is a call naming it that was not made with it.
    The call's network activity copy (made through a VPC endpoint) is no other issuer.
    """
    keys = list(access_key_ids)[:MAX_KEYS]
    issued = [
        {
            "bool": {
                "filter": [{"term": {f.RELATED_USER: key}}],
                "must_not": [{"term": {f.IDENTITY_ACCESS_KEY: key}}],
            }
        }
        for key in keys
    ]
    return {
        "size": min(4 * len(keys), 4 * MAX_KEYS),
        "query": without_copies(
            {
                "bool": {
                    "filter": [
                        {"bool": {"should": issued, "minimum_should_match": 1}},
                        _terms(f.ACTION, ISSUING_ACTIONS),
                        time_range(start - CREDENTIAL_LIFETIME, end),
                    ]
                }
            }
        ),
        "sort": [{f.TIMESTAMP: {"order": "asc"}}],
        "_source": [
            f.TIMESTAMP,
            "event.id",
            f.ACTION,
            f.ACCOUNT,
            f.SOURCE_IP,
            f.SOURCE_ADDRESS,
            f.IDENTITY,
            f.USER,
            f.RELATED_USER,
            f.RESPONSE_ELEMENTS,
        ],
    }


def scope_events(scope: Scope, hops: Sequence[Scope]) -> dict[str, Any]:
    """Every event of the scope counted, per hop of the chain, and its important events in time
    order (the timeline: ``post_filter`` narrows the hits, not the counts)."""
    per_hop = {str(number): hop.match() for number, hop in enumerate(hops, 1) if not hop.empty}
    aggs: dict[str, Any] = {"events": {"filter": {"match_all": {}}}}
    if per_hop:
        aggs["hops"] = {
            "filters": {"filters": per_hop},
            "aggs": {
                "writes": {"filter": {"term": {f.READ_ONLY: False}}},
                "errors": {
                    "filter": {"term": {f.OUTCOME: "failure"}},
                    "aggs": {"codes": {"terms": {"field": f.ERROR_CODE, "size": TOP_VALUES}}},
                },
                "first": {"min": {"field": f.TIMESTAMP}},
                "last": {"max": {"field": f.TIMESTAMP}},
                "actions": {"terms": {"field": f.ACTION, "size": HOP_ACTIONS}},
                "ips": {"terms": {"field": f.SOURCE_IP, "size": HOP_IPS}},
            },
        }
    return {
        "size": TIMELINE_EVENTS,
        "track_total_hits": True,
        "query": scope.query(),
        "post_filter": important(),
        "sort": [{f.TIMESTAMP: {"order": "asc"}}, {"event.id": {"order": "asc"}}],
        "_source": [*_EVENT_FIELDS, f.RESPONSE_ELEMENTS, "event.provider"],
        "aggs": aggs,
    }


def related_findings(
    finding: Finding, users: list[str], ips: list[str], resources: list[str], signals: Sequence[str] = ()
) -> dict[str, Any]:
    """Other findings naming any of the actor's keys, newest first, one bucket per finding;
    and the findings an attack sequence's signals stand for (by id or ARN: a GuardDuty
    finding imported into Security Hub has the GuardDuty ARN as its id)."""
    own = [value for value in (finding.id, finding.arn) if value]
    clauses = [
        _terms(f.RELATED_USER, users),
        _terms(f.RELATED_IP, ips),
        _terms(f"{f.SECURITYHUB_RESOURCES}.id", resources),
        *(_terms(name, signals) for name in f.FINDING_ID_FIELDS),
    ]
    query = {
        "bool": {
            "filter": [_any_of(*clauses)],
            "must_not": [_terms(name, own) for name in f.FINDING_ID_FIELDS],
        }
    }
    return findings_by_id(query, RELATED_FINDINGS)


def neighbours(
    finding: Finding,
    users: list[str],
    ips: list[str],
    resources: list[str],
    signals: Sequence[str],
    addresses: list[str],
    pivots: Sequence[Pivot],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """:func:`related_findings` and, on the other indices searched with them, the VPC flows of
    ``addresses`` in the window (``aggregations.flows``, :mod:`investigation.flows`) and the later
    CloudTrail calls that changed ``pivots`` (``aggregations.pivots``, :mod:`investigation.pivots`)."""
    body = related_findings(finding, users, ips, resources, signals)
    findings = [f.BLOCKS["guardduty"], f.BLOCKS["securityhub"]]
    should = [{"bool": {"filter": [{"terms": {"event.dataset": findings}}, body["query"]]}}]
    if addresses:
        window = time_range(start, end)
        should.append(flows_clause(addresses, window))
        body["aggs"]["flows"] = flows_aggregation(addresses, window)
    since = iso(start)
    changed = state_clause(pivots, since)
    if changed:
        should.append(changed)
        body["aggs"]["pivots"] = state_aggregation(pivots, since)
    body["query"] = {"bool": {"should": should, "minimum_should_match": 1}}
    return body


_FINDING_SUMMARY_FIELDS = [
    f.TIMESTAMP,
    "message",
    "rule.id",
    "event.severity",
    "tags",
    f.ACTION,
    f.ACCOUNT,
    f.REGION,
    f.RELATED_USER,
    f.RELATED_IP,
    f.GUARDDUTY_ID,
    f.GUARDDUTY_ARN,
    f.SECURITYHUB_ID,
    f"{f.SECURITYHUB_RESOURCES}.id",
    "event.kind",
]


def findings_by_id(query: dict[str, Any], size: int) -> dict[str, Any]:
    """The findings ``query`` matches, one bucket per finding id (each update is its own
    document) with its newest update, newest first, at most ``size`` per findings index."""
    latest = {
        "top_hits": {
            "size": 1,
            "sort": [{f.TIMESTAMP: {"order": "desc"}}],
            "_source": _FINDING_SUMMARY_FIELDS,
        }
    }
    return {
        "size": 0,
        "query": query,
        "aggs": {
            source: {
                "terms": {"field": field_name, "size": size, "order": {"newest": "desc"}},
                "aggs": {"newest": {"max": {"field": f.TIMESTAMP}}, "latest": latest},
            }
            for source, field_name in (("guardduty", f.GUARDDUTY_ID), ("securityhub", f.SECURITYHUB_ID))
        },
    }


def _terms(field_name: str, values: Any) -> dict[str, Any]:
    return {"terms": {field_name: list(values)[:MAX_KEYS]}}


def _any_of(*clauses: dict[str, Any]) -> dict[str, Any]:
    useful = [clause for clause in clauses if next(iter(clause["terms"].values()), None)]
    if not useful:
        return {"bool": {"must_not": [{"match_all": {}}]}}
    return {"bool": {"should": useful, "minimum_should_match": 1}}
