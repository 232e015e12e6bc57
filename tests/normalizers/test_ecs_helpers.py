"""The helpers every source's mapping shares (normalizers/ecs/): one rule each."""

from __future__ import annotations

from typing import Any

import pytest

from normalizers.ecs import timestamps
from normalizers.ecs.actor import actor_hosts, is_instance_id
from normalizers.ecs.address import address_fields, endpoint, mac_address
from normalizers.ecs.getters import optional_list, optional_obj, optional_str, required_str, time_field
from normalizers.ecs.names import snake, snake_name
from normalizers.ecs.timestamps import optional_time, timestamp
from normalizers.ecs.values import compact, flat, prune
from normalizers.reasons import RecordError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # ECS (and Elastic's AWS integration) write snake_case, an acronym as one word.
        ("AWSAccountId", "aws_account_id"),
        ("MFAUsed", "mfa_used"),
        ("sourceIPs", "source_ips"),
        ("ipAddressV4", "ip_address_v4"),
        ("AwsApiCallAction", "aws_api_call_action"),
        ("insightDuration", "insight_duration"),
        ("requestID", "request_id"),
        ("S3BucketDetails", "s3_bucket_details"),
        ("already_snake", "already_snake"),
    ],
)
def test_snake_case_is_ecs_style(name: str, expected: str) -> None:
    assert snake_name(name) == expected


def test_snake_renames_keys_only_and_keeps_named_objects_whole() -> None:
    value = {
        "remoteIpDetails": {"ipAddressV4": "1.2.3.4"},
        "evidence": {"ThreatList": ["a"]},
        "n": [{"aB": 1}],
    }
    assert snake(value, frozenset({"evidence"})) == {
        "remote_ip_details": {"ip_address_v4": "1.2.3.4"},
        "evidence": {"ThreatList": ["a"]},
        "n": [{"a_b": 1}],
    }
    assert snake({"evidence": "text"}, frozenset({"evidence"})) == {"evidence": {"value": "text"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ({}, None),
        ({"a": 1}, {"a": 1}),
        ("bucket=b", {"value": "bucket=b"}),
        (["ok"], {"value": ["ok"]}),
        (0, {"value": 0}),
        (False, {"value": False}),
    ],
)
def test_flat_object_values_are_always_objects(value: Any, expected: Any) -> None:
    assert flat(value) == expected


def test_prune_and_compact_are_one_rule() -> None:
    document = {
        "a": None,
        "b": "",
        "c": [],
        "d": {},
        "e": {"f": {"g": None}},
        "h": [None, "", {}, [], 0, False, {"i": ""}],
        "j": False,
        "k": 0,
    }
    expected = {"h": [[], 0, False], "j": False, "k": 0}
    assert compact(document) == expected
    assert prune(document) == expected
    assert prune([{"a": None}, "x"]) == ["x"]
    assert prune("x") == "x"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("2001:0db8::0001", {"ip": "2001:db8::1"}),
        ("::ffff:192.0.2.1", {"ip": "192.0.2.1"}),
        ("ec2.amazonaws.com", {"address": "ec2.amazonaws.com", "domain": "ec2.amazonaws.com"}),
        ("211.9.016.253", {"address": "211.9.016.253"}),  # a leading zero: not an IP, not a host
        ("AWS Internal", {"address": "AWS Internal"}),
        ("   ", {}),
        ("", {}),
        (None, {}),
        (["1.2.3.4"], {}),
    ],
)
def test_one_rule_for_addresses(address: Any, expected: dict[str, str]) -> None:
    assert address_fields(address) == expected


def test_endpoint_adds_port_and_geo_to_the_address_rule() -> None:
    details = {
        "ip_address_v4": "198.51.100.7",
        "country": {"country_code": "FR", "country_name": "France"},
        "organization": {"asn": "16509", "asn_org": "AMAZON-02"},
        "geo_location": {"lat": 48.85, "lon": 2.35},
    }
    side = endpoint("198.51.100.7", "443", details)
    assert side.ips == ["198.51.100.7"]
    assert side.fields == {
        "ip": "198.51.100.7",
        "port": 443,
        "geo": {"location": {"lat": 48.85, "lon": 2.35}, "country_iso_code": "FR", "country_name": "France"},
        "as": {"number": 16509, "organization": {"name": "AMAZON-02"}},
    }


def test_getters_name_the_field_and_the_json_types() -> None:
    record = {"n": 1, "s": "x", "o": {}, "l": "text", "e": ""}
    assert optional_str(record, "s") == "x" and optional_str(record, "e") is None
    assert optional_str(None, "s") is None
    assert optional_obj(record, "missing") == {} and optional_list(record, "missing") == []
    with pytest.raises(RecordError, match=r"^invalid record: n is a number, expected a string$"):
        optional_str(record, "n")
    with pytest.raises(RecordError, match=r"^invalid record: l is a string, expected an array$"):
        optional_list(record, "l")
    with pytest.raises(RecordError, match=r"^invalid record: s is a string, expected an object$"):
        optional_obj(record, "s")
    with pytest.raises(RecordError, match=r"^missing field: e$"):
        required_str(record, "e")
    with pytest.raises(RecordError, match=r"^unparseable timestamp: s: "):
        time_field(record, "s")
    with pytest.raises(RecordError, match=r"^missing field: t$"):
        time_field(record, "t", required=True)


