"""What the GuardDuty and Security Hub normalizers share.

- :func:`json_values`: a streaming splitter for a byte stream of JSON values (objects
  concatenated with no separator, as Firehose writes them; JSON lines; one top-level value;
  a ``{"findings": [...]}`` batch or a top-level array, whose items it yields one by one).
- the severity scale and labels of docs/schema.md ("Findings"), ``rule.*``;
- typed getters that turn a wrong type or a missing field into a :class:`RecordError`
  (the caller dead-letters the record), and the endpoint/actor helpers that make the same
  IP, geo and principal look the same in both sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, BinaryIO

import orjson

from normalizers.base import DeadLetter, Origin
from normalizers.common import Actor, as_bool, parse_ip, prune, timestamp, unique

# ---------------------------------------------------------------------------------------
# Streaming JSON values
# ---------------------------------------------------------------------------------------

CHUNK = 1 << 18
MAX_RECORD_BYTES = 64 << 20
"""A value still unfinished after this many bytes is cut and dead-lettered (memory bound)."""

# Where a value may end. The fast path tries ``orjson.loads`` at each candidate; a false
# candidate (a brace inside a string, a nested object) fails with "unexpected end of data"
# at the very end of the slice, and the next candidate is tried.
_TOP_END = re.compile(rb"[}\]](?=[ \t\r]*(?:\n|[{\[]|\Z))")
_ITEM_END = re.compile(rb"[}\]](?=[ \t\r\n]*(?:[,\]]|\Z))")
_TOP_SCALAR_END = re.compile(rb"[\n{\[]")
_ITEM_SCALAR_END = re.compile(rb"[\n,\]]")
_BATCH_START = re.compile(rb'\{[ \t\r\n]*"(?:findings|Findings)"[ \t\r\n]*:[ \t\r\n]*\[')
_BATCH_LOOKAHEAD = 4096
# The exact scanner (slow path, used only for records the fast path rejects): whole
# strings are skipped by the regex engine, brackets are counted.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|["{}\[\]]', re.DOTALL)
_NEXT_LINE_VALUE = re.compile(rb"\n(?=[{\[])")
_WHITESPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class JsonValue:
    """One record of the stream: its bytes, and the parsed value or the parse error."""

    index: int
    raw: bytes
    value: Any = None
    error: str | None = None


class _Reader:
    """A growing window over the stream; ``pos`` is the first byte not consumed yet."""

    def __init__(self, stream: BinaryIO, chunk_size: int) -> None:
        # read1: at most one read of the raw stream, so that bytes decompressed before a
        # TruncatedInput are returned by one call and the error comes with the next.
        self._read = getattr(stream, "read1", stream.read)
        self._chunk = chunk_size
        self.data = b""
        self.pos = 0
        self.eof = False

    def refill(self) -> bool:
        """Read more bytes (at least as many as are buffered, so a long record costs
        linear time); ``False`` at end of stream. Never catches ``TruncatedInput``."""
        if self.eof:
            return False
        pending = len(self.data) - self.pos
        more = self._read(max(self._chunk, pending))
        if not more:
            self.eof = True
            return False
        self.data = self.data[self.pos :] + more
        self.pos = 0
        return True

    def skip_whitespace(self) -> bool:
        """Move to the next non-blank byte; ``False`` when the stream is exhausted."""
        while True:
            data, pos = self.data, self.pos
            while pos < len(data) and data[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(data):
                return True
            if not self.refill():
                return False

    def ensure(self, size: int) -> None:
        while len(self.data) - self.pos < size and self.refill():
            pass

    def peek(self) -> int:
        return self.data[self.pos]

    def take_value(self, item: bool) -> tuple[bytes, Any, str | None]:
        """Consume one value starting at ``pos`` (a top-level value, or an array item)."""
        if self.peek() not in b"{[":
            return self._take_scalar(_ITEM_SCALAR_END if item else _TOP_SCALAR_END)
        ends = _ITEM_END if item else _TOP_END
        offset = 1  # relative to the value's start: survives refills
        while True:
            data, start = self.data, self.pos
            view = memoryview(data)
            for match in ends.finditer(data, start + offset):
                end = match.end()
                offset = end - start
                try:
                    value = orjson.loads(view[start:end])
                except orjson.JSONDecodeError as error:
                    if _premature(error):
                        continue
                    return self._take_exact(item)
                self.pos = end
                return data[start:end], value, None
            if len(data) - start > MAX_RECORD_BYTES or not self.refill():
                return self._take_exact(item)

    def _take_exact(self, item: bool) -> tuple[bytes, Any, str | None]:
        """Slow path: find the value's end by counting brackets outside strings."""
        while True:
            end = _balanced_end(self.data, self.pos)
            if end is not None or len(self.data) - self.pos > MAX_RECORD_BYTES or not self.refill():
                break
        data, start = self.data, self.pos
        if end is None:
            end = _resync_end(data, start, item)
        self.pos = end
        return _parsed(data[start:end])

    def _take_scalar(self, stop: re.Pattern[bytes]) -> tuple[bytes, Any, str | None]:
        while True:
            match = stop.search(self.data, self.pos + 1)
            if match or len(self.data) - self.pos > MAX_RECORD_BYTES or not self.refill():
                break
        data, start = self.data, self.pos
        end = match.start() if match else len(data)
        self.pos = end
        return _parsed(data[start:end].rstrip())


