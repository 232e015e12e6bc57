"""One CloudTrail record -> one ECS document, by small pure functions (docs/sources/cloudtrail.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from normalizers.base import Document, Origin
from normalizers.cloudtrail.actor import ActorCache
from normalizers.cloudtrail.categorize import categorize
from normalizers.cloudtrail.tables import (
    ADDENDUM_FIELDS,
    BOOL_FIELDS,
    CONSOLE_LOGIN_FLAGS,
    CONSOLE_LOGIN_TEXT,
    RESOURCE_FIELDS,
    SIGNIN,
    TEXT_FIELDS,
    TLS_FIELDS,
    VPCE_ACCESS_DENIED,
)
from normalizers.cloudtrail.targets import Target, target_values, targets_of
from normalizers.ecs.address import address_fields
from normalizers.ecs.getters import nullable_obj, optional_str, parsed_time
from normalizers.ecs.ids import MAX_ID_BYTES, record_id, searchable_id
from normalizers.ecs.names import snake
from normalizers.ecs.timestamps import ingested_millis, timestamp
from normalizers.ecs.values import as_bool, flat, unique, yes_no
from normalizers.object_key import delivered_account
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, RecordError

_MAX_MINUTES = (2**63 - 1) // (60 * 1_000_000_000)
"""The longest insight whose duration in nanoseconds a ``long`` holds (some 290 years)."""


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
    require_region(record, envelope)
    identity = nullable_obj(record, "userIdentity")
    request = flat(record.get("requestParameters"))
    response = flat(record.get("responseElements"))

    trail = _trail_fields(record, provider, request, response)
    event = _event(record, envelope, insight, action, provider, response, trail, raw, origin)
    document: Document = {
        "@timestamp": moment,
        "event": event,
        "cloud": _cloud(record, identity, envelope, origin),
        "aws": {"cloudtrail": trail},
    }
    rows = targets_of(provider, action)
    related = add_parties(document, record, identity, trail, rows, actors or ActorCache())
    if insight is not None:
        trail["insight_details"] = snake(insight)
        _add_insight_times(event, insight, moment)
        actors_of_insight = insight_users(insight)
        if actors_of_insight:
            related["user"] = unique([*related.get("user", ()), *actors_of_insight])
    if related:
        document["related"] = related
    return document


def add_parties(
    document: Document,
    record: dict[str, Any],
    identity: dict[str, Any] | None,
    trail: dict[str, Any],
    rows: tuple[Target, ...],
    actors: ActorCache,
) -> dict[str, list[str]]:
    """Who acted, from where, on what and with which agent: ``user``, ``source``, the targets
    (``rows``: ``targets_of`` the operation) and ``user_agent`` added to ``document``; returns
    ``related``, which the caller adds last. normalizers.cloudtrail.compiled writes it out per
    record shape."""
    related: dict[str, list[str]] = {}
    user: dict[str, Any] = {}
    if identity is not None:
        additional = trail.get("additional_eventdata")
        signed_in_as = signed_in_as_of(additional) if additional else None
        user, related_users, user_identity, hosts = actors.parties(identity, signed_in_as)
        trail["user_identity"] = user_identity
        if related_users:
            related["user"] = related_users
        if hosts:
            related["hosts"] = list(hosts)
    if user:
        document["user"] = user
    # optional_str of both members, inlined (it runs for every record): a string is taken as
    # it is, anything else goes through optional_str, which raises with the reason.
    address = record.get("sourceIPAddress")
    if address.__class__ is not str:
        address = optional_str(record, "sourceIPAddress")
    if address:  # source.ip only for a valid address; anything else in source.address
        source = address_fields(address)
        if source:
            document["source"] = source
            if "ip" in source:
                related["ip"] = [source["ip"]]
    if rows:
        add_targets(document, related, target_values(record, rows))
    agent = record.get("userAgent")
    if agent.__class__ is not str:
        agent = optional_str(record, "userAgent")
    if agent:
        document["user_agent"] = {"original": agent}
    return related


def _event_time(record: dict[str, Any], envelope: dict[str, Any] | None) -> str:
    value = record.get("eventTime")
    if value is None and envelope is not None:
        value = envelope.get("time")
    if value is None or value == "":
        raise RecordError(MISSING_FIELD, "eventTime")
    try:
        return timestamp(value)  # the common case without a call more
    except ValueError:
        return parsed_time("eventTime", value)  # raises with the reason


def require_region(record: dict[str, Any], envelope: dict[str, Any] | None) -> None:
    """Every CloudTrail record has ``awsRegion`` (the spec; an EventBridge event's ``region``
    is the same): one without is invalid and dead-lettered, on every delivery path alike,
    rather than given a Region guessed from its object's key (a native log file's names one,
    a CloudWatch Logs delivery's none)."""
    if not (optional_str(record, "awsRegion") or optional_str(envelope, "region")):
        raise RecordError(MISSING_FIELD, "awsRegion")


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
    # The compiled builders write the same out (compiled._event_source): change both.
    event_type = trail.get("event_type")
    error_code = trail.get("error_code")
    categories, types = categorize(
        action,
        provider,
        event_type,
        trail.get("read_only"),
        insight is not None,
        error_code == VPCE_ACCESS_DENIED,
    )
    event_id = record.get("eventID")
    # The common case (a UUID) without a call; an id that may be too long to search, through one.
    if event_id.__class__ is not str or not event_id or len(event_id) * 4 > MAX_ID_BYTES:
        event_id = _event_id(record, envelope)
    # No event.kind, event.dataset, event.module: constants of the index (fields.CONSTANTS).
    event: dict[str, Any] = {
        "category": list(categories),
        "type": list(types),
        "action": action,
        "outcome": _outcome(action, insight, error_code, response, trail.get("service_event_details")),
        "id": event_id,
        "provider": provider,
        "ingested": ingested_millis(origin.ingested),
    }
    if origin.keep_original:
        event["original"] = raw.decode("utf-8")
    return event


