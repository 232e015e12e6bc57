"""Wire detection settings to real components: OpenSearch clients, checkpoints, SNS, the
EventBridge bus; one run.

Used by the scheduled Lambda (``detections.handler``) and by ``siem detect run``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import boto3
from opensearchpy import OpenSearch

from detections.checkpoints import CheckpointStore, DynamoCheckpoints, IndexCheckpoints
from detections.eventbus import EventBusPublisher, EventPublisher
from detections.notify import Notifier, SnsIncidentNotifier
from detections.organization import directory_organization
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import Rule, load_rules
from detections.runner import RunReport, run
from detections.settings import DetectionSettings
from opensearch_client import make_client


def clients(settings: DetectionSettings) -> tuple[OpenSearch, OpenSearch]:
    """The logs and alerts clients (one client when both are the same collection)."""
    logs = make_client(settings.logs)
    if settings.alerts == settings.logs:
        return logs, logs
    return logs, make_client(settings.alerts)


def checkpoint_store(settings: DetectionSettings, alerts: OpenSearch, session: Any = None) -> CheckpointStore:
    if settings.state_table:
        client = (session or boto3.Session(region_name=settings.logs.region)).client("dynamodb")
        return DynamoCheckpoints(settings.state_table, client)
    return IndexCheckpoints(alerts, f"{settings.run.alerts_index}-state")


def notifier(settings: DetectionSettings, session: Any = None) -> Notifier | None:
    if not settings.topic_arn:
        return None
    sns = (session or boto3.Session(region_name=settings.logs.region)).client("sns")
    return SnsIncidentNotifier(sns, settings.topic_arn)


def event_bus(settings: DetectionSettings, session: Any = None) -> EventPublisher | None:
    if not settings.event_bus:
        return None
    events = (session or boto3.Session(region_name=settings.logs.region)).client("events")
    return EventBusPublisher(events, settings.event_bus)


def organization(settings: DetectionSettings, session: Any = None) -> Organization:
    """The accounts directory's organization: its inside account ids and its id (empty
    without ``accounts_location``)."""
    location = settings.accounts_location
    if not location:
        return NO_ORGANIZATION
    # Without a session the store makes its S3 client once, when the container first reads it.
    s3 = session.client("s3") if session is not None and location.startswith("s3://") else None
    return directory_organization(location, settings.accounts_ttl, s3)


def run_once(
    settings: DetectionSettings,
    now: datetime,
    logs: OpenSearch,
    alerts: OpenSearch,
    *,
    rules: Sequence[Rule] | None = None,
    session: Any = None,
) -> RunReport:
    """One run of ``rules`` (default: every enabled rule) at ``now``, as the scheduler starts it,
    with the organization of the directory (its accounts, its id) inside for ``outside_account``."""
    run_settings = replace(settings.run, organization=organization(settings, session))
    return run(
        logs,
        alerts,
        load_rules() if rules is None else rules,
        now,
        checkpoint_store(settings, alerts, session),
        notifier(settings, session),
        run_settings,
        event_bus(settings, session),
    )
