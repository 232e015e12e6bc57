"""Document builders compiled per record shape: the generic mapping without its probing.

:func:`~normalizers.cloudtrail.mapping.build_document` asks every record for every member it
might have (some thirty ``dict.get`` calls, loops over the field tables, a call per block),
though the records of a file come in a few shapes: the same members, in the same order, call
after call. So the members a record has (``tuple(record)``, its *shape*) select a function
generated once for that shape, which reads only those members and writes the same document
in the same order, through the same helpers for anything beyond a plain copy.

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

from collections.abc import Callable
from typing import Any

from normalizers.base import Document, Origin
from normalizers.cloudtrail import mapping
from normalizers.cloudtrail.actor import ActorCache
from normalizers.cloudtrail.tables import BOOL_FIELDS, TEXT_FIELDS
from normalizers.ecs.values import as_bool, flat

Builder = Callable[[dict[str, Any], bytes, Origin, ActorCache], Document]
Shape = tuple[str, ...]

MAX_KEYS = 64
"""CloudTrail records have about 20 members; more is not a shape worth compiling."""
MAX_SHAPES = 256
COMPILES_PER_OBJECT = 32

REQUIRED = ("eventName", "eventSource", "eventTime")
"""A shape without one of these is a dead letter or an exception (``insightDetails``,
an EventBridge envelope's time): left to the generic path."""

_BUILDERS: dict[Shape, Builder | None] = {}
"""Every process's builders by shape (``None``: a shape left to the generic path)."""


class CompiledBuilders:
    """One object's view of the compiled builders, with its compilation budget."""

    def __init__(self) -> None:
        self._budget = COMPILES_PER_OBJECT

    def build(self, record: dict[str, Any], raw: bytes, origin: Origin, actors: ActorCache) -> Document:
        """What ``build_document(record, raw, None, origin, actors)`` returns, or raises."""
        builder = self._builder(record)
        if builder is not None:
            try:
                return builder(record, raw, origin, actors)
            except Exception:  # the generic path below says why, or maps it
                pass
        return mapping.build_document(record, raw, None, origin, actors)

    def _builder(self, record: dict[str, Any]) -> Builder | None:
        if len(record) > MAX_KEYS:
            return None
        shape = tuple(record)
        try:
            return _BUILDERS[shape]
        except KeyError:
            pass
        if self._budget <= 0:
            return None
        self._budget -= 1
        if len(_BUILDERS) >= MAX_SHAPES:
            _BUILDERS.clear()
        builder = _BUILDERS[shape] = compile_builder(shape)
        return builder


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
        "categorize": mapping.categorize,
        "outcome": mapping._outcome,
        "event_id_of": mapping._event_id,
        "optional_str": mapping.optional_str,
        "add_additional": mapping.add_additional,
        "add_block": mapping.add_block,
        "add_renamed": mapping.add_renamed,
        "add_resources": mapping.add_resources,
        "add_parties": mapping.add_parties,
        "DATASET": mapping.SPEC.dataset,
    }
    source = "\n".join(_source(present, namespace))
    exec(
        compile(source, "<cloudtrail compiled builder>", "exec"), namespace
    )  # our own source, from the tables
    builder: Builder = namespace["build"]
    return builder


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
        "    moment = timestamp(record['eventTime'])",
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
            lines += [
                f"    value = {member(key)}",
                "    if value.__class__ is str:",
                "        if value:",
                f"            trail[{field!r}] = value",
                "    elif value is not None:",
                "        raise Unexpected",
            ]
    for key, field in BOOL_FIELDS:
        if key in present:
            lines += [
                f"    value = {member(key)}",
                "    if value.__class__ is not bool and value is not None:",
                "        value = as_bool(value)",
                "    if value is not None:",
                f"        trail[{field!r}] = value",
            ]
    lines += [
        "    if request is not None:",
        "        trail['request_parameters'] = request",
        "    if response is not None:",
        "        trail['response_elements'] = response",
    ]
    if "additionalEventData" in present:
        lines += [
            "    if record['additionalEventData'] is not None:",
            "        add_additional(record, trail, provider)",
        ]
    for key, field in mapping.BLOCKS:
        if key in present:
            lines += [
                f"    if {member(key)} is not None:",
                f"        add_block(record, trail, {key!r}, {field!r})",
            ]
    for index, (key, field, names) in enumerate(mapping.RENAMED_BLOCKS):
        if key in present:
            namespace[f"NAMES_{index}"] = names
            lines += [
                f"    if {member(key)} is not None:",
                f"        add_renamed(record, trail, {key!r}, {field!r}, NAMES_{index})",
            ]
    if "resources" in present:
        lines += ["    if record['resources'] is not None:", "        add_resources(record, trail)"]
    # event.*, as mapping._event writes it
    if present.isdisjoint(("errorCode", "responseElements", "serviceEventDetails")):
        lines.append("    result = 'success'")  # nothing that can say failure
    else:
        lines.append(
            "    result = outcome(action, None, trail.get('error_code'), response,"
            " trail.get('service_event_details'))"
        )
    if "eventID" in present:
        lines += [
            "    event_id = record['eventID']",
            "    if event_id.__class__ is not str or not event_id:",
            "        event_id = event_id_of(record, None)",
        ]
    else:
        lines.append("    event_id = event_id_of(record, None)")
    lines += [
        "    categories, types = categorize(action, provider, trail.get('event_type'),"
        " trail.get('read_only'), False)",
        "    event = {'kind': 'event', 'category': list(categories), 'type': list(types),"
        " 'action': action, 'outcome': result, 'id': event_id, 'dataset': DATASET,"
        " 'module': 'aws', 'provider': provider, 'ingested': origin.ingested}",
        "    if origin.keep_original:",
        "        event['original'] = raw.decode('utf-8')",
    ]
    # cloud.*, as mapping._cloud writes it
    account = "optional_str(identity, 'accountId')"
    if "recipientAccountId" in present:
        account = f"optional_str(record, 'recipientAccountId') or {account}"
    lines += ["    cloud = {'provider': 'aws'}", f"    account = {account}"]
    lines += ["    if account:", "        cloud['account'] = {'id': account}"]
    if "awsRegion" in present:
        lines += [
            "    region = optional_str(record, 'awsRegion')",
            "    if region:",
            "        cloud['region'] = region",
        ]
    lines += [
        "    document = {'@timestamp': moment, 'event': event, 'cloud': cloud, 'aws': {'cloudtrail': trail}}",
        "    related = add_parties(document, record, identity, trail, provider, action, actors)",
        "    if related:",
        "        document['related'] = related",
        "    return document",
    ]
    return lines
