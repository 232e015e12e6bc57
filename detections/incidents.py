"""Incidents: the alerts that share an actor within a time span, as one document.

An alert's actors are its principals (the ARNs and access key ids in ``related.user``; a
user name qualified by its account) and its public source addresses. An alert joins the
open incident that holds one of its actors and was last seen less than ``span`` before the
alert's first event; otherwise it opens a new one. The incident's id is a hash of the
grouping key (the first actor of the alert that opened it) and the span start (that alert's
first event, floored to the span), so two runs folding the same alert reach the same id.

The incident is written whole under its id (``index``: the alerts collection is SEARCH,
where a custom ``_id`` is allowed, docs/detections.md "Incidents"); folding an alert twice
changes nothing (it is listed, or records its incident as ``alert.incident_id``). Alerts on
the same events (a Sigma rule and ours on one sign-in) fold into one line: the line names the
most severe rule, ours first, and lists the others as ``folded``.

Bounded whatever the flood: ``alert_count`` is exact while ``alert_ids`` lists the first and
the latest (:data:`MAX_ALERT_IDS`), per incident and per line; past :data:`MAX_LINES` an alert
joins its rule's latest line. An alert that joins two open incidents merges the newer into the
older (:func:`merge_incident`); every fold first finishes a merge a run left half-written
(:func:`complete_merges`, and the ``merging_into`` mark for one no search shows yet). An alert
whose own incident was merged goes to the open end of its ``merged_into`` chain
(:data:`MAX_MERGE_HOPS`).

"Open" there is any status but ``merged``: an acknowledged incident takes alerts as an open one
does, and a closed one that takes an alert is reopened (:func:`~detections.incident_status.reopen_on_alert`,
announced as reopened: :func:`announced_change`). On-call's status changes: detections/triage.py.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from opensearchpy import OpenSearch

from detections.incident_lease import IncidentLease, incident_lease
from detections.incident_status import CLOSED, OPEN, REOPENED, reopen_on_alert
from detections.incident_status import MERGED as MERGED  # re-exported: the statuses live there
from detections.incident_status import MERGING as MERGING
from detections.rules import SEVERITIES
from detections.windows import bucket_start, iso, parse_time
from investigation.safe_text import one_line

INCIDENT_DATASET = "siem.incidents"
DEFAULT_SPAN = timedelta(hours=6)
"""An alert joins an incident last seen less than this before the alert's first event."""
MAX_KEYS = 50
"""Actors kept per incident (what later alerts are matched on), and related users and addresses."""
MAX_ACCOUNTS = 20
"""Accounts (with names, OU paths, tags) kept per incident, as per alert (detections/alerts.py)."""
MAX_LOOKUP_KEYS = 500
MAX_FOUND = 1000
MAX_ALERT_IDS = 100
"""Alert ids listed per incident and per line: the first :data:`FIRST_ALERT_IDS` and the latest
others. ``alert_count`` stays exact and ``alert_ids_truncated`` says ids were left out."""
FIRST_ALERT_IDS = 10
MAX_LINES = 50
"""Lines of distinct events; past it, an alert joins its rule's latest line (lines then grow
only with the number of rules)."""
MAX_LINE_EVENTS = 50
"""Event ids kept per line (what the twins of later alerts are matched on)."""
MAX_MERGED = 50
"""Incidents listed in ``merged_from``."""
MAX_MERGE_HOPS = 32
"""``merged_into`` pointers the lookup follows from an incident id, each a real-time ``mget``
(one for all the alerts folded). A chain grows by one per merge of its open end into an older
incident, so chains are short; the bound stops a chain no open incident ends (a cycle written by
two concurrent folds is also stopped by never getting an id twice)."""
RESUME_WINDOW = timedelta(days=1)
"""How far back :func:`complete_merges` looks for survivors (by ``incident.updated``): a run that
died is followed by the next within minutes; a day also covers an outage of the runner."""
_ACCESS_KEY = re.compile(r"\A(?:AKIA|ASIA)[A-Z0-9]{12,124}\Z")
_ACCOUNT_ID = re.compile(r"\A\d{12}\Z")
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(block)
    for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_RANK = dict(SEVERITIES)

Change = Literal["new", "reopened", "escalated", "updated", "unchanged"]


