"""OCSF Network Activity (4001), as Security Lake writes VPC Flow Logs -> flow log columns.

Column-wise, with ``pyarrow.compute``: each flow log field is taken from the OCSF member
Security Lake fills from it (the table in docs/sources/securitylake.md, "Network Activity"),
and the batch goes through the flow log unit's own batch builder, so an OCSF flow makes the
document its flow log line makes (``event.id`` aside: a hash of the object, the row and the
row's values as a flow line, as for a Parquet flow log).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from normalizers.vpcflow.tables import INT64_MAX, INTEGER_FIELDS

_STRING = pa.string()
_INT64 = pa.int64()

# OCSF connection_info.boundary_id -> the flow log's traffic-path (1-8): OCSF's boundaries 4-11
# are the eight paths of the flow log field, in the same order.
_TRAFFIC_PATHS = {boundary: str(boundary - 3) for boundary in range(4, 12)}
_DIRECTIONS = {1: "ingress", 2: "egress"}
"""connection_info.direction_id: 1 Inbound, 2 Outbound."""
_ACTIONS = {1: "ACCEPT", 2: "REJECT"}
"""action_id (OCSF 1.1) and disposition_id: 1 Allowed, 2 Denied/Blocked."""
_ACTIVITY_ACTIONS = {5: "REJECT", 6: "ACCEPT"}
"""activity_id when no action is given: 5 Refuse, 6 Traffic."""
_OUTBOUND = 2
_INT64_LIMIT = float(2**63)
"""Doubles at or beyond ±2**63 (and infinities) have no int64 value."""

Problems = dict[int, str]
"""Row index -> why the row is a bad record (:func:`normalizers.vpcflow.batch.emit`)."""


def member_column(batch: pa.RecordBatch, path: str) -> pa.Array | None:
    """A nested member of every row by dotted path (``src_endpoint.ip``); ``None`` when the
    schema has no such member (or only nulls' type)."""
    head, *rest = path.split(".")
    if head not in batch.schema.names:
        return None
    column = batch.column(head)
    for name in rest:
        if not pa.types.is_struct(column.type) or column.type.get_field_index(name) < 0:
            return None
        column = pc.struct_field(column, name)
    return column if not pa.types.is_null(column.type) else None


class _Members:
    """The batch's nested members by dotted path; ``None`` when absent."""

    def __init__(self, batch: pa.RecordBatch) -> None:
        self._batch = batch

    def __call__(self, path: str) -> pa.Array | None:
        return member_column(self._batch, path)

    def first(self, *paths: str) -> pa.Array | None:
        """The first non-null value of the members, row by row (OCSF versions differ)."""
        found = [column for path in paths if (column := self(path)) is not None]
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        return pc.coalesce(*[_text(column) for column in found])


def flow_columns(batch: pa.RecordBatch) -> tuple[dict[str, pa.Array], dict[str, pa.Array], Problems]:
    """``(strings, integers, problems)`` as :func:`normalizers.vpcflow.batch.emit` takes them:
    every field as text (``-`` for no value), the numeric fields as integers too, and the rows
    holding a number no flow log field can (``inf``, ``1e308``: out of range, as in a flow log)."""
    problems: Problems = {}
    get = _Members(batch)
    length = batch.num_rows
    outbound = _equal(get("connection_info.direction_id"), _OUTBOUND, length)
    fields: dict[str, pa.Array | None] = {
        "version": get("metadata.product.version"),
        "account-id": get.first("cloud.account.uid", "cloud.account_uid", "cloud.account.uuid", "accountid"),
        "interface-id": _by_direction(get, "interface_uid", outbound),
        "srcaddr": get("src_endpoint.ip"),
        "dstaddr": get("dst_endpoint.ip"),
        "srcport": get("src_endpoint.port"),
        "dstport": get("dst_endpoint.port"),
        "protocol": get("connection_info.protocol_num"),
        "packets": get("traffic.packets"),
        "bytes": get("traffic.bytes"),
        "start": _seconds(get, ("start_time_dt", "start_time", "time_dt", "time"), "start", problems),
        "end": _seconds(get, ("end_time_dt", "end_time"), "end", problems),
        "action": _action(get, length),
        "log-status": get("status_code"),
        "vpc-id": _by_direction(get, "vpc_uid", outbound),
        "subnet-id": _by_direction(get, "subnet_uid", outbound),
        "instance-id": _by_direction(get, "instance_uid", outbound),
        "tcp-flags": get("connection_info.tcp_flags"),
        "type": get("connection_info.protocol_ver"),
        "pkt-srcaddr": _first_item(get("src_endpoint.intermediate_ips")),
        "pkt-dstaddr": _first_item(get("dst_endpoint.intermediate_ips")),
        "region": get.first("cloud.region", "region"),
        "az-id": get("cloud.zone"),
        "pkt-src-aws-service": get("src_endpoint.svc_name"),
        "pkt-dst-aws-service": get("dst_endpoint.svc_name"),
        "flow-direction": _lookup(get("connection_info.direction_id"), _DIRECTIONS),
        "traffic-path": _lookup(get("connection_info.boundary_id"), _TRAFFIC_PATHS),
    }
    _require_account(fields["account-id"], length, problems)
    strings: dict[str, pa.Array] = {}
    integers: dict[str, pa.Array] = {}
    for name, column in fields.items():
        if column is None:
            continue
        if name in INTEGER_FIELDS and _is_number(column.type):
            integers[name] = _integers(column, name, problems)
            strings[name] = pc.fill_null(integers[name].cast(_STRING), "-")
        else:
            strings[name] = pc.fill_null(_text(column), "-")
    return strings, integers, problems


def _require_account(column: pa.Array | None, length: int, problems: Problems) -> None:
    """Security Lake always writes the flow's account (``cloud.account.uid``, the ``accountid``
    partition): a row without one cannot be told apart from any other account's, nor counted
    in its account's posture, so it is a bad record (as a CloudTrail record without
    ``awsRegion`` is), not a document without ``cloud.account.id``."""
    reason = "missing field: cloud.account.id"
    if column is None:
        for index in range(length):
            problems.setdefault(index, reason)
        return
    text = _text(column)
    missing = pc.fill_null(pc.or_(pc.is_null(text), pc.equal(pc.utf8_trim_whitespace(text), "")), True)
    if pc.any(missing).as_py():
        for index in pc.indices_nonzero(missing).to_pylist():
            problems.setdefault(index, reason)


def _text(column: pa.Array) -> pa.Array:
    if _is_number(column.type):
        column = _integers(column) if pa.types.is_floating(column.type) else column
    return column.cast(_STRING)


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind)


