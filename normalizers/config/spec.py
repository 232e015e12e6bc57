"""AWS Config: configuration history and snapshot files, change and compliance notifications.

Accepts the S3 delivery channel's files (gzip JSON ``{"fileVersion": ..., "configSnapshotId"?:
..., "configurationItems": [...]}``), EventBridge "Config Configuration Item Change" and
"Config Rules Compliance Change" events, the same notifications as Config's SNS topic sends
them, and the API's items (``get-resource-config-history``), in any mix.
"""

from __future__ import annotations

import re

from normalizers.config.fields import CONSTANTS, FIELDS
from normalizers.config.tables import DETAIL_TYPES
from normalizers.framing.envelopes import EventBridge, JsonFraming
from normalizers.framing.json_stream import Wrapper
from normalizers.spec import LeftToIndex, Recognition, SourceSpec, normalizer_in

SPEC = SourceSpec(
    name="config",
    title="AWS Config",
    index="config",
    dataset="aws.config",
    recognition=Recognition(
        json_keys=re.compile(
            rb'"(?:configurationItems|configurationItemCaptureTime|configurationItem|configurationItemSummary'
            rb'|configSnapshotId|newEvaluationResult)"\s*:'
        ),
        detail_types=DETAIL_TYPES,
        empty_batch=re.compile(rb'\{\s*"fileVersion"\s*:\s*"[^"]*"\s*,\s*"configurationItems"\s*:\s*\[\s*\]'),
        key_hint=re.compile(r"/Config/|ConfigHistory|ConfigSnapshot"),
    ),
    framing=JsonFraming(
        noun="Config record",
        wrapper=Wrapper(
            keys=("configurationItems",),
            record_key="configurationItemCaptureTime",
            leading=("fileVersion", "configSnapshotId"),
        ),
        eventbridge=EventBridge(detail_types=DETAIL_TYPES),
    ),
    fields=FIELDS,
    load=normalizer_in("normalizers.config.normalize"),
    left_to_index=LeftToIndex(constants=CONSTANTS),
)
