"""Each function may call exactly the DynamoDB actions its code calls, on its own table only.

The code side is observed, not assumed: the ledger and the checkpoint store run against
DynamoDB (moto) through every method they have, and every API call they make is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from detections.checkpoints import DynamoCheckpoints
from detections.windows import Checkpoint
from infra.detection import CHECKPOINT_ACTIONS
from infra.ingest_pipeline import LEDGER_ACTIONS
from ingest.ledger import DynamoLedger, LeaseHeld
from tests.infra.cfn import as_list, render, resources, statements

TABLE = "state"


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, set[str]]]:
    """A client on a moto table, and the IAM actions (``dynamodb:<Operation>``) it was asked for."""
    called: set[str] = set()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

        def record(model: Any, **_: Any) -> None:
            called.add(f"dynamodb:{model.name}")

        client.meta.events.register("before-call.dynamodb.*", record)
        yield client, called


def test_the_ledger_calls_only_what_the_ingest_role_is_granted(dynamodb: tuple[Any, set[str]]) -> None:
    client, called = dynamodb
    ledger = DynamoLedger(TABLE, client)
    key = "s3://bucket/cloudtrail/AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/x.json.gz#v1"
    assert ledger.progress(key) is None
    ledger.claim(key, "worker-1", 60, chunk_size=500)
    with pytest.raises(LeaseHeld):
        ledger.claim(key, "worker-2", 60, chunk_size=500)
    ledger.save_partial(key, "worker-1", 0, frozenset({0, 1}), indexed=2, dead_lettered=0, before=frozenset())
    ledger.ack_chunk(key, "worker-1", 0, indexed=498, dead_lettered=0)
    ledger.release(key, "worker-1")
    ledger.claim(key, "worker-2", 60, chunk_size=500)
    ledger.finish(key, "worker-2")
    progress = ledger.progress(key)
    assert progress is not None and progress.finished and progress.indexed == 500
    assert called == set(LEDGER_ACTIONS) == {"dynamodb:GetItem", "dynamodb:UpdateItem"}


def test_the_checkpoints_call_only_what_the_detection_role_is_granted(dynamodb: tuple[Any, set[str]]) -> None:
    client, called = dynamodb
    checkpoints = DynamoCheckpoints(TABLE, client)
    assert checkpoints.get("root-usage") is None
    later = Checkpoint(datetime(2024, 5, 1, 12, 5, tzinfo=UTC), resume_after=(1714565100000, "event-9"))
    checkpoints.put("root-usage", later)
    checkpoints.put("root-usage", Checkpoint(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)))  # refused: older
    assert checkpoints.get("root-usage") == later
    assert called == set(CHECKPOINT_ACTIONS) == {"dynamodb:GetItem", "dynamodb:PutItem"}


# -- the synthesized roles ----------------------------------------------------------------------


def function_role(template: dict[str, Any], handler: str) -> tuple[str, dict[str, Any]]:
    [function] = [
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == handler
    ]
    return function["Properties"]["Role"]["Fn::GetAtt"][0], function["Properties"]["Environment"]["Variables"]


def dynamodb_grants(template: dict[str, Any], role: str) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for statement in statements(template, role):
        for action in as_list(statement["Action"]):
            if action.startswith("dynamodb:"):
                grants.setdefault(action, set()).update(render(r) for r in as_list(statement["Resource"]))
    return grants


@pytest.mark.slow
def test_ingest_and_detections_each_have_their_own_table(central: dict[str, Any]) -> None:
    tables = resources(central, "AWS::DynamoDB::Table")
    assert len(tables) == 2
    ingest_role, ingest_env = function_role(central, "ingest.handler.lambda_handler")
    detection_role, detection_env = function_role(central, "detections.handler.lambda_handler")
    ledger = render(ingest_env["LEDGER_TABLE"]).strip("<>")
    checkpoints = render(detection_env["STATE_TABLE"]).strip("<>")
    assert {ledger, checkpoints} == set(tables)
    assert dynamodb_grants(central, ingest_role) == {action: {f"<{ledger}.Arn>"} for action in LEDGER_ACTIONS}
    assert dynamodb_grants(central, detection_role) == {
        action: {f"<{checkpoints}.Arn>"} for action in CHECKPOINT_ACTIONS
    }
    # Checkpoints never expire; the ledger's items do (TTL), and it is kept with the stack.
    assert "TimeToLiveSpecification" not in tables[checkpoints]["Properties"]
    assert tables[ledger]["DeletionPolicy"] == "Retain"
