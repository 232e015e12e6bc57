"""``siem report --ou``: the accounts under an OU path (nested OUs included), from the account
directory, else from the OU paths enrichment wrote into the documents; ``--account`` adds to
them; an unknown OU is a one-line error with exit status 2."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from demo.records import securityhub as sh
from enrichment.accounts import Account, AccountDirectory
from enrichment.enrich import Enricher
from opensearch_assets.templates import install_templates
from posture.scope import UnknownOu, accounts_in_directory, is_under, normalized_ou
from siem_cli import report as command
from siem_cli.main import main
from tests.assets.fixtures import normalize_bytes
from tests.assets.indexing import PREFIX, index_documents

PROD, DEV, LEGACY, SECURITY, QUIET = (
    "111111111111",
    "222222222222",
    "333333333333",
    "444444444444",
    "555555555555",
)
DIRECTORY = AccountDirectory(
    [
        Account(PROD, name="prod", ou_path="Root/Workloads/Prod"),
        Account(DEV, name="dev", ou_path="Root/Workloads/Dev/Team-a"),
        Account(LEGACY, name="legacy", ou_path="Root/WorkloadsLegacy"),
        Account(SECURITY, name="security", ou_path="Root/Security"),
        Account(QUIET, name="quiet", ou_path="Root/Workloads/Prod"),  # no document at all
    ],
    organization_id="o-abcdefghij",
)
NOV = datetime(2026, 11, 10, 9, tzinfo=UTC)


def test_an_ou_covers_its_nested_ous_by_whole_names() -> None:
    assert accounts_in_directory(DIRECTORY, "Root/Workloads") == (PROD, DEV, QUIET)
    assert accounts_in_directory(DIRECTORY, "/Root/Workloads/Prod/") == (PROD, QUIET)
    assert accounts_in_directory(DIRECTORY, "Workloads/Dev") == (DEV,)  # the root's name left out
    assert accounts_in_directory(DIRECTORY, "Root") == tuple(sorted(a.id for a in DIRECTORY))
    assert is_under("Root/Workloads/Prod", "Root/Workloads")
    assert not is_under("Root/WorkloadsLegacy", "Root/Workloads")
    assert normalized_ou(" Root / Security/") == "Root/Security"
    for unknown in ("Root/Work", "Prod/Workloads", "Sandbox", "", "/"):
        with pytest.raises(UnknownOu):
            accounts_in_directory(DIRECTORY, unknown)


def _documents() -> list[tuple[str, dict[str, object]]]:
    findings = [
        sh.control_finding(
            sh.ControlSpec(
                account=account,
                resource=sh.resource("AwsS3Bucket", f"arn:aws:s3:::bucket-{account}"),
                created=NOV,
                updated=NOV,
                finding_id=f"finding-{account}",
            )
        )
        for account in (PROD, DEV, LEGACY, SECURITY)
    ]
    _, documents = normalize_bytes("ou/sh.json", json.dumps(sh.get_findings_response(findings)).encode())
    # As the ingest path writes them: enriched with the account directory of the time.
    enricher = Enricher(DIRECTORY, geoip=None, agents=None)
    return [("securityhub", enricher.enrich(document)) for document in documents]


@pytest.fixture
def cli(engine: OpenSearch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> OpenSearch:
    install_templates(engine, PREFIX)
    assert index_documents(engine, _documents()) == []
    monkeypatch.setattr(command, "make_client", lambda settings: engine)
    monkeypatch.delenv("ACCOUNTS_LOCATION", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # no directory of `siem accounts sync`
    return engine


def _report(tmp_path: Path, *options: str) -> tuple[int, list[str]]:
    """The exit status and the accounts of the Markdown report, in order."""
    out = tmp_path / "out"
    for old in out.glob("*"):
        old.unlink()
    connection = ["--endpoint", "http://engine", "--auth", "none"]
    status = main(
        ["report", "--period", "2026-11", "--format", "md", "--out", str(out), *connection, *options]
    )
    written = list(out.glob("*.md"))
    accounts = re.findall(r"^## Account (\d{12})$", written[0].read_text(), re.M) if written else []
    return status, accounts


@pytest.mark.integration
def test_ou_accounts_from_the_directory_with_accounts_added(cli: OpenSearch, tmp_path: Path) -> None:
    directory = tmp_path / "accounts.json"
    DIRECTORY.save(directory)
    source = ["--accounts-from", str(directory)]
    # QUIET is in the OU: its report says nothing happened rather than leaving it out.
    assert _report(tmp_path, "--ou", "Root/Workloads", *source) == (0, [PROD, DEV, QUIET])
    assert _report(tmp_path, "--ou", "Workloads/Prod", "--account", SECURITY, *source) == (
        0,
        [PROD, SECURITY, QUIET],
    )
    assert _report(tmp_path, "--ou", "Root/Security", "--ou", "Root/WorkloadsLegacy", *source) == (
        0,
        [LEGACY, SECURITY],
    )


@pytest.mark.integration
def test_ou_accounts_from_the_documents_without_a_directory(cli: OpenSearch, tmp_path: Path) -> None:
    # Only accounts with documents: QUIET is unknown to the indices.
    assert _report(tmp_path, "--ou", "Root/Workloads") == (0, [PROD, DEV])
    assert _report(tmp_path, "--ou", "Workloads/Dev/Team-a", "--account", LEGACY) == (0, [DEV, LEGACY])


@pytest.mark.integration
@pytest.mark.parametrize("with_directory", [True, False])
def test_an_unknown_ou_is_one_line_and_status_2(
    cli: OpenSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str], with_directory: bool
) -> None:
    options = ["--ou", "Root/Sandbox"]
    if with_directory:
        DIRECTORY.save(tmp_path / "accounts.json")
        options += ["--accounts-from", str(tmp_path / "accounts.json")]
    assert _report(tmp_path, *options) == (2, [])
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("siem report: no ")
    assert "'Root/Sandbox'" in error and "Root/Workloads/Prod" in error and "Traceback" not in error


@pytest.mark.integration
def test_a_missing_named_directory_is_status_2(
    cli: OpenSearch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _report(tmp_path, "--ou", "Root", "--accounts-from", str(tmp_path / "none.json")) == (2, [])
    assert "no account directory" in capsys.readouterr().err


@pytest.mark.integration
def test_alerts_are_read_from_the_alerts_collection_when_named(
    engine: OpenSearch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The deployed stack keeps alerts in a SEARCH collection of their own: ``--alerts-endpoint``
    (or $ALERTS_ENDPOINT) is where the report counts them, the logs endpoint for the rest."""
    install_templates(engine, PREFIX)
    alert = {
        "@timestamp": "2026-12-01T00:00:00.000Z",
        "event": {"kind": "alert", "severity": 73, "start": "2026-11-10T09:00:00.000Z"},
        "user": {"name": "mallory"},
        "cloud": {"account": {"id": PROD}},
    }
    assert index_documents(engine, [*_documents(), ("alerts", alert)]) == []
    searched: dict[str, list[str]] = {}

    class Recording:
        """The one engine, noting which endpoint each search was sent to."""

        def __init__(self, endpoint: str) -> None:
            self.endpoint = endpoint

        def __getattr__(self, name: str) -> object:
            return getattr(engine, name)

        def search(self, **kwargs: object) -> object:
            searched.setdefault(self.endpoint, []).append(str(kwargs.get("index")))
            return engine.search(**kwargs)

    monkeypatch.setattr(command, "make_client", lambda settings: Recording(settings.endpoint))
    monkeypatch.delenv("ALERTS_ENDPOINT", raising=False)
    out = tmp_path / "out"
    status = main(
        ["report", "--period", "2026-11", "--account", PROD, "--format", "md", "--out", str(out),
         "--endpoint", "http://logs", "--auth", "none", "--alerts-endpoint", "http://alerts"]
    )  # fmt: skip
    assert status == 0
    assert searched["http://alerts"] == [f"{PREFIX}alerts"]
    assert f"{PREFIX}alerts" not in searched["http://logs"]
    assert "Alerts raised: 1" in next(out.glob("*.md")).read_text()


