"""Per-rule checkpoints: the end of the last window a rule was run over successfully, and the
resume cursor of a window the hit budget cut short (:class:`detections.windows.Checkpoint`).

Two stores: DynamoDB (the Lambda's ``STATE_TABLE``, shared with the ingest ledger: keys
``detections#checkpoint#<rule id>`` never collide with object keys) and a document per rule
in ``<alerts index>-state`` on the alerts collection (SEARCH: custom ``_id`` and real-time
get by id), used by the CLI and the tests.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Protocol

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from detections.windows import Checkpoint, iso, parse_time

KEY_PREFIX = "detections#checkpoint#"


class CheckpointStore(Protocol):
    def get(self, rule_id: str) -> Checkpoint | None: ...

    def put(self, rule_id: str, checkpoint: Checkpoint) -> None: ...


def _checkpoint(end: str, resume_after: list[Any] | None) -> Checkpoint:
    return Checkpoint(parse_time(end), tuple(resume_after) if resume_after is not None else None)


class IndexCheckpoints:
    """One document per rule, ``_id`` = rule id, in an index of the alerts (SEARCH) collection."""

    def __init__(self, client: OpenSearch, index: str) -> None:
        self._client = client
        self.index = index

    def get(self, rule_id: str) -> Checkpoint | None:
        try:
            response = self._client.get(index=self.index, id=rule_id)
        except NotFoundError:
            return None
        source = response["_source"]
        return _checkpoint(source["checkpoint"], source.get("resume_after"))

    def put(self, rule_id: str, checkpoint: Checkpoint) -> None:
        body: dict[str, Any] = {"rule_id": rule_id, "checkpoint": iso(checkpoint.end)}
        if checkpoint.resume_after is not None:
            # Kept in _source only: the alerts template is ``dynamic: false``.
            body["resume_after"] = list(checkpoint.resume_after)
        self._client.index(index=self.index, id=rule_id, body=body)


class DynamoCheckpoints:
    """Items ``{pk, checkpoint[, resume_after (JSON)]}``; a checkpoint's end never moves backwards
    (conditional write)."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    def get(self, rule_id: str) -> Checkpoint | None:
        response = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": KEY_PREFIX + rule_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return None
        resume_after = json.loads(item["resume_after"]["S"]) if "resume_after" in item else None
        return _checkpoint(item["checkpoint"]["S"], resume_after)

    def put(self, rule_id: str, checkpoint: Checkpoint) -> None:
        end = iso(checkpoint.end)
        item = {"pk": {"S": KEY_PREFIX + rule_id}, "checkpoint": {"S": end}}
        if checkpoint.resume_after is not None:
            item["resume_after"] = {"S": json.dumps(list(checkpoint.resume_after))}
        # A later checkpoint already stored wins (the condition fails): nothing to do.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.put_item(
                TableName=self._table,
                Item=item,
                # ISO strings of one format sort as times do.
                ConditionExpression="attribute_not_exists(checkpoint) OR checkpoint <= :end",
                ExpressionAttributeValues={":end": {"S": end}},
            )


class MemoryCheckpoints:
    """In-process checkpoints (``siem rules test``, one-off runs)."""

    def __init__(self) -> None:
        self.values: dict[str, Checkpoint] = {}

    def get(self, rule_id: str) -> Checkpoint | None:
        return self.values.get(rule_id)

    def put(self, rule_id: str, checkpoint: Checkpoint) -> None:
        self.values[rule_id] = checkpoint
