"""One set of connection options for every command: same names, defaults and environment."""

from __future__ import annotations

import argparse
from pathlib import Path

import boto3
import pytest

from opensearch_client import ConnectionSettings
from siem_cli.errors import likely_cause
from siem_cli.main import build_parser
from siem_cli.options import (
    ENVIRONMENT,
    UsageError,
    add_aws_options,
    aws_region_from,
    connection_from,
    endpoint_service_region,
)

# Every command that talks to OpenSearch, with its other required arguments.
COMMANDS = [
    ["ingest", "."],
    ["replay-dead-letters", "."],
    ["investigate", "some-finding"],
    ["detect", "run"],
    ["assets", "install"],
    ["rules", "test"],
]
CONNECTION_OPTIONS = ["--endpoint", "--auth", "--region", "--profile", "--index-prefix"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENVIRONMENT:
        monkeypatch.setenv(name, "")  # recorded, so what the command sets is undone too
        monkeypatch.delenv(name)
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def _parse(command: list[str], *options: str) -> argparse.Namespace:
    return build_parser().parse_args([*command, *options])


def _help(command: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_the_same_connection_options(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(
        command[:-1] if command[0] in ("ingest", "replay-dead-letters", "investigate") else command, capsys
    )
    for option in CONNECTION_OPTIONS:
        assert option in text
    assert "{aoss,es,basic,none}" in text
    assert "--prefix" not in text.replace("--index-prefix", "")  # the old spelling works, unlisted
    args = _parse(command, "--endpoint", "https://e.example", "--prefix", "old-")
    assert (args.auth, args.index_prefix, args.profile) == ("aoss", "old-", None)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] != "rules"])
def test_the_environment_gives_the_same_defaults_to_every_command(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENSEARCH_ENDPOINT", "https://abc.eu-west-1.aoss.amazonaws.com")
    monkeypatch.setenv("OPENSEARCH_AUTH", "es")
    monkeypatch.setenv("INDEX_PREFIX", "org-")
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    args = _parse(command)
    assert args.index_prefix == "org-"
    assert connection_from(args) == ConnectionSettings(
        "https://abc.eu-west-1.aoss.amazonaws.com", "es", "ap-south-1"
    )


def test_rules_test_never_takes_its_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """It writes test events: the production collection must be named on purpose."""
    monkeypatch.setenv("OPENSEARCH_ENDPOINT", "https://abc.eu-west-1.aoss.amazonaws.com")
    assert _parse(["rules", "test"]).endpoint is None


@pytest.mark.parametrize(
    ("environment", "options", "region"),
    [
        ({"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-2"}, [], "eu-west-3"),
        ({"AWS_DEFAULT_REGION": "eu-west-2"}, [], "eu-west-2"),
        ({"AWS_REGION": "eu-west-3"}, ["--region", "us-west-2"], "us-west-2"),
        ({"AWS_PROFILE": "audit"}, [], "eu-north-1"),
        ({}, ["--profile", "audit"], "eu-north-1"),
        ({"AWS_DEFAULT_REGION": "eu-west-2"}, ["--profile", "audit"], "eu-west-2"),
        # Nothing configured: the region in the endpoint's host name.
        ({}, [], "ca-central-1"),
    ],
)
def test_region_comes_from_the_option_the_environment_the_profile_then_the_endpoint(
    environment: dict[str, str], options: list[str], region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    endpoint = "https://x1y2z3.ca-central-1.aoss.amazonaws.com"
    for command in COMMANDS:
        args = _parse(command, "--endpoint", endpoint, *options)
        assert connection_from(args).region == region, command


def test_the_profile_is_used_by_the_aws_clients_the_command_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "")
    connection_from(_parse(["investigate", "x"], "--endpoint", "https://e.example", "--profile", "audit"))
    assert boto3.Session().profile_name == "audit"
    assert boto3.client("sts").meta.region_name == "eu-north-1"


def test_an_unknown_profile_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="nope"):
        connection_from(_parse(["investigate", "x"], "--endpoint", "https://e.example", "--profile", "nope"))


def test_an_unknown_auth_mode_from_the_environment_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSEARCH_AUTH", "sigv4")
    with pytest.raises(UsageError, match="OPENSEARCH_AUTH"):
        connection_from(_parse(["investigate", "x"], "--endpoint", "https://e.example"))


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        # Serverless: https://<collection id>.<region>.aoss.amazonaws.com
        ("https://07tjusf2h91cunochc.us-east-1.aoss.amazonaws.com", ("aoss", "us-east-1")),
        # Managed domains: search-<domain>-<id>.<region>.es.amazonaws.com, vpc-... in a VPC.
        ("https://search-logs-abc123.eu-central-1.es.amazonaws.com:443/", ("es", "eu-central-1")),
        ("https://vpc-logs-abc123.us-gov-west-1.es.amazonaws.com", ("es", "us-gov-west-1")),
        ("http://127.0.0.1:9200", None),
        ("https://search.example.com", None),
    ],
)
def test_the_service_and_region_an_aws_endpoint_names(
    endpoint: str, expected: tuple[str, str] | None
) -> None:
    assert endpoint_service_region(endpoint) == expected


def test_a_refusal_names_the_wrong_service_or_region_when_the_endpoint_shows_it() -> None:
    serverless = "https://abc.eu-west-1.aoss.amazonaws.com"
    assert "this endpoint is aoss (--auth aoss)" in likely_cause(
        ConnectionSettings(serverless, "es", "eu-west-1")
    )
    assert (
        "signed for region us-east-1, but the endpoint is in eu-west-1 (--region eu-west-1)"
        in likely_cause(ConnectionSettings(serverless, "aoss", "us-east-1"))
    )
    assert "data access policy" in likely_cause(ConnectionSettings(serverless, "aoss", "eu-west-1"))


def test_a_command_calling_aws_alone_takes_the_same_region_and_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "")
    parser = argparse.ArgumentParser()
    add_aws_options(parser)
    assert aws_region_from(parser.parse_args(["--profile", "audit"])) == "eu-north-1"
    assert boto3.client("dynamodb").meta.region_name == "eu-north-1"
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert aws_region_from(parser.parse_args([])) == "sa-east-1"