def actor_keys(alert: dict[str, Any]) -> list[str]:
    """The alert's actors, most specific first: ``principal:<ARN or access key id>``,
    ``user:<account>/<name>``, ``ip:<address outside private networks>``."""
    related = alert.get("related", {})
    account = alert.get("cloud", {}).get("account", {}).get("id")
    principals, users = [], []
    for value in related.get("user", []):
        text = str(value)
        if text.startswith("arn:") or _ACCESS_KEY.match(text):
            principals.append(f"principal:{text}")
        elif account and not _ACCOUNT_ID.match(text):  # an account id is not an actor of its own
            users.append(f"user:{account}/{text}")
    addresses = [alert.get("source", {}).get("ip"), *related.get("ip", [])]
    ips = [f"ip:{address}" for address in addresses if _routable(address)]
    return list(dict.fromkeys([*principals, *users, *ips]))


def _routable(address: object) -> bool:
    """Not a private, shared (CGNAT), loopback, link-local or multicast address: those are
    reused across networks and would tie strangers together. Documentation ranges count as
    routable (examples and the demo use them for Internet peers)."""
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return False
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False
    return not any(ip in network for network in _PRIVATE_NETWORKS if network.version == ip.version)


def incident_id(key: str, span_start: datetime, after: str | None = None) -> str:
    """``after``: the merged incident whose id this one would have had (:func:`_destination`)."""
    material = json.dumps([key, iso(span_start)] + ([after] if after else []))
    return f"incident-{hashlib.sha256(material.encode()).hexdigest()[:32]}"


def _severity(alert: dict[str, Any]) -> tuple[int, str]:
    return int(alert.get("event", {}).get("severity", 0)), str(alert["alert"]["severity"])


def _first_seen(alert: dict[str, Any]) -> str:
    """The alert's first event, as ``iso`` writes it (so times compare as text)."""
    details = alert["alert"]
    return iso(
        parse_time(
            str(alert.get("event", {}).get("start") or details.get("first_seen") or details["created"])
        )
    )


def _last_seen(alert: dict[str, Any]) -> str:
    details = alert["alert"]
    return iso(
        parse_time(str(alert.get("event", {}).get("end") or details.get("last_seen") or details["created"]))
    )


def _line_rank(line: dict[str, Any]) -> tuple[int, int, str]:
    """The rule a line is named after: the most severe, ours before a converted Sigma rule."""
    return (-int(line["severity_number"]), line.get("ruleset") == "sigma", line["rule_id"])


def _line(alert: dict[str, Any]) -> dict[str, Any]:
    number, label = _severity(alert)
    return {
        "rule_id": alert["rule"]["id"],
        "rule_name": alert["rule"]["name"],
        "ruleset": alert["rule"].get("ruleset", "siem"),
        "severity": label,
        "severity_number": number,
        "alert_ids": [alert["alert"]["id"]],
        "alert_count": 1,
        "folded": [],
        "event_ids": list(alert["alert"].get("event_ids", []))[:MAX_LINE_EVENTS],
        "first_seen": _first_seen(alert),
        "last_seen": _last_seen(alert),
        "who": alert["alert"].get("summary", {}).get("who"),
        "dashboards_url": alert["alert"].get("dashboards_url"),
    }


def alert_count(holder: dict[str, Any]) -> int:
    """The exact number of alerts of an incident's details or of a line (a document written
    before the count existed lists them all)."""
    return int(holder.get("alert_count", len(holder["alert_ids"])))


