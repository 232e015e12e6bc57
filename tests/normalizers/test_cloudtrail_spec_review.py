"""Gaps found reviewing the CloudTrail normalizer against the CloudTrail User Guide
(``../shared/reference/aws-docs/cloudtrail/``), each fixed.

Records are hand-written from the guide's descriptions; only the fields a gap needs are set.
"""

from __future__ import annotations

import io
from typing import Any

import orjson

from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import GOLDEN

ORIGIN = Origin(
    "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/"
    "111122223333_CloudTrail_us-east-1_20240501T1205Z_Mu0KsOhtH1ar15ZZ.json.gz",
    "2026-01-01T00:00:00.000Z",
)


def _document(record: dict[str, Any]) -> dict[str, Any]:
    [document] = list(normalize_object(io.BytesIO(orjson.dumps({"Records": [record]})), ORIGIN))
    assert not isinstance(document, DeadLetter), document
    return document


def test_an_s3_on_outposts_object_write_is_a_file_event() -> None:
    # cloudtrail-event-reference-record-contents.md, "edgeDeviceDetails": "Currently, S3 on
    # Outposts device events include this field": a data event on an object, as on S3.
    document = _document(
        {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDACKCEVSQ6C2EXAMPLE",
                "arn": "arn:aws:iam::111122223333:user/Alice",
                "accountId": "111122223333",
                "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "userName": "Alice",
            },
            "eventTime": "2024-05-01T12:00:00Z",
            "eventSource": "s3-outposts.amazonaws.com",
            "eventName": "PutObject",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": {"bucketName": "op-bucket", "key": "reports/q1.csv"},
            "responseElements": None,
            "requestID": "EXAMPLE123456789",
            "eventID": "EXAMPLE8-1111-2222-3333-444455556666",
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": False,
            "recipientAccountId": "111122223333",
            "eventCategory": "Data",
            "edgeDeviceDetails": {"type": "outposts", "deviceID": "op-01ac5d28a6a232904"},
        }
    )
    assert (document["event"]["category"], document["event"]["type"]) == (["file"], ["creation"])
    assert document["aws"]["s3"] == {"bucket": {"name": "op-bucket"}, "object": {"key": "reports/q1.csv"}}


def test_a_record_naming_no_account_is_the_log_file_account() -> None:
    # user-identity.md: a WebIdentityUser or SAMLUser caller has no accountId, and records of
    # the first event versions have no recipientAccountId; CloudTrail writes each log file under
    # AWSLogs/<account>/ (an organization trail under AWSLogs/<organization id>/<account>/).
    record = {
        "eventVersion": "1.0",
        "userIdentity": {
            "type": "WebIdentityUser",
            "principalId": "accounts.google.com:app.apps.googleusercontent.com:user-id",
            "userName": "user-id",
            "identityProvider": "accounts.google.com",
        },
        "eventTime": "2014-05-01T12:00:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRoleWithWebIdentity",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.80",
        "userAgent": "aws-sdk-js/2.0",
        "requestParameters": {
            "roleArn": "arn:aws:iam::111122223333:role/WebAppRole",
            "roleSessionName": "app",
        },
        "responseElements": None,
        "eventID": "EXAMPLE8-1111-2222-3333-444455556666",
    }
    assert _document(record)["cloud"]["account"] == {"id": "111122223333"}
    organization = Origin(
        "s3://bucket/org/AWSLogs/o-exampleorgid/444455556666/CloudTrail/us-east-1/2014/05/01/f.json.gz",
        "2026-01-01T00:00:00.000Z",
    )
    [document] = list(normalize_object(io.BytesIO(orjson.dumps({"Records": [record]})), organization))
    assert not isinstance(document, DeadLetter)
    assert document["cloud"]["account"] == {"id": "444455556666"}
    # A recording account named in the record wins over the folder.
    named = {**record, "recipientAccountId": "999988887777"}
    assert _document(named)["cloud"]["account"] == {"id": "999988887777"}
    local = Origin("trail.json", "2026-01-01T00:00:00.000Z")
    [document] = list(normalize_object(io.BytesIO(orjson.dumps({"Records": [record]})), local))
    assert not isinstance(document, DeadLetter)
    assert "account" not in document["cloud"]


def _golden_records(case: str) -> list[dict[str, Any]]:
    path = GOLDEN / "cloudtrail" / case / "input.json"
    records: list[dict[str, Any]] = orjson.loads(path.read_bytes())["Records"]
    return records


