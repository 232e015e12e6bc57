"""The object pipeline: decompression, detection and the accounting of every record."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.cloudtrail.compiled import CompiledBuilders
from normalizers.detect import Detection, detect, detect_parquet
from normalizers.spec import ParquetSchema
from normalizers.stream import SourceReadError

ORIGIN = Origin(object="s3://bucket/key", ingested="2026-01-01T00:00:00Z")


def _cloudtrail_file(count: int) -> bytes:
    record = (
        b'{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com",'
        b'"eventName":"GetObject","awsRegion":"us-east-1","eventID":"id-%d","recipientAccountId":"111122223333",'
        b'"userIdentity":{"type":"IAMUser","userName":"alice"}}'
    )
    return b'{"Records":[' + b",".join(record % i for i in range(count)) + b"]}"


def test_truncated_gzip_inside_the_sniffed_head_keeps_the_records_before_the_cut() -> None:
    compressed = gzip.compress(_cloudtrail_file(200))
    normalized = normalize_object(io.BytesIO(compressed[: len(compressed) * 2 // 3]), ORIGIN)
    items = list(normalized)
    documents = [i for i in items if not isinstance(i, DeadLetter)]
    dead = [i for i in items if isinstance(i, DeadLetter)]
    assert 0 < len(documents) < 200
    assert [d.reason.split(":")[0] for d in dead] == ["truncated input"]
    assert normalized.outcome.error and normalized.outcome.records == len(items)


def test_unrecognized_content_is_one_dead_letter_with_the_head_as_raw() -> None:
    normalized = normalize_object(io.BytesIO(b"hello, this is not a log\n"), ORIGIN)
    (item,) = list(normalized)
    assert isinstance(item, DeadLetter)
    assert item.reason == "unrecognized format" and item.raw.startswith(b"hello")
    assert normalized.outcome.dead_letters == 1


@pytest.mark.parametrize("cut", [2, 5], ids=["magic only", "header cut"])
def test_a_gzip_cut_before_its_first_byte_of_content_is_truncated_input_not_unrecognized(cut: int) -> None:
    # Found by the fuzzer (CloudWatch Logs target): an object with a key no source claims whose
    # gzip ends inside its header decompressed to nothing, and was "unrecognized format" with
    # no bytes; it is the truncation, which dead letters without raw (the key re-drives it).
    normalized = normalize_object(io.BytesIO(gzip.compress(b'{"messageType":"DATA_MESSAGE"}')[:cut]), ORIGIN)
    (item,) = list(normalized)
    assert isinstance(item, DeadLetter)
    assert item.reason.startswith("truncated input: gzip stream truncated after ")
    assert (item.position, item.raw) == ("object", b"")
    assert normalized.outcome.error and normalized.outcome.records == 1


def test_digest_files_are_skipped_even_when_cloudtrail_is_forced() -> None:
    digest = b'{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}'
    normalized = normalize_object(io.BytesIO(gzip.compress(digest)), ORIGIN, "cloudtrail")
    assert list(normalized) == []
    assert normalized.outcome.skipped == "CloudTrail digest file"


@pytest.mark.parametrize(
    ("head", "key", "source"),
    [
        (b'{"Records":[{"eventVersion":"1.08","requestParameters":{"ProductArn":"x"}}', "", "cloudtrail"),
        (b'{"version":"0","detail-type":"Security Hub Findings - Imported","detail":{', "", "securityhub"),
        (b'{"schemaVersion":"2.0","accountId":"1","service":{"detectorId":"d"}}', "", "guardduty"),
        (
            b'{"SchemaVersion":"2018-10-08","ProductFields":{"aws/guardduty/service/detectorId":"d"}}',
            "",
            "securityhub",
        ),
        (
            b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
            b"action log-status\n",
            "",
            "vpcflow",
        ),
        (b'{"findings": []}', "AWSLogs/1/GuardDuty/us-east-1/x.jsonl.gz", "guardduty"),
        (b'{"findings": []}', "firehose/securityhub/2024/x", "securityhub"),
    ],
)
def test_detection_trusts_content_first(head: bytes, key: str, source: str) -> None:
    assert detect(head, key).source == source


CLOUDTRAIL_KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json.gz"


def _unmarked_record(event_id: str, **members: object) -> bytes:
    """A CloudTrail record without ``eventVersion`` (its marker), ``members`` first."""
    return json.dumps(
        {
            **members,
            "eventTime": "2024-05-01T12:00:00Z",
            "eventSource": "sts.amazonaws.com",
            "eventName": "AssumeRole",
            "awsRegion": "us-east-1",
            "eventID": event_id,
            "recipientAccountId": "111122223333",
        }
    ).encode()


@pytest.mark.parametrize(
    "first",
    [
        _unmarked_record("e1"),
        # Longer than the sniffed head (64 KiB): the second record's marker is past it.
        _unmarked_record("e1", userAgent="x" * 70_000),
    ],
    ids=["no marker in any record", "a first record longer than the head"],
)
def test_records_with_no_marker_in_the_head_are_read_as_their_delivery_layouts_source(first: bytes) -> None:
    # Found by make fuzz: newline-delimited CloudTrail records whose head holds no marker were
    # one "unrecognized format" dead letter for the object, the records in it never read.
    body = first + b"\n" + _unmarked_record("e2") + b"\n"
    items = list(
        normalize_object(io.BytesIO(gzip.compress(body)), Origin(f"s3://bucket/{CLOUDTRAIL_KEY}", "x"))
    )
    assert [item["event"]["id"] for item in items] == ["e1", "e2"]
    assert all("cloudtrail" in item["aws"] for item in items)


@pytest.mark.parametrize(
    "key",
    [
        "firehose/2024/05/01/12/to-s3-1-2024-05-01-12-00-00-0b5e7a4c.gz",  # no source's layout
        "cloudtrail-exports/2024/x.json",  # the key's loose hint is not a delivery layout
        "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/x.log.gz",  # a source that is no JSON
    ],
)
def test_json_with_no_marker_outside_a_json_sources_delivery_layout_stays_unrecognized(key: str) -> None:
    body = _unmarked_record("e1") + b"\n"
    (item,) = list(normalize_object(io.BytesIO(body), Origin(f"s3://bucket/{key}", "x")))
    assert isinstance(item, DeadLetter)
    assert (item.reason, item.position, item.raw) == ("unrecognized format", "object", body)


@pytest.mark.parametrize(
    ("message", "source"),
    [
        ({"eventVersion": "1.08", "eventName": "PutObject"}, "cloudtrail"),
        ({"detail-type": "GuardDuty Finding", "detail": {"schemaVersion": "2.0"}}, "guardduty"),
        ({"detail-type": "Security Hub Findings - Imported", "detail": {"findings": []}}, "securityhub"),
    ],
)
def test_an_sns_notification_is_recognized_by_its_message(message: dict[str, object], source: str) -> None:
    notification = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": json.dumps(message)}
    assert detect(json.dumps(notification).encode()).source == source


def test_a_notification_inside_a_record_does_not_make_it_sns() -> None:
    record = {"eventVersion": "1.08", "requestParameters": {"Type": "Notification", "Message": '{"Id": "x"}'}}
    assert detect(json.dumps(record).encode()).source == "cloudtrail"


def test_a_parquet_file_is_recognized_by_its_schema_not_by_its_magic() -> None:
    assert detect(b"PAR1\x15\x04", "AWSLogs/1/vpcflowlogs/x.parquet") == Detection(None, parquet=True)
    flow = ("version", "account_id", "interface_id", "srcaddr", "dstaddr", "start", "end", "action")
    assert detect_parquet(ParquetSchema(flow, nested=False)) == "vpcflow"
    assert (
        detect_parquet(ParquetSchema(("tgw_id", "start", "packets_lost_no_route"), nested=False)) == "vpcflow"
    )
    # Security Lake's OCSF rows are nested; a table of something else names no flow field.
    assert detect_parquet(ParquetSchema(("metadata", "src_endpoint", "time"), nested=True)) is None
    assert detect_parquet(ParquetSchema(("name", "value", "action", "region"), nested=False)) is None


def _parquet(table: dict[str, list[object]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(table), sink)
    return sink.getvalue()


def test_a_parquet_file_of_no_source_is_one_unrecognized_format_dead_letter() -> None:
    data = _parquet({"name": ["a", "b"], "action": ["ACCEPT", "REJECT"], "region": ["x", "y"]})
    normalized = normalize_object(io.BytesIO(gzip.compress(data)), ORIGIN)
    (letter,) = list(normalized)
    assert isinstance(letter, DeadLetter) and normalized.outcome.source is None
    assert (letter.source, letter.position) == ("unknown", "object")
    assert letter.reason == "unrecognized format: Parquet columns match no source (name, action, region)"
    # Forced, the flow log reader checks the columns itself: no row is read as a flow either.
    (forced,) = list(normalize_object(io.BytesIO(data), ORIGIN, "vpcflow"))
    assert isinstance(forced, DeadLetter) and forced.source == "vpcflow"
    assert forced.reason.startswith("unrecognized format: Parquet columns are not VPC flow log fields")


def test_a_parquet_file_whose_footer_is_damaged_is_one_invalid_parquet_dead_letter() -> None:
    data = _parquet({"account_id": ["1"], "srcaddr": ["10.0.0.1"]})
    normalized = normalize_object(io.BytesIO(data[:-12] + b"PAR1"), ORIGIN)
    (letter,) = list(normalized)
    assert isinstance(letter, DeadLetter) and normalized.outcome.source is None
    assert letter.reason.startswith("invalid parquet: ") and letter.position == "object"


class _FailingStream(io.RawIOBase):
    """An object whose download breaks after ``good`` bytes, as an S3 stream can."""

    def __init__(self, data: bytes, good: int) -> None:
        self._data, self._good, self._pos = data, good, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._pos >= self._good:
            raise ConnectionResetError("connection reset by peer")
        n = min(len(buffer), self._good - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


@pytest.mark.parametrize("compress", [False, True])
def test_a_read_error_mid_object_propagates_instead_of_becoming_a_dead_letter(compress: bool) -> None:
    data = _cloudtrail_file(5000)
    data = gzip.compress(data) if compress else data
    stream = io.BufferedReader(_FailingStream(data, len(data) // 2))
    normalized = normalize_object(stream, ORIGIN)  # type: ignore[arg-type]
    with pytest.raises(SourceReadError, match="connection reset"):
        list(normalized)
    assert normalized.outcome.dead_letters == 0


@pytest.mark.parametrize(
    ("head", "source"),
    [
        (
            b'{"version":"0","detail-type":"AWS Console Action via CloudTrail","source":"aws.signin",'
            b'"detail":{"eventVersion":"1.08"',
            "cloudtrail",
        ),
        (
            b'{"version":"0","detail-type":"GuardDuty Malware Protection Scan","source":"aws.guardduty",'
            b'"detail":{"schemaVersion":"2.0","accountId":"1"',
            "guardduty",
        ),
        (b'{"version":"0","detail-type":"Something New","detail":{"hello":1}}', None),
    ],
)
def test_an_unlisted_eventbridge_detail_type_is_decided_by_the_record_inside(
    head: bytes, source: str | None
) -> None:
    assert detect(head).source == source


def test_a_record_that_breaks_the_normalizer_is_one_dead_letter_and_the_rest_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shape no rule foresaw (here a fault injected into the mapper for one record) costs
    that record alone: the records around it are documents."""
    good = (
        b'{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com",'
        b'"eventName":"GetObject","awsRegion":"us-east-1","eventID":"%s","recipientAccountId":"111122223333",'
        b'"userIdentity":{"type":"IAMUser","userName":"alice"}}'
    )
    real = CompiledBuilders.build

    def failing(self: CompiledBuilders, record: dict[str, Any], *args: Any) -> Any:
        if record.get("eventID") == "odd":
            raise OverflowError("a shape no rule foresaw")
        return real(self, record, *args)

    monkeypatch.setattr(CompiledBuilders, "build", failing)
    data = b'{"Records":[' + b",".join([good % b"a", good % b"odd", good % b"b"]) + b"]}"
    items = list(normalize_object(io.BytesIO(data), ORIGIN))
    assert [i["event"]["id"] for i in items if not isinstance(i, DeadLetter)] == ["a", "b"]
    (letter,) = [i for i in items if isinstance(i, DeadLetter)]
    assert letter.position == "record 1" and b'"odd"' in letter.raw
    assert letter.reason.startswith("invalid record: OverflowError")


