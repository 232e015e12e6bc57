"""Document builders compiled per record shape: the generic mapping without its probing.

:func:`~normalizers.cloudtrail.mapping.build_document` asks every record for every member it
might have (some thirty ``dict.get`` calls, loops over the field tables, a call per block),
though the records of a file come in a few shapes: the same members, in the same order, call
after call. So the members a record has (``tuple(record)``, its *shape*) select a function
generated once for that shape, which reads only those members and writes the same document
in the same order, through the same helpers for anything beyond a plain copy. The builder
last picked for as many members is tried first (see :class:`CompiledBuilders`): it reads each
member of its shape, so it maps no record of another.

The generic path stays the reference and the only one that refuses records: a compiled
builder raises on anything it does not expect (a member of another type, an unparseable
time...), and :meth:`CompiledBuilders.build` then maps the record again by the generic path,
which writes the same document or raises the same dead letter's reason. Generated source
holds only member names from the field tables, never a record's text.

Bounded whatever the input: shapes with more than :data:`MAX_KEYS` members are not compiled,
at most :data:`MAX_SHAPES` builders are kept (the cache starts again when full), and one
object compiles at most :data:`COMPILES_PER_OBJECT` of them (a file of all-distinct shapes
costs that many compilations, then goes the generic way).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from operator import itemgetter
from typing import Any, TypeVar

from normalizers.base import Document, Origin
from normalizers.cloudtrail import mapping
from normalizers.cloudtrail.actor import ActorCache, Parties, actor_of, beside_actor, identity_parties
from normalizers.cloudtrail.categorize import categorize
from normalizers.cloudtrail.tables import BOOL_FIELDS, SIGNIN, TEXT_FIELDS, VPCE_ACCESS_DENIED
from normalizers.cloudtrail.targets import Target, target_values, targets_of
from normalizers.ecs import timestamps
from normalizers.ecs.actor import is_instance_id
from normalizers.ecs.address import address_fields
from normalizers.ecs.getters import nullable_obj, optional_str
from normalizers.ecs.ids import MAX_ID_BYTES
from normalizers.ecs.timestamps import ingested_millis, optional_time
from normalizers.ecs.values import as_bool, flat

Builder = Callable[[dict[str, Any], bytes, Origin, ActorCache], Document]
IdentityBuilder = Callable[[dict[str, Any], str | None], Parties | None]
"""The parties of an identity of its shape, ``None`` for one of another shape (a guess by
size, see :meth:`CompiledBuilders.identity_parties`)."""
Shape = tuple[str, ...]
IdentityShape = tuple[Shape, Shape | None, Shape | None, Shape | None]
"""``userIdentity``'s members, its ``sessionContext``'s, their ``sessionIssuer``'s and
``attributes``' (``None``: absent or null)."""
_Compiled = TypeVar("_Compiled")

MAX_KEYS = 64
"""CloudTrail records have about 20 members, identities fewer; more is not a shape worth compiling."""
MAX_SHAPES = 256
"""Builders kept per kind (documents, identities)."""
COMPILES_PER_OBJECT = 32

REQUIRED = ("eventName", "eventSource", "eventTime", "awsRegion")
"""A shape without one of these is a dead letter or an exception (``insightDetails``,
an EventBridge envelope's time or region): left to the generic path."""

Operation = tuple[tuple[str, ...], tuple[str, ...], tuple[Target, ...]]
"""``(event.category, event.type, target rows)`` of one operation."""
OperationKey = tuple[str, str, str | None, bool | None, bool]
"""``(eventName, eventSource, event_type, read_only, denied by a VPC endpoint)``."""
MAX_OPERATIONS = 4096
_OPERATIONS: dict[OperationKey, Operation] = {}
"""What each operation's records get, looked up once per record (its categorization and its
target rows, each ``lru_cache``'d, were two lookups)."""

