"""Security Lake's OCSF Parquet -> each row's document, made by the mapper of the source its
class belongs to (docs/sources/securitylake.md).

Read a batch of rows at a time (``pyarrow.parquet`` record batches; memory holds one row
group's pages and one batch). Within a batch, consecutive rows of one class are handled
together: Network Activity column-wise, then through the flow log unit's batch builder; API
Activity and findings row by row, each taken back to the native record (a CloudTrail record,
or, for a finding, Security Hub's OCSF mapper) that the source's mapper turns into its document. Every document gets the
provenance fields ``aws.securitylake.*``. A row of a class no source takes is a dead letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from normalizers.base import DeadLetter, Document, Origin
from normalizers.cloudtrail.credentials import redacted_with_texts
from normalizers.cloudtrail.normalize import record_mapper
from normalizers.delivery import Routed, Skipped
from normalizers.framing.json_stream import to_json_bytes
from normalizers.framing.parquet import (
    INVALID_PARQUET,
    InvalidParquet,
    ParquetRows,
    UnreadableRows,
    columns_text,
    head_of,
)
from normalizers.loop import BatchFraming, reason_of
from normalizers.reasons import INVALID_RECORD, UNRECOGNIZED_FORMAT
from normalizers.securityhub.ocsf import ocsf_finding_document
from normalizers.securitylake.api_activity import cloudtrail_record
from normalizers.securitylake.classes import API_ACTIVITY, FINDING_CLASSES, NETWORK_ACTIVITY, SOURCE_OF_CLASS
from normalizers.securitylake.delivery import is_ocsf_schema
from normalizers.securitylake.network_activity import flow_columns, member_column
from normalizers.securitylake.observables import Pivots, observed, relate
from normalizers.securitylake.values import text
from normalizers.vpcflow.arrow import pylist
from normalizers.vpcflow.batch import emit

UNKNOWN = "unknown"
ROW_BATCH = 1024
"""Rows per batch for classes mapped row by row (a row is a tree of Python objects)."""
FLOW_BATCH = 8192
"""Rows per batch for Network Activity, read column-wise (as Parquet flow logs are)."""

# aws/<SOURCE>/..., ext/<source>/... (Security Lake 1.0 and 2.0 key layouts).
_SOURCE_KEY = re.compile(r"(?:^|/)(?:aws|ext)/([A-Za-z0-9_.-]+)/")

RowMapper = Callable[[dict[str, Any], bytes], Document]


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Routed | Skipped]:
    """Each row's item, named by the source of its class."""
    # A dead letter of the object, or of the rows from a damaged page on, holds the file's
    # first MiB (no row can be told apart in it; the key and version re-drive the object).
    try:
        rows = ParquetRows(stream)
    except InvalidParquet as error:
        letter = DeadLetter(UNKNOWN, f"{INVALID_PARQUET}: {error}", origin.object, "object", head_of(stream))
        yield Routed(UNKNOWN, letter)
        return
    if not is_ocsf_schema(rows.schema):
        reason = f"{UNRECOGNIZED_FORMAT}: Parquet columns are not OCSF ({columns_text(rows.schema)})"
        yield Routed(UNKNOWN, DeadLetter(UNKNOWN, reason, origin.object, "object", head_of(stream)))
        return
    found = _SOURCE_KEY.search(origin.object)
    reader = _Reader(origin, found.group(1) if found else None)
    size = FLOW_BATCH if "connection_info" in rows.schema.columns else ROW_BATCH
    try:
        for first_row, batch in rows.batches(size, origin.limits):
            origin.stop_if_asked()  # the spooled file is read without the object's stream
            yield from reader.batch(batch, first_row)
    except UnreadableRows as error:
        where = f"row {error.first_row}"
        letter = DeadLetter(UNKNOWN, f"{INVALID_PARQUET}: {error}", origin.object, where, head_of(stream))
        yield Routed(UNKNOWN, letter)


