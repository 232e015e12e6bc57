"""Who changed the resource, exactly: the CloudTrail events AWS Config names behind each change.

Config records a configuration item for every change of a resource, with the CloudTrail
``eventID``s that caused it (``relatedEvents``, stored as ``aws.config.related_events``:
docs/sources/config.md). One search on the config index finds the resource's items in the
window; their event ids are then looked up in CloudTrail by ``event.id``, in the activity
search itself (:func:`investigation.queries.activity`), so naming the exact calls costs one
search.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from investigation import activity, queries
from investigation.documents import text, values
from investigation.finding import JoinKeys
from investigation.report import ConfigItem

RELATED_EVENTS = "aws.config.related_events"
RESOURCE_ID = "aws.config.resource.id"
RESOURCE_ARN = "aws.config.resource.arn"
RESOURCE_TYPE = "aws.config.resource.type"
STATUS = "aws.config.configuration_item.status"
CONFIG_ITEMS = 20
"""Newest configuration items of the resource read (each names its own events)."""
MAX_EVENTS = 50
"""CloudTrail event ids looked up: the newest items' first."""


def items_query(keys: JoinKeys, start: datetime, end: datetime) -> dict[str, Any] | None:
    """The resource's configuration items captured in the window that name CloudTrail events,
    newest first (``None`` when the finding names no resource)."""
    names = [
        {"terms": {name: list(candidates)[: queries.MAX_KEYS]}}
        for name, candidates in ((RESOURCE_ARN, keys.resource_arns), (RESOURCE_ID, keys.resource_ids))
        if candidates
    ]
    if not names:
        return None
    return {
        "size": CONFIG_ITEMS,
        "query": {
            "bool": {
                "filter": [
                    {"bool": {"should": names, "minimum_should_match": 1}},
                    {"exists": {"field": RELATED_EVENTS}},
                    queries.time_range(start, end),
                ]
            }
        },
        "sort": [{"@timestamp": {"order": "desc"}}],
        "_source": ["@timestamp", RESOURCE_TYPE, RESOURCE_ID, STATUS, RELATED_EVENTS],
    }


def config_items(response: dict[str, Any]) -> list[ConfigItem]:
    return [
        ConfigItem(
            captured=text(document, "@timestamp"),
            status=text(document, STATUS),
            resource_type=text(document, RESOURCE_TYPE),
            resource_id=text(document, RESOURCE_ID),
            event_ids=tuple(dict.fromkeys(str(value) for value in values(document, RELATED_EVENTS))),
        )
        for document in activity.events(response)
    ]


def event_ids(items: list[ConfigItem]) -> list[str]:
    """The CloudTrail event ids the items name, newest item first, at most :data:`MAX_EVENTS`."""
    return list(dict.fromkeys(event for item in items for event in item.event_ids))[:MAX_EVENTS]
