"""The shared record builders (demo.records) against the AWS documentation's own examples."""

from __future__ import annotations

import ast
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from demo.records import vpcflow
from normalizers import DeadLetter, Origin, normalize_object

ORIGIN = Origin("test", "2026-01-01T00:00:00Z")


def _documents(value: Any, source: str | None = None) -> list[Any]:
    items = list(normalize_object(io.BytesIO(orjson.dumps(value)), ORIGIN, source))
    assert not [item for item in items if isinstance(item, DeadLetter)]
    return items


# --- CloudTrail (cloudtrail-event-reference-user-identity.md) ---------------------------


def test_assumed_role_identity_is_the_documented_example() -> None:
    """The example's values; ``creationDate`` in the extended form real log files carry."""
    session = ct.role_session(
        "123456789012",
        "RoleToBeAssumed",
        "MySessionName",
        "",
        "AROAIDPPEZS35WEXAMPLE",
        datetime(2013, 11, 2, 1, 6, 28, tzinfo=UTC),
    )
    identity = ct.assumed_role(session, web_id_federation=False)
    assert identity == {
        "type": "AssumedRole",
        "principalId": "AROAIDPPEZS35WEXAMPLE:MySessionName",
        "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
        "accountId": "123456789012",
        "accessKeyId": "",
        "sessionContext": {
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2013-11-02T01:06:28Z"},
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAIDPPEZS35WEXAMPLE",
                "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                "accountId": "123456789012",
                "userName": "RoleToBeAssumed",
            },
        },
    }


def test_iam_user_identity_is_the_documented_example() -> None:
    assert ct.iam_user("123456789012", "Alice", "AIDAJ45Q7YFFAREXAMPLE", "") == {
        "type": "IAMUser",
        "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "arn": "arn:aws:iam::123456789012:user/Alice",
        "accountId": "123456789012",
        "accessKeyId": "",
        "userName": "Alice",
    }


def test_identity_center_role_keeps_its_path_in_the_role_arn_only() -> None:
    session = ct.identity_center_session("111122223333", "ReadOnly", "a1b2c3d4e5f60718", "bob@example.com")
    identity = ct.assumed_role(session)
    assert identity["arn"] == (
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_a1b2c3d4e5f60718/bob@example.com"
    )
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == (
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_a1b2c3d4e5f60718"
    )


def test_cross_account_assume_role_is_logged_by_both_accounts() -> None:
    caller = ct.iam_user("111111111111", "alice", "AIDAALICE000000001", "AKIAALICE00000000001")
    session = ct.role_session("222222222222", "Deploy", "alice", "ASIADEPLOY0000000001")
    own, owner = (ct.assume_role(caller, session, recorded_by=a) for a in ("111111111111", "222222222222"))
    assert own["userIdentity"] == caller and own["recipientAccountId"] == "111111111111"
    assert owner["userIdentity"] == {
        "type": "AWSAccount",
        "principalId": "AIDAALICE000000001",
        "accountId": "111111111111",
    }
    assert owner["recipientAccountId"] == "222222222222"
    assert own["responseElements"]["credentials"]["accessKeyId"] == "ASIADEPLOY0000000001"
    assert own["eventID"] != owner["eventID"]


def test_a_service_assumes_a_role_from_and_as_its_name() -> None:
    record = ct.assume_role(ct.aws_service("ec2.amazonaws.com"), ct.role_session())
    assert record["sourceIPAddress"] == record["userAgent"] == "ec2.amazonaws.com"


def test_derived_ids_are_stable_and_differ_between_calls() -> None:
    first = ct.api_call(ct.iam_user(), event_name="ListUsers", event_source="iam.amazonaws.com")
    again = ct.api_call(ct.iam_user(), event_name="ListUsers", event_source="iam.amazonaws.com")
    other = ct.api_call(ct.iam_user(), event_name="ListRoles", event_source="iam.amazonaws.com")
    assert first == again
    assert first["eventID"] != other["eventID"] and first["requestID"] != other["requestID"]


def test_failed_console_sign_in_has_a_message_and_no_code() -> None:
    record = ct.console_login(ct.iam_user_failed_sign_in(), success=False)
    assert record["errorMessage"] == "Failed authentication" and "errorCode" not in record
    assert record["responseElements"] == {"ConsoleLogin": "Failure"}
    assert record["eventType"] == "AwsConsoleSignIn" and "arn" not in record["userIdentity"]


# --- VPC Flow Logs (flow-logs-records-examples.md) --------------------------------------


def test_default_flow_is_the_documented_accepted_ssh_record() -> None:
    assert vpcflow.text_line(vpcflow.flow()) == (
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
        "1418530010 1418530070 ACCEPT OK"
    )


