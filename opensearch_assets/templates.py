"""Component and index templates for the SIEM indices, and their installation.

Each index ``<prefix><name>`` gets an index template composed of three component templates:

- ``<prefix>settings``: the field-count ceiling (the only index setting; Serverless refuses
  shards, replicas, refresh interval and ISM settings);
- ``<prefix>ecs``: ``dynamic: false`` plus the ECS fields every source shares;
- ``<prefix><name>-fields``: the fields of that source (opensearch_assets/mappings.py).

``dynamic: false`` keeps an unexpected field in ``_source`` without mapping it, so neither a
new AWS attribute nor a hostile record can grow the mapping or conflict with it.
"""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

from opensearch_assets.fields import ECS_COMMON, leaf_fields, properties, with_overrides
from opensearch_assets.mappings import OVERRIDES, SOURCE_TABLES

DEFAULT_PREFIX = "siem-"
INDEX_NAMES: tuple[str, ...] = tuple(SOURCE_TABLES)
"""Index name suffixes: the sources, ``alerts`` and ``incidents``."""

TOTAL_FIELDS_LIMIT = 2000
"""Twice the 1,000 fields an index may reach (tests/assets checks it): headroom, not a target."""

# Bumped whenever a mapping changes, so `GET _index_template` tells which version is live.
# 2: enrichment fields, siem.object.* (provenance), flow constants and aliases; 3 (0.3.0): flow
# copy_to, the flow and CloudTrail constants, and the fields 0.3.0 maps; 4: the GuardDuty,
# Security Hub and Config constants; 5: the fields OCSF findings' evidences fill
# (process.parent.*, file.*, container.*, http.request.method: every index's ECS component)
# and aws.securityhub_findings.database.*; 6: the finding context (the GuardDuty and Security
# Hub components' orchestrator.*, threat.software.*, dns.question.type, tls.*, email.*,
# aws.<finding>.container_images); 7: the findings' workload and certificate fields
# (url.original, http.response.status_code, container.security_context.privileged, host.os.*,
# host.mac, tls.server.x509.*, tls.server.hash.*, aws.<finding>.container_mounts.* and
# .privileged_containers, aws.securityhub_findings.job.*), the incidents' triage fields
# (incident.resolution, .status_by, .status_updated, .reopened) and CloudTrail's web identity
# claims (aws.cloudtrail.user_identity.session_context.web_id_federation_data.attributes); 8: the
# provenance of findings recovered from Firehose error output (aws.firehose_errors.*); 9: the
# marker of values cut because too long to be indexed (siem.cut.*: every index's ECS component).
TEMPLATE_VERSION = 9
_META = {"managed_by": "aws-siem opensearch_assets", "version": TEMPLATE_VERSION}


def settings_component() -> dict[str, Any]:
    return {
        "template": {"settings": {"index": {"mapping": {"total_fields": {"limit": TOTAL_FIELDS_LIMIT}}}}},
        "version": TEMPLATE_VERSION,
        "_meta": _META,
    }


def ecs_component() -> dict[str, Any]:
    return {
        "template": {
            "mappings": {
                "dynamic": False,
                "date_detection": False,
                "properties": properties(ECS_COMMON),
            }
        },
        "version": TEMPLATE_VERSION,
        "_meta": _META,
    }


def fields_component(name: str) -> dict[str, Any]:
    return {
        "template": {"mappings": {"properties": _fields_properties(name)}},
        "version": TEMPLATE_VERSION,
        "_meta": _META,
    }


def _fields_properties(name: str) -> dict[str, Any]:
    """The source's fields, then its overrides, which replace the ECS component's mapping (the
    later component wins). A component is checked on its own: the target of an alias or of a
    ``copy_to`` is repeated."""
    overrides = OVERRIDES.get(name, {})
    targets = {spec["path"] for spec in overrides.values() if spec["type"] == "alias"}
    targets.update(target for spec in overrides.values() for target in spec.get("copy_to", ()))
    table = {**{path: ECS_COMMON[path] for path in targets if path in ECS_COMMON}, **SOURCE_TABLES[name]}
    return with_overrides(properties(table), overrides)


def component_templates(prefix: str = DEFAULT_PREFIX) -> dict[str, dict[str, Any]]:
    """Component template name -> body."""
    out = {f"{prefix}settings": settings_component(), f"{prefix}ecs": ecs_component()}
    for name in INDEX_NAMES:
        out[f"{prefix}{name}-fields"] = fields_component(name)
    return out


def index_templates(prefix: str = DEFAULT_PREFIX) -> dict[str, dict[str, Any]]:
    """Index template name -> body; each matches ``<prefix><name>`` and ``<prefix><name>-*``."""
    return {
        f"{prefix}{name}": {
            "index_patterns": [f"{prefix}{name}", f"{prefix}{name}-*"],
            "composed_of": [f"{prefix}settings", f"{prefix}ecs", f"{prefix}{name}-fields"],
            # Above the built-in templates (priority 0-100) so ours always wins.
            "priority": 200,
            "version": TEMPLATE_VERSION,
            "_meta": _META,
        }
        for name in INDEX_NAMES
    }


def install_templates(client: OpenSearch, prefix: str = DEFAULT_PREFIX) -> None:
    """Create or replace the component templates, then the index templates (idempotent).

    Templates apply to indices created afterwards; existing indices keep their mapping.
    """
    for name, body in component_templates(prefix).items():
        client.cluster.put_component_template(name=name, body=body)
    for name, body in index_templates(prefix).items():
        client.indices.put_index_template(name=name, body=body)


def index_properties(name: str) -> dict[str, Any]:
    """The merged mapping ``properties`` an index ``<prefix><name>`` is created with."""
    return with_overrides(properties({**ECS_COMMON, **SOURCE_TABLES[name]}), OVERRIDES.get(name, {}))


def index_fields(name: str) -> dict[str, dict[str, Any]]:
    """``{dotted path: field mapping}`` of an index, multi-fields included; an alias is
    described by its target's mapping, as the engine's field capabilities describe it."""
    fields = leaf_fields(index_properties(name))
    return {
        path: fields[spec["path"]] if spec.get("type") == "alias" else spec for path, spec in fields.items()
    }