class _Reader:
    def __init__(self, origin: Origin, source: str | None) -> None:
        self._origin = origin
        self._source = source
        # A row naming no recording account takes its key's accountId= partition: the mapper's
        # fallback of a record delivered without one (object_key.delivered_account).
        trail = record_mapper(origin)
        self._row_mappers: dict[int, tuple[Callable[[dict[str, Any]], dict[str, Any]], RowMapper]] = {
            API_ACTIVITY: (cloudtrail_record, lambda record, raw: trail(record, raw, None)),
            # A finding row is Security Hub's own OCSF finding: its mapper reads it (and replays it).
            **{uid: (_as_json, self._finding) for uid in FINDING_CLASSES},
        }

    def batch(self, batch: pa.RecordBatch, first_row: int) -> Iterator[Routed]:
        """The batch's items, in row order, each run of one class handled together. A row whose
        text is not UTF-8 is a dead letter of its own (pyarrow raises on it when any column
        holding it is read into Python): the rows around it are read as usual."""
        try:
            batch.validate(full=True)  # one C scan of the batch's texts
        except pa.ArrowInvalid:
            yield from self._around_invalid_rows(batch, first_row)
            return
        yield from self._valid(batch, first_row)

    def _around_invalid_rows(self, batch: pa.RecordBatch, first_row: int) -> Iterator[Routed]:
        start = 0
        for index in range(batch.num_rows):
            try:
                batch.slice(index, 1).validate(full=True)
                continue
            except pa.ArrowInvalid as error:
                problem = str(error)
            if index > start:
                yield from self._valid(batch.slice(start, index - start), first_row + start)
            reason = f"{INVALID_RECORD}: text that is not UTF-8 ({problem})"
            where = f"row {first_row + index + 1}"
            raw = _invalid_row_json(batch, index)
            yield Routed(UNKNOWN, DeadLetter(UNKNOWN, reason[:2000], self._origin.object, where, raw))
            start = index + 1
        if start < batch.num_rows:
            yield from self._valid(batch.slice(start), first_row + start)

    def _valid(self, batch: pa.RecordBatch, first_row: int) -> Iterator[Routed]:
        classes = pylist(batch.column("class_uid")) if batch.num_rows else []
        offset = 0
        for class_uid, run in groupby(classes):
            count = sum(1 for _ in run)
            rows = batch.slice(offset, count)
            start = first_row + offset
            if class_uid == NETWORK_ACTIVITY:
                yield from self._flows(rows, start)
            elif _is_number(class_uid) and class_uid in self._row_mappers:
                yield from self._rows(rows, start, class_uid)
            else:
                yield from self._unknown(rows, start, class_uid)
            offset += count

    # -- classes ---------------------------------------------------------------------------

    def _flows(self, rows: pa.RecordBatch, start: int) -> Iterator[Routed]:
        try:
            strings, integers, problems = flow_columns(rows)
            joined = pylist(pc.binary_join_element_wise(*strings.values(), " ").cast(pa.binary()))
        except (pa.ArrowException, TypeError, ValueError) as error:
            # A member of a type no flow log field has (a list where an address goes): the
            # run's columns cannot be read as flows, each of its rows is a dead letter.
            reason = f"{INVALID_RECORD}: Network Activity members of types no flow log field has: {error}"
            for index in range(rows.num_rows):
                where = f"row {start + index + 1}"
                letter = DeadLetter(
                    "vpcflow", reason[:2000], self._origin.object, where, _row_json(rows, index)
                )
                yield Routed("vpcflow", letter)
            return
        framing = BatchFraming(
            source="vpcflow",
            label="row",
            positions=list(range(start + 1, start + rows.num_rows + 1)),
            id_texts=joined,
            raw=lambda index: _row_json(rows, index),
            original=lambda index: _row_json(rows, index).decode("utf-8"),
        )
        provenance, observed = _provenance(rows, self._source), _observed(rows)
        items = emit(strings, False, framing, problems, [], self._origin, integers)
        for index, item in enumerate(items):
            if not isinstance(item, DeadLetter):
                item["aws"]["securitylake"] = provenance[index]
                _relate(item, observed[index])
            yield Routed("vpcflow", item)

    def _rows(self, rows: pa.RecordBatch, start: int, class_uid: int) -> Iterator[Routed]:
        source = SOURCE_OF_CLASS[class_uid]
        native, mapper = self._row_mappers[class_uid]
        provenance, observed = _provenance(rows, self._source), _observed(rows)
        for index, row in enumerate(rows.to_pylist()):
            position = f"row {start + index + 1}"
            try:
                record = native(row)
                raw = to_json_bytes(record)  # the native record: a dead letter replays through its source
            except Exception as error:  # an odd shape (bytes where text goes...) costs this row alone
                raw = _row_json(rows, index)
                yield Routed(source, DeadLetter(source, reason_of(error), self._origin.object, position, raw))
                continue
            try:
                document = mapper(record, raw)
                if self._origin.keep_original:
                    # The row, with the secrets its CloudTrail texts hold redacted as in the fields.
                    kept = redacted_with_texts(row) if source == "cloudtrail" else row
                    document["event"]["original"] = orjson.dumps(kept, default=str).decode("utf-8")
            except Exception as error:
                yield Routed(source, DeadLetter(source, reason_of(error), self._origin.object, position, raw))
                continue
            document["aws"]["securitylake"] = provenance[index]
            _relate(document, observed[index])
            yield Routed(source, document)

    def _unknown(self, rows: pa.RecordBatch, start: int, class_uid: Any) -> Iterator[Routed]:
        names = (
            pylist(rows.column("class_name")) if "class_name" in rows.schema.names else [None] * rows.num_rows
        )
        for index in range(rows.num_rows):
            reason = f"{UNRECOGNIZED_FORMAT}: OCSF class {class_uid} ({names[index]}) has no index here"
            position = f"row {start + index + 1}"
            letter = DeadLetter(UNKNOWN, reason, self._origin.object, position, _row_json(rows, index))
            yield Routed(UNKNOWN, letter)

    def _finding(self, finding: dict[str, Any], raw: bytes) -> Document:
        return ocsf_finding_document(finding, self._origin, raw)


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    """The row as its JSON would read back (decimals, binaries, times as text), so that its
    dead letter's ``raw`` is JSON and replays through Security Hub as it was mapped."""
    value: dict[str, Any] = orjson.loads(orjson.dumps(row, default=str))
    return value


