"""Provenance of documents (object id, writer account) and the key-based checks, without an engine.

Key layouts from the AWS documentation and the CDK app (docs/deploy.md, "Trust model"):
organization trail ``<prefix>AWSLogs/<org id>/<account>/CloudTrail/<region>/...``, flow logs
``<prefix>AWSLogs/<account>/vpcflowlogs/...``, GuardDuty export
``<prefix>AWSLogs/<account>/GuardDuty/<region>/...``, member Firehose delivery
``<prefix>AWSLogs/<account>/firehose/<region>/...`` and ``firehose-errors/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.config import Settings, account_ids, from_env, source_prefixes
from ingest.provenance import (
    ACCOUNT_MISMATCH,
    SOURCE_MISMATCH,
    KeyOrigin,
    Provenance,
    ProvenanceLetter,
    key_origin,
    object_id,
)
from ingest.reader import ObjectIdentity
from normalizers import DeadLetter

PREFIXES = {
    "cloudtrail": "cloudtrail/",
    "vpcflow": "vpcflow/",
    "guardduty": "guardduty/",
    "securityhub": "sh/",
}
WHEN = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
ADMIN = "222222222222"


def _identity(location: str, version: str = "v1", **details: Any) -> ObjectIdentity:
    return ObjectIdentity(location, version, WHEN, **details)


def _document(account: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {"@timestamp": "2026-03-14T09:00:00Z", "event": {"id": "e"}}
    if account is not None:
        document["cloud"] = {"account": {"id": account}}
    return document


def _checked(location: str, items: list[tuple[str, Any]], **settings: Any) -> list[tuple[str, Any]]:
    provenance = Provenance(_identity(location), Settings(source_prefixes=PREFIXES, **settings))
    return list(provenance.checked(items))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "cloudtrail/AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/us-east-1/2026/03/14/f.json.gz",
            KeyOrigin("b", None, frozenset({"cloudtrail"}), "111111111111", False),
        ),
        (
            "cloudtrail/AWSLogs/111111111111/CloudTrail/us-east-1/2026/03/14/f.json.gz",
            KeyOrigin("b", None, frozenset({"cloudtrail"}), "111111111111", False),
        ),
        (
            "vpcflow/AWSLogs/333333333333/vpcflowlogs/eu-west-1/2026/03/14/f.log.gz",
            KeyOrigin("b", None, frozenset({"vpcflow"}), "333333333333", False),
        ),
        (  # flow logs delivered with Hive-compatible prefixes (docs: "S3 prefixes")
            "vpcflow/AWSLogs/aws-account-id=333333333333/aws-service=vpcflowlogs/aws-region=eu-west-1/"
            "year=2026/month=03/day=14/f.log.parquet",
            KeyOrigin("b", None, frozenset({"vpcflow"}), "333333333333", False),
        ),
        (
            "guardduty/AWSLogs/222222222222/GuardDuty/us-east-1/2026/03/14/f.jsonl.gz",
            KeyOrigin("b", None, frozenset({"guardduty"}), "222222222222", False),
        ),
        (
            "sh/AWSLogs/999999999999/firehose/us-east-1/2026/03/14/f.gz",
            KeyOrigin("b", None, frozenset({"securityhub"}), "999999999999", True),
        ),
        (
            "guardduty/AWSLogs/999999999999/firehose-errors/us-east-1/processing-failed/f.gz",
            KeyOrigin("b", None, frozenset({"guardduty"}), "999999999999", True),
        ),
        # Under a source prefix but not in the AWSLogs layout: the prefix is checked, no account.
        ("guardduty/manual/f.jsonl", KeyOrigin("b", None, frozenset({"guardduty"}), None, False)),
        # Under no configured prefix (a backfill of another layout): nothing checked, the
        # AWSLogs account folder still recorded, wherever it is.
        (
            "copies/AWSLogs/444444444444/firehose/us-east-1/f.gz",
            KeyOrigin("b", None, None, "444444444444", True),
        ),
        ("exports/f.json.gz", KeyOrigin("b", None, None, None, False)),
        # An account is 12 ASCII digits: other digits Unicode has (Arabic-Indic, fullwidth) name none.
        (
            "AWSLogs/\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662/CloudTrail/f.json",
            KeyOrigin("b"),
        ),
        (
            "sh/AWSLogs/\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11/firehose/f.gz",
            KeyOrigin("b", None, frozenset({"securityhub"})),
        ),
    ],
)
def test_the_key_says_which_prefix_and_account_it_is_under(key: str, expected: KeyOrigin) -> None:
    origin = key_origin(f"s3://b/{key}", PREFIXES)
    assert (origin.bucket, origin.sources, origin.account) == (
        expected.bucket,
        expected.sources,
        expected.account,
    )
    assert origin.key == key
    # Only keys under a configured prefix are held to the member delivery rule.
    assert origin.member_delivery == (expected.member_delivery and expected.sources is not None)


def test_a_local_file_has_no_key_and_nothing_is_checked() -> None:
    assert key_origin("/data/securityhub/AWSLogs/999999999999/firehose/x.json", PREFIXES) == KeyOrigin()
    [(source, document)] = _checked(
        "/data/sh/AWSLogs/999999999999/firehose/x.json", [("cloudtrail", _document("1"))]
    )
    assert source == "cloudtrail" and "account" not in document["siem"]["object"]


def test_object_ids_are_16_url_safe_characters_that_change_with_the_version() -> None:
    first = object_id(_identity("s3://b/k", "v1"))
    assert len(first) == 16 and len(first.encode()) == 16
    assert first.replace("-", "").replace("_", "").isalnum()
    assert first == object_id(_identity("s3://b/k", "v1"))
    assert first != object_id(_identity("s3://b/k", "v2"))
    assert first != object_id(_identity("s3://b/k2", "v1"))


def test_content_of_another_source_than_its_prefix_is_dead_lettered() -> None:
    location = "s3://b/sh/AWSLogs/999999999999/firehose/us-east-1/2026/03/14/f.gz"
    [(source, letter)] = _checked(location, [("cloudtrail", _document("000000000001"))])
    assert source == "cloudtrail"
    assert isinstance(letter, ProvenanceLetter)
    assert letter.reason == f"{SOURCE_MISMATCH}: cloudtrail record under the securityhub prefix"
    assert (letter.object, letter.position) == (location, "record 0")
    assert letter.to_json()["stage"] == "provenance"
    assert b'"000000000001"' in letter.raw  # the refused document, kept


def test_member_delivery_may_only_speak_for_its_own_account() -> None:
    location = "s3://b/guardduty/AWSLogs/333333333333/firehose/us-east-1/2026/03/14/f.gz"
    items = [("guardduty", _document("333333333333")), ("guardduty", _document("444444444444"))]
    own, other = _checked(location, items)
    assert not isinstance(own[1], DeadLetter) and own[1]["siem"]["object"]["account"] == "333333333333"
    assert isinstance(other[1], ProvenanceLetter)
    assert other[1].reason == (
        f"{ACCOUNT_MISMATCH}: record of account 444444444444 delivered by account 333333333333"
    )
    assert other[1].position == "record 1"
    [(_, nameless)] = _checked(location, [("guardduty", _document(None))])
    assert isinstance(nameless, ProvenanceLetter) and "record of account none" in nameless.reason


def test_a_delegated_administrator_carries_other_accounts_findings() -> None:
    location = f"s3://b/sh/AWSLogs/{ADMIN}/firehose/us-east-1/2026/03/14/f.gz"
    items = [("securityhub", _document("444444444444")), ("securityhub", _document("555555555555"))]
    checked = _checked(location, items, delegated_admin_account_ids=frozenset({ADMIN}))
    assert [document["siem"]["object"]["account"] for _, document in checked] == [ADMIN, ADMIN]
    # ... but still only its prefix's source.
    [(_, letter)] = _checked(
        location, [("cloudtrail", _document("444444444444"))], delegated_admin_account_ids=frozenset({ADMIN})
    )
    assert isinstance(letter, ProvenanceLetter) and letter.reason.startswith(SOURCE_MISMATCH)


def test_service_deliveries_are_not_held_to_the_member_rule() -> None:
    # The GuardDuty export of the delegated administrator and the organization trail carry
    # other accounts' records by design; the bucket policy admits only the services there.
    export = f"s3://b/guardduty/AWSLogs/{ADMIN}/GuardDuty/us-east-1/2026/03/14/f.jsonl.gz"
    trail = "s3://b/cloudtrail/AWSLogs/o-a1b2c3d4e5/111111111111/CloudTrail/us-east-1/2026/03/14/f.json.gz"
    assert not isinstance(_checked(export, [("guardduty", _document("444444444444"))])[0][1], DeadLetter)
    assert not isinstance(_checked(trail, [("cloudtrail", _document("666666666666"))])[0][1], DeadLetter)


def test_the_first_document_carries_the_object_details_the_others_only_its_id() -> None:
    identity = _identity(
        "s3://logs/cloudtrail/AWSLogs/111111111111/CloudTrail/us-east-1/2026/03/14/f.json.gz",
        "3HL4kqtJvjVBH40Nrjfkd",
        version_id="3HL4kqtJvjVBH40Nrjfkd",
        etag="d41d8cd98f00b204e9800998ecf8427e",
        size=2048,
    )
    letter = DeadLetter("cloudtrail", "invalid JSON", identity.location, "record 0", b"{")
    items = [("cloudtrail", letter), ("cloudtrail", _document("1")), ("cloudtrail", _document("1"))]
    checked = list(Provenance(identity, Settings()).checked(items))
    assert checked[0] == ("cloudtrail", letter)
    oid = object_id(identity)
    assert checked[1][1]["siem"] == {
        "object": {
            "id": oid,
            "account": "111111111111",
            "bucket": "logs",
            "key": "cloudtrail/AWSLogs/111111111111/CloudTrail/us-east-1/2026/03/14/f.json.gz",
            "version_id": "3HL4kqtJvjVBH40Nrjfkd",
            "etag": "d41d8cd98f00b204e9800998ecf8427e",
            "size": 2048,
        }
    }
    assert checked[2][1]["siem"] == {"object": {"id": oid, "account": "111111111111"}}


def test_a_replayed_document_keeps_the_provenance_it_was_first_given() -> None:
    document = _document("1")
    document["siem"] = {"object": {"id": "AAAAAAAAAAAAAAAA", "account": "111111111111"}}
    [(_, replayed)] = _checked("/tmp/dead-letters/cloudtrail/x.jsonl", [("cloudtrail", document)])
    assert replayed["siem"] == {"object": {"id": "AAAAAAAAAAAAAAAA", "account": "111111111111"}}


def test_provenance_settings_from_the_environment() -> None:
    settings = from_env(
        {"DELEGATED_ADMIN_ACCOUNT_IDS": " 222222222222,333333333333 ", "SOURCE_PREFIXES": "securityhub=sh/"}
    )
    assert settings.delegated_admin_account_ids == {"222222222222", "333333333333"}
    assert settings.source_prefixes["securityhub"] == "sh/"
    assert settings.source_prefixes["cloudtrail"] == "cloudtrail/"  # the default
    assert from_env({}).delegated_admin_account_ids == frozenset()
    assert account_ids("") == frozenset()
    with pytest.raises(ValueError, match="12-digit"):
        account_ids("12345")
    for wrong in ("securityhub", "unknown=x/", "cloudtrail=no-slash"):
        with pytest.raises(ValueError, match="SOURCE_PREFIXES"):
            source_prefixes(wrong)


def test_a_refused_document_the_encoder_cannot_write_is_kept_as_its_record() -> None:
    # A document nested past orjson's 254 levels, refused by its key: its dead letter keeps the
    # record's own bytes (event.original) instead of ending the object with a TypeError.
    location = "s3://b/sh/AWSLogs/999999999999/firehose/us-east-1/2026/03/14/f.gz"
    document = _document("000000000001")
    document["event"]["original"] = '{"deep": "record"}'
    nested: dict[str, Any] = {}
    document["aws"] = nested
    for _ in range(300):
        nested["a"] = nested = {}
    [(_, letter)] = _checked(location, [("cloudtrail", document)])
    assert isinstance(letter, ProvenanceLetter)
    assert letter.reason.startswith(SOURCE_MISMATCH)
    assert letter.raw == b'{"deep": "record"}'