def _premature(error: orjson.JSONDecodeError) -> bool:
    """True when the slice is a valid prefix cut short (a false candidate end).

    ``pos`` counts characters of the decoded ``doc``, not bytes."""
    return error.msg.startswith("unexpected end") and error.pos >= len(error.doc)


def _parsed(raw: bytes) -> tuple[bytes, Any, str | None]:
    try:
        return raw, orjson.loads(raw), None
    except orjson.JSONDecodeError as error:
        return raw, None, error.msg or str(error)


def _balanced_end(data: bytes, start: int, depth: int = 0) -> int | None:
    """Index just after the bracket that closes the value at ``start`` (None: not in data)."""
    for token in _TOKEN.finditer(data, start):
        char = token.group()
        if char in (b"{", b"["):
            depth += 1
        elif char in (b"}", b"]"):
            depth -= 1
            if depth <= 0:
                return token.end()
        elif char == b'"':  # a string that does not end in the buffer
            return None
    return None


def _resync_end(data: bytes, start: int, item: bool) -> int:
    """Where an unbalanced (cut, corrupt) value is taken to end: at the next line that
    starts a new value (JSON lines), else at the end of what was read."""
    if not item:
        match = _NEXT_LINE_VALUE.search(data, start + 1)
        if match:
            return match.start()
    return len(data)


def json_values(stream: BinaryIO, chunk_size: int = CHUNK) -> Iterator[JsonValue]:
    """Yield each JSON value of ``stream`` with its bytes, streaming, never failing.

    A ``{"findings": [...]}`` / ``{"Findings": [...]}`` batch (the key first) and a
    top-level array are not loaded whole: each of their items is yielded as a value. An
    empty batch yields nothing. Invalid JSON yields a value with ``error`` set and the
    splitter carries on with the next value.
    """
    reader = _Reader(stream, chunk_size)
    reader.ensure(len(_BOM))
    if reader.data.startswith(_BOM):
        reader.pos = len(_BOM)
    index = 0
    while reader.skip_whitespace():
        if reader.peek() == ord(","):  # values written as a bracketless list: a separator
            reader.pos += 1
            continue
        for raw, value, error in _top_level(reader):
            yield JsonValue(index, raw, value, error)
            index += 1


def _top_level(reader: _Reader) -> Iterator[tuple[bytes, Any, str | None]]:
    if reader.peek() == ord("["):
        reader.pos += 1
        yield from _array_items(reader)
        return
    if reader.peek() == ord("{"):
        reader.ensure(_BATCH_LOOKAHEAD)
        batch = _BATCH_START.match(reader.data, reader.pos)
        if batch:
            reader.pos = batch.end()
            yield from _array_items(reader)
            _close_batch_object(reader)
            return
    yield reader.take_value(item=False)


