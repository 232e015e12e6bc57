"""``siem accounts sync`` and ``siem accounts list`` against moto's Organizations and S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from siem_cli.main import main

pytestmark = pytest.mark.integration


@pytest.fixture
def organization(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Root / Workloads / Prod holding prod-payments (tagged Owner), and dev-shared under the root."""
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ACCOUNTS_LOCATION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("organizations")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        workloads = client.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"][
            "Id"
        ]
        prod = client.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]

        def account(name: str, tags: list[dict[str, str]]) -> str:
            status = client.create_account(AccountName=name, Email=f"{name}@Example.com", Tags=tags)
            return str(status["CreateAccountStatus"]["AccountId"])

        payments = account("prod-payments", [{"Key": "Owner", "Value": "payments-team"}])
        client.move_account(AccountId=payments, SourceParentId=root, DestinationParentId=prod)
        dev = account("dev-shared", [{"Key": "team", "Value": "platform"}])
        yield {"payments": payments, "dev": dev}


def _accounts(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {account["name"]: account for account in document["accounts"]}


def test_sync_writes_the_default_file_and_list_shows_it(
    organization: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["accounts", "sync", "--tag", "owner"]) == 0
    written = tmp_path / "state" / "siem" / "accounts.json"
    document = json.loads(written.read_text())
    accounts = _accounts(document)
    payments = accounts["prod-payments"]
    assert payments["id"] == organization["payments"]
    assert payments["ou_path"] == "Root/Workloads/Prod"
    assert payments["tags"] == {"owner": "payments-team"}
    assert payments["email_domain"] == "example.com"
    assert "tags" not in accounts["dev-shared"]  # team is not a selected key here
    assert document["tag_keys"] == ["owner"]
    capsys.readouterr()

    assert main(["accounts", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ACCOUNT", "NAME", "STATUS", "OU", "PATH", "TAGS"]
    row = next(line for line in out if line.startswith(organization["payments"]))
    assert row.split() == [
        organization["payments"],
        "prod-payments",
        "ACTIVE",
        "Root/Workloads/Prod",
        "owner=payments-team",
    ]

    assert main(["accounts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == document


def test_sync_to_s3_and_list_from_it(
    organization: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("s3").create_bucket(Bucket="siem-state")
    location = "s3://siem-state/enrichment/accounts.json"
    assert main(["accounts", "sync", "--to", location]) == 0
    assert f"written to {location}" in capsys.readouterr().err
    assert main(["accounts", "list", "--from", location, "--json"]) == 0
    accounts = _accounts(json.loads(capsys.readouterr().out))
    assert accounts["dev-shared"]["tags"] == {"team": "platform"}  # a default key
    assert accounts["dev-shared"]["ou_path"] == "Root"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["accounts", "list"], "no account directory (run `siem accounts sync`)"),
        (["accounts", "sync", "--to", "s3://no-such-bucket-here/accounts.json"], "NoSuchBucket"),
        (["accounts", "sync", "--to", "s3://bucket-without-key"], "an S3 location is s3://bucket/key"),
        (["accounts", "sync", "--profile", "no-such-profile"], "no-such-profile"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    organization: dict[str, str], argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"siem accounts {argv[1]}: ")
    assert message in err


def test_list_of_a_file_that_is_not_a_directory_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('{"accounts": []}')
    assert main(["accounts", "list", "--from", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"siem accounts list: {path}: not an account directory (expected format 'siem-accounts/1')\n"
    )


def test_sync_outside_an_organization_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        assert main(["accounts", "sync", "--to", str(tmp_path / "a.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("siem accounts sync: AWSOrganizationsNotInUseException") and err.count("\n") == 1
