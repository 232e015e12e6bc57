"""The fields enrichment writes, with their kinds, for the index templates.

Kinds are ``opensearch_assets.fields.KINDS``' vocabulary (``keyword``, ``long``,
``geo_point``), so the templates take this table as it is (docs/enrichment.md, "Fields").
ECS fields the templates already map (``cloud.account.name``, ``*.geo.*``, ``*.as.*``,
``user_agent.*``) are listed too: the table is the whole of what ``Enricher.enrich`` writes,
and a test holds it to that.

Tag keys are chosen when the directory is synced (``DEFAULT_TAG_KEYS`` unless configured); the
templates map ``MAPPED_TAG_KEYS``, so any of them is searchable once selected (``dynamic: false``
keeps other keys in ``_source`` only).
"""

from __future__ import annotations

from collections.abc import Iterable

from enrichment.accounts import MAPPED_TAG_KEYS, normalize_tag_keys
from enrichment.enrich import OTHER_ACCOUNT_FIELDS

SIDES = ("source", "destination")


SOURCES = tuple(dict.fromkeys(path.split(".", 1)[0] for path in OTHER_ACCOUNT_FIELDS))
"""The ``aws.<source>`` blocks that hold other account ids: ``cloudtrail``, ``guardduty``,
``securityhub_findings``, ``vpcflow``."""


def enrichment_fields(tag_keys: Iterable[str] = MAPPED_TAG_KEYS, source: str | None = None) -> dict[str, str]:
    """``dotted path -> kind`` of the fields enrichment may add.

    ``source=None``: the fields of every index (accounts of ``cloud.account.id``, addresses,
    user agents). ``source="cloudtrail"`` (one of :data:`SOURCES`): the account context written
    beside that source's own account ids (``aws.cloudtrail.user_identity.account_name``...).
    """
    keys = normalize_tag_keys(tag_keys)
    if source is not None:
        return _other_accounts(source, keys)
    table: dict[str, str] = {"cloud.account.name": "keyword", "aws.account.ou_path": "keyword"}
    table.update({f"aws.account.tags.{key}": "keyword" for key in keys})
    for side in SIDES:
        table.update(
            {
                f"{side}.geo.country_iso_code": "keyword",
                f"{side}.geo.country_name": "keyword",
                f"{side}.geo.region_name": "keyword",
                f"{side}.geo.city_name": "keyword",
                f"{side}.geo.location": "geo_point",
                f"{side}.as.number": "long",
                f"{side}.as.organization.name": "keyword",
                f"aws.{side}.scope": "keyword",
            }
        )
    table.update(
        {
            "user_agent.name": "keyword",
            "user_agent.version": "keyword",
            "user_agent.os.name": "keyword",
            "user_agent.os.version": "keyword",
            "user_agent.device.name": "keyword",
            "aws.user_agent.tool.type": "keyword",
            "aws.user_agent.tool.name": "keyword",
            "aws.user_agent.command": "keyword",
            "aws.user_agent.flags": "keyword",
        }
    )
    return table


def _other_accounts(source: str, keys: tuple[str, ...]) -> dict[str, str]:
    if source not in SOURCES:
        raise ValueError(f"no account ids under aws.{source}: the sources are {', '.join(SOURCES)}")
    table: dict[str, str] = {}
    for path in OTHER_ACCOUNT_FIELDS:
        if path.split(".", 1)[0] != source:
            continue
        prefix = "aws." + path.replace("[]", "").removesuffix("id")  # ...account_id -> ...account_
        table[prefix + "name"] = "keyword"
        table[prefix + "ou_path"] = "keyword"
        table.update({f"{prefix}tags.{key}": "keyword" for key in keys})
    return table
