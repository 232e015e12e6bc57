"""CloudTrail -> ECS documents (field by field: docs/sources/cloudtrail.md).

Accepts, gzip or not (the pipeline decompresses): log files ``{"Records": [...]}``, bare JSON
arrays of records, EventBridge envelopes (``"detail-type": "... via CloudTrail"``), bare
records, and streams of concatenated or newline-separated records or envelopes (Firehose).

The stream is cut into records by the shared splitter (normalizers/framing/json_stream.py)
and EventBridge envelopes are unwrapped by the shared step (normalizers/framing/envelopes.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, BinaryIO

import orjson

from normalizers.base import Document, Item, Origin
from normalizers.ecs.actor import Actor, actor_fields
from normalizers.ecs.address import address_fields
from normalizers.ecs.getters import nullable_obj, optional_str, parsed_time
from normalizers.ecs.ids import record_id
from normalizers.ecs.names import snake
from normalizers.ecs.timestamps import optional_time, timestamp
from normalizers.ecs.values import as_bool, flat, yes_no
from normalizers.framing.envelopes import EventBridge, Framed, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.loop import json_items
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, RecordError

SOURCE = "cloudtrail"
DATASET = "aws.cloudtrail"

# ---------------------------------------------------------------------------------------
# Records -> documents
# ---------------------------------------------------------------------------------------

HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"


FRAMING = JsonFraming(
    noun="CloudTrail record",
    wrapper=Wrapper(keys=("Records",), record_key="eventVersion"),
    eventbridge=EventBridge(detail_type_suffix=" via CloudTrail"),
)


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per CloudTrail record of ``stream``."""
    actors = ActorCache()

    def mapper(record: dict[str, Any], framed: Framed) -> Document:
        return build_document(record, framed.raw, framed.envelope, origin, actors)

    return json_items(SOURCE, FRAMING, stream, origin, mapper)


