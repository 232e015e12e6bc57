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
from normalizers.vpcflow.formats import header_for
from normalizers.vpcflow.parquet import parquet_items
from normalizers.vpcflow.text import text_items


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Item]:
    """Yield one document or dead letter per flow record of a text or Parquet flow log."""
    head = stream.read(len(PARQUET_MAGIC)) or b""
    if head == PARQUET_MAGIC:
        stream.seek(0)  # the pipeline hands Parquet over as a seekable file
        yield from parquet_items(stream, origin)
    else:
        # A first line that is a record (Firehose delivers no header): the configured format.
        chunks = LineChunks(
            stream, head, origin.limits.max_line_bytes, lambda first: header_for(first, origin)
        )
        yield from text_items(chunks, origin)


def text_lines_items(stream: BinaryIO, header: bytes, origin: Origin) -> Iterator[Item]:
    """Flow lines with no header line, read in the format ``header`` names (a delivery path's
    lines: CloudWatch Logs log events); the first line is line 1."""
    chunks = LineChunks(stream, b"", origin.limits.max_line_bytes, lambda first: header)
    return text_items(chunks, origin)
