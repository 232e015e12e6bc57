"""CloudTrail records exported by other tools than CloudTrail's own delivery (docs/sources/cloudtrail.md,
"Other shapes"): each shape is taken back to the record it holds, then mapped as any record.

- ``aws cloudtrail lookup-events`` (botocore ``LookupEvents``): ``{"Events": [...], "NextToken"}``
  whose items summarize the event (``EventId``, ``EventName``, ``EventTime``...) and hold the
  record itself as JSON text in ``CloudTrailEvent``: the record is that text, parsed;
- CloudTrail Lake ``get-query-results`` (botocore ``GetQueryResults``): ``QueryResultRows``, a
  list of rows, each a list of single-key maps ``{"<column>": "<value as a string>"}``. A row
  with an ``eventJson`` column is that JSON text, parsed; otherwise the columns are the
  record's fields by their CloudTrail names (a dotted alias such as ``userIdentity.arn`` is
  nested back), a value that is JSON text (an object or array) is parsed, the others stay
  strings (the mapping reads ``"true"`` and Lake's ``2024-01-01 00:00:00.000`` times);
- records re-exported by a Logstash pipeline (its ``cloudtrail`` codec moves ``eventTime`` to
  ``@timestamp`` and adds ``@version``): ``@timestamp`` stands in for a missing ``eventTime``;
  when both exist, ``eventTime`` wins.
"""

from __future__ import annotations

from typing import Any

import orjson

from normalizers.ecs.getters import json_type
from normalizers.ecs.json_text import parsed_if_json, put
from normalizers.framing.json_stream import exact_loads, to_json_bytes
from normalizers.reasons import INVALID_JSON, INVALID_RECORD, RecordError

LOOKUP_EVENT_TEXT = "CloudTrailEvent"
"""The member of a ``lookup-events`` item holding the record as JSON text."""

LAKE_EVENT_JSON = "eventjson"
"""A Lake column holding the whole record as JSON text (compared lower-cased)."""

RE_EXPORTED_TIME = "@timestamp"


def exported(value: Any, raw: bytes) -> tuple[Any, bytes]:
    """The record an exported item holds, with the bytes its dead letter keeps (the record
    itself, so that it replays as a bare record); anything else unchanged."""
    if type(value) is dict and LOOKUP_EVENT_TEXT in value:
        return _json_text(value[LOOKUP_EVENT_TEXT], LOOKUP_EVENT_TEXT)
    if type(value) is list and value and all(type(column) is dict and len(column) == 1 for column in value):
        return _lake_row(value)
    return value, raw


def with_event_time(record: dict[str, Any]) -> dict[str, Any]:
    """A re-exported record's ``@timestamp`` as its ``eventTime`` when it has none."""
    if "eventTime" in record or RE_EXPORTED_TIME not in record:
        return record
    return {**record, "eventTime": record[RE_EXPORTED_TIME]}


def _json_text(text: Any, name: str) -> tuple[Any, bytes]:
    if not isinstance(text, str):
        raise RecordError(INVALID_RECORD, f"{name} is a {json_type(text)}, expected JSON text")
    raw = text.encode("utf-8", "surrogatepass")
    try:
        return exact_loads(raw), raw
    except orjson.JSONDecodeError as error:
        raise RecordError(INVALID_JSON, f"{name}: {error}") from None


def _lake_row(row: list[dict[str, Any]]) -> tuple[Any, bytes]:
    columns = [next(iter(column.items())) for column in row]
    for name, value in columns:
        if name.lower() == LAKE_EVENT_JSON:
            return _json_text(value, name)
    record: dict[str, Any] = {}
    for name, value in columns:
        put(record, name.split("."), parsed_if_json(value))
    return record, to_json_bytes(record)
