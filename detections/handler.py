"""Lambda entry point, run by EventBridge Scheduler every few minutes (infra/detection.py).

Environment: ``OPENSEARCH_ENDPOINT`` (logs collection), ``ALERTS_ENDPOINT`` (alerts
collection, SEARCH), ``ALERTS_INDEX`` (default ``<INDEX_PREFIX>alerts``), ``ALERT_TOPIC_ARN``,
``EVENT_BUS`` (optional: the EventBridge bus alerts and incidents are put on),
``NOTE_WRITER_ROLE_ARN`` (optional: the "Investigate in SIEM" role, docs/handoffs.md),
``STATE_TABLE`` (checkpoints; without it they live in ``<alerts index>-state``),
``INDEX_PREFIX`` (default ``siem-``), ``OPENSEARCH_AUTH`` (default ``aoss``),
``AWS_REGION``, ``DASHBOARDS_URL`` (optional, for links in alerts), ``DETECTION_EXCEPTIONS``
(optional: the rule exceptions, detections.exceptions), ``FILL_BUDGET_SECONDS`` (default 60:
how long new-terms fills read more than one page a run), ``ACCOUNTS_LOCATION`` (optional: the
accounts directory, whose active accounts ``outside_account`` holds inside) and
``ACCOUNTS_TTL_SECONDS`` (default 900): see
:meth:`detections.settings.DetectionSettings.from_env`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from detections.runtime import clients, run_once
from detections.settings import DetectionSettings

LOGGER = logging.getLogger(__name__)


def lambda_handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    """Run every enabled rule once; the answer is the run's summary (no alert bodies)."""
    settings = DetectionSettings.from_env()
    logs, alerts = clients(settings)
    report = run_once(settings, datetime.now(UTC), logs, alerts)
    summary = report.to_dict()
    summary.pop("outcomes")
    for failure in summary["errors"]:
        LOGGER.error("rule %s failed: %s", failure["rule_id"], failure["error"])
    for error in summary["notify_errors"]:
        LOGGER.error("not notified (retried next run): %s", error)
    for rule_id in summary["capped"]:
        LOGGER.warning("rule %s: a gap before its window was not queried (max look-back)", rule_id)
    for rule_id in summary["truncated"]:
        LOGGER.warning("rule %s: the hit budget cut its window short: the next run reads on", rule_id)
    for rule_id in summary["filling"]:
        LOGGER.info("rule %s is filling its new-terms history: its window waits", rule_id)
    if summary["incident_error"]:
        LOGGER.error("alerts not grouped into incidents: %s", summary["incident_error"])
    LOGGER.info(
        "detections run: %s",
        {key: summary[key] for key in ("now", "rules", "created", "notified", "published", "renotified")},
    )
    return summary
