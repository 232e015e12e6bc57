"""``siem backfill --queue`` end to end: a shared organization bucket listed into moto SQS, the
queue drained through the real Lambda handler; enqueued twice, every record is indexed once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from opensearchpy import OpenSearch

from demo import synthetic
from ingest import handler
from ingest.enqueue import Checkpoint, Enqueuer, Filters, RateLimit, Target, list_objects
from ingest.runtime import Runtime
from siem_cli import main as cli
from tests.ingest.conftest import DEAD_LETTER_BUCKET, Aws, lambda_runtime
from tests.ingest.harness import LambdaContext, count, drain, duplicated_ids
from tests.ingest.records import flow_object

pytestmark = pytest.mark.integration

ORG_BUCKET = "org-shared-logs"  # no notification configured: only the backfill announces its objects
TRAIL_KEY = "AWSLogs/o-exampleorgid/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T0000Z_a+b.json.gz"
FLOW_KEY = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/123456789012_vpcflowlogs_us-east-1_fl-1_20240501T0000Z_h.log.gz"
DIGEST_KEY = "AWSLogs/o-exampleorgid/123456789012/CloudTrail-Digest/us-east-1/2024/05/01/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T000000Z.json.gz"
WRITABILITY_KEY = "AWSLogs/123456789012/Config/ConfigWritabilityCheckFile"


@pytest.fixture
def runtime(aws: Aws, templated_engine: OpenSearch) -> Iterator[Runtime]:
    with lambda_runtime(aws, templated_engine, chunk_size=300, concurrency=2) as built:
        yield built


def _org_bucket(aws: Aws) -> tuple[int, int]:
    """The bucket of an organization: CloudTrail, flow logs, a digest file, Config's check file."""
    trail = list(synthetic.cloudtrail_records(300, seed=5))
    flows = flow_object(400, seed=6)
    aws.sqs.purge_queue(QueueUrl=aws.queue_url)  # the s3:TestEvent of the fixture's own bucket
    aws.s3.create_bucket(Bucket=ORG_BUCKET)
    aws.s3.put_object(Bucket=ORG_BUCKET, Key=TRAIL_KEY, Body=synthetic.cloudtrail_log_file(trail))
    aws.s3.put_object(Bucket=ORG_BUCKET, Key=FLOW_KEY, Body=flows.body)
    digest = {"awsAccountId": "123456789012", "digestStartTime": "2024-05-01T00:00:00Z", "logFiles": []}
    aws.s3.put_object(Bucket=ORG_BUCKET, Key=DIGEST_KEY, Body=orjson.dumps(digest))
    aws.s3.put_object(Bucket=ORG_BUCKET, Key=WRITABILITY_KEY, Body=b"")
    return len(trail), flows.records


def _queued(aws: Aws) -> int:
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=aws.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _enqueue(aws: Aws, checkpoint: Checkpoint) -> None:
    enqueuer = Enqueuer(aws.sqs, aws.queue_url, ORG_BUCKET, "us-east-1", checkpoint, RateLimit(None))
    enqueuer.run(list_objects(aws.s3, Target(ORG_BUCKET, "AWSLogs/")), Filters())


def test_a_backfill_enqueued_twice_indexes_every_record_once(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch, tmp_path: Path
) -> None:
    trail_records, flow_records = _org_bucket(aws)
    first = Checkpoint(tmp_path / "first.json", "t")
    _enqueue(aws, first)
    _enqueue(aws, Checkpoint(None, "t"))  # a second operator, or a --restart
    assert _queued(aws) == 4  # two log objects, twice
    assert first.counts == {
        "enqueued": 2,
        "skipped: AWS Config writability check file": 1,
        "skipped: CloudTrail digest file": 1,
    }

    drain(aws.sqs, aws.queue_url, lambda event: handler.handle(event, LambdaContext(), runtime))

    assert count(templated_engine, "siem-cloudtrail") == trail_records
    assert count(templated_engine, "siem-vpcflow") == flow_records
    assert not duplicated_ids(templated_engine, "siem-cloudtrail")
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert aws.s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET).get("KeyCount", 0) == 0


def test_the_command_filters_resumes_and_reports(
    aws: Aws, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _org_bucket(aws)
    checkpoint = tmp_path / "backfill.json"
    argv = [
        "backfill",
        f"s3://{ORG_BUCKET}/AWSLogs/",
        "--queue",
        aws.queue_url,
        "--checkpoint",
        str(checkpoint),
    ]
    assert cli.main([*argv, "--quiet", "--source", "cloudtrail", "--since", "2024-05-01", "--rate", "0"]) == 0
    assert _queued(aws) == 1
    summary = capsys.readouterr().err
    assert "1 objects enqueued, 3 skipped" in summary
    assert "1 other source" in summary and "1 AWS Config writability check file" in summary

    # the same command again resumes after the last key: nothing listed, nothing sent twice
    assert cli.main([*argv, "--quiet", "--source", "cloudtrail", "--since", "2024-05-01", "--rate", "0"]) == 0
    assert _queued(aws) == 1
    # other filters with the same checkpoint file are refused rather than silently skipping objects
    assert cli.main([*argv, "--quiet", "--source", "vpcflow"]) == 2
    assert "--restart" in capsys.readouterr().err


def test_operator_mistakes_end_with_a_message_not_a_traceback(
    aws: Aws, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--queue", aws.queue_url, "--checkpoint", str(tmp_path / "c.json"), "--quiet"]
    assert cli.main(["backfill", "/local/path", *options]) == 2
    assert cli.main(["backfill", "s3://no-such-bucket/AWSLogs/", *options]) == 1
    assert (
        cli.main(["backfill", f"s3://{ORG_BUCKET}/AWSLogs/", *options, "--profile", "no-such-profile"]) == 2
    )
    error = capsys.readouterr().err
    assert "expected s3://bucket/prefix" in error
    assert "NoSuchBucket" in error
    assert "The config profile (no-such-profile) could not be found" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("rate", ["-1", "nan", "fast"])
def test_a_rate_that_is_no_rate_is_a_usage_error(rate: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A negative rate ran unlimited: the flood the option is there to prevent, whose messages
    the queue deletes unread after its retention."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(["backfill", f"s3://{ORG_BUCKET}/AWSLogs/", "--queue", "q", "--rate", rate])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"siem backfill: error: argument --rate: expected messages per second, 0 (no limit) or more, got {rate!r}"
    )


def test_profile_names_the_credentials_of_the_listing_and_the_queue(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--profile`` as the other commands take it (docs/cli.md): a known profile works, an
    unknown one is exit status 2 (above), so the option is read, not ignored."""
    _org_bucket(aws)
    config = tmp_path / "config"
    config.write_text("[profile operator]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    argv = ["backfill", f"s3://{ORG_BUCKET}/AWSLogs/", "--queue", aws.queue_url, "--quiet", "--rate", "0"]
    argv += ["--checkpoint", str(tmp_path / "c.json"), "--source", "vpcflow", "--profile", "operator"]
    assert cli.main(argv) == 0
    assert _queued(aws) == 1