def test_cloudtrail_account_is_the_recording_account_not_the_callers() -> None:
    record = (
        b'{"version":"0","detail-type":"AWS API Call via CloudTrail","account":"111122223333",'
        b'"region":"us-east-1","detail":{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z",'
        b'"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"x",'
        b'"userIdentity":{"type":"AWSAccount","principalId":"AROAOTHER:session1","accountId":"444455556666"}}}'
    )
    (document,) = list(normalize_object(io.BytesIO(record), ORIGIN))
    assert document["cloud"]["account"]["id"] == "111122223333"
    assert document["aws"]["cloudtrail"]["user_identity"]["account_id"] == "444455556666"
    assert document["user"]["name"] == "session1"


def test_a_sign_in_service_event_reporting_failure_is_a_failure() -> None:
    record = (
        b'{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"signin.amazonaws.com",'
        b'"eventName":"CredentialVerification","eventType":"AwsServiceEvent","awsRegion":"us-east-1",'
        b'"eventID":"x","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","userName":"bob"},'
        b'"serviceEventDetails":{"CredentialVerification":"Failure"}}'
    )
    (document,) = list(normalize_object(io.BytesIO(record), ORIGIN))
    assert document["event"]["outcome"] == "failure"


def test_imdsv1_role_delivery_is_kept_for_stolen_instance_credentials_hunts() -> None:
    record = (
        b'{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com",'
        b'"eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"x","recipientAccountId":"111122223333",'
        b'"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0abc",'
        b'"arn":"arn:aws:sts::111122223333:assumed-role/web/i-0abc","accessKeyId":"ASIAEXAMPLE",'
        b'"sessionContext":{"ec2RoleDelivery":"1.0","sessionIssuer":{"type":"Role",'
        b'"arn":"arn:aws:iam::111122223333:role/web","userName":"web"}}}}'
    )
    (document,) = list(normalize_object(io.BytesIO(record), ORIGIN))
    assert document["aws"]["cloudtrail"]["user_identity"]["session_context"]["ec2_role_delivery"] == "1.0"
    assert document["user"]["name"] == "i-0abc"
