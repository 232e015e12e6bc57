"""Provenance end to end: the forged-log attack of issue 20 replayed through the Lambda handler
(moto S3 -> SQS, DynamoDB ledger, S3 dead letters, the guarded embedded engine), delegated
administrators, and ``siem ingest`` of keys without the AWS layout."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from detections.checkpoints import MemoryCheckpoints
from detections.rules import RULES_DIR, load_rules
from detections.runner import run
from ingest import handler
from ingest.provenance import ACCOUNT_MISMATCH, SOURCE_MISMATCH
from ingest.runtime import Runtime
from siem_cli import main as cli
from tests.ingest.conftest import BUCKET, Aws, lambda_runtime, s3_dead_letters
from tests.ingest.harness import LambdaContext, count, drain

pytestmark = pytest.mark.integration
ATTACKER = "999999999999"
VICTIM = "000000000001"
ADMIN = "222222222222"
MEMBER = "333333333333"


@pytest.fixture
def runtime(aws: Aws, templated_engine: OpenSearch) -> Iterator[Runtime]:
    with lambda_runtime(aws, templated_engine, deadline_margin=0.0) as built:
        yield built


def _drain(aws: Aws, runtime: Runtime) -> None:
    drain(aws.sqs, aws.queue_url, lambda event: handler.handle(event, LambdaContext(), runtime))


def _documents(engine: OpenSearch, index: str) -> list[dict[str, Any]]:
    if not engine.indices.exists(index=index):
        return []
    answer = engine.search(index=index, body={"size": 100, "query": {"match_all": {}}})
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def _root_sign_in(when: datetime) -> bytes:
    record = ct.console_login(
        ct.root(VICTIM, access_key_id=None), time=when, source_ip="198.51.100.214", login_to=None
    )
    return gzip.compress(ct.log_file_json([record]))


def _root_alerts(engine: OpenSearch, now: datetime) -> int:
    [rule] = [rule for rule in load_rules([RULES_DIR]) if rule.id == "siem-root-account-usage"]
    return run(engine, engine, [rule], now + timedelta(minutes=5), MemoryCheckpoints()).created


def test_a_forged_root_sign_in_under_the_findings_prefix_is_dead_lettered_and_raises_no_alert(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    # Issue 20: account 999999999999 writes, with its own delivery role, a root ConsoleLogin
    # of account 000000000001 under the Security Hub prefix.
    now = datetime.now(UTC).replace(microsecond=0)
    forged = f"securityhub/AWSLogs/{ATTACKER}/firehose/us-east-1/{now:%Y/%m/%d}/forged.gz"
    aws.s3.put_object(Bucket=BUCKET, Key=forged, Body=_root_sign_in(now))

    _drain(aws, runtime)

    [letter] = s3_dead_letters(aws)
    assert letter["reason"] == f"{SOURCE_MISMATCH}: cloudtrail record under the securityhub prefix"
    assert (letter["object"], letter["position"], letter["stage"]) == (
        f"s3://{BUCKET}/{forged}",
        "record 0",
        "provenance",
    )
    assert not _documents(templated_engine, "siem-cloudtrail")  # 1 record in = 0 indexed + 1 dead letter
    assert _root_alerts(templated_engine, now) == 0

    # The same sign-in delivered by the organization trail is indexed and alerts: the check
    # above is what stopped the forged one.
    genuine = f"cloudtrail/AWSLogs/o-a1b2c3d4e5/{VICTIM}/CloudTrail/us-east-1/{now:%Y/%m/%d}/genuine.json.gz"
    aws.s3.put_object(Bucket=BUCKET, Key=genuine, Body=_root_sign_in(now))
    _drain(aws, runtime)
    [document] = _documents(templated_engine, "siem-cloudtrail")
    assert document["cloud"]["account"]["id"] == VICTIM
    assert document["siem"]["object"]["account"] == VICTIM
    assert document["siem"]["object"]["key"] == genuine
    assert _root_alerts(templated_engine, now) == 1


def _finding_event(account: str, number: int, delivered_by: str) -> dict[str, Any]:
    spec = gd.FindingSpec(account=account, id=f"{number:032x}")
    event = gd.eventbridge_event(gd.finding(spec), event_id=f"00000000-0000-0000-0000-{number:012x}")
    event["account"] = delivered_by  # EventBridge names the account whose bus saw the event
    return event


def _firehose_object(events: list[dict[str, Any]]) -> bytes:
    # Firehose's AppendDelimiterToRecord: one event per line, gzip (infra/member_stack.py).
    return gzip.compress(b"".join(orjson.dumps(event) + b"\n" for event in events))


def test_a_member_delivery_role_speaks_only_for_its_own_account(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    key = f"guardduty/AWSLogs/{MEMBER}/firehose/us-east-1/2026/03/14/member.gz"
    events = [
        _finding_event(MEMBER, 1, MEMBER),
        _finding_event(VICTIM, 2, MEMBER),
        _finding_event(MEMBER, 3, MEMBER),
    ]
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=_firehose_object(events))

    _drain(aws, runtime)

    documents = _documents(templated_engine, "siem-guardduty")
    [letter] = s3_dead_letters(aws)
    assert len(documents) + 1 == len(events)
    assert {d["cloud"]["account"]["id"] for d in documents} == {MEMBER}
    assert {d["siem"]["object"]["account"] for d in documents} == {MEMBER}
    assert letter["reason"] == f"{ACCOUNT_MISMATCH}: record of account {VICTIM} delivered by account {MEMBER}"
    assert letter["position"] == "record 1"


def test_a_delegated_administrator_delivers_every_members_findings(
    aws: Aws, templated_engine: OpenSearch
) -> None:
    key = f"guardduty/AWSLogs/{ADMIN}/firehose/us-east-1/2026/03/14/admin.gz"
    events = [_finding_event(MEMBER, 1, ADMIN), _finding_event(VICTIM, 2, ADMIN)]
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=_firehose_object(events))
    admins = frozenset({ADMIN})
    with lambda_runtime(
        aws, templated_engine, deadline_margin=0.0, delegated_admin_account_ids=admins
    ) as runtime:
        _drain(aws, runtime)

    documents = _documents(templated_engine, "siem-guardduty")
    assert not s3_dead_letters(aws)
    assert sorted(d["cloud"]["account"]["id"] for d in documents) == [VICTIM, MEMBER]
    assert {d["siem"]["object"]["account"] for d in documents} == {ADMIN}
    # One object id for both, the details once.
    assert len({d["siem"]["object"]["id"] for d in documents}) == 1
    assert sum("key" in d["siem"]["object"] for d in documents) == 1


def test_the_object_details_are_what_s3_says(
    aws: Aws, runtime: Runtime, templated_engine: OpenSearch
) -> None:
    key = f"guardduty/AWSLogs/{MEMBER}/firehose/us-east-1/2026/03/14/details.gz"
    body = _firehose_object([_finding_event(MEMBER, 1, MEMBER)])
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    put = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    _drain(aws, runtime)

    [document] = _documents(templated_engine, "siem-guardduty")
    details = dict(document["siem"]["object"])
    object_id = details.pop("id")
    assert len(object_id) == 16
    assert details == {
        "account": MEMBER,
        "bucket": BUCKET,
        "key": key,
        "version_id": put["VersionId"],
        "etag": put["ETag"].strip('"'),
        "size": len(body),
    }
    hits = templated_engine.search(
        index="siem-guardduty", body={"query": {"term": {"siem.object.id": object_id}}}
    )
    assert hits["hits"]["total"]["value"] == 1  # the id is a mapped keyword: searchable


# -- siem ingest -----------------------------------------------------------------------------


def test_cli_checks_nothing_by_key_for_local_files(
    tmp_path: Path, engine_url: str, templated_engine: OpenSearch, guarded_clients: None
) -> None:
    # A local copy whose folders look like the findings prefix: a path is no delivery.
    folder = tmp_path / "securityhub" / "AWSLogs" / ATTACKER / "firehose"
    folder.mkdir(parents=True)
    (folder / "copy.json.gz").write_bytes(_root_sign_in(datetime(2026, 3, 14, 9, tzinfo=UTC)))
    options = ["--endpoint", engine_url, "--auth", "none", "--quiet", "--ledger", str(tmp_path / "l.sqlite")]
    options += ["--dead-letter", str(tmp_path / "dead")]

    assert cli.main(["ingest", str(tmp_path / "securityhub"), *options]) == 0

    [document] = _documents(templated_engine, "siem-cloudtrail")
    assert document["siem"]["object"]["key"] == str(folder / "copy.json.gz")
    assert "account" not in document["siem"]["object"] and "bucket" not in document["siem"]["object"]
    assert count(templated_engine, "siem-cloudtrail") == 1


def test_cli_backfill_of_the_log_bucket_checks_like_the_lambda(
    aws: Aws, tmp_path: Path, engine_url: str, templated_engine: OpenSearch, guarded_clients: None
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    forged = f"securityhub/AWSLogs/{ATTACKER}/firehose/us-east-1/{now:%Y/%m/%d}/forged.gz"
    aws.s3.put_object(Bucket=BUCKET, Key=forged, Body=_root_sign_in(now))
    options = ["--endpoint", engine_url, "--auth", "none", "--quiet", "--ledger", str(tmp_path / "l.sqlite")]
    options += ["--dead-letter", str(tmp_path / "dead")]

    # A dead letter is an outcome, not a failure: exit status 0.
    assert cli.main(["ingest", f"s3://{BUCKET}/securityhub/", *options]) == 0

    [path] = sorted((tmp_path / "dead").rglob("*.jsonl"))
    [letter] = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert letter["reason"].startswith(SOURCE_MISMATCH) and letter["stage"] == "provenance"
    assert not _documents(templated_engine, "siem-cloudtrail")


def test_cli_refuses_malformed_provenance_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DELEGATED_ADMIN_ACCOUNT_IDS", "12345")
    assert cli.main(["ingest", str(tmp_path), "--endpoint", "http://127.0.0.1:9", "--auth", "none"]) == 2
    err = capsys.readouterr().err
    assert "siem ingest: not 12-digit account ids: 12345" in err and "Traceback" not in err