def _is_number(class_uid: Any) -> bool:
    """OCSF's ``class_uid`` is an integer; a column of another type (a list, a struct: not
    hashable) is no class here, and its rows are dead letters of an unknown class."""
    return isinstance(class_uid, int | float)


def _invalid_row_json(rows: pa.RecordBatch, index: int) -> bytes:
    """A row whose text is not UTF-8 as a JSON object, every text read as bytes and written
    with its undecodable bytes escaped (``\\xc3``)."""
    as_bytes = pa.schema([field.with_type(_nested(field.type, _text_as_bytes)) for field in rows.schema])
    row = rows.slice(index, 1).cast(as_bytes).to_pylist()[0]
    return orjson.dumps(row, default=_escaped)


def _nested(kind: pa.DataType, leaf: Callable[[pa.DataType], pa.DataType]) -> pa.DataType:
    """``kind`` with ``leaf`` applied to each type it holds, however nested (struct members,
    list values, map keys and items)."""
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(_nested(field.type, leaf)) for field in kind])
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_nested(kind.value_type, leaf)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(_nested(kind.value_type, leaf)))
    if pa.types.is_map(kind):
        return pa.map_(_nested(kind.key_type, leaf), _nested(kind.item_type, leaf))
    return leaf(kind)


def _text_as_bytes(kind: pa.DataType) -> pa.DataType:
    """A string type as the binary type of its width."""
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    return kind


def _escaped(value: Any) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)


def _row_json(rows: pa.RecordBatch, index: int) -> bytes:
    """The OCSF row as a JSON object (a dead letter's ``raw``, ``event.original``); a time
    Python cannot hold (past year 9999: pyarrow raises ``OverflowError``) as its number."""
    row = rows.slice(index, 1)
    try:
        return orjson.dumps(row.to_pylist()[0], default=str)
    except (OverflowError, ValueError):
        columns = [column.cast(_nested(column.type, _time_as_number)) for column in row.columns]
        return orjson.dumps(pa.RecordBatch.from_arrays(columns, row.schema.names).to_pylist()[0], default=str)


def _time_as_number(kind: pa.DataType) -> pa.DataType:
    """A time type as the integer it is stored as."""
    if pa.types.is_date32(kind) or pa.types.is_time32(kind):
        return pa.int32()
    if pa.types.is_temporal(kind):  # timestamps, date64, time64, durations
        return pa.int64()
    return kind


_PROVENANCE = (
    ("class_uid", "class_uid"),
    ("class_name", "class_name"),
    ("activity_name", "activity_name"),
    ("ocsf_version", "metadata.version"),
    ("product_name", "metadata.product.name"),
)


def _provenance(rows: pa.RecordBatch, source: str | None) -> list[dict[str, Any]]:
    """``aws.securitylake.*`` of each row, read column-wise."""
    columns = {field: _member_values(rows, path) for field, path in _PROVENANCE}
    out = []
    for index in range(rows.num_rows):
        fields = {field: values[index] for field, values in columns.items() if values[index] is not None}
        if source:
            fields["source"] = source
        out.append(fields)
    return out


def _observed(rows: pa.RecordBatch) -> list[Pivots]:
    """Each row's ``observables`` (OCSF's own list of what a row names): its IP addresses and
    hosts, so they are pivots (``related.ip``, ``related.hosts``) like every address and
    instance of a native record."""
    if "observables" not in rows.schema.names:
        return [Pivots() for _ in range(rows.num_rows)]
    return [observed(observables) for observables in pylist(rows.column("observables"))]


def _relate(document: Document, pivots: Pivots) -> None:
    relate(document, "ip", pivots.ip)
    relate(document, "hosts", pivots.hosts)


def _member_values(rows: pa.RecordBatch, path: str) -> list[Any]:
    column = member_column(rows, path)
    if column is None:
        return [None] * rows.num_rows
    if pa.types.is_integer(column.type):
        return pylist(column)
    return [text({"value": value}, "value") for value in pylist(column)]