def test_a_network_activity_event_is_the_endpoint_s_decision() -> None:
    # record-contents "vpcEndpointId"; network activity events (eventType AwsVpceEvent): the
    # VPC endpoint's record of a call, denied by its policy (VpceAccessDenied) or let through.
    denied, allowed = _golden_records("network-activity")
    for record, kind in ((denied, "denied"), (allowed, "allowed")):
        event = _document(record)["event"]
        assert (event["category"], event["type"]) == (["network"], [kind])
    # Another error (the service's own, after the endpoint let the call through): still
    # allowed by the endpoint, a failed call.
    failed = _document({**allowed, "errorCode": "AccessDenied", "errorMessage": "not authorized"})
    assert (failed["event"]["type"], failed["event"]["outcome"]) == (["allowed"], "failure")
    # VpceAccessDenied outside a network activity event is no endpoint decision to categorize.
    api_call = _document({**denied, "eventType": "AwsApiCall", "eventCategory": "Management"})
    assert (api_call["event"]["category"], api_call["event"]["type"]) == (["configuration"], ["info"])


def test_web_identity_attributes_are_bounded() -> None:
    # A hostile record: 100,000 claims, some of them no string. The document keeps the first
    # 100 members' strings, and related.user the subjects among them only.
    [record, _] = _golden_records("web-identity-federation")
    claims: dict[str, Any] = {f"issuer.example:claim{index}": f"value{index}" for index in range(100_000)}
    claims["issuer.example:claim3"] = {"nested": ["object"]}
    claims["issuer.example:claim5"] = 5
    claims = {"issuer.example:sub": "person-1", **claims, "issuer.example:user_id": "person-late"}
    session = {**record["userIdentity"]["sessionContext"]}
    session["webIdFederationData"] = {"federatedProvider": "issuer.example", "attributes": claims}
    document = _document({**record, "userIdentity": {**record["userIdentity"], "sessionContext": session}})
    kept = document["aws"]["cloudtrail"]["user_identity"]["session_context"]["web_id_federation_data"]
    assert len(kept["attributes"]) == 98  # the first 100 members, two of them no string
    assert kept["attributes"]["issuer.example:sub"] == "person-1"
    assert "issuer.example:claim3" not in kept["attributes"]
    assert "person-1" in document["related"]["user"] and "person-late" not in document["related"]["user"]
    assert len(orjson.dumps(document)) < 10_000


def test_web_identity_attributes_that_are_no_object_make_the_record_invalid() -> None:
    [record, _] = _golden_records("web-identity-federation")
    session = {**record["userIdentity"]["sessionContext"]}
    session["webIdFederationData"] = {"federatedProvider": "issuer.example", "attributes": "sub=person-1"}
    data = orjson.dumps(
        {"Records": [{**record, "userIdentity": {**record["userIdentity"], "sessionContext": session}}]}
    )
    [item] = list(normalize_object(io.BytesIO(data), ORIGIN))
    assert isinstance(item, DeadLetter) and item.reason.startswith("invalid record")


def test_a_record_without_recipient_account_is_its_log_file_s_not_its_caller_s() -> None:
    # record-contents "recipientAccountId" (since 1.02): it "may be different from the
    # userIdentity accountId ... in cross-account resource access"; user-identity "AWSAccount
    # – The request was made by another AWS account". Without recipientAccountId, the
    # AWSLogs/<account>/ folder the log file is under names the recording account; the
    # caller's accountId only when there is no such folder.
    record = {
        "eventVersion": "1.01",
        "userIdentity": {
            "type": "AWSAccount",
            "principalId": "AIDAJ45Q7YFFAREXAMPLE",
            "accountId": "444455556666",
        },
        "eventTime": "2014-05-01T12:00:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.64",
        "requestParameters": {"roleArn": "arn:aws:iam::111122223333:role/Shared", "roleSessionName": "x"},
        "responseElements": None,
        "eventID": "EXAMPLE8-1111-2222-3333-444455556666",
    }
    document = _document(record)  # ORIGIN: AWSLogs/111122223333/
    assert document["cloud"]["account"] == {"id": "111122223333"}
    assert document["aws"]["cloudtrail"]["user_identity"]["account_id"] == "444455556666"
    local = Origin("trail.json", "2026-01-01T00:00:00.000Z")
    [elsewhere] = list(normalize_object(io.BytesIO(orjson.dumps({"Records": [record]})), local))
    assert not isinstance(elsewhere, DeadLetter)
    assert elsewhere["cloud"]["account"] == {"id": "444455556666"}
