"""The ``make demo`` step: the demo incident's compliance posture and its month's report."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from opensearchpy import OpenSearch

from demo import write_incident
from opensearch_assets.templates import install_templates
from posture import demo
from posture.state import current_states
from tests.assets.fixtures import normalize_bytes
from tests.assets.indexing import PREFIX, index_documents

pytestmark = pytest.mark.integration


def test_the_demo_prints_the_posture_and_writes_the_incident_s_month_report(
    engine: OpenSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
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
    monkeypatch.setattr(demo, "REPORT_DIRECTORY", tmp_path / "report")
    demo.show(SimpleNamespace(client=engine, incident=incident, index_prefix=PREFIX))
    printed = capsys.readouterr().out
    assert "Compliance posture" in printed and prod in printed
    written = sorted(path.name for path in (tmp_path / "report").iterdir())
    assert written == ["open-findings-2026-03.csv", "report-2026-03.html", "report-2026-03.md"]
    assert f"## Account {prod}" in (tmp_path / "report" / "report-2026-03.md").read_text()
