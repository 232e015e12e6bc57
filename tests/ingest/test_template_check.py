"""Never index into an unmapped index: the Lambda leaves the object for later, the CLI says so or
installs the templates (--install-templates); on the guarded embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo import synthetic
from ingest import handler
from ingest.runtime import Runtime
from ingest.template_check import IndexTemplateCheck
from opensearch_assets.templates import install_templates
from siem_cli import main as cli
from tests.ingest.conftest import BUCKET, DEAD_LETTER_BUCKET, Aws, lambda_runtime
from tests.ingest.harness import LambdaContext, count, drain, receive

pytestmark = pytest.mark.integration
KEY = "cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/14/111122223333_CloudTrail_us-east-1_f.json.gz"


@pytest.fixture
def runtime(aws: Aws, engine: OpenSearch) -> Iterator[Runtime]:
    """The Lambda's runtime on an engine where nothing is installed yet."""
    with lambda_runtime(aws, engine, deadline_margin=0.0) as built:
        yield built


def _event_action_type(engine: OpenSearch, index: str) -> Any:
    mapping = engine.indices.get_mapping(index=index)[index]["mappings"]
    return mapping["properties"]["event"]["properties"]["action"]["type"]


def test_lambda_leaves_the_object_in_the_queue_until_the_templates_exist(
    aws: Aws, runtime: Runtime, engine: OpenSearch
) -> None:
    records = list(synthetic.cloudtrail_records(50, seed=7))
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=synthetic.cloudtrail_log_file(records))

    event = receive(aws.sqs, aws.queue_url)
    answer = handler.handle(event, LambdaContext(), runtime)

    # A batch item failure (SQS retries it), not a dead letter, and no index created.
    [message] = [record["messageId"] for record in event["Records"] if "CloudTrail" in record["body"]]
    assert answer == {"batchItemFailures": [{"itemIdentifier": message}]}
    assert not engine.indices.exists(index="siem-cloudtrail")
    assert "Contents" not in aws.s3.list_objects_v2(Bucket=DEAD_LETTER_BUCKET)

    install_templates(engine)  # the asset installer runs; the message comes back
    drain(aws.sqs, aws.queue_url, lambda batch: handler.handle(batch, LambdaContext(), runtime))

    assert count(engine, "siem-cloudtrail") == len(records)
    assert _event_action_type(engine, "siem-cloudtrail") == "keyword"


def test_the_templates_are_asked_once_per_index_and_process(engine: OpenSearch) -> None:
    asked: list[str] = []
    real = engine.indices.get_index_template

    def counting(*args: Any, **kwargs: Any) -> Any:
        asked.append("GET _index_template")
        return real(*args, **kwargs)

    engine.indices.get_index_template = counting  # type: ignore[method-assign]
    check = IndexTemplateCheck(engine)
    assert "no index template covers index 'siem-cloudtrail'" in (check.problem("siem-cloudtrail") or "")
    assert check.problem("siem-cloudtrail") is not None  # a missing template is asked again
    install_templates(engine)
    assert check.problem("siem-cloudtrail") is None
    assert check.problem("siem-cloudtrail") is None
    assert check.problem("siem-vpcflow") is None
    assert check.problem("other-cloudtrail") is not None
    assert len(asked) == 5  # the second look at siem-cloudtrail, once covered, asks nothing


# -- siem ingest -----------------------------------------------------------------------------


def _ingest(path: Path, endpoint: str, tmp_path: Path, *extra: str) -> int:
    options = ["--endpoint", endpoint, "--auth", "none", "--quiet"]
    options += ["--ledger", str(tmp_path / "ledger.sqlite"), "--dead-letter", str(tmp_path / "dead-letters")]
    return cli.main(["ingest", str(path), *options, *extra])


def test_cli_refuses_an_unmapped_index_then_installs_the_templates_when_asked(
    tmp_path: Path,
    engine_url: str,
    engine: OpenSearch,
    guarded_clients: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trail = tmp_path / "trail.json.gz"
    records = list(synthetic.cloudtrail_records(40, seed=8))
    trail.write_bytes(synthetic.cloudtrail_log_file(records))

    assert _ingest(trail, engine_url, tmp_path) == 1
    err = capsys.readouterr().err
    assert "no index template covers index 'siem-cloudtrail'" in err and "--install-templates" in err
    assert "Traceback" not in err
    assert not engine.indices.exists(index="siem-cloudtrail")

    assert _ingest(trail, engine_url, tmp_path, "--install-templates") == 0
    assert "40 records read, 40 indexed, 0 dead-lettered" in capsys.readouterr().err
    assert count(engine, "siem-cloudtrail") == 40
    assert _event_action_type(engine, "siem-cloudtrail") == "keyword"


def test_cli_says_why_the_templates_could_not_be_installed(
    tmp_path: Path, guarded_clients: None, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "trail.json.gz"
    trail.write_bytes(synthetic.cloudtrail_log_file(list(synthetic.cloudtrail_records(1, seed=9))))
    assert _ingest(trail, "http://127.0.0.1:9", tmp_path, "--install-templates") == 1
    err = capsys.readouterr().err
    assert "siem ingest: could not install the index templates:" in err and "Traceback" not in err


def test_templates_that_cannot_be_read_send_nothing_and_say_why(engine: OpenSearch) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError("403 aoss:DescribeCollectionItems not granted")

    engine.indices.get_index_template = refused  # type: ignore[method-assign]
    problem = IndexTemplateCheck(engine).problem("siem-cloudtrail")
    assert problem == (
        "could not read the index templates for 'siem-cloudtrail': "
        "PermissionError: 403 aoss:DescribeCollectionItems not granted"
    )
