"""Security Hub findings (ASFF, and OCSF: the V2 format): EventBridge events as Firehose
delivers them, batches, bare findings.

Accepts EventBridge "Security Hub Findings - Imported" (and "- Custom Action") events as
Firehose delivers them (concatenated with no separator; each event's ``detail.findings``
may hold several findings: one document each), bare findings, and ``Findings``/``findings``
arrays (``GetFindings``, ``GetFindingsV2``). An OCSF finding is told from an ASFF one by its
fields (normalizers/securityhub/ocsf.py).
"""

from __future__ import annotations

import re

from normalizers.firehose_errors.fields import FIELDS as FIREHOSE_ERRORS_FIELDS
from normalizers.framing.envelopes import EventBridge, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.securityhub.fields import FIELDS
from normalizers.securityhub.tables import FINDING_EVENTS, RECOGNIZED_EVENTS
from normalizers.securitylake.fields import FIELDS as SECURITYLAKE_FIELDS
from normalizers.spec import LeftToIndex, Recognition, SourceSpec, normalizer_in

DATASET = "aws.securityhub_findings"

# The same in every Security Hub document, whatever the format (ASFF; OCSF, read through the
# ASFF mapping), the product (GuardDuty's imports included) and the delivery path (EventBridge,
# exports, Security Lake rows): written once in the index template (``constant_keyword``).
# Not ``event.kind`` (``alert`` or ``state``, by finding) nor ``event.provider`` (the product).
CONSTANTS: dict[str, str] = {
    "event.dataset": DATASET,
    "event.module": "aws",
    "cloud.provider": "aws",
}
"""Fields holding one value in every Security Hub document: ``constant_keyword`` fields of the index."""

SPEC = SourceSpec(
    name="securityhub",
    title="Security Hub",
    index="securityhub",
    dataset=DATASET,
    recognition=Recognition(
        json_keys=re.compile(rb'"(?:SchemaVersion|ProductArn|AwsAccountId|GeneratorId|finding_info)"\s*:'),
        detail_types=RECOGNIZED_EVENTS,
        key_hint=re.compile(r"security-?hub", re.I),
    ),
    framing=JsonFraming(
        noun="Security Hub finding",
        wrapper=Wrapper(keys=("Findings", "findings"), record_key="Id"),
        eventbridge=EventBridge(detail_types=FINDING_EVENTS, batch_key="findings", batch_item="finding"),
    ),
    fields=FIELDS + SECURITYLAKE_FIELDS + FIREHOSE_ERRORS_FIELDS,  # + the delivery paths' provenance
    load=normalizer_in("normalizers.securityhub.normalize"),
    left_to_index=LeftToIndex(constants=CONSTANTS),
)