def _integers(column: pa.Array, name: str | None = None, problems: Problems | None = None) -> pa.Array:
    """A numeric column as int64 (Security Lake writes some as doubles); a float that is not a
    whole number (or NaN) is no flow log value, and becomes null (left out, as a ``-`` is).
    A number beyond int64 (an infinity, ``1e308``, a ``uint64`` past 2**63 - 1) becomes null
    too, never a wrapped value, and makes its row a bad record when ``problems`` is given (the
    field ``name`` out of range, as a flow log's too large number is)."""
    given = column
    if pa.types.is_integer(column.type):
        if column.type != pa.uint64():
            return column.cast(_INT64)
        beyond = pc.greater(column, pa.scalar(INT64_MAX, pa.uint64()))
    else:
        beyond = pc.greater_equal(pc.abs(column), _INT64_LIMIT)  # infinities included; NaN: null
        whole = pc.equal(pc.floor(column), column)
        column = pc.if_else(pc.and_(whole, pc.invert(beyond)), column, pa.scalar(None, column.type))
    if pc.any(beyond).as_py():
        if problems is not None:
            reason = _OUT_OF_RANGE.get(name or "", "invalid record: {name} {value} out of range")
            for index in pc.indices_nonzero(pc.fill_null(beyond, False)).to_pylist():
                problems.setdefault(index, reason.format(name=name, value=given[index].as_py()))
        column = pc.if_else(beyond, pa.scalar(None, column.type), column)
    return column.cast(_INT64)


