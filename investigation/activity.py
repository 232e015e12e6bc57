"""Turn the activity search's aggregations and newest events into when, what and where."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from investigation import fields as f
from investigation.chain import link_from_identity
from investigation.documents import identity_of, obj, text, values
from investigation.report import ActionCount, Change, Count, Identity, What, When, Where
from investigation.times import normalized
from normalizers.registry import source_of_index

DENIAL = re.compile(r"AccessDenied|Unauthori[sz]ed|Forbidden|NotAuthorized", re.IGNORECASE)
"""Error codes that mean the caller lacked permission (not a malformed or failed call)."""

TARGET_FIELDS = (
    "user.target.name",
    "user.target.roles",
    "user.changes.name",
    "group.name",
    "aws.s3.bucket.name",
    "aws.s3.object.key",
    "cloud.target.account.id",
)
"""What a call acts on where the document has an ECS target field (docs/schema.md, "Targets");
the instances it acts on are its ``related.hosts``."""

# requestParameters keys that name the resource a call acts on, where no target field does.
RESOURCE_PARAMETERS = (
    "groupId",
    "roleArn",
    "policyArn",
    "functionName",
    "secretId",
    "keyId",
    "trailName",
    "name",
    "dBInstanceIdentifier",
    "snapshotId",
    "imageId",
    "volumeId",
    "vpcId",
    "subnetId",
    "tableName",
    "queueUrl",
    "topicArn",
    "logGroupName",
    "clusterName",
    "repositoryName",
    "stackName",
    "detectorId",
)


def aggregations(response: dict[str, Any]) -> dict[str, Any]:
    aggs: dict[str, Any] = response.get("aggregations") or {}
    return aggs


def total(response: dict[str, Any]) -> int:
    hits = response.get("hits", {}).get("total", 0)
    return int(hits.get("value", 0) if isinstance(hits, dict) else hits)


def events(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [hit.get("_source", {}) for hit in response.get("hits", {}).get("hits", [])]


def documents(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Each hit's ``_source`` with the constants its index holds instead (GuardDuty's
    ``event.kind``...: ``constant_keyword`` fields, not in ``_source``), as the document reads
    whole (:func:`normalizers.registry.source_of_index`)."""
    return [with_index_constants(hit) for hit in response.get("hits", {}).get("hits", [])]


