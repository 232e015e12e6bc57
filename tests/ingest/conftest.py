"""Fixtures of the ingest tests: moto AWS (S3 -> SQS notifications, DynamoDB), engine helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

import ingest.backfill
from ingest.config import Settings
from ingest.events import ObjectRef
from ingest.runtime import Runtime, build_runtime
from ingest.serverless_guard import ServerlessGuard
from opensearch_client import ConnectionSettings, make_client
from siem_cli.local_aws import create_local_aws
from tests.ingest.harness import EMBEDDED_VISIBILITY_SECONDS, count
from tests.ingest.records import FlowObject, flow_object

BUCKET = "siem-logs-test"
DEAD_LETTER_BUCKET = "siem-dead-letters-test"
TABLE = "siem-ingest-ledger"


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's default ledgers go to ``$XDG_STATE_HOME/siem``: a test's own, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@dataclass
class Aws:
    s3: Any
    sqs: Any
    dynamodb: Any
    sns: Any
    queue_url: str
    queue_arn: str


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto in-process: a log bucket whose S3 -> SQS notification is configured, a dead-letter
    bucket and the ledger table; messages carry the real S3 event shapes."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        local = create_local_aws(BUCKET, DEAD_LETTER_BUCKET, TABLE)
        yield Aws(local.s3, local.sqs, local.dynamodb, boto3.client("sns"), local.queue_url, local.queue_arn)


@contextlib.contextmanager
def lambda_runtime(aws: Aws, engine: OpenSearch, **settings: Any) -> Iterator[Runtime]:
    """The ingest Lambda's runtime on ``engine``, with moto's ledger table and dead-letter
    bucket (``settings``: the other Settings of the test), closed afterwards."""
    settings = {"search_visibility_seconds": EMBEDDED_VISIBILITY_SECONDS} | settings
    built = build_runtime(
        Settings(ledger_table=TABLE, dead_letter_bucket=DEAD_LETTER_BUCKET, **settings),
        client=engine,
        s3=aws.s3,
        dynamodb=aws.dynamodb,
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def templated_engine(engine: OpenSearch) -> OpenSearch:
    """The guarded engine with the project's index templates, when they are importable."""
    try:
        from opensearch_assets.templates import install_templates
    except ImportError:
        return engine
    install_templates(engine)
    return engine


@pytest.fixture
def guarded_clients(monkeypatch: pytest.MonkeyPatch, serverless_guard: ServerlessGuard) -> None:
    """The CLI builds its client from --endpoint; route it through the Serverless guard."""

    def guarded(connection: ConnectionSettings, pool_maxsize: int) -> OpenSearch:
        return serverless_guard.wrap(
            make_client(
                ConnectionSettings(connection.endpoint, auth="none", timeout=60), pool_maxsize=pool_maxsize
            )
        )

    monkeypatch.setattr("ingest.runtime.make_client", guarded)


def s3_dead_letters(aws: Aws) -> list[dict[str, Any]]:
    """Every dead letter the Lambda wrote to the dead-letter bucket."""
    listing = aws.s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET).get("Contents", [])
    return [
        orjson.loads(line)
        for entry in listing
        for line in aws.s3.get_object(Bucket=DEAD_LETTER_BUCKET, Key=entry["Key"])["Body"].read().splitlines()
    ]


@dataclass
class DeletedAfterListing:
    """Three flow objects under ``backfill/`` whose second is deleted right after the listing."""

    flows: list[FlowObject]
    deleted: str
    """The deleted object's URL, as the run reports it."""
    listings: list[str]
    """The prefix of each listing made (``ingest.backfill.list_s3``), in order."""

    @property
    def prefix(self) -> str:
        """The URL of the objects' folder: what a run is given."""
        return f"s3://{BUCKET}/backfill/"

    def check_run(self, err: str, engine: OpenSearch) -> None:
        """What a run over the prefix must have done: the deleted object reported as skipped,
        the two others indexed, nothing left for a re-run."""
        assert f"skipped, deleted after it was listed: {self.deleted}" in err
        assert count(engine, "siem-vpcflow") == self.flows[0].records + self.flows[2].records
        assert "3 objects (0 already done), 400 records read, 400 indexed, 0 dead-lettered" in err


@pytest.fixture
def deleted_after_listing(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> DeletedAfterListing:
    """``s3://BUCKET/backfill/f0..f2.log.gz``, 200 flows each; ``f1`` disappears (a lifecycle
    rule, say) once ``ingest.backfill.list_s3`` has listed it, at every listing."""
    flows = [flow_object(200, seed=40 + number) for number in range(3)]
    for number, flow in enumerate(flows):
        aws.s3.put_object(Bucket=BUCKET, Key=f"backfill/f{number}.log.gz", Body=flow.body)
    scenario = DeletedAfterListing(flows, f"s3://{BUCKET}/backfill/f1.log.gz", [])
    listed = ingest.backfill.list_s3

    def list_then_delete(s3: Any, bucket: str, prefix: str) -> Iterator[ObjectRef]:
        scenario.listings.append(prefix)
        refs = list(listed(s3, bucket, prefix))
        aws.s3.delete_object(Bucket=BUCKET, Key="backfill/f1.log.gz")
        return iter(refs)

    monkeypatch.setattr("ingest.backfill.list_s3", list_then_delete)
    return scenario
