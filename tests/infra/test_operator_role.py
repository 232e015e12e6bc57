"""The operator role (infra/operator_role.py): who may assume it, and that the CLI runs it
grants for (backfills and replays from S3) call nothing else.

The CLI side is observed, not assumed: ``siem ingest s3://...`` and ``siem replay-dead-letters
s3://...`` run against S3 (moto) and the guarded engine, and every S3 call they make is
recorded as the IAM action S3 authorizes it with (S3 User Guide, "Amazon S3 actions":
ListObjectsV2 needs ``s3:ListBucket``, GetObject ``s3:GetObject``, and ``s3:GetObjectVersion``
when it names a version).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from demo import synthetic
from infra.config import Config
from infra.operator_role import REDRIVE_SOURCE_ACTIONS
from ingest.serverless_guard import ServerlessGuard
from opensearch_assets.templates import install_templates
from opensearch_client import ConnectionSettings
from siem_cli import main as cli
from tests.infra.cfn import as_list, by_name, policy_document, render, resources, statements
from tests.infra.conftest import ACCOUNT, ORG_TRAIL, REGION
from tests.infra.test_iam_actions import without_hash
from tests.ingest.records import flow_object

BUCKET = "central-logs"
SOURCE_PATTERNS = [
    f"index/siem-logs/siem-{source}*"
    for source in ("cloudtrail", "vpcflow", "guardduty", "securityhub", "config")
]


def operator_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(name, role)] = [
        (name, role)
        for name, role in resources(template, "AWS::IAM::Role").items()
        if name.startswith("OperatorRole")
    ]
    return name, role


def granted(template: dict[str, Any]) -> dict[str, set[str]]:
    name, _ = operator_role(template)
    grants: dict[str, set[str]] = {}
    for statement in statements(template, name):
        assert "Condition" not in statement
        for action in as_list(statement["Action"]):
            grants.setdefault(action, set()).update(
                without_hash(render(r)) for r in as_list(statement["Resource"])
            )
    return grants


# -- the synthesized role ----------------------------------------------------------------------


def test_only_principals_of_the_central_account_may_assume_it(central: dict[str, Any]) -> None:
    _, role = operator_role(central)
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole" and statement["Effect"] == "Allow"
    assert render(statement["Principal"]["AWS"]) == f"arn:aws:iam::{ACCOUNT}:root"
    assert role["Properties"]["MaxSessionDuration"] == 4 * 3600


def test_it_writes_the_source_indices_and_reads_nothing(central: dict[str, Any]) -> None:
    name, _ = operator_role(central)
    [document] = policy_document(by_name(central, "AWS::OpenSearchServerless::AccessPolicy", "siem-operator"))
    assert document["Principal"] == [f"<{name}.Arn>"]
    assert {
        resource: set(rule["Permission"]) for rule in document["Rules"] for resource in rule["Resource"]
    } == {
        **{
            pattern: {"aoss:CreateIndex", "aoss:WriteDocument", "aoss:UpdateIndex", "aoss:DescribeIndex"}
            for pattern in SOURCE_PATTERNS
        },
        "collection/siem-logs": {"aoss:DescribeCollectionItems"},  # reads the index templates
    }


def test_it_writes_nothing_into_the_bucket_and_redrives_only_the_dead_letter_queue(
    central: dict[str, Any],
) -> None:
    grants = granted(central)
    assert not any(action.startswith(("s3:Put", "s3:Delete", "kms:GenerateDataKey")) for action in grants)
    assert grants["sqs:SendMessage"] == {"<IngestQueue.Arn>"}
    for action in REDRIVE_SOURCE_ACTIONS:
        assert "<IngestDeadLetterQueue.Arn>" in grants[action]
    assert grants["sqs:StartMessageMoveTask"] == {"<IngestDeadLetterQueue.Arn>"}
    assert grants["dynamodb:GetItem"] == {"<Ledger.Arn>"}


def test_its_arn_is_an_output(central: dict[str, Any]) -> None:
    name, _ = operator_role(central)
    assert render(central["Outputs"]["OperatorRoleArn"]["Value"]) == f"<{name}.Arn>"


def test_operator_role_false_leaves_it_out(variant: dict[str, Any]) -> None:
    assert not any(name.startswith("OperatorRole") for name in resources(variant, "AWS::IAM::Role"))
    assert "OperatorRoleArn" not in variant["Outputs"]


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("false", False), (True, True)])
def test_the_context_key(value: Any, expected: bool) -> None:
    context = {"organizationId": "o-a1b2c3d4e5", "organizationTrailArn": ORG_TRAIL, "operatorRole": value}
    config = Config.from_context(context.get)
    assert config.operator_role is expected


# -- what the CLI calls with it ----------------------------------------------------------------


@pytest.fixture
def s3_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[tuple[str, str]]]]:
    """A client on a moto bucket, and every S3 call the clients created after it make, as
    (IAM action, key or '')."""
    calls: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        action = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject"}.get(model.name)
        if action == "s3:GetObject" and params.get("VersionId"):
            action = "s3:GetObjectVersion"
        calls.append((action or f"s3:{model.name}", params.get("Key", "")))

    with mock_aws():
        seed = boto3.client("s3", region_name=REGION)
        seed.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        real_client = boto3.client

        def recording_client(*args: Any, **kwargs: Any) -> Any:
            client = real_client(*args, **kwargs)
            client.meta.events.register("before-parameter-build.s3.*", record)
            return client

        monkeypatch.setattr(boto3, "client", recording_client)
        yield seed, calls


@pytest.fixture
def guarded_cli(monkeypatch: pytest.MonkeyPatch, serverless_guard: ServerlessGuard) -> None:
    def guarded(connection: ConnectionSettings, pool_maxsize: int) -> OpenSearch:
        return serverless_guard.wrap(
            OpenSearch(hosts=[connection.endpoint], timeout=60, max_retries=0, pool_maxsize=pool_maxsize)
        )

    monkeypatch.setattr("ingest.runtime.make_client", guarded)


@pytest.mark.integration
@pytest.mark.usefixtures("guarded_cli")
def test_backfill_and_replay_from_s3_call_only_what_the_role_grants(
    central: dict[str, Any],
    s3_calls: tuple[Any, list[tuple[str, str]]],
    engine: OpenSearch,
    engine_url: str,
    tmp_path: Path,
) -> None:
    s3, calls = s3_calls
    install_templates(engine)  # as the stack's asset installer did: ingest writes no unmapped index
    trail = synthetic.cloudtrail_log_file(list(synthetic.cloudtrail_records(20, seed=5)))
    s3.put_object(
        Bucket=BUCKET, Key="cloudtrail/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/x.json.gz", Body=trail
    )
    flows = flow_object(50, seed=6, bad_every=10)
    s3.put_object(Bucket=BUCKET, Key="vpcflow/AWSLogs/123456789012/vpcflowlogs/y.log.gz", Body=flows.body)

    def siem(*args: Any, work: Path) -> int:
        options = ["--endpoint", engine_url, "--auth", "none", "--region", REGION, "--quiet"]
        folders = ["--ledger", work / "ledger.sqlite", "--dead-letter", work / "dead-letters"]
        return cli.main([str(a) for a in (*args, *options, *folders)])

    assert siem("ingest", f"s3://{BUCKET}/cloudtrail/", work=tmp_path / "a") == 0
    assert siem("ingest", f"s3://{BUCKET}/vpcflow/", work=tmp_path / "a") == 0
    # The ingest function's dead letters live under dead-letter/: put this run's there and replay.
    for path in sorted((tmp_path / "a" / "dead-letters").rglob("*.jsonl")):
        key = f"dead-letter/{path.relative_to(tmp_path / 'a' / 'dead-letters')}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
    assert siem("replay-dead-letters", f"s3://{BUCKET}/dead-letter/", work=tmp_path / "b") == 0

    grants = granted(central)
    readable = [resource.split("/", 1)[1].rstrip("*") for resource in grants["s3:GetObject"]]
    assert {key for _, key in calls if key.startswith("dead-letter/")}, "the replay read no dead letter"
    assert {action for action, _ in calls} <= set(grants)
    for action, key in calls:
        assert not key or key.startswith(tuple(readable)), (action, key)
