"""Upgrading onto findings indices created under the 0.3.0 templates: the new documents still match.

0.3.0's ``siem-guardduty``, ``siem-securityhub`` and ``siem-config`` (tests/ingest/data/
mappings-v0.3.0.json, written by hand) map ``event.dataset``, ``event.module``,
``cloud.provider`` (and GuardDuty's ``event.kind``) as ``keyword``s; the current templates hold
them as ``constant_keyword``s instead of the documents. Ingest reads each index's mapping before
its first write and writes back what the index lacks (docs/ingest.md, "An index created under
an older template"); an index of the current templates gets lean documents, and a reader of
``_source`` takes the constants from the hit's index. On the guarded engine, through the Lambda
handler.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.ids import Ids
from demo.records import config as cfg
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from ingest import handler
from ingest.runtime import Runtime
from investigation import activity, queries
from investigation.finding import from_document, pick
from opensearch_assets.catalogue import HIGH_CRITICAL_FINDINGS
from opensearch_assets.templates import install_templates
from tests.ingest.conftest import BUCKET, DEAD_LETTER_BUCKET, Aws, lambda_runtime
from tests.ingest.harness import LambdaContext, count, drain

pytestmark = pytest.mark.integration
LEGACY = json.loads((Path(__file__).parent / "data" / "mappings-v0.3.0.json").read_text())
INDICES = ("siem-guardduty", "siem-securityhub", "siem-config")
DELIVERED = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)
CAPTURED = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
ACCOUNT = gd.EXAMPLE_ACCOUNT
GUARDDUTY_ID = "5ab1e2d3c4b5a69788796a5b4c3d2e1f"
BUCKET_NAME = "example-logs-bucket"


@pytest.fixture
def runtime(aws: Aws, engine: OpenSearch) -> Iterator[Runtime]:
    with lambda_runtime(aws, engine, deadline_margin=0.0) as built:
        yield built


def _ingest(aws: Aws, runtime: Runtime) -> None:
    """A GuardDuty export (one high finding), Security Hub's import of it and a failed control
    through Firehose, and a Config history file (one bucket's item), via S3 -> SQS -> the handler."""
    native = gd.finding(gd.FindingSpec(id=GUARDDUTY_ID, severity=8.0, created=CAPTURED))
    export_key = gd.export_key(ACCOUNT, "us-east-1", DELIVERED, "5ab1e2d3-c4b5-3a69-8879-6a5b4c3d2e1f")
    aws.s3.put_object(Bucket=BUCKET, Key=export_key, Body=gzip.compress(gd.export_lines([native])))

    control = sh.control_finding(
        sh.ControlSpec(control_id="S3.8", label="MEDIUM", resource=sh.resource("AwsS3Bucket", BUCKET_NAME))
    )
    ids = Ids(7)
    events = [
        sh.imported_event(sh.from_guardduty(native), ACCOUNT, ids.uuid()),
        sh.imported_event(control, ACCOUNT, ids.uuid()),
    ]
    firehose_key = sh.firehose_key("securityhub/", "siem-findings", DELIVERED, ids, gzip=False)
    aws.s3.put_object(Bucket=BUCKET, Key=firehose_key, Body=sh.firehose_body(events))

    item = cfg.configuration_item(
        ACCOUNT, "us-east-1", "AWS::S3::Bucket", BUCKET_NAME, CAPTURED, {"name": BUCKET_NAME}
    )
    history_key = cfg.history_key(ACCOUNT, "us-east-1", "AWS::S3::Bucket", CAPTURED, DELIVERED)
    aws.s3.put_object(Bucket=BUCKET, Key=history_key, Body=gzip.compress(cfg.history_file([item])))

    drain(aws.sqs, aws.queue_url, lambda batch: handler.handle(batch, LambdaContext(), runtime))
    assert "Contents" not in aws.s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET)


def _hits(engine: OpenSearch, index: str, query: str) -> list[dict[str, Any]]:
    body = {"query": {"query_string": {"query": query}}, "size": 100}
    return list(engine.search(index=index, body=body)["hits"]["hits"])


def _assert_found_by_every_query(engine: OpenSearch) -> dict[str, list[dict[str, Any]]]:
    """The saved searches' and the investigation's queries find the new documents; returns each
    index's hits."""
    found = {
        "siem-guardduty": _hits(engine, "siem-guardduty", "event.dataset:aws.guardduty"),
        "siem-securityhub": _hits(engine, "siem-securityhub", "event.dataset:aws.securityhub_findings"),
        "siem-config": _hits(engine, "siem-config", "event.dataset:aws.config"),
    }
    for index, hits in found.items():
        assert len(hits) == count(engine, index) >= 1, index
        assert len(_hits(engine, index, "event.module:aws AND cloud.provider:aws")) == len(hits), index
    assert len(found["siem-securityhub"]) == 2 and len(found["siem-config"]) == 1
    assert len(_hits(engine, "siem-guardduty", "event.kind:alert")) == 1
    # Security Hub's and Config's event.kind stay in their documents: it differs between them.
    assert len(_hits(engine, "siem-securityhub", "event.kind:alert")) == 1
    assert len(_hits(engine, "siem-securityhub", "event.kind:state")) == 1
    assert len(_hits(engine, "siem-config", "event.kind:event")) == 1
    # "High and critical findings" across the indices: the GuardDuty finding and its import.
    high = _hits(engine, ",".join(INDICES), HIGH_CRITICAL_FINDINGS.query)
    assert sorted(hit["_index"] for hit in high) == ["siem-guardduty", "siem-securityhub"]
    return found


def _investigated_kind(engine: OpenSearch) -> str | None:
    """The finding as the investigation loads it (the native GuardDuty document wins)."""
    response = engine.search(index=",".join(INDICES), body=queries.load_finding(GUARDDUTY_ID))
    document = pick(activity.documents(response))
    assert document is not None
    return from_document(document).kind


def test_indices_created_under_the_0_3_0_templates_still_find_the_new_documents(
    aws: Aws, runtime: Runtime, engine: OpenSearch
) -> None:
    for index in INDICES:
        engine.indices.create(index=index, body={"mappings": LEGACY[index]})  # as 0.3.0 left them
    install_templates(engine)  # the upgrade installs the current templates: old indices keep theirs

    _ingest(aws, runtime)

    found = _assert_found_by_every_query(engine)
    # What the old indices lack is written in the documents themselves.
    for index, hits in found.items():
        for hit in hits:
            assert hit["_source"]["cloud"]["provider"] == "aws", index
            assert hit["_source"]["event"]["module"] == "aws", index
    assert found["siem-guardduty"][0]["_source"]["event"]["kind"] == "alert"
    assert _investigated_kind(engine) == "alert"


def test_indices_of_the_current_templates_get_lean_documents_that_the_same_queries_find(
    aws: Aws, runtime: Runtime, engine: OpenSearch
) -> None:
    install_templates(engine)
    for index in INDICES:
        engine.indices.create(index=index)  # by the current templates, as a first write would

    _ingest(aws, runtime)

    found = _assert_found_by_every_query(engine)
    for index, hits in found.items():
        for hit in hits:
            assert not {"dataset", "module"} & set(hit["_source"]["event"]), index
            assert "provider" not in hit["_source"]["cloud"], index
    assert "kind" not in found["siem-guardduty"][0]["_source"]["event"]
    # The investigation reads a finding's kind from its index when _source has none.
    assert _investigated_kind(engine) == "alert"
