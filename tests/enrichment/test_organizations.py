"""Syncing the account directory from AWS Organizations (moto; botocore's Stubber for pagination
and the ``Paths`` shortcut, which moto does not serve)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from enrichment.organizations import organizations_client, sync_from_organizations

pytestmark = pytest.mark.integration

FIXED_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def counting(client: Any) -> Counter[str]:
    """Count the API calls the client makes, by operation name."""
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.organizations.*", lambda model, **_: calls.update([model.name]))
    return calls


@pytest.fixture
def organization(mocked_aws: None) -> Iterator[dict[str, Any]]:
    """An organization: Root / Workloads / {Prod, Dev} and Root / Sandbox, with tagged accounts."""
    client = boto3.client("organizations")
    organization_id = client.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = client.list_roots()["Roots"][0]["Id"]

    def unit(parent: str, name: str) -> str:
        created = client.create_organizational_unit(ParentId=parent, Name=name)
        return str(created["OrganizationalUnit"]["Id"])

    def account(name: str, email: str, parent: str, tags: dict[str, str]) -> str:
        status = client.create_account(
            AccountName=name, Email=email, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )["CreateAccountStatus"]
        account_id = str(status["AccountId"])
        if parent != root:
            client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        return account_id

    workloads = unit(root, "Workloads")
    prod, dev = unit(workloads, "Prod"), unit(workloads, "Dev")
    sandbox = unit(root, "Sandbox")
    ids = {
        "payments": account(
            "prod-payments",
            "aws+prod-payments@Example.COM",
            prod,
            # Key case differs from the configured keys; CostCenter is not a selected key.
            {"Owner": "payments-team", "ENVIRONMENT": "prod", "CostCenter": "x", "cost-center": "cc-42"},
        ),
        "search": account("prod-search", "aws+search@example.com", prod, {"team": "search"}),
        "dev": account("dev-shared", "dev@dev.example.org", dev, {}),
        "sandbox": account("sandbox-alice", "alice@example.com", sandbox, {"owner": "alice"}),
        "loose": account("loose", "loose@example.com", root, {}),
    }
    yield {"client": client, "ids": ids, "organization_id": organization_id}


def test_accounts_with_names_email_domains_ou_paths_and_selected_tags(organization: dict[str, Any]) -> None:
    directory = sync_from_organizations(organization["client"], now=lambda: FIXED_NOW)
    ids = organization["ids"]
    payments = directory.get(ids["payments"])
    assert payments is not None
    assert (payments.name, payments.email_domain, payments.status, payments.ou_path) == (
        "prod-payments",
        "example.com",
        "ACTIVE",
        "Root/Workloads/Prod",
    )
    # The default selection: owner and team (environment and cost-center are tagged, not copied).
    assert dict(payments.tags) == {"owner": "payments-team"}
    assert dict(directory.get(ids["search"]).tags) == {"team": "search"}  # type: ignore[union-attr]
    assert directory.get(ids["dev"]).ou_path == "Root/Workloads/Dev"  # type: ignore[union-attr]
    assert directory.get(ids["dev"]).email_domain == "dev.example.org"  # type: ignore[union-attr]
    assert directory.get(ids["sandbox"]).ou_path == "Root/Sandbox"  # type: ignore[union-attr]
    assert directory.get(ids["loose"]).ou_path == "Root"  # type: ignore[union-attr]
    assert directory.synced_at == "2026-01-02T03:04:05Z"
    assert directory.organization_id == organization["organization_id"]
    assert directory.tag_keys == ("owner", "team")
    # The management account that created the organization is listed too.
    assert len(directory) == 6


def test_each_ou_is_described_once(organization: dict[str, Any]) -> None:
    client = organization["client"]
    calls = counting(client)
    sync_from_organizations(client)
    # Four OUs (Workloads, Prod, Dev, Sandbox) for five accounts under them or the root.
    assert calls["DescribeOrganizationalUnit"] == 4
    # One per account (6) plus one per OU, to walk up: never repeated.
    assert calls["ListParents"] == 6 + 4
    assert calls["ListTagsForResource"] == 6
    assert calls["ListRoots"] == 1


def test_configured_tag_keys_match_any_case(organization: dict[str, Any]) -> None:
    directory = sync_from_organizations(organization["client"], tag_keys=["  OWNER ", "Environment"])
    payments = directory.get(organization["ids"]["payments"])
    assert payments is not None
    assert dict(payments.tags) == {"owner": "payments-team", "environment": "prod"}
    assert directory.tag_keys == ("owner", "environment")


def test_throttled_calls_are_retried(organization: dict[str, Any]) -> None:
    """Organizations answers ``TooManyRequestsException`` (HTTP 400) when called too fast: the
    client from ``organizations_client`` waits and tries again instead of failing the sync."""
    client = organizations_client(boto3.Session())
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 10}
    throttled: list[str] = []

    def throttle_first_call(request: Any, **_: Any) -> AWSResponse | None:
        if throttled:
            return None  # moto answers
        throttled.append(request.url)
        body = b'{"__type":"TooManyRequestsException","Message":"AWS Organizations can\'t complete your request"}'
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

    client.meta.events.register_first("before-send.organizations.ListRoots", throttle_first_call)
    calls = counting(client)
    directory = sync_from_organizations(client)
    assert throttled and calls["ListRoots"] == 1  # one call, answered on its second attempt
    assert directory.get(organization["ids"]["payments"]) is not None


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _account(account_id: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": account_id,
        "Arn": f"arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/{account_id}",
        "Email": f"{name}@example.com",
        "Name": name,
        "State": "SUSPENDED" if name == "old" else "ACTIVE",
        **extra,
    }


def test_pages_are_followed_and_paths_spare_the_parent_calls() -> None:
    """Two pages of ListAccounts and of tags; the second account's ``Paths`` (the documented
    ``o-.../r-.../ou-.../<account>/`` form) makes ListParents unnecessary for it."""
    client = boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    root_arn = "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-ab12"
    with Stubber(client) as stub:
        stub.add_response("list_roots", {"Roots": [{"Id": "r-ab12", "Arn": root_arn, "Name": "Root"}]})
        stub.add_response(
            "list_accounts", {"Accounts": [_account("222233334444", "old")], "NextToken": "page-2"}, {}
        )
        stub.add_response(
            "list_parents",
            {"Parents": [{"Id": "ou-ab12-11111111", "Type": "ORGANIZATIONAL_UNIT"}]},
            {"ChildId": "222233334444"},
        )
        stub.add_response(
            "describe_organizational_unit",
            {"OrganizationalUnit": {"Id": "ou-ab12-11111111", "Name": "Suspended"}},
            {"OrganizationalUnitId": "ou-ab12-11111111"},
        )
        stub.add_response(
            "list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": "ou-ab12-11111111"}
        )
        stub.add_response(
            "list_tags_for_resource",
            {"Tags": [{"Key": "Team", "Value": "none"}], "NextToken": "tags-2"},
            {"ResourceId": "222233334444"},
        )
        stub.add_response(
            "list_tags_for_resource",
            {"Tags": [{"Key": "Owner", "Value": "legacy"}]},
            {"ResourceId": "222233334444", "NextToken": "tags-2"},
        )
        paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/ou-ab12-33333333/555566667777/"]
        stub.add_response(
            "list_accounts",
            {"Accounts": [_account("555566667777", "analytics", Paths=paths)]},
            {"NextToken": "page-2"},
        )
        for unit, name in (("ou-ab12-33333333", "Data"), ("ou-ab12-22222222", "Workloads")):
            stub.add_response(
                "describe_organizational_unit",
                {"OrganizationalUnit": {"Id": unit, "Name": name}},
                {"OrganizationalUnitId": unit},
            )
        stub.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceId": "555566667777"})
        directory = sync_from_organizations(client, tag_keys=["owner", "team"])
        stub.assert_no_pending_responses()
    old = directory.get("222233334444")
    assert old is not None
    assert (old.status, old.ou_path, dict(old.tags)) == (
        "SUSPENDED",
        "Root/Suspended",
        {"owner": "legacy", "team": "none"},
    )
    analytics = directory.get("555566667777")
    assert analytics is not None
    assert analytics.ou_path == "Root/Workloads/Data"
    assert directory.organization_id == "o-a1b2c3d4e5"
