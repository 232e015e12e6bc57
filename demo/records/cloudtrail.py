"""CloudTrail records, identities, log files and digest files, as a trail delivers them to S3.

Shapes follow ``shared/reference/aws-docs/cloudtrail``: the record contents
(``cloudtrail-event-reference-record-contents.md``), the ``userIdentity`` element
(``cloudtrail-event-reference-user-identity.md``), console sign-in events
(``cloudtrail-event-reference-aws-console-sign-in-events.md``) and the digest file
structure (``cloudtrail-log-file-validation-digest-file-structure.md``). Field order follows
real log files. Values are made up: example account ids, RFC 5737 addresses.

Two ways in, one record shape:

- :func:`api_call` (keyword arguments, documented defaults) for tests, fuzzers and corpora;
  without ``event_id``/``request_id`` it derives them from the record's content, so the same
  arguments always give the same record and different calls different ids.
- :class:`Call` + :func:`event` for the demo story, whose ids come from a seeded
  :class:`~demo.ids.Ids` (so the demo's bytes depend only on its seed).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from demo.ids import Ids, cloudtrail_response_date, compact, iso

EVENT_VERSION = "1.09"
DATA_EVENT_VERSION = "1.10"
EXAMPLE_ACCOUNT = "111122223333"
"""The account id AWS's own documentation uses in examples."""
REGION = "us-east-1"
EXAMPLE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLI_AGENT = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 botocore/2.4.5"
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"
CONSOLE_HOME = "https://console.aws.amazon.com/console/home"

Record = dict[str, Any]


# --- userIdentity -----------------------------------------------------------------------


def iam_user(
    account: str = EXAMPLE_ACCOUNT,
    name: str = "alice",
    principal_id: str = "AIDACKCEVSQ6C2EXAMPLE",
    access_key_id: str | None = "AKIAIOSFODNN7EXAMPLE",
    session_created: datetime | None = None,
    mfa: bool = False,
) -> Record:
    """An IAM user's long-term key; ``access_key_id=None`` leaves the field out (console sign-in).

    ``session_created`` marks a call made with the user's temporary console (or
    ``GetSessionToken``) credentials: a ``sessionContext`` with no issuer, whose
    ``mfaAuthenticated`` says whether the user signed in with MFA.
    """
    identity: Record = {
        "type": "IAMUser",
        "principalId": principal_id,
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
    }
    if access_key_id is not None:
        identity["accessKeyId"] = access_key_id
    identity["userName"] = name
    if session_created is not None:
        identity["sessionContext"] = {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": iso(session_created), "mfaAuthenticated": str(mfa).lower()},
        }
    return identity


def iam_user_failed_sign_in(
    account: str = EXAMPLE_ACCOUNT, name: str = "alice", principal_id: str = "AIDACKCEVSQ6C2EXAMPLE"
) -> Record:
    """An IAM user's identity in a failed console sign-in: no ARN, an empty key."""
    return {
        "type": "IAMUser",
        "principalId": principal_id,
        "accountId": account,
        "accessKeyId": "",
        "userName": name,
    }


@dataclass(frozen=True, slots=True)
class RoleSession:
    """One set of temporary credentials obtained with ``AssumeRole``."""

    account_id: str
    role_name: str
    role_id: str
    """``AROA...``: the role's unique id."""
    session_name: str
    access_key_id: str
    """``ASIA...``: the key every call made in the session is signed with."""
    created: datetime
    role_path: str = "/"
    """The role's IAM path: in the role's ARN, never in the session's."""

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role{self.role_path}{self.role_name}"

    @property
    def arn(self) -> str:
        """The session's own ARN, ``arn:aws:sts::<acct>:assumed-role/<role>/<session>``."""
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def principal_id(self) -> str:
        """``AROA...:<session name>``, CloudTrail's ``principalId`` for the session."""
        return f"{self.role_id}:{self.session_name}"


def role_session(
    account: str = EXAMPLE_ACCOUNT,
    role: str = "Admin",
    session: str = "alice",
    access_key_id: str = "ASIAIOSFODNN7EXAMPLE",
    role_id: str = "AROAIDPPEZS35WEXAMPLE",
    created: datetime = EXAMPLE_TIME,
) -> RoleSession:
    """A :class:`RoleSession` with keyword arguments and example defaults."""
    return RoleSession(account, role, role_id, session, access_key_id, created)


