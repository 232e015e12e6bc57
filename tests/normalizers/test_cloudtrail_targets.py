"""What a CloudTrail call acts on (docs/schema.md, "Targets"): the table of
normalizers/cloudtrail/targets.py, checked on records in the shapes of the AWS API references
(the request and response members CloudTrail logs for each operation)."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from normalizers import DeadLetter, Origin
from normalizers.cloudtrail.fields import FIELDS
from normalizers.cloudtrail.normalize import normalize
from normalizers.cloudtrail.targets import FIELDS as TARGET_FIELDS
from normalizers.cloudtrail.targets import TARGETS

ALICE = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEALICE0001",
    "arn": "arn:aws:iam::111122223333:user/alice",
    "accountId": "111122223333",
    "accessKeyId": "AKIAEXAMPLEALICE0001",
    "userName": "alice",
}


def _document(
    source: str, name: str, request: Any = None, response: Any = None, **extra: Any
) -> dict[str, Any]:
    record = {
        "eventVersion": "1.09",
        "userIdentity": ALICE,
        "eventTime": "2026-03-02T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "requestParameters": request,
        "responseElements": response,
        "eventID": "00000000-0000-4000-8000-000000000001",
        "recipientAccountId": "111122223333",
        **extra,
    }
    (item,) = normalize(io.BytesIO(orjson.dumps({"Records": [record]})), Origin("t", "2026-01-01T00:00:00Z"))
    assert not isinstance(item, DeadLetter), item
    return item


def _hosts(document: dict[str, Any]) -> list[str]:
    hosts: list[str] = document.get("related", {}).get("hosts", [])
    return hosts


def _issued(document: dict[str, Any]) -> list[str]:
    """related.user beyond the caller's own identifiers."""
    own = {"alice", "AIDAEXAMPLEALICE0001", "AKIAEXAMPLEALICE0001", "arn:aws:iam::111122223333:user/alice"}
    return [value for value in document["related"]["user"] if value not in own]


def test_every_target_field_is_defined_for_cloudtrail() -> None:
    defined = {item.path for item in FIELDS}
    assert set(TARGET_FIELDS) <= defined
    assert {row.field for rows in TARGETS.values() for row in rows} <= set(TARGET_FIELDS)


def test_iam_user_group_and_rename() -> None:
    added = _document("iam.amazonaws.com", "AddUserToGroup", {"groupName": "Admins", "userName": "bob"})
    assert added["user"]["target"] == {"name": "bob"}
    assert added["group"] == {"name": "Admins"}
    renamed = _document("iam.amazonaws.com", "UpdateUser", {"userName": "bob", "newUserName": "robert"})
    assert renamed["user"]["target"] == {"name": "bob"} and renamed["user"]["changes"] == {"name": "robert"}
    group = _document(
        "iam.amazonaws.com",
        "CreateGroup",
        {"groupName": "Ops"},
        {
            "group": {
                "groupName": "Ops",
                "groupId": "AGPAEXAMPLEOPS000001",
                "arn": "arn:aws:iam::111122223333:group/Ops",
            }
        },
    )
    assert group["group"] == {"name": "Ops", "id": "AGPAEXAMPLEOPS000001"}