def test_a_secondary_time_is_dropped_rather_than_failing_the_record() -> None:
    assert optional_time("2024-05-04T06:55:00+02:00") == "2024-05-04T04:55:00Z"
    assert optional_time("not a date") is None
    assert optional_time("") is None and optional_time(None) is None


def test_address_fields_are_the_callers_own_and_the_cache_stays_bounded() -> None:
    from normalizers.ecs import address

    first = address_fields("ec2.amazonaws.com")
    first["address"] = "changed"  # the caller may change its copy (endpoint() adds a port)
    assert address_fields("ec2.amazonaws.com") == {
        "address": "ec2.amazonaws.com",
        "domain": "ec2.amazonaws.com",
    }
    for index in range(address.MAX_TEXTS + 10):
        address_fields(f"host-{index}.example.com")
    address_fields("x" * (address.MAX_CACHED_TEXT + 1))
    assert len(address._TEXTS) <= address.MAX_TEXTS
    assert "x" * (address.MAX_CACHED_TEXT + 1) not in address._TEXTS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("i-0123456789abcdef0", True),  # 17 hex digits, today's ids
        ("i-01234567", True),  # 8, the older ones
        ("mi-0123456789abcdef0", True),  # a Systems Manager managed node
        ("i-0123456789abcdef", False),  # 16
        ("i-012345678", False),  # 9
        ("i-0123456789ABCDEF0", False),  # EC2 writes them in lower case
        ("I-01234567", False),
        ("ai-01234567", False),
        (" i-01234567", False),
        ("xmi-01234567", False),
        ("i-01234567/", False),
        ("i-", False),
        ("", False),
    ],
)
def test_instance_ids_are_told_apart_from_other_names(value: str, expected: bool) -> None:
    assert is_instance_id(value) is expected
    # A role session named like an instance is that instance acting: its related host.
    user = {"name": value, "roles": ["ec2-role"]}
    assert actor_hosts(user) == ([value] if expected else [])
    assert actor_hosts({"name": value}) == []  # no role: a user named so is no instance


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E"),
        ("00-1A-2B-3C-4D-5E", "00-1A-2B-3C-4D-5E"),
        ("001a.2b3c.4d5e", "00-1A-2B-3C-4D-5E"),
        ("001A2B3C4D5E", "00-1A-2B-3C-4D-5E"),
        ("02:42:ac:11:00:02:ff:fe", "02-42-AC-11-00-02-FF-FE"),  # EUI-64
        ("00:1a-2b:3c:4d:5e", None),  # mixed separators
        ("00:1a:2b:3c:4d", None),  # five octets
        ("0:1a:2b:3c:4d:5e", None),
        ("g0:1a:2b:3c:4d:5e", None),
        ("00:1a:2b:3c:4d:5e:6f", None),  # seven octets
        (1234, None),
        ("", None),
    ],
)
def test_a_mac_address_in_ecs_form(value: object, expected: str | None) -> None:
    assert mac_address(value) == expected


def test_a_time_of_the_minute_last_seen_is_taken_as_it_is_only_for_a_whole_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before any time: no text passes unchecked, whatever it starts with.
    monkeypatch.setattr(timestamps, "_last_minute", "?" * 21)
    monkeypatch.setattr(timestamps, "_MINUTES", set())
    monkeypatch.setattr(timestamps, "_CHECKED", set())
    for text in ("?" * 17 + "00Z", "?" * 21, "\0" * 17 + "00Z"):
        with pytest.raises(ValueError):
            timestamp(text)
    assert timestamp("2024-05-01T10:00:01Z") == "2024-05-01T10:00:01Z"
    assert timestamp("2024-05-01T10:00:59Z") == "2024-05-01T10:00:59Z"
    # The same minute, anything but a whole second: the full check, as before.
    assert timestamp("2024-05-01T10:00:02.5Z") == "2024-05-01T10:00:02.500Z"
    assert timestamp("2024-05-01T10:00:03.000Z") == "2024-05-01T10:00:03Z"
    assert timestamp("2024-05-01T10:00:04+00:00") == "2024-05-01T10:00:04Z"
    for text in (
        "2024-05-01T10:00:60Z",
        "2024-05-01T10:00:5Z",
        "2024-05-01T10:00:01Zx",
        "2024-05-01T10:00:0aZ",
    ):
        with pytest.raises(ValueError):
            timestamp(text)
    # Another minute, then back: each a text of its own.
    assert timestamp("2024-05-01T10:01:00Z") == "2024-05-01T10:01:00Z"
    assert timestamp("2024-05-01T10:00:05Z") == "2024-05-01T10:00:05Z"
