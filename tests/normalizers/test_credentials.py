"""Credential material in CloudTrail records is replaced by a marker (docs/schema.md, "Credentials")."""

from __future__ import annotations

import gzip
import io
import json
import random
from typing import Any

import orjson
import pytest

from demo.records.securitylake import parquet_from_rows
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.cloudtrail.credentials import (
    REDACTED,
    SECRET_MARKERS,
    _may_hide_secret,
    _may_hold_secret,
    redacted,
    without_credentials,
)
from normalizers.cloudtrail.spec import SPEC
from normalizers.framing import json_stream
from normalizers.framing.json_stream import json_record_fields
from tests.conftest import GOLDEN
from tests.normalizers.streams import Trickle

assert SPEC.framing is not None
CLOUDTRAIL_WRAPPER = SPEC.framing.wrapper
ORIGIN = Origin(object="test", ingested="2026-01-01T00:00:00.000Z", keep_original=True)


def _record(**fields: object) -> dict[str, object]:
    return {
        "eventVersion": "1.08",
        "eventTime": "2024-05-01T12:00:00Z",
        "eventSource": "rds.amazonaws.com",
        "eventName": "CreateDBInstance",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventID": "00000000-0000-4000-8000-0000000000b1",
        **fields,
    }


def _normalized(record: dict[str, object]) -> dict[str, object]:
    [document] = normalize_object(io.BytesIO(orjson.dumps({"Records": [record]})), ORIGIN, "cloudtrail")
    assert not isinstance(document, DeadLetter)
    return document


def test_every_secret_named_key_at_any_depth_is_replaced() -> None:
    record = _record(
        requestParameters={
            "dBInstanceIdentifier": "db-1",
            "masterUsername": "admin",
            "masterUserPassword": "s3cret-example",
            "MasterUserPassword": "s3cret-example",
            "users": [{"name": "x", "Password": "p"}, {"name": "y"}],
        },
        responseElements={
            "credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "k", "SessionToken": "t"}
        },
        additionalEventData={"oldPassword": "a", "newPassword": "b"},
    )
    document = _normalized(record)
    trail = document["aws"]["cloudtrail"]  # type: ignore[index]
    assert trail["request_parameters"] == {
        "dBInstanceIdentifier": "db-1",
        "masterUsername": "admin",
        "masterUserPassword": REDACTED,
        "MasterUserPassword": REDACTED,
        "users": [{"name": "x", "Password": REDACTED}, {"name": "y"}],
    }
    assert trail["response_elements"] == {
        "credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": REDACTED, "SessionToken": REDACTED}
    }
    assert trail["additional_eventdata"] == {"oldPassword": REDACTED, "newPassword": REDACTED}
    original = document["event"]["original"]  # type: ignore[index]
    assert "s3cret-example" not in original and '"SessionToken":"t"' not in original
    assert json.loads(original)["requestParameters"]["masterUserPassword"] == REDACTED


def test_a_record_without_secrets_is_left_as_it_is() -> None:
    record = _record(
        requestParameters={"passwordResetRequired": True, "passwordPolicy": {"minimumLength": 8}}
    )
    raw = orjson.dumps(record)
    assert without_credentials(record, raw, keep_raw=True) == (record, raw)
    assert without_credentials(record, raw, keep_raw=True)[0] is record
    # A null secret stays null: there is nothing to hide and the shape says so.
    nulls = {"password": None}
    assert redacted(nulls) is nulls


def test_keys_spelled_with_json_escapes_are_caught() -> None:
    raw = b'{"requestParameters":{"p\\u0061ssword":"hunter2"}}'
    clean, cleaned_raw = without_credentials(orjson.loads(raw), raw, keep_raw=True)
    assert clean == {"requestParameters": {"password": REDACTED}}
    assert b"hunter2" not in cleaned_raw


