"""Upgrading onto indices created under an older template: the Lambda's documents still match.

An index's mapping never changes. The ``siem-cloudtrail`` and ``siem-vpcflow`` indices of a
0.2.0 deployment (tests/ingest/data/mappings-v0.2.0.json, written by hand) map ``event.dataset``
as a ``keyword`` and have no ``copy_to`` into ``related.ip``; the current templates hold them
instead of the documents. Ingest reads each index's live mapping before its first write and
writes back what the index lacks (docs/ingest.md, "An index created under an older template");
a fresh index gets lean documents. On the guarded embedded engine through the Lambda handler.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from demo.records import vpcflow
from ingest import handler
from ingest.live_mapping import LiveMappings
from ingest.runtime import Runtime
from investigation.pivots import Pivot, state_clause
from opensearch_assets.templates import install_templates
from tests.ingest.conftest import BUCKET, DEAD_LETTER_BUCKET, Aws, lambda_runtime
from tests.ingest.harness import LambdaContext, count, drain

pytestmark = pytest.mark.integration
LEGACY = json.loads((Path(__file__).parent / "data" / "mappings-v0.2.0.json").read_text())
DELIVERED = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)
ACCOUNT = ct.EXAMPLE_ACCOUNT
ATTACKER_IP = "198.51.100.7"
INSTANCE = "i-0abcd1234efgh5678"
FLOW_FIELDS = (*vpcflow.DEFAULT_FIELDS, "instance-id")
MALLORY = Pivot(
    kind="user",
    name="mallory",
    names=("mallory",),
    action="CreateUser",
    time="2026-03-14T09:00:00.000Z",
    hop=0,
    account_id=ACCOUNT,
    state="created",
    state_time="2026-03-14T09:00:00.000Z",
    state_by=None,
)


@pytest.fixture
def runtime(aws: Aws, engine: OpenSearch) -> Iterator[Runtime]:
    with lambda_runtime(aws, engine, deadline_margin=0.0) as built:
        yield built


def _ingest(aws: Aws, runtime: Runtime) -> None:
    """A CloudTrail log file (the actor deleting user mallory from ATTACKER_IP) and a flow log
    file (ATTACKER_IP to an instance), through S3 -> SQS -> the ingest handler."""
    alice = ct.iam_user(ACCOUNT, "alice")
    records = [
        ct.api_call(alice, time="2026-03-14T10:00:00Z", source_ip=ATTACKER_IP),
        ct.api_call(
            alice,
            event_name="DeleteUser",
            event_source="iam.amazonaws.com",
            time="2026-03-14T10:01:00Z",
            source_ip=ATTACKER_IP,
            read_only=False,
            request={"userName": "mallory"},
        ),
    ]
    key = ct.log_file_key(ACCOUNT, "us-east-1", DELIVERED, "a1b2c3d4e5f6a7b8")
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(ct.log_file_json(records)))
    flow = vpcflow.flow(src=ATTACKER_IP, dst="172.31.16.21", extra={"instance-id": INSTANCE})
    body = vpcflow.text_body([vpcflow.text_line(flow, FLOW_FIELDS)], FLOW_FIELDS)
    flow_key = vpcflow.log_key(vpcflow.EXAMPLE_ACCOUNT, "us-east-1", "fl-1", DELIVERED, "h")
    aws.s3.put_object(Bucket=BUCKET, Key=flow_key, Body=gzip.compress(body))
    drain(aws.sqs, aws.queue_url, lambda batch: handler.handle(batch, LambdaContext(), runtime))
    assert "Contents" not in aws.s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET)


def _hits(engine: OpenSearch, index: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    return list(engine.search(index=index, body={"query": query, "size": 100})["hits"]["hits"])


def _lucene(query: str) -> dict[str, Any]:
    return {"query_string": {"query": query}}


def _assert_found_by_every_query(engine: OpenSearch) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The saved searches' and the investigation's queries find the new documents; returns the
    CloudTrail and flow hits."""
    trail = _hits(engine, "siem-cloudtrail", _lucene("event.dataset:aws.cloudtrail"))
    assert len(trail) == count(engine, "siem-cloudtrail") == 2
    assert len(_hits(engine, "siem-cloudtrail", _lucene("event.kind:event AND cloud.provider:aws"))) == 2
    # The investigation's pivot: later calls that change the state of a user the actor created.
    [deleted] = _hits(engine, "siem-cloudtrail", state_clause([MALLORY], "2026-03-14T00:00:00Z") or {})
    assert deleted["_source"]["event"]["action"] == "DeleteUser"

    flows = _hits(engine, "siem-vpcflow", {"term": {"related.ip": ATTACKER_IP}})
    assert len(flows) == count(engine, "siem-vpcflow") == 1
    assert _hits(engine, "siem-vpcflow", {"term": {"related.hosts": INSTANCE}}) == flows
    assert len(_hits(engine, "siem-vpcflow", _lucene("event.dataset:aws.vpcflow"))) == 1
    # related.ip across both indices: what "Activity from an IP address" searches.
    assert len(_hits(engine, "siem-cloudtrail,siem-vpcflow", {"term": {"related.ip": ATTACKER_IP}})) == 3
    return trail, flows


