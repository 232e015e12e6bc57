"""Enriching normalized documents: the fields of docs/enrichment.md on real normalizer output."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest

from enrichment.account_store import CachedDirectory
from enrichment.accounts import Account, AccountDirectory
from enrichment.enrich import Enricher, EnrichmentSettings
from enrichment.geoip import GeoIp
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import GOLDEN
from tests.enrichment.conftest import PAYMENTS
from tests.enrichment.mmdb import asn_database, city_database

SECURITY = Account(
    id="444455556666", name="security-tooling", ou_path="Root/Security", tags={"owner": "secops"}
)
NETWORK = Account(
    id="777788889999", name="shared-network", ou_path="Root/Infrastructure", tags={"team": "net"}
)
DIRECTORY = AccountDirectory([PAYMENTS, SECURITY, NETWORK])


def normalized(raw: bytes | dict[str, Any]) -> list[dict[str, Any]]:
    data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    items = list(
        normalize_object(io.BytesIO(data), Origin(object="test", ingested="2026-01-01T00:00:00.000Z"))
    )
    assert not [item for item in items if isinstance(item, DeadLetter)]
    return items  # type: ignore[return-value]


def cloudtrail(**changes: Any) -> dict[str, Any]:
    """A cross-account call as the CloudTrail docs show one: a role session of 444455556666
    calling into 111122223333 with the AWS CLI."""
    record = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEID:audit",
            "arn": "arn:aws:sts::444455556666:assumed-role/Auditor/audit",
            "accountId": "444455556666",
            "accessKeyId": "ASIAEXAMPLEKEY",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEID",
                    "arn": "arn:aws:iam::444455556666:role/Auditor",
                    "accountId": "444455556666",
                    "userName": "Auditor",
                },
                "attributes": {"creationDate": "2026-01-01T09:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": "2026-01-01T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "8.8.8.8",
        "userAgent": "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-kali2-amd64 md/arch#x86_64 "
        "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off "
        "md/command#s3.ls",
        "requestParameters": None,
        "responseElements": None,
        "eventID": "0a0b0c0d-0000-4000-8000-000000000001",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }
    record.update(changes)
    return record


def test_cross_account_cloudtrail_call() -> None:
    [document] = normalized(cloudtrail())
    Enricher(DIRECTORY).enrich(document)
    assert document["cloud"]["account"] == {"id": "111122223333", "name": "prod-payments"}
    assert document["aws"]["account"] == {
        "ou_path": "Root/Workloads/Prod",
        "tags": {"owner": "payments-team", "environment": "prod"},
    }
    identity = document["aws"]["cloudtrail"]["user_identity"]
    # The caller's account is another one: its context sits beside its id.
    assert identity["account_name"] == "security-tooling"
    assert identity["account_ou_path"] == "Root/Security"
    assert identity["account_tags"] == {"owner": "secops"}
    # The session's issuer is the role, in the caller's account: described once, above.
    issuer = identity["session_context"]["session_issuer"]
    assert not {"account_name", "account_ou_path", "account_tags"} & set(issuer)
    # 8.8.8.8 is in Google's ARIN-assigned block.
    assert document["source"] == {"ip": "8.8.8.8", "geo": {"country_iso_code": "US"}}
    assert document["user_agent"] == {
        "original": cloudtrail()["userAgent"],
        "name": "aws-cli",
        "version": "2.15.30",
        "os": {"name": "Linux", "version": "6.5.0-kali2-amd64"},
    }
    assert document["aws"]["user_agent"] == {
        "tool": {"type": "cli", "name": "aws-cli"},
        "command": "s3.ls",
        "flags": ["pentest_distribution"],
    }


def test_a_caller_of_the_same_account_is_described_once() -> None:
    identity = dict(cloudtrail()["userIdentity"], accountId="111122223333")
    [document] = normalized(cloudtrail(userIdentity=identity))
    Enricher(DIRECTORY).enrich(document)
    written = document["aws"]["cloudtrail"]["user_identity"]
    assert not {"account_name", "account_ou_path", "account_tags"} & set(written)
    assert document["cloud"]["account"]["name"] == "prod-payments"


def test_resources_of_other_accounts() -> None:
    resources = [
        {
            "ARN": "arn:aws:iam::444455556666:role/Auditor",
            "accountId": "444455556666",
            "type": "AWS::IAM::Role",
        },
        {"ARN": "arn:aws:s3:::payments-data", "accountId": "111122223333", "type": "AWS::S3::Bucket"},
        {"ARN": "arn:aws:s3:::partner-data", "accountId": "999999999999", "type": "AWS::S3::Bucket"},
        {"ARN": "arn:aws:s3:::network-logs", "accountId": "777788889999", "type": "AWS::S3::Bucket"},
        {"ARN": "arn:aws:s3:::network-archive", "accountId": "777788889999", "type": "AWS::S3::Bucket"},
    ]
    [document] = normalized(cloudtrail(resources=resources))
    Enricher(DIRECTORY).enrich(document)
    caller, own, outside, network, again = document["aws"]["cloudtrail"]["resources"]
    assert "account_name" not in caller  # the caller's account, described beside the caller
    assert "account_name" not in own  # the document's own account
    assert "account_name" not in outside  # not in the organization
    assert (network["account_name"], network["account_ou_path"]) == ("shared-network", "Root/Infrastructure")
    assert network["account_tags"] == {"team": "net"}
    assert "account_name" not in again  # each account is described once per document


def test_an_account_outside_the_directory_gets_nothing() -> None:
    [document] = normalized(cloudtrail(recipientAccountId="999999999999"))
    Enricher(DIRECTORY).enrich(document)
    assert document["cloud"]["account"] == {"id": "999999999999"}
    assert "account" not in document["aws"]


def test_private_and_service_sources_are_labelled_not_located() -> None:
    [private] = normalized(cloudtrail(sourceIPAddress="10.1.2.3"))
    [service] = normalized(cloudtrail(sourceIPAddress="ec2.amazonaws.com", userAgent="ec2.amazonaws.com"))
    enricher = Enricher(DIRECTORY)
    enricher.enrich(private)
    enricher.enrich(service)
    assert private["source"] == {"ip": "10.1.2.3"}
    assert private["aws"]["source"] == {"scope": "private"}
    assert service["source"] == {"address": "ec2.amazonaws.com", "domain": "ec2.amazonaws.com"}
    assert service["aws"]["source"] == {"scope": "aws_service"}
    assert service["aws"]["user_agent"] == {"tool": {"type": "aws_service", "name": "ec2.amazonaws.com"}}


def test_geo_from_guardduty_is_kept() -> None:
    [document] = normalized((GOLDEN / "guardduty" / "api-get-findings" / "input.json").read_bytes())
    given = json.loads(json.dumps(document["source"]))
    Enricher(DIRECTORY).enrich(document)
    assert document["source"] == given  # GuardDuty's geo (DE, Frankfurt) and AS stay as they are
    # The finding's account and the instance's private address are described.
    assert document["cloud"]["account"]["name"] == "security-tooling"
    assert document["aws"]["destination"] == {"scope": "private"}
    assert "geo" not in document["destination"]


def test_city_and_network_from_databases(tmp_path: Path) -> None:
    enricher = Enricher(DIRECTORY, GeoIp(city_database(tmp_path), asn_database(tmp_path)))
    [document] = normalized(cloudtrail(sourceIPAddress="81.2.69.142"))
    enricher.enrich(document)
    assert document["source"] == {
        "ip": "81.2.69.142",
        "geo": {
            "country_iso_code": "GB",
            "country_name": "United Kingdom",
            "region_name": "England",
            "city_name": "London",
            "location": {"lat": 51.5142, "lon": -0.0931},
        },
        "as": {"number": 20712, "organization": {"name": "Andrews & Arnold Ltd"}},
    }


def test_flow_destinations_are_enriched() -> None:
    flows = (
        b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
        b"2 111122223333 eni-1235b8ca123456789 172.31.16.139 1.1.1.1 49761 443 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
    )
    [document] = normalized(flows)
    Enricher(DIRECTORY).enrich(document)
    assert document["cloud"]["account"]["name"] == "prod-payments"
    assert document["aws"]["source"] == {"scope": "private"}
    assert document["destination"]["geo"] == {"country_iso_code": "AU"}  # APNIC's 1.1.1.0/24


def test_documents_share_the_cached_values_but_never_the_directory() -> None:
    """The contract (enrichment/enrich.py): an enriched document is read-only, encoded at once,
    so documents of one account, address and agent share the cached values instead of paying
    a copy each; the account directory itself is never reachable from a document."""
    first, second = normalized(cloudtrail()) + normalized(cloudtrail())
    enricher = Enricher(DIRECTORY)
    enricher.enrich(first)
    enricher.enrich(second)
    assert orjson.dumps(first) == orjson.dumps(second)
    assert second["aws"]["account"]["tags"] == {"owner": "payments-team", "environment": "prod"}
    assert second["aws"]["user_agent"]["flags"] == ["pentest_distribution"]
    first["aws"]["account"]["tags"]["owner"] = "changed"  # what a caller must not do
    assert PAYMENTS.tags == {"owner": "payments-team", "environment": "prod"}


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"cloud": "aws", "source": [], "user_agent": 5, "aws": []},
        {"cloud": {"account": ["111122223333"]}, "source": {"ip": 8}, "destination": {"ip": "not an ip"}},
        {
            "cloud": {"account": {"id": 111122223333}},
            "aws": {"cloudtrail": {"user_identity": "x", "resources": [1, None]}},
        },
        {"user_agent": {"original": None}, "aws": {"cloudtrail": []}},
        {
            "cloud": {"account": {"id": ["111122223333"]}},
            "aws": {"guardduty": {"user_identity": {"account_id": {}}}},
        },
    ],
)
def test_odd_documents_are_left_alone(document: dict[str, Any]) -> None:
    before = json.dumps(document)
    enricher = Enricher(DIRECTORY)
    assert enricher.enrich(document) is document
    assert json.dumps(document) == before
    assert enricher.failures == 0


def test_a_failing_step_never_stops_the_document(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        resolved: ClassVar[dict[str, Any]] = {}  # nothing cached: every address is resolved

        def resolve(self, address: str) -> Any:
            raise RuntimeError("database went away")

    enricher = Enricher(DIRECTORY, geoip=Broken())  # type: ignore[arg-type]
    [document] = normalized(cloudtrail())
    assert enricher.enrich(document) is document
    assert enricher.failures == 1
    assert "database went away" in caplog.text
    assert document["cloud"]["account"]["name"] == "prod-payments"  # done before the failure


def test_a_new_sync_replaces_what_documents_get() -> None:
    class Store:
        location = "memory"
        directory = AccountDirectory([PAYMENTS])

        def read(self, known_version: str | None = None) -> tuple[AccountDirectory, str]:
            return self.directory, str(id(self.directory))

        def write(self, directory: AccountDirectory) -> None:
            self.directory = directory

    now = [0.0]
    store = Store()
    enricher = Enricher(CachedDirectory(store, ttl=60, clock=lambda: now[0]))
    [before] = normalized(cloudtrail())
    enricher.enrich(before)
    store.write(AccountDirectory([Account(id="111122223333", name="payments-renamed")]))
    now[0] = 60
    [after] = normalized(cloudtrail())
    enricher.enrich(after)
    assert (before["cloud"]["account"]["name"], after["cloud"]["account"]["name"]) == (
        "prod-payments",
        "payments-renamed",
    )
    assert "account" not in after["aws"]  # the new directory has no OU path or tags for it


def test_settings_from_the_environment(tmp_path: Path) -> None:
    settings = EnrichmentSettings.from_env(
        {
            "ACCOUNTS_LOCATION": "s3://siem-state/enrichment/accounts.json",
            "ACCOUNTS_TTL_SECONDS": "120",
            "GEOIP_CITY_DATABASE": "/opt/geo/dbip-city-lite.mmdb",
            "GEOIP_ASN_DATABASE": "/opt/geo/dbip-asn-lite.mmdb",
        }
    )
    assert settings == EnrichmentSettings(
        enabled=True,
        accounts_location="s3://siem-state/enrichment/accounts.json",
        accounts_ttl=120.0,
        geoip_city_database=Path("/opt/geo/dbip-city-lite.mmdb"),
        geoip_asn_database=Path("/opt/geo/dbip-asn-lite.mmdb"),
    )
    assert not EnrichmentSettings.from_env({"ENRICHMENT": "off"}).enabled
    with pytest.raises(ValueError, match="ACCOUNTS_TTL_SECONDS must be a number of seconds, not 'soon'"):
        EnrichmentSettings.from_env({"ACCOUNTS_TTL_SECONDS": "soon"})
    assert Enricher.from_settings(EnrichmentSettings(enabled=False)) is None
    # The CLI falls back to the file `siem accounts sync` writes, when there is one.
    state = {"XDG_STATE_HOME": str(tmp_path)}
    assert EnrichmentSettings.from_env(state, local_default=True).accounts_location is None
    DIRECTORY.save(tmp_path / "siem" / "accounts.json")
    local = EnrichmentSettings.from_env(state, local_default=True)
    assert local.accounts_location == str(tmp_path / "siem" / "accounts.json")
    enricher = Enricher.from_settings(local)
    assert enricher is not None
    [document] = normalized(cloudtrail())
    enricher.enrich(document)
    assert document["cloud"]["account"]["name"] == "prod-payments"


@pytest.mark.parametrize(
    ("source", "block", "holder_path", "key"),
    [
        ("cloudtrail", {"vpc_endpoint_account_id": "444455556666"}, (), "vpc_endpoint_account_"),
        (
            "guardduty",
            {"user_identity": {"account_id": "444455556666"}},
            ("user_identity",),
            "account_",
        ),
        ("securityhub_findings", {"envelope_account_id": "444455556666"}, (), "envelope_account_"),
        ("securityhub_findings", {"product": {"account_id": "444455556666"}}, ("product",), "account_"),
        (
            "securityhub_findings",
            {"user_identity": {"session_context": {"session_issuer": {"account_id": "444455556666"}}}},
            ("user_identity", "session_context", "session_issuer"),
            "account_",
        ),
        ("vpcflow", {"tgw_src_vpc_account_id": "444455556666"}, (), "tgw_src_vpc_account_"),
        ("vpcflow", {"tgw_dst_vpc_account_id": "444455556666"}, (), "tgw_dst_vpc_account_"),
    ],
)
def test_every_account_field_of_the_schema(
    source: str, block: dict[str, Any], holder_path: tuple[str, ...], key: str
) -> None:
    """The account ids docs/schema.md lists for each source, as the normalizers name them."""
    document: dict[str, Any] = {"cloud": {"account": {"id": "111122223333"}}, "aws": {source: block}}
    Enricher(DIRECTORY).enrich(document)
    holder = document["aws"][source]
    for step in holder_path:
        holder = holder[step]
    assert holder[key + "name"] == "security-tooling"
    assert holder[key + "ou_path"] == "Root/Security"
    assert holder[key + "tags"] == {"owner": "secops"}
