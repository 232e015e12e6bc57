"""The synthesized log bucket's Object Lock and versioning, applied to S3 (moto): what an
attacker who can write an account's prefix can and cannot do to evidence already written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.infra.cfn import resources

pytestmark = [pytest.mark.slow, pytest.mark.integration]

BUCKET = "siem-log-bucket"
KEY = "securityhub/AWSLogs/999999999999/firehose/eu-west-1/2024/05/01/findings-1.gz"


@pytest.fixture
def s3(central: dict[str, Any]) -> Iterator[Any]:
    """A bucket created with the template's versioning and Object Lock properties."""
    [props] = [
        b["Properties"]
        for b in resources(central, "AWS::S3::Bucket").values()
        if "LoggingConfiguration" in b["Properties"]
    ]
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=props["ObjectLockEnabled"])
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration=props["VersioningConfiguration"])
        client.put_object_lock_configuration(
            Bucket=BUCKET, ObjectLockConfiguration=props["ObjectLockConfiguration"]
        )
        yield client


def test_an_overwrite_keeps_the_original_version(s3: Any) -> None:
    original = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"real finding")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"forged finding")
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=KEY)["Versions"]
    assert len(versions) == 2
    kept = s3.get_object(Bucket=BUCKET, Key=KEY, VersionId=original)["Body"].read()
    assert kept == b"real finding"


def test_a_locked_version_cannot_be_deleted_or_unlocked_without_bypass(s3: Any) -> None:
    original = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"real finding")["VersionId"]
    head = s3.head_object(Bucket=BUCKET, Key=KEY, VersionId=original)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert round((head["ObjectLockRetainUntilDate"] - head["LastModified"]).total_seconds() / 86400) == 365
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=original)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # A plain DELETE only adds a delete marker: the version stays readable.
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    assert s3.get_object(Bucket=BUCKET, Key=KEY, VersionId=original)["Body"].read() == b"real finding"
    # Governance mode: a principal allowed s3:BypassGovernanceRetention can still remove it.
    s3.delete_object(Bucket=BUCKET, Key=KEY, VersionId=original, BypassGovernanceRetention=True)
