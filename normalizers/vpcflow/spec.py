"""VPC Flow Logs: text (a header line, then one record per line) or Parquet; VPC or transit gateway."""

from __future__ import annotations

import re

from normalizers.cloudwatch_logs.fields import FIELDS as CLOUDWATCH_LOGS_FIELDS
from normalizers.securitylake.fields import FIELDS as SECURITYLAKE_FIELDS
from normalizers.spec import LeftToIndex, ParquetSchema, Recognition, SourceSpec, normalizer_in
from normalizers.vpcflow.fields import ALIASES, CONSTANTS, COPIES, FIELDS
from normalizers.vpcflow.formats import headerless
from normalizers.vpcflow.tables import IDENTIFYING_FIELDS


def is_flow_schema(schema: ParquetSchema) -> bool:
    """A flow log has at least one identifying field among its columns (``account_id``...) and
    no nested column (Amazon Security Lake's OCSF rows are nested: another schema altogether)."""
    names = {column.replace("_", "-") for column in schema.columns}
    return bool(IDENTIFYING_FIELDS.intersection(names)) and not schema.nested


SPEC = SourceSpec(
    name="vpcflow",
    title="VPC Flow Logs",
    index="vpcflow",
    dataset="aws.vpcflow",
    recognition=Recognition(
        # A first line of field names, one of them identifying (``action`` or ``region`` alone
        # are too common a name).
        text_header=re.compile(
            rb"\A\s*(?:[a-z0-9-]+ )*(?:" + b"|".join(n.encode() for n in sorted(IDENTIFYING_FIELDS)) + rb")\b"
        ),
        text_record=headerless,
        parquet=is_flow_schema,
        key_hint=re.compile(r"vpcflowlogs|flow-?logs?", re.I),
    ),
    framing=None,
    fields=FIELDS + CLOUDWATCH_LOGS_FIELDS + SECURITYLAKE_FIELDS,  # + the delivery paths' provenance
    load=normalizer_in("normalizers.vpcflow.normalize"),
    left_to_index=LeftToIndex(constants=CONSTANTS, aliases=ALIASES, copies=COPIES),
)