def test_nodata_is_the_documented_record() -> None:
    line = vpcflow.text_line(vpcflow.nodata(start=1431280876, end=1431280934))
    assert line == "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"


def test_every_v5_field_in_the_documented_order() -> None:
    assert vpcflow.field_version(vpcflow.ALL_V5_FIELDS) == 5
    assert vpcflow.ALL_V5_FIELDS[14:21] == (
        "vpc-id",
        "subnet-id",
        "instance-id",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
    )


# --- GuardDuty ----------------------------------------------------------------------------


def test_guardduty_shapes_normalize_alike() -> None:
    """Export line, EventBridge event and GetFindings output of one finding: one document."""
    native = gd.finding(
        gd.FindingSpec(
            resource=gd.instance_resource(gd.Instance(public_ip="198.51.100.9", security_group="sg-1")),
            action=gd.network_connection_action(),
        )
    )
    api = gd.get_findings_response([native])
    assert api["Findings"][0]["Resource"]["InstanceDetails"]["NetworkInterfaces"][0]["PublicIp"] == (
        "198.51.100.9"
    )
    assert api["Findings"][0]["Service"]["Action"]["NetworkConnectionAction"]["Blocked"] is False
    expected = _documents(native, "guardduty")
    assert _documents(gd.eventbridge_event(native)) == expected
    assert _documents(api, "guardduty") == expected


def test_api_shape_keeps_the_keys_of_data_maps() -> None:
    action = gd.api_call_action()
    action["awsApiCallAction"]["affectedResources"] = {"AWS::S3::Bucket": "example-bucket"}
    api = gd.api_finding(gd.finding(gd.FindingSpec(action=action)))
    assert api["Service"]["Action"]["AwsApiCallAction"]["AffectedResources"] == {
        "AWS::S3::Bucket": "example-bucket"
    }


# --- Security Hub (asff-*.md, securityhub-cwe-event-formats.md) ---------------------------


def test_control_finding_id_is_the_consolidated_control_arn() -> None:
    spec = sh.ControlSpec(control_id="EC2.19", account="111111111111", uuid="0f0e0d0c-0001")
    finding = sh.control_finding(spec)
    assert (
        finding["Id"]
        == "arn:aws:securityhub:us-east-1:111111111111:security-control/EC2.19/finding/0f0e0d0c-0001"
    )
    assert finding["GeneratorId"] == "security-control/EC2.19" and finding["Compliance"]["Status"] == "FAILED"
    passed = sh.control_finding(sh.ControlSpec(status="PASSED", label="CRITICAL"))
    assert passed["Severity"] == {"Label": "INFORMATIONAL", "Normalized": 0, "Original": "INFORMATIONAL"}


def test_an_imported_event_differs_from_get_findings_only_by_its_envelope_account() -> None:
    finding = sh.control_finding(sh.ControlSpec())
    (from_api,) = _documents(sh.get_findings_response([finding]), "securityhub")
    firehose = sh.firehose_body([sh.imported_event(finding, "999988887777", f"e-{n}") for n in range(2)])
    delivered = list(normalize_object(io.BytesIO(firehose), ORIGIN))
    assert len(delivered) == 2
    for document in delivered:
        assert document["aws"]["securityhub_findings"].pop("envelope_account_id") == "999988887777"
        assert document == from_api


def test_an_imported_guardduty_finding_names_the_same_key_and_principal() -> None:
    native = gd.finding(gd.FindingSpec())
    imported = sh.from_guardduty(native)
    assert imported["Id"] == native["arn"]
    (from_guardduty,) = _documents(native, "guardduty")
    (from_securityhub,) = _documents(imported, "securityhub")
    assert (
        from_securityhub["user"] == from_guardduty["user"] == {"name": "alice", "id": "AIDACKCEVSQ6C2EXAMPLE"}
    )
    assert imported["Resources"][0]["Details"]["AwsIamAccessKey"]["AccessKeyId"] == "AKIAIOSFODNN7EXAMPLE"


# --- who may use the builders -------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("normalizers", "ingest", "detections", "investigation", "opensearch_assets", "infra")


def _imports(package: str) -> set[tuple[str, str]]:
    """``(file, imported module)`` for every import in a package's sources."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((str(path.relative_to(ROOT)), node.module))
    return found


def test_production_code_never_imports_the_builders() -> None:
    offending = [
        (path, module)
        for package in PRODUCTION
        for path, module in _imports(package)
        if module == "demo.records" or module.startswith("demo.records.")
    ]
    assert offending == []


def test_the_demo_never_imports_tests_or_benchmarks() -> None:
    offending = [
        (path, module) for path, module in _imports("demo") if module.split(".")[0] in ("tests", "benchmarks")
    ]
    assert offending == []