def identity_center_session(
    account: str = EXAMPLE_ACCOUNT,
    permission_set: str = "AdministratorAccess",
    role_suffix: str = "0123456789abcdef",
    user: str = "alice@example.com",
    access_key_id: str = "ASIAIOSFODNN7EXAMPLE",
    role_id: str = "AROAIDPPEZS35WEXAMPLE",
    created: datetime = EXAMPLE_TIME,
) -> RoleSession:
    """An IAM Identity Center sign-in: a session of the permission set's reserved role.

    The role is ``AWSReservedSSO_<permission set>_<16 hex>`` under the
    ``/aws-reserved/sso.amazonaws.com/`` path; the session name is the user's name.
    """
    return RoleSession(
        account,
        f"AWSReservedSSO_{permission_set}_{role_suffix}",
        role_id,
        user,
        access_key_id,
        created,
        role_path="/aws-reserved/sso.amazonaws.com/",
    )


def assumed_role(
    session: RoleSession,
    mfa: bool = False,
    ec2_role_delivery: str | None = None,
    *,
    web_id_federation: bool = True,
    attributes: bool = True,
    invoked_by: str | None = None,
) -> Record:
    """The ``AssumedRole`` identity of calls made with ``session``'s key.

    ``ec2_role_delivery`` (``"2.0"`` for IMDSv2) marks an instance profile's credentials;
    ``web_id_federation``/``attributes`` keep or leave out those parts of ``sessionContext``;
    ``invoked_by`` names the service that made the call with the session (CloudFormation
    with its service role, AWS Backup, Auto Scaling's service-linked role).
    """
    context: Record = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": session.role_id,
            "arn": session.role_arn,
            "accountId": session.account_id,
            "userName": session.role_name,
        }
    }
    if web_id_federation:
        context["webIdFederationData"] = {}
    if attributes:
        context["attributes"] = {"creationDate": iso(session.created), "mfaAuthenticated": str(mfa).lower()}
    if ec2_role_delivery:
        context["ec2RoleDelivery"] = ec2_role_delivery
    identity: Record = {
        "type": "AssumedRole",
        "principalId": session.principal_id,
        "arn": session.arn,
        "accountId": session.account_id,
        "accessKeyId": session.access_key_id,
        "sessionContext": context,
    }
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


def root(
    account: str = EXAMPLE_ACCOUNT, access_key_id: str | None = "", invoked_by: str | None = None
) -> Record:
    """The account's root user; ``invoked_by`` names a service acting with root's authority."""
    identity: Record = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    if access_key_id is not None:
        identity["accessKeyId"] = access_key_id
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


def federated_user(
    account: str = EXAMPLE_ACCOUNT,
    name: str = "partner",
    access_key_id: str = "ASIAIOSFODNN7EXAMPLE",
    issuer_principal_id: str = "AIDACKCEVSQ6C2EXAMPLE",
    issuer_name: str = "federator",
    created: datetime = EXAMPLE_TIME,
) -> Record:
    """Credentials from ``GetFederationToken``, called by the IAM user ``issuer_name``."""
    return {
        "type": "FederatedUser",
        "principalId": f"{account}:{name}",
        "arn": f"arn:aws:sts::{account}:federated-user/{name}",
        "accountId": account,
        "accessKeyId": access_key_id,
        "sessionContext": {
            "attributes": {"creationDate": iso(created), "mfaAuthenticated": "false"},
            "sessionIssuer": {
                "type": "IAMUser",
                "principalId": issuer_principal_id,
                "arn": f"arn:aws:iam::{account}:user/{issuer_name}",
                "accountId": account,
                "userName": issuer_name,
            },
        },
    }


def web_identity_user(
    provider: str = "accounts.google.com",
    audience: str = "app.apps.googleusercontent.com",
    subject: str = "1234",
) -> Record:
    """A caller authenticated by an OIDC provider (``AssumeRoleWithWebIdentity``)."""
    return {
        "type": "WebIdentityUser",
        "principalId": f"{provider}:{audience}:{subject}",
        "userName": subject,
        "identityProvider": provider,
    }