def test_iam_role_changes_name_the_role() -> None:
    document = _document(
        "iam.amazonaws.com",
        "AttachRolePolicy",
        {"roleName": "Deployer", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )
    assert document["user"]["target"] == {"roles": ["Deployer"]}


def test_create_access_key_for_oneself_names_the_user_from_the_response_and_the_new_key() -> None:
    response = {"accessKey": {"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active", "userName": "alice"}}
    document = _document("iam.amazonaws.com", "CreateAccessKey", None, response)
    assert document["user"]["target"] == {"name": "alice"}
    assert _issued(document) == ["AKIAEXAMPLENEWKEY001"]


def test_a_key_acted_on_is_a_credential_of_the_record() -> None:
    document = _document(
        "iam.amazonaws.com",
        "UpdateAccessKey",
        {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"},
    )
    assert _issued(document) == ["AKIAEXAMPLEBOBKEY001"]


def test_assume_role_names_the_session_its_key_and_arn() -> None:
    response = {
        "credentials": {
            "accessKeyId": "ASIAEXAMPLESESSION01",
            "sessionToken": "x",
            "expiration": "Mar 2, 2026",
        },
        "assumedRoleUser": {
            "assumedRoleId": "AROAEXAMPLEROLE00001:deploy",
            "arn": "arn:aws:sts::444455556666:assumed-role/Deployer/deploy",
        },
    }
    request = {"roleArn": "arn:aws:iam::444455556666:role/Deployer", "roleSessionName": "deploy"}
    document = _document("sts.amazonaws.com", "AssumeRole", request, response)
    assert document["user"]["target"] == {"name": "deploy"}
    assert _issued(document) == [
        "ASIAEXAMPLESESSION01",
        "arn:aws:sts::444455556666:assumed-role/Deployer/deploy",
    ]


def test_assume_root_targets_the_member_account() -> None:
    request = {
        "targetPrincipal": "444455556666",
        "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"},
    }
    response = {"credentials": {"accessKeyId": "ASIAEXAMPLEROOTTASK1", "sessionToken": "x"}}
    document = _document("sts.amazonaws.com", "AssumeRoot", request, response)
    assert document["cloud"]["target"] == {"account": {"id": "444455556666"}}
    assert _issued(document) == ["ASIAEXAMPLEROOTTASK1"]


def test_instances_launched_stopped_and_named() -> None:
    run = _document(
        "ec2.amazonaws.com",
        "RunInstances",
        {"instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 2}]}},
        {
            "instancesSet": {
                "items": [{"instanceId": "i-0a1b2c3d4e5f60718"}, {"instanceId": "i-0a1b2c3d4e5f60719"}]
            }
        },
    )
    assert _hosts(run) == ["i-0a1b2c3d4e5f60718", "i-0a1b2c3d4e5f60719"]
    stop = _document(
        "ec2.amazonaws.com", "StopInstances", {"instancesSet": {"items": [{"instanceId": "i-1a2b3c4d"}]}}
    )
    assert _hosts(stop) == ["i-1a2b3c4d"]
    tags = _document(
        "ec2.amazonaws.com",
        "CreateTags",
        {"resourcesSet": {"items": [{"resourceId": "i-0a1b2c3d4e5f60718"}, {"resourceId": "sg-0a1b2c3d"}]}},
    )
    assert _hosts(tags) == ["i-0a1b2c3d4e5f60718"]


def test_describe_filters_and_malformed_ids_are_not_targets() -> None:
    describe = _document(
        "ec2.amazonaws.com",
        "DescribeInstances",
        {
            "filterSet": {
                "items": [{"name": "instance-id", "valueSet": {"items": [{"value": "i-0a1b2c3d4e5f60718"}]}}]
            }
        },
    )
    assert _hosts(describe) == []
    malformed = _document("ec2.amazonaws.com", "GetPasswordData", {"instanceId": "i-NOT-AN-ID"})
    assert _hosts(malformed) == []


def test_ssm_commands_and_sessions_name_their_instances() -> None:
    command = _document(
        "ssm.amazonaws.com",
        "SendCommand",
        {
            "documentName": "AWS-RunShellScript",
            "instanceIds": ["i-0a1b2c3d4e5f60718"],
            "targets": [
                {"key": "InstanceIds", "values": ["i-0a1b2c3d4e5f60719"]},
                {"key": "tag:Env", "values": ["prod"]},
            ],
        },
    )
    assert _hosts(command) == ["i-0a1b2c3d4e5f60718", "i-0a1b2c3d4e5f60719"]
    session = _document("ssm.amazonaws.com", "StartSession", {"target": "mi-0123456789abcdef0"})
    assert _hosts(session) == ["mi-0123456789abcdef0"]
    assert session["event"]["category"] == ["session"]


def test_s3_bucket_and_object() -> None:
    document = _document(
        "s3.amazonaws.com",
        "PutObject",
        {"bucketName": "backups", "key": "db/dump.sql.gz", "Host": "backups.s3.amazonaws.com"},
    )
    assert document["aws"]["s3"] == {"bucket": {"name": "backups"}, "object": {"key": "db/dump.sql.gz"}}
    assert document["event"]["category"] == ["file"] and document["event"]["type"] == ["creation"]


@pytest.mark.parametrize(
    ("name", "request_parameters"),
    [
        (
            "MoveAccount",
            {
                "accountId": "444455556666",
                "sourceParentId": "r-ab12",
                "destinationParentId": "ou-ab12-cdef3456",
            },
        ),
        ("RemoveAccountFromOrganization", {"accountId": "444455556666"}),
        ("InviteAccountToOrganization", {"target": {"id": "444455556666", "type": "ACCOUNT"}}),
    ],
)
def test_organizations_member_account(name: str, request_parameters: dict[str, Any]) -> None:
    document = _document("organizations.amazonaws.com", name, request_parameters)
    assert document["cloud"]["target"] == {"account": {"id": "444455556666"}}
