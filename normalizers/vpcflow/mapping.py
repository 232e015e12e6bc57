"""The fields of a batch's documents, column by column (docs/sources/vpcflow.md, "Field mapping")."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from normalizers.base import Origin
from normalizers.ecs.timestamps import epoch_millis
from normalizers.vpcflow.arrow import pylist, translated
from normalizers.vpcflow.columns import (
    ip_addresses,
    mapped,
    native_integers,
    native_start,
    no_account_to_null,
    placeholders_to_null,
    text_integers,
    text_start,
)
from normalizers.vpcflow.tables import (
    ADDRESS_FIELDS,
    AWS_INTEGERS,
    DIRECTIONS,
    ECS_ONLY,
    NUMERIC_LIMITS,
    TCP_FLAG_BITS,
    TRANSPORTS,
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
    if "account-id" in text:
        text["account-id"] = no_account_to_null(text["account-id"])
    ips: dict[str, pa.Array] = {name: ip_addresses(text[name]) for name in ADDRESS_FIELDS if name in text}
    source_ip, interface_source = _packet_address(ips.get("srcaddr"), ips.get("pkt-srcaddr"))
    destination_ip, interface_destination = _packet_address(ips.get("dstaddr"), ips.get("pkt-dstaddr"))
    # Rows without a valid start are bad rows: they never become documents, so "dense".
    timestamps = translated(start, _epoch_millis)
    # What the index template answers for (normalizers/vpcflow/fields.py, "Document size" in
    # docs/sources/vpcflow.md) is in no document: aliases (``event.start`` = ``@timestamp``...),
    # the index's constants (``event.kind``...), ``related.*`` (``copy_to`` from the addresses
    # and the instance); nor is what ``event.action`` and the times already say.
    return [
        Field("@timestamp", "column", timestamps),
        *_event_fields(text.get("action"), numbers.get("end"), provider, origin),
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
                ("ip", source_ip),
                ("port", numbers.get("srcport")),
                ("bytes", numbers.get("bytes")),
                ("packets", numbers.get("packets")),
            ],
        ),
        *_arrow_fields(
            "destination",
            [
                ("address", _not_an_ip(text.get("dstaddr"), ips.get("dstaddr"))),
                ("ip", destination_ip),
                ("port", numbers.get("dstport")),
            ],
        ),
        *_arrow_fields("network", _network(text, numbers)),
        *_arrow_fields(
            "aws.vpcflow",
            [
                *_aws_fields(text, numbers),
                ("srcaddr", interface_source),
                ("dstaddr", interface_destination),
            ],
        ),
        *_tcp_flag_fields(numbers.get("tcp-flags")),
    ]


def _arrow_fields(prefix: str, pairs: Iterable[tuple[str, pa.Array | None]]) -> list[Field]:
    return [
        Field(f"{prefix}.{key}", "column", pylist(column), dense=not column.null_count)
        for key, column in pairs
        if column is not None and column.null_count < len(column)
    ]


def _event_fields(
    action: pa.Array | None, end: pa.Array | None, provider: str, origin: Origin
) -> list[Field]:
    fields = [
        Field("event.provider", "scalar", provider),
        # Epoch milliseconds, 13 digits instead of 24 characters of text: searched and sorted
        # on (the detection windows), never read from ``_source``.
        Field("event.ingested", "scalar", _ingested(origin.ingested)),
        Field("event.id", "arg"),
        *_arrow_fields("event", [("action", action)]),
    ]
    if end is not None:
        fields.append(Field("event.end", "column", translated(end, _epoch_millis), dense=not end.null_count))
    return fields


def _tcp_flag_fields(flags: pa.Array | None) -> list[Field]:
    if flags is None or flags.null_count == len(flags):
        return []
    names = translated(flags, _tcp_flag_names)
    return [Field("aws.vpcflow.tcp_flags_array", "list", names, dense=None not in names)]


def _ingested(moment: str) -> int | str:
    """The loader's RFC 3339 stamp in epoch milliseconds; any other text as it is."""
    try:
        return epoch_millis(moment)
    except ValueError:
        return moment


