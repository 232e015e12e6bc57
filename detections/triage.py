"""On-call's status changes (``siem incidents ack / close / reopen``), written under the
incidents' lease (:mod:`detections.incident_lease`), as a detection run's fold is.

The incident is read by id (real time), changed (:func:`detections.incident_status.change_status`)
and written back whole, all while holding the lease: a fold cannot write between this read and
this write (it would revert the change), and this write cannot carry a copy older than a fold's
(it would drop the fold's alerts).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opensearchpy import OpenSearch

from detections import incidents
from detections.incident_lease import WAIT_SECONDS, Clock, release_quietly, wait_for_lease
from detections.incident_status import StatusChange, UnknownIncident, change_status


@dataclass(frozen=True, slots=True)
class TriageOutcome:
    incident: dict[str, Any]
    """The incident as stored after the change."""
    previous: str
    """Its status before."""
    changed: bool
    """``False``: it already was so (nothing written)."""


def triage(
    client: OpenSearch,
    index: str,
    identifier: str,
    change: StatusChange,
    now: datetime,
    wait: float = WAIT_SECONDS,
    clock: Clock = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TriageOutcome:
    """Apply ``change`` to the incident ``identifier`` under the lease (waiting up to ``wait``
    seconds for a run that holds it: :class:`~detections.incident_lease.LeaseBusy` after).

    Raises :class:`~detections.incident_status.UnknownIncident` (checked before the lease
    too: a typo neither waits nor creates a lease in a wrong ``index``), ``MergedIncident`` or
    ``RefusedTransition`` (nothing written)."""
    _get(client, index, identifier)  # an unknown id (a typo, another --index) waits for no lease
    lease = wait_for_lease(client, index, now, wait, clock, sleep)
    try:
        incident = _get(client, index, identifier)  # as it is now, under the lease
        previous = incident["incident"]["status"]
        changed = change_status(incident, change, now)
        if changed:
            incidents.write_incidents(client, index, [incident], lease)
        return TriageOutcome(incident, previous, changed)
    finally:
        release_quietly(lease)


def _get(client: OpenSearch, index: str, identifier: str) -> dict[str, Any]:
    incident = incidents.get_incident(client, index, identifier)
    if incident is None:
        raise UnknownIncident(f"no incident {identifier!r} in {index}")
    return incident
