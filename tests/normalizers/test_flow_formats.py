"""Flow lines with no header line: the configured formats and the default format's shape
(docs/sources/vpcflow.md, "Flow lines without a header")."""

from __future__ import annotations

import io

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.detect import detect
from normalizers.vpcflow.formats import (
    DEFAULT_HEADER,
    FormatError,
    configured_header,
    header_for,
    is_default_line,
    parse_format,
    parse_formats,
)

# The "Accepted and rejected traffic" records of the Amazon VPC User Guide, *Flow log record examples*.
ACCEPTED = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
REJECTED = b"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
# A NAT gateway's records name no account ("unknown"), a skipped interval has no traffic fields.
NAT = (
    b"2 unknown eni-1235b8ca123456789 10.0.1.5 203.0.113.5 4312 443 6 7 1218 1418530010 1418530070 ACCEPT OK"
)
SKIPPED = b"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - SKIPDATA"


def test_a_format_is_read_as_aws_writes_it_or_as_a_header_line() -> None:
    assert parse_format("${version} ${vpc-id} ${srcaddr}") == "version vpc-id srcaddr"
    assert parse_format("version  vpc-id\tsrcaddr") == "version vpc-id srcaddr"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "${version} ${no-such-field}",
        "${version} ${version}",
        "${Version}",
        "$version",
        "srcaddr dstaddr;",
    ],
)
def test_a_format_that_names_no_flow_log_fields_is_refused(text: str) -> None:
    with pytest.raises(FormatError):
        parse_format(text)


def test_the_configuration_is_a_json_object_of_formats() -> None:
    pairs = parse_formats('{"vpcflow/fh/": "${version} ${srcaddr}", "/aws/vpc/": "srcaddr dstaddr"}')
    assert pairs == (("/aws/vpc/", "srcaddr dstaddr"), ("vpcflow/fh/", "version srcaddr"))
    assert parse_formats("") == () and parse_formats({}) == ()
    for bad in ("[1]", "{", '{"x": 3}', '{"": "srcaddr"}', '{"x": "${bogus}"}'):
        with pytest.raises(FormatError):
            parse_formats(bad)


def test_the_longest_prefix_of_the_log_group_then_of_the_key_wins() -> None:
    formats = parse_formats(
        {
            "/aws/vpc/": "srcaddr dstaddr",
            "/aws/vpc/prod": "srcaddr",
            "flows/": "dstaddr",
            "flows/x/": "action",
        }
    )
    origin = Origin("s3://bucket/flows/x/object.gz", "t", flow_formats=formats)
    assert configured_header(origin, "/aws/vpc/prod-eu") == b"srcaddr"
    assert configured_header(origin, "/aws/vpc/dev") == b"srcaddr dstaddr"
    assert configured_header(origin, "/other") == b"action"  # the key's, the bucket left out
    assert configured_header(origin) == b"action"
    assert configured_header(Origin("s3://bucket/elsewhere/o", "t", flow_formats=formats), "/x") is None
    assert configured_header(Origin("s3://bucket/flows/x/o", "t")) is None


@pytest.mark.parametrize("line", [ACCEPTED, REJECTED, NAT, SKIPPED, ACCEPTED + b"\r"])
def test_a_line_of_the_default_format_is_recognized_by_its_shape(line: bytes) -> None:
    assert is_default_line(line) and is_default_line(line + b"\nmore")
    assert header_for(line, None) == DEFAULT_HEADER


@pytest.mark.parametrize(
    "line",
    [
        ACCEPTED.rsplit(b" ", 1)[0],  # 13 fields
        ACCEPTED + b" ingress",  # 15 fields
        ACCEPTED.replace(b"ACCEPT", b"ALLOW"),
        ACCEPTED.replace(b"123456789010", b"1234"),
        b"version account-id interface-id",  # a header
    ],
)
def test_no_other_shape_is_taken_for_the_default_format(line: bytes) -> None:
    assert not is_default_line(line)
    assert header_for(line, None) is None


def test_detection_takes_a_headerless_object_by_its_shape_or_by_its_configured_prefix() -> None:
    assert detect(ACCEPTED + b"\n" + REJECTED + b"\n").source == "vpcflow"
    custom = b"vpc-1 10.0.0.1 10.0.0.2 ACCEPT 1418530010\n"
    assert detect(custom, "s3://b/fh/o").source is None
    origin = Origin(
        "s3://b/fh/o", "t", flow_formats=parse_formats({"fh/": "vpc-id srcaddr dstaddr action start"})
    )
    assert detect(custom, origin.object, origin).source == "vpcflow"
    # Content still comes first: JSON under a configured prefix is not read as flows.
    assert detect(b'{"Records": []}', origin.object, origin).source == "cloudtrail"


def test_a_headerless_object_counts_its_lines_from_1_and_dead_letters_replay_with_the_format() -> None:
    body = ACCEPTED + b"\n" + REJECTED[:60] + b"\n" + REJECTED + b"\n"
    items = list(normalize_object(io.BytesIO(body), Origin("s3://b/vpcflow/firehose/o", "t")))
    letters = [item for item in items if isinstance(item, DeadLetter)]
    assert len(items) == 3 and [letter.position for letter in letters] == ["line 2"]
    assert letters[0].raw == DEFAULT_HEADER + b"\n" + REJECTED[:60]
    replayed = list(normalize_object(io.BytesIO(letters[0].raw), Origin("replay", "t"), "vpcflow"))
    assert [item.reason.split(":")[0] for item in replayed if isinstance(item, DeadLetter)] == [
        "invalid record"
    ]
