"""One detection run: every rule over its window, alerts created once, grouped into incidents,
every incident opened or escalated notified once.

Per rule: window (detections.windows) -> matches (detections.matching) -> alert ids ->
summaries for the ids not yet in the alerts index -> ``create`` (with a notifier:
``alert.notified: false``) -> checkpoint. A rule that fails (bad query, engine error, alert
write error) is reported and keeps its checkpoint, so its window is queried again next run;
the other rules go on.

Then the run's alerts, and those earlier runs left ``notified: false`` (a publish that
failed, a run cut off), are folded into incidents (detections.incidents; idempotent). Each
hand-off configured (an SNS notifier, an EventBridge bus) gets what is new: SNS one message per
incident new or escalated past the severity it last announced; the bus one event per such
incident and one per alert grouped for the first time (detections.eventbus). Each channel keeps
its own record (``incident.notified_severity`` / ``published_severity``; ``alert.published``
when only the bus took an alert), so a failure on one neither blocks nor repeats the other.
Once every channel has an incident's alerts they are set ``notified: true``; until then they
stay pending and the next run retries what is missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections import alerts as alert_store
from detections import incidents as incident_store
from detections.checkpoints import CheckpointStore
from detections.eventbus import EventPublisher, alert_event, incident_event
from detections.exceptions import NO_EXCEPTIONS, Exceptions
from detections.incident_lease import (
    WAIT_SECONDS,
    IncidentLease,
    LeaseExpired,
    release_quietly,
    wait_for_lease,
)
from detections.incidents import (
    DEFAULT_SPAN,
    PUBLISHED,
    IncidentChange,
    announced_change,
    fold_alerts,
    needs_notification,
)
from detections.matching import Matches, Sources, find_matches
from detections.new_terms import TermsStore
from detections.notify import Notifier
from detections.principals import NO_ORGANIZATION, Organization
from detections.rules import Rule, inside_organization
from detections.summary import summarize
from detections.windows import Checkpoint, Window, iso, next_window

LOGGER = logging.getLogger(__name__)
DEFAULT_FILL_BUDGET = timedelta(minutes=1)
"""A fifth of the detection function's timeout at the default rate (5 minutes): the rest of the
run (every rule's window, the incidents, the hand-offs) keeps the remainder. Every fill reads
one page a run whatever the budget: the budget bounds the pages past the first, not the run."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    prefix: str = "siem-"
    alerts_index: str = ""
    """Where alerts go, on the alerts collection; empty: ``<prefix>alerts``, as the stack names it
    (set when the settings are made: ``dataclasses.replace`` of ``prefix`` alone keeps it)."""
    lag: timedelta = timedelta(minutes=2)
    """Not queried yet: the newest documents may not be searchable (Serverless: up to ~60 s)."""
    overlap: timedelta = timedelta(minutes=15)
    """Re-queried every run: covers ingest invocations that stamp ``event.ingested`` at their
    start and finish writing up to the Lambda timeout later (docs/detections.md)."""
    first_lookback: timedelta = timedelta(hours=1)
    """Window of a rule's first run (no checkpoint yet)."""
    max_lookback: timedelta = timedelta(days=1)
    """A checkpoint older than this (detections were off) is not caught up further back."""
    dashboards_url: str | None = None
    investigate_findings: bool = True
    pending_limit: int = 100
    """Alerts left unnotified by earlier runs that one run folds and notifies (oldest first)."""
    exceptions: Exceptions = NO_EXCEPTIONS
    """Accepted activity left out of the rules' queries (detections.exceptions)."""
    incidents_index: str = ""
    """Where the run's alerts are grouped into incidents (detections.incidents), on the alerts
    collection; empty: ``<prefix>incidents``."""
    incident_span: timedelta = DEFAULT_SPAN
    """An alert joins an incident that holds one of its actors and was seen within this span."""
    lease_wait: float = WAIT_SECONDS
    """Seconds to wait for the incidents' lease another writer holds (detections.incident_lease)."""
    fill_budget: timedelta = DEFAULT_FILL_BUDGET
    """Time from the run's start during which new-terms fills read more than one page each
    (``detections.new_terms.FILL_PAGES`` at most): a change of every rule's exceptions refills
    all new-terms rules at once, and the run must still end well within the function's timeout
    (``FILL_BUDGET_SECONDS``, ``siem detect run --fill-budget``)."""
    organization: Organization = NO_ORGANIZATION
    """The organization (the accounts directory, ``ACCOUNTS_LOCATION``: its account ids and
    its id) that ``outside_account`` holds inside, like the record's own account; empty: no
    directory, only the record's own account is inside and any organization id pins (:func:`detections.rules.inside_organization`)."""

    def __post_init__(self) -> None:
        # A library user who sets only the prefix gets the indices the stack and the CLI use.
        if not self.alerts_index:
            object.__setattr__(self, "alerts_index", f"{self.prefix}alerts")
        if not self.incidents_index:
            object.__setattr__(self, "incidents_index", f"{self.prefix}incidents")


@dataclass(slots=True)
class RuleOutcome:
    rule_id: str
    window_start: str = ""
    window_end: str = ""
    hits: int = 0
    """Documents read (events; for aggregating rule types, the alerts' sample events)."""
    searches: int = 0
    buckets: int = 0
    """Aggregation buckets read (threshold, new_terms, sequence and silence rules)."""
    matches: int = 0
    created: int = 0
    duplicates: int = 0
    resumed: bool = False
    """The window continued one that the hit budget cut short in an earlier run."""
    truncated: bool = False
    """The hit budget cut this window short: the next run resumes it."""
    capped: bool = False
    """The checkpoint was older than ``max_lookback``: what was ingested before the window's
    start was not queried (a gap)."""
    filling: bool = False
    """A new-terms rule still fills its history from the logs: its window is held, not judged
    (the checkpoint stays), and its alerts wait for the run that completes the fill."""
    error: str | None = None


@dataclass(slots=True)
class RunReport:
    now: str
    outcomes: list[RuleOutcome] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """The alerts created by this run."""
    renotified: int = 0
    """Alerts of earlier runs left pending that this one notified."""
    notified: int = 0
    """Incident messages published."""
    published: int = 0
    """Events put on the EventBridge bus (incidents and alerts)."""
    notify_errors: list[str] = field(default_factory=list)
    """Failures while reading the pending alerts or notifying incidents (the alerts stay pending)."""
    incidents: list[IncidentChange] = field(default_factory=list)
    """The incidents this run opened or added alerts to."""
    incident_error: str | None = None

    @property
    def errors(self) -> list[RuleOutcome]:
        return [outcome for outcome in self.outcomes if outcome.error]

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.notify_errors or self.incident_error)

    @property
    def created(self) -> int:
        return sum(outcome.created for outcome in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "rules": len(self.outcomes),
            "created": self.created,
            "duplicates": sum(outcome.duplicates for outcome in self.outcomes),
            "notified": self.notified,
            "published": self.published,
            "renotified": self.renotified,
            "errors": [{"rule_id": o.rule_id, "error": o.error} for o in self.errors],
            "filling": [o.rule_id for o in self.outcomes if o.filling],
            "capped": [o.rule_id for o in self.outcomes if o.capped],
            # The Lambda's answer leaves out per-rule outcomes: what an operator looks for in it.
            "truncated": [o.rule_id for o in self.outcomes if o.truncated],
            "resumed": [o.rule_id for o in self.outcomes if o.resumed],
            "notify_errors": self.notify_errors,
            "incident_error": self.incident_error,
            "incidents": [
                {
                    "id": c.incident["incident"]["id"],
                    "change": c.change,
                    "severity": c.incident["incident"]["severity"],
                    "title": c.incident["incident"]["title"],
                    "alerts": list(c.alert_ids),
                }
                for c in self.incidents
            ],
            "outcomes": [asdict(outcome) for outcome in self.outcomes],
            "alerts": [
                {
                    "id": a["alert"]["id"],
                    "rule": a["rule"]["id"],
                    "severity": a["alert"]["severity"],
                    "summary": a["alert"].get("summary"),
                }
                for a in self.alerts
            ],
        }


