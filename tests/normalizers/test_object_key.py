"""The account an object's key delivers it for (normalizers.object_key.delivered_account)."""

from __future__ import annotations

import pytest

from normalizers.object_key import delivered_account

LAKE = "aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId={}/eventDay=20240501/a.gz.parquet"


@pytest.mark.parametrize(
    ("location", "account"),
    [
        ("s3://b/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz", "111122223333"),
        (
            "s3://b/p/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz",
            "111122223333",
        ),
        ("s3://b/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/x.log.gz", "111122223333"),
        (f"s3://lake/{LAKE.format('444455556666')}", "444455556666"),
        # The AWSLogs folder wins: it is the delivery's own layout.
        (f"s3://b/AWSLogs/111122223333/{LAKE.format('444455556666')}", "111122223333"),
        # Two partitions name no one account; an id of 11 or 13 digits, or of other digits, is none.
        (
            f"s3://lake/{LAKE.format('444455556666')}".replace("eventDay", "accountId=111122223333/eventDay"),
            None,
        ),
        (f"s3://lake/{LAKE.format('44445555666')}", None),
        (f"s3://lake/{LAKE.format('4444555566667')}", None),
        (f"s3://lake/{LAKE.format('٤٤٤٤٥٥٥٥٦٦٦٦')}", None),
        ("s3://b/exports/cloudtrail/x.json.gz", None),
    ],
)
def test_the_delivery_folder_names_the_account(location: str, account: str | None) -> None:
    assert delivered_account(location) == account