_OUT_OF_RANGE = {"start": "unparseable timestamp: start {value!r}"}
"""The reason of a value beyond int64, where the flow log unit gives another (its ``start``)."""


def _seconds(get: _Members, paths: Sequence[str], name: str, problems: Problems) -> pa.Array | None:
    """OCSF times (epoch ms, or timestamps) -> the flow log's epoch seconds, first of ``paths``;
    a time beyond int64, or before 1970, makes its row bad unless another of ``paths`` gives
    the time."""
    found = []
    beyond: Problems = {}
    for path in paths:
        column = get(path)
        if column is None:
            continue
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("ms", tz="UTC")).cast(_INT64)
        elif _is_number(column.type):
            column = _integers(column, name, beyond)
        else:
            continue
        found.append(pc.divide(_before_1970_null(column, name, beyond), 1000))  # whole ms: exact
    if not found:
        return None
    seconds = pc.coalesce(*found)
    for index, reason in beyond.items():
        if not seconds[index].is_valid:
            problems.setdefault(index, reason)
    return seconds


def _before_1970_null(millis: pa.Array, name: str, problems: Problems) -> pa.Array:
    """A negative epoch time is no time (as every epoch time of normalizers/ecs/timestamps.py):
    null, its row's reason said, never truncated towards zero (-500 ms is not 1970-01-01)."""
    negative = pc.fill_null(pc.less(millis, 0), False)
    if not pc.any(negative).as_py():
        return millis
    reason = _OUT_OF_RANGE.get(name, "invalid record: {name} {value} out of range")
    for index in pc.indices_nonzero(negative).to_pylist():
        problems.setdefault(index, reason.format(name=name, value=millis[index].as_py()))
    return pc.if_else(negative, pa.scalar(None, _INT64), millis)


def _by_direction(get: _Members, name: str, outbound: pa.Array) -> pa.Array | None:
    """The interface's member: the source endpoint's for outbound traffic, the destination's
    otherwise (each falling back on the other)."""
    source, destination = get(f"src_endpoint.{name}"), get(f"dst_endpoint.{name}")
    if source is None or destination is None:
        return source if destination is None else destination
    return pc.if_else(outbound, pc.coalesce(source, destination), pc.coalesce(destination, source))


def _equal(column: pa.Array | None, value: int, length: int) -> pa.Array:
    if column is None:
        return pa.array([False] * length)
    return pc.fill_null(pc.equal(column, value), False)


def _lookup(column: pa.Array | None, table: dict[int, str]) -> pa.Array | None:
    if column is None:
        return None
    keys = pa.array(list(table), column.type)
    index = pc.index_in(column, value_set=keys)
    return pc.take(pa.array(list(table.values()), _STRING), index)


def _action(get: _Members, length: int) -> pa.Array | None:
    """ACCEPT/REJECT from ``action_id`` (1.1), else ``disposition_id``, else the activity."""
    candidates = [
        _lookup(get("action_id"), _ACTIONS),
        _lookup(get("disposition_id"), _ACTIONS),
        _lookup(get("activity_id"), _ACTIVITY_ACTIONS),
    ]
    found = [column for column in candidates if column is not None]
    if not found:
        return None
    action = pc.coalesce(*found)
    # No traffic (log-status NODATA/SKIPDATA): no action, as the flow log writes "-".
    status = get("status_code")
    if status is not None:
        quiet = pc.fill_null(pc.is_in(_text(status), value_set=pa.array(["NODATA", "SKIPDATA"])), False)
        action = pc.if_else(quiet, pa.scalar(None, _STRING), action)
    return action if action.null_count < length else None


def _first_item(column: pa.Array | None) -> pa.Array | None:
    """The first address of ``intermediate_ips`` (the packet's address behind the interface)."""
    if column is None or not pa.types.is_list(column.type):
        return None
    return pa.array([items[0] if items else None for items in column.to_pylist()], _STRING)
