"""User agents as AWS logs them: the AWS layer, the generic rules, the tool classification.

Strings come from the AWS documentation (CloudTrail record contents and examples, the AWS SDKs
and Tools reference's user-agent format) and the stratus-red-team detonation logs in
../shared/samples; the offensive tools are recognized by their names wherever they appear
(their own user agents, a ``user_agent_extra`` they add, or a value someone sets to look like
them), so those strings are built around the names. Expected values are written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enrichment.useragent import AgentInfo, UserAgentParser

PARSER = UserAgentParser()


def parsed(agent: str) -> tuple[dict[str, Any], dict[str, Any]]:
    info = PARSER.parse(agent)
    return dict(info.fields), dict(info.aws)


def test_aws_cli_v1_on_windows_from_the_cloudtrail_docs() -> None:
    assert parsed("aws-cli/1.16.96 Python/3.6.0 Windows/10 botocore/1.12.86") == (
        {
            "name": "aws-cli",
            "version": "1.16.96",
            "os": {"name": "Windows", "version": "10"},
        },
        {"tool": {"type": "cli", "name": "aws-cli"}},
    )
    assert parsed("aws-cli/1.3.23 Python/2.7.6 Linux/2.6.18-164.el5")[0]["os"] == {
        "name": "Linux",
        "version": "2.6.18-164.el5",
    }


def test_aws_cli_v2_keeps_the_command_and_flags_kali() -> None:
    fields, aws = parsed(
        "aws-cli/2.13.5 Python/3.11.4 Linux/6.3.0-kali1-amd64 exe/x86_64.kali.2023 prompt/off command/s3.ls"
    )
    assert fields == {
        "name": "aws-cli",
        "version": "2.13.5",
        "os": {"name": "Linux", "version": "6.3.0-kali1-amd64"},
    }
    assert aws == {
        "tool": {"type": "cli", "name": "aws-cli"},
        "command": "s3.ls",
        "flags": ["pentest_distribution"],
    }


def test_aws_cli_v2_in_the_sdk_user_agent_format() -> None:
    """The format of the SDKs and Tools reference (``ua/2.0``, ``os/<name>#<version>``,
    ``md/<key>#<value>``), which aws-cli 2 uses since 2024."""
    fields, aws = parsed(
        "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-parrot1-amd64 md/arch#x86_64 "
        "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
        "md/distrib#parrot.6 md/prompt#off md/command#iam.list-users"
    )
    assert fields["os"] == {
        "name": "Linux",
        "version": "6.5.0-parrot1-amd64",
    }
    assert aws["command"] == "iam.list-users"
    assert aws["flags"] == ["pentest_distribution"]


def test_boto3_is_an_sdk_not_a_spider() -> None:
    assert parsed(
        "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.6 "
        "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0"
    ) == (
        {
            "name": "Boto3",
            "version": "1.34.0",
            "os": {"name": "Linux", "version": "6.1.0"},
        },
        {"tool": {"type": "sdk", "name": "boto3"}},
    )
    fields, aws = parsed("Boto3/1.9.201 Python/3.7.3 Linux/4.19.0-kali5-amd64 Botocore/1.12.201")
    assert "device" not in fields
    assert aws["flags"] == ["pentest_distribution"]


@pytest.mark.parametrize(
    ("agent", "name", "version", "os_name"),
    [
        (
            "aws-sdk-java/1.12.261 Linux/5.10.118-111.515.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/25.332-b08 java/1.8.0_332 vendor/Oracle_Corporation",
            "aws-sdk-java",
            "1.12.261",
            "Linux",
        ),
        (
            "aws-sdk-java/2.20.162 Linux/5.10.192 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS Java/17.0.8 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
            "aws-sdk-java",
            "2.20.162",
            "Linux",
        ),
        ("aws-sdk-go/1.44.0 (go1.19; linux; amd64)", "aws-sdk-go", "1.44.0", "Linux"),
        (
            "aws-sdk-go-v2/1.21.0 os/macos lang/go#1.21.0 md/GOOS#darwin md/GOARCH#arm64 api/s3#1.38.5",
            "aws-sdk-go-v2",
            "1.21.0",
            "macOS",
        ),
        (
            "aws-sdk-nodejs/2.1083.0 linux/v14.19.3 exec-env/AWS_Lambda_nodejs14.x",
            "aws-sdk-nodejs",
            "2.1083.0",
            "Linux",
        ),
        (
            "aws-sdk-js/3.400.0 ua/2.0 os/linux#5.10.186 lang/js md/nodejs#18.17.1 api/s3#3.400.0",
            "aws-sdk-js",
            "3.400.0",
            "Linux",
        ),
        (
            "aws-sdk-ruby3/3.130.0 ruby/2.7.6 x86_64-linux aws-sdk-s3/1.113.0",
            "aws-sdk-ruby3",
            "3.130.0",
            None,
        ),
        ("aws-sdk-java", "aws-sdk-java", None, None),  # the CloudTrail docs' own example
    ],
)
def test_sdks_are_named_with_their_version(
    agent: str, name: str, version: str | None, os_name: str | None
) -> None:
    fields, aws = parsed(agent)
    assert fields["name"] == name
    assert fields.get("version") == version
    assert fields.get("os", {}).get("name") == os_name
    assert aws["tool"] == {"type": "sdk", "name": name}


def test_node_version_after_the_platform_is_not_an_os_version() -> None:
    fields, _ = parsed("aws-sdk-nodejs/2.1083.0 linux/v14.19.3 exec-env/AWS_Lambda_nodejs14.x")
    assert fields["os"] == {"name": "Linux"}


@pytest.mark.parametrize(
    ("agent", "tool"),
    [
        # CloudTrail record contents: the console for IAM users and for the root user.
        ("signin.amazonaws.com", {"type": "console", "name": "aws-console"}),
        ("console.amazonaws.com", {"type": "console", "name": "aws-console"}),
        ("AWSConsole", {"type": "console", "name": "aws-console"}),
        (
            "EC2ConsoleBackend, aws-sdk-java/Linux/x.xx.fleetxen Java_HotSpot(TM)_64-Bit_Server_VM/xx",
            {"type": "console", "name": "aws-console"},
        ),
        (
            "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.1030 Linux/5.4.116-64.217.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.292-b10 java/1.8.0_292 vendor/Oracle_Corporation]",
            {"type": "console", "name": "aws-console"},
        ),
        # An AWS service calling on a principal's behalf, and AWS itself.
        ("lambda.amazonaws.com", {"type": "aws_service", "name": "lambda.amazonaws.com"}),
        ("AWS Internal", {"type": "aws_service", "name": "aws-internal"}),
        ("AWS Internal/3", {"type": "aws_service", "name": "aws-internal"}),
        ("aws-internal/3 aws-sdk-java/1.12.400 Linux/5.10", {"type": "aws_service", "name": "aws-internal"}),
        ("Coral/Netty4", {"type": "aws_service", "name": "aws-internal"}),
        # Infrastructure as code.
        ("cloudformation.amazonaws.com", {"type": "iac", "name": "cloudformation"}),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 "
            "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 "
            "md/GOOS#linux md/GOARCH#amd64 api/sts#1.26.6",
            {"type": "iac", "name": "terraform"},
        ),
        ("aws-sdk-js/2.1450.0 linux/v18.17.1 aws-cdk/2.96.2 promise", {"type": "iac", "name": "aws-cdk"}),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.0.0 terraform-provider-aws/6.0.0 pulumi-aws/6.0.0 aws-sdk-go/1.50.0 (go1.21.5; linux; amd64)",
            {"type": "iac", "name": "pulumi"},
        ),
        (
            "APN/1.0 HashiCorp/1.0 Packer/1.9.4 (+https://www.packer.io) aws-sdk-go/1.44.114 (go1.20.6; linux; amd64)",
            {"type": "iac", "name": "packer"},
        ),
        # Legacy tools.
        ("ec2-api-tools 1.6.12.2", {"type": "cli", "name": "ec2-api-tools"}),
        (
            "AWSPowerShell/4.1.0.0 .NET_Runtime/4.0 .NET_Framework/4.0 OS/Microsoft_Windows_NT_10.0.17763.0 WindowsPowerShell/5.1 ClientAsync",
            {"type": "cli", "name": "aws-tools-for-powershell"},
        ),
    ],
)
def test_tool_classification(agent: str, tool: dict[str, str]) -> None:
    assert parsed(agent)[1]["tool"] == tool


