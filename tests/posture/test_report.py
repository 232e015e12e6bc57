"""``siem report`` for November 2026 on the embedded engine, answering like Serverless, with
expectations counted by hand from the records below; the files it writes (byte-identical on a
rerun, the CSV in UTF-8 with a byte order mark) and the HTML in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import config as cfg
from demo.records import guardduty as gd
from demo.records import securityhub as sh
from opensearch_assets.templates import install_templates
from posture.render import write_reports
from posture.report import build_reports, parse_period, week_of, weeks
from tests.assets.fixtures import normalize_bytes
from tests.assets.indexing import PREFIX, index_documents

pytestmark = pytest.mark.integration

A, B = "111111111111", "222222222222"
OCT = datetime(2026, 10, 1, 9, tzinfo=UTC)
T1, T2 = datetime(2026, 11, 3, 9, tzinfo=UTC), datetime(2026, 11, 20, 9, tzinfo=UTC)
DEC = datetime(2026, 12, 2, 9, tzinfo=UTC)
PERIOD = parse_period("2026-11")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _control(
    finding_id: str,
    status: str,
    label: str,
    created: datetime,
    updated: datetime,
    account: str = A,
    **extra: Any,
) -> dict[str, Any]:
    spec = sh.ControlSpec(
        status=status,
        label=label,
        account=account,
        resource=sh.resource("AwsS3Bucket", f"arn:aws:s3:::{finding_id}"),
        created=created,
        updated=updated,
        finding_id=finding_id,
        **extra,
    )
    return sh.control_finding(spec)


def _documents() -> list[tuple[str, dict[str, Any]]]:
    findings = [
        _control("fixed", "FAILED", "HIGH", T1, T1),
        _control("fixed", "PASSED", "HIGH", T1, T2),  # resolved in the period
        _control("open-high", "FAILED", "HIGH", T1, T1),  # new and open
        _control("old-open", "FAILED", "MEDIUM", OCT, OCT),  # open, not new
        _control("archived", "FAILED", "CRITICAL", T1, T1),
        _control("archived", "FAILED", "CRITICAL", T1, T2, record_state="ARCHIVED"),  # new, resolved
        _control("future", "FAILED", "LOW", DEC, DEC),  # after the period: not seen
        _control("b-failing", "FAILED", "HIGH", T1, T1, account=B),
    ]
    threat = gd.finding(
        gd.FindingSpec(
            severity=8.0,
            account=A,
            id="gd-a-high",
            created=T1,
            updated=T1,
            title="Key used from a malicious IP",
        )
    )
    items = [
        cfg.resource_compliance_item(
            A,
            "us-east-1",
            "AWS::EC2::SecurityGroup",
            "sg-1",
            datetime(2026, 10, 20, tzinfo=UTC),
            (("restricted-ssh", "NON_COMPLIANT"),),
        ),
        cfg.resource_compliance_item(
            A, "us-east-1", "AWS::EC2::SecurityGroup", "sg-1", T2, (("restricted-ssh", "COMPLIANT"),)
        ),
        cfg.configuration_item(
            A,
            "us-east-1",
            "AWS::EC2::SecurityGroup",
            "sg-1",
            T1,
            {"groupId": "sg-1"},
            status="ResourceDiscovered",
        ),
    ]
    _, hub = normalize_bytes("report/sh.json", json.dumps(sh.get_findings_response(findings)).encode())
    _, duty = normalize_bytes("report/gd.jsonl", (json.dumps(threat) + "\n").encode())
    _, config = normalize_bytes("report/config.json", cfg.history_file(items))
    alerts = [
        _alert(T1, 73, "mallory", A),
        _alert(T2, 40, "bob", A),
        _alert(OCT, 90, "eve", A),  # before the period
    ]
    return (
        [("securityhub", d) for d in hub]
        + [("guardduty", d) for d in duty]
        + [("config", d) for d in config]
        + [("alerts", a) for a in alerts]
    )


def _alert(moment: datetime, severity: int, user: str, account: str) -> dict[str, Any]:
    # Written a month after the activity it reports: the report counts the activity's period.
    return {
        "@timestamp": (moment + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "event": {"kind": "alert", "severity": severity, "start": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        "rule": {"id": "siem-test-rule"},
        "user": {"name": user},
        "cloud": {"account": {"id": account}},
    }


@pytest.fixture
def loaded(engine: OpenSearch) -> OpenSearch:
    install_templates(engine, PREFIX)
    assert index_documents(engine, _documents()) == []
    return engine


def test_each_account_s_numbers_for_the_period(loaded: OpenSearch) -> None:
    reports = {r.account: r for r in build_reports(loaded, PREFIX, PERIOD)}
    assert set(reports) == {A, B}
    a = reports[A]
    assert dict(a.new) == {"HIGH": 2, "CRITICAL": 1}  # open-high, the GuardDuty finding; archived
    assert dict(a.resolved) == {
        "INFORMATIONAL": 1,
        "CRITICAL": 1,
    }  # fixed (a passing result is informational)
    assert dict(a.open) == {"HIGH": 2, "MEDIUM": 1}
    assert dict(a.new_by_week) == {(0, "HIGH"): 2, (0, "CRITICAL"): 1}  # all created on the 3rd
    assert [f.id for f in a.open_findings] == ["gd-a-high", "open-high", "old-open"]
    assert (a.failed_controls_start, a.failed_controls_end, a.passed_controls_end) == (2, 2, 2)
    assert a.failing == [
        ("S3.8", "arn:aws:s3:::old-open", "FAILED"),
        ("S3.8", "arn:aws:s3:::open-high", "FAILED"),
    ]
    assert a.alerts == 2 and a.high_alert_identities == [("mallory", 1)]
    assert a.changes == [("2026-11-03T09:00:00Z", "AWS::EC2::SecurityGroup", "sg-1", "ResourceDiscovered")]
    b = reports[B]
    assert (dict(b.new), dict(b.open), b.failed_controls_start, b.failed_controls_end) == (
        {"HIGH": 1},
        {"HIGH": 1},
        0,
        1,
    )
    only_b = build_reports(loaded, PREFIX, PERIOD, (B,))
    assert [r.account for r in only_b] == [B]


def test_files_are_byte_identical_on_a_rerun_and_the_csv_opens_as_utf8(
    loaded: OpenSearch, tmp_path: Path
) -> None:
    first = write_reports(
        build_reports(loaded, PREFIX, PERIOD), PERIOD, ("html", "csv", "md"), tmp_path / "1"
    )
    second = write_reports(
        build_reports(loaded, PREFIX, PERIOD), PERIOD, ("html", "csv", "md"), tmp_path / "2"
    )
    assert [p.name for p in first] == [
        "report-2026-11.html",
        "open-findings-2026-11.csv",
        "report-2026-11.md",
    ]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    data = first[1].read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["account", "source", "severity"]
    assert [(r[0], r[-1]) for r in rows[1:]] == [
        (A, "gd-a-high"),
        (A, "open-high"),
        (A, "old-open"),
        (B, "b-failing"),
    ]
    assert b"\r\n" in data


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)"
)
def test_the_html_report_renders_in_a_browser(loaded: OpenSearch, tmp_path: Path) -> None:
    [page] = write_reports(build_reports(loaded, PREFIX, PERIOD), PERIOD, ("html",), tmp_path)
    assert CHROMIUM is not None
    completed = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = completed.stdout
    assert "Security report 2026-11" in dom and f"Account {A}" in dom and f"Account {B}" in dom
    # Per account: severity and failed controls; A's and B's new findings by week.
    assert dom.count("<svg") == 6
    assert "<script" not in dom


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-11", ["01-07", "08-14", "15-21", "22-28", "29-30"]),
        ("2027-02", ["01-07", "08-14", "15-21", "22-28"]),
        ("2028-02", ["01-07", "08-14", "15-21", "22-28", "29-29"]),
        ("2026-12", ["01-07", "08-14", "15-21", "22-28", "29-31"]),
    ],
)
def test_the_trend_s_weeks_cover_the_month(period: str, expected: list[str]) -> None:
    assert weeks(parse_period(period)) == expected
    assert week_of("2026-11-07T23:59:59.999Z") == 0 and week_of("2026-11-08T00:00:00.000Z") == 1
    assert week_of("2026-12-31T23:59:59.999Z") == 4
