"""Parquet flow logs (S3 delivery in Parquet): record batches, integer columns kept as integers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from normalizers.base import DeadLetter, Item, Origin
from normalizers.framing.parquet import (
    INVALID_PARQUET,
    InvalidParquet,
    ParquetRows,
    UnreadableRows,
    columns_text,
    head_of,
)
from normalizers.loop import BatchFraming
from normalizers.reasons import UNRECOGNIZED_FORMAT
from normalizers.vpcflow.arrow import pylist
from normalizers.vpcflow.batch import emit
from normalizers.vpcflow.spec import SPEC, is_flow_schema
from normalizers.vpcflow.tables import INTEGER_FIELDS, TGW_MARKERS

PARQUET_BATCH_ROWS = 8192


_EXACT_IN_INT64 = (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32())


def parquet_items(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    # A dead letter for the whole file (or its unreadable rest) keeps the file's first MiB.
    try:
        rows = ParquetRows(stream)
    except InvalidParquet as error:
        yield DeadLetter(SPEC.name, f"{INVALID_PARQUET}: {error}", origin.object, "object", head_of(stream))
        return
    if not is_flow_schema(rows.schema):  # only when the source is forced: detection reads the schema
        reason = f"{UNRECOGNIZED_FORMAT}: Parquet columns are not VPC flow log fields ({columns_text(rows.schema)})"
        yield DeadLetter(SPEC.name, reason, origin.object, "object", head_of(stream))
        return
    names = {column: column.replace("_", "-") for column in rows.schema.columns}
    tgw = any(name.startswith(TGW_MARKERS) for name in names.values())
    try:
        for first_row, batch in rows.batches(PARQUET_BATCH_ROWS, origin.limits):
            origin.stop_if_asked()  # the spooled file is read without the object's stream
            yield from _parquet_batch(batch, names, tgw, first_row, origin)
    except UnreadableRows as error:
        reason = f"{INVALID_PARQUET}: {error}"
        yield DeadLetter(SPEC.name, reason, origin.object, f"row {error.first_row}", head_of(stream))


def _parquet_batch(
    batch: pa.RecordBatch, names: dict[str, str], tgw: bool, first_row: int, origin: Origin
) -> Iterator[Item]:
    strings: dict[str, pa.Array] = {}
    integers: dict[str, pa.Array] = {}
    for column, name in names.items():
        values = batch.column(column)
        if name in INTEGER_FIELDS and values.type in _EXACT_IN_INT64:
            integers[name] = values.cast(pa.int64())  # checked as numbers, not as digit strings
        # Null is Parquet's "no value": it becomes the text format's placeholder.
        strings[name] = pc.fill_null(values.cast(pa.string()), "-")
    # The row's values joined by spaces are what the text format would have written.
    joined: list[bytes] = pylist(pc.binary_join_element_wise(*strings.values(), " ").cast(pa.binary()))

    def row_json(index: int) -> bytes:
        return orjson.dumps(batch.slice(index, 1).to_pylist()[0], default=str)

    framing = BatchFraming(
        source=SPEC.name,
        label="row",
        positions=list(range(first_row + 1, first_row + batch.num_rows + 1)),
        id_texts=joined,
        raw=row_json,
        original=lambda i: row_json(i).decode("utf-8"),
    )
    return emit(strings, tgw, framing, {}, [], origin, integers)
