"""Objects of a delivery path (normalizers/delivery.py) hold several sources' records: each
document goes to its own source's index, each dead letter under its own source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudwatch_logs as cwl
from ingest.config import Settings, from_env
from ingest.deadletters import MemoryDeadLetterSink
from ingest.ledger import SqliteLedger
from ingest.processor import Services, process_object
from ingest.reader import open_bytes
from ingest.writer import BulkWriter, Deadline
from normalizers.vpcflow.formats import FormatError
from tests.conftest import GOLDEN
from tests.ingest.harness import count

pytestmark = pytest.mark.integration

CUSTOM = "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${action} ${start} ${end} ${flow-direction}"


def _services(engine: OpenSearch, ledger: SqliteLedger, sink: MemoryDeadLetterSink) -> Services:
    settings = from_env({"VPC_FLOW_FORMATS": f'{{"/aws/vpc/flowlogs-": "{CUSTOM}"}}'})
    assert settings.vpc_flow_formats
    return Services(settings, BulkWriter(engine, settings), ledger, sink)


def test_a_cloudwatch_logs_object_of_two_log_groups_fills_both_indices(
    templated_engine: OpenSearch, tmp_path: Path
) -> None:
    mixed = (GOLDEN / "cloudwatch_logs" / "mixed-log-groups" / "input.gz").read_bytes()
    custom = cwl.subscription_payload(
        owner="123456789010",
        log_group="/aws/vpc/flowlogs-v5",
        log_stream="eni-1235b8ca123456789-all",
        events=[
            cwl.log_event(
                "5 vpc-7a9d2d1f 203.0.113.12 10.0.1.5 ACCEPT 1418530010 1418530070 ingress", 1, "a"
            ),
            cwl.log_event("5 vpc-7a9d2d1f 203.0.113.12", 1, "b"),  # 3 fields of the configured 8
        ],
    )
    body = mixed + cwl.firehose_object([cwl.control_payload(1), custom])
    opened = open_bytes("s3://bucket/cwl/object", body, "v1", datetime(2024, 5, 1, tzinfo=UTC))
    ledger, sink = SqliteLedger(), MemoryDeadLetterSink()
    try:
        result = process_object(opened, _services(templated_engine, ledger, sink), "worker", Deadline())
    finally:
        ledger.close()
    assert result.status == "done" and result.records == 4 and result.indexed == 3
    assert count(templated_engine, "siem-cloudtrail") == 1
    assert count(templated_engine, "siem-vpcflow") == 2
    hits = templated_engine.search(index="siem-vpcflow", body={"query": {"term": {"event.id": "a"}}})
    assert hits["hits"]["hits"][0]["_source"]["aws"]["cloudwatch_logs"]["log_group"] == "/aws/vpc/flowlogs-v5"
    [letter] = sink.entries()
    assert letter["source"] == "vpcflow" and letter["position"] == "payload 3 event 1"
    assert letter["reason"] == "invalid record: 3 fields, header has 8"


def test_invalid_flow_formats_stop_the_settings_with_the_reason() -> None:
    with pytest.raises(FormatError, match="not a VPC flow log field"):
        from_env({"VPC_FLOW_FORMATS": '{"flows/": "${version} ${bogus}"}'})
    assert Settings().vpc_flow_formats == ()
