"""``siem detect run`` applies the exceptions the detection Lambda applies, from the same variables."""

from __future__ import annotations

import pytest

from detections.settings import NOTE_WRITER_RULES, DetectionSettings
from siem_cli.detect import _settings
from siem_cli.main import build_parser, main

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


@pytest.mark.parametrize(
    ("variable", "value", "options", "message"),
    [
        ("ACCOUNTS_TTL_SECONDS", "soon", [], "ACCOUNTS_TTL_SECONDS must be a number of seconds, not 'soon'"),
        ("FILL_BUDGET_SECONDS", "", ["--fill-budget", "5000"], "fill budget '5000': 0 to 900 seconds"),
        (
            "DETECTION_EXCEPTIONS",
            "exceptions: [",
            [],
            "DETECTION_EXCEPTIONS: invalid YAML: while parsing a flow node expected the node content, "
            "but found '<stream end>'",
        ),
    ],
)
def test_a_bad_setting_is_a_usage_error_in_one_line(
    variable: str,
    value: str,
    options: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A setting the user gave (an option or a variable) that cannot be used is exit status 2
    and one line, as for every command (docs/cli.md, "Exit status and errors")."""
    monkeypatch.setenv(variable, value)

    assert main(["detect", "run", "--endpoint", ENDPOINT, "--auth", "none", *options]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"siem detect run: {message}")
