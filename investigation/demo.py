"""The last step of ``make demo``: investigate the demo incident's findings.

``siem_cli/demo.py`` calls :func:`show` after ingestion (``POST_INGEST_STEPS``) with its
context: the guarded client on the embedded engine and the incident's ground truth.
"""

from __future__ import annotations

from typing import Any, Protocol

from investigation.investigator import investigate
from investigation.render import render


class DemoContext(Protocol):
    client: Any
    incident: Any
    index_prefix: str


def show(context: DemoContext) -> None:
    """Print the full investigation of the headline finding, then one line per finding."""
    incident = context.incident
    findings = [*incident.guardduty_findings, *incident.securityhub_findings]
    headline = incident.headline_finding
    print("\n== Investigation of the headline finding (siem investigate) ==\n")
    if headline is not None:
        print(render(investigate(context.client, headline.id, prefix=context.index_prefix), "text"))
    print("== Every finding, investigated ==\n")
    for truth in findings:
        report = investigate(context.client, truth.id, prefix=context.index_prefix)
        print(
            f"{truth.source:<11} {truth.kind:<52} {report.finding.mode:<10} {report.queries:>2} searches  "
            f"{report.what.events:>3} events  origin: {_origin(report)}"
        )


def _origin(report: Any) -> str:
    chain = report.who.chain
    if not chain:
        return "-"
    hops = f" ({len(chain) - 1} hop{'s' if len(chain) != 2 else ''})" if len(chain) > 1 else ""
    return f"{chain[-1].label}{hops}" + ("" if report.who.complete else " (incomplete)")