def _array_items(reader: _Reader) -> Iterator[tuple[bytes, Any, str | None]]:
    while reader.skip_whitespace():
        char = reader.peek()
        if char == ord("]"):
            reader.pos += 1
            return
        if char == ord(","):
            reader.pos += 1
            continue
        yield reader.take_value(item=True)


def _close_batch_object(reader: _Reader) -> None:
    """After a batch's array: skip the rest of its object (``}``, or more members)."""
    if not reader.skip_whitespace():
        return
    if reader.peek() == ord("}"):
        reader.pos += 1
        return
    if reader.peek() == ord(","):
        while True:
            end = _balanced_end(reader.data, reader.pos, depth=1)
            if end is not None:
                reader.pos = end
                return
            if not reader.refill():
                reader.pos = len(reader.data)
                return


# ---------------------------------------------------------------------------------------
# Record errors and typed access
# ---------------------------------------------------------------------------------------

INVALID_JSON = "invalid JSON"
INVALID_RECORD = "invalid record"
MISSING_FIELD = "missing field"
UNPARSEABLE_TIMESTAMP = "unparseable timestamp"


class RecordError(ValueError):
    """A record that cannot become a document; ``prefix`` is the dead letter's stable reason."""

    def __init__(self, prefix: str, detail: str) -> None:
        super().__init__(f"{prefix}: {detail}")
        self.prefix = prefix


def dead_letter(
    source: str, error: RecordError | str, origin: Origin, position: str, raw: bytes
) -> DeadLetter:
    return DeadLetter(source, str(error), origin.object, position, raw)


def unexpected(error: Exception) -> RecordError:
    """A failure no check foresaw (a ``TypeError`` on an odd shape, an ``OverflowError``...)
    as the record's error: it costs that finding alone, never the rest of the object."""
    return RecordError(INVALID_RECORD, f"{type(error).__name__}: {error}")


def required_str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None or value == "":
        raise RecordError(MISSING_FIELD, key)
    if not isinstance(value, str):
        raise RecordError(INVALID_RECORD, f"{key} must be a string, not {type(value).__name__}")
    return value


def optional_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(INVALID_RECORD, f"{key} must be a string, not {type(value).__name__}")
    return value


