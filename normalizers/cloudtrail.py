"""CloudTrail -> ECS documents (field by field: docs/sources/cloudtrail.md).

Accepts, gzip or not (the pipeline decompresses): log files ``{"Records": [...]}``, bare JSON
arrays of records, EventBridge envelopes (``"detail-type": "... via CloudTrail"``), bare
records, and streams of concatenated or newline-separated records or envelopes (Firehose).

The object is never loaded whole. :class:`RecordSplitter` reads it in chunks and cuts it
into records: a C-speed regex finds *candidate* ends (``}`` followed by ``,{`` or ``]`` in
an array, by ``{`` in a stream) and ``orjson.loads`` tries the slice. A candidate inside a
string or a nested array leaves an unterminated string or unbalanced brackets, which can
never parse, so a slice that parses is exactly one record; one that is cut short ("unexpected
end of data") moves on to the next candidate. After a few misses, or for invalid JSON, a
string-aware bracket scan finds the record's true extent, so the cost stays linear and a bad
record is dead-lettered alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, BinaryIO

import orjson

from normalizers.base import MAX_DEAD_LETTER_RAW, DeadLetter, Document, Item, Origin
from normalizers.ecs.actor import Actor, actor_fields
from normalizers.ecs.address import address_fields
from normalizers.ecs.getters import nullable_obj, optional_str, parsed_time
from normalizers.ecs.ids import record_id
from normalizers.ecs.names import snake
from normalizers.ecs.timestamps import optional_time, timestamp
from normalizers.ecs.values import as_bool, flat, yes_no
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, RecordError

SOURCE = "cloudtrail"
DATASET = "aws.cloudtrail"

# ---------------------------------------------------------------------------------------
# Splitting a stream into records
# ---------------------------------------------------------------------------------------

MAX_RECORD_BYTES = 64 << 20
"""A record larger than this is dead-lettered (its first MiB kept) instead of buffered."""
READ_SIZE = 1 << 20
MAX_READ_SIZE = 16 << 20
MAX_CANDIDATES = 16
"""Candidate ends tried with ``orjson`` before the bracket scan takes over (bounds retries)."""
_HEADER_BYTES = 64

_QUOTE, _NEWLINE, _OPEN_BRACE, _OPEN_BRACKET, _CLOSE_BRACKET, _COMMA, _CLOSE_BRACE = b'"\n{[],}'
_BOM = b"\xef\xbb\xbf"
_CUT_SHORT = "unexpected end of data"

_RECORDS_HEADER = re.compile(rb'\{\s*"Records"\s*:\s*\[')
_ARRAY_END = re.compile(rb"\}(?=\s*(?:,\s*\{|\]))")
_STREAM_END = re.compile(rb"\}(?=\s*\{)")
_RESYNC = re.compile(rb"\n(?=[ \t\r]*\{)")
_NOT_SPACE = re.compile(rb"[^ \t\r\n]")
_STRUCTURAL = re.compile(rb'["{}\[\]]')
# The rest of a string after its opening quote, up to (not including) the closing quote. A raw
# newline can never be inside a JSON string, so it stops there too: that bounds the damage
# of an unterminated string to one line.
_STRING_BODY = re.compile(rb'[^"\\\n]*(?:\\[^\n][^"\\\n]*)*')
_SCALAR = re.compile(rb'(?:"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"|[^\s,\]\[{}"])+')
_STRAY_END = re.compile(rb"[\n{\[]")

_COMPLETE, _BROKEN, _EOF, _TOO_LARGE = "complete", "broken", "eof", "too large"


@dataclass(slots=True)
class Piece:
    """One record cut from the stream: its bytes, and either its JSON value or why not."""

    raw: bytes
    value: Any = None
    error: str | None = None


class RecordSplitter:
    """Iterate over the records of a CloudTrail stream, holding about one chunk in memory."""

    def __init__(self, stream: BinaryIO) -> None:
        # read1: at most one read of the underlying stream, so the bytes decompressed before a
        # truncated gzip stream raises are returned (and their records yielded) first.
        self._read = getattr(stream, "read1", stream.read)
        self._data = bytearray()
        self._pos = 0
        self._eof = False

    def __iter__(self) -> Iterator[Piece]:
        while len(self._data) < len(_BOM) and self._read_more():
            pass
        if self._data.startswith(_BOM):
            self._pos = len(_BOM)
        while True:
            self._compact()
            start = self._skip_space(self._pos)
            if start is None:
                return
            first = self._data[start]
            if first == _OPEN_BRACE:
                header_end = self._records_header(start)
                if header_end is None:
                    yield self._record(start, _STREAM_END)
                else:
                    self._pos = header_end
                    yield from self._array(log_file=True)
            elif first == _OPEN_BRACKET:
                self._pos = start + 1
                yield from self._array(log_file=False)
            else:
                yield self._stray(start)

    # -- buffer ---------------------------------------------------------------------------

    def _read_more(self) -> bool:
        """Append the next chunk; reads grow with the pending record so big ones stay linear."""
        if self._eof:
            return False
        size = min(max(READ_SIZE, len(self._data) - self._pos), MAX_READ_SIZE)
        chunk = self._read(size)
        if not chunk:
            self._eof = True
            return False
        self._data += chunk
        return True

    def _compact(self) -> None:
        # Only between records: no other offset into the buffer is alive here.
        if self._pos >= READ_SIZE:
            del self._data[: self._pos]
            self._pos = 0

    def _skip_space(self, pos: int) -> int | None:
        while True:
            match = _NOT_SPACE.search(self._data, pos)
            if match is not None:
                return match.start()
            pos = len(self._data)
            if not self._read_more():
                self._pos = pos
                return None

    def _records_header(self, start: int) -> int | None:
        while len(self._data) - start < _HEADER_BYTES and self._read_more():
            pass
        match = _RECORDS_HEADER.match(self._data, start)
        return match.end() if match else None

    # -- containers -----------------------------------------------------------------------

    def _array(self, log_file: bool) -> Iterator[Piece]:
        while True:
            self._compact()
            pos = self._skip_space(self._pos)
            if pos is None:
                return  # the array is not closed: every complete record was already yielded
            byte = self._data[pos]
            if byte == _COMMA:
                self._pos = pos + 1
            elif byte == _CLOSE_BRACKET:
                self._pos = pos + 1
                if log_file:
                    self._close_log_file()
                return
            elif byte == _OPEN_BRACE:
                yield self._record(pos, _ARRAY_END)
            else:
                yield self._element(pos)

    def _close_log_file(self) -> None:
        pos = self._skip_space(self._pos)
        if pos is not None and self._data[pos] == _CLOSE_BRACE:
            self._pos = pos + 1

    # -- one record -----------------------------------------------------------------------

    def _record(self, start: int, ends: re.Pattern[bytes]) -> Piece:
        """The object starting at ``start``: try candidate ends, then fall back to a scan."""
        search_from = start + 1
        misses = 0
        while True:
            match = ends.search(self._data, search_from)
            if match is None:
                if self._eof or len(self._data) - start > MAX_RECORD_BYTES:
                    return self._scanned(start)
                # Resume at the last "}": its lookahead may have been cut by the buffer's end.
                brace = self._data.rfind(b"}", search_from)
                search_from = brace if brace >= 0 else len(self._data)
                self._read_more()
                continue
            end = match.end()
            raw = self._data[start:end]
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                misses += 1
                if misses >= MAX_CANDIDATES or not str(error).startswith(_CUT_SHORT):
                    return self._scanned(start)
                search_from = end
                continue
            self._pos = end
            return Piece(bytes(raw), value)

    def _scanned(self, start: int) -> Piece:
        end, state = self._scan(start)
        raw_end = end
        if state == _BROKEN:
            end = self._resync(end)
            while (
                raw_end > start and self._data[raw_end - 1] in b" \t\r,"
            ):  # the separator is not the record's
                raw_end -= 1
        raw = bytes(self._data[start:raw_end])
        self._pos = end
        if state == _TOO_LARGE:
            return Piece(
                raw[:MAX_DEAD_LETTER_RAW], error=f"record too large: more than {MAX_RECORD_BYTES} bytes"
            )
        try:
            return Piece(raw, orjson.loads(raw))
        except orjson.JSONDecodeError as error:
            if state == _EOF:
                return Piece(raw, error=f"truncated input: the object ends inside a record ({error})")
            return Piece(raw, error=f"invalid JSON: {error}")

    def _scan(self, start: int) -> tuple[int, str]:
        """Find where the value at ``start`` ends by counting brackets outside strings.

        Returns the end offset and how it ended: complete, broken (a string runs into a raw
        newline), eof, or too large (the middle was dropped to keep memory bounded).
        """
        data = self._data
        depth, in_string, dropped, i = 0, False, False, start
        while True:
            size = len(data)
            if in_string:
                j = _STRING_BODY.match(data, i).end()  # type: ignore[union-attr]
                if j < size:
                    if data[j] == _QUOTE:
                        in_string, i = False, j + 1
                        continue
                    if data[j] == _NEWLINE or j + 1 < size:  # a raw newline, or "\" + newline
                        return j, _BROKEN
                i = j  # cut at the buffer's end (maybe just after a backslash): read on
            else:
                match = _STRUCTURAL.search(data, i)
                if match is not None:
                    i = match.end()
                    byte = data[i - 1]
                    if byte == _QUOTE:
                        in_string = True
                    elif byte in (_OPEN_BRACE, _OPEN_BRACKET):
                        depth += 1
                    else:
                        depth -= 1
                        if depth <= 0:
                            return i, (_TOO_LARGE if dropped else _COMPLETE)
                    continue
                i = size
            if dropped or i - start > MAX_RECORD_BYTES:
                keep = start + MAX_DEAD_LETTER_RAW
                if i > keep:
                    del data[keep:i]
                    i, dropped = keep, True
            if not self._read_more():
                return len(data), (_TOO_LARGE if dropped else _EOF)

    def _resync(self, end: int) -> int:
        """After a broken string, skip to the next line that starts with ``{``: in a
        newline-delimited stream, the next record."""
        while True:
            match = _RESYNC.search(self._data, end)
            if match is not None:
                return match.start()
            if len(self._data) - end > MAX_RECORD_BYTES or not self._read_more():
                return len(self._data)

    def _element(self, start: int) -> Piece:
        """An array element that is not an object (``null``, a number, a nested array...)."""
        if self._data[start] == _OPEN_BRACKET:
            end, _ = self._scan(start)
        else:
            end = self._until(start, _SCALAR)
        raw = bytes(self._data[start:end])
        self._pos = end
        return Piece(raw, error="invalid record: an element of the records array is not a JSON object")

    def _stray(self, start: int) -> Piece:
        """Bytes between top-level values that are not JSON objects, up to the next line."""
        while True:
            match = _STRAY_END.search(self._data, start + 1)
            if match is not None or self._eof or len(self._data) - start > MAX_RECORD_BYTES:
                end = match.start() if match is not None else len(self._data)
                break
            self._read_more()
        raw = bytes(self._data[start:end])
        self._pos = end
        return Piece(raw[:MAX_DEAD_LETTER_RAW], error="invalid JSON: bytes outside any JSON object")

    def _until(self, start: int, pattern: re.Pattern[bytes]) -> int:
        while True:
            match = pattern.match(self._data, start)
            end = match.end() if match else start + 1
            if end < len(self._data) or self._eof or end - start > MAX_RECORD_BYTES:
                return end
            self._read_more()


# ---------------------------------------------------------------------------------------
# Records -> documents
# ---------------------------------------------------------------------------------------

HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per CloudTrail record of ``stream``."""
    index = 0
    actors = ActorCache()
    for piece in RecordSplitter(stream):
        if piece.error is not None:
            yield DeadLetter(SOURCE, piece.error, origin.object, f"record {index}", piece.raw)
            index += 1
            continue
        for raw, value in _records_of(piece):
            try:
                yield build_document(value, raw, origin, actors)
            except RecordError as error:
                yield DeadLetter(SOURCE, str(error), origin.object, f"record {index}", raw)
            except Exception as error:  # a shape no rule foresaw: this record only, the rest goes on
                reason = f"invalid record: {type(error).__name__}: {error}"
                yield DeadLetter(SOURCE, reason, origin.object, f"record {index}", raw)
            index += 1


def _records_of(piece: Piece) -> Iterator[tuple[bytes, Any]]:
    """A small ``{"Records": [...]}`` inside a stream holds several records; others hold one."""
    value = piece.value
    if isinstance(value, dict) and isinstance(value.get("Records"), list) and "eventVersion" not in value:
        for record in value["Records"]:
            yield orjson.dumps(record), record
    else:
        yield piece.raw, value


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


def build_document(value: Any, raw: bytes, origin: Origin, actors: ActorCache | None = None) -> Document:
    """One CloudTrail record (or EventBridge envelope) as an ECS document.

    Raises :class:`~normalizers.reasons.RecordError` when it cannot be one.
    """
    if not isinstance(value, dict):
        raise RecordError(INVALID_RECORD, "not a JSON object")
    record, envelope = _unwrap(value)
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


def _unwrap(value: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(record, envelope)``: an EventBridge event carries the CloudTrail record in ``detail``."""
    if "detail-type" not in value and ("detail" not in value or "eventVersion" in value):
        return value, None
    kind = value.get("detail-type")
    if not isinstance(kind, str) or not kind.endswith("via CloudTrail"):
        raise RecordError(INVALID_RECORD, f"detail-type {kind!r} is not a CloudTrail event")
    detail = value.get("detail")
    if not isinstance(detail, dict):
        raise RecordError(INVALID_RECORD, "detail is not an object")
    return detail, value


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
