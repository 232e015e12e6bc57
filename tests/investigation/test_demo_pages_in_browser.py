"""The demo incident's investigation and its month's report, both pages of the shared shell
(html_pages), in headless Chromium: each lays out with its charts, logs nothing to the console
(no refused load, no error), links only the product's dashboard, and prints to PDF. Skipped
where Chromium is not installed."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from demo import Incident
from investigation import investigate, render
from posture.render import html_report
from posture.report import build_reports, parse_period
from tests.html_pages.browser import SKIP, load, print_pdf
from tests.investigation.conftest import Siem

pytestmark = [pytest.mark.integration, SKIP]

DASHBOARDS = "https://dashboards.example/_dashboards"
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?!s)")


class Built(HTMLParser):
    """What the browser built: headings, links, each chart's title and its drawn shapes."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.links: list[str] = []
        self.charts: list[str] = []
        self.shapes: list[tuple[str, dict[str, str | None]]] = []
        self._in: str | None = None
        self._depth = 0
        self.feed(dom)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href") or "")
        self._depth += tag == "svg"
        if self._depth:
            self.shapes.append((tag, values))
        if tag == "svg" or tag in ("h1", "h2"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._depth -= tag == "svg"
        if tag in ("h1", "h2"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in in ("h1", "h2"):
            self.headings.append(data)
        elif self._in == "svg":  # the first text in an <svg> is its <title>
            self.charts.append(data)
            self._in = None

    def count(self, tag: str, **attributes: str) -> int:
        return sum(
            each == tag and all(values.get(k.replace("_", "-")) == v for k, v in attributes.items())
            for each, values in self.shapes
        )


def _headline_id(incident: Incident) -> str:
    headline = incident.headline_finding
    assert headline is not None
    return headline.id


def test_the_demo_investigation_lays_out_with_its_chain_and_timeline(
    siem: Siem, demo_incident: Incident, tmp_path: Path
) -> None:
    report = investigate(siem.client, _headline_id(demo_incident), dashboards_url=DASHBOARDS)
    page = render(report, "html")
    loaded = load(page, tmp_path)
    built = Built(loaded.dom)

    assert loaded.console == []
    assert built.links == [report.dashboards_url] and report.dashboards_url.startswith(DASHBOARDS)
    assert [h for h in built.headings if not h.startswith("Investigation of")] == [
        *("Finding", "Who", "When", "What", "Activity of the chain", "Timeline", "From where"),
        *("Network (VPC flows)", "Created or changed by the chain", "Related findings", "Links"),
    ]
    assert built.charts == [
        "The credential chain, from its origin to the finding's credential",
        "Important events of each hop of the chain (dots) over the subject's activity (bars)",
    ]
    # docs/demo.md: the stolen user key -> CrossAccountDeployRole -> OpsAdminRole, one box each.
    assert built.count("rect", rx="6") == len(report.who.chain) == 3
    assert built.count("line", marker_end="url(#arrow)") == 2
    # One dot per important event of the timeline (the 21 of the story, test_demo_timeline.py).
    assert built.count("circle", stroke="#fff") == len(report.timeline.entries) == 21
    pdf = print_pdf(page, tmp_path)
    assert pdf.startswith(b"%PDF-") and len(PAGE_OBJECT.findall(pdf)) >= 2


def test_the_demo_month_report_lays_out_one_section_per_account(
    siem: Siem, demo_incident: Incident, tmp_path: Path
) -> None:
    period = parse_period(demo_incident.window_start[:7])
    reports = build_reports(siem.client, "siem-", period)
    page = html_report(reports, period)
    loaded = load(page, tmp_path)
    built = Built(loaded.dom)

    assert loaded.console == [] and built.links == []
    assert len(reports) == 3  # the security, dev and prod accounts (docs/demo.md)
    assert built.headings == [f"Security report {period.label}"] + [f"Account {r.account}" for r in reports]
    assert built.charts == [
        chart
        for r in reports
        for chart in (
            f"Findings of account {r.account} by severity: new and resolved in the period, open at its end",
            *(
                [f"New findings of account {r.account} by week of the period and severity"]
                if r.new_by_week
                else []
            ),
            "Failed controls and rules: start and end of the period",
        )
    ]
    assert any(r.new_by_week for r in reports)  # the incident month has new findings: a trend drawn
    pdf = print_pdf(page, tmp_path)
    assert pdf.startswith(b"%PDF-") and len(PAGE_OBJECT.findall(pdf)) >= len(reports)  # a page each
