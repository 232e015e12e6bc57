"""The ``make demo`` step: the demo incident's compliance posture and its month's report."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo import write_incident
from opensearch_assets.templates import install_templates
from posture import demo
from posture.state import current_states
from tests.assets.fixtures import normalize_bytes
from tests.assets.indexing import PREFIX, index_documents


@pytest.mark.integration
def test_the_demo_prints_the_posture_and_writes_the_incident_s_month_report(
    engine: OpenSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incident = write_incident(tmp_path / "bucket")
    install_templates(engine, PREFIX)
    documents = []
    for item in incident.objects:
        if item.source in ("securityhub", "config") and not item.skipped:
            source, found = normalize_bytes(
                item.key, (tmp_path / "bucket" / item.key).read_bytes(), allow_dead_letters=True
            )
            documents += [(source, document) for document in found]
    assert index_documents(engine, documents) == []
    prod = incident.target_account_id
    # demo/incident.py write_config: the attacker's security group and user, judged by four rules.
    config = {(s.control, s.status) for s in current_states(engine, PREFIX) if s.source == "config"}
    assert config == {
        ("restricted-ssh", "NON_COMPLIANT"),
        ("securityhub-vpc-sg-restricted-common-ports-5d1f2a", "NON_COMPLIANT"),
        ("iam-user-mfa-enabled", "NON_COMPLIANT"),
        ("iam-user-no-policies-check", "COMPLIANT"),
    }
    demo.show(SimpleNamespace(client=engine, incident=incident, index_prefix=PREFIX, out=tmp_path, left=[]))
    printed = capsys.readouterr().out
    assert "Compliance posture" in printed and prod in printed
    written = sorted(path.name for path in (tmp_path / "report").iterdir())
    assert written == ["open-findings-2026-03.csv", "report-2026-03.html", "report-2026-03.md"]
    assert f"## Account {prod}" in (tmp_path / "report" / "report-2026-03.md").read_text()


class NothingIndexed:
    """An engine with empty indices: the report is written all the same (one file per format)."""

    def search(self, index: str, body: dict[str, Any], ignore_unavailable: bool) -> dict[str, Any]:
        return {"hits": {"hits": []}}


def test_the_month_s_report_goes_under_the_demo_s_out_folder_and_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``siem demo --out DIR`` leaves everything in DIR, the report in DIR/report/ (not in the
    working directory's build/demo/), and the "Left in" listing names its files."""
    monkeypatch.chdir(tmp_path)
    out, left = tmp_path / "elsewhere", [Path("ingest-log.jsonl")]
    incident = SimpleNamespace(window_start="2026-03-14T09:00:00Z")
    demo.show(
        SimpleNamespace(client=NothingIndexed(), incident=incident, index_prefix="siem-", out=out, left=left)
    )
    report = out / "report"
    assert left[1:] == [
        report / "report-2026-03.html",
        report / "open-findings-2026-03.csv",
        report / "report-2026-03.md",
    ]
    assert all(path.is_file() for path in left[1:])
    assert not (tmp_path / "build").exists()
    assert f"(siem report): {report / 'report-2026-03.html'}, " in capsys.readouterr().out