def with_index_constants(hit: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = hit.get("_source", {})
    spec = source_of_index(str(hit.get("_index", "")))
    constants = spec.left_to_index.constants if spec else {}
    for path, value in constants.items():
        *parents, name = path.split(".")
        parent = source
        for part in parents:
            parent = parent.setdefault(part, {})
            if not isinstance(parent, dict):
                break
        else:
            parent.setdefault(name, value)
    return source


def fill_when(when: When, response: dict[str, Any], sources: dict[str, Any], interval: str) -> None:
    """First and last activity (the oldest and newest events) and the histogram."""
    aggs = aggregations(sources)
    newest, first_event = events(response)[:1], events(sources)[:1]
    when.last_seen = normalized(text(newest[0], f.TIMESTAMP)) if newest else None
    when.first_seen = normalized(text(first_event[0], f.TIMESTAMP)) if first_event else None
    when.interval = interval
    when.histogram = [
        (str(bucket.get("key_as_string", bucket["key"])), int(bucket["doc_count"]))
        for bucket in aggs.get("histogram", {}).get("buckets", [])
    ]


def what(response: dict[str, Any]) -> What:
    aggs = aggregations(response)
    codes = _counts(aggs.get("errors", {}), "codes")
    return What(
        events=total(response),
        reads=_doc_count(aggs, "reads"),
        writes=_doc_count(aggs, "writes"),
        errors=_doc_count(aggs, "errors"),
        denials=sum(code.count for code in codes if DENIAL.search(code.value)),
        actions=_actions(aggs),
        error_codes=codes,
        resources=_resources(events(response)),
        changes=[_change(event) for event in _top_hits(aggs.get("writes", {}))],
    )


def named_actors(response: dict[str, Any]) -> list[Identity]:
    """Who made the changes AWS Config named, newest first, one per principal: the events,
    writes and errors counted are those named changes."""
    found: dict[str, Identity] = {}
    for event in _named_events(response):
        key = text(event, f.IDENTITY_PRINCIPAL) or ""
        failed = int(text(event, f.OUTCOME) == "failure")
        known = found.get(key)
        if known is None:
            link = link_from_identity(identity_of(event), text(event, f.ACCOUNT))
            found[key] = Identity(key, link, 1, 1, failed, text(event, f.TIMESTAMP))
        else:
            found[key] = replace(
                known, events=known.events + 1, writes=known.writes + 1, errors=known.errors + failed
            )
    return list(found.values())


def _named_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    return _top_hits(aggregations(response).get("named", {}).get("events", {}))


def named_changes(response: dict[str, Any]) -> list[Change]:
    """The CloudTrail events AWS Config named as the subject's changes, newest first (the
    ``named`` aggregation of :func:`investigation.queries.activity`)."""
    return [_change(event) for event in _named_events(response)]


def where(response: dict[str, Any]) -> Where:
    aggs = aggregations(response)
    return Where(
        ips=_counts(aggs, "ips"),
        addresses=_counts(aggs, "addresses"),
        user_agents=_counts(aggs, "user_agents"),
        accounts=[_named_account(bucket) for bucket in aggs.get("accounts", {}).get("buckets", [])],
        countries=_counts(aggs, "countries"),
        networks=_counts(aggs, "networks"),
        tools=_counts(aggs, "tools"),
    )


def _named_account(bucket: dict[str, Any]) -> Count:
    """``111122223333 (prod-payments)``: the account id with the name enrichment gave it."""
    names = bucket.get("names", {}).get("buckets", [])
    name = str(names[0]["key"]) if names else ""
    return Count(f"{bucket['key']} ({name})" if name else str(bucket["key"]), int(bucket["doc_count"]))


def identities(response: dict[str, Any], sources: dict[str, Any]) -> list[Identity]:
    """The identities behind the events, most active first.

    Without the identities aggregation (the subject is one credential) the newest event
    tells who it is, and the totals are its own.
    """
    aggs = aggregations(response)
    if "identities" not in aggregations(sources):
        newest = events(response)[:1]
        if not newest:
            return []
        event = newest[0]
        return [
            Identity(
                key=text(event, f.IDENTITY_PRINCIPAL) or "",
                link=link_from_identity(identity_of(event), text(event, f.ACCOUNT)),
                events=total(response),
                writes=_doc_count(aggs, "writes"),
                errors=_doc_count(aggs, "errors"),
                last_seen=text(event, f.TIMESTAMP),
            )
        ]
    found = []
    for bucket in aggregations(sources).get("identities", {}).get("buckets", []):
        latest = _top_hits(bucket)
        event = latest[0] if latest else {}
        found.append(
            Identity(
                key=str(bucket["key"]),
                link=link_from_identity(identity_of(event), text(event, f.ACCOUNT)),
                events=int(bucket["doc_count"]),
                writes=_doc_count(bucket, "writes"),
                errors=_doc_count(bucket, "errors"),
                last_seen=text(event, f.TIMESTAMP),
            )
        )
    return found


def _actions(aggs: dict[str, Any]) -> list[ActionCount]:
    actions = [
        ActionCount(
            str(provider["key"]),
            str(action["key"]),
            int(provider["doc_count"]),
            _doc_count(provider, "errors"),
        )
        for action in aggs.get("actions", {}).get("buckets", [])
        for provider in action.get("providers", {}).get("buckets", [])
    ]
    return sorted(actions, key=lambda a: (-a.count, a.provider, a.action))


def _resources(recent: list[dict[str, Any]]) -> list[str]:
    """Resources the newest events name: CloudTrail's resource ARNs, the calls' targets."""
    found: list[str] = []
    for event in recent:
        found += named_resources(event)
    return list(dict.fromkeys(found))


def touched(event: dict[str, Any]) -> list[str]:
    """What one call acted on, as ``field=value``: its target fields, the instances it names
    (an instance acting with its own role session is the actor, not a target), and the
    request parameters that name a resource no target field holds."""
    actor = text(event, f.USER_NAME)
    named = [f"{name}={value}" for name in TARGET_FIELDS for value in values(event, name)]
    named += [f"host={host}" for host in values(event, f.RELATED_HOSTS) if host != actor]
    parameters = obj(event, f.REQUEST_PARAMETERS)
    named += [
        f"{key}={value}"
        for key in RESOURCE_PARAMETERS
        for value in values(parameters, key)
        if isinstance(value, str | int)
    ]
    return named


def _change(event: dict[str, Any]) -> Change:
    actor = link_from_identity(identity_of(event), text(event, f.ACCOUNT))
    return Change(
        principal_id=actor.principal_id or "",
        time=text(event, f.TIMESTAMP),
        provider=text(event, f.PROVIDER),
        action=text(event, f.ACTION),
        actor=actor.label,
        outcome=text(event, f.OUTCOME),
        source=text(event, f.SOURCE_ADDRESS) or text(event, f.SOURCE_IP),
        resources=named_resources(event),
        event_id=text(event, "event.id"),
    )


def named_resources(event: dict[str, Any]) -> tuple[str, ...]:
    """The resources one event names: its CloudTrail resource ARNs and what it acted on."""
    return tuple(dict.fromkeys([str(arn) for arn in values(event, f.RESOURCE_ARN)] + touched(event)))


def _top_hits(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    hits = bucket.get("latest", {}).get("hits", {}).get("hits", [])
    return [hit.get("_source", {}) for hit in hits]


def bucket_counts(terms: dict[str, Any]) -> list[Count]:
    """A ``terms`` aggregation's buckets as counts."""
    return [Count(str(bucket["key"]), int(bucket["doc_count"])) for bucket in terms.get("buckets", [])]


def metric_time(metric: dict[str, Any]) -> str | None:
    """A ``min``/``max`` aggregation on a date, in the report's form (``None`` with no value)."""
    return normalized(metric.get("value_as_string")) if metric.get("value") is not None else None


def _counts(aggs: dict[str, Any], name: str) -> list[Count]:
    return [
        Count(str(bucket["key"]), int(bucket["doc_count"]))
        for bucket in aggs.get(name, {}).get("buckets", [])
        if str(bucket["key"])
    ]


def _doc_count(aggs: dict[str, Any], name: str) -> int:
    return int(aggs.get(name, {}).get("doc_count", 0))