class ActorCache:
    """``actor_fields`` per distinct ``userIdentity``: a file's records come from few principals.

    Entries are stored as JSON and decoded per document, so no two documents share a mutable
    object; decoding a few hundred bytes costs far less than rebuilding the actor.
    """

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._entries: dict[bytes, bytes] = {}

    def fields(self, identity: dict[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        key = orjson.dumps(identity)
        cached = self._entries.get(key)
        if cached is None:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            cached = self._entries[key] = orjson.dumps(actor_fields(_actor(identity)))
        user, related, user_identity = orjson.loads(cached)
        return user, related, user_identity


def build_document(
    record: dict[str, Any],
    raw: bytes,
    envelope: dict[str, Any] | None,
    origin: Origin,
    actors: ActorCache | None = None,
) -> Document:
    """One CloudTrail record as an ECS document; ``envelope`` is the EventBridge event it came
    in, if any, and ``raw`` its bytes (the whole event for an EventBridge one).

    Raises :class:`~normalizers.reasons.RecordError` when it cannot be one.
    """
    insight = nullable_obj(record, "insightDetails")
    action = optional_str(record, "eventName") or optional_str(insight, "eventName")
    if not action:
        raise RecordError(MISSING_FIELD, "eventName")
    provider = optional_str(record, "eventSource") or optional_str(insight, "eventSource")
    if not provider:
        raise RecordError(MISSING_FIELD, "eventSource")
    moment = _event_time(record, envelope)
    identity = nullable_obj(record, "userIdentity")
    request = flat(record.get("requestParameters"))
    response = flat(record.get("responseElements"))

    trail = _trail_fields(record, request, response)
    event = _event(record, envelope, insight, action, provider, response, trail, raw, origin)
    document: Document = {"@timestamp": moment, "event": event, "cloud": _cloud(record, identity, envelope)}
    related: dict[str, list[str]] = {}
    user: dict[str, Any] = {}
    if identity is not None:
        user, related_users, trail["user_identity"] = (actors or ActorCache()).fields(identity)
        if related_users:
            related["user"] = related_users
    target = _target_user(provider, request)
    if target:
        user["target"] = {"name": target}
    if user:
        document["user"] = user
    _add_source(document, related, optional_str(record, "sourceIPAddress"))
    agent = optional_str(record, "userAgent")
    if agent:
        document["user_agent"] = {"original": agent}
    if insight is not None:
        trail["insight_details"] = snake(insight)
        _add_insight_times(event, insight, moment)
    if related:
        document["related"] = related
    document["aws"] = {"cloudtrail": trail}
    return document


def _event_time(record: dict[str, Any], envelope: dict[str, Any] | None) -> str:
    value = record.get("eventTime")
    if value is None and envelope is not None:
        value = envelope.get("time")
    if value is None or value == "":
        raise RecordError(MISSING_FIELD, "eventTime")
    return parsed_time("eventTime", value)


# -- event.* -------------------------------------------------------------------------------


def _event(
    record: dict[str, Any],
    envelope: dict[str, Any] | None,
    insight: dict[str, Any] | None,
    action: str,
    provider: str,
    response: dict[str, Any] | None,
    trail: dict[str, Any],
    raw: bytes,
    origin: Origin,
) -> dict[str, Any]:
    event_type = trail.get("event_type")
    categories, types = _categorize(
        action, provider, event_type, trail.get("event_category"), trail.get("read_only"), insight is not None
    )
    event: dict[str, Any] = {
        "kind": "event",
        "category": list(categories),
        "type": list(types),
        "action": action,
        "outcome": _outcome(
            action, insight, trail.get("error_code"), response, trail.get("service_event_details")
        ),
        "id": _event_id(record, envelope),
        "dataset": DATASET,
        "module": "aws",
        "provider": provider,
        "ingested": origin.ingested,
    }
    if origin.keep_original:
        event["original"] = raw.decode("utf-8")
    return event


def _event_id(record: dict[str, Any], envelope: dict[str, Any] | None) -> str:
    event_id = optional_str(record, "eventID") or optional_str(envelope, "id")
    if event_id:
        return event_id
    # eventVersion 1.0 records carry no eventID: hash the content, so the same record always
    # gets the same id whatever its whitespace.
    return record_id(orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode("utf-8"))


def _outcome(
    action: str,
    insight: dict[str, Any] | None,
    error_code: str | None,
    response: dict[str, Any] | None,
    service_details: dict[str, Any] | None,
) -> str:
    if insight is not None:
        return "unknown"  # an Insights event reports a rate, not an operation
    if error_code:
        return "failure"
    # Sign-in events report failure as {"ConsoleLogin": "Failure"} in responseElements (or, for
    # sign-in service events such as CredentialVerification, in serviceEventDetails), whatever
    # the record's eventType or version.
    for details in (response, service_details):
        if isinstance(details, dict) and details.get(action) == "Failure":
            return "failure"
    return "success"


_AUTH_START = frozenset(
    {
        "ConsoleLogin",
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "AssumeRoot",
        "GetSessionToken",
        "GetFederationToken",
        "GetSigninToken",
        "SwitchRole",
        "Federate",
    }
)
_AUTH_END = frozenset({"ExitRole", "ConsoleLogout", "Logout"})
_IAM_SOURCES = frozenset(
    {
        "iam.amazonaws.com",
        "sts.amazonaws.com",
        "sso.amazonaws.com",
        "identitystore.amazonaws.com",
        "sso-directory.amazonaws.com",
    }
)
_NETWORK_SOURCES = frozenset(
    {
        "elasticloadbalancing.amazonaws.com",
        "network-firewall.amazonaws.com",
        "route53.amazonaws.com",
        "route53resolver.amazonaws.com",
        "directconnect.amazonaws.com",
        "networkmanager.amazonaws.com",
        "globalaccelerator.amazonaws.com",
    }
)
_EC2_NETWORK = re.compile(
    r"SecurityGroup|NetworkAcl|Vpc|Subnet|Route|InternetGateway|NatGateway|NetworkInterface|FlowLogs|"
    r"Vpn|CustomerGateway|TransitGateway|Address|DhcpOptions|PrefixList|TrafficMirror"
)
_VERB_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "Create",
            "Put",
            "Run",
            "Allocate",
            "Import",
            "Copy",
            "Launch",
            "Register",
            "Issue",
            "Request",
            "Upload",
        ),
        "creation",
    ),
    **dict.fromkeys(
        ("Delete", "Remove", "Terminate", "Deregister", "Release", "Revoke", "Purge", "Deprovision"),
        "deletion",
    ),
    **dict.fromkeys(
        (
            "Update",
            "Modify",
            "Attach",
            "Detach",
            "Associate",
            "Disassociate",
            "Add",
            "Set",
            "Change",
            "Enable",
            "Disable",
            "Reset",
            "Replace",
            "Authorize",
            "Tag",
            "Untag",
            "Start",
            "Stop",
            "Reboot",
            "Restore",
            "Rotate",
            "Leave",
            "Cancel",
            "Accept",
            "Reject",
            "Apply",
            "Assign",
            "Unassign",
            "Send",
            "Upgrade",
            "Activate",
            "Deactivate",
            "Suspend",
            "Resume",
            "Move",
            "Rename",
            "Schedule",
            "Invite",
            "Share",
            "Unshare",
            "Grant",
        ),
        "change",
    ),
    **dict.fromkeys(
        (
            "Get",
            "Read",
            "Download",
            "Decrypt",
            "Invoke",
            "Query",
            "Scan",
            "Select",
            "Retrieve",
            "Export",
            "View",
        ),
        "access",
    ),
    **dict.fromkeys(
        (
            "Describe",
            "List",
            "Lookup",
            "Search",
            "Head",
            "Check",
            "Preview",
            "Estimate",
            "Validate",
            "Simulate",
        ),
        "info",
    ),
}
_VERB = re.compile(r"[A-Z][a-z]+")


