"""``siem ingest s3://...`` resumes an object from the version it began, never from whatever is
there now: an interrupted run, the object overwritten (or a new version put), a second run."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from opensearchpy import OpenSearch

import ingest.runtime
from ingest.config import Settings
from ingest.processor import Hooks
from ingest.reader import ObjectIdentity
from ingest.runtime import Runtime
from siem_cli import main as cli
from tests.ingest.conftest import BUCKET, Aws
from tests.ingest.harness import count, duplicated_ids
from tests.ingest.records import flow_object

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("guarded_clients")]

KEY = "backfill/resumed.log.gz"
CHUNK = 300


class _Interrupted(BaseException):
    """The run stops there and then, as Ctrl-C or a kill would stop it: no later step runs."""


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Runs cut objects into chunks of ``CHUNK`` records; while the list holds ``True``, a run
    stops right after its first chunk is acknowledged (the list is emptied then)."""
    interrupt = [True]

    def stop_after_the_first_chunk(identity: ObjectIdentity, chunk: int) -> None:
        if interrupt:
            interrupt.clear()
            raise _Interrupted

    def build_runtime(settings: Settings, **options: Any) -> Runtime:
        small = dataclasses.replace(settings, chunk_size=CHUNK)
        return ingest.runtime.build_runtime(
            small, hooks=Hooks(after_ack=stop_after_the_first_chunk), **options
        )

    monkeypatch.setattr("siem_cli.backfill.build_runtime", build_runtime)
    return interrupt


@pytest.fixture
def object_reads() -> Iterator[list[dict[str, Any]]]:
    """The parameters of every GetObject of the object (the CLI's client is boto3's default session's)."""
    reads: list[dict[str, Any]] = []

    def seen(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == KEY:
            reads.append(dict(params))

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    events = boto3.DEFAULT_SESSION.events
    events.register("provide-client-params.s3.GetObject", seen)
    yield reads
    events.unregister("provide-client-params.s3.GetObject", seen)


def _ingest(tmp_path: Path, engine_url: str, workers: int = 1, prefix: str = "backfill/") -> int:
    options = [
        "--endpoint",
        engine_url,
        "--auth",
        "none",
        "--quiet",
        "--concurrency",
        "2",
        "--workers",
        workers,
    ]
    paths = ["--ledger", tmp_path / "ledger.sqlite", "--dead-letter", tmp_path / "dead-letters"]
    return cli.main([str(arg) for arg in ("ingest", f"s3://{BUCKET}/{prefix}", *options, *paths)])


def _interrupted_run(tmp_path: Path, engine_url: str, prefix: str = "backfill/") -> None:
    with pytest.raises(_Interrupted):
        _ingest(tmp_path, engine_url, prefix=prefix)


def _letters(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for path in sorted((tmp_path / "dead-letters").rglob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]


def test_a_resume_reads_the_etag_it_began_with_and_indexes_each_record_once(
    aws: Aws,
    small_chunks: list[bool],
    object_reads: list[dict[str, Any]],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
) -> None:
    flows = flow_object(900, seed=70)
    etag = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=flows.body)["ETag"]
    _interrupted_run(tmp_path, engine_url)
    assert count(templated_engine, "siem-vpcflow") == CHUNK
    object_reads.clear()

    assert _ingest(tmp_path, engine_url) == 0

    (resumed,) = object_reads  # and not a second read of the same bytes
    assert resumed["IfMatch"] == etag  # quoted, as If-Match wants it
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")


@pytest.mark.parametrize("workers", [1, 2])
def test_an_object_overwritten_between_two_runs_dead_letters_the_unread_rest_and_indexes_the_new_one(
    workers: int,
    aws: Aws,
    small_chunks: list[bool],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = flow_object(900, seed=71), flow_object(200, seed=72, bad_every=50)
    first_etag = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=first.body)["ETag"].strip('"')
    _interrupted_run(tmp_path, engine_url)
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=second.body)  # the bucket is not versioned
    capsys.readouterr()

    status = _ingest(tmp_path, engine_url, workers)

    err = capsys.readouterr().err
    assert status == 0, err  # nothing a re-run could read: said, and dead-lettered, as the Lambda does
    (letter,) = [letter for letter in _letters(tmp_path) if letter["stage"] == "read"]
    assert letter == {
        "reason": f"overwritten part-way, after {CHUNK} records were indexed and 0 dead-lettered",
        "source": "unknown",
        "object": f"s3://{BUCKET}/{KEY}",
        "position": "object",
        "raw": "",
        "stage": "read",
        "etag": first_etag,
    }
    assert (
        f"overwritten since an earlier run began it, the rest of version {first_etag} of s3://{BUCKET}/{KEY}"
        in err
    )
    # the new version whole, under its own ETag; the old one's dead letter counted as one record
    assert f"2 objects (0 already done), {second.records + 1} records read" in err
    assert count(templated_engine, "siem-vpcflow") == CHUNK + second.records - second.bad
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert len(_letters(tmp_path)) == 1 + second.bad

    assert _ingest(tmp_path, engine_url) == 0  # said once: the old version's entry is closed
    assert "1 objects (1 already done), 0 records read" in capsys.readouterr().err
    assert len(_letters(tmp_path)) == 1 + second.bad