def run(
    logs: OpenSearch,
    alerts: OpenSearch,
    rules: Sequence[Rule],
    now: datetime,
    checkpoints: CheckpointStore,
    notifier: Notifier | None = None,
    settings: RunSettings | None = None,
    bus: EventPublisher | None = None,
) -> RunReport:
    """``notifier`` (SNS) and ``bus`` (EventBridge): the hand-offs, each optional."""
    settings = settings or RunSettings()
    report = RunReport(iso(now))
    handoffs = Handoffs(notifier, bus)
    pending = _pending(alerts, settings, report) if handoffs.any else []
    fill_until = time.monotonic() + settings.fill_budget.total_seconds()
    for rule in rules:
        outcome = RuleOutcome(rule.id)
        report.outcomes.append(outcome)
        try:
            _run_rule(
                logs, alerts, rule, now, checkpoints, handoffs.any, settings, outcome, report, fill_until
            )
        except Exception as error:  # one broken rule (bad query, engine error) must not stop the others
            outcome.error = f"{type(error).__name__}: {error}"
            LOGGER.warning("rule %s failed: %s", rule.id, outcome.error)
    folded = [*pending, *report.alerts]
    # The fold and the hand-offs' records on the incidents, under the incidents' lease: a
    # concurrent run (siem detect run beside the scheduled function) would write back stale copies.
    try:
        lease = wait_for_lease(alerts, settings.incidents_index, now, settings.lease_wait)
    except Exception as error:  # another writer holds it, or the alerts collection is down
        report.incident_error = (
            f"incidents: {type(error).__name__}: {error} (pending alerts are folded by the next run)"
        )
        LOGGER.warning("%s", report.incident_error)
        return report
    try:
        _fold_incidents(alerts, folded, now, settings, report, lease)
        if handoffs.any:
            pending_ids = {alert["alert"]["id"] for alert in pending}
            by_id = {alert["alert"]["id"]: alert for alert in folded}
            _hand_off(alerts, handoffs, report, settings, pending_ids, by_id, lease)
    finally:
        release_quietly(lease)
    return report