_BUILDERS: dict[Shape, Builder | None] = {}
"""Every process's document builders by shape (``None``: a shape left to the generic path)."""
_BY_SIZE: dict[int, Builder] = {}
"""The builder last picked for records of each number of members (at most :data:`MAX_KEYS`)."""
WRONG_GUESSES = 32
"""Guesses by :data:`_BY_SIZE` of another shape after which an object picks by shape alone
(records of as many members in other shapes, taking turns, would each pay a failed guess)."""
_IDENTITY_BUILDERS: dict[IdentityShape, IdentityBuilder | None] = {}
_IDENTITY_BY_SIZE: dict[int, IdentityBuilder] = {}
"""The identity builder last picked for each :func:`identity_size` (as :data:`_BY_SIZE`)."""


class CompiledBuilders:
    """One object's view of the compiled builders, with its compilation budget.

    A record's shape is a tuple of its ~20 members, hashed: some 3,800 instructions per record
    to pick its builder. So the builder last picked for the record's number of members is tried
    first (:data:`_BY_SIZE`): it reads every member of its own shape (a ``KeyError`` for one the
    record lacks), so when it returns, the record has all of them and as many members as they
    are, which are then its members, whatever their order. Else (a record of another shape
    with as many members, or one the builder leaves to the generic path) the shape decides
    as before; an object stops guessing after :data:`WRONG_GUESSES` guesses of another shape."""

    def __init__(self) -> None:
        self._budget = COMPILES_PER_OBJECT
        self._guesses = WRONG_GUESSES

    def build(self, record: dict[str, Any], raw: bytes, origin: Origin, actors: ActorCache) -> Document:
        """What ``build_document(record, raw, None, origin, actors)`` returns, or raises."""
        size = len(record)
        guess = _BY_SIZE.get(size) if self._guesses else None
        if guess is not None:
            try:
                return guess(record, raw, origin, actors)
            except Exception:  # another shape, or the generic path's to map: the shape says which
                pass
        builder = None
        if size <= MAX_KEYS:
            shape = tuple(record)
            builder = _BUILDERS.get(shape)  # the common case without a call
            if builder is None and shape not in _BUILDERS:
                builder = self._compiled(_BUILDERS, shape, compile_builder)
        if builder is not None and builder is not guess:
            if guess is not None:
                self._guesses -= 1
            _BY_SIZE[size] = builder
            try:
                return builder(record, raw, origin, actors)
            except Exception:  # the generic path below says why, or maps it
                pass
        return mapping.build_document(record, raw, None, origin, actors)

    def identity_parties(self, identity: dict[str, Any], signed_in_as: str | None = None) -> Parties:
        """What :func:`~normalizers.cloudtrail.actor.identity_parties` returns, or raises.

        The builder last picked for as many members (of ``userIdentity`` and of its
        ``sessionContext``) is tried first: it checks every member count of its shape and reads
        every member (as the document builders do), so it returns ``None`` for, or raises on,
        an identity of another shape, and its shape (four tuples, hashed: most of the work of a
        record whose identity the actor cache does not hold) is then looked up as before."""
        size = identity_size(identity)
        guess = _IDENTITY_BY_SIZE.get(size)
        if guess is not None:
            try:
                parties = guess(identity, signed_in_as)
            except Exception:  # another shape, or the generic path's to build: the shape says which
                parties = None
            if parties is not None:
                return parties
        shape = identity_shape(identity)
        builder = (
            None if shape is None else self._compiled(_IDENTITY_BUILDERS, shape, compile_identity_builder)
        )
        if builder is not None:
            if builder is not guess:
                if len(_IDENTITY_BY_SIZE) >= MAX_SHAPES:
                    _IDENTITY_BY_SIZE.clear()
                _IDENTITY_BY_SIZE[size] = builder
            try:
                parties = builder(identity, signed_in_as)
            except Exception:  # the generic path below says why, or builds it
                parties = None
            if parties is not None:
                return parties
        return identity_parties(identity, signed_in_as)

    def _compiled(
        self,
        cache: dict[Any, _Compiled | None],
        shape: Hashable,
        compile_shape: Callable[[Any], _Compiled | None],
    ) -> _Compiled | None:
        try:
            return cache[shape]
        except KeyError:
            pass
        if self._budget <= 0:
            return None
        self._budget -= 1
        if len(cache) >= MAX_SHAPES:
            cache.clear()
        compiled = cache[shape] = compile_shape(shape)
        return compiled


