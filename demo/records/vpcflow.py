"""VPC Flow Logs records and files as delivered to S3: gzip text with a header line, or Parquet.

Field names, versions and Parquet types follow ``shared/reference/aws-docs/vpc/flow-logs.md``;
records follow ``flow-logs-records-examples.md``; file names and prefixes follow
``flow-logs-s3.md``. A record is a mapping from field name (``srcaddr``) to value: build it
with :func:`flow` or :func:`nodata`, write it with :func:`text_line` (any field order) or
:func:`parquet_body`. Values are made up: the docs' example account, RFC 5737 addresses.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from demo.ids import compact

Flow = Mapping[str, object]
"""One flow record keyed by field name (``srcaddr``); a missing field is written as ``-``."""

DEFAULT_FIELDS: tuple[str, ...] = (
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
)

ALL_V5_FIELDS: tuple[str, ...] = (
    *DEFAULT_FIELDS,
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
)
"""Every field up to version 5, in the documentation's order."""

# A custom version-5 format in an order of our own (bytes before packets, instance and
# addresses first): readers must follow the header, never assume the default order.
CUSTOM_V5_FIELDS: tuple[str, ...] = (
    "version",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "interface-id",
    "account-id",
    "type",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "protocol",
    "bytes",
    "packets",
    "start",
    "end",
    "action",
    "tcp-flags",
    "log-status",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
)

_INT32 = {"version", "srcport", "dstport", "protocol", "tcp-flags", "traffic-path"}
_INT64 = {"packets", "bytes", "start", "end"}


def field_version(fields: Iterable[str]) -> int:
    """The ``version`` AWS writes for a format: the highest version among its fields."""
    v3 = {"vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr"}
    v4 = {"region", "az-id", "sublocation-type", "sublocation-id"}
    v5 = {"pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path"}
    names = set(fields)
    return 5 if names & v5 else 4 if names & v4 else 3 if names & v3 else 2


EXAMPLE_ACCOUNT = "123456789010"
"""The account of the documentation's example records."""
EXAMPLE_INTERFACE = "eni-1235b8ca123456789"
EXAMPLE_START = 1_418_530_010


def flow(
    *,
    src: str = "172.31.16.139",
    dst: str = "172.31.16.21",
    src_port: int = 20641,
    dst_port: int = 22,
    protocol: int = 6,
    packets: int = 20,
    byte_count: int = 4249,
    start: int = EXAMPLE_START,
    end: int | None = None,
    action: str = "ACCEPT",
    account: str = EXAMPLE_ACCOUNT,
    interface: str = EXAMPLE_INTERFACE,
    version: int = 2,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """One flow with traffic (``log-status`` OK); ``end`` defaults to a minute after ``start``.

    ``extra`` adds (or overrides) fields by their documented names: ``{"tcp-flags": 2}``.
    Times are Unix seconds, as the text format writes them.
    """
    record: dict[str, object] = {
        "version": version,
        "account-id": account,
        "interface-id": interface,
        "srcaddr": src,
        "dstaddr": dst,
        "srcport": src_port,
        "dstport": dst_port,
        "protocol": protocol,
        "packets": packets,
        "bytes": byte_count,
        "start": start,
        "end": start + 60 if end is None else end,
        "action": action,
        "log-status": "OK",
    }
    record.update(extra or {})
    return record


def nodata(
    *,
    start: int = EXAMPLE_START,
    end: int | None = None,
    account: str = EXAMPLE_ACCOUNT,
    interface: str = EXAMPLE_INTERFACE,
    version: int = 2,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """An interface with no traffic in the window: every traffic field is ``-``."""
    record: dict[str, object] = {
        "version": version,
        "account-id": account,
        "interface-id": interface,
        "start": start,
        "end": start + 60 if end is None else end,
        "log-status": "NODATA",
    }
    record.update(extra or {})
    return record


def text_line(flow: Flow, fields: Sequence[str] = DEFAULT_FIELDS) -> str:
    """The record as one text line of a file whose header is ``fields``; no value is ``-``."""
    return " ".join(_text(flow.get(name)) for name in fields)


def _text(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def text_body(lines: Iterable[str | bytes], fields: Sequence[str] = DEFAULT_FIELDS) -> bytes:
    """The uncompressed text file: the header, then one record per line.

    A line given as bytes is written as is, so a corrupt record can be planted.
    """
    out = io.BytesIO()
    out.write(" ".join(fields).encode("utf-8") + b"\n")
    for line in lines:
        out.write(line if isinstance(line, bytes) else line.encode("utf-8"))
        out.write(b"\n")
    return out.getvalue()


def parquet_schema(fields: Sequence[str]) -> pa.Schema:
    """Columns named with underscores (``account_id``), typed as the documentation lists."""

    def arrow_type(name: str) -> pa.DataType:
        return pa.int32() if name in _INT32 else pa.int64() if name in _INT64 else pa.string()

    return pa.schema([(name.replace("-", "_"), arrow_type(name)) for name in fields])


def parquet_body(flows: Sequence[Flow], fields: Sequence[str] = DEFAULT_FIELDS) -> bytes:
    """A Parquet file with Gzip-compressed columns; ``-`` (no value) becomes null."""
    columns = {name: [_column_value(flow.get(name)) for flow in flows] for name in fields}
    return parquet_from_columns(columns, fields)


def parquet_from_columns(
    columns: Mapping[str, Sequence[object]], fields: Sequence[str] = DEFAULT_FIELDS, level: int | None = None
) -> bytes:
    """The same file from whole columns (``None`` = no value): the fast path for volume data.

    ``level`` is the Gzip level (pyarrow's default when ``None``; 1 is ten times faster).
    """
    schema = parquet_schema(fields)
    arrays = [pa.array(columns[name], type=schema.field(index).type) for index, name in enumerate(fields)]
    table = pa.Table.from_arrays(arrays, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="gzip", compression_level=level)
    return sink.getvalue()


def _column_value(value: object) -> object:
    return None if value in (None, "", "-") else value


def log_key(
    account: str, region: str, flow_log_id: str, window: datetime, digest: str, parquet: bool = False
) -> str:
    """``AWSLogs/<acct>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/<acct>_vpcflowlogs_<region>_<fl>_<ts>_<hash>.log.gz``."""
    suffix = "log.parquet" if parquet else "log.gz"
    return (
        f"AWSLogs/{account}/vpcflowlogs/{region}/{window:%Y/%m/%d}/"
        f"{account}_vpcflowlogs_{region}_{flow_log_id}_{compact(window)}_{digest}.{suffix}"
    )