@dataclass(frozen=True, slots=True)
class Handoffs:
    notifier: Notifier | None = None
    bus: EventPublisher | None = None

    @property
    def any(self) -> bool:
        return self.notifier is not None or self.bus is not None


def _fold_incidents(
    alerts: OpenSearch,
    new: list[dict[str, Any]],
    now: datetime,
    settings: RunSettings,
    report: RunReport,
    lease: IncidentLease,
) -> None:
    """Group the run's alerts (and the earlier runs' still pending) into incidents.

    Folding is idempotent: an alert already in its incident changes nothing.
    """
    try:
        report.incidents = fold_alerts(
            alerts, settings.incidents_index, new, now, settings.incident_span, lease
        )
        # A pending alert (a hand-off will mark it) may be folded again by a later run: it
        # records its incident, which lists a bounded number of alert ids.
        pending = {alert["alert"]["id"]: alert for alert in new if alert["alert"].get("notified") is False}
        recorded = {
            alert_id: change.incident["incident"]["id"]
            for change in report.incidents
            for alert_id in change.alert_ids
            if alert_id in pending
            and pending[alert_id]["alert"].get("incident_id") != change.incident["incident"]["id"]
        }
        alert_store.record_incidents(alerts, settings.alerts_index, recorded)
        for alert_id, incident_id in recorded.items():
            pending[alert_id]["alert"]["incident_id"] = incident_id
    except Exception as error:  # the alerts are stored; the incidents are reported failed
        report.incident_error = f"incidents: {type(error).__name__}: {error}"
        LOGGER.warning("%s", report.incident_error)


def rule_overlap(rule: Rule, settings: RunSettings) -> timedelta:
    # ``is None``, not ``or``: an explicit ``overlap: 0s`` is a choice, not a default.
    return settings.overlap if rule.overlap is None else rule.overlap


def rule_window(rule: Rule, now: datetime, checkpoint: Checkpoint | None, settings: RunSettings) -> Window:
    lag = settings.lag if rule.lag is None else rule.lag  # ``is None``, as for the overlap
    return next_window(
        checkpoint,
        now,
        lag=lag,
        overlap=rule_overlap(rule, settings),
        first_lookback=settings.first_lookback,
        max_lookback=settings.max_lookback,
    )


