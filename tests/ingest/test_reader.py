"""GetObject is pinned to the notified version (moto S3 answers If-Match like S3: 412)."""

from __future__ import annotations

import pytest

from ingest.events import ObjectRef
from ingest.reader import ObjectOverwritten, open_s3
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
