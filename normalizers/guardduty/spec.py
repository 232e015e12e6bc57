"""GuardDuty findings: S3 exports (JSON lines), EventBridge events, batches, the CLI/SDK shape.

Accepts findings exported to S3, EventBridge "GuardDuty Finding" events (the finding in
``detail``), ``{"findings": [...]}`` batches and bare findings, in any mix, concatenated or
one per line; also the AWS CLI/SDK shape (``aws guardduty get-findings``: ``{"Findings":
[...]}`` with PascalCase member names).
"""

from __future__ import annotations

import re

from normalizers.firehose_errors.fields import FIELDS as FIREHOSE_ERRORS_FIELDS
from normalizers.framing.envelopes import EventBridge, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.guardduty.fields import CONSTANTS, FIELDS
from normalizers.guardduty.tables import DETAIL_TYPE
from normalizers.spec import LeftToIndex, Recognition, SourceSpec, normalizer_in

# A GuardDuty finding as the CLI/SDK print it (PascalCase: "SchemaVersion" like ASFF) has a
# top-level "Arn" that is a GuardDuty finding ARN; ASFF has no "Arn" key (its GuardDuty
# imports carry that ARN in "Id"), so this outranks the Security Hub markers wherever it is.
_API_ARN = re.compile(rb'"Arn"\s*:\s*"arn:aws[\w-]*:guardduty:')


SPEC = SourceSpec(
    name="guardduty",
    title="GuardDuty",
    index="guardduty",
    dataset="aws.guardduty",
    recognition=Recognition(
        json_keys=re.compile(rb'"(?:schemaVersion|detectorId)"\s*:|"[Aa]rn"\s*:\s*"arn:aws[\w-]*:guardduty:'),
        detail_types=frozenset({DETAIL_TYPE}),
        outranks=((_API_ARN, "securityhub"),),
        empty_batch=re.compile(rb'\{\s*"(?:findings|Findings)"\s*:\s*\[\s*\]'),
        key_hint=re.compile(r"guardduty", re.I),
    ),
    framing=JsonFraming(
        noun="GuardDuty finding",
        wrapper=Wrapper(keys=("findings", "Findings"), record_key="id"),
        eventbridge=EventBridge(detail_types=frozenset({DETAIL_TYPE})),
    ),
    fields=FIELDS + FIREHOSE_ERRORS_FIELDS,  # + the delivery paths' provenance
    load=normalizer_in("normalizers.guardduty.normalize"),
    left_to_index=LeftToIndex(constants=CONSTANTS),
)
