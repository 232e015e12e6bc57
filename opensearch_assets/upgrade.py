"""Bring the indices that already exist up to their template's mapping (additive only).

An index template applies to indices created after it: an index created under an older
template keeps its mapping, and with ``dynamic: false`` a field the template now maps but the
index does not stays in ``_source``, unsearchable there. :func:`upgrade_indices` lists the
indices the templates match (``GET _cat/indices``, which Serverless serves), reads each one's
mapping and adds what it lacks with one ``PUT <index>/_mapping``. It never changes a field
the index already has: a field mapped with another type is reported (a type cannot change in
place: that needs a reindex into a new index, docs/assets.md "Indices created before an
upgrade"). An alias is not added either: ingest writes the aliased value into documents of an
index that lacks the alias (ingest.legacy_fields), and an index that maps the alias would
refuse those documents until every ingest process read the new mapping again.

A failure on one index is reported and the others go on. Running it again changes nothing.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from opensearch_assets.templates import INDEX_NAMES, index_properties, index_templates

LOG = logging.getLogger(__name__)
SHOWN_FIELDS = 10
"""Fields named per index in the report's line (the log names them all)."""


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """A field the index maps with another type than its template: left as it is."""

    field: str
    live: str
    template: str


@dataclass(slots=True)
class IndexUpgrade:
    """What :func:`upgrade_index` did to one index."""

    index: str
    template: str
    added: list[str] = field(default_factory=list)
    """Dotted paths of the fields added (leaves)."""
    conflicts: list[FieldConflict] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    """Aliases the index lacks, not added (see the module's docstring)."""
    error: str | None = None

    def lines(self) -> list[str]:
        """One fact per line: the error, else the fields added, then each thing left as it is."""
        if self.error:
            return [f"index {self.index}: mapping not updated: {self.error}"]
        added = []
        if self.added:
            shown = ", ".join(self.added[:SHOWN_FIELDS])
            more = f" and {len(self.added) - SHOWN_FIELDS} more" if len(self.added) > SHOWN_FIELDS else ""
            added.append(f"index {self.index}: {len(self.added)} fields added ({shown}{more})")
        return added + self.left_alone()

    def left_alone(self) -> list[str]:
        """The conflicts and the aliases not added, one line each."""
        out = [
            f"index {self.index}: field {conflict.field} is {conflict.live} in the index, "
            f"{conflict.template} in template {self.template}: left as it is (a new index gets it)"
            for conflict in self.conflicts
        ]
        if self.aliases:
            out.append(
                f"index {self.index}: aliases not added ({', '.join(self.aliases)}): "
                "its documents keep carrying their values (a new index gets them)"
            )
        return out


def upgrade_indices(client: OpenSearch, prefix: str) -> list[IndexUpgrade]:
    """Add to every existing index a template of ``prefix`` matches the fields it lacks."""
    upgrades = []
    for index in existing_indices(client, prefix):
        name = template_name(index, prefix)
        if name is not None:
            upgrades.append(upgrade_index(client, index, name, prefix))
    return upgrades


def existing_indices(client: OpenSearch, prefix: str) -> list[str]:
    """The indices whose name starts with ``prefix`` (``GET _cat/indices/<prefix>*``)."""
    try:
        rows = client.cat.indices(index=f"{prefix}*", format="json", h="index")
    except NotFoundError:  # nothing matches (an engine that answers so for a wildcard)
        return []
    return sorted(str(row["index"]) for row in rows if isinstance(row, dict) and "index" in row)


def template_name(index: str, prefix: str) -> str | None:
    """The index name (``cloudtrail``, ``alerts``...) whose template matches ``index``."""
    for name, template in zip(INDEX_NAMES, index_templates(prefix).values(), strict=True):
        if any(fnmatch.fnmatchcase(index, pattern) for pattern in template["index_patterns"]):
            return name
    return None


def upgrade_index(client: OpenSearch, index: str, name: str, prefix: str) -> IndexUpgrade:
    """Add to ``index`` the fields of template ``<prefix><name>`` it lacks; never raises."""
    upgrade = IndexUpgrade(index, f"{prefix}{name}")
    try:
        answer = client.indices.get_mapping(index=index)
        live = answer[index]["mappings"].get("properties", {})
        additions = missing_properties(index_properties(name), live, upgrade)
        if additions:
            client.indices.put_mapping(index=index, body={"properties": additions})
    except Exception as error:  # one index refused (a type clash the engine found, a permission)
        upgrade.added.clear()
        upgrade.error = _reason(error)
        LOG.error("index %s: mapping not updated: %s", index, upgrade.error)
        return upgrade
    if upgrade.added:
        LOG.info("index %s: fields added: %s", index, ", ".join(upgrade.added))
    for line in upgrade.left_alone():
        LOG.warning("%s", line)
    return upgrade


def missing_properties(
    template: Mapping[str, Any], live: Mapping[str, Any], upgrade: IndexUpgrade, prefix: str = ""
) -> dict[str, Any]:
    """The part of ``template``'s properties that ``live``'s lack, for ``PUT _mapping``.

    Adds to ``upgrade`` the leaves it returns, the fields typed differently and the aliases left
    out. An object the index lacks comes whole (without its aliases)."""
    out: dict[str, Any] = {}
    for name, wanted in template.items():
        path = f"{prefix}{name}"
        have = live.get(name)
        if wanted.get("type") == "alias":
            if have is None:
                upgrade.aliases.append(path)
            elif have.get("type") != "alias":
                upgrade.conflicts.append(FieldConflict(path, _kind(have), "alias"))
            continue
        if have is None and "properties" not in wanted:
            out[name] = wanted
            upgrade.added.append(path)
        elif "properties" in wanted and (have is None or _kind(have) == "object"):
            inner = missing_properties(
                wanted["properties"], (have or {}).get("properties", {}), upgrade, f"{path}."
            )
            if inner:
                out[name] = {"properties": inner}
        elif have is not None and _kind(have) != _kind(wanted):
            upgrade.conflicts.append(FieldConflict(path, _kind(have), _kind(wanted)))
    return out


def _kind(mapping: Mapping[str, Any]) -> str:
    """A field's type; an object's mapping has ``properties`` and no type."""
    return str(mapping.get("type", "object"))


def _reason(error: Exception) -> str:
    """The engine's own words for a refused request (its status, type and reason)."""
    if isinstance(error, TransportError) and isinstance(error.status_code, int):
        info = error.info.get("error") if isinstance(error.info, dict) else None
        reason = info.get("reason") if isinstance(info, dict) else error.info
        return f"HTTP {error.status_code} {error.error}: {reason}"
    return f"{type(error).__name__}: {error}"
