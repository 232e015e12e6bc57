"""The federation and session builders of demo.records.cloudtrail against the AWS documentation.

Expected values come from ``cloudtrail-event-reference-user-identity.md`` (its SAMLUser and
WebIdentityUser descriptions and examples) and the IAM User Guide's CloudTrail examples of
``AssumeRoleWithSAML``/``AssumeRoleWithWebIdentity``.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson

from demo.records import cloudtrail as ct
from normalizers import DeadLetter, Origin, normalize_object

CREATED = datetime(2023, 1, 6, 17, 10, 23, tzinfo=UTC)


def _document(record: dict) -> dict:
    items = list(
        normalize_object(io.BytesIO(orjson.dumps({"Records": [record]})), Origin("t", "2026-01-01T00:00:00Z"))
    )
    assert len(items) == 1 and not isinstance(items[0], DeadLetter), items
    return items[0]


def test_web_identity_user_is_the_documented_example() -> None:
    user = ct.web_identity_user(
        provider="accounts.google.com",
        audience="application-id.apps.googleusercontent.com",
        subject="user-id",
    )
    assert user == {
        "type": "WebIdentityUser",
        "principalId": "accounts.google.com:application-id.apps.googleusercontent.com:user-id",
        "userName": "user-id",
        "identityProvider": "accounts.google.com",
    }


def test_saml_user_joins_name_qualifier_and_subject() -> None:
    assert ct.saml_user("bdGOnTesti4+ExamplexL/jEvs=", "SamlExample") == {
        "type": "SAMLUser",
        "principalId": "bdGOnTesti4+ExamplexL/jEvs=:SamlExample",
        "userName": "SamlExample",
        "identityProvider": "bdGOnTesti4+ExamplexL/jEvs=",
    }


def test_assume_role_with_saml_names_provider_role_and_assertion() -> None:
    session = ct.role_session(
        "444455556666", "SAMLTestRoleShibboleth", "MyAssignedRoleSessionName", created=CREATED
    )
    provider = "arn:aws:iam::444455556666:saml-provider/Shibboleth"
    record = ct.assume_role_with_saml(
        ct.saml_user("bdGOnTesti4+ExamplexL/jEvs=", "SamlExample"),
        session,
        provider,
        issuer="https://server.example.com/idp/shibboleth",
    )
    assert record["eventSource"] == "sts.amazonaws.com" and record["eventName"] == "AssumeRoleWithSAML"
    assert record["recipientAccountId"] == "444455556666"
    request = record["requestParameters"]
    assert request["roleArn"] == "arn:aws:iam::444455556666:role/SAMLTestRoleShibboleth"
    assert request["principalArn"] == provider and request["roleSessionName"] == "MyAssignedRoleSessionName"
    assert "sAMLAssertionID" in request
    response = record["responseElements"]
    assert response["assumedRoleUser"]["arn"] == (
        "arn:aws:sts::444455556666:assumed-role/SAMLTestRoleShibboleth/MyAssignedRoleSessionName"
    )
    assert response["credentials"]["expiration"] == "Jan 6, 2023, 6:10:23 PM"
    assert response["subject"] == "SamlExample" and response["nameQualifier"] == "bdGOnTesti4+ExamplexL/jEvs="
    assert response["audience"] == "https://signin.aws.amazon.com/saml"
    assert {resource["type"] for resource in record["resources"]} == {
        "AWS::IAM::Role",
        "AWS::IAM::SAMLProvider",
    }
    document = _document(record)
    assert document["aws"]["cloudtrail"]["user_identity"]["type"] == "SAMLUser"
    assert document["user"]["name"] == "SamlExample"


def test_assume_role_with_web_identity_reports_provider_audience_and_subject() -> None:
    provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    subject = "repo:octo-org/octo-repo:ref:refs/heads/main"
    user = ct.web_identity_user(provider=provider, audience="sts.amazonaws.com", subject=subject)
    session = ct.role_session("111122223333", "deploy", "GitHubActions", created=CREATED)
    record = ct.assume_role_with_web_identity(user, session)
    assert record["eventName"] == "AssumeRoleWithWebIdentity"
    assert record["requestParameters"] == {
        "roleArn": "arn:aws:iam::111122223333:role/deploy",
        "roleSessionName": "GitHubActions",
        "durationSeconds": 3600,
    }
    response = record["responseElements"]
    assert response["subjectFromWebIdentityToken"] == subject
    assert response["provider"] == provider and response["audience"] == "sts.amazonaws.com"
    assert response["credentials"]["accessKeyId"] == session.access_key_id
    assert _document(record)["aws"]["cloudtrail"]["user_identity"]["identity_provider"] == provider


def test_iam_user_console_session_carries_mfa_in_its_session_context() -> None:
    identity = ct.iam_user(access_key_id="ASIAIOSFODNN7EXAMPLE", session_created=CREATED, mfa=True)
    assert identity["sessionContext"] == {
        "sessionIssuer": {},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2023-01-06T17:10:23Z", "mfaAuthenticated": "true"},
    }
    document = _document(ct.api_call(identity, event_name="ListBuckets", event_source="s3.amazonaws.com"))
    assert document["aws"]["cloudtrail"]["user_identity"]["session_context"]["mfa_authenticated"] is True
    assert "sessionContext" not in ct.iam_user()


def test_service_acting_with_a_role_session_is_named_in_invoked_by() -> None:
    identity = ct.assumed_role(
        ct.role_session(role="cfn-exec", session="AWSCloudFormation"),
        invoked_by="cloudformation.amazonaws.com",
    )
    assert identity["invokedBy"] == "cloudformation.amazonaws.com"
    assert list(identity)[-1] == "invokedBy"
    document = _document(
        ct.api_call(identity, event_name="UpdateFunctionCode20150331v2", event_source="lambda.amazonaws.com")
    )
    assert document["aws"]["cloudtrail"]["user_identity"]["invoked_by"] == "cloudformation.amazonaws.com"
    assert "invokedBy" not in ct.assumed_role(ct.role_session())


def test_sign_in_service_event_reports_its_outcome_in_service_event_details() -> None:
    record = ct.api_call(
        {"type": "Unknown", "principalId": "9067abcdef-1234", "accountId": "111122223333", "userName": "ana"},
        event_name="CredentialVerification",
        event_source="signin.amazonaws.com",
        event_type="AwsServiceEvent",
        read_only=False,
        service_event_details={"CredentialVerification": "Failure"},
    )
    keys = list(record)
    assert keys.index("serviceEventDetails") == keys.index("recipientAccountId") + 1
    assert _document(record)["event"]["outcome"] == "failure"
