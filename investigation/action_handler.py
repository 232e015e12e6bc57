"""Lambda entry point of the Security Hub custom action "Investigate in SIEM" (infra/handoffs.py).

An analyst selects findings in the Security Hub console and chooses the action; Security Hub
sends a "Security Hub Findings - Custom Action" event (``detail.findings``: the findings in
ASFF). For each finding this runs the investigation ``siem investigate`` runs and writes its
summary and its Dashboards link into the finding's note with ``BatchUpdateFindings`` (the only
call the function's role may make on Security Hub, and only on ``Note``: infra/handoffs.py).

Environment: ``OPENSEARCH_ENDPOINT`` (the logs collection), ``INDEX_PREFIX`` (default
``siem-``), ``DASHBOARDS_URL`` (optional: the link), ``OPENSEARCH_AUTH`` (default ``aoss``),
``AWS_REGION``.

A finding not ingested yet gets a note saying so (run the action again later). A failure to
investigate or to update a finding is raised after the others are done, so that Lambda's
asynchronous retries try again (a note written twice is the same note).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from investigation import FindingNotFound, Report, investigate
from investigation.safe_text import one_line
from investigation.settings import InvestigationSettings
from opensearch_client import ConnectionSettings, make_client

LOGGER = logging.getLogger(__name__)

NOTE_LIMIT = 512
"""``Note.Text``: at most 512 characters (Security Hub API reference, ``Note``)."""
UPDATED_BY = "aws-siem"
"""``Note.UpdatedBy``: the principal named as the note's author (a non-empty string)."""
MIN_SUMMARY = 40
"""Characters of summary a link must leave room for; a longer link is replaced by a pointer."""
MAX_FINDINGS = 100
"""``FindingIdentifiers`` per ``BatchUpdateFindings`` request."""


class ActionFailed(RuntimeError):
    """Some findings were not investigated or not updated (their reasons are in the message)."""


@dataclass(frozen=True, slots=True)
class FindingRef:
    """What ``FindingIdentifiers`` needs: the finding's ``Id`` and its ``ProductArn``."""

    id: str
    product_arn: str

    def to_identifier(self) -> dict[str, str]:
        return {"Id": self.id, "ProductArn": self.product_arn}


def findings_of(event: Mapping[str, Any]) -> list[FindingRef]:
    """The findings a custom action event carries (those without ``Id``/``ProductArn`` skipped)."""
    findings = (event.get("detail") or {}).get("findings") or []
    return [
        FindingRef(str(finding["Id"]), str(finding["ProductArn"]))
        for finding in findings
        if isinstance(finding, Mapping) and finding.get("Id") and finding.get("ProductArn")
    ]


def note_text(report: Report, now: datetime) -> str:
    """The investigation in at most 512 characters: who, what, the link whole (cut: the summary)."""
    head = f"SIEM investigation {now.strftime('%Y-%m-%dT%H:%MZ')}: "
    summary = (
        " ".join(
            part
            for part in (
                f"Who: {one_line(report.who.summary)}." if report.who.summary else "",
                f"What: {one_line(report.what.summary)}." if report.what.summary else "",
            )
            if part
        )
        or "No CloudTrail activity found for this finding."
    )
    link = f" Dashboards: {report.dashboards_url}" if report.dashboards_url else ""
    if len(head) + len(link) + MIN_SUMMARY > NOTE_LIMIT:
        link = " Full report: siem investigate with this finding's Id."
    room = NOTE_LIMIT - len(head) - len(link)
    if len(summary) > room:
        summary = summary[: room - 1].rstrip() + "…"
    return head + summary + link


def not_found_text(now: datetime) -> str:
    return (
        f"SIEM investigation {now.strftime('%Y-%m-%dT%H:%MZ')}: this finding is not in the SIEM yet "
        "(findings are indexed within minutes of being updated); run the action again later."
    )


def update_note(securityhub: Any, finding: FindingRef, text: str) -> list[str]:
    """``BatchUpdateFindings`` of the note; the reasons of what Security Hub did not process."""
    response = securityhub.batch_update_findings(
        FindingIdentifiers=[finding.to_identifier()],
        Note={"Text": text, "UpdatedBy": UPDATED_BY},
    )
    return [
        f"{item['FindingIdentifier']['Id']}: {item.get('ErrorCode')}: {item.get('ErrorMessage')}"
        for item in response.get("UnprocessedFindings", [])
    ]


def annotate(
    client: Any,
    securityhub: Any,
    findings: Sequence[FindingRef],
    settings: InvestigationSettings,
    now: datetime,
) -> dict[str, Any]:
    """Investigate each finding and write its note; raise :class:`ActionFailed` at the end if any failed."""
    updated: list[str] = []
    failed: list[str] = []
    for finding in findings[:MAX_FINDINGS]:
        try:
            report = investigate(
                client,
                finding.id,
                window=settings.window,
                prefix=settings.prefix,
                dashboards_url=settings.dashboards_url,
            )
            text = note_text(report, now)
        except FindingNotFound:
            text = not_found_text(now)
        except Exception as error:  # the engine unreachable, a query refused: retried by Lambda
            failed.append(f"{finding.id}: investigation: {type(error).__name__}: {error}")
            continue
        try:
            unprocessed = update_note(securityhub, finding, text)
        except Exception as error:  # throttled past botocore's retries, access denied
            unprocessed = [f"{finding.id}: {type(error).__name__}: {error}"]
        failed += unprocessed
        if not unprocessed:
            updated.append(finding.id)
    for failure in failed:
        LOGGER.error("not annotated: %s", failure)
    if failed:
        raise ActionFailed(f"{len(failed)} of {len(findings)} findings not annotated: {'; '.join(failed)}")
    return {"updated": updated}


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    env = os.environ
    endpoint = env.get("OPENSEARCH_ENDPOINT")
    if not endpoint:
        raise ValueError("OPENSEARCH_ENDPOINT is not set")
    connection = ConnectionSettings.from_env(endpoint, env)
    settings = InvestigationSettings(
        connection,
        prefix=env.get("INDEX_PREFIX") or "siem-",
        dashboards_url=env.get("DASHBOARDS_URL") or None,
    )
    securityhub = boto3.Session(region_name=connection.region).client("securityhub")
    return annotate(make_client(connection), securityhub, findings_of(event), settings, datetime.now(UTC))
