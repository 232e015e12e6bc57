"""CloudTrail records, log files and digest files as a trail delivers them to S3.

Shapes follow the CloudTrail record contents and userIdentity references
(``shared/reference/aws-docs/cloudtrail``); field order follows real log files.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from demo.ids import Ids, compact, iso

EVENT_VERSION = "1.09"
DATA_EVENT_VERSION = "1.10"

Record = dict[str, Any]


# --- userIdentity -----------------------------------------------------------------------


def iam_user(account: str, name: str, principal_id: str, access_key_id: str) -> Record:
    return {
        "type": "IAMUser",
        "principalId": principal_id,
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "accessKeyId": access_key_id,
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

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.role_name}"

    @property
    def arn(self) -> str:
        """The session's own ARN, ``arn:aws:sts::<acct>:assumed-role/<role>/<session>``."""
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def principal_id(self) -> str:
        """``AROA...:<session name>``, CloudTrail's ``principalId`` for the session."""
        return f"{self.role_id}:{self.session_name}"


def assumed_role(
    session: RoleSession,
    mfa: bool = False,
    ec2_role_delivery: str | None = None,
) -> Record:
    attributes: Record = {"creationDate": iso(session.created), "mfaAuthenticated": str(mfa).lower()}
    context: Record = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": session.role_id,
            "arn": session.role_arn,
            "accountId": session.account_id,
            "userName": session.role_name,
        },
        "webIdFederationData": {},
        "attributes": attributes,
    }
    if ec2_role_delivery:
        context["ec2RoleDelivery"] = ec2_role_delivery
    return {
        "type": "AssumedRole",
        "principalId": session.principal_id,
        "arn": session.arn,
        "accountId": session.account_id,
        "accessKeyId": session.access_key_id,
        "sessionContext": context,
    }


def root(account: str) -> Record:
    return {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": "",
    }


def aws_account(account: str, principal_id: str) -> Record:
    """How the role owner's trail names a caller from another account (cross-account STS)."""
    return {"type": "AWSAccount", "principalId": principal_id, "accountId": account}


def aws_service(service: str) -> Record:
    return {"type": "AWSService", "invokedBy": service}


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """What was called, where and from where: the parts of a record the story chooses."""

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
    """A CloudTrail record with AWS's field order, request and event ids drawn from ``ids``."""
    data_event = call.category == "Data"
    record: Record = {
        "eventVersion": DATA_EVENT_VERSION if data_event else EVENT_VERSION,
        "userIdentity": call.identity,
        "eventTime": iso(call.time),
        "eventSource": call.source,
        "eventName": call.name,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
    }
    if call.error:
        code, message = call.error
        if code:
            record["errorCode"] = code
        record["errorMessage"] = message
    record["requestParameters"] = call.request
    record["responseElements"] = call.response
    if call.additional is not None:
        record["additionalEventData"] = call.additional
    record["requestID"] = ids.hex(16).upper() if data_event else ids.uuid()
    record["eventID"] = ids.uuid()
    record["readOnly"] = call.read_only
    if call.resources:
        record["resources"] = list(call.resources)
    record["eventType"] = call.event_type
    record["managementEvent"] = not data_event
    record["recipientAccountId"] = call.recipient_account
    if call.shared_event_id:
        record["sharedEventID"] = call.shared_event_id
    record["eventCategory"] = call.category
    if _is_client_address(call.source_ip) and call.event_type != "AwsConsoleSignIn":
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": _host(call.source, call.region),
        }
    return record


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


def gzip_bytes(body: bytes, level: int = 6) -> bytes:
    # mtime=0 keeps the output byte-identical for the same input (deterministic demo files).
    return gzip.compress(body, compresslevel=level, mtime=0)


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
