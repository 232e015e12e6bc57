"""The ingest path enriches every document before indexing it (docs/enrichment.md): the Lambda's
runtime reads the account directory from its S3 object (``ACCOUNTS_LOCATION``), once per
container, and ``ENRICHMENT=off`` turns enrichment off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo import synthetic
from enrichment import Account, AccountDirectory, EnrichmentSettings
from ingest import handler
from ingest.config import Settings
from ingest.runtime import build_runtime
from tests.ingest.conftest import BUCKET, DEAD_LETTER_BUCKET, TABLE, Aws
from tests.ingest.harness import LambdaContext, drain

pytestmark = pytest.mark.integration

STATE_BUCKET = "siem-state-test"
ACCOUNTS_KEY = "enrichment/accounts.json"
ACCOUNT = "111122223333"
CALLER_ACCOUNT = "444455556666"
ADDRESS = "8.8.8.8"
"""In ARIN's delegation to a United States organization (registry country US)."""
AGENT = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.ls"


def _record() -> dict[str, Any]:
    """A CloudTrail record (CloudTrail record contents): a role of another account lists buckets."""
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEROLE00001:alice",
            "arn": f"arn:aws:sts::{CALLER_ACCOUNT}:assumed-role/Deployer/alice",
            "accountId": CALLER_ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEKEY000001",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEROLE00001",
                    "arn": f"arn:aws:iam::{CALLER_ACCOUNT}:role/Deployer",
                    "accountId": CALLER_ACCOUNT,
                    "userName": "Deployer",
                },
                "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ADDRESS,
        "userAgent": AGENT,
        "requestParameters": {"Host": "s3.us-east-1.amazonaws.com"},
        "responseElements": None,
        "requestID": "EXAMPLE0REQUEST01",
        "eventID": "3f1c1a7e-0000-4000-8000-000000000001",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def _directory() -> AccountDirectory:
    return AccountDirectory(
        [
            Account(ACCOUNT, "prod-payments", ou_path="Root/Workloads/Prod", tags={"owner": "payments"}),
            Account(CALLER_ACCOUNT, "deploy-tools", ou_path="Root/Infrastructure"),
        ],
        tag_keys=("owner",),
    )


def ingest_trail(
    aws: Aws, engine: OpenSearch, enrichment: EnrichmentSettings, records: Sequence[dict[str, Any]]
) -> None:
    """One CloudTrail log file of ``records`` through the ingest Lambda's handler, as S3
    notifies it, with a runtime built on ``enrichment``."""
    runtime = build_runtime(
        Settings(ledger_table=TABLE, dead_letter_bucket=DEAD_LETTER_BUCKET),
        client=engine,
        s3=aws.s3,
        dynamodb=aws.dynamodb,
        enrichment=enrichment,
    )
    try:
        aws.s3.put_object(
            Bucket=BUCKET,
            Key=f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/05/01/trail.json.gz",
            Body=synthetic.cloudtrail_log_file(list(records)),
        )
        drain(aws.sqs, aws.queue_url, lambda event: handler.handle(event, LambdaContext(), runtime))
    finally:
        runtime.close()


def _ingest(aws: Aws, engine: OpenSearch, enrichment: EnrichmentSettings) -> dict[str, Any]:
    ingest_trail(aws, engine, enrichment, [_record()])
    hits = engine.search(index="siem-cloudtrail", body={"query": {"match_all": {}}})["hits"]["hits"]
    assert len(hits) == 1
    source: dict[str, Any] = hits[0]["_source"]
    return source


def test_ingest_enriches_from_the_directory_in_the_state_bucket(
    aws: Aws, templated_engine: OpenSearch
) -> None:
    aws.s3.create_bucket(Bucket=STATE_BUCKET)
    aws.s3.put_object(Bucket=STATE_BUCKET, Key=ACCOUNTS_KEY, Body=_directory().to_bytes())
    settings = EnrichmentSettings.from_env({"ACCOUNTS_LOCATION": f"s3://{STATE_BUCKET}/{ACCOUNTS_KEY}"})

    document = _ingest(aws, templated_engine, settings)

    assert document["cloud"]["account"] == {"id": ACCOUNT, "name": "prod-payments"}
    assert document["aws"]["account"] == {"ou_path": "Root/Workloads/Prod", "tags": {"owner": "payments"}}
    identity = document["aws"]["cloudtrail"]["user_identity"]
    assert identity["account_name"] == "deploy-tools"
    assert identity["account_ou_path"] == "Root/Infrastructure"
    assert document["source"]["geo"]["country_iso_code"] == "US"
    assert document["user_agent"]["name"] == "aws-cli"
    assert document["user_agent"]["version"] == "2.15.0"
    assert document["aws"]["user_agent"]["tool"] == {"type": "cli", "name": "aws-cli"}
    assert document["aws"]["user_agent"]["command"] == "s3.ls"
    # The fields are searchable: the templates map them (keyword), nothing is dynamic.
    for field, value in (
        ("cloud.account.name", "prod-payments"),
        ("aws.account.tags.owner", "payments"),
        ("aws.cloudtrail.user_identity.account_name", "deploy-tools"),
        ("source.geo.country_iso_code", "US"),
        ("aws.user_agent.tool.name", "aws-cli"),
    ):
        found = templated_engine.count(index="siem-cloudtrail", body={"query": {"term": {field: value}}})
        assert found["count"] == 1, field


def test_enrichment_off_indexes_documents_as_normalized(aws: Aws, templated_engine: OpenSearch) -> None:
    document = _ingest(aws, templated_engine, EnrichmentSettings.from_env({"ENRICHMENT": "off"}))

    assert "name" not in document["cloud"]["account"]
    assert "geo" not in document["source"]
    assert set(document["user_agent"]) == {"original"}
    assert "user_agent" not in document.get("aws", {})