@lru_cache(maxsize=4096)
def _categorize(
    action: str,
    provider: str,
    event_type: str | None,
    event_category: str | None,
    read_only: bool | None,
    insight: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(event.category, event.type)`` from the operation's name and service."""
    verb = _verb_type(action, read_only)
    read = verb in ("access", "info")
    categories: tuple[str, ...]
    types: tuple[str, ...]
    if event_type == "AwsConsoleSignIn" or provider == "signin.amazonaws.com" or action in _AUTH_START:
        categories = ("authentication",)
        types = ("start",) if action in _AUTH_START else ("end",) if action in _AUTH_END else ("info",)
    elif provider in _IAM_SOURCES:
        categories = ("iam",)
        kind = "info" if read else verb  # ECS iam has no "access" type
        entity = "user" if "User" in action else "group" if "Group" in action else None
        types = (entity, kind) if entity else (kind,)
    elif provider in _NETWORK_SOURCES or (provider == "ec2.amazonaws.com" and _EC2_NETWORK.search(action)):
        categories = ("network",) if read else ("network", "configuration")
        types = (verb,)
    elif provider == "s3.amazonaws.com" and event_category == "Data":
        categories, types = ("file",), (verb,)
    else:
        categories, types = ("configuration",), (verb,)
    if insight:
        types = ("info",)  # the Insights event is about the calls' rate, not one call
    return categories, types


def _verb_type(action: str, read_only: bool | None) -> str:
    match = _VERB.match(action)
    known = _VERB_TYPES.get(match.group()) if match else None
    if known:
        return known
    return "change" if read_only is False else "info"


# -- aws.cloudtrail.* ----------------------------------------------------------------------

_TEXT_FIELDS = (
    ("eventVersion", "event_version"),
    ("eventType", "event_type"),
    ("eventCategory", "event_category"),
    ("errorCode", "error_code"),
    ("errorMessage", "error_message"),
    ("requestID", "request_id"),
    ("sharedEventID", "shared_event_id"),
    ("vpcEndpointId", "vpc_endpoint_id"),
    ("vpcEndpointAccountId", "vpc_endpoint_account_id"),
    ("apiVersion", "api_version"),
)
_BOOL_FIELDS = (
    ("readOnly", "read_only"),
    ("managementEvent", "management_event"),
    ("sessionCredentialFromConsole", "session_credential_from_console"),
)
_TLS_FIELDS = (
    ("tlsVersion", "tls_version"),
    ("cipherSuite", "cipher_suite"),
    ("clientProvidedHostHeader", "client_provided_host_header"),
)
_ADDENDUM_FIELDS = (
    ("reason", "reason"),
    ("updatedFields", "updated_fields"),
    ("originalRequestID", "original_request_id"),
    ("originalEventID", "original_event_id"),
)


def _trail_fields(
    record: dict[str, Any], request: dict[str, Any] | None, response: dict[str, Any] | None
) -> dict[str, Any]:
    trail: dict[str, Any] = {}
    for key, field in _TEXT_FIELDS:  # inlined _text: this loop runs for every record
        value = record.get(key)
        if value.__class__ is str:
            if value:
                trail[field] = value
        elif value is not None:
            optional_str(record, key)  # raises with the reason
    for key, field in _BOOL_FIELDS:
        flag = as_bool(record.get(key))
        if flag is not None:
            trail[field] = flag
    if request is not None:
        trail["request_parameters"] = request
    if response is not None:
        trail["response_elements"] = response
    additional = flat(record.get("additionalEventData"))
    if additional is not None:
        trail["additional_eventdata"] = additional
        login = _console_login(additional) if record.get("eventType") == "AwsConsoleSignIn" else None
        if login:
            trail["console_login"] = login
    for key, field in (
        ("serviceEventDetails", "service_event_details"),
        ("edgeDeviceDetails", "edge_device_details"),
    ):
        block = flat(record.get(key))
        if block is not None:
            trail[field] = block
    for key, field, names in (
        ("tlsDetails", "tls_details", _TLS_FIELDS),
        ("addendum", "addendum", _ADDENDUM_FIELDS),
    ):
        block = _renamed(nullable_obj(record, key), names)
        if block:
            trail[field] = block
    resources = _resources(record.get("resources"))
    if resources:
        trail["resources"] = resources
    return trail


def _renamed(block: dict[str, Any] | None, names: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    if block is None:
        return {}
    out: dict[str, Any] = {}
    for key, field in names:
        value = block.get(key)
        if value is not None and value != "":
            out[field] = value
    return out


def _resources(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(INVALID_RECORD, "resources is not an array")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise RecordError(INVALID_RECORD, "an element of resources is not an object")
        resource = {
            field: text
            for key, field in (("ARN", "arn"), ("type", "type"), ("accountId", "account_id"))
            if (text := optional_str(item, key))
        }
        if resource:
            out.append(resource)
    return out


def _console_login(additional: dict[str, Any]) -> dict[str, Any]:
    login: dict[str, Any] = {}
    for key, field in (("MFAUsed", "mfa_used"), ("MobileVersion", "mobile_version")):
        flag = yes_no(additional.get(key))
        if flag is not None:
            login[field] = flag
    for key, field in (("LoginTo", "login_to"), ("MFAIdentifier", "mfa_identifier"), ("MfaType", "mfa_type")):
        value = additional.get(key)
        if isinstance(value, str) and value:
            login[field] = value
    return login


def _add_insight_times(event: dict[str, Any], insight: dict[str, Any], moment: str) -> None:
    """Start events open the unusual period; End events close it and say how long it lasted."""
    state = insight.get("state")
    if state == "Start":
        event["start"] = moment
    elif state == "End":
        event["end"] = moment
        statistics = (nullable_obj(nullable_obj(insight, "insightContext"), "statistics")) or {}
        minutes = statistics.get("insightDuration")
        if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes >= 0:
            end = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            event["start"] = timestamp((end - timedelta(minutes=minutes)).isoformat())
            event["duration"] = int(minutes * 60 * 1_000_000_000)


# -- actor, cloud, source ------------------------------------------------------------------


def _actor(identity: dict[str, Any]) -> Actor:
    """``userIdentity`` -> :class:`Actor` (the shared actor contract, docs/schema.md)."""
    session = nullable_obj(identity, "sessionContext")
    issuer = nullable_obj(session, "sessionIssuer")
    attributes = nullable_obj(session, "attributes")
    web = nullable_obj(session, "webIdFederationData") or nullable_obj(identity, "webIdFederationData")
    user_name = optional_str(identity, "userName")
    return Actor(
        type=optional_str(identity, "type"),
        principal_id=optional_str(identity, "principalId"),
        arn=optional_str(identity, "arn"),
        account_id=optional_str(identity, "accountId"),
        access_key_id=optional_str(identity, "accessKeyId"),
        user_name=None if user_name == HIDDEN_USER_NAME else user_name,
        issuer_type=optional_str(issuer, "type"),
        issuer_principal_id=optional_str(issuer, "principalId"),
        issuer_arn=optional_str(issuer, "arn"),
        issuer_account_id=optional_str(issuer, "accountId"),
        issuer_user_name=optional_str(issuer, "userName"),
        mfa_authenticated=as_bool(attributes.get("mfaAuthenticated")) if attributes else None,
        session_created=optional_time(attributes.get("creationDate")) if attributes else None,
        source_identity=optional_str(session, "sourceIdentity"),
        ec2_role_delivery=optional_str(session, "ec2RoleDelivery"),
        invoked_by=optional_str(identity, "invokedBy"),
        identity_provider=optional_str(identity, "identityProvider")
        or optional_str(web, "federatedProvider"),
    )


def _target_user(provider: str, request: dict[str, Any] | None) -> str | None:
    """The IAM user an IAM call acts on (``CreateUser``, ``CreateAccessKey``, ``AttachUserPolicy``...)."""
    if provider != "iam.amazonaws.com" or request is None:
        return None
    name = request.get("userName")
    return name if isinstance(name, str) and name else None


def _cloud(
    record: dict[str, Any], identity: dict[str, Any] | None, envelope: dict[str, Any] | None
) -> dict[str, Any]:
    cloud: dict[str, Any] = {"provider": "aws"}
    # The recording account first; the caller's account (userIdentity.accountId) is another
    # account for cross-account calls, so it is the last resort.
    account = (
        optional_str(record, "recipientAccountId")
        or optional_str(envelope, "account")
        or optional_str(identity, "accountId")
    )
    if account:
        cloud["account"] = {"id": account}
    region = optional_str(record, "awsRegion") or optional_str(envelope, "region")
    if region:
        cloud["region"] = region
    return cloud


def _add_source(document: Document, related: dict[str, list[str]], address: str | None) -> None:
    """``source.ip`` only for a valid address; a service name or anything else in ``source.address``."""
    source = address_fields(address)
    if source:
        document["source"] = source
        if "ip" in source:
            related["ip"] = [source["ip"]]
