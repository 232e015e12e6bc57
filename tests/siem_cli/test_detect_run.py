"""``siem detect run`` applies the exceptions the detection Lambda applies, from the same variables."""

from __future__ import annotations

import pytest

from detections.settings import NOTE_WRITER_RULES, DetectionSettings
from siem_cli.detect import _settings
from siem_cli.main import build_parser

NOTE_WRITER = "arn:aws:iam::111122223333:role/AwsSiem-HandoffsInvestigateRole1A2B3C4D-5E6F7G8H9I0J"
ENDPOINT = "http://127.0.0.1:9"


def test_a_run_from_a_shell_excepts_our_note_writer_as_the_lambda_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOTE_WRITER_ROLE_ARN", NOTE_WRITER)
    monkeypatch.delenv("DETECTION_EXCEPTIONS", raising=False)
    args = build_parser().parse_args(["detect", "run", "--endpoint", ENDPOINT, "--auth", "none"])

    from_shell = _settings(args).run.exceptions
    from_lambda = DetectionSettings.from_env(
        {"OPENSEARCH_ENDPOINT": ENDPOINT, "OPENSEARCH_AUTH": "none", "NOTE_WRITER_ROLE_ARN": NOTE_WRITER}
    ).run.exceptions

    assert from_shell == from_lambda
    ours = [entry for entry in from_shell.entries if entry.principals == (NOTE_WRITER,)]
    assert [entry.rules for entry in ours] == [NOTE_WRITER_RULES]


def test_a_bad_accounts_directory_setting_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACCOUNTS_TTL_SECONDS", "soon")
    args = build_parser().parse_args(["detect", "run", "--endpoint", ENDPOINT, "--auth", "none"])

    assert args.func(args) == 1
    assert capsys.readouterr().err == (
        "siem detect run: ACCOUNTS_TTL_SECONDS must be a number of seconds, not 'soon'\n"
    )
