"""The account directory: its JSON document, the local file and S3 stores, the per-container cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from enrichment.account_store import CachedDirectory, LocalFileStore, S3ObjectStore, open_store
from enrichment.accounts import Account, AccountDirectory, DirectoryError, default_path, email_domain
from tests.enrichment.conftest import PAYMENTS

SANDBOX = Account(id="444455556666", name="sandbox", ou_path="Root/Sandbox")


def directory() -> AccountDirectory:
    return AccountDirectory(
        [SANDBOX, PAYMENTS],
        synced_at="2026-01-02T03:04:05Z",
        organization_id="o-a1b2c3d4e5",
        tag_keys=["owner"],
    )


def test_lookup_by_id() -> None:
    accounts = directory()
    assert accounts.get("111122223333") is PAYMENTS
    assert accounts.get("999999999999") is None
    assert accounts.get(111122223333) is None  # ids are strings in every document
    assert len(accounts) == 2


def test_listing_order_is_ou_path_then_name() -> None:
    assert [account.id for account in directory()] == ["444455556666", "111122223333"]


def test_email_domain_never_keeps_the_address() -> None:
    assert email_domain("aws+prod-payments@Example.COM") == "example.com"
    assert email_domain("no-at-sign") is None
    assert email_domain(None) is None


def test_document_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "accounts.json"
    directory().save(path)
    assert AccountDirectory.load(path) == directory()
    assert list(tmp_path.joinpath("nested").iterdir()) == [path]  # no temporary file left


def test_document_shape_is_the_documented_one() -> None:
    written = directory().to_json()
    assert written["format"] == "siem-accounts/1"
    assert written["accounts"][1] == {
        "id": "111122223333",
        "name": "prod-payments",
        "email_domain": "example.com",
        "status": "ACTIVE",
        "ou_path": "Root/Workloads/Prod",
        "tags": {"owner": "payments-team", "environment": "prod"},
    }
    assert written["accounts"][0] == {"id": "444455556666", "name": "sandbox", "ou_path": "Root/Sandbox"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"accounts": []}', "not an account directory"),
        (b'{"format": "siem-accounts/1", "accounts": {}}', "'accounts' must be a list"),
        (b'{"format": "siem-accounts/1", "accounts": [{"id": "12"}]}', "12 digits"),
        (b'{"format": "siem-accounts/1", "accounts": [{"id": "111122223333", "name": 5}]}', "name must be"),
        (b'{"format": "siem-accounts/1", "accounts": [{"id": "111122223333", "tags": {"a": 1}}]}', "tags"),
    ],
)
def test_malformed_documents_are_refused_with_their_origin(content: bytes, message: str) -> None:
    with pytest.raises(DirectoryError, match=message) as raised:
        AccountDirectory.from_bytes(content, "accounts.json")
    assert str(raised.value).startswith("accounts.json: ")


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="siem accounts sync"):
        AccountDirectory.load(tmp_path / "absent.json")


def test_default_path_follows_xdg(tmp_path: Path) -> None:
    assert default_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "siem" / "accounts.json"
    assert default_path({}) == Path.home() / ".local" / "state" / "siem" / "accounts.json"
    # A relative XDG_STATE_HOME is invalid per the XDG base directory specification.
    assert default_path({"XDG_STATE_HOME": "relative"}) == Path.home() / ".local/state/siem/accounts.json"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    """A store that counts reads and can be made to fail."""

    location = "counting"

    def __init__(self, directory: AccountDirectory) -> None:
        self.directory = directory
        self.reads = 0
        self.error: Exception | None = None

    def read(self, known_version: str | None = None) -> tuple[AccountDirectory | None, str | None]:
        self.reads += 1
        if self.error:
            raise self.error
        return self.directory, "v1"

    def write(self, directory: AccountDirectory) -> None:
        self.directory = directory


def test_cache_reads_the_store_once_per_ttl() -> None:
    store, clock = CountingStore(directory()), Clock()
    cache = CachedDirectory(store, ttl=60, clock=clock)
    assert cache.current().get("111122223333") == PAYMENTS
    clock.now = 59.9
    cache.current()
    assert store.reads == 1
    clock.now = 60.0
    cache.current()
    assert store.reads == 2


def test_cache_keeps_its_copy_when_a_refresh_fails(caplog: pytest.LogCaptureFixture) -> None:
    store, clock = CountingStore(directory()), Clock()
    cache = CachedDirectory(store, ttl=60, clock=clock)
    cache.current()
    store.error = OSError("connection reset")
    clock.now = 61
    assert cache.current().get("111122223333") == PAYMENTS
    assert "not refreshed, keeping 2 accounts: connection reset" in caplog.text
    clock.now = 90  # not retried before the next ttl: a broken store is not asked per document
    cache.current()
    assert store.reads == 2


def test_cache_is_empty_until_a_first_read_succeeds() -> None:
    store = CountingStore(directory())
    store.error = DirectoryError("counting: no account directory")
    assert len(CachedDirectory(store, clock=Clock()).current()) == 0


def test_local_file_store_rereads_only_a_changed_file(tmp_path: Path) -> None:
    store = open_store(tmp_path / "accounts.json")
    assert isinstance(store, LocalFileStore)
    store.write(directory())
    first, version = store.read()
    assert first == directory()
    assert store.read(version) == (None, version)
    store.write(AccountDirectory([SANDBOX]))
    changed, _ = store.read(version)
    assert changed is not None and len(changed) == 1


@pytest.fixture
def s3(mocked_aws: None) -> Any:
    client = boto3.client("s3")
    client.create_bucket(Bucket="siem-state")
    return client


@pytest.mark.integration
def test_s3_store_round_trip_and_conditional_read(s3: Any) -> None:
    store = open_store("s3://siem-state/enrichment/accounts.json", s3)
    assert isinstance(store, S3ObjectStore)
    with pytest.raises(DirectoryError, match="has the sync run"):
        store.read()
    store.write(directory())
    read, etag = store.read()
    assert read == directory()
    assert etag
    assert store.read(etag) == (None, etag)  # 304 Not Modified: nothing transferred


@pytest.mark.integration
def test_s3_store_through_the_cache_picks_up_a_new_sync(s3: Any) -> None:
    store, clock = open_store("s3://siem-state/accounts.json", s3), Clock()
    store.write(AccountDirectory([SANDBOX]))
    cache = CachedDirectory(store, ttl=300, clock=clock)
    assert cache.current().get("111122223333") is None
    store.write(directory())
    clock.now = 300
    assert cache.current().get("111122223333") == PAYMENTS


def test_s3_location_must_name_a_key() -> None:
    with pytest.raises(ValueError, match="s3://bucket/key"):
        open_store("s3://only-a-bucket", s3=object())
