"""The delivery paths' containers for the fuzz harness: records of the sources as CloudWatch Logs
subscription payloads carry them, and OCSF rows as Amazon Security Lake writes them (Parquet).

- CloudWatch Logs (``../shared/reference/aws-docs/cloudwatch-logs/subscription-payload.md``):
  each log event's ``message`` is one CloudTrail record (JSON text) or one flow line without its
  header; CloudWatch Logs gzips each payload, Firehose concatenates them with no separator (or,
  with Firehose's decompression on, writes the JSON payloads one a line). A ``CONTROL_MESSAGE``
  payload (no log data) comes first. Flow lines of a format other than the default one come from
  a log group whose format is configured (:func:`flow_formats`, ``VPC_FLOW_FORMATS``).
- Security Lake: a seed is one OCSF row of a golden case (``tests/golden/securitylake/``), kept as
  a one-row Parquet file so that its column types are the case's own; an object is the rows of
  one case's schema in one Parquet file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from demo.records import cloudwatch_logs as cwl
from normalizers.vpcflow.formats import DEFAULT_HEADER, parse_formats

CLOUDTRAIL_LOG_GROUP = "aws-cloudtrail-logs-111111111111"
DEFAULT_FLOW_LOG_GROUP = "/aws/vpc/flowlogs"
"""A flow log group with no configured format: its lines are read in the default format."""
FLOW_LOG_GROUP_PREFIX = "/aws/vpc/flowlogs-custom-"
EVENTS_PER_PAYLOAD = 2
INGESTED_MS = 1714564800000
"""When CloudWatch Logs took in the first log event (epoch milliseconds)."""


# -- CloudWatch Logs ------------------------------------------------------------------------


def flow_log_group(header: bytes, headers: Sequence[bytes]) -> str:
    """The log group of flow lines in ``header``'s format: the default format's group has no
    configured format (the default path), every other format its own configured group."""
    if header == DEFAULT_HEADER:
        return DEFAULT_FLOW_LOG_GROUP
    return f"{FLOW_LOG_GROUP_PREFIX}{headers.index(header)}"


def flow_formats(headers: Sequence[bytes]) -> tuple[tuple[str, str], ...]:
    """``Origin.flow_formats`` for the groups of :func:`flow_log_group`."""
    return parse_formats(
        {flow_log_group(header, headers): header.decode() for header in headers if header != DEFAULT_HEADER}
    )


def payloads(source: str, records: Sequence[bytes], headers: Sequence[bytes]) -> list[cwl.Payload]:
    """The records as subscription payloads (:mod:`demo.records.cloudwatch_logs`),
    :data:`EVENTS_PER_PAYLOAD` log events each, after a control payload."""
    if source == "vpcflow":  # header line + flow line: the message is the line alone
        group = flow_log_group(records[0].split(b"\n", 1)[0], headers)
        messages = [record.split(b"\n", 1)[1].rstrip(b"\r\n").decode() for record in records]
    else:
        group = CLOUDTRAIL_LOG_GROUP
        messages = [record.decode() for record in records]
    events = [
        cwl.log_event(message, INGESTED_MS + number, cwl.event_id(INGESTED_MS + number, number))
        for number, message in enumerate(messages)
    ]
    return [cwl.control_payload(INGESTED_MS)] + [
        cwl.subscription_payload(
            owner="111111111111",
            log_group=group,
            log_stream="111111111111_CloudTrail_us-east-1" if source == "cloudtrail" else "eni-1-all",
            events=events[start : start + EVENTS_PER_PAYLOAD],
        )
        for start in range(0, len(events), EVENTS_PER_PAYLOAD)
    ]


def decompressed(payloads: Sequence[cwl.Payload]) -> bytes:
    """As Firehose writes them with its decompression of CloudWatch Logs on: one JSON a line."""
    return b"".join(orjson.dumps(payload) + b"\n" for payload in payloads)


# -- Security Lake --------------------------------------------------------------------------


@cache
def ocsf_rows() -> tuple[bytes, ...]:
    """Every row of the Security Lake golden cases, each as a one-row Parquet file."""
    from tests.conftest import GOLDEN, golden_input

    found: list[bytes] = []
    for path in sorted((GOLDEN / "securitylake").glob("*/input*")):
        with golden_input(path) as handle:
            table = pq.read_table(handle)
        found.extend(parquet_file(table.slice(row, 1)) for row in range(table.num_rows))
    return tuple(found)


def parquet_file(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


@cache
def table_of(row: bytes) -> pa.Table:
    """The table of a one-row Parquet file (cached: the same seed rows are read for every
    example, and for every other row whose schema is compared with theirs)."""
    return pq.read_table(io.BytesIO(row))


def same_schema(rows: Sequence[bytes]) -> list[bytes]:
    """The rows whose schema is the first one's (one object is one case's rows)."""
    schema = table_of(rows[0]).schema
    return [row for row in rows if table_of(row).schema.equals(schema)]


def lake_object(rows: Sequence[bytes]) -> bytes:
    """The rows (of one schema) in one Parquet file, two rows a row group (a row group's
    boundary inside an object)."""
    table = pa.concat_tables(table_of(row) for row in same_schema(rows))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=2)
    return sink.getvalue()


def rows_object(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> bytes | None:
    """Python rows (a row of :func:`table_of` changed) in one Parquet file: in ``schema`` when
    they still fit it, else in the types pyarrow infers; ``None`` when no Parquet holds them."""
    if _null_map_entry(rows, schema):
        return None
    for attempt in (schema, None):
        try:
            table = pa.Table.from_pylist(list(rows), schema=attempt)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            continue
        try:
            return parquet_file(table)
        except (pa.ArrowException, TypeError, ValueError):
            return None
    return None


def _null_map_entry(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> bool:
    """A map column's pairs holding a null where a key-value pair goes (``[None]``, ``[[k, v],
    None]``): Arrow's map entries cannot be null, so no Parquet file holds such a row, and
    ``pa.Table.from_pylist`` aborts the process on it (SIGABRT) instead of raising."""
    maps = [field.name for field in schema if pa.types.is_map(field.type)]
    return any(
        isinstance(pairs, list) and any(pair is None for pair in pairs)
        for row in rows
        for name in maps
        for pairs in [row.get(name)]
    )