def _event_id(record: dict[str, Any], envelope: dict[str, Any] | None) -> str:
    event_id = optional_str(record, "eventID") or optional_str(envelope, "id")
    if event_id:
        return searchable_id(event_id)
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


# -- aws.cloudtrail.* ----------------------------------------------------------------------


def _trail_fields(
    record: dict[str, Any], provider: str, request: dict[str, Any] | None, response: dict[str, Any] | None
) -> dict[str, Any]:
    trail: dict[str, Any] = {}
    for key, field in TEXT_FIELDS:  # inlined optional_str: this loop runs for every record
        value = record.get(key)
        if value.__class__ is str:
            if value:
                trail[field] = value
        elif value is not None:
            optional_str(record, key)  # raises with the reason
    for key, field in BOOL_FIELDS:
        value = record.get(key)
        if value is None:
            continue
        flag = value if value.__class__ is bool else as_bool(value)
        if flag is not None:
            trail[field] = flag
    if request is not None:
        trail["request_parameters"] = request
    if response is not None:
        trail["response_elements"] = response
    if record.get("additionalEventData") is not None:
        add_additional(record, trail, provider)
    for key, field in BLOCKS:
        if record.get(key) is not None:
            add_block(record, trail, key, field)
    for key, field, names in RENAMED_BLOCKS:
        if record.get(key) is not None:
            add_renamed(record, trail, key, field, names)
    if record.get("resources") is not None:
        add_resources(record, trail)
    return trail


# Each step below adds what one member of the record gives, when the member is not null: the
# generic path above and the compiled builders (normalizers.cloudtrail.compiled) share them
# (add_renamed excepted: the builders write it out, for tlsDetails of most records).

BLOCKS = (
    ("serviceEventDetails", "service_event_details"),
    ("edgeDeviceDetails", "edge_device_details"),
)
"""Objects copied as ``flat_object`` values."""
RENAMED_BLOCKS = (
    ("tlsDetails", "tls_details", TLS_FIELDS),
    ("addendum", "addendum", ADDENDUM_FIELDS),
)
"""Objects whose known members (strings) are copied under their field names."""
RENAMED_IDS = frozenset({"original_event_id"})
"""Renamed members naming another record's ``eventID``: written as that record's ``event.id``
is (:func:`searchable_id`), so a pivot from one finds the other however long the id."""


def add_additional(record: dict[str, Any], trail: dict[str, Any], provider: str) -> None:
    additional = flat(record["additionalEventData"])
    if additional is not None:
        trail["additional_eventdata"] = additional
        # Sign-in details, whatever eventType says: IAM Identity Center sign-ins are
        # AwsServiceEvent records of signin.amazonaws.com.
        signin = record.get("eventType") == "AwsConsoleSignIn" or provider == SIGNIN
        login = _console_login(additional) if signin else None
        if login:
            trail["console_login"] = login


def add_block(record: dict[str, Any], trail: dict[str, Any], key: str, field: str) -> None:
    block = flat(record[key])
    if block is not None:
        trail[field] = block


def add_renamed(
    record: dict[str, Any], trail: dict[str, Any], key: str, field: str, names: tuple[tuple[str, str], ...]
) -> None:
    renamed = _renamed(nullable_obj(record, key), names)
    if renamed:
        trail[field] = renamed


def add_resources(record: dict[str, Any], trail: dict[str, Any]) -> None:
    resources = _resources(record["resources"])
    if resources:
        trail["resources"] = resources