def test_service_callers_have_no_user_agent_fields() -> None:
    assert parsed("lambda.amazonaws.com")[0] == {}
    assert parsed("AWS Internal")[0] == {}


def test_a_browser_sign_in_is_parsed_by_the_generic_rules() -> None:
    fields, aws = parsed(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36"
    )
    assert fields == {
        "name": "Chrome",
        "version": "67.0.3396.99",
        "os": {"name": "Mac OS X", "version": "10.11.6"},
        "device": {"name": "Mac"},
    }
    assert aws == {"tool": {"type": "browser"}}
    firefox, _ = parsed("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Firefox/78.0")
    assert (firefox["name"], firefox["version"], firefox["os"]["name"]) == ("Firefox", "78.0", "Windows")


@pytest.mark.parametrize(
    ("agent", "name", "tool"),
    [
        ("python-requests/2.31.0", "python-requests", "python-requests"),
        ("curl/8.4.0", "curl", "curl"),
        ("Go-http-client/1.1", "Go-http-client", "go-http-client"),
        ("Wget/1.21.3", "Wget", "wget"),
    ],
)
def test_scripting_libraries_are_flagged(agent: str, name: str, tool: str) -> None:
    fields, aws = parsed(agent)
    assert fields["name"] == name
    assert aws == {"tool": {"type": "other", "name": tool}, "flags": ["scripting_library"]}


