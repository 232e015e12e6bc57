"""The account-sync Lambda: Organizations (moto) -> the directory object in the state bucket."""

from __future__ import annotations

import boto3
import pytest

from enrichment.account_store import open_store
from enrichment.sync_handler import sync

pytestmark = pytest.mark.integration

LOCATION = "s3://siem-state/enrichment/accounts.json"


def test_the_sync_writes_the_directory_the_ingest_function_reads(mocked_aws: None) -> None:
    organizations = boto3.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    unit = organizations.create_organizational_unit(ParentId=root, Name="Security")["OrganizationalUnit"][
        "Id"
    ]
    created = organizations.create_account(
        AccountName="log-archive", Email="logs@example.com", Tags=[{"Key": "Team", "Value": "secops"}]
    )["CreateAccountStatus"]["AccountId"]
    organizations.move_account(AccountId=created, SourceParentId=root, DestinationParentId=unit)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="siem-state")

    result = sync({"ACCOUNTS_LOCATION": LOCATION, "ACCOUNT_TAG_KEYS": "team, owner"}, organizations, s3)

    directory, _ = open_store(LOCATION, s3).read()
    assert directory is not None
    account = directory.get(created)
    assert account is not None
    assert (account.name, account.ou_path, dict(account.tags)) == (
        "log-archive",
        "Root/Security",
        {"team": "secops"},
    )
    assert directory.tag_keys == ("team", "owner")
    assert result["accounts"] == len(directory) and result["location"] == LOCATION


def test_without_a_location_the_sync_fails_loudly(mocked_aws: None) -> None:
    with pytest.raises(ValueError, match="ACCOUNTS_LOCATION is not set"):
        sync({}, boto3.client("organizations"))