def test_a_secret_hidden_by_a_repeated_key_is_redacted_in_the_raw_bytes() -> None:
    # JSON parsers keep a repeated key's last value: the record says null, the bytes hunter2.
    for raw in (
        b'{"requestParameters":{"password":"hunter2","password":null}}',
        b'{"requestParameters":{"password":"hunter2"},"requestParameters":{}}',
        b'{"responseElements":{"credentials":{"sessionToken":"IQoJb3JpZ2lu","sessionToken":null}}}',
    ):
        record = orjson.loads(raw)
        clean, cleaned_raw = without_credentials(record, raw, keep_raw=True)
        assert clean is record  # the parsed record held no secret
        assert b"hunter2" not in cleaned_raw and b"IQoJ" not in cleaned_raw
        assert cleaned_raw == orjson.dumps(orjson.loads(cleaned_raw))  # still one JSON object


def test_raw_bytes_without_a_secret_pair_are_kept_as_they_are() -> None:
    # The pre-check lets these through (a key ending in "password"; an escape), yet no pair
    # holds a secret: event.original keeps the bytes as delivered.
    for raw in (
        b'{"requestParameters": {"password": null, "userName": "alice"}}',
        b'{"userAgent":"caf\\u00e9"}',
    ):
        assert without_credentials(orjson.loads(raw), raw, keep_raw=True)[1] is raw


def test_raw_bytes_with_integers_beyond_64_bits_are_redacted_too() -> None:
    raw = b'{"requestParameters":{"size":123456789012345678901234567890,"password":"hunter2"}}'
    record = json.loads(raw)
    _, cleaned_raw = without_credentials(record, raw, keep_raw=True)
    assert json.loads(cleaned_raw) == {
        "requestParameters": {"size": 123456789012345678901234567890, "password": REDACTED}
    }
    # Without event.original the raw bytes are not rebuilt (they are not stored).
    assert without_credentials(record, raw, keep_raw=False)[1] is raw


def test_keys_spelled_with_a_kelvin_sign_are_caught() -> None:
    # str.lower() turns KELVIN SIGN (U+212A) into "k": such a key is a secret's name, in UTF-8
    # as it is or escaped, though no byte of it is an ASCII "k".
    for raw in (
        '{"responseElements":{"credentials":{"sessionTo\u212aen":"t0ken","secretAccess\u212aey":"k3y"}}}'.encode(),
        b'{"responseElements":{"credentials":{"sessionTo\\u212aen":"t0ken","secretAccess\\u212aey":"k3y"}}}',
    ):
        clean, cleaned_raw = without_credentials(orjson.loads(raw), raw, keep_raw=True)
        assert clean == {
            "responseElements": {
                "credentials": {"sessionTo\u212aen": REDACTED, "secretAccess\u212aey": REDACTED}
            }
        }
        assert b"t0ken" not in cleaned_raw and b"k3y" not in cleaned_raw


def test_names_found_plain_do_not_hide_a_secret_under_them() -> None:
    # The walk remembers names that are not secret; what such a name holds is still walked.
    first = {"requestParameters": {"user": {"name": "x"}, "passwordPolicy": {"minimumLength": 8}}}
    assert redacted(first) is first
    user = {"name": "x", "Password": "p"}
    second = {
        "requestParameters": {
            "user": user,
            "passwordPolicy": [{"oldPassword": "a"}],
        }
    }
    assert redacted(second) == {
        "requestParameters": {
            "user": {"name": "x", "Password": REDACTED},
            "passwordPolicy": [{"oldPassword": REDACTED}],
        }
    }
    assert user["Password"] == "p"  # the record itself is left as it is