def optional_obj(record: dict[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(INVALID_RECORD, f"{key} must be an object, not {type(value).__name__}")
    return value


def optional_list(record: dict[str, Any], key: str) -> list[Any]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(INVALID_RECORD, f"{key} must be an array, not {type(value).__name__}")
    return value


def optional_number(record: dict[str, Any], key: str) -> float | int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(INVALID_RECORD, f"{key} must be a number, not {type(value).__name__}")
    return value


def time_field(record: dict[str, Any], key: str, required: bool = False) -> str | None:
    """A timestamp field as RFC 3339 UTC; unparseable (or missing when required) is a RecordError."""
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(MISSING_FIELD, key)
        return None
    try:
        return timestamp(value)
    except ValueError as error:
        raise RecordError(UNPARSEABLE_TIMESTAMP, f"{key}: {error}") from None


def arn_region(arn: Any) -> str | None:
    """The region part of an ARN (``arn:aws:guardduty:us-east-1:...``), if any."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return (parts[3] or None) if len(parts) > 3 else None


def objects(values: list[Any]) -> list[dict[str, Any]]:
    """The objects of a list (other entries are ignored: they carry nothing to map)."""
    return [value for value in values if isinstance(value, dict)]


def text(value: Any) -> str | None:
    """A leaf read leniently for an ECS field: only a non-empty string counts."""
    return value if isinstance(value, str) and value else None


def flat(value: Any) -> dict[str, Any] | None:
    """A ``flat_object`` container: objects as they are, anything else wrapped in
    ``{"value": ...}`` so that the field's type never changes from one document to the next."""
    if value is None or value == {} or value == []:
        return None
    if isinstance(value, dict):
        return value
    return {"value": value}


def to_json_bytes(value: Any) -> bytes:
    """A finding object back to bytes (dead letter ``raw`` for a finding inside an envelope)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits: keep the text form
        import json

        return json.dumps(value).encode("utf-8")


# ---------------------------------------------------------------------------------------
# Key style
# ---------------------------------------------------------------------------------------

# A plural acronym stays one word: sourceIPs -> source_ips, not source_i_ps.
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z](?!s(?:[A-Z0-9]|$))[a-z])")


@lru_cache(maxsize=4096)
def snake_name(name: str) -> str:
    """``ipAddressV4`` -> ``ip_address_v4``, ``AwsApiCallAction`` -> ``aws_api_call_action``,
    ``sourceIPs`` -> ``source_ips``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def snake(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Rename object keys to snake_case, recursively (Elastic's AWS convention).

    Keys named in ``keep`` hold unbounded shapes: their value is renamed but not entered,
    and becomes a ``flat_object`` container (see :func:`flat`).
    """
    if type(value) is dict:
        return {
            snake_name(key): flat(item) if key in keep else _snake_inner(item, keep)
            for key, item in value.items()
        }
    if type(value) is list:
        return [_snake_inner(item, keep) for item in value]
    return value


def _snake_inner(value: Any, keep: frozenset[str]) -> Any:
    # Scalars are returned without a call: most leaves of a finding are scalars.
    return snake(value, keep) if type(value) in (dict, list) else value


def compact(value: dict[str, Any]) -> dict[str, Any]:
    """:func:`normalizers.common.prune` for a document, faster: drops ``None``, ``""``,
    empty lists and empty objects, recursively, without a call per scalar leaf."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        kind = type(item)
        if kind is dict:
            item = compact(item)
            if not item:
                continue
        elif kind is list:
            item = _compact_list(item)
            if not item:
                continue
        elif item is None or item == "":
            continue
        out[key] = item
    return out


def _compact_list(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in values:
        kind = type(item)
        if kind is dict:
            item = compact(item)
            if not item:
                continue
        elif kind is list:
            item = _compact_list(item)
        elif item is None or item == "":
            continue
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------
# Severity and rule (docs/schema.md, "Findings")
# ---------------------------------------------------------------------------------------

INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL = "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"
LABELS = (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)
# What Security Hub itself fills in when a provider gives only the label.
_NORMALIZED_OF_LABEL = {INFORMATIONAL: 0, LOW: 1, MEDIUM: 40, HIGH: 70, CRITICAL: 90}


def guardduty_severity(value: float | Decimal) -> tuple[int, str]:
    """GuardDuty's 0-10 severity -> (``event.severity`` 0-100, label).

    The label is read off the rounded score with Security Hub's ranges
    (:func:`label_of_normalized`), so the two never disagree: 8.95 -> 90, ``CRITICAL``.
    For GuardDuty's one-decimal values this is its own scale (Low 1.0-3.9, Medium 4.0-6.9,
    High 7.0-8.9, Critical 9.0-10.0).
    """
    if not 0 <= value <= 10:
        raise RecordError(INVALID_RECORD, f"severity {value!r} is outside 0-10")
    # Decimal on the literal: 6.95 -> 70, where float arithmetic would give 69.
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    score = int((exact * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return score, label_of_normalized(score)


def guardduty_severity_value(value: Any) -> Decimal | None:
    """GuardDuty's severity as Security Hub carries it (``Severity.Original`` ``"5"``,
    ``Severity.Product`` ``5``): ``None`` unless it is a finite number in 0-10."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 <= number <= 10 else None


def label_of_normalized(normalized: float) -> str:
    """Security Hub's ranges: 0 informational, 1-39 low, 40-69 medium, 70-89 high, 90+ critical."""
    if normalized < 1:
        return INFORMATIONAL
    if normalized < 40:
        return LOW
    if normalized < 70:
        return MEDIUM
    if normalized < 90:
        return HIGH
    return CRITICAL


def securityhub_severity(severity: dict[str, Any]) -> tuple[int | None, str | None]:
    """``Severity`` -> (``event.severity``, label): ``Normalized`` first, else from ``Label``."""
    label = optional_str(severity, "Label")
    if label is not None:
        label = label.upper()
        if label not in LABELS:
            raise RecordError(INVALID_RECORD, f"Severity.Label {label!r} is not one of {', '.join(LABELS)}")
    normalized = optional_number(severity, "Normalized")
    if normalized is not None:
        if not 0 <= normalized <= 100:
            raise RecordError(INVALID_RECORD, f"Severity.Normalized {normalized!r} is outside 0-100")
        score = int(Decimal(repr(normalized)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return score, label or label_of_normalized(normalized)
    if label is not None:
        return _NORMALIZED_OF_LABEL[label], label
    return None, None


def rule_fields(rule_id: str | None, name: str | None, category: str | None) -> dict[str, str]:
    rule: dict[str, str] = prune({"id": rule_id, "name": name, "category": category})
    return rule


# ---------------------------------------------------------------------------------------
# Endpoints (source/destination) and geo, from snake_cased remote/local IP details
# ---------------------------------------------------------------------------------------

_HOSTNAME = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z")


@dataclass(slots=True)
class Endpoint:
    """One side of an action; ``fields`` go to ``source``/``destination``, ``ips`` to ``related.ip``."""

    fields: dict[str, Any]
    ips: list[str]


def endpoint(address: Any, port: Any = None, ip_details: dict[str, Any] | None = None) -> Endpoint:
    """ECS endpoint fields for an address (an IP, a host name, or anything else) and port.

    ``ip_details`` is GuardDuty's ``remoteIpDetails`` or ASFF's ``RemoteIpDetails``,
    already snake_cased: it gives the geo and AS fields.
    """
    fields: dict[str, Any] = {}
    ips: list[str] = []
    ip = parse_ip(address)
    if ip:
        fields["ip"] = ip
        ips.append(ip)
    elif isinstance(address, str) and address.strip():
        fields["address"] = address
        if _HOSTNAME.match(address):
            fields["domain"] = address
    if isinstance(port, int) and not isinstance(port, bool) and 0 <= port <= 65535:
        fields["port"] = port
    elif isinstance(port, str) and port.isdigit() and int(port) <= 65535:
        fields["port"] = int(port)
    if ip_details:
        fields.update(_geo_and_as(ip_details))
    return Endpoint(prune(fields), ips)


def ip_of(details: dict[str, Any]) -> Any:
    """The address in (snake_cased) IP details: v4 first, then v6."""
    return details.get("ip_address_v4") or details.get("ip_address_v6")


def _member(details: dict[str, Any], key: str) -> dict[str, Any]:
    value = details.get(key)
    return value if isinstance(value, dict) else {}


def _geo_and_as(details: dict[str, Any]) -> dict[str, Any]:
    country, city = _member(details, "country"), _member(details, "city")
    organization = _member(details, "organization")
    location = details.get("geo_location") or details.get("geolocation")
    geo = {
        "location": _geo_point(location),
        "country_iso_code": text(country.get("country_code")),
        "country_name": text(country.get("country_name")),
        "city_name": text(city.get("city_name")),
    }
    asn = _as_number(organization.get("asn"))
    autonomous = {
        "number": asn,
        "organization": {"name": text(organization.get("asn_org"))},
    }
    return {"geo": geo, "as": autonomous}


def _geo_point(location: Any) -> dict[str, float] | None:
    if not isinstance(location, dict):
        return None
    lat: Any = location.get("lat")
    lon: Any = location.get("lon")
    if not (_is_number(lat) and _is_number(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": lat, "lon": lon}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> int | None:
    """GuardDuty writes the ASN as a string, ASFF as a number; ``-1``/junk means unknown."""
    try:
        number = int(Decimal(str(value))) if value is not None and not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        return None
    return number if number is not None and number > 0 else None


# ---------------------------------------------------------------------------------------
# The actor (docs/schema.md, "Pivot contract")
# ---------------------------------------------------------------------------------------


def access_key_actor(
    *,
    access_key_id: str | None,
    principal_id: str | None,
    user_name: str | None,
    user_type: str | None,
    account_id: str | None,
    issuer: dict[str, Any] | None = None,
    mfa_authenticated: bool | None = None,
    session_created: str | None = None,
) -> Actor:
    """The principal behind an access key, as GuardDuty (``accessKeyDetails``) and Security
    Hub (``AwsIamAccessKey``, which GuardDuty fills from the same values) describe it.

    Both give one ``userName``/``PrincipalName``: the user's name for an IAM user, but the
    *role's* name for an assumed role, so it goes where CloudTrail has it: the session
    issuer. The root user has no user name in CloudTrail, and gets none here.
    """
    issuer = issuer or {}
    issuer_user_name = text(issuer.get("UserName"))
    name = user_name
    if user_type in ("AssumedRole", "FederatedUser"):
        issuer_user_name = issuer_user_name or (user_name if user_type == "AssumedRole" else None)
        name = None
    elif user_type == "Root":
        name = None
    return Actor(
        type=user_type,
        principal_id=principal_id,
        account_id=account_id,
        access_key_id=access_key_id,
        user_name=name,
        issuer_type=text(issuer.get("Type")) or ("Role" if issuer_user_name else None),
        issuer_principal_id=text(issuer.get("PrincipalId")),
        issuer_arn=text(issuer.get("Arn")),
        issuer_account_id=text(issuer.get("AccountId")),
        issuer_user_name=issuer_user_name,
        mfa_authenticated=mfa_authenticated,
        session_created=session_created,
    )


# ---------------------------------------------------------------------------------------
# What happened: the action (API call, connection, port probe, DNS request)
# ---------------------------------------------------------------------------------------


class Activity:
    """The ECS view of ``service.action``: who talked to whom, and did it succeed."""

    def __init__(self) -> None:
        self.source = Endpoint({}, [])
        self.destination = Endpoint({}, [])
        self.extra_ips: list[str] = []
        self.network: dict[str, Any] = {}
        self.dns: dict[str, Any] = {}
        self.user_agent: str | None = None
        self.blocked: list[bool] = []
        self.failed = False

    @property
    def ips(self) -> list[str]:
        return unique(self.source.ips + self.destination.ips + self.extra_ips)

    @property
    def outcome(self) -> str:
        """``failure`` when the finding says the action was blocked or the API call
        returned an error; ``success`` when it says the action was not blocked."""
        if self.failed or True in self.blocked:
            return "failure"
        if False in self.blocked:
            return "success"
        return "unknown"


def activity_of(action: dict[str, Any]) -> Activity:
    """Read a snake_cased GuardDuty ``service.action`` or ASFF ``Action`` (same shapes)."""
    activity = Activity()
    _api_call(activity, optional_obj(action, "aws_api_call_action"))
    _connection(activity, optional_obj(action, "network_connection_action"))
    _port_probe(activity, optional_obj(action, "port_probe_action"))
    _dns_request(activity, optional_obj(action, "dns_request_action"))
    _other_actions(activity, action)
    return activity


def _api_call(activity: Activity, call: dict[str, Any]) -> None:
    if not call:
        return
    remote = optional_obj(call, "remote_ip_details")
    domain = optional_obj(call, "domain_details").get("domain")
    activity.source = endpoint(ip_of(remote) or domain, None, remote)
    activity.user_agent = _user_agent(call.get("user_agent"))
    activity.failed = bool(text(call.get("error_code")))


# GuardDuty writes INBOUND/OUTBOUND; the ASFF reference also allows IN/OUT.
_DIRECTIONS = {"INBOUND": "inbound", "IN": "inbound", "OUTBOUND": "outbound", "OUT": "outbound"}


def _connection(activity: Activity, connection: dict[str, Any]) -> None:
    if not connection:
        return
    remote_details = optional_obj(connection, "remote_ip_details")
    remote = endpoint(ip_of(remote_details), _port(connection, "remote_port_details"), remote_details)
    local = endpoint(
        ip_of(optional_obj(connection, "local_ip_details")), _port(connection, "local_port_details")
    )
    direction = _DIRECTIONS.get(text(connection.get("connection_direction")) or "")
    # An outbound connection starts on the instance: the local side is the source.
    activity.source, activity.destination = (local, remote) if direction == "outbound" else (remote, local)
    activity.network = _network(direction, connection.get("protocol"))
    _blocked(activity, connection)


def _port_probe(activity: Activity, probe: dict[str, Any]) -> None:
    details = objects(optional_list(probe, "port_probe_details"))
    for number, detail in enumerate(details):
        remote_details = optional_obj(detail, "remote_ip_details")
        remote = endpoint(ip_of(remote_details), None, remote_details)
        local = endpoint(ip_of(optional_obj(detail, "local_ip_details")), _port(detail, "local_port_details"))
        if number == 0:  # the document shows the first probe; related.ip has them all
            activity.source, activity.destination = remote, local
            activity.network = _network("inbound", None)
        else:
            activity.extra_ips += remote.ips + local.ips
    if probe:
        _blocked(activity, probe)


def _dns_request(activity: Activity, request: dict[str, Any]) -> None:
    if not request:
        return
    activity.dns = {"question": {"name": text(request.get("domain"))}}
    activity.network = {**activity.network, "protocol": "dns"}
    _blocked(activity, request)


_HANDLED_ACTIONS = frozenset(
    {"aws_api_call_action", "network_connection_action", "port_probe_action", "dns_request_action"}
)


def _other_actions(activity: Activity, action: dict[str, Any]) -> None:
    """Any other ``*_action`` block (``kubernetesApiCallAction``, ``rdsLoginAttemptAction``,
    and those GuardDuty adds later): its remote IPs go to ``related.ip``, and to ``source``
    when there is exactly one and no other block named a source; its user agent.

    Read leniently: a block this code does not know cannot make the finding invalid."""
    remotes: list[Endpoint] = []
    for key, block in action.items():
        if key in _HANDLED_ACTIONS or not key.endswith("_action") or not isinstance(block, dict):
            continue
        details = _member(block, "remote_ip_details")
        remotes.append(endpoint(ip_of(details), None, details))  # first: it has the geo
        source_ips = block.get("source_ips")
        remotes += [endpoint(ip) for ip in (source_ips if isinstance(source_ips, list) else [])]
        activity.user_agent = activity.user_agent or _user_agent(block.get("user_agent"))
    ips = unique(ip for remote in remotes for ip in remote.ips)
    activity.extra_ips += ips
    if len(ips) == 1 and not activity.source.fields:
        activity.source = next(remote for remote in remotes if remote.ips)


def _user_agent(agent: Any) -> str | None:
    """A string, or GuardDuty's ``{"fullUserAgent", "userAgent"}`` object (snake_cased)."""
    if isinstance(agent, dict):
        return text(agent.get("full_user_agent") or agent.get("user_agent"))
    return text(agent)


def _blocked(activity: Activity, action: dict[str, Any]) -> None:
    blocked = as_bool(action.get("blocked"))
    if blocked is not None:
        activity.blocked.append(blocked)


def _port(block: dict[str, Any], key: str) -> Any:
    return optional_obj(block, key).get("port")


def _network(direction: str | None, protocol: Any) -> dict[str, Any]:
    return {
        "direction": direction,
        "transport": protocol.lower() if isinstance(protocol, str) and protocol != "Unknown" else None,
    }
