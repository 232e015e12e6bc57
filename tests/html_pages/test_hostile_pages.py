"""Values an attacker wrote into the logs stay text in both pages (issue 14, deliverable 4).

A finding title, a role session name and a user agent each carry a payload that would run a
script if the page let it out: a ``<script>`` element, a quote that ends an attribute and opens
an ``<img onerror>``, and a ``</text></svg>`` that leaves an SVG label to open an ``<svg
onload>``. Each page is parsed as a browser's parser reads it, then loaded in headless Chromium
*without* its Content Security Policy (so escaping alone must hold): no script runs. A page with
a payload pasted in raw shows that the check sees a script that ran.

Where each value shows: the investigation names the title (heading, finding, related findings),
the session (the chain's diagram and table, the timeline's lanes and dots, every hop) and the
user agent ("From where"); the report names the title as a failing control, the session as the
identity behind high-severity alerts and as a changed resource (it shows no user agent).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from investigation import render
from investigation.chain import Issuance, Link
from investigation.finding import from_document
from investigation.render import SAMPLE_WARNING
from investigation.report import (
    ActionCount,
    Count,
    HopActivity,
    RelatedFinding,
    Report,
    Timeline,
    TimelineEvent,
    What,
    When,
    Where,
    Who,
)
from investigation.scope import Scope, Terms
from posture.render import html_report
from posture.report import AccountReport, Finding, parse_period
from tests.html_pages.browser import SKIP, load, without_policy
from tests.html_pages.parsed import Parsed

SET = "document.documentElement.setAttribute('data-pwned','{}')"
TITLE = f"<script>{SET.format('title')}</script> Recon"
SESSION = f'ops"><img src=x onerror="{SET.format("session")}">'
AGENT = (
    f'aws-cli/2 \'></text></svg><svg onload="{SET.format("agent")}"><script>{SET.format("agent")}</script>'
)
PAYLOADS = (TITLE, SESSION, AGENT)
DASHBOARDS = "https://dashboards.example/_dashboards/app/dashboards#/view/x?_g=(a:1)&_a=(q:'b')"
ACCOUNT = "111122223333"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/OpsAdmin/{SESSION}"


def investigation(sample: bool = False) -> Report:
    finding = from_document(
        {
            "@timestamp": "2026-03-02T09:00:00.000Z",
            "message": TITLE,
            "event": {"kind": "alert", "severity": 70},
            "cloud": {"account": {"id": ACCOUNT}, "region": "us-east-1"},
            "aws": {
                "guardduty": {
                    "id": "f1",
                    "type": "Recon:IAMUser/MaliciousIPCaller",
                    "user_identity": {"type": "AssumedRole", "access_key_id": "ASIAHOSTILE"},
                }
            },
        }
    )
    issued = Issuance("AssumeRole", "2026-03-02T08:55:00.000Z", "e0", ACCOUNT, "203.0.113.7")
    session = Link(SESSION_ARN, "AssumedRole", ACCOUNT, "ASIAHOSTILE", name=SESSION, issued_by=issued)
    user = Link(f"arn:aws:iam::{ACCOUNT}:user/ci", "IAMUser", ACCOUNT, "AKIAEXAMPLE", name="ci")
    times = ("2026-03-02T08:55:00.000Z", "2026-03-02T09:01:00.000Z")
    hops = [
        HopActivity(
            1, SESSION_ARN, "ASIAHOSTILE", 3, 1, 0, 0, times[1], times[1], [Count("CreateUser", 1)], []
        ),
        HopActivity(
            2, user.label, "AKIAEXAMPLE", 1, 0, 0, 0, times[0], times[0], [Count("AssumeRole", 1)], []
        ),
    ]
    entries = [
        TimelineEvent(times[0], "e0", 2, user.label, "sts.amazonaws.com", "AssumeRole", "success", None,
                      "203.0.113.7", ("credentials",), (SESSION_ARN,)),
        TimelineEvent(times[1], "e1", 1, SESSION_ARN, "iam.amazonaws.com", "CreateUser", "success", None,
                      "203.0.113.7", ("write",), (f"user.target.name={SESSION}",)),
    ]  # fmt: skip
    return Report(
        replace(finding, sample=sample),
        Who(
            "credential", [session, user], complete=True, summary=f"The credential belongs to {SESSION_ARN}."
        ),
        When(*times, times[1], times[1], times[0], times[1], "5m", [(times[0], 1), (times[1], 3)]),
        What(events=3, actions=[ActionCount("iam.amazonaws.com", "CreateUser", 1, 0)], summary="3 events"),
        Where(ips=[Count("203.0.113.7", 4)], user_agents=[Count(AGENT, 4)]),
        [RelatedFinding("f2", "guardduty", TITLE, "Recon", 5.0, times[1], ACCOUNT, shared=("ASIAHOSTILE",))],
        dashboards_url=DASHBOARDS,
        timeline=Timeline(
            Scope(
                times[0],
                times[1],
                ((Terms("aws.cloudtrail.user_identity.access_key_id", ("ASIAHOSTILE",)),),),
            ),
            events=4,
            important=2,
            hops=hops,
            entries=entries,
        ),
        queries=6,
    )


def report() -> str:
    period = parse_period("2026-11")
    finding = Finding(
        ACCOUNT, "guardduty", "f1", TITLE, "HIGH", "ACTIVE", SESSION_ARN, "2026-11-03", "2026-11-03", True
    )
    account = AccountReport(
        ACCOUNT,
        new=Counter(HIGH=1),
        open=Counter(HIGH=1),
        failed_controls_end=1,
        failing=[(TITLE, SESSION_ARN, "FAILED")],
        alerts=2,
        high_alert_identities=[(SESSION, 2)],
        changes=[("2026-11-03T09:00:00.000Z", "AWS::IAM::User", SESSION, "ResourceDiscovered")],
        open_findings=[finding],
    )  # fmt: skip
    return html_report([account], period)


PAGES = {"investigation": lambda: render(investigation(), "html"), "report": report}


@pytest.mark.parametrize("name", PAGES)
def test_every_payload_is_text_in_the_page(name: str) -> None:
    parsed = Parsed(PAGES[name]())
    tags = {tag for tag, _ in parsed.elements}
    assert not tags & {"script", "img", "iframe", "object", "embed"}
    assert not [(tag, key) for tag, attrs in parsed.elements for key in attrs if key.startswith("on")]
    assert parsed.attribute("a", "href") == ([DASHBOARDS] if name == "investigation" else [])
    assert sum(tag == "svg" for tag, _ in parsed.elements) == 2  # the product's charts, no more
    shown = [payload for payload in PAYLOADS if payload in parsed.text]
    assert shown == (list(PAYLOADS) if name == "investigation" else [TITLE, SESSION])


def test_the_session_name_is_text_in_the_chain_diagram_and_the_timeline() -> None:
    """Both charts name the session: cut to fit in their labels, whole in their hover titles."""
    charts = re.findall(r"<svg.*?</svg>", render(investigation(), "html"), re.DOTALL)
    assert len(charts) == 2
    for chart in charts:
        parsed = Parsed(chart)
        assert {tag for tag, _ in parsed.elements} <= {
            *("svg", "title", "defs", "marker", "path", "rect", "text", "line", "circle"),
        }
        assert SESSION in parsed.text


def test_a_sample_finding_is_marked_in_the_title_and_a_banner() -> None:
    parsed = Parsed(render(investigation(sample=True), "html"))
    assert parsed.attribute("p", "class") == ["banner"]
    assert SAMPLE_WARNING in parsed.text
    assert parsed.text.lstrip().startswith("Investigation of SAMPLE guardduty finding")
    assert Parsed(render(investigation(), "html")).attribute("p", "class") == []


@SKIP
@pytest.mark.parametrize("name", PAGES)
def test_no_script_runs_in_chromium_even_without_the_page_s_policy(name: str, tmp_path: Path) -> None:
    page = PAGES[name]()
    for shown in (page, without_policy(page)):
        loaded = load(shown, tmp_path)
        html = Parsed(loaded.dom)
        assert html.attribute("html", "data-pwned") == []
        assert not {tag for tag, _ in html.elements} & {"script", "img"}
        assert loaded.console == []


@SKIP
def test_the_check_sees_a_script_that_ran(tmp_path: Path) -> None:
    raw = without_policy(report()).replace("<body>", f"<body>{TITLE}")
    assert Parsed(load(raw, tmp_path).dom).attribute("html", "data-pwned") == ["title"]
