"""A user error of the command line is one line on stderr and an exit status, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from siem_cli.main import main


@pytest.mark.parametrize("command", ["ingest", "replay-dead-letters"])
def test_a_backfill_without_the_credentials_its_auth_needs_says_so(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENSEARCH_USERNAME", raising=False)
    options = ["--endpoint", "https://search.example", "--auth", "basic"]
    paths = ["--ledger", str(tmp_path / "ledger.sqlite"), "--dead-letter", str(tmp_path / "dead")]
    target = tmp_path / "input"  # apart from the dead letters: a replay refuses to write where it reads
    target.mkdir()
    status = main([command, str(target), *options, *paths, "--quiet"])
    err = capsys.readouterr().err
    assert status == 1
    assert err == f"siem {command}: basic auth needs a username (OPENSEARCH_USERNAME)\n"