def test_a_versioned_object_resumes_the_version_it_began_then_reads_the_new_one(
    aws: Aws,
    small_chunks: list[bool],
    object_reads: list[dict[str, Any]],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
) -> None:
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first, second = flow_object(900, seed=73), flow_object(200, seed=74)
    first_version = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=first.body)["VersionId"]
    _interrupted_run(tmp_path, engine_url)
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=second.body)
    object_reads.clear()

    assert _ingest(tmp_path, engine_url) == 0

    assert [read.get("VersionId") for read in object_reads] == [first_version, None]
    assert count(templated_engine, "siem-vpcflow") == first.records + second.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert _letters(tmp_path) == []


def test_a_version_deleted_between_two_runs_dead_letters_its_unread_rest(
    aws: Aws,
    small_chunks: list[bool],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first, second = flow_object(900, seed=75), flow_object(200, seed=76)
    first_version = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=first.body)["VersionId"]
    _interrupted_run(tmp_path, engine_url)
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=second.body)
    aws.s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=first_version)  # a lifecycle rule's expiry, say
    capsys.readouterr()

    assert _ingest(tmp_path, engine_url) == 0

    (letter,) = _letters(tmp_path)
    assert (
        letter["reason"]
        == f"object not found: deleted part-way, after {CHUNK} records were indexed and 0 dead-lettered"
    )
    assert letter["version_id"] == first_version
    assert (
        f"deleted since an earlier run began it, the rest of version {first_version} of "
        in capsys.readouterr().err
    )
    assert count(templated_engine, "siem-vpcflow") == CHUNK + second.records


def test_a_versioned_object_resumed_unchanged_is_one_object(
    aws: Aws,
    small_chunks: list[bool],
    object_reads: list[dict[str, Any]],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    flows = flow_object(900, seed=77)
    version = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=flows.body)["VersionId"]
    _interrupted_run(tmp_path, engine_url)
    object_reads.clear()
    capsys.readouterr()

    assert _ingest(tmp_path, engine_url) == 0

    # the listing names no version: the current one is asked for, found to be the one resumed
    assert [read.get("VersionId") for read in object_reads] == [version, None]
    assert f"1 objects (0 already done), {flows.records - CHUNK} records read" in capsys.readouterr().err
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")


@pytest.mark.parametrize("workers", [1, 2])
def test_an_object_deleted_between_two_runs_dead_letters_its_unread_rest_once(
    workers: int,
    aws: Aws,
    small_chunks: list[bool],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # another prefix's object, begun and deleted too: a run of backfill/ leaves it alone
    other_key = "archive/other.log.gz"
    aws.s3.put_object(Bucket=BUCKET, Key=other_key, Body=flow_object(900, seed=78).body)
    _interrupted_run(tmp_path, engine_url, prefix="archive/")
    small_chunks.append(True)
    etag = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=flow_object(900, seed=79).body)["ETag"].strip('"')
    _interrupted_run(tmp_path, engine_url)
    aws.s3.delete_object(Bucket=BUCKET, Key=KEY)  # the bucket is not versioned: gone outright
    aws.s3.delete_object(Bucket=BUCKET, Key=other_key)
    capsys.readouterr()

    status = _ingest(tmp_path, engine_url, workers)

    err = capsys.readouterr().err
    assert status == 0, err  # nothing a re-run could read: said, and dead-lettered
    assert _letters(tmp_path) == [
        {
            "reason": f"object not found: deleted part-way, after {CHUNK} records were indexed and 0 dead-lettered",
            "source": "unknown",
            "object": f"s3://{BUCKET}/{KEY}",
            "position": "object",
            "raw": "",
            "stage": "read",
            "etag": etag,
        }
    ]
    assert f"deleted since an earlier run began it, the rest of version {etag} of s3://{BUCKET}/{KEY}" in err
    assert "1 objects (0 already done), 1 records read, 0 indexed, 1 dead-lettered" in err

    assert _ingest(tmp_path, engine_url, workers) == 0  # said once: its entry is closed
    assert "0 objects (0 already done), 0 records read" in capsys.readouterr().err
    assert len(_letters(tmp_path)) == 1

    # the other prefix's begun read was left unfinished: its own target's run settles it
    assert _ingest(tmp_path, engine_url, workers, prefix="archive/") == 0
    assert f"of s3://{BUCKET}/{other_key} is dead-lettered" in capsys.readouterr().err
    assert sorted(letter["object"] for letter in _letters(tmp_path)) == [
        f"s3://{BUCKET}/{other_key}",
        f"s3://{BUCKET}/{KEY}",
    ]
    assert count(templated_engine, "siem-vpcflow") == 2 * CHUNK


def test_an_object_behind_a_delete_marker_resumes_the_version_it_began(
    aws: Aws,
    small_chunks: list[bool],
    object_reads: list[dict[str, Any]],
    tmp_path: Path,
    engine_url: str,
    templated_engine: OpenSearch,
) -> None:
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    flows = flow_object(900, seed=80)
    version = aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=flows.body)["VersionId"]
    _interrupted_run(tmp_path, engine_url)
    aws.s3.delete_object(Bucket=BUCKET, Key=KEY)  # a delete marker: unlisted, the version kept
    object_reads.clear()

    assert _ingest(tmp_path, engine_url) == 0

    assert [read.get("VersionId") for read in object_reads] == [version]  # and not the marker
    assert count(templated_engine, "siem-vpcflow") == flows.records
    assert not duplicated_ids(templated_engine, "siem-vpcflow")
    assert _letters(tmp_path) == []