def test_secrets_in_lists_of_lists_are_replaced_and_the_rest_kept() -> None:
    # requestParameters of batch APIs hold lists of objects, some of lists: every depth is
    # walked, a leaf is kept as it is, and a container holding no secret is the record's own.
    value: dict[str, Any] = {
        "batches": [
            [{"name": "a"}, {"name": "b", "Password": "p1"}],
            ["leaf", 3, None, True],
            [[{"items": [{"SessionToken": "t"}]}]],
        ],
        "plain": [{"name": "c"}, [1, 2]],
    }
    out = redacted(value)
    assert out == {
        "batches": [
            [{"name": "a"}, {"name": "b", "Password": REDACTED}],
            ["leaf", 3, None, True],
            [[{"items": [{"SessionToken": REDACTED}]}]],
        ],
        "plain": [{"name": "c"}, [1, 2]],
    }
    assert value["batches"][0][1]["Password"] == "p1"  # the parsed record is not changed
    assert value["batches"][2][0][0]["items"][0]["SessionToken"] == "t"
    assert out["batches"][0][0] is value["batches"][0][0]
    assert out["batches"][1] is value["batches"][1]
    assert out["plain"] is value["plain"]
    assert redacted(value["plain"]) is value["plain"]


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        (b'{"PASSWORD":"x"}', True),  # first and last bytes of the record
        (b'{"a":1,"sessionTOKEN":"t"}', True),
        (b'{"a":{"b":[{"sEcReTaCcEsSkEy":"k"}]}}', True),
        (b'{"userPassword":"p","password":null}', True),  # the raw bytes hold one
        (b'{"eventName":"GetPasswordData","passwordData":""}', False),
        (b'{"a":"password","b":"sessionToken","c":"xsecretAccessKeyx"}', False),  # values only
        (b'{"sessionTokenId":"i","secretAccessKeys":[],"passwords":1}', False),
    ],
)
def test_secret_names_in_any_case_anywhere_in_the_bytes_are_redacted_and_only_they(
    raw: bytes, secret: bool
) -> None:
    record = json.loads(raw)
    _, kept = without_credentials(record, raw, keep_raw=True)
    assert (kept is not raw) is secret
    assert b'"x"' not in kept and b'"t"' not in kept and b'"k"' not in kept and b'"p"' not in kept


def _lake_row(**api: object) -> dict[str, Any]:
    rows = json.loads((GOLDEN / "securitylake" / "api-activity-1.1" / "input.ocsf.json").read_text())
    row = dict(rows[0])
    row["api"] = {
        **row["api"],
        "operation": "CreateLoginProfile",
        "service": {"name": "iam.amazonaws.com"},
        **api,
    }
    return row


@pytest.mark.parametrize(
    ("member", "text"),
    [
        ("request", '{"userName":"bob","password":"hunter2"}'),
        ("request", '{"userName":"bob","password":"hunter2","password":null}'),  # the last one parses
        ("response", '{"credentials":{"accessKeyId":"ASIA","sessionToken":"hunter2"}}'),
        ("unmapped", '{"oldPassword":"hunter2"}'),
        ("unmapped-flat", "hunter2"),  # requestParameters.password, flattened with dots
        ("unmapped", '{"a":' * 300 + '{"password":"hunter2"}' + "}" * 300),  # no member of the record
    ],
)
def test_the_ocsf_row_kept_as_event_original_has_its_secrets_redacted_too(member: str, text: str) -> None:
    # Security Lake keeps CloudTrail's request, response and additional data as JSON text in
    # the row; the document's fields were redacted, and event.original (the row) was not.
    if member == "unmapped-flat":
        row = _lake_row()
        row["unmapped"] = {**row["unmapped"], "requestParameters.password": text}
    elif member == "unmapped":
        row = _lake_row()
        row["unmapped"] = {**row["unmapped"], "additionalEventData": text}
        if text.startswith('{"a"'):
            row["unmapped"] = {**row["unmapped"], "additionalEventData": None, "deep": text}
    else:
        row = _lake_row(**{member: {"data": text}})
    key = (
        "s3://b/aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=111111111111/eventDay=20240501/x.parquet"
    )
    (document,) = normalize_object(
        io.BytesIO(parquet_from_rows([row])), Origin(key, ORIGIN.ingested, keep_original=True)
    )
    assert not isinstance(document, DeadLetter), document
    assert "hunter2" not in orjson.dumps(document).decode()
    original = json.loads(document["event"]["original"])
    assert original["metadata"] == row["metadata"]  # still the row


@pytest.mark.parametrize("keep_original", [False, True])
@pytest.mark.parametrize("event", [False, True])
def test_a_record_in_an_sns_message_has_its_secrets_redacted(keep_original: bool, event: bool) -> None:
    # The record is JSON text inside the notification: its keys' quotes are escaped there
    # (password\"), which the check for secrets in the bytes did not see; nothing was redacted.
    record = _record(
        eventSource="iam.amazonaws.com",
        eventName="CreateLoginProfile",
        requestParameters={"userName": "bob", "password": "hunter2"},
        responseElements={"credentials": {"accessKeyId": "ASIA", "sessionToken": "hunter2"}},
    )
    message: dict[str, Any] = (
        {"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": record}
        if event
        else record
    )
    notification = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(message)}
    origin = Origin("s3://b/sns/x.json", ORIGIN.ingested, keep_original=keep_original)
    (document,) = normalize_object(io.BytesIO(orjson.dumps(notification)), origin)
    assert not isinstance(document, DeadLetter), document
    assert document["aws"]["cloudtrail"]["request_parameters"] == {"userName": "bob", "password": REDACTED}
    assert "hunter2" not in orjson.dumps(document).decode()
    if keep_original:
        kept = json.loads(document["event"]["original"])
        assert (
            kept["MessageId"] == "m" and json.loads(kept["Message"]) != message
        )  # the notification, redacted


