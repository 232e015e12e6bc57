"""Lambda entry point, run by EventBridge Scheduler every few minutes (infra/detection.py).

Environment: ``OPENSEARCH_ENDPOINT`` (logs collection), ``ALERTS_ENDPOINT`` (alerts
collection, SEARCH), ``ALERTS_INDEX`` (default ``siem-alerts``), ``ALERT_TOPIC_ARN``,
``STATE_TABLE`` (checkpoints; without it they live in ``<alerts index>-state``),
``INDEX_PREFIX`` (default ``siem-``), ``OPENSEARCH_AUTH`` (default ``aoss``),
``AWS_REGION``, ``DASHBOARDS_URL`` (optional, for links in alerts), ``DETECTION_EXCEPTIONS``
(optional: the rule exceptions, detections.exceptions).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from opensearchpy import OpenSearch

from detections.checkpoints import CheckpointStore, DynamoCheckpoints, IndexCheckpoints
from detections.exceptions import ENVIRONMENT_VARIABLE as EXCEPTIONS_VARIABLE
from detections.exceptions import from_setting
from detections.notify import Notifier, SnsNotifier
from detections.rules import load_rules
from detections.runner import RunReport, RunSettings, run
from opensearch_client import AuthMode, ConnectionSettings, auth_mode, make_client

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DetectionConfig:
    endpoint: str
    alerts_endpoint: str
    alerts_index: str = "siem-alerts"
    topic_arn: str | None = None
    state_table: str | None = None
    prefix: str = "siem-"
    auth: AuthMode = "aoss"
    region: str | None = None
    dashboards_url: str | None = None
    exceptions: str | None = None
    """A YAML/JSON exceptions document or a file path; ``None``: detections/exceptions.yml."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DetectionConfig:
        env = os.environ if environ is None else environ
        endpoint = env.get("OPENSEARCH_ENDPOINT")
        if not endpoint:
            raise ValueError("OPENSEARCH_ENDPOINT is not set")
        return cls(
            endpoint=endpoint,
            alerts_endpoint=env.get("ALERTS_ENDPOINT") or endpoint,
            alerts_index=env.get("ALERTS_INDEX") or "siem-alerts",
            topic_arn=env.get("ALERT_TOPIC_ARN") or None,
            state_table=env.get("STATE_TABLE") or None,
            prefix=env.get("INDEX_PREFIX") or "siem-",
            auth=auth_mode(env.get("OPENSEARCH_AUTH") or "aoss", "OPENSEARCH_AUTH"),
            region=env.get("AWS_REGION") or None,
            dashboards_url=env.get("DASHBOARDS_URL") or None,
            exceptions=env.get(EXCEPTIONS_VARIABLE) or None,
        )


def clients(config: DetectionConfig) -> tuple[OpenSearch, OpenSearch]:
    logs = make_client(ConnectionSettings(config.endpoint, config.auth, config.region))
    if config.alerts_endpoint == config.endpoint:
        return logs, logs
    return logs, make_client(ConnectionSettings(config.alerts_endpoint, config.auth, config.region))


def checkpoint_store(config: DetectionConfig, alerts: OpenSearch, session: Any = None) -> CheckpointStore:
    if config.state_table:
        client = (session or boto3.Session(region_name=config.region)).client("dynamodb")
        return DynamoCheckpoints(config.state_table, client)
    return IndexCheckpoints(alerts, f"{config.alerts_index}-state")


def notifier(config: DetectionConfig, session: Any = None) -> Notifier | None:
    if not config.topic_arn:
        return None
    return SnsNotifier((session or boto3.Session(region_name=config.region)).client("sns"), config.topic_arn)


def run_settings(config: DetectionConfig) -> RunSettings:
    return RunSettings(
        prefix=config.prefix,
        alerts_index=config.alerts_index,
        dashboards_url=config.dashboards_url,
        exceptions=from_setting(config.exceptions),
    )


def run_from_config(
    config: DetectionConfig, now: datetime, logs: OpenSearch, alerts: OpenSearch, session: Any = None
) -> RunReport:
    settings = run_settings(config)
    return run(
        logs,
        alerts,
        load_rules(),
        now,
        checkpoint_store(config, alerts, session),
        notifier(config, session),
        settings,
    )


def lambda_handler(event: Mapping[str, Any] | None, context: Any) -> dict[str, Any]:
    """Run every enabled rule once; the answer is the run's summary (no alert bodies)."""
    config = DetectionConfig.from_env()
    logs, alerts = clients(config)
    report = run_from_config(config, datetime.now(UTC), logs, alerts)
    summary = report.to_dict()
    summary.pop("outcomes")
    for failure in summary["errors"]:
        LOGGER.error("rule %s failed: %s", failure["rule_id"], failure["error"])
    for error in summary["notify_errors"]:
        LOGGER.error("not notified (retried next run): %s", error)
    LOGGER.info(
        "detections run: %s",
        {key: summary[key] for key in ("now", "rules", "created", "notified", "renotified")},
    )
    return summary
