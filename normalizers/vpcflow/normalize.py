"""VPC flows' entry point: a text or Parquet flow log -> one document or dead letter per record.

Both formats go through one vectorized path: the file is read in batches of rows whose
columns are Arrow arrays (text: ``pyarrow.csv`` on chunks of complete lines, as strings;
Parquet: record batches, integer columns kept as integers), every conversion is done
column-wise with ``pyarrow.compute``, and only the final assembly of each document is a
Python loop over ready-made lists. Memory is bounded by one batch, whatever the file size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from normalizers.base import Item, Origin
from normalizers.framing.lines import LineChunks
from normalizers.stream import PARQUET_MAGIC
from normalizers.vpcflow.parquet import parquet_items
from normalizers.vpcflow.text import text_items


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per flow record of a text or Parquet flow log."""
    head = stream.read(len(PARQUET_MAGIC)) or b""
    if head == PARQUET_MAGIC:
        stream.seek(0)  # the pipeline hands Parquet over as a seekable file
        yield from parquet_items(stream, origin)
    else:
        yield from text_items(LineChunks(stream, head, origin.limits.max_line_bytes), origin)
