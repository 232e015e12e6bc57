"""Amazon Security Lake: OCSF rows in Parquet, under its ``aws/<SOURCE>/`` and ``ext/`` prefixes."""

from __future__ import annotations

from normalizers.delivery import DeliverySpec, reader_in
from normalizers.securitylake.classes import CARRIED
from normalizers.securitylake.fields import FIELDS
from normalizers.spec import ParquetSchema, Recognition


def is_ocsf_schema(schema: ParquetSchema) -> bool:
    """OCSF rows: a ``class_uid`` column and nested ones (``metadata``, ``src_endpoint``...);
    a flow log's Parquet columns are all flat."""
    return schema.nested and "class_uid" in schema.columns and "metadata" in schema.columns


DELIVERY = DeliverySpec(
    name="securitylake",
    title="Amazon Security Lake (OCSF)",
    recognition=Recognition(parquet=is_ocsf_schema),
    carries=CARRIED,
    fields=FIELDS,
    load=reader_in("normalizers.securitylake.normalize"),
)