def identity_size(identity: dict[str, Any]) -> int:
    """The members of ``userIdentity`` and of its ``sessionContext`` (when an object), as one
    number: an AssumedRole's identity and an IAMUser's have as many members of their own."""
    session = identity.get("sessionContext")
    return len(identity) + (len(session) << 8 if session.__class__ is dict else 0)


def identity_shape(identity: dict[str, Any]) -> IdentityShape | None:
    """The shape of a ``userIdentity``, or ``None`` for one left to the generic path (too
    many members, a ``sessionContext``, ``sessionIssuer`` or ``attributes`` that is no object)."""
    session = identity.get("sessionContext")
    if session is None:
        return (tuple(identity), None, None, None) if len(identity) <= MAX_KEYS else None
    if session.__class__ is not dict:
        return None
    issuer, attributes = session.get("sessionIssuer"), session.get("attributes")
    if (issuer is not None and issuer.__class__ is not dict) or (
        attributes is not None and attributes.__class__ is not dict
    ):
        return None
    if max(len(identity), len(session), len(issuer or ()), len(attributes or ())) > MAX_KEYS:
        return None
    return (
        tuple(identity),
        tuple(session),
        None if issuer is None else tuple(issuer),
        None if attributes is None else tuple(attributes),
    )


def operation_of(key: OperationKey) -> Operation:
    """The operation of ``key``, kept for the next record of it (at most :data:`MAX_OPERATIONS`:
    the table starts again when full)."""
    action, provider, event_type, read_only, denied = key
    if len(_OPERATIONS) >= MAX_OPERATIONS:
        _OPERATIONS.clear()
    categories, types = categorize(action, provider, event_type, read_only, False, denied)
    operation = _OPERATIONS[key] = (categories, types, targets_of(provider, action))
    return operation


class _Unexpected(Exception):
    """A member the compiled builder does not map itself: the generic path will."""


def compile_builder(shape: Shape) -> Builder | None:
    """The builder of records whose members are ``shape``, or ``None`` for the generic path."""
    present = set(shape)
    if "insightDetails" in present or not present.issuperset(REQUIRED):
        return None
    namespace: dict[str, Any] = {
        "Unexpected": _Unexpected,
        "as_bool": as_bool,
        "flat": flat,
        "timestamp": mapping.timestamp,
        "times": timestamps,
        "SECOND_ENDS": timestamps.SECOND_ENDS,
        # mapping's own: the per-index constants they write are changed there alone
        "operations": _OPERATIONS,
        "operation_of": operation_of,
        "event_id_of": mapping._event_id,
        "ingested_millis": ingested_millis,
        "cloud_of": mapping._cloud,
        "add_additional": mapping.add_additional,
        "add_block": mapping.add_block,
        "add_resources": mapping.add_resources,
        "signed_in_as_of": mapping.signed_in_as_of,
        "SIGNIN": SIGNIN,
        "address_fields": address_fields,
        "optional_str": optional_str,
        "searchable_id": mapping.searchable_id,
        "target_values": target_values,
        "add_targets": mapping.add_targets,
    }
    lines = _source(present, namespace)
    # Every member of the shape read (CompiledBuilders.build's guess by size): those the lines
    # read in no statement of the function's own (which all run), by one call at its start.
    # The names go to the namespace, not into the source: any record's member may be one.
    read = {match[1] for match in map(_READ_FIRST, lines) if match is not None}
    unread = tuple(key for key in shape if key not in read)
    if unread:
        namespace["members_of"] = itemgetter(*unread)
        lines.insert(1, "    members_of(record)")
    code = compile("\n".join(lines), "<cloudtrail compiled builder>", "exec")
    exec(code, namespace)  # our own source: member names from the field tables
    builder: Builder = namespace["build"]
    return builder


_READ_FIRST = re.compile(r"    (?:\w+ = (?:\w+\()?|if )record\['(\w+)'\]").match
"""A statement of the builder's own body (run whenever it returns) that reads a member first."""