def test_json_text_in_a_record_of_a_log_file_has_its_secrets_redacted_in_event_original() -> None:
    # A record the splitter screened (no unescaped secret name in its bytes) whose string
    # member holds JSON text: the names' quotes are escaped there (password\"), so the
    # screen cannot see them and the record's own check must (as for an SNS Message).
    text = json.dumps({"userName": "bob", "Password": "hunter2"})
    record = _record(requestParameters={"dBInstanceIdentifier": "db", "settings": text})
    document = _normalized(record)
    kept = json.loads(document["event"]["original"])  # type: ignore[index]
    assert json.loads(kept["requestParameters"]["settings"]) == {"userName": "bob", "Password": REDACTED}
    assert "hunter2" not in document["event"]["original"]  # type: ignore[index]


# -- the splitter's screen: the same records found, once per read -------------------------

_SECRET_SPELLINGS = (
    '"password":"x"',
    '"PassWord":"x"',
    '"masterUserPASSWORD":"x"',
    '"SessionToken":"x"',
    '"secretAccessKey":"x"',
    '"\\u0070assword":"x"',  # a JSON escape: the mapper's walk decides
    '"sessionTo\u212aen":"x"',  # KELVIN SIGN, which str.lower turns into "k"
)


def _screened_file(count: int, seed: int, lines: bool = False) -> tuple[bytes, list[bool]]:
    """A log file of ``count`` records, some with a secret key somewhere in them (at their
    start, end or in the middle), and which ones."""
    rng = random.Random(seed)
    records, secret = [], []
    for index in range(count):
        spelling = rng.choice(_SECRET_SPELLINGS) if rng.random() < 0.3 else None
        inner = f'{{"a":{index},{spelling},"z":1}}' if spelling else f'{{"a":{index},"b":"passwordData"}}'
        head = orjson.dumps(_record(eventName=f"E{index}")).decode()[1:-1]
        parts = [head, f'"requestParameters":{inner}', f'"pad":"{"p" * rng.randrange(40)}"']
        rng.shuffle(parts)
        records.append("{" + ",".join(parts) + "}")
        secret.append(spelling is not None)
    if lines:  # JSON lines, as Firehose delivers records
        return "\n".join(records).encode(), secret
    return ('{"Records":[' + ",".join(records) + "]}").encode(), secret


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 13, 64, 1 << 20])
def test_the_splitter_screens_out_exactly_the_records_that_name_a_secret_key(chunk: int, lines: bool) -> None:
    # Every string cut by a read boundary somewhere (reads of 1 byte cut each one everywhere).
    data, secret = _screened_file(60, seed=chunk, lines=lines)
    fields = list(json_record_fields(Trickle(data, chunk), CLOUDTRAIL_WRAPPER, screen=SECRET_MARKERS))  # type: ignore[arg-type]
    assert [index for index, *_ in fields] == list(range(len(secret)))
    for (_, raw, _, error, screened), has_secret in zip(fields, secret, strict=True):
        assert error is None
        assert _may_hold_secret(raw) is has_secret
        named = any(raw.lower().find(name) >= 0 for name in SECRET_MARKERS)
        assert screened is not named  # never a name let through, and the rest screened
        # Escapes and the KELVIN SIGN, which no search of lower-cased bytes sees, are left
        # to each screened record (its mapper's without_screened_credentials).
        assert named or not has_secret or _may_hide_secret(raw)