def test_indices_created_under_the_0_2_0_templates_still_find_the_new_documents(
    aws: Aws, runtime: Runtime, engine: OpenSearch
) -> None:
    for index, mapping in LEGACY.items():
        if not index.startswith("_"):
            engine.indices.create(index=index, body={"mappings": mapping})  # as 0.2.0 left them
    install_templates(engine)  # the upgrade installs the current templates: old indices keep theirs

    _ingest(aws, runtime)

    trail, flows = _assert_found_by_every_query(engine)
    # What the old indices lack is written in the documents themselves.
    for hit in trail:
        assert hit["_source"]["event"]["dataset"] == "aws.cloudtrail"
        assert hit["_source"]["cloud"]["provider"] == "aws"
    assert flows[0]["_source"]["related"] == {"ip": [ATTACKER_IP, "172.31.16.21"], "hosts": [INSTANCE]}
    assert flows[0]["_source"]["event"]["dataset"] == "aws.vpcflow"


def test_indices_of_the_current_templates_get_lean_documents_that_the_same_queries_find(
    aws: Aws, runtime: Runtime, engine: OpenSearch
) -> None:
    install_templates(engine)
    for index in ("siem-cloudtrail", "siem-vpcflow"):
        engine.indices.create(index=index)  # by the current templates, as a first write would

    _ingest(aws, runtime)

    trail, flows = _assert_found_by_every_query(engine)
    for hit in trail:
        assert not {"kind", "dataset", "module"} & set(hit["_source"]["event"])
        assert "provider" not in hit["_source"].get("cloud", {})
    assert "related" not in flows[0]["_source"] and "dataset" not in flows[0]["_source"]["event"]


def test_the_first_write_into_an_index_not_created_yet_carries_the_constants_but_no_alias(
    aws: Aws, runtime: Runtime, engine: OpenSearch
) -> None:
    # The index does not exist: the template the first write meets (perhaps an older one,
    # installed after the code) creates it, so those documents hold what no mapping refuses.
    install_templates(engine)

    _ingest(aws, runtime)

    trail, flows = _assert_found_by_every_query(engine)
    for hit in trail:
        assert hit["_source"]["event"]["dataset"] == "aws.cloudtrail"
    assert flows[0]["_source"]["related"] == {"ip": [ATTACKER_IP, "172.31.16.21"], "hosts": [INSTANCE]}
    assert "bytes" not in flows[0]["_source"].get("network", {})  # an alias here: never written


def test_each_index_mapping_is_read_once_per_process(engine: OpenSearch) -> None:
    install_templates(engine)
    engine.indices.create(index="siem-cloudtrail", body={"mappings": LEGACY["siem-cloudtrail"]})
    asked: list[str] = []
    real = engine.indices.get_mapping

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("index", ""))
        return real(*args, **kwargs)

    engine.indices.get_mapping = counting
    mappings = LiveMappings(engine)
    first = mappings.backfill("siem-cloudtrail", "cloudtrail")
    assert first is not None and mappings.backfill("siem-cloudtrail", "cloudtrail") is first
    # An index not created yet is asked again: the first write creates it, with whichever
    # template is installed, so until then the documents carry the constants and copies.
    unknown = mappings.backfill("siem-vpcflow", "vpcflow")
    assert unknown is not None and "event.dataset" in unknown.fields() and not unknown.aliases
    assert mappings.backfill("siem-vpcflow", "vpcflow") == unknown
    # What no source leaves anything to (dead letters of an unknown source) costs no request.
    assert mappings.backfill("siem-unknown", "unknown") is None
    assert asked == ["siem-cloudtrail", "siem-vpcflow", "siem-vpcflow"]


class _Refusing:
    """A client whose mapping reads are refused (a data access policy without DescribeIndex)."""

    class indices:  # the opensearch-py attribute it stands for
        @staticmethod
        def get_mapping(index: str) -> Any:
            from opensearchpy.exceptions import AuthorizationException

            raise AuthorizationException(403, "security_exception", {"message": "no permissions"})


def test_a_mapping_that_cannot_be_read_gives_full_documents_and_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mappings = LiveMappings(_Refusing())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="ingest.live_mapping"):
        full = mappings.backfill("siem-vpcflow", "vpcflow")
    assert full is not None and "event.dataset" in full.fields() and "related.ip" in full.fields()
    assert "could not read the mapping of index siem-vpcflow (AuthorizationException" in caplog.text


def test_an_older_index_is_named_in_one_warning_per_process_that_points_at_the_upgrade_notes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class _Older:
        """An index whose mapping holds ``event.dataset`` as a plain keyword (as 0.2.0's did)."""

        def __init__(self) -> None:
            self.indices = self

        def get_mapping(self, index: str) -> dict[str, object]:
            properties = {"event": {"properties": {"dataset": {"type": "keyword"}}}}
            return {index: {"mappings": {"properties": properties}}}

    index = "siem-vpcflow-warned-once"  # the warning is once per process: a name no other test uses
    with caplog.at_level(logging.INFO, logger="ingest.live_mapping"):
        for _ in range(2):  # two runtimes of one process (a CLI run of several objects, a test)
            assert LiveMappings(_Older()).backfill(index, "vpcflow")  # type: ignore[arg-type]
    (record,) = [record for record in caplog.records if index in record.getMessage()]
    assert record.levelno == logging.WARNING
    assert "older template" in record.getMessage() and "upgrade notes" in record.getMessage()