def _run_rule(
    logs: OpenSearch,
    alerts: OpenSearch,
    rule: Rule,
    now: datetime,
    checkpoints: CheckpointStore,
    notify: bool,
    settings: RunSettings,
    outcome: RuleOutcome,
    report: RunReport,
    fill_until: float,
) -> None:
    checkpoint = checkpoints.get(rule.id)
    window = rule_window(rule, now, checkpoint, settings)
    outcome.window_start, outcome.window_end, outcome.capped = (
        iso(window.start),
        iso(window.end),
        window.capped,
    )
    outcome.resumed = window.resume_after is not None
    terms = TermsStore(alerts, f"{settings.alerts_index}-terms")
    excepted = inside_organization(settings.exceptions.apply(rule), settings.organization)
    found = find_matches(
        logs,
        excepted,
        Sources(settings.prefix),
        window,
        terms,
        fill_until,
        settle=rule_overlap(rule, settings),
        oldest=window.end - settings.max_lookback,
    )
    if found.window_start is not None:  # a new-terms rule judged what its fill held
        outcome.window_start, outcome.capped = iso(found.window_start), outcome.capped or found.capped
    outcome.hits, outcome.matches, outcome.truncated = found.hits, len(found.matches), found.truncated
    outcome.searches, outcome.buckets = found.cost.searches, found.cost.buckets
    outcome.filling = found.filling
    new_alerts = _new_alerts(logs, alerts, rule, found, window, now, settings, notify=notify)
    written = alert_store.create_alerts(alerts, settings.alerts_index, new_alerts)
    outcome.created, outcome.duplicates = len(written.created), written.duplicates
    outcome.duplicates += len(found.matches) - len(new_alerts)
    report.alerts.extend(written.created)
    if written.errors:
        # Keep the checkpoint: the next run queries this window again and recreates what failed.
        outcome.error = "; ".join(written.errors)
        return
    if found.commit is not None:  # a new-terms or silence rule's state, once its alerts are stored
        found.commit()
    if found.filling:
        # The window waits for the fill: a later run queries it again from its start (a first
        # run keeps that start; an existing checkpoint stays as it is).
        if checkpoint is None:
            checkpoints.put(rule.id, Checkpoint(window.start))
        return
    # Unpublished alerts need no re-query: they stay ``notified: false`` for the next run.
    checkpoints.put(rule.id, Checkpoint(window.end, found.resume_after))


def _new_alerts(
    logs: OpenSearch,
    alerts: OpenSearch,
    rule: Rule,
    found: Matches,
    window: Window,
    now: datetime,
    settings: RunSettings,
    notify: bool,
) -> list[dict[str, Any]]:
    """Alert documents for the matches whose id is not in the alerts index yet.

    The look-up only saves work (summaries, investigations): ``create`` is what guarantees
    that an alert is raised once.
    """
    ids = {alert_store.alert_id(rule, match): match for match in found.matches}
    known = alert_store.existing_ids(alerts, settings.alerts_index, ids)
    out = []
    for identifier, match in ids.items():
        if identifier in known:
            continue
        client = logs if settings.investigate_findings else None
        summary = summarize(
            client,
            rule.index,
            match.documents,
            match.count,
            match.first_seen,
            match.last_seen,
            settings.prefix,
        )
        if match.what is not None:  # a silence: its sample is the last record, not what happened
            summary = replace(summary, what=match.what)
        if match.who is not None:  # a wide silence: no one's actor, delivery
            summary = replace(summary, who=match.who)
        out.append(
            alert_store.build_alert(
                rule, match, window, now, summary, settings.dashboards_url, notified=False if notify else None
            )
        )
    return out


def _pending(alerts: OpenSearch, settings: RunSettings, report: RunReport) -> list[dict[str, Any]]:
    """The alerts earlier runs created but did not notify."""
    try:
        return alert_store.pending_notifications(alerts, settings.alerts_index, settings.pending_limit)
    except Exception as error:  # the rules still run; the pending alerts wait for the next run
        report.notify_errors.append(f"pending notifications: {type(error).__name__}: {error}")
        return []


