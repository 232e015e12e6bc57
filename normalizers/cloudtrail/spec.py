"""CloudTrail: management, data and Insights events, as log files, EventBridge events or streams.

Accepts, gzip or not: log files ``{"Records": [...]}``, bare JSON arrays of records,
EventBridge events (``"detail-type": "... via CloudTrail"``), bare records, and streams of
concatenated or newline-separated records or events (Firehose); other tools' exports
(``lookup-events`` output, CloudTrail Lake query results, Logstash re-exports:
:mod:`~normalizers.cloudtrail.exports`).
"""

from __future__ import annotations

import re

from normalizers.cloudtrail.exports import exported
from normalizers.cloudtrail.fields import CONSTANTS, FIELDS
from normalizers.cloudwatch_logs.fields import FIELDS as CLOUDWATCH_LOGS_FIELDS
from normalizers.framing.envelopes import EventBridge, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.securitylake.fields import FIELDS as SECURITYLAKE_FIELDS
from normalizers.spec import LeftToIndex, Recognition, SourceSpec, normalizer_in

VIA_CLOUDTRAIL = " via CloudTrail"
"""Every CloudTrail event on EventBridge is "<something> via CloudTrail" (API calls, console
sign-ins and actions, service events, Insights...); new kinds appear over time."""


SPEC = SourceSpec(
    name="cloudtrail",
    title="CloudTrail",
    index="cloudtrail",
    dataset="aws.cloudtrail",
    recognition=Recognition(
        # Log files and records; lookup-events output; CloudTrail Lake query results.
        json_keys=re.compile(rb'"(?:Records|eventVersion|CloudTrailEvent|QueryResultRows)"\s*:'),
        detail_type_suffix=VIA_CLOUDTRAIL,
        skip=(
            (
                re.compile(
                    rb'"(?:digestStartTime|digestEndTime|digestS3Bucket|digestPublicKeyFingerprint)"\s*:'
                ),
                "CloudTrail digest file",
            ),
        ),
        key_hint=re.compile(r"cloudtrail", re.I),
    ),
    framing=JsonFraming(
        noun="CloudTrail record",
        wrapper=Wrapper(keys=("Records", "Events", "QueryResultRows"), record_key="eventVersion"),
        eventbridge=EventBridge(detail_type_suffix=VIA_CLOUDTRAIL),
        exported=exported,
    ),
    fields=FIELDS + CLOUDWATCH_LOGS_FIELDS + SECURITYLAKE_FIELDS,  # + the delivery paths' provenance
    load=normalizer_in("normalizers.cloudtrail.normalize"),
    left_to_index=LeftToIndex(constants=CONSTANTS),
)
