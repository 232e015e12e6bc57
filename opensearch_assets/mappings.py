"""The fields of each index: every source's own (its fields definition in
normalizers/<source>/fields.py, also rendered in docs/sources/<source>.md) and the alerts
index's, which the detections runner writes.

Names follow Elastic's AWS integration where ECS is silent (docs/schema.md). Sub-objects
whose keys are open-ended (request parameters, finding evidence, resource details, product
fields) are ``flat_object``: searchable by any key path, never a source of new fields.
"""

from __future__ import annotations

from typing import Any

from enrichment.accounts import MAPPED_TAG_KEYS
from enrichment.fields import SOURCES as ENRICHED_SOURCES
from enrichment.fields import enrichment_fields
from normalizers.fields import kinds
from normalizers.registry import SPECS
from normalizers.spec import SourceSpec
from opensearch_assets.fields import ECS_COMMON, KINDS, FieldTable

ALERTS: FieldTable = {
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.description": "text",
    "rule.category": "keyword",
    "rule.ruleset": "keyword",
    "rule.reference": "keyword",
    "rule.author": "keyword",
    "rule.license": "keyword",
    "rule.version": "keyword",
    "alert.id": "keyword",
    "alert.notified": "boolean",
    "alert.dedup_key": "keyword",
    "alert.severity": "keyword",
    "alert.status": "keyword",
    "alert.count": "long",
    "alert.index": "keyword",
    "alert.query": "keyword",
    "alert.group_by": "flat_object",
    "alert.first_seen": "date",
    "alert.last_seen": "date",
    "alert.window_start": "date",
    "alert.window_end": "date",
    "alert.created": "date",
    "alert.summary.who": "text",
    "alert.summary.when": "text",
    "alert.summary.what": "text",
    "alert.summary.where": "text",
    "alert.event_ids": "keyword",
    "alert.accounts.id": "keyword",
    "alert.accounts.name": "keyword",
    "alert.accounts.ou_path": "keyword",
    **{f"alert.accounts.tags.{key}": "keyword" for key in MAPPED_TAG_KEYS},
    "alert.dashboards_url": "stored",
    "alert.incident_id": "keyword",
    "alert.published": "boolean",
}
"""The alerts index written by the detections runner (one document per deduplicated alert).

``alert.accounts``: the accounts of the matched events with their name, OU path and tags (the
SNS message attributes). Times: ``@timestamp`` (when the alert was raised), ``alert.first_seen``/``last_seen`` (the
matched events), ``alert.window_*`` (the query window). The matched events' actor and
addresses go to the usual ECS fields (``user.*``, ``related.*``, ``source.ip``...).
"""


def _source_table(fields: FieldTable) -> FieldTable:
    """A source's own fields, and the account context enrichment writes beside its account ids
    (``aws.cloudtrail.user_identity.account_name``...) for each ``aws.<block>`` it has."""
    own = {path: kind for path, kind in fields.items() if path not in ECS_COMMON}
    for block in ENRICHED_SOURCES:
        if any(path.startswith(f"aws.{block}.") for path in own):
            own.update(enrichment_fields(source=block))
    return own


INCIDENTS: FieldTable = {
    "incident.id": "keyword",
    "incident.key": "keyword",
    "incident.keys": "keyword",
    "incident.title": "text",
    "incident.span_start": "date",
    "incident.status": "keyword",
    "incident.resolution": "keyword",
    "incident.status_by": "keyword",
    "incident.status_updated": "date",
    "incident.reopened": "date",
    "incident.severity": "keyword",
    "incident.notified_severity": "keyword",
    "incident.published_severity": "keyword",
    "incident.created": "date",
    "incident.updated": "date",
    "incident.first_seen": "date",
    "incident.last_seen": "date",
    "incident.alert_ids": "keyword",
    "incident.alert_count": "long",
    "incident.alert_ids_truncated": "boolean",
    "incident.merged_from": "keyword",
    "incident.merged_into": "keyword",
    "incident.rule_ids": "keyword",
}
"""The incidents index (detections/incidents.py): one document per group of alerts sharing an
actor, written under its deterministic id and rewritten as alerts join it. ``incident.status`` is
``open``, ``acknowledged``, ``closed`` (with ``incident.resolution``; who and when:
``incident.status_by``, ``incident.status_updated``; detections/incident_status.py) or
``merged`` (folded into ``incident.merged_into``); ``incident.alert_count`` is exact
where ``incident.alert_ids`` is bounded (``incident.alert_ids_truncated``). ``incident.lines``
(one per distinct event set, twins folded) and ``incident.history`` (the status changes) are left
unmapped: kept in ``_source`` (``dynamic: false``)."""

SOURCE_TABLES: dict[str, FieldTable] = {
    **{spec.index: _source_table(kinds(spec.fields)) for spec in SPECS},
    "alerts": ALERTS,
    "incidents": INCIDENTS,
}
"""Index suffix -> the fields specific to it (ECS_COMMON comes with every index): each
source's fields definition with its enrichment, the alerts index and the incidents index."""


def _copied(table: FieldTable, copies: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each field of ``copies`` mapped as its kind, plus ``copy_to`` its target."""
    return {path: {**KINDS[table[path]], "copy_to": [target]} for path, target in copies.items()}


def _overrides(spec: SourceSpec) -> dict[str, dict[str, Any]]:
    """How the index maps what the source's documents leave to it (``SourceSpec.left_to_index``)."""
    left = spec.left_to_index
    return {
        **{path: {"type": "constant_keyword", "value": value} for path, value in left.constants.items()},
        **{path: {"type": "alias", "path": target} for path, target in left.aliases.items()},
        **_copied({**ECS_COMMON, **SOURCE_TABLES[spec.index]}, dict(left.copies)),
    }


OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    spec.index: overrides for spec in SPECS if (overrides := _overrides(spec))
}
"""Index suffix -> fields mapped differently from their kind, for values its documents do not
carry: the index's constants (``constant_keyword``: a query on ``event.kind:event`` matches
every document of the index), aliases of other fields (``network.bytes`` -> ``source.bytes``)
and fields copied into another (``source.ip`` -> ``related.ip``, ``copy_to``)."""

UNDOCUMENTED_ON_SERVERLESS = ("constant_keyword", "alias", "copy_to")
"""Mapping types and parameters the overrides use that ../shared/reference/opensearch-serverless.md
does not mention either way: if Serverless refused one, installing the templates fails
(``siem assets install`` names them), never silently."""