def listed_alert_ids(holder: dict[str, Any], limit: int) -> list[str]:
    """At most ``limit`` of the listed ids: the first ones, then the latest."""
    ids: list[str] = holder["alert_ids"]
    if len(ids) <= limit:
        return list(ids)
    first = min(FIRST_ALERT_IDS, limit // 2)
    return ids[:first] + ids[len(ids) - (limit - first) :]


def _record_alert_ids(holder: dict[str, Any], identifiers: Sequence[str], count: int) -> None:
    """Add ``count`` alerts, ``identifiers`` the ones listed, to ``holder``'s bounded list."""
    total = alert_count(holder) + count
    kept = list(dict.fromkeys([*holder["alert_ids"], *identifiers]))
    if len(kept) > MAX_ALERT_IDS:
        kept = kept[:FIRST_ALERT_IDS] + kept[len(kept) - (MAX_ALERT_IDS - FIRST_ALERT_IDS) :]
    holder["alert_ids"], holder["alert_count"] = kept, total
    holder["alert_ids_truncated"] = total > len(kept)


def _merge_line(line: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    keep, other = sorted([line, new], key=_line_rank)
    keep = dict(keep)
    keep["alert_ids"], keep["alert_count"] = line["alert_ids"], alert_count(line)
    _record_alert_ids(keep, new["alert_ids"], alert_count(new))
    keep["folded"] = sorted({*line["folded"], *new["folded"], other["rule_id"]} - {keep["rule_id"]})
    keep["event_ids"] = list(dict.fromkeys([*line["event_ids"], *new["event_ids"]]))[:MAX_LINE_EVENTS]
    keep["first_seen"] = min(line["first_seen"], new["first_seen"])
    keep["last_seen"] = max(line["last_seen"], new["last_seen"])
    return keep


def _add_line(lines: list[dict[str, Any]], new: dict[str, Any]) -> None:
    """Fold the line into the one sharing one of its events; past :data:`MAX_LINES`, into its
    rule's latest line; else add it."""
    events = set(new["event_ids"])
    for index, line in enumerate(lines):
        if events and events & set(line["event_ids"]):
            lines[index] = _merge_line(line, new)
            return
    if len(lines) >= MAX_LINES:
        same_rule = [index for index, line in enumerate(lines) if line["rule_id"] == new["rule_id"]]
        if same_rule:
            lines[same_rule[-1]] = _merge_line(lines[same_rule[-1]], new)
            return
    lines.append(new)


def new_incident(identifier: str, key: str, span_start: datetime, now: datetime) -> dict[str, Any]:
    return {
        "@timestamp": iso(now),
        "message": "",
        "event": {"kind": "alert", "dataset": INCIDENT_DATASET, "module": "siem", "severity": 0},
        "incident": {
            "id": identifier,
            "key": key,
            "span_start": iso(span_start),
            "status": "open",
            "created": iso(now),
            "updated": iso(now),
            "severity": "low",
            "keys": [],
            "alert_ids": [],
            "alert_count": 0,
            "alert_ids_truncated": False,
            "rule_ids": [],
            "lines": [],
            "first_seen": None,
            "last_seen": None,
            "notified_severity": None,
            "published_severity": None,
        },
        "related": {"user": [], "ip": []},
        "cloud": {"account": {"id": []}},
    }


def add_alert(incident: dict[str, Any], alert: dict[str, Any], now: datetime) -> bool:
    """Fold ``alert`` into ``incident`` (in place); ``False`` when it was already in it (listed,
    or recorded on the alert as ``alert.incident_id``: the list is bounded)."""
    details = incident["incident"]
    identifier = alert["alert"]["id"]
    if identifier in details["alert_ids"] or alert["alert"].get("incident_id") == details["id"]:
        return False
    _record_alert_ids(details, [identifier], 1)
    details["rule_ids"] = sorted({*details["rule_ids"], alert["rule"]["id"]})
    _add_line(details["lines"], _line(alert))
    number, label = _severity(alert)
    _absorb(
        incident,
        actor_keys(alert),
        (_first_seen(alert), _last_seen(alert)),
        (number, label),
        alert.get("related", {}),
        [alert.get("cloud", {}).get("account", {}).get("id")],
        alert["alert"].get("accounts") or [],
        now,
    )
    return True


def _absorb(
    incident: dict[str, Any],
    keys: Sequence[str],
    seen: tuple[str | None, str | None],
    severity: tuple[int, str],
    related: dict[str, Any],
    account_ids: Sequence[str | None],
    accounts: Sequence[Any],
    now: datetime,
) -> None:
    """What an alert or a merged incident adds besides its alerts and lines."""
    details = incident["incident"]
    details.pop(MERGING, None)  # left by a merge that died before its survivor's write: open
    details["keys"] = list(dict.fromkeys([*details["keys"], *keys]))[:MAX_KEYS]
    details["first_seen"] = min(filter(None, [details["first_seen"], seen[0]]))
    details["last_seen"] = max(filter(None, [details["last_seen"], seen[1]]))
    number, label = severity
    if number > incident["event"]["severity"]:
        incident["event"]["severity"], details["severity"] = number, label
    details["updated"] = iso(now)
    incident["@timestamp"] = iso(now)
    incident["event"]["start"], incident["event"]["end"] = details["first_seen"], details["last_seen"]
    for field in ("user", "ip"):
        merged = dict.fromkeys([*incident["related"][field], *related.get(field, [])])
        incident["related"][field] = list(merged)[:MAX_KEYS]
    for account in account_ids:
        if account and account not in incident["cloud"]["account"]["id"]:
            incident["cloud"]["account"]["id"].append(account)
    # The alerts' accounts with their names, OU paths and tags (enrichment): the incident's SNS
    # message carries them as attributes, so each team subscribes to its own accounts.
    known = {item.get("id") for item in details.setdefault("accounts", [])}
    for item in accounts:
        if isinstance(item, dict) and item.get("id") not in known and len(details["accounts"]) < MAX_ACCOUNTS:
            details["accounts"].append(item)
            known.add(item.get("id"))
    lines = details["lines"]
    details["title"] = f"{sorted(lines, key=_line_rank)[0]['rule_name']}" + (
        f" and {len(lines) - 1} more" if len(lines) > 1 else ""
    )
    incident["message"] = f"Incident: {details['title']} ({details['key']})"


def merge_incident(survivor: dict[str, Any], other: dict[str, Any], now: datetime) -> None:
    """Fold ``other`` (in place) into ``survivor``, the older, and close it as ``merged``, with
    ``merged_into`` pointing at the survivor; the survivor lists it in ``merged_from``. One
    already listed there (a run that died between the two writes) is only closed."""
    details, gone = survivor["incident"], other["incident"]
    merged_from = details.setdefault("merged_from", [])
    if gone["id"] not in merged_from:
        merged_from[:] = [*merged_from, gone["id"]][-MAX_MERGED:]
        _record_alert_ids(details, gone["alert_ids"], alert_count(gone))
        details["rule_ids"] = sorted({*details["rule_ids"], *gone["rule_ids"]})
        for line in gone["lines"]:
            _add_line(details["lines"], line)
        _absorb(
            survivor,
            gone["keys"],
            (gone["first_seen"], gone["last_seen"]),
            (other["event"]["severity"], gone["severity"]),
            other["related"],
            other["cloud"]["account"]["id"],
            gone.get("accounts", []),
            now,
        )
    _close(other, details["id"], now)


def _close(incident: dict[str, Any], survivor_id: str, now: datetime) -> None:
    details = incident["incident"]
    details["status"], details["merged_into"], details["updated"] = MERGED, survivor_id, iso(now)
    details.pop(MERGING, None)
    incident["@timestamp"] = iso(now)


def _merging(incident: dict[str, Any], status: str) -> dict[str, Any]:
    """The merged ``incident`` as it was before its merge (its ``status``, open, acknowledged or
    closed, and its alerts), with ``merging_into`` naming its survivor: written before the
    survivor (:func:`fold_alerts`)."""
    marked = _copy(incident)
    details = marked["incident"]
    details["status"], details[MERGING] = status, details.pop("merged_into")
    return marked


def _unfinished_merges(incidents: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Incident id -> the survivor that lists it in ``merged_from`` while itself still open:
    a merge whose second write may be missing."""
    return {
        identifier: incident["incident"]["id"]
        for incident in incidents
        if incident["incident"].get("status") != MERGED
        for identifier in incident["incident"].get("merged_from") or []
    }


def complete_merges(
    client: OpenSearch,
    index: str,
    now: datetime,
    window: timedelta = RESUME_WINDOW,
    lease: IncidentLease | None = None,
) -> list[str]:
    """Close the incidents a run that died between a merge's two writes left open: each one an
    open survivor (updated within ``window``) lists in ``merged_from`` and that is not closed.
    The survivor already holds their alerts, so they are only closed (``merged_into``); return
    their ids. Idempotent: a closed one is left as it is."""
    query = {
        "bool": {
            "filter": [{"range": {"incident.updated": {"gte": iso(now - window)}}}],
            "must_not": [{"term": {"incident.status": MERGED}}],
        }
    }
    body = {
        "size": MAX_FOUND,
        "query": query,
        "sort": [{"incident.updated": {"order": "desc", "unmapped_type": "date"}}],
        # Only what is needed: ``merged_from`` is in _source whatever the index's mapping.
        "_source": ["incident.id", "incident.status", "incident.merged_from"],
    }
    hits = client.search(index=index, body=body, ignore_unavailable=True, allow_no_indices=True)
    listed = _unfinished_merges(hit["_source"] for hit in hits["hits"]["hits"])
    if not listed:
        return []
    response = client.mget(index=index, body={"ids": list(listed)})
    unfinished = [
        doc["_source"]
        for doc in response.get("docs", [])
        if doc.get("found") and doc["_source"]["incident"]["status"] != MERGED
    ]
    for incident in unfinished:
        _close(incident, listed[incident["incident"]["id"]], now)
    write_incidents(client, index, unfinished, lease)
    return [incident["incident"]["id"] for incident in unfinished]


@dataclass(frozen=True, slots=True)
class IncidentChange:
    incident: dict[str, Any]
    change: Change
    """``new``: opened by this fold; ``escalated``: its severity rose; ``updated``: more alerts;
    ``unchanged``: every alert was in it already (a retried fold)."""
    alert_ids: tuple[str, ...]


def fold_alerts(
    client: OpenSearch,
    index: str,
    alerts: Sequence[dict[str, Any]],
    now: datetime,
    span: timedelta = DEFAULT_SPAN,
    lease: IncidentLease | None = None,
) -> list[IncidentChange]:
    """Fold ``alerts`` (oldest first) into the incidents index; return what changed.

    Under the incidents' lease (:mod:`detections.incident_lease`): ``lease``, held by the
    caller, or one taken for the fold (:class:`~detections.incident_lease.LeaseBusy` when
    another writer holds it), checked before each write. So no other fold writes between this
    one's reads and its writes.

    One search and real-time gets find the incidents the alerts may join (:func:`_open_incidents`;
    one more search, and a get when it finds any, for the merges to finish); the changed ones
    are then written whole under their ids (bulk ``index``). Every incident an alert went to is
    returned, changed or not, so a notification that failed last run can be retried. An alert
    that joins two or more incidents merges them into the oldest (:func:`merge_incident`), in
    three writes: the merged ones still open but marked ``merging_into`` the survivor, the
    survivors, the merged ones closed. A run that dies in between leaves the merge to be
    finished, never alerts counted twice. Every fold, with alerts or none, first finishes such
    merges (:func:`complete_merges`, by a search); one whose survivor no search shows yet is
    finished here before any alert is placed: the lookup follows the mark to the survivor,
    which lists the merged incident, so it is closed and never joined alone.
    """
    if lease is None:
        with incident_lease(client, index, now) as taken:
            return fold_alerts(client, index, alerts, now, span, taken)
    complete_merges(client, index, now, lease=lease)
    ordered = sorted(alerts, key=lambda alert: (_first_seen(alert), alert["alert"]["id"]))
    known = _open_incidents(client, index, ordered, span)
    written: set[str] = set()
    for identifier, survivor_id in _unfinished_merges(known.values()).items():
        if identifier in known and known[identifier]["incident"]["status"] != MERGED:
            _close(known[identifier], survivor_id, now)
            written.add(identifier)
    before = {identifier: _copy(incident) for identifier, incident in known.items()}
    folded: dict[str, list[str]] = {}
    for alert in ordered:
        incident = _recorded(known, alert)
        if incident is None:  # not counted by an earlier run
            incident = _destination(known, alert, now, span, written)
            if add_alert(incident, alert, now):
                written.add(incident["incident"]["id"])
            if _closed_and_grew(incident, before):
                reopen_on_alert(incident, alert["alert"]["id"], now)
        folded.setdefault(incident["incident"]["id"], []).append(alert["alert"]["id"])
    # An alert folded into an incident merged later in this run belongs to the survivor.
    by_survivor: dict[str, list[str]] = {}
    for identifier, ids in folded.items():
        by_survivor.setdefault(_survivor(known, identifier)["incident"]["id"], []).extend(ids)
    changes = [
        IncidentChange(known[identifier], _change(before.get(identifier), known[identifier]), tuple(ids))
        for identifier, ids in by_survivor.items()
    ]
    changed = [known[identifier] for identifier in sorted(written)]
    merged = [i for i in changed if i["incident"]["status"] == MERGED]
    # Merged by this fold (not the rest of an earlier merge, closed above): marked first.
    closed = {identifier for identifier, i in before.items() if i["incident"]["status"] == MERGED}
    marks = [_merging(i, _status_before(before, i)) for i in merged if i["incident"]["id"] not in closed]
    write_incidents(client, index, marks, lease)
    write_incidents(client, index, [i for i in changed if i["incident"]["status"] != MERGED], lease)
    write_incidents(client, index, merged, lease)
    return changes


def _status_before(before: dict[str, dict[str, Any]], incident: dict[str, Any]) -> str:
    earlier = before.get(incident["incident"]["id"])
    return str(earlier["incident"]["status"]) if earlier else OPEN  # opened by this fold


def _closed_and_grew(incident: dict[str, Any], before: dict[str, dict[str, Any]]) -> bool:
    """A closed incident that took alerts in this fold (an alert joined it, or it survived a
    merge): it is reopened (docs/detections.md, "Triage")."""
    earlier = before.get(incident["incident"]["id"])
    return (
        incident["incident"]["status"] == CLOSED
        and earlier is not None
        and alert_count(incident["incident"]) > alert_count(earlier["incident"])
    )


def _destination(
    known: dict[str, dict[str, Any]], alert: dict[str, Any], now: datetime, span: timedelta, written: set[str]
) -> dict[str, Any]:
    """The oldest incident the alert may join, the others it also joins merged into it; else the
    one its id names (or, merged, the survivor that took it); else a new one (added to ``known``).
    The incidents a merge changed are added to ``written``."""
    first = parse_time(_first_seen(alert))
    joinable = _joinable(known.values(), actor_keys(alert), first, span)
    if not joinable:
        key = _grouping_key(alert)
        start = bucket_start(first, span)
        identifier, incident = _own_incident(known, key, start)
        return incident or known.setdefault(identifier, new_incident(identifier, key, start, now))
    survivor = joinable[0]
    for other in joinable[1:]:
        merge_incident(survivor, other, now)
        written.update({survivor["incident"]["id"], other["incident"]["id"]})
    return survivor


def _own_incident(
    known: dict[str, dict[str, Any]], key: str, start: datetime
) -> tuple[str, dict[str, Any] | None]:
    """The id of the incident an alert grouped on ``key`` opens in the span from ``start``, and
    the open incident that takes the alert in its place (``None``: not in ``known``, to open).

    The alert's own id first; merged, its survivor takes the alert (it holds the incident's
    alerts but maybe not its actor, MAX_KEYS, so it was not joinable). When ``known`` does not
    end that chain at an open incident (longer than :data:`MAX_MERGE_HOPS`, or a cycle), the
    next id hashes this one (:func:`incident_id` ``after``): stable whatever the lookup reached,
    so a later fold gets it by id (:func:`_open_incidents`) instead of opening it again."""
    identifier = incident_id(key, start)
    while identifier in known:  # each id hashes the one before: no cycle
        incident = _survivor(known, identifier)
        if incident["incident"]["status"] != MERGED:
            return identifier, incident
        identifier = incident_id(key, start, after=identifier)
    return identifier, None


def _survivor(known: dict[str, dict[str, Any]], identifier: str) -> dict[str, Any]:
    """The incident ``identifier`` is, or was merged into (as far as ``known`` goes)."""
    incident = known[identifier]
    for _ in range(len(known)):
        target = incident["incident"].get("merged_into")
        if incident["incident"]["status"] != MERGED or target not in known:
            break
        incident = known[target]
    return incident


def _recorded(known: dict[str, dict[str, Any]], alert: dict[str, Any]) -> dict[str, Any] | None:
    """The incident an earlier run recorded on the alert (``alert.incident_id``), if it holds it."""
    identifier = alert["alert"].get("incident_id")
    if identifier not in known:
        return None
    incident = _survivor(known, identifier)
    return None if incident["incident"]["status"] == MERGED else incident


def change_line(change: IncidentChange) -> str:
    """``<id> <change> <SEVERITY>: <title> (<n> lines, <n> alerts; actor <key>)``, on one line."""
    details = change.incident["incident"]
    return (
        f"{details['id']} {change.change} {details['severity'].upper()}: {one_line(details['title'])} "
        f"({len(details['lines'])} lines, {alert_count(details)} alerts; actor {one_line(details['key'])})"
    )


def _copy(incident: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(incident))
    return copied


def _change(before: dict[str, Any] | None, after: dict[str, Any]) -> Change:
    if before is None:
        return "new"
    if before["incident"]["status"] == CLOSED and after["incident"]["status"] != CLOSED:
        return "reopened"
    if after["event"]["severity"] > before["event"]["severity"]:
        return "escalated"
    if alert_count(after["incident"]) != alert_count(before["incident"]):
        return "updated"
    return "unchanged"


def _joinable(
    incidents: Iterable[dict[str, Any]], keys: Sequence[str], first: datetime, span: timedelta
) -> list[dict[str, Any]]:
    """The open incidents holding one of ``keys`` and seen within ``span`` of ``first``, oldest first."""
    wanted = set(keys)
    candidates = [
        incident
        for incident in incidents
        if incident["incident"]["status"] != MERGED
        and wanted & set(incident["incident"]["keys"])
        and parse_time(incident["incident"]["last_seen"]) + span >= first
        and parse_time(incident["incident"]["first_seen"]) - span <= first
    ]
    return sorted(candidates, key=lambda i: (i["incident"]["first_seen"], i["incident"]["id"]))


def _open_incidents(
    client: OpenSearch, index: str, alerts: Sequence[dict[str, Any]], span: timedelta
) -> dict[str, dict[str, Any]]:
    """The incidents ``alerts`` may join, as they are now: a search finds the open ones holding
    one of their actors (it shows a write 10-60 s late), then each is got by id (real time), with
    the incidents each alert's keys would open in its span or the one before, those earlier runs
    recorded on the alerts, and the ones all these were merged (or are being merged) into
    (:func:`_get_chains`). Where a chain does not end at an open incident, the id the alert
    opens past it is got too (:func:`_own_incident`), so it is never opened twice."""
    if not alerts:
        return {}
    found: dict[str, dict[str, Any]] = {}
    owners = sorted({(_grouping_key(a), bucket_start(parse_time(_first_seen(a)), span)) for a in alerts})
    wanted = [
        *(identifier for alert in alerts for identifier in _candidate_ids(alert, span)),
        *(alert["alert"]["incident_id"] for alert in alerts if alert["alert"].get("incident_id")),
        *_search_actors(client, index, alerts, span),
    ]
    tried: set[str] = set()
    while wanted:  # after the first round, only for incidents opened past a chain: rare
        tried.update(wanted)
        _get_chains(client, index, wanted, found)
        opened = (_own_incident(found, key, start) for key, start in owners)
        wanted = [identifier for identifier, open_ in opened if open_ is None and identifier not in tried]
    return found


def _get_chains(client: OpenSearch, index: str, ids: Sequence[str], found: dict[str, dict[str, Any]]) -> None:
    """Get ``ids`` into ``found`` and, up to :data:`MAX_MERGE_HOPS` pointers on, the incidents
    they were merged (``merged_into``) or are being merged (``merging_into``) into. An id is
    got once, so a cycle ends."""
    for _ in range(MAX_MERGE_HOPS + 1):
        wanted = [identifier for identifier in dict.fromkeys(ids) if identifier not in found]
        if not wanted:
            return
        response = client.mget(index=index, body={"ids": wanted})
        docs = {doc["_id"]: doc["_source"] for doc in response.get("docs", []) if doc.get("found")}
        found.update(docs)
        ids = [target for doc in docs.values() if (target := _pointer(doc))]


def _pointer(incident: dict[str, Any]) -> str | None:
    details = incident["incident"]
    return details.get("merged_into") or details.get(MERGING)


def _search_actors(
    client: OpenSearch, index: str, alerts: Sequence[dict[str, Any]], span: timedelta
) -> list[str]:
    """The ids of the open incidents holding one of the alerts' actors, seen within the span
    before the earliest (an incident acquires actors as alerts join it)."""
    keys = list(dict.fromkeys(key for alert in alerts for key in actor_keys(alert)))[:MAX_LOOKUP_KEYS]
    if not keys:
        return []
    earliest = min(parse_time(_first_seen(alert)) for alert in alerts) - span
    query = {
        "bool": {
            "filter": [
                {"terms": {"incident.keys": keys}},
                {"range": {"incident.last_seen": {"gte": iso(earliest)}}},
            ],
            "must_not": [{"term": {"incident.status": MERGED}}],
        }
    }
    body = {"size": MAX_FOUND, "query": query, "_source": False}
    hits = client.search(index=index, body=body, ignore_unavailable=True, allow_no_indices=True)
    return [hit["_id"] for hit in hits["hits"]["hits"]]


def _grouping_key(alert: dict[str, Any]) -> str:
    """The first actor; an alert without one (a failed control) groups on its rule and dedup key."""
    keys = actor_keys(alert)
    return keys[0] if keys else f"rule:{alert['rule']['id']}|{alert['alert']['dedup_key']}"


def _candidate_ids(alert: dict[str, Any], span: timedelta) -> list[str]:
    start = bucket_start(parse_time(_first_seen(alert)), span)
    keys = actor_keys(alert) or [_grouping_key(alert)]
    return [incident_id(key, moment) for key in keys for moment in (start, start - span)]


def write_incidents(
    client: OpenSearch, index: str, incidents: Sequence[dict[str, Any]], lease: IncidentLease | None = None
) -> None:
    """``index`` each incident under its id (a whole document: SEARCH collections allow it),
    ``lease`` checked first (:class:`~detections.incident_lease.LeaseExpired`)."""
    if not incidents:
        return
    if lease is not None:
        lease.check()
    body: list[dict[str, Any]] = []
    for incident in incidents:
        body += [{"index": {"_index": index, "_id": incident["incident"]["id"]}}, incident]
    response = client.bulk(body=body)
    failed = [item["index"] for item in response["items"] if item["index"].get("status") not in (200, 201)]
    if failed:
        raise RuntimeError(f"incidents not written: {failed[:3]}")


NOTIFIED = "notified_severity"
"""The severity the incident's last SNS message announced (``None``: none sent yet)."""
PUBLISHED = "published_severity"
"""The severity of its last event on the EventBridge bus (detections/eventbus.py)."""


def needs_notification(incident: dict[str, Any], channel: str = NOTIFIED) -> bool:
    """New or reopened (nothing sent on ``channel`` since) or escalated above the severity last
    sent there; an acknowledged incident too (when it escalates). Never a closed one: on-call
    closed it (one whose first message failed and that a later run retries), and an alert
    that joins it reopens it first."""
    details = incident["incident"]
    if details.get("status") == CLOSED:
        return False
    notified = details.get(channel)
    return notified is None or _RANK.get(details["severity"], 0) > _RANK.get(notified, 0)


Announced = Literal["new", "reopened", "escalated"]


def announced_change(incident: dict[str, Any], channel: str = NOTIFIED) -> Announced:
    """What a message on ``channel`` announces: ``new`` before its first, ``reopened`` when an
    alert reopened the closed incident since its last (which cleared the channel's record),
    else ``escalated``."""
    details = incident["incident"]
    if details.get(channel) is not None:
        return "escalated"
    return "reopened" if details.get(REOPENED) else "new"


def mark_notified(
    client: OpenSearch,
    index: str,
    incident: dict[str, Any],
    channel: str = NOTIFIED,
    lease: IncidentLease | None = None,
) -> None:
    """Record on the incident the severity ``channel`` announced (``lease`` checked first: a
    fold of another writer would otherwise write back the incident without it)."""
    if lease is not None:
        lease.check()
    severity = incident["incident"]["severity"]
    incident["incident"][channel] = severity
    client.update(
        index=index,
        id=incident["incident"]["id"],
        body={"doc": {"incident": {channel: severity}}},
    )


def list_incidents(
    client: OpenSearch, index: str, size: int = 50, status: str | None = None
) -> list[dict[str, Any]]:
    """The most recently seen incidents first, with ``status`` only those (a missing index: none)."""
    query: list[dict[str, Any]] = [{"exists": {"field": "incident.id"}}]  # not the lease
    if status:
        query.append({"term": {"incident.status": status}})
    body = {
        "size": size,
        "query": {"bool": {"filter": query}},
        "sort": [{"incident.last_seen": "desc"}, {"incident.id": "asc"}],
    }
    response = client.search(index=index, body=body, ignore_unavailable=True, allow_no_indices=True)
    return [hit["_source"] for hit in response["hits"]["hits"]]


def get_incident(client: OpenSearch, index: str, identifier: str) -> dict[str, Any] | None:
    response = client.mget(index=index, body={"ids": [identifier]})
    docs = [doc for doc in response.get("docs", []) if doc.get("found") and "incident" in doc["_source"]]
    return docs[0]["_source"] if docs else None  # a lease document is no incident