def _source(present: set[str], namespace: dict[str, Any]) -> list[str]:
    """The builder's lines: :func:`~normalizers.cloudtrail.mapping.build_document`'s steps
    for an EventBridge-less, Insights-less record, in its order, for present members only."""

    def member(key: str) -> str:
        return f"record[{key!r}]"

    lines = [
        "def build(record, raw, origin, actors):",
        "    action = record['eventName']",
        "    provider = record['eventSource']",
        "    if action.__class__ is not str or not action or provider.__class__ is not str or not provider:",
        "        raise Unexpected",
        # timestamp's first test (a whole second of the minute last seen), without its call
        "    moment = record['eventTime']",
        "    if moment.__class__ is not str or not moment.startswith(times._last_minute) or moment[17:] not in SECOND_ENDS:",
        "        moment = timestamp(moment)",
        "    region = record['awsRegion']",
        "    if region.__class__ is not str or not region:",  # mapping.require_region's dead letter
        "        raise Unexpected",
    ]
    if "userIdentity" in present:
        lines += [
            "    identity = record['userIdentity']",
            "    if identity is not None and identity.__class__ is not dict:",
            "        raise Unexpected",
        ]
    else:
        lines.append("    identity = None")
    for key, name in (("requestParameters", "request"), ("responseElements", "response")):
        if key in present:
            lines += [
                f"    {name} = {member(key)}",
                f"    {name} = ({name} or None) if {name}.__class__ is dict else flat({name})",
            ]
        else:
            lines.append(f"    {name} = None")
    # aws.cloudtrail.*, as mapping._trail_fields writes it
    lines.append("    trail = {}")
    for key, field in TEXT_FIELDS:
        if key in present:
            name = _KEPT.get(key, "value")
            lines += [
                f"    {name} = {member(key)}",
                f"    if {name}.__class__ is str:",
                f"        if {name}:",
                f"            trail[{field!r}] = {name}",
            ]
            if name != "value":  # as trail.get(field) would be
                lines += ["        else:", f"            {name} = None"]
            lines += [f"    elif {name} is not None:", "        raise Unexpected"]
    for key, field in BOOL_FIELDS:
        if key in present:
            name = _KEPT.get(key, "value")
            lines += [
                f"    {name} = {member(key)}",
                f"    if {name}.__class__ is not bool and {name} is not None:",
                f"        {name} = as_bool({name})",
                f"    if {name} is not None:",
                f"        trail[{field!r}] = {name}",
            ]
    lines += [
        "    if request is not None:",
        "        trail['request_parameters'] = request",
        "    if response is not None:",
        "        trail['response_elements'] = response",
    ]
    if "additionalEventData" in present:  # mapping.add_additional's common case, written out
        sign_in = " and record['eventType'] != 'AwsConsoleSignIn'" if "eventType" in present else ""
        lines += [
            "    additional = record['additionalEventData']",
            f"    if additional.__class__ is dict and additional and provider != SIGNIN{sign_in}:",
            "        trail['additional_eventdata'] = additional",
            "        signed_in_as = additional.get('UserName')",
            "        if not isinstance(signed_in_as, str) or not signed_in_as:",
            "            signed_in_as = None",
            "    elif additional is not None:",
            "        add_additional(record, trail, provider)",
            "        signed_in_as = signed_in_as_of(trail.get('additional_eventdata'))",
            "    else:",
            "        signed_in_as = None",
        ]
    for key, field in mapping.BLOCKS:
        if key in present:
            lines += [
                f"    if {member(key)} is not None:",
                f"        add_block(record, trail, {key!r}, {field!r})",
            ]
    for key, field, names in mapping.RENAMED_BLOCKS:
        if key in present:  # mapping.add_renamed, written out: tlsDetails is in most records
            lines += [
                f"    block = {member(key)}",
                "    if block is not None:",
                "        if block.__class__ is not dict:",
                "            raise Unexpected",
                "        renamed = {}",
            ]
            for name, renamed in names:
                written = "searchable_id(value)" if renamed in mapping.RENAMED_IDS else "value"
                lines += [
                    f"        value = block.get({name!r})",
                    "        if value.__class__ is str:",
                    "            if value:",
                    f"                renamed[{renamed!r}] = {written}",
                    "        elif value is not None:",
                    "            raise Unexpected",
                ]
            lines += ["        if renamed:", f"            trail[{field!r}] = renamed"]
    if "resources" in present:
        lines += ["    if record['resources'] is not None:", "        add_resources(record, trail)"]
    lines += _event_source(present)
    if "recipientAccountId" in present:  # mapping._cloud's common case, written out
        lines += [
            "    account = record['recipientAccountId']",
            "    if account.__class__ is str and account:",
            "        cloud = {'account': {'id': account}, 'region': region}",
            "    else:",
            "        cloud = cloud_of(record, identity, None, origin)",
        ]
    else:
        lines.append("    cloud = cloud_of(record, identity, None, origin)")
    lines.append(
        "    document = {'@timestamp': moment, 'event': event, 'cloud': cloud, 'aws': {'cloudtrail': trail}}"
    )
    lines += _parties_source(present)
    lines += ["    if related:", "        document['related'] = related", "    return document"]
    return lines


