"""The typed field catalogue of every index: dotted path -> field kind.

One flat table per concern keeps the mappings reviewable line by line against
docs/schema.md and docs/sources/*.md; :func:`properties` turns a table into the nested
``properties`` of an OpenSearch mapping. Kinds are a small vocabulary (:data:`KINDS`), so
the same choice is made the same way everywhere (every id a ``keyword``, every byte count a
64-bit ``long``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FieldTable = dict[str, str]

# Longer values are stored in _source but not indexed: one huge string can never fail a
# document (Lucene refuses terms over 32 KiB) nor bloat the terms dictionary.
KEYWORD_IGNORE_ABOVE = 1024

KINDS: dict[str, dict[str, Any]] = {
    "keyword": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE},
    # Full text where analysts type words (titles, descriptions, user agents), with an
    # exact, aggregatable keyword beside it.
    "text": {
        "type": "text",
        "fields": {"keyword": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE}},
    },
    "date": {"type": "date"},
    "ip": {"type": "ip"},
    "long": {"type": "long"},
    "float": {"type": "float"},
    "boolean": {"type": "boolean"},
    "geo_point": {"type": "geo_point"},
    # Arbitrary JSON: every key path searchable, none of them a mapped field.
    "flat_object": {"type": "flat_object"},
    # Kept for the reader (event.original), never searched nor aggregated.
    "stored": {"type": "keyword", "index": False, "doc_values": False},
}


def _geo(prefix: str) -> FieldTable:
    return {
        f"{prefix}.geo.location": "geo_point",
        f"{prefix}.geo.country_iso_code": "keyword",
        f"{prefix}.geo.country_name": "keyword",
        f"{prefix}.geo.region_name": "keyword",
        f"{prefix}.geo.city_name": "keyword",
        f"{prefix}.as.number": "long",
        f"{prefix}.as.organization.name": "keyword",
    }


def _endpoint(prefix: str) -> FieldTable:
    """ECS ``source``/``destination``: the address split by validity (docs/schema.md)."""
    return {
        f"{prefix}.ip": "ip",
        f"{prefix}.address": "keyword",
        f"{prefix}.domain": "keyword",
        f"{prefix}.port": "long",
        f"{prefix}.bytes": "long",
        f"{prefix}.packets": "long",
        **_geo(prefix),
    }


def user_identity(prefix: str) -> FieldTable:
    """``aws.<source>.user_identity.*``, written by ``normalizers.ecs.actor.actor_fields``."""
    base = f"{prefix}.user_identity"
    issuer = f"{base}.session_context.session_issuer"
    return {
        f"{base}.type": "keyword",
        f"{base}.arn": "keyword",
        f"{base}.account_id": "keyword",
        f"{base}.access_key_id": "keyword",
        f"{base}.user_name": "keyword",
        f"{base}.invoked_by": "keyword",
        f"{base}.identity_provider": "keyword",
        f"{base}.session_context.mfa_authenticated": "boolean",
        f"{base}.session_context.creation_date": "date",
        f"{base}.session_context.source_identity": "keyword",
        f"{base}.session_context.ec2_role_delivery": "keyword",
        f"{issuer}.type": "keyword",
        f"{issuer}.principal_id": "keyword",
        f"{issuer}.arn": "keyword",
        f"{issuer}.account_id": "keyword",
        f"{issuer}.user_name": "keyword",
    }


ECS_COMMON: FieldTable = {
    "@timestamp": "date",
    "message": "text",
    "tags": "keyword",
    "labels": "flat_object",
    "ecs.version": "keyword",
    "event.kind": "keyword",
    "event.category": "keyword",
    "event.type": "keyword",
    "event.action": "keyword",
    "event.outcome": "keyword",
    "event.id": "keyword",
    "event.code": "keyword",
    "event.reason": "keyword",
    "event.dataset": "keyword",
    "event.module": "keyword",
    "event.provider": "keyword",
    "event.ingested": "date",
    "event.created": "date",
    "event.start": "date",
    "event.end": "date",
    "event.duration": "long",
    "event.severity": "long",
    "event.risk_score": "float",
    "event.url": "keyword",
    "event.original": "stored",
    "cloud.provider": "keyword",
    "cloud.account.id": "keyword",
    "cloud.account.name": "keyword",
    "cloud.region": "keyword",
    "cloud.availability_zone": "keyword",
    "cloud.instance.id": "keyword",
    "cloud.machine.type": "keyword",
    "cloud.service.name": "keyword",
    "user.id": "keyword",
    "user.name": "keyword",
    "user.email": "keyword",
    "user.domain": "keyword",
    "user.target.id": "keyword",
    "user.target.name": "keyword",
    "related.user": "keyword",
    "related.ip": "ip",
    "related.hosts": "keyword",
    "related.hash": "keyword",
    **_endpoint("source"),
    **_endpoint("destination"),
    "network.transport": "keyword",
    "network.type": "keyword",
    "network.iana_number": "keyword",
    "network.direction": "keyword",
    "network.protocol": "keyword",
    "network.bytes": "long",
    "network.packets": "long",
    "network.community_id": "keyword",
    "user_agent.original": "text",
    "user_agent.name": "keyword",
    "user_agent.version": "keyword",
    "user_agent.device.name": "keyword",
    "user_agent.os.name": "keyword",
    "user_agent.os.version": "keyword",
    "user_agent.os.full": "keyword",
    "error.code": "keyword",
    "error.message": "text",
    "host.id": "keyword",
    "host.name": "keyword",
    "host.hostname": "keyword",
    "host.ip": "ip",
    "dns.question.name": "keyword",
    "url.domain": "keyword",
    "url.full": "keyword",
    "url.path": "keyword",
    "process.name": "keyword",
    "process.executable": "keyword",
    "process.pid": "long",
    "process.command_line": "keyword",
    "file.path": "keyword",
    "file.hash.sha256": "keyword",
    "threat.indicator.type": "keyword",
    "threat.tactic.name": "keyword",
    "threat.technique.id": "keyword",
    "threat.technique.name": "keyword",
}
"""ECS fields any source may fill; the cross-source pivots (docs/schema.md) live here."""

FINDING_COMMON: FieldTable = {
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.category": "keyword",
    "rule.description": "text",
    "rule.ruleset": "keyword",
    "rule.reference": "keyword",
    "vulnerability.id": "keyword",
    "vulnerability.severity": "keyword",
    "vulnerability.score.base": "float",
    "vulnerability.reference": "keyword",
    "vulnerability.description": "text",
    "vulnerability.scanner.vendor": "keyword",
}
"""Fields GuardDuty and Security Hub findings share (the "Findings" table of the schema)."""


def properties(table: Mapping[str, str]) -> dict[str, Any]:
    """Nest a ``dotted.path -> kind`` table into mapping ``properties``.

    Raises ``ValueError`` when a path is both a leaf and an object, or a kind is unknown:
    such a table would make the index template fail on the engine.
    """
    root: dict[str, Any] = {}
    for path, kind in sorted(table.items()):
        if kind not in KINDS:
            raise ValueError(f"{path}: unknown field kind {kind!r}")
        node = root
        *parents, leaf = path.split(".")
        for index, part in enumerate(parents):
            child = node.setdefault(part, {"properties": {}})
            if "properties" not in child:
                raise ValueError(f"{path}: {'.'.join(parents[: index + 1])} is already a leaf field")
            node = child["properties"]
        if leaf in node:
            raise ValueError(f"{path}: already defined as an object")
        node[leaf] = dict(KINDS[kind])
    return root


def leaf_fields(mapping_properties: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Flatten mapping ``properties`` to ``{dotted path: field mapping}``, multi-fields included.

    Used to count fields the way the engine does and to describe fields to Dashboards.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in mapping_properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(leaf_fields(spec["properties"], f"{path}."))
            continue
        out[path] = spec
        for sub, sub_spec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = sub_spec
    return out