@pytest.mark.integration
def test_a_missing_alerts_index_is_reported_as_unknown_alerts_not_as_none(
    cli: OpenSearch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Alerts live elsewhere (the logs endpoint without --alerts-endpoint): "Alerts raised: 0"
    would be false reassurance. The rest of the report stands, so it is written (status 0)."""
    monkeypatch.delenv("ALERTS_ENDPOINT", raising=False)
    out = tmp_path / "out"
    status = main(
        ["report", "--period", "2026-11", "--account", PROD, "--format", "md,html", "--out", str(out),
         "--endpoint", "http://logs", "--auth", "none"]
    )  # fmt: skip
    assert status == 0
    markdown, page = (next(out.glob(f"*.{kind}")).read_text() for kind in ("md", "html"))
    assert f"Alerts raised: unknown: the alerts index {PREFIX}alerts was not found." in markdown
    assert f"Alerts raised in the period: unknown: the alerts index {PREFIX}alerts was not found." in page
    assert "Failed controls and rules: 0 -> 1 (+1)" in markdown  # the rest reported as ever
    assert "Open findings: 1 (detail CSV)." in markdown
    assert capsys.readouterr().err == (
        f"siem report: index {PREFIX}alerts does not exist on http://logs: the report gives its alerts "
        "as unknown (--alerts-endpoint names the alerts collection)\n"
    )
