"""CloudWatch Logs subscription payloads (a subscription filter's Firehose stream -> S3)."""

from __future__ import annotations

import re

from normalizers.cloudwatch_logs.fields import FIELDS
from normalizers.delivery import DeliverySpec, reader_in
from normalizers.spec import Recognition

DELIVERY = DeliverySpec(
    name="cloudwatch_logs",
    title="CloudWatch Logs subscriptions",
    recognition=Recognition(
        # Only a payload has a messageType of these two values (the records inside its
        # logEvents are JSON text: their own keys are escaped and never match a source's).
        json_keys=re.compile(rb'"messageType"\s*:\s*"(?:DATA|CONTROL)_MESSAGE"'),
    ),
    carries=("cloudtrail", "vpcflow"),
    fields=FIELDS,
    load=reader_in("normalizers.cloudwatch_logs.normalize"),
)
