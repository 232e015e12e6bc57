"""OCSF API Activity (6003), as Security Lake writes CloudTrail events -> the CloudTrail record.

The row is taken back to the record CloudTrail wrote, member by member (the table in
docs/sources/securitylake.md, "API Activity"), then CloudTrail's own mapper makes the
document: the same ``user.*``, ``related.*``, ``source.ip``, ``cloud.account.id``,
``event.*`` and ``@timestamp`` as the native record, by construction.

Both OCSF versions Security Lake has written are read: 1.0.0-rc.2 (Security Lake 1.0:
``actor.user.account_uid``, ``actor.user.uuid``, ``actor.session.mfa``) and 1.1.0 (Security
Lake 2.0: ``actor.user.account.uid``, ``actor.user.uid_alt``, ``actor.session.is_mfa``).
"""

from __future__ import annotations

import re
from typing import Any

from normalizers.securitylake.values import first, json_value, mapping, member, nested, ocsf_time, text

_ISSUER_ARN = re.compile(r"arn:[^:]*:(?:iam|sts)::(\d{12}):(role|user)/(?:.*/)?([^/]+)\Z")
_FAILURE = 2
"""OCSF ``status_id`` 2: Failure."""

# unmapped members (Security Lake keeps the CloudTrail members OCSF has no place for there)
# copied back under their CloudTrail names.
_UNMAPPED_MEMBERS = (
    "eventType",
    "eventCategory",
    "managementEvent",
    "readOnly",
    "sharedEventID",
    "recipientAccountId",
    "sessionCredentialFromConsole",
    "insightDetails",
    "serviceEventDetails",
    "tlsDetails",
    "edgeDeviceDetails",
    "addendum",
)


def cloudtrail_record(row: dict[str, Any]) -> dict[str, Any]:
    """The CloudTrail record an API Activity row stands for (members it lacks are left out:
    the mapper dead-letters a record without ``eventName``, ``eventSource`` or a time)."""
    unmapped = mapping(row.get("unmapped"))
    api = row.get("api")
    record: dict[str, Any] = {
        "eventVersion": text(row, "metadata.product.version"),
        "eventID": text(row, "metadata.uid"),
        "eventTime": ocsf_time(first(row, "time_dt", "time")),
        "eventSource": text(api, "service.name"),
        "eventName": text(api, "operation"),
        "apiVersion": text(api, "version"),
        "awsRegion": text(row, "cloud.region") or text(row, "region"),
        "sourceIPAddress": first(row, "src_endpoint.ip", "src_endpoint.domain"),
        "vpcEndpointId": text(row, "src_endpoint.uid"),
        "userAgent": text(row, "http_request.user_agent"),
        "requestID": text(api, "request.uid"),
        "errorCode": text(api, "response.error") or _failure_code(row),
        "errorMessage": text(api, "response.message") or text(row, "status_detail"),
        "userIdentity": user_identity(row.get("actor")),
        "requestParameters": _json_member(api, "request.data") or nested(unmapped, "requestParameters"),
        "responseElements": _json_member(api, "response.data") or nested(unmapped, "responseElements"),
        "additionalEventData": nested(unmapped, "additionalEventData"),
        "resources": _resources(row.get("resources")),
    }
    for name in _UNMAPPED_MEMBERS:
        value = unmapped.get(name)
        if value is not None and value != "":
            record[name] = json_value(value)
    # The recording account: CloudTrail's own member when kept, else the row's account.
    record.setdefault(
        "recipientAccountId",
        first(row, "cloud.account.uid", "cloud.account_uid", "accountid"),
    )
    return {name: value for name, value in record.items() if value is not None}


def user_identity(actor: Any) -> dict[str, Any] | None:
    """``actor`` -> ``userIdentity``: ``user.uid`` is the principal's ARN in OCSF ("AWS user
    ARN"), its principal id is ``uid_alt`` (1.1) or ``uuid`` (rc.2); a producer that put the
    principal id in ``uid`` is read the other way round."""
    user = member(actor, "user")
    if not isinstance(user, dict):
        return None
    uid, alternate = text(user, "uid"), text(user, "uid_alt") or text(user, "uuid")
    arn, principal = (uid, alternate) if (uid or "").startswith("arn:") else (alternate, uid)
    if principal and principal.startswith("arn:"):
        arn, principal = principal, None
    session = member(actor, "session")
    identity: dict[str, Any] = {
        "type": text(user, "type"),
        "principalId": principal,
        "arn": arn,
        "accountId": text(user, "account.uid") or text(user, "account_uid"),
        "accessKeyId": text(user, "credential_uid") or text(session, "credential_uid"),
        "userName": text(user, "name"),
        "invokedBy": text(actor, "invoked_by"),
        "identityProvider": text(actor, "idp.name"),
        "sessionContext": _session_context(session) if isinstance(session, dict) else None,
    }
    return {name: value for name, value in identity.items() if value is not None}


def _session_context(session: dict[str, Any]) -> dict[str, Any] | None:
    attributes = {
        "creationDate": ocsf_time(first(session, "created_time_dt", "created_time")),
        "mfaAuthenticated": text(session, "is_mfa") or text(session, "mfa"),
    }
    context: dict[str, Any] = {
        "sessionIssuer": _issuer(text(session, "issuer")),
        "attributes": {name: value for name, value in attributes.items() if value is not None} or None,
    }
    context = {name: value for name, value in context.items() if value is not None}
    return context or None


def _issuer(arn: str | None) -> dict[str, Any] | None:
    """``actor.session.issuer`` (the role's ARN) -> ``sessionIssuer``: its type, account and
    name come from the ARN; OCSF keeps no principal id for it."""
    if not arn:
        return None
    found = _ISSUER_ARN.match(arn)
    if found is None:
        return {"arn": arn}
    account, kind, name = found.groups()
    return {
        "type": "Role" if kind == "role" else "IAMUser",
        "arn": arn,
        "accountId": account,
        "userName": name,
    }


def _failure_code(row: dict[str, Any]) -> str | None:
    """A failed call's error code where the producer put it: ``status_code``."""
    if member(row, "status_id") == _FAILURE:
        return text(row, "status_code")
    return None


def _json_member(parent: Any, path: str) -> Any:
    value = json_value(member(parent, path))
    return value if isinstance(value, dict) else None


def _resources(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not isinstance(item, dict):
            continue
        resource = {
            "ARN": text(item, "uid"),
            "accountId": text(item, "account_uid")
            or text(item, "owner.account.uid")
            or text(item, "account.uid"),
            "type": text(item, "type"),
        }
        out.append({name: value for name, value in resource.items() if value is not None})
    return out or None
