"""Per-rule checkpoints: the end of the last window a rule was run over successfully.

Two stores: DynamoDB (the Lambda's ``STATE_TABLE``, shared with the ingest ledger: keys
``detections#checkpoint#<rule id>`` never collide with object keys) and a document per rule
in ``<alerts index>-state`` on the alerts collection (SEARCH: custom ``_id`` and real-time
get by id), used by the CLI and the tests.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Protocol

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from detections.windows import iso, parse_time

KEY_PREFIX = "detections#checkpoint#"


class CheckpointStore(Protocol):
    def get(self, rule_id: str) -> datetime | None: ...

    def put(self, rule_id: str, end: datetime) -> None: ...


class IndexCheckpoints:
    """One document per rule, ``_id`` = rule id, in an index of the alerts (SEARCH) collection."""

    def __init__(self, client: OpenSearch, index: str) -> None:
        self._client = client
        self.index = index

    def get(self, rule_id: str) -> datetime | None:
        try:
            response = self._client.get(index=self.index, id=rule_id)
        except NotFoundError:
            return None
        return parse_time(response["_source"]["checkpoint"])

    def put(self, rule_id: str, end: datetime) -> None:
        self._client.index(index=self.index, id=rule_id, body={"rule_id": rule_id, "checkpoint": iso(end)})


class DynamoCheckpoints:
    """Items ``{pk, checkpoint}``; a checkpoint never moves backwards (conditional write)."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def get(self, rule_id: str) -> datetime | None:
        response = self._client.get_item(TableName=self._table, Key={"pk": {"S": KEY_PREFIX + rule_id}},
                                         ConsistentRead=True)
        item = response.get("Item")
        return parse_time(item["checkpoint"]["S"]) if item else None

    def put(self, rule_id: str, end: datetime) -> None:
        # A later checkpoint already stored wins (the condition fails): nothing to do.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": KEY_PREFIX + rule_id}, "checkpoint": {"S": iso(end)}},
                # ISO strings of one format sort as times do.
                ConditionExpression="attribute_not_exists(checkpoint) OR checkpoint <= :end",
                ExpressionAttributeValues={":end": {"S": iso(end)}},
            )


class MemoryCheckpoints:
    """In-process checkpoints (``siem rules test``, one-off runs)."""

    def __init__(self) -> None:
        self.values: dict[str, datetime] = {}

    def get(self, rule_id: str) -> datetime | None:
        return self.values.get(rule_id)

    def put(self, rule_id: str, end: datetime) -> None:
        self.values[rule_id] = end