def _hand_off(
    alerts: OpenSearch,
    handoffs: Handoffs,
    report: RunReport,
    settings: RunSettings,
    pending_ids: set[str],
    by_id: dict[str, dict[str, Any]],
    lease: IncidentLease,
) -> None:
    """Each incident to each channel, then its alerts marked ``notified`` once all have them.

    A failure is recorded and the loop goes on: the alerts stay ``notified: false`` and the
    next run folds them again (no change) and sends what a channel still lacks (at least once:
    a mark that fails after a send repeats it).
    """
    for change in report.incidents:
        try:
            lease.check()  # past its hold, a record on the incident could be written back stale
        except LeaseExpired as error:
            _failed(report, change, error)
            continue
        sent = True
        if handoffs.notifier is not None:
            sent = _notify(alerts, handoffs.notifier, change, report, settings, lease)
        if handoffs.bus is not None:
            sent = (
                _publish(alerts, handoffs.bus, change, report, settings, by_id, lease, mark_alerts=not sent)
                and sent
            )
        if not sent:
            continue
        try:
            for alert_id in change.alert_ids:
                alert_store.mark_notified(alerts, settings.alerts_index, alert_id)
                report.renotified += alert_id in pending_ids
        except Exception as error:  # the alerts collection down: the next run retries
            _failed(report, change, error)


def _failed(report: RunReport, change: IncidentChange, error: Exception | str) -> None:
    identifier = change.incident["incident"]["id"]
    text = f"{type(error).__name__}: {error}" if isinstance(error, Exception) else error
    report.notify_errors.append(f"notify {identifier}: {text}")
    LOGGER.warning("incident %s not notified: %s", identifier, text)


def _notify(
    alerts: OpenSearch,
    notifier: Notifier,
    change: IncidentChange,
    report: RunReport,
    settings: RunSettings,
    lease: IncidentLease,
) -> bool:
    """SNS: one message if the incident is new or escalated, then its record; ``False`` on failure."""
    incident = change.incident
    try:
        if needs_notification(incident):
            notifier.notify_incident(incident)
            report.notified += 1
            incident_store.mark_notified(alerts, settings.incidents_index, incident, lease=lease)
    except Exception as error:  # SNS or the alerts collection down: the next run retries
        _failed(report, change, error)
        return False
    return True


def _publish(
    alerts: OpenSearch,
    bus: EventPublisher,
    change: IncidentChange,
    report: RunReport,
    settings: RunSettings,
    by_id: dict[str, dict[str, Any]],
    lease: IncidentLease,
    mark_alerts: bool,
) -> bool:
    """The bus: the incident's event if it is new or escalated there, and one per alert it has
    not taken yet; ``False`` unless all went. With ``mark_alerts`` (another channel failed, so
    the alerts stay pending) each alert whose event went is set ``alert.published: true``."""
    incident = change.incident
    identifier = incident["incident"]["id"]
    events = []
    if needs_notification(incident, PUBLISHED):
        events.append(incident_event(incident, announced_change(incident, PUBLISHED)))
    alerts_sent = [
        by_id[alert_id] for alert_id in change.alert_ids if not by_id[alert_id]["alert"].get("published")
    ]
    events += [alert_event(alert, identifier) for alert in alerts_sent]
    try:
        failures = bus.publish(events)
    except Exception as error:  # a publisher that raises instead of reporting: retried next run
        _failed(report, change, f"event bus: {type(error).__name__}: {error}")
        return False
    failed = {failure.key for failure in failures}
    report.published += len(events) - len(failures)
    try:
        if events and events[0].key == f"incident:{identifier}" and events[0].key not in failed:
            incident_store.mark_notified(alerts, settings.incidents_index, incident, PUBLISHED, lease)
        if mark_alerts or failures:
            for alert in alerts_sent:
                if f"alert:{alert['alert']['id']}" not in failed:
                    alert_store.mark_published(alerts, settings.alerts_index, alert)
    except Exception as error:  # the alerts collection down: the next run sends them again
        _failed(report, change, error)
        return False
    for failure in failures:
        _failed(report, change, f"event bus: {failure.key}: {failure.error}")
    return not failures