def test_a_read_too_full_of_secret_names_is_left_to_each_record(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_stream, "MAX_MARKS", 3)
    data, secret = _screened_file(60, seed=1)
    fields = list(json_record_fields(io.BytesIO(data), CLOUDTRAIL_WRAPPER, screen=SECRET_MARKERS))
    assert not any(screened for *_, screened in fields)  # none screened: each record looks itself
    documents = list(normalize_object(io.BytesIO(data), ORIGIN, "cloudtrail"))
    assert len(documents) == len(secret) and not any(isinstance(d, DeadLetter) for d in documents)
    assert sum(REDACTED in json.dumps(document) for document in documents) == sum(secret)


def test_secrets_across_read_boundaries_of_a_large_file_are_redacted() -> None:
    data, secret = _screened_file(8000, seed=2)  # several reads of the splitter
    assert len(data) > 2 * json_stream.READ_SIZE
    documents = list(normalize_object(io.BytesIO(gzip.compress(data)), ORIGIN, "cloudtrail"))
    assert len(documents) == len(secret)
    for document, has_secret in zip(documents, secret, strict=True):
        assert not isinstance(document, DeadLetter)
        text = json.dumps(document)
        assert '"x"' not in text and '\\"x\\"' not in text
        assert (REDACTED in text) is has_secret


def test_a_screen_of_strings_it_could_not_find_is_refused() -> None:
    for strings in ((b"Password",), (b"key1",), (b"",)):
        with pytest.raises(ValueError, match="lower-case ASCII"):
            list(json_record_fields(io.BytesIO(b"[]"), CLOUDTRAIL_WRAPPER, screen=strings))


def test_the_marks_of_bytes_dropped_go_with_them() -> None:
    # A record too large is read on with its middle dropped, read after read: the marks of the
    # bytes dropped must not pile up (one read's at most), those after them move with them.
    splitter = json_stream._Splitter(io.BytesIO(b""), CLOUDTRAIL_WRAPPER, 1 << 20, SECRET_MARKERS)
    splitter._data = bytearray(1000)
    splitter._marks = [(10, 11), (150, 151), (199, 260), (450, 520), (900, 901)]
    splitter._drop(100, 500)  # the middle of a record too large
    assert splitter._marks == [(10, 11), (100, 120), (500, 501)]
    splitter._drop(0, 200)  # the bytes before the next record
    assert splitter._marks == [(300, 301)]


@pytest.mark.parametrize("chunk", [1, 5, 64, 1 << 20])
def test_the_splitter_screens_and_cuts_the_same_with_every_simd_kernel_of_the_machine(chunk: int) -> None:
    # StringZilla picks its kernels at run time for the processor (AVX2, AVX-512, NEON...):
    # the scalar one, which any machine has, and each the machine has give the same records,
    # screened the same (the one in use is the best of them).
    import stringzilla as sz

    data, _ = _screened_file(60, seed=chunk)
    best = sz.__capabilities__

    def split() -> list[tuple[Any, ...]]:
        return list(json_record_fields(Trickle(data, chunk), CLOUDTRAIL_WRAPPER, screen=SECRET_MARKERS))  # type: ignore[arg-type]

    expected = split()
    try:
        for kernel in best:
            sz.reset_capabilities([kernel])
            assert split() == expected, kernel
    finally:
        sz.reset_capabilities(list(best))


@pytest.mark.parametrize("name", ["sessionTo\u212aen", "\\u0070assword"])
def test_a_hidden_secret_name_at_any_offset_is_redacted_with_every_simd_kernel(name: str) -> None:
    # The screened mapper looks for a backslash or the KELVIN SIGN's first byte in one search
    # of the record's bytes (StringZilla's find_first_of, its kernel picked for the processor):
    # a name hidden by either is found wherever it starts (before, across and after each
    # kernel's 16-, 32- and 64-byte blocks) by every kernel the machine has.
    import stringzilla as sz

    best = sz.__capabilities__
    try:
        for kernel in best:
            sz.reset_capabilities([kernel])
            for pad in range(0, 140, 3):
                text = orjson.dumps(_record(userAgent="a" * pad)).decode()
                raw = (text[:-1] + ',"requestParameters":{"' + name + '":"s3cret"}}').encode()
                document = _normalized(orjson.loads(raw))
                assert b"s3cret" not in orjson.dumps(document), (kernel, pad)
    finally:
        sz.reset_capabilities(list(best))
