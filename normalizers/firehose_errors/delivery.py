"""Firehose error output (a Firehose stream's error prefix in S3: records it could not deliver)."""

from __future__ import annotations

import re

from normalizers.delivery import DeliverySpec, reader_in
from normalizers.firehose_errors.fields import FIELDS
from normalizers.spec import Recognition

DELIVERY = DeliverySpec(
    name="firehose_errors",
    title="Firehose error output",
    recognition=Recognition(
        # Every error record Firehose documents has both; the record it failed to deliver is
        # base64 in rawData, so none of its own keys can show before them.
        json_keys=re.compile(rb'"(?:attemptsMade|rawData)"\s*:'),
    ),
    # The member stack's streams (infra/member_stack.py): EventBridge events of these sources.
    carries=("guardduty", "securityhub"),
    fields=FIELDS,
    load=reader_in("normalizers.firehose_errors.normalize"),
)