@pytest.mark.parametrize(
    ("agent", "tool"),
    [
        ("Scout Suite/5.12.0 Boto3/1.26.0 Python/3.10.6 Linux/5.15.0 Botocore/1.29.0", "scoutsuite"),
        ("APN_1826889 Boto3/1.26.0 Python/3.9.16 Darwin/22.1.0 Botocore/1.29.0", "prowler"),
        ("TruffleHog", "trufflehog"),
        ("Pacu Boto3/1.26.0 Python/3.10.6 Linux/5.15.0 Botocore/1.29.0", "pacu"),
    ],
)
def test_offensive_tools_are_their_own_tool_type(agent: str, tool: str) -> None:
    _, aws = parsed(agent)
    assert aws == {"tool": {"type": "pentest", "name": tool}}


def test_a_console_or_iac_token_does_not_hide_an_offensive_tool() -> None:
    _, aws = parsed("Pacu Terraform/1.7.0 S3Console/0.4 Boto3/1.26.0 Python/3.10.6 Linux/5.15.0")
    assert aws["tool"] == {"type": "pentest", "name": "pacu"}


def test_a_pentest_word_outside_the_os_parts_is_not_a_distribution() -> None:
    # A role session or a script named "kali" in another part is not Kali Linux.
    _, aws = parsed("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 exec-env/kali-inventory-job")
    assert "flags" not in aws


def test_detonation_logs(shared_dir: Path) -> None:
    """Every user agent of the stratus-red-team recordings is classified (the detonations tag
    their calls ``stratus-red-team_<uuid>``; Grimoire runs them with the Go SDK)."""
    agents: set[str] = set()
    for path in (shared_dir / "samples" / "cloudtrail" / "stratus-red-team").glob("*.json"):
        agents.update(
            record["userAgent"] for record in json.loads(path.read_text()) if record.get("userAgent")
        )
    assert agents
    for agent in agents:
        info = PARSER.parse(agent)
        assert info.aws["tool"]["type"] == "pentest", agent
    grimoire = PARSER.parse(
        "aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 "
        "exec-env/grimoire_095724e3-1fa0-4e3e-b68a-e8581d194380 api/sts#1.26.2"
    )
    assert dict(grimoire.fields) == {
        "name": "aws-sdk-go-v2",
        "version": "1.32.3",
        "os": {"name": "Linux"},
    }
    assert grimoire.aws == {"tool": {"type": "pentest", "name": "grimoire"}}


def test_results_are_cached_per_string() -> None:
    parser = UserAgentParser()
    for _ in range(3):
        parser.parse("aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5")
    assert (parser.parse.cache_info().misses, parser.parse.cache_info().hits) == (1, 2)


def test_generic_rules_are_loaded_only_for_strings_the_aws_layer_does_not_know() -> None:
    calls: list[str] = []

    def generic(agent: str) -> Any:
        calls.append(agent)
        return None

    parser = UserAgentParser(generic=generic)
    parser.parse("aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5")
    parser.parse("lambda.amazonaws.com")
    parser.parse("python-requests/2.31.0")
    assert calls == []
    parser.parse("SomethingNew/1.0")
    assert calls == ["SomethingNew/1.0"]


def test_empty_and_blank_strings() -> None:
    assert PARSER.parse("") == AgentInfo({}, {})
    assert PARSER.parse("   ") == AgentInfo({}, {})


def test_only_the_first_kilobyte_is_parsed() -> None:
    """CloudTrail truncates userAgent at 1 KB; anything longer (another source, a forged
    record) is parsed on its first 1024 characters, so no string costs more than that."""
    head = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 command/s3.ls "
    long = head + "x" * 200_000 + " Pacu"
    assert PARSER.parse(long) == PARSER.parse((head + "x" * 200_000)[:1024])
    assert "flags" not in PARSER.parse(long).aws  # the tool named past 1 KB is not seen
    assert PARSER.parse("a" * 200_000 + "/1").aws["tool"] == {"type": "other"}
