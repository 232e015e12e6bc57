"""Renderers: one layout, four formats, nothing unescaped."""

from __future__ import annotations

import io

import orjson
import pytest

from investigation import render
from investigation.chain import Link
from investigation.finding import from_document
from investigation.report import ActionCount, Count, Report, What, When, Where, Who
from normalizers import Origin, normalize_object
from tests.conftest import GOLDEN

HOSTILE = "<script>alert('x')</script> | *bold*"


def report() -> Report:
    finding = from_document(
        {
            "@timestamp": "2026-03-02T09:00:00Z",
            "message": HOSTILE,
            "event": {"kind": "alert"},
            "aws": {
                "guardduty": {"id": "f1", "user_identity": {"type": "IAMUser", "access_key_id": "AKIAX"}}
            },
        }
    )
    who = Who(
        mode="credential",
        chain=[Link("arn:aws:iam::1:user/u", "IAMUser", "1", "AKIAX")],
        complete=True,
        summary="The finding's credential belongs to arn:aws:iam::1:user/u.",
    )
    when = When(
        "2026-03-02T07:00:00.000Z",
        "2026-03-02T11:00:00.000Z",
        "2026-03-02T09:00:00.000Z",
        "2026-03-02T09:00:00.000Z",
        histogram=[("2026-03-02T09:00:00.000Z", 3)],
        interval="5m",
    )
    what = What(events=3, actions=[ActionCount("s3.amazonaws.com", "GetObject", 3, 1)], summary="3 events")
    where = Where(ips=[Count("203.0.113.7", 3)], user_agents=[Count(HOSTILE, 3)])
    return Report(
        finding, who, when, what, where, dashboards_url="https://d.example/_dashboards/app/x?a=1&b=2"
    )


def test_html_escapes_every_value() -> None:
    html = render(report(), "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert (
        '<a class="button" href="https://d.example/_dashboards/app/x?a=1&amp;b=2" rel="noreferrer">' in html
    )


def test_markdown_escapes_table_pipes() -> None:
    markdown = render(report(), "markdown")
    assert "\\| \\*bold\\*" in markdown
    assert "| s3\\.amazonaws\\.com | GetObject | 3 | 1 |" in markdown


def test_text_and_json_carry_the_same_facts() -> None:
    text = render(report(), "text")
    data = orjson.loads(render(report(), "json"))
    assert data["what"]["actions"] == [
        {"provider": "s3.amazonaws.com", "action": "GetObject", "count": 3, "errors": 1}
    ]
    assert data["when"]["histogram"] == [{"time": "2026-03-02T09:00:00.000Z", "count": 3}]
    for fact in ("arn:aws:iam::1:user/u", "GetObject", "203.0.113.7", "2026-03-02T09:00:00.000Z"):
        assert fact in text


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render(report(), "pdf")  # type: ignore[arg-type]


def test_a_kubernetes_finding_shows_its_namespace_object_and_container() -> None:
    """The golden GuardDuty exec finding, normalized, then investigated: the workload it names
    is shown as the fields to query (docs/sources/guardduty.md, "Kubernetes API calls")."""
    lines = (GOLDEN / "guardduty" / "kubernetes-api-calls" / "input.jsonl").read_bytes().splitlines()
    origin = Origin("golden/guardduty/kubernetes-api-calls", "2026-06-01T12:00:00Z")
    documents = [item for item in normalize_object(io.BytesIO(lines[1]), origin) if isinstance(item, dict)]
    finding = from_document(documents[0])
    assert finding.workload == (
        ("orchestrator.type", "kubernetes"),
        ("orchestrator.cluster.name", "orders"),
        ("orchestrator.namespace", "kube-system"),
        ("orchestrator.resource.type", "pods"),
        ("orchestrator.resource.name", "aws-node-7xk2p"),
        ("container.name", "aws-node"),
        ("container.image.name", "602401143452.dkr.ecr.eu-central-1.amazonaws.com/amazon-k8s-cni"),
        ("container.security_context.privileged", "true"),
    )
    base = report()
    investigated = Report(finding, base.who, base.when, base.what, base.where)
    text = render(investigated, "text")
    assert "orchestrator.namespace" in text and "kube-system" in text
    data = orjson.loads(render(investigated, "json"))
    assert data["finding"]["workload"]["orchestrator.resource.name"] == "aws-node-7xk2p"
    assert "workload field" not in render(base, "text")