def _parties_source(present: set[str]) -> list[str]:
    """:func:`~normalizers.cloudtrail.mapping.add_parties`, written out for the members present
    (a call with six arguments, and a look-up of each member whether the shape has it or not)."""
    if "userIdentity" in present:
        signed_in_as = "signed_in_as" if "additionalEventData" in present else "None"
        lines = [
            "    if identity is not None:",
            f"        user, related_users, trail['user_identity'], hosts = actors.parties(identity, {signed_in_as})",
            "        related = {'user': related_users} if related_users else {}",
            "        if hosts:",
            "            related['hosts'] = list(hosts)",
            "        if user:",
            "            document['user'] = user",
            "    else:",
            "        related = {}",
        ]
    else:
        lines = ["    related = {}"]
    if "sourceIPAddress" in present:  # source.ip only for a valid address; else source.address
        lines += [
            *_string_member("address", "sourceIPAddress"),
            "    if address:",
            "        source = address_fields(address)",
            "        if source:",
            "            document['source'] = source",
            "            if 'ip' in source:",
            "                related['ip'] = [source['ip']]",
        ]
    lines += ["    if rows:", "        add_targets(document, related, target_values(record, rows))"]
    if "userAgent" in present:
        lines += [
            *_string_member("agent", "userAgent"),
            "    if agent:",
            "        document['user_agent'] = {'original': agent}",
        ]
    return lines


def _string_member(name: str, key: str) -> list[str]:
    """A string member taken as it is; anything else through ``optional_str`` (``None`` for
    null or ``""``), which raises with the reason."""
    return [
        f"    {name} = record[{key!r}]",
        f"    if {name}.__class__ is not str:",
        f"        {name} = optional_str(record, {key!r})",
    ]


_KEPT = {"eventType": "event_type", "readOnly": "read_only", "errorCode": "error_code"}
"""Members whose field ``event`` reads again (the operation's key, the outcome): kept in a
local of this name, ``None`` where the field is not written, rather than read back from
``trail``."""


def _event_source(present: set[str]) -> list[str]:
    """``event``, as :func:`~normalizers.cloudtrail.mapping._event` writes it for a record
    without ``insightDetails`` or envelope, written out: a call with nine arguments and one
    more for the outcome, in every record, cost more than what they do."""

    def kept(key: str) -> str:
        return _KEPT[key] if key in present else "None"

    denied = f"error_code == {VPCE_ACCESS_DENIED!r}" if "errorCode" in present else "False"
    key = f"(action, provider, {kept('eventType')}, {kept('readOnly')}, {denied})"
    lines = [
        f"    operation = operations.get({key})",
        "    if operation is None:",
        f"        operation = operation_of({key})",
        "    categories, types, rows = operation",
    ]
    # mapping._outcome: a failure is an error code, or {action: "Failure"} in the response or
    # in serviceEventDetails (sign-in events).
    failures = []
    if "errorCode" in present:
        failures.append("error_code")
    if "responseElements" in present:
        failures.append("(response is not None and response.get(action) == 'Failure')")
    if "serviceEventDetails" in present:
        lines.append("    details = trail.get('service_event_details')")
        failures.append("(details is not None and details.get(action) == 'Failure')")
    lines.append(
        f"    outcome = 'failure' if {' or '.join(failures)} else 'success'"
        if failures
        else "    outcome = 'success'"
    )
    if "eventID" in present:
        lines += [
            "    event_id = record['eventID']",
            f"    if event_id.__class__ is not str or not event_id or len(event_id) > {MAX_ID_BYTES // 4}:",
            "        event_id = event_id_of(record, None)",
        ]
    else:
        lines.append("    event_id = event_id_of(record, None)")
    lines += [
        "    event = {'category': list(categories), 'type': list(types), 'action': action, 'outcome': outcome,",
        "             'id': event_id, 'provider': provider, 'ingested': ingested_millis(origin.ingested)}",
        "    if origin.keep_original:",
        "        event['original'] = raw.decode('utf-8')",
    ]
    return lines


