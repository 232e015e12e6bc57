"""Settings of an investigation: where the findings and CloudTrail indices are (the shared
connection settings) and how far around a finding to look. Built from ``siem investigate``'s
options; the detections build theirs from their own settings (``RunSettings``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from investigation.investigator import DEFAULT_WINDOW
from opensearch_client import ConnectionSettings


@dataclass(frozen=True, slots=True)
class InvestigationSettings:
    connection: ConnectionSettings
    prefix: str = "siem-"
    """Index name prefix."""
    window: timedelta = DEFAULT_WINDOW
    """CloudTrail is searched from first observed minus ``window`` to last observed plus ``window``."""
    dashboards_url: str | None = None
    """OpenSearch Dashboards base URL, for a link to the Finding investigation dashboard."""
