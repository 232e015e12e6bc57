"""The demo objects are valid per each AWS format and named as AWS names them."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from demo import Incident, write_incident
from demo.records.vpcflow import CUSTOM_V5_FIELDS, DEFAULT_FIELDS
from tests.demo.conftest import read_object

ACCOUNT = r"\d{12}"
REGION = r"[a-z]{2}-[a-z]+-\d"
KEY_PATTERNS = {
    "cloudtrail": re.compile(
        rf"AWSLogs/(?P<acct>{ACCOUNT})/CloudTrail/(?P<region>{REGION})/\d{{4}}/\d\d/\d\d/"
        rf"(?P=acct)_CloudTrail_(?P=region)_(?P<stamp>\d{{8}}T\d{{4}}Z)_[A-Za-z0-9]{{16}}\.json\.gz"
    ),
    "digest": re.compile(
        rf"AWSLogs/(?P<acct>{ACCOUNT})/CloudTrail-Digest/(?P<region>{REGION})/\d{{4}}/\d\d/\d\d/"
        rf"(?P=acct)_CloudTrail-Digest_(?P=region)_[\w-]+_(?P=region)_\d{{8}}T\d{{6}}Z\.json\.gz"
    ),
    "vpcflow": re.compile(
        rf"AWSLogs/(?P<acct>{ACCOUNT})/vpcflowlogs/(?P<region>{REGION})/\d{{4}}/\d\d/\d\d/"
        rf"(?P=acct)_vpcflowlogs_(?P=region)_fl-[0-9a-f]{{17}}_\d{{8}}T\d{{4}}Z_[0-9a-f]{{8}}\.log\.(gz|parquet)"
    ),
    "guardduty": re.compile(
        rf"AWSLogs/(?P<acct>{ACCOUNT})/GuardDuty/(?P<region>{REGION})/\d{{4}}/\d\d/\d\d/"
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl\.gz"
    ),
    # AWS Config Developer Guide, "Viewing configuration details": history files, and the
    # writability probe Config writes first.
    "config": re.compile(
        rf"AWSLogs/(?P<acct>{ACCOUNT})/Config/(?P<region>{REGION})/\d{{4}}/\d{{1,2}}/\d{{1,2}}/ConfigHistory/"
        rf"(?P=acct)_Config_(?P=region)_ConfigHistory_AWS_\w+_\d{{8}}T\d{{6}}Z_\d{{8}}T\d{{6}}Z_\d+\.json\.gz"
    ),
    "config probe": re.compile(rf"AWSLogs/{ACCOUNT}/Config/ConfigWritabilityCheckFile"),
    "cloudwatch_logs": re.compile(
        r"cloudwatch-logs/\d{4}/\d\d/\d\d/\d\d/[\w-]+-1-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{36}\.gz"
    ),
    "securitylake": re.compile(
        rf"aws/CLOUD_TRAIL_MGMT/2\.0/region={REGION}/accountId={ACCOUNT}/eventDay=\d{{8}}/[0-9a-f-]{{36}}\.gz\.parquet"
    ),
    "securityhub": re.compile(
        r"securityhub/\d{4}/\d\d/\d\d/\d\d/[\w-]+-1-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f-]{36}(\.gz)?"
    ),
}


def _files(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}


def _json_values(body: bytes) -> list[Any]:
    decoder, text, values, position = json.JSONDecoder(), body.decode("utf-8"), [], 0
    while position < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
    return values


def test_every_written_file_is_declared_once(incident: Incident, demo_dir: Path) -> None:
    keys = [obj.key for obj in incident.objects]
    assert len(keys) == len(set(keys))
    assert _files(demo_dir) == set(keys)
    assert {obj.source for obj in incident.objects} == {
        "cloudtrail",
        "vpcflow",
        "guardduty",
        "securityhub",
        "config",
    }


def test_keys_follow_aws_naming(incident: Incident) -> None:
    for obj in incident.objects:
        kind = obj.delivery or obj.source
        if obj.skipped:
            kind = "digest" if obj.source == "cloudtrail" else "config probe"
        pattern = KEY_PATTERNS[kind]
        assert pattern.fullmatch(obj.key), obj.key


def test_same_seed_same_bytes_other_seed_other_story(
    incident: Incident, demo_dir: Path, tmp_path: Path
) -> None:
    again = write_incident(tmp_path / "again", seed=incident.seed)
    assert again == incident
    for key in _files(demo_dir):
        assert (tmp_path / "again" / key).read_bytes() == (demo_dir / key).read_bytes(), key
    other = write_incident(tmp_path / "other", seed=incident.seed + 1)
    assert other.compromised_access_key_id != incident.compromised_access_key_id
    assert other.target_account_id != incident.target_account_id


def test_cloudtrail_log_files_hold_valid_records(incident: Incident, demo_dir: Path) -> None:
    event_ids: set[str] = set()
    for obj in incident.files_of("cloudtrail"):
        if obj.skipped:
            continue
        match = KEY_PATTERNS["cloudtrail"].fullmatch(obj.key)
        assert match
        records = json.loads(read_object(demo_dir, obj.key))["Records"]
        assert len(records) == obj.records > 0
        for record in records:
            for name in (
                "eventVersion",
                "userIdentity",
                "eventTime",
                "eventSource",
                "eventName",
                "awsRegion",
                "sourceIPAddress",
                "requestParameters",
                "requestID",
                "eventID",
                "eventType",
            ):
                assert name in record, (obj.key, name)
            assert record["recipientAccountId"] == match["acct"]
            assert record["awsRegion"] == match["region"]
            # A log file is delivered after the last event it holds (the file name's time).
            assert record["eventTime"].replace("-", "").replace(":", "")[:13] <= match["stamp"][:13]
            assert incident.window_start <= record["eventTime"] <= incident.window_end
            event_ids.add(record["eventID"])
    assert len(event_ids) == sum(obj.records for obj in incident.files_of("cloudtrail"))


def test_digest_lists_real_hashes_of_log_files(incident: Incident, demo_dir: Path) -> None:
    (digest,) = [obj for obj in incident.objects if obj.skipped and obj.source == "cloudtrail"]
    assert digest.skipped == "CloudTrail digest file"
    body = json.loads(read_object(demo_dir, digest.key))
    assert body["digestS3Object"] == digest.key and body["digestS3Bucket"] == incident.bucket
    assert body["logFiles"]
    for entry in body["logFiles"]:
        assert entry["hashValue"] == hashlib.sha256(read_object(demo_dir, entry["s3Object"])).hexdigest()


def _flow_text(incident: Incident, demo_dir: Path) -> dict[str, list[bytes]]:
    return {
        obj.key: read_object(demo_dir, obj.key).splitlines()
        for obj in incident.objects_of("vpcflow")
        if obj.key.endswith(".log.gz")
    }


def test_flow_text_files_have_a_header_and_one_field_per_column(incident: Incident, demo_dir: Path) -> None:
    headers = set()
    for key, lines in _flow_text(incident, demo_dir).items():
        header = tuple(lines[0].decode().split(" "))
        headers.add(header)
        (obj,) = [o for o in incident.objects if o.key == key]
        assert len(lines) - 1 == obj.records
        version = "5" if header == CUSTOM_V5_FIELDS else "2"
        for line in lines[1:]:
            fields = line.split(b" ")
            assert len(fields) == len(header)
            assert fields[header.index("version")] == version.encode()
    assert headers == {DEFAULT_FIELDS, CUSTOM_V5_FIELDS}


def test_flow_parquet_has_documented_columns_and_types(incident: Incident, demo_dir: Path) -> None:
    (obj,) = [o for o in incident.objects_of("vpcflow") if o.key.endswith(".parquet")]
    table = pq.read_table(demo_dir / obj.key)
    assert table.num_rows == obj.records
    types = {field.name: str(field.type) for field in table.schema}
    assert types["account_id"] == "string" and types["log_status"] == "string"
    assert types["srcport"] == types["version"] == "int32"
    assert types["bytes"] == types["start"] == "int64"
    assert set(table.column("account_id").to_pylist()) == {incident.source_account_id}


def test_guardduty_export_is_json_lines_with_one_damaged_record(incident: Incident, demo_dir: Path) -> None:
    bad = {(d.key, d.position) for d in incident.dead_letters if d.source == "guardduty"}
    assert len(bad) == 1
    for obj in incident.objects_of("guardduty"):
        lines = read_object(demo_dir, obj.key).splitlines()
        assert len(lines) == obj.records
        for index, line in enumerate(lines):
            if (obj.key, f"record {index}") in bad:
                continue
            finding = json.loads(line)
            assert finding["schemaVersion"] == "2.0"
            assert re.fullmatch(r"[0-9a-f]{32}", finding["id"])
            assert finding["arn"].endswith(
                f":{finding['accountId']}:detector/{finding['service']['detectorId']}/finding/{finding['id']}"
            )


def test_securityhub_objects_are_concatenated_eventbridge_envelopes(
    incident: Incident, demo_dir: Path
) -> None:
    for obj in incident.objects_of("securityhub"):
        body = read_object(demo_dir, obj.key)
        assert b"}{" in body and b"\n" not in body
        envelopes = _json_values(body)
        assert len(envelopes) == obj.records
        for envelope in envelopes:
            assert envelope["detail-type"] == "Security Hub Findings - Imported"
            assert envelope["source"] == "aws.securityhub"
            assert envelope["account"] == incident.admin_account_id
            (finding,) = envelope["detail"]["findings"]
            assert finding["SchemaVersion"] == "2018-10-08"
            assert finding["AwsAccountId"] in incident.account_ids
            assert envelope["resources"] == [finding["ProductFields"]["aws/securityhub/FindingId"]]