def _text(name: str, member: str) -> list[str]:
    """Lines reading a string member as ``optional_str`` does: ``None`` for null or ``""``,
    anything but a string raises."""
    return [
        f"    {name} = {member}",
        f"    if {name}.__class__ is not str:",
        f"        if {name} is not None:",
        "            raise Unexpected",
        f"    elif not {name}:",
        f"        {name} = None",
    ]


_IDENTITY_TEXT = (
    ("userName", "user_name"),
    ("type", "kind"),
    ("principalId", "principal_id"),
    ("arn", "arn"),
    ("accountId", "account_id"),
    ("accessKeyId", "access_key_id"),
    ("invokedBy", "invoked_by"),
    ("identityProvider", "identity_provider"),
    ("credentialId", "credential_id"),
)
_ISSUER_TEXT = (
    ("type", "issuer_type"),
    ("principalId", "issuer_principal_id"),
    ("arn", "issuer_arn"),
    ("accountId", "issuer_account_id"),
    ("userName", "issuer_user_name"),
)
_SESSION_TEXT = (("sourceIdentity", "source_identity"), ("ec2RoleDelivery", "ec2_role_delivery"))
_ACTOR_ARGUMENTS = (
    "signed_in_as, user_name, kind, behalf_user, principal_id, arn, account_id, access_key_id,"
    " issuer_type, issuer_principal_id, issuer_arn, issuer_account_id, issuer_user_name,"
    " mfa_authenticated, session_created, source_identity, ec2_role_delivery, invoked_by,"
    " identity_provider, credential_id, identity_store_arn"
)
"""actor_of's parameters, in its order."""