def _renamed(block: dict[str, Any] | None, names: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    if block is None:
        return {}
    out: dict[str, Any] = {}
    for key, field in names:
        value = optional_str(block, key)  # keyword fields: another type raises, as resources'
        if value:
            out[field] = searchable_id(value) if field in RENAMED_IDS else value
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
        resource = {field: text for key, field in RESOURCE_FIELDS if (text := optional_str(item, key))}
        if resource:
            out.append(resource)
    return out


def signed_in_as_of(additional: dict[str, Any] | None) -> str | None:
    """``additionalEventData.UserName``: who an IAM Identity Center sign-in is for."""
    name = additional.get("UserName") if additional else None
    return name if isinstance(name, str) and name else None


def _console_login(additional: dict[str, Any]) -> dict[str, Any]:
    login: dict[str, Any] = {}
    for key, field in CONSOLE_LOGIN_FLAGS:
        flag = yes_no(additional.get(key))
        if flag is not None:
            login[field] = flag
    for key, field in CONSOLE_LOGIN_TEXT:
        value = additional.get(key)
        if isinstance(value, str) and value:
            login[field] = value
    return login


def insight_users(insight: dict[str, Any]) -> list[str]:
    """Who made the unusual calls: ``insightContext.attributions[attribute=userIdentityArn]``,
    each ``insight[].value`` (the ``baseline`` list is the activity before, not the anomaly's
    actors), then for an assumed-role ARN the role's name, which every document of the role's
    sessions holds in ``related.user``. Ill-formed entries are skipped: ``insight_details``
    keeps them as they are."""
    context = insight.get("insightContext")
    attributions = context.get("attributions") if isinstance(context, dict) else None
    users: list[str] = []
    for attribution in attributions if isinstance(attributions, list) else ():
        if not isinstance(attribution, dict) or attribution.get("attribute") != "userIdentityArn":
            continue
        values = attribution.get("insight")
        for entry in values if isinstance(values, list) else ():
            arn = entry.get("value") if isinstance(entry, dict) else None
            if isinstance(arn, str) and arn:
                users.append(arn)
                role = _assumed_role(arn)
                if role:
                    users.append(role)
    return users


def _assumed_role(arn: str) -> str | None:
    """The role of ``arn:aws:sts::<account>:assumed-role/<role>[/<session>]``."""
    _, marker, rest = arn.partition(":assumed-role/")
    if not marker:
        return None
    return rest.split("/", 1)[0] or None


def _add_insight_times(event: dict[str, Any], insight: dict[str, Any], moment: str) -> None:
    """Start events open the unusual period; End events close it and say how long it lasted."""
    state = insight.get("state")
    if state == "Start":
        event["start"] = moment
    elif state == "End":
        event["end"] = moment
        statistics = (nullable_obj(nullable_obj(insight, "insightContext"), "statistics")) or {}
        minutes = statistics.get("insightDuration")
        # event.duration is nanoseconds in a long: a longer insight has none (nor a start: far
        # longer, it falls before year 1).
        if isinstance(minutes, int | float) and not isinstance(minutes, bool) and 0 <= minutes < _MAX_MINUTES:
            end = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            event["start"] = timestamp((end - timedelta(minutes=minutes)).isoformat())
            event["duration"] = int(minutes * 60 * 1_000_000_000)


# -- actor, cloud, source ------------------------------------------------------------------


def add_targets(document: Document, related: dict[str, list[str]], targets: dict[str, list[str]]) -> None:
    """What the call acts on (docs/schema.md, "Targets"): ECS fields, ``related.*`` where
    ECS has no target field. A single value is written as a value, several as a list;
    ``roles`` is always a list."""
    for path, values in targets.items():
        parent, _, leaf = path.rpartition(".")
        if parent == "related":
            related[leaf] = unique([*related.get(leaf, ()), *values])
            continue
        node: dict[str, Any] = document
        for key in parent.split("."):
            node = node.setdefault(key, {})
        node[leaf] = values if leaf == "roles" or len(values) > 1 else values[0]


def _cloud(
    record: dict[str, Any], identity: dict[str, Any] | None, envelope: dict[str, Any] | None, origin: Origin
) -> dict[str, Any]:
    cloud: dict[str, Any] = {}  # cloud.provider: a constant of the index (fields.CONSTANTS)
    # The recording account first; a record without (versions before recipientAccountId,
    # 1.02) is the log file's account, whose AWSLogs/<account>/ folder CloudTrail writes it
    # under (Security Lake: its accountId= partition). The caller's account
    # (userIdentity.accountId) comes last, for a record out of such a folder: it is another
    # account for cross-account calls (an AWSAccount caller's is always another one), and a
    # web identity or SAML caller has none.
    account = (
        optional_str(record, "recipientAccountId")
        or optional_str(envelope, "account")
        or delivered_account(origin.object)
        or optional_str(identity, "accountId")
    )
    if account:
        cloud["account"] = {"id": account}
    region = optional_str(record, "awsRegion") or optional_str(envelope, "region")
    if region:
        cloud["region"] = region
    return cloud
