"""GetObject is pinned to the notified version (moto S3 answers If-Match like S3: 412); a local file
is read as the bytes its version (content hash) names."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ingest.events import ObjectRef
from ingest.reader import ObjectGone, ObjectOverwritten, open_local, open_s3
from tests.ingest.conftest import BUCKET, Aws

pytestmark = pytest.mark.integration


def _read(aws: Aws, ref: ObjectRef) -> bytes:
    opened = open_s3(aws.s3, ref)
    try:
        return opened.stream.read()
    finally:
        opened.close()


@pytest.mark.parametrize("quoted", [False, True])
def test_the_notified_etag_reads_the_object_while_it_is_unchanged(aws: Aws, quoted: bool) -> None:
    etag = aws.s3.put_object(Bucket=BUCKET, Key="k", Body=b"first")["ETag"]
    ref = ObjectRef(BUCKET, "k", etag=etag if quoted else etag.strip('"'))
    assert _read(aws, ref) == b"first"


def test_an_unversioned_object_replaced_after_the_notification_is_refused(aws: Aws) -> None:
    etag = aws.s3.put_object(Bucket=BUCKET, Key="k", Body=b"first")["ETag"].strip('"')
    aws.s3.put_object(Bucket=BUCKET, Key="k", Body=b"second")
    with pytest.raises(ObjectOverwritten):
        open_s3(aws.s3, ObjectRef(BUCKET, "k", etag=etag))
    assert _read(aws, ObjectRef(BUCKET, "k")) == b"second"  # no ETag (backfill): what is there now


def test_a_version_id_reads_the_notified_version_after_an_overwrite(aws: Aws) -> None:
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = aws.s3.put_object(Bucket=BUCKET, Key="k", Body=b"first")
    aws.s3.put_object(Bucket=BUCKET, Key="k", Body=b"second")
    ref = ObjectRef(BUCKET, "k", version_id=first["VersionId"], etag=first["ETag"].strip('"'))
    opened = open_s3(aws.s3, ref)
    try:
        assert (opened.stream.read(), opened.identity.version) == (b"first", first["VersionId"])
    finally:
        opened.close()


def test_a_notified_version_that_is_a_delete_marker_now_is_gone() -> None:
    # S3 answers a GetObject of a version that is a delete marker 405 (GetObject's documentation
    # in botocore's model): version "null" of a suspended bucket, deleted since the notification.
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    ref = ObjectRef(BUCKET, "k", version_id="null", etag="0123456789abcdef0123456789abcdef")
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", "MethodNotAllowed", "The specified method is not allowed", 405)
        with pytest.raises(ObjectGone):
            open_s3(s3, ref)


def test_a_local_file_replaced_while_it_is_opened_is_read_as_the_bytes_its_version_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A download finishing by a rename lands between the hash and the read.
    path = tmp_path / "flows.log"
    path.write_bytes(b"first content\n")
    hashed = hashlib.file_digest

    def hash_then_replace(handle: Any, digest: str) -> Any:
        result = hashed(handle, digest)
        replacement = tmp_path / "flows.log.part"
        replacement.write_bytes(b"second content, longer\n")
        replacement.replace(path)
        return result

    monkeypatch.setattr("ingest.reader.hashlib.file_digest", hash_then_replace)
    opened = open_local(path)
    try:
        content = opened.stream.read()
    finally:
        opened.close()
    assert hashlib.sha256(content).hexdigest()[:32] == opened.identity.version
    assert opened.identity.size == len(content)