def compile_identity_builder(shape: IdentityShape) -> IdentityBuilder:
    """The builder of the parties of a ``userIdentity`` of this shape: the members
    :func:`~normalizers.cloudtrail.actor.identity_members` reads, read only where present,
    then :func:`~normalizers.cloudtrail.actor.actor_of`, and what
    :func:`~normalizers.cloudtrail.actor.identity_parties` adds (inScopeOf and the web identity
    for the shapes that have them). It first checks that the identity is of this shape (the
    member count of each object, every member read: ``None``, or a ``KeyError``, for another)."""
    members, session, issuer, attributes = shape
    namespace: dict[str, Any] = {
        "Unexpected": _Unexpected,
        "actor_of": actor_of,
        "is_instance_id": is_instance_id,
        "beside_actor": beside_actor,
        "as_bool": as_bool,
        "BOOL_TEXTS": _BOOL_TEXTS,
        "optional_time": optional_time,
        "nullable_obj": nullable_obj,
        "optional_str": optional_str,
    }
    lines = [
        "def build(identity, signed_in_as):",
        f"    if len(identity) != {len(members)}:",
        "        return None",
    ]
    read: dict[str, set[str]] = {"identity": set(), "session": set(), "issuer": set(), "attributes": set()}
    for container, key, name, keys in (
        ("identity", "sessionContext", "session", session),
        ("session", "sessionIssuer", "issuer", issuer),
        ("session", "attributes", "attributes", attributes),
    ):
        holder = members if container == "identity" else session
        if keys is not None:  # an object of these members (identity_shape's test, inline)
            lines += [
                f"    {name} = {container}[{key!r}]",
                f"    if {name}.__class__ is not dict or len({name}) != {len(keys)}:",
                "        return None",
            ]
            read[container].add(key)
        elif holder is not None and key in holder:  # null, as in the shape
            lines += [f"    if {container}[{key!r}] is not None:", "        return None"]
            read[container].add(key)
    for keys, container, texts in (
        (members, "identity", _IDENTITY_TEXT),
        (issuer, "issuer", _ISSUER_TEXT),
        (session, "session", _SESSION_TEXT),
    ):
        for key, name in texts:
            present = keys is not None and key in keys
            lines += _text(name, f"{container}[{key!r}]") if present else [f"    {name} = None"]
            if present:
                read[container].add(key)
    if attributes is not None and "mfaAuthenticated" in attributes:  # as_bool, "false" without its call
        lines += [
            "    mfa_authenticated = attributes['mfaAuthenticated']",
            "    if mfa_authenticated.__class__ is not bool:",
            "        text = BOOL_TEXTS.get(mfa_authenticated) if mfa_authenticated.__class__ is str else None",
            "        mfa_authenticated = text if text is not None else as_bool(mfa_authenticated)",
        ]
        read["attributes"].add("mfaAuthenticated")
    else:
        lines.append("    mfa_authenticated = None")
    if attributes is not None and "creationDate" in attributes:
        lines.append("    session_created = optional_time(attributes['creationDate'])")
        read["attributes"].add("creationDate")
    else:
        lines.append("    session_created = None")
    # The rare members, read as identity_members reads them.
    beside = []  # identity_parties' test of what beside_actor reads
    if "webIdFederationData" in members or (session is not None and "webIdFederationData" in session):
        if session is not None and "webIdFederationData" in session:  # nullable_obj, inline
            lines += [
                "    web = session['webIdFederationData']",
                "    if web.__class__ is not dict and web is not None:",
                "        raise Unexpected",
            ]
            read["session"].add("webIdFederationData")
            if "webIdFederationData" in members:
                lines += ["    if not web:", "        web = nullable_obj(identity, 'webIdFederationData')"]
        else:
            lines.append("    web = nullable_obj(identity, 'webIdFederationData')")
        lines += [
            "    if web and not identity_provider:",
            "        identity_provider = optional_str(web, 'federatedProvider')",
        ]
        beside.append("web")
    if "inScopeOf" in members:
        beside.append("True")
    if "onBehalfOf" in members:
        lines += [
            "    on_behalf_of = nullable_obj(identity, 'onBehalfOf')",
            "    behalf_user = optional_str(on_behalf_of, 'userId')",
            "    identity_store_arn = optional_str(on_behalf_of, 'identityStoreArn')",
        ]
    else:
        lines += ["    behalf_user = identity_store_arn = None"]
    # Every member read, whatever else the builder does: those no line above reads by name
    # (the names go to the namespace, not into the source: any identity's member may be one).
    for container, keys in (
        ("identity", members),
        ("session", session),
        ("issuer", issuer),
        ("attributes", attributes),
    ):
        unread = tuple(key for key in keys or () if key not in read[container])
        if unread:
            namespace[f"{container}_members"] = itemgetter(*unread)
            lines.append(f"    {container}_members({container})")
    lines.append(f"    user, related, fields = actor_of({_ACTOR_ARGUMENTS})")
    if beside:
        lines += [
            f"    if {' or '.join(beside)}:",
            "        related = beside_actor(identity, related, fields)",
        ]
    lines += [  # actor_hosts: a role session named like an instance is that instance acting
        "    if 'roles' in user:",
        "        name = user.get('name')",
        "        if name.__class__ is str and is_instance_id(name):",
        "            return user, related, fields, (name,)",
        "    return user, related, fields, ()",
    ]
    code = compile("\n".join(lines), "<cloudtrail compiled identity>", "exec")
    exec(code, namespace)  # our own source: member names from the identity tables above
    builder: IdentityBuilder = namespace["build"]
    return builder


_BOOL_TEXTS = {"true": True, "false": False}
"""``as_bool`` of the texts CloudTrail writes (``mfaAuthenticated``), found without its call."""