@lru_cache(maxsize=1 << 16)
def _epoch_millis(seconds: int | None) -> int | None:
    # Epoch milliseconds, 13 digits instead of 22 characters of RFC 3339 text: a ``date``
    # field's default format takes both. Cached: one file's records share a few hundred
    # distinct seconds, and equal values then share one int.
    return None if seconds is None else seconds * 1000


def _network(text: dict[str, pa.Array], numbers: dict[str, pa.Array]) -> list[tuple[str, pa.Array | None]]:
    protocol = numbers.get("protocol")
    direction = text.get("flow-direction")
    transport = mapped(protocol, TRANSPORTS.get, pa.string()) if protocol is not None else None
    return [
        ("iana_number", _unnamed_protocol(protocol, transport)),
        ("transport", transport),
        ("direction", mapped(direction, _network_direction, pa.string()) if direction is not None else None),
    ]


def _unnamed_protocol(protocol: pa.Array | None, transport: pa.Array | None) -> pa.Array | None:
    """The protocol number only where no ``network.transport`` names it: ``iana_number: "6"``
    would restate ``transport: "tcp"`` (docs/sources/vpcflow.md, "Document size")."""
    if protocol is None or transport is None:
        return None
    return pc.if_else(pc.is_null(transport), protocol.cast(pa.string()), pa.scalar(None, pa.string()))


def _not_an_ip(written: pa.Array | None, ip: pa.Array | None) -> pa.Array | None:
    """The address as written where it is not a valid IP (docs/schema.md, "Addresses")."""
    if written is None or ip is None:
        return written
    return pc.if_else(pc.is_valid(ip), pa.scalar(None, pa.string()), written)


def _packet_address(
    interface: pa.Array | None, packet: pa.Array | None
) -> tuple[pa.Array | None, pa.Array | None]:
    """``(source.ip, aws.vpcflow.srcaddr)`` (or the destination's) of ``srcaddr`` and
    ``pkt-srcaddr``, both already valid addresses or null.

    ``srcaddr`` is the interface's address, which for traffic through an intermediate layer
    (a NAT gateway's, a transit gateway's interface, a pod behind its node's, a secondary
    address) is not the packet's; ``pkt-srcaddr`` is "the packet-level (original) source IP
    address" (flow-logs.md, "Available fields"; "Traffic through a NAT gateway"). The packet's
    is the flow's address, the one an analyst searches; the interface's is kept where it
    differs.
    """
    if packet is None or packet.null_count == len(packet):
        return interface, None
    if interface is None:
        return packet, None
    has_packet = pc.is_valid(packet)
    differs = pc.fill_null(pc.and_(has_packet, pc.not_equal(packet, interface)), False)
    return (
        pc.if_else(has_packet, packet, interface),
        pc.if_else(differs, interface, pa.scalar(None, pa.string())),
    )


def _network_direction(value: str | None) -> str:
    return DIRECTIONS.get(value or "", "unknown")


def _aws_fields(text: dict[str, pa.Array], numbers: dict[str, pa.Array]) -> list[tuple[str, pa.Array | None]]:
    """Every field without an ECS-only home, under ``aws.vpcflow.<name with underscores>``."""
    fields: list[tuple[str, pa.Array | None]] = []
    for name in [*text, *numbers]:
        if name in ECS_ONLY or name == "action":  # ``aws.vpcflow.action``: an alias of ``event.action``
            continue
        key = name.replace("-", "_")
        if name in AWS_INTEGERS:
            fields.append((key, numbers[name]))
        elif name in numbers:  # codes (tcp-flags, traffic-path) are keywords, as in Elastic
            fields.append((key, numbers[name].cast(pa.string())))
        else:
            fields.append((key, text[name]))
    return fields


def _tcp_flag_names(flags: int | None) -> tuple[str, ...] | None:
    if flags is None:
        return None
    return tuple(name for bit, name in TCP_FLAG_BITS if flags & bit) or None