def saml_user(
    name_qualifier: str = "Kx0sbWHlxo6IsCQrHXkUZkCpOZU=", subject: str = "alice@example.com"
) -> Record:
    """A caller authenticated by a SAML assertion (``AssumeRoleWithSAML``).

    ``principalId`` joins the assertion's ``saml:namequalifier`` and ``saml:sub``;
    ``identityProvider`` is the name qualifier (cloudtrail-event-reference-user-identity.md).
    """
    return {
        "type": "SAMLUser",
        "principalId": f"{name_qualifier}:{subject}",
        "userName": subject,
        "identityProvider": name_qualifier,
    }


def aws_account(account: str, principal_id: str) -> Record:
    """How the role owner's trail names a caller from another account (cross-account STS)."""
    return {"type": "AWSAccount", "principalId": principal_id, "accountId": account}


def aws_service(service: str = "ec2.amazonaws.com") -> Record:
    return {"type": "AWSService", "invokedBy": service}


# --- records ----------------------------------------------------------------------------


def tls_details(event_source: str, region: str) -> Record:
    """The TLS block of a call signed by a client (services calling each other have none)."""
    return {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": _host(event_source, region),
    }


def api_call(
    identity: Record,
    *,
    event_name: str = "GetCallerIdentity",
    event_source: str = "sts.amazonaws.com",
    time: datetime | str = EXAMPLE_TIME,
    region: str = REGION,
    source_ip: str = "203.0.113.10",
    user_agent: str = CLI_AGENT,
    recipient_account: str | None = None,
    read_only: bool | None = True,
    request: Any = None,
    response: Any = None,
    error_code: str | None = None,
    error_message: str | None = None,
    additional: Record | None = None,
    request_id: str | None = None,
    event_id: str | None = None,
    resources: Sequence[Record] = (),
    event_type: str = "AwsApiCall",
    category: str = "Management",
    shared_event_id: str | None = None,
    tls: Record | None = None,
    event_version: str | None = None,
    service_event_details: Record | None = None,
) -> Record:
    """One CloudTrail record in AWS's field order.

    ``recipient_account`` defaults to the identity's ``accountId`` (else the example account),
    ``event_version`` to 1.09 (1.10 for data events), ``read_only=None`` leaves the field out;
    ``service_event_details`` is the outcome block of service events (sign-in's
    ``{"CredentialVerification": "Success"}``).
    ``requestParameters`` and ``responseElements`` are always present (``null`` when empty),
    as AWS writes them. Without ``event_id``/``request_id`` both are derived from the rest
    of the record.
    """
    data_event = category == "Data"
    record: Record = {
        "eventVersion": event_version or (DATA_EVENT_VERSION if data_event else EVENT_VERSION),
        "userIdentity": identity,
        "eventTime": time if isinstance(time, str) else iso(time),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error_code:
        record["errorCode"] = error_code
    if error_message is not None:
        record["errorMessage"] = error_message
    record["requestParameters"] = request
    record["responseElements"] = response
    if additional is not None:
        record["additionalEventData"] = additional
    record["requestID"] = request_id or _derived_uuid(record, "request")
    record["eventID"] = event_id or _derived_uuid(record, "event")
    if read_only is not None:
        record["readOnly"] = read_only
    if resources:
        record["resources"] = list(resources)
    record["eventType"] = event_type
    record["managementEvent"] = not data_event
    record["recipientAccountId"] = recipient_account or identity.get("accountId") or EXAMPLE_ACCOUNT
    if service_event_details is not None:
        record["serviceEventDetails"] = service_event_details
    if shared_event_id:
        record["sharedEventID"] = shared_event_id
    record["eventCategory"] = category
    if tls is not None:
        record["tlsDetails"] = tls
    return record


VPC_ENDPOINT = "vpce-0a1b2c3d4e5f67890"


def network_activity_copy(call: Record, event_id: str | None = None, endpoint: str = VPC_ENDPOINT) -> Record:
    """The VPC endpoint owner's network activity event of ``call``, a call the endpoint let
    through (``eventType: AwsVpceEvent``, ``eventCategory: NetworkActivity``, its own
    ``eventID``: tests/golden/cloudtrail/network-activity has AWS's own two). Every other field
    of the call is kept, the worst case for a reader that should count the call once; the
    record contents give ``managementEvent`` to the other event types only. The endpoint's
    account is the call's recipient account."""
    copy = {
        **call,
        "eventID": event_id or _derived_uuid(call, "network activity"),
        "eventType": "AwsVpceEvent",
        "eventCategory": "NetworkActivity",
        "vpcEndpointId": endpoint,
        "vpcEndpointAccountId": call.get("recipientAccountId", EXAMPLE_ACCOUNT),
    }
    copy.pop("managementEvent", None)
    return copy


def _derived_uuid(record: Record, salt: str) -> str:
    digest = hashlib.blake2b(orjson.dumps(record) + salt.encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def console_login(
    identity: Record,
    *,
    time: datetime | str = EXAMPLE_TIME,
    source_ip: str = "198.51.100.20",
    success: bool = True,
    mfa_used: bool = False,
    login_to: str | None = CONSOLE_HOME,
    user_agent: str = BROWSER_AGENT,
    region: str = REGION,
    event_id: str | None = None,
    read_only: bool | None = False,
) -> Record:
    """A console sign-in (``AwsConsoleSignIn``); a failure has an ``errorMessage`` and no code."""
    additional: Record = {}
    if login_to is not None:
        additional["LoginTo"] = login_to
    additional["MobileVersion"] = "No"
    additional["MFAUsed"] = "Yes" if mfa_used else "No"
    return api_call(
        identity,
        event_name="ConsoleLogin",
        event_source="signin.amazonaws.com",
        time=time,
        region=region,
        source_ip=source_ip,
        user_agent=user_agent,
        read_only=read_only,
        response={"ConsoleLogin": "Success" if success else "Failure"},
        error_message=None if success else "Failed authentication",
        additional=additional,
        event_id=event_id,
        event_type="AwsConsoleSignIn",
    )


def assume_role_request(session: RoleSession, duration_seconds: int | None = 3600) -> Record:
    request: Record = {"roleArn": session.role_arn, "roleSessionName": session.session_name}
    if duration_seconds is not None:
        request["durationSeconds"] = duration_seconds
    return request


def assume_role_response(
    session: RoleSession, session_token: str | None = "IQoJb3JpZ2luX2VjEXAMPLE", expiration: str | None = None
) -> Record:
    """What ``AssumeRole`` returned: the issued key (the link from a session to its caller).

    ``expiration`` is in the US-style form STS logs (:func:`demo.ids.cloudtrail_response_date`);
    ``None`` leaves it (and a ``None`` token) out.
    """
    credentials: Record = {"accessKeyId": session.access_key_id}
    if session_token is not None:
        credentials["sessionToken"] = session_token
    if expiration is not None:
        credentials["expiration"] = expiration
    return {
        "credentials": credentials,
        "assumedRoleUser": {"assumedRoleId": session.principal_id, "arn": session.arn},
    }


def role_resources(session: RoleSession) -> tuple[Record, ...]:
    return ({"accountId": session.account_id, "type": "AWS::IAM::Role", "ARN": session.role_arn},)


def assume_role(
    caller: Record,
    session: RoleSession,
    *,
    recorded_by: str | None = None,
    time: datetime | str | None = None,
    source_ip: str = "203.0.113.10",
    user_agent: str = CLI_AGENT,
    expiration: str | None = None,
    event_id: str | None = None,
    shared_event_id: str | None = None,
) -> Record:
    """The ``AssumeRole`` call that issued ``session``, as the trail of ``recorded_by`` logs it.

    The call is at ``session.created`` unless ``time`` says otherwise; the credentials
    expire an hour after ``session.created`` unless ``expiration`` says otherwise.

    A cross-account call is logged twice: by the caller's account (``recorded_by`` = the
    caller's account, the default) and by the role's account, which names a caller from
    another account only as ``AWSAccount`` (no ARN, no key). An AWS service caller
    (``AWSService``) calls from and as its service name.
    """
    recorded_by = recorded_by or caller.get("accountId") or session.account_id
    expiration = expiration or cloudtrail_response_date(session.created + timedelta(hours=1))
    if caller.get("accountId") not in (None, recorded_by):
        caller = aws_account(caller["accountId"], caller["principalId"])
    service = caller.get("invokedBy") if caller.get("type") == "AWSService" else None
    return api_call(
        caller,
        event_name="AssumeRole",
        event_source="sts.amazonaws.com",
        time=session.created if time is None else time,
        source_ip=service or source_ip,
        user_agent=service or user_agent,
        recipient_account=recorded_by,
        request=assume_role_request(session),
        response=assume_role_response(session, expiration=expiration),
        resources=role_resources(session),
        event_id=event_id,
        shared_event_id=shared_event_id,
    )


def assume_role_with_saml(
    user: Record,
    session: RoleSession,
    provider_arn: str,
    *,
    issuer: str = "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/EXAMPLE",
    assertion_id: str = "_c0046cEXAMPLEb9d4b8eEXAMPLE2619aEXAMPLE",
    time: datetime | str | None = None,
    source_ip: str = "198.51.100.20",
    user_agent: str = BROWSER_AGENT,
    duration_seconds: int = 3600,
    event_id: str | None = None,
) -> Record:
    """The ``AssumeRoleWithSAML`` call that issued ``session`` to the :func:`saml_user` ``user``.

    Shapes from the IAM User Guide's CloudTrail example: ``sAMLAssertionID`` (sic) and the
    SAML provider in ``requestParameters``, the assertion's subject, issuer, audience and
    name qualifier in ``responseElements``, the role and the provider in ``resources``.
    IAM Identity Center signs users in this way into the ``AWSReservedSSO_*`` roles.
    """
    response = assume_role_response(
        session, expiration=cloudtrail_response_date(session.created + timedelta(seconds=duration_seconds))
    )
    response.update(
        {
            "subject": user["userName"],
            "subjectType": "persistent",
            "issuer": issuer,
            "audience": "https://signin.aws.amazon.com/saml",
            "nameQualifier": user["identityProvider"],
        }
    )
    return api_call(
        user,
        event_name="AssumeRoleWithSAML",
        event_source="sts.amazonaws.com",
        time=session.created if time is None else time,
        source_ip=source_ip,
        user_agent=user_agent,
        recipient_account=session.account_id,
        request={
            "sAMLAssertionID": assertion_id,
            "roleSessionName": session.session_name,
            "durationSeconds": duration_seconds,
            "roleArn": session.role_arn,
            "principalArn": provider_arn,
        },
        response=response,
        resources=(
            *role_resources(session),
            {"accountId": session.account_id, "type": "AWS::IAM::SAMLProvider", "ARN": provider_arn},
        ),
        event_id=event_id,
    )


def assume_role_with_web_identity(
    user: Record,
    session: RoleSession,
    *,
    audience: str = "sts.amazonaws.com",
    time: datetime | str | None = None,
    source_ip: str = "192.0.2.40",
    user_agent: str = CLI_AGENT,
    duration_seconds: int = 3600,
    event_id: str | None = None,
) -> Record:
    """The ``AssumeRoleWithWebIdentity`` call that issued ``session`` to the :func:`web_identity_user`
    ``user`` (an OIDC provider's token: GitHub Actions, EKS service accounts)."""
    credentials = assume_role_response(
        session, expiration=cloudtrail_response_date(session.created + timedelta(seconds=duration_seconds))
    )
    return api_call(
        user,
        event_name="AssumeRoleWithWebIdentity",
        event_source="sts.amazonaws.com",
        time=session.created if time is None else time,
        source_ip=source_ip,
        user_agent=user_agent,
        recipient_account=session.account_id,
        request={
            "roleArn": session.role_arn,
            "roleSessionName": session.session_name,
            "durationSeconds": duration_seconds,
        },
        response={
            "credentials": credentials["credentials"],
            "subjectFromWebIdentityToken": user["userName"],
            "assumedRoleUser": credentials["assumedRoleUser"],
            "provider": user["identityProvider"],
            "audience": audience,
        },
        additional={"identityProviderConnectionVerificationMethod": "IAMTrustStore"},
        resources=role_resources(session),
        event_id=event_id,
    )


@dataclass(frozen=True, slots=True)
class Call:
    """What was called, where and from where: the parts of a record the demo story chooses."""

    identity: Record
    time: datetime
    source: str
    """``eventSource``: ``iam.amazonaws.com``."""
    name: str
    region: str
    source_ip: str
    user_agent: str
    recipient_account: str
    read_only: bool
    request: Any = None
    response: Any = None
    error: tuple[str | None, str] | None = None
    """``(errorCode, errorMessage)``; a failed console sign-in has a message and no code."""
    resources: tuple[Record, ...] = ()
    additional: Record | None = None
    shared_event_id: str | None = None
    event_type: str = "AwsApiCall"
    category: str = "Management"


def event(call: Call, ids: Ids) -> Record:
    """:func:`api_call` for a :class:`Call`, request and event ids drawn from ``ids``."""
    code, message = call.error or (None, None)
    request_id = ids.hex(16).upper() if call.category == "Data" else ids.uuid()
    client = _is_client_address(call.source_ip) and call.event_type != "AwsConsoleSignIn"
    return api_call(
        call.identity,
        event_name=call.name,
        event_source=call.source,
        time=call.time,
        region=call.region,
        source_ip=call.source_ip,
        user_agent=call.user_agent,
        recipient_account=call.recipient_account,
        read_only=call.read_only,
        request=call.request,
        response=call.response,
        error_code=code,
        error_message=message,
        additional=call.additional,
        request_id=request_id,
        event_id=ids.uuid(),
        resources=call.resources,
        event_type=call.event_type,
        category=call.category,
        shared_event_id=call.shared_event_id,
        tls=tls_details(call.source, call.region) if client else None,
    )


def _is_client_address(source_ip: str) -> bool:
    """AWS services (``ec2.amazonaws.com``, ``AWS Internal``) call without a TLS client record."""
    return not source_ip.endswith(".amazonaws.com") and not source_ip.startswith("AWS Internal")


def _host(event_source: str, region: str) -> str:
    service = event_source.split(".", 1)[0]
    if service in ("iam", "organizations", "signin"):
        return event_source
    return f"{service}.{region}.amazonaws.com"


# --- files ------------------------------------------------------------------------------


def log_file_json(records: Iterable[Record]) -> bytes:
    """The uncompressed body of a log file: ``{"Records":[...]}``."""
    return orjson.dumps({"Records": list(records)})


def log_file_key(account: str, region: str, delivered: datetime, unique: str) -> str:
    """``AWSLogs/<acct>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<acct>_CloudTrail_<region>_<ts>_<16>.json.gz``."""
    return (
        f"AWSLogs/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{compact(delivered)}_{unique}.json.gz"
    )


def digest_key(account: str, region: str, trail: str, end: datetime) -> str:
    return (
        f"AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
        f"{account}_CloudTrail-Digest_{region}_{trail}_{region}_{end:%Y%m%dT%H%M%SZ}.json.gz"
    )


@dataclass(frozen=True, slots=True)
class DeliveredLog:
    """A log file already written: what the digest needs to know about it."""

    key: str
    body: bytes
    """Uncompressed: CloudTrail hashes the uncompressed content."""
    oldest: str
    newest: str


def digest_file_json(
    account: str,
    bucket: str,
    key: str,
    start: datetime,
    end: datetime,
    logs: Iterable[DeliveredLog],
    ids: Ids,
) -> bytes:
    """A digest file whose ``logFiles`` carry the real SHA-256 of each listed log file."""
    entries = [
        {
            "s3Bucket": bucket,
            "s3Object": log.key,
            "hashValue": hashlib.sha256(log.body).hexdigest(),
            "hashAlgorithm": "SHA-256",
            "newestEventTime": log.newest,
            "oldestEventTime": log.oldest,
        }
        for log in logs
    ]
    digest: Mapping[str, Any] = {
        "awsAccountId": account,
        "digestStartTime": iso(start),
        "digestEndTime": iso(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": ids.hex(32),
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": max((e["newestEventTime"] for e in entries), default=None),
        "oldestEventTime": min((e["oldestEventTime"] for e in entries), default=None),
        "previousDigestS3Bucket": None,
        "previousDigestS3Object": None,
        "previousDigestHashValue": None,
        "previousDigestHashAlgorithm": None,
        "previousDigestSignature": None,
        "logFiles": entries,
    }
    return orjson.dumps(digest)
