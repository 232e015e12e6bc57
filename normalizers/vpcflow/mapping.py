"""The fields of a batch's documents, column by column (docs/sources/vpcflow.md, "Field mapping")."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from normalizers.base import Origin
from normalizers.ecs.timestamps import epoch_timestamp
from normalizers.vpcflow.arrow import pylist, translated
from normalizers.vpcflow.columns import (
    durations,
    ip_addresses,
    mapped,
    native_integers,
    native_start,
    placeholders_to_null,
    text_integers,
    text_start,
)
from normalizers.vpcflow.tables import (
    ADDRESS_FIELDS,
    AWS_INTEGERS,
    CONNECTION,
    DIRECTIONS,
    ECS_ONLY,
    NETWORK_TYPES,
    NUMERIC_LIMITS,
    OUTCOMES,
    TCP_FLAG_BITS,
    TRANSPORTS,
    TYPES,
)
from normalizers.vpcflow.template import Field


def batch_fields(
    strings: dict[str, pa.Array],
    problems: dict[int, str],
    length: int,
    provider: str,
    origin: Origin,
    integers: dict[str, pa.Array],
) -> list[Field]:
    """Convert the columns of a batch, noting the rows that cannot be documents.

    ``integers`` holds the numeric fields that Parquet gave as integer columns: they are
    checked as numbers; the others are parsed from their text.
    """
    start = (
        native_start(integers["start"], problems)
        if "start" in integers
        else text_start(strings.get("start"), problems, length)
    )
    numbers = {
        name: native_integers(name, integers[name], problems)
        if name in integers
        else text_integers(name, strings[name], problems)
        for name in NUMERIC_LIMITS
        if name in strings
    }
    text = {
        name: placeholders_to_null(column)
        for name, column in strings.items()
        if name not in numbers and name != "start"
    }
    ips: dict[str, pa.Array] = {name: ip_addresses(text[name]) for name in ADDRESS_FIELDS if name in text}
    # Rows without a valid start are bad rows: they never become documents, so "dense".
    timestamps = translated(start, _epoch_text)
    # ``event.start`` (= ``@timestamp``), ``network.bytes``/``packets`` (= ``source.*``) and
    # ``aws.vpcflow.action`` (= ``event.action``) are aliases in the index template, and the
    # constants of the index (``event.kind``...) are ``constant_keyword`` fields
    # (normalizers/vpcflow/fields.py): no document carries them.
    return [
        Field("@timestamp", "column", timestamps),
        *_event_fields(text.get("action"), numbers.get("end"), start, provider, origin),
        *_arrow_fields(
            "cloud",
            [
                ("account.id", text.get("account-id")),
                ("region", text.get("region")),
                ("instance.id", text.get("instance-id")),
            ],
        ),
        *_arrow_fields(
            "source",
            [
                ("address", _not_an_ip(text.get("srcaddr"), ips.get("srcaddr"))),
                ("ip", ips.get("srcaddr")),
                ("port", numbers.get("srcport")),
                ("bytes", numbers.get("bytes")),
                ("packets", numbers.get("packets")),
            ],
        ),
        *_arrow_fields(
            "destination",
            [
                ("address", _not_an_ip(text.get("dstaddr"), ips.get("dstaddr"))),
                ("ip", ips.get("dstaddr")),
                ("port", numbers.get("dstport")),
            ],
        ),
        *_arrow_fields("network", _network(text, ips, numbers)),
        *_related_fields(ips, text.get("instance-id")),
        *_arrow_fields("aws.vpcflow", _aws_fields(text, numbers, ips)),
        *_tcp_flag_fields(numbers.get("tcp-flags")),
    ]


def _arrow_fields(prefix: str, pairs: Iterable[tuple[str, pa.Array | None]]) -> list[Field]:
    return [
        Field(f"{prefix}.{key}", "column", pylist(column), dense=not column.null_count)
        for key, column in pairs
        if column is not None and column.null_count < len(column)
    ]


def _event_fields(
    action: pa.Array | None, end: pa.Array | None, start: pa.Array, provider: str, origin: Origin
) -> list[Field]:
    fields = [
        # Constant too, but kept: alert summaries and the investigation tell a flow by the
        # ``event.dataset`` of the ``_source`` they read (a constant_keyword is not in it).
        Field("event.dataset", "const", "aws.vpcflow"),
        Field("event.provider", "scalar", provider),
        Field("event.ingested", "scalar", origin.ingested),
        Field("event.id", "arg"),
    ]
    if action is None:
        fields += [Field("event.type", "const", CONNECTION), Field("event.outcome", "const", "unknown")]
    else:
        fields += [
            Field("event.type", "list", translated(action, lambda verb: TYPES.get(verb, CONNECTION))),
            Field("event.outcome", "column", translated(action, lambda verb: OUTCOMES.get(verb, "unknown"))),
            *_arrow_fields("event", [("action", action)]),
        ]
    if end is not None:
        fields += [
            Field("event.end", "column", translated(end, _epoch_text), dense=not end.null_count),
            *_arrow_fields("event", [("duration", durations(start, end))]),
        ]
    return fields


def _related_fields(ips: dict[str, pa.Array], instance: pa.Array | None) -> list[Field]:
    fields = []
    if ips:
        addresses = _distinct_ips([pylist(ips[name]) for name in ADDRESS_FIELDS if name in ips])
        fields.append(Field("related.ip", "column", addresses, dense=None not in addresses))
    if instance is not None and instance.null_count < len(instance):
        fields.append(Field("related.hosts", "wrap", pylist(instance), dense=not instance.null_count))
    return fields


def _tcp_flag_fields(flags: pa.Array | None) -> list[Field]:
    if flags is None or flags.null_count == len(flags):
        return []
    names = translated(flags, _tcp_flag_names)
    return [Field("aws.vpcflow.tcp_flags_array", "list", names, dense=None not in names)]


@lru_cache(maxsize=1 << 16)
def _epoch_text(seconds: int | None) -> str | None:
    # Cached: the records of one file share a few hundred distinct seconds.
    return None if seconds is None else epoch_timestamp(seconds)


def _network(
    text: dict[str, pa.Array], ips: dict[str, pa.Array], numbers: dict[str, pa.Array]
) -> list[tuple[str, pa.Array | None]]:
    protocol = numbers.get("protocol")
    direction = text.get("flow-direction")
    return [
        ("iana_number", protocol.cast(pa.string()) if protocol is not None else None),
        ("transport", mapped(protocol, TRANSPORTS.get, pa.string()) if protocol is not None else None),
        ("type", _network_type(text, ips)),
        ("direction", mapped(direction, _network_direction, pa.string()) if direction is not None else None),
    ]


def _not_an_ip(written: pa.Array | None, ip: pa.Array | None) -> pa.Array | None:
    """The address as written where it is not a valid IP (docs/schema.md, "Addresses")."""
    if written is None or ip is None:
        return written
    return pc.if_else(pc.is_valid(ip), pa.scalar(None, pa.string()), written)


def _network_direction(value: str | None) -> str:
    return DIRECTIONS.get(value or "", "unknown")


def _network_type(text: dict[str, pa.Array], ips: dict[str, pa.Array]) -> pa.Array | None:
    """From the ``type`` field; where it is absent, from the family of the first valid address.

    ``EFA`` traffic (Elastic Fabric Adapter) has no ECS network type: it is left out.
    """
    known = [ips[name] for name in ADDRESS_FIELDS if name in ips]
    family = None
    if known:
        address = pc.coalesce(*known)
        family = pc.if_else(pc.match_substring(address, ":"), "ipv6", "ipv4")
    if "type" not in text:
        return family
    declared = mapped(text["type"], NETWORK_TYPES.get, pa.string())
    if family is None:
        return declared
    return pc.if_else(pc.is_null(text["type"]), family, declared)


def _aws_fields(
    text: dict[str, pa.Array], numbers: dict[str, pa.Array], ips: dict[str, pa.Array]
) -> list[tuple[str, pa.Array | None]]:
    """Every field without an ECS-only home, under ``aws.vpcflow.<name with underscores>``."""
    fields: list[tuple[str, pa.Array | None]] = []
    for name in [*text, *numbers]:
        if name in ECS_ONLY or name == "action":  # ``aws.vpcflow.action``: an alias of ``event.action``
            continue
        key = name.replace("-", "_")
        if name in ips:  # ip-typed: only a valid address (canonical form) is kept
            fields.append((key, ips[name]))
        elif name in AWS_INTEGERS:
            fields.append((key, numbers[name]))
        elif name in numbers:  # codes (tcp-flags, traffic-path) are keywords, as in Elastic
            fields.append((key, numbers[name].cast(pa.string())))
        else:
            fields.append((key, text[name]))
    return fields


def _distinct_ips(columns: list[list[Any]]) -> list[Any]:
    """The valid addresses of each row, each once, in field order (``None`` when there is none)."""
    if len(columns) == 2:  # the default format: a fast path for the common case
        return [
            ([a, b] if a != b else [a])
            if a is not None and b is not None
            else ([a] if a is not None else [b] if b is not None else None)
            for a, b in zip(*columns, strict=True)
        ]
    return [list(dict.fromkeys(filter(None, row))) or None for row in zip(*columns, strict=True)]


def _tcp_flag_names(flags: int | None) -> tuple[str, ...] | None:
    if flags is None:
        return None
    return tuple(name for bit, name in TCP_FLAG_BITS if flags & bit) or None
