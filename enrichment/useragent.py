"""What a user agent is: ECS ``user_agent.*`` and the project's ``aws.user_agent.*``.

Two layers (docs/enrichment.md, "User agents"):

1. **AWS layer**, first. CloudTrail's ``userAgent`` is mostly written by AWS tools whose
   formats are documented (AWS SDKs and tools reference, "User agent"): ``aws-cli/2.15.0
   Python/3.11.6 Linux/6.1 exe/x86_64.ubuntu.22 prompt/off command/s3.ls``, ``Boto3/1.34.0
   md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 lang/python#3.11.6``, ``aws-sdk-go-v2/1.32.3
   os/linux lang/go#1.23.1``, service names (``lambda.amazonaws.com``), ``AWS Internal``...
   The generic rules call the SDKs "Spider" or "Other"; this layer reads the product token,
   the OS token, the aws-cli command, and classifies the tool.
2. **ua-parser** (uap-core's rules, ``ua-parser-builtins``) for everything else: browsers
   (console sign-ins), HTTP libraries it knows, bots. It is loaded on first use only, so a
   container that sees SDK traffic alone never pays its start-up (about a second).

Results are cached per distinct string (an LRU) and shared by the documents (never changed): each
document is read-only once :class:`enrichment.enrich.Enricher` has enriched it.

``aws.user_agent.tool.type``: ``console``, ``cli``, ``sdk``, ``aws_service``, ``iac``,
``browser``, ``pentest`` or ``other``; ``aws.user_agent.tool.name``: which one, as a stable lower-case
identifier (``aws-cli``, ``boto3``, ``aws-sdk-go-v2``, ``terraform``, ``lambda.amazonaws.com``,
``scoutsuite``...); ``aws.user_agent.command``: the aws-cli ``<service>.<operation>``;
``aws.user_agent.flags``: ``pentest_distribution``, ``scripting_library`` (absent when none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import takewhile
from typing import Any

DEFAULT_CACHE_SIZE = 8192

MAX_LENGTH = 1024
"""Characters parsed (CloudTrail truncates ``userAgent`` at 1 KB): the cost per string is bounded."""

# A product token: ``name/version`` (version may be absent: ``aws-sdk-java``). Greedy and
# without lookahead, so that finding all tokens is linear in the string's length.
_TOKEN = re.compile(r"([A-Za-z][\w.+-]*)(?:/([^\s,;()\[\]]+))?")

_SERVICE_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?\Z")
_CONSOLE_HOSTS = ("console.amazonaws.com", "signin.amazonaws.com")
_CONSOLE_TOKEN = re.compile(r"(?:\A|[\s\[,])(?:AWSConsole|[A-Za-z0-9]+Console(?:Backend)?)(?=[/\s,\]]|\Z)")
_AWS_INTERNAL = re.compile(r"\A(?:AWS Internal|aws-internal|Coral/)", re.IGNORECASE)

# Tools that drive an SDK (first match wins; Pulumi's AWS provider embeds Terraform's tokens).
_IAC = (
    ("pulumi", re.compile(r"pulumi", re.IGNORECASE)),
    ("terraform", re.compile(r"\bTerraform/|terraform-provider-aws/", re.IGNORECASE)),
    ("packer", re.compile(r"\bPacker/", re.IGNORECASE)),
    ("aws-cdk", re.compile(r"\baws-cdk[/#]", re.IGNORECASE)),
    ("aws-sam", re.compile(r"\baws-sam-cli", re.IGNORECASE)),
)
# Offensive and auditing tools seen in CloudTrail (their own user agents, or the extras they add).
_PENTEST_TOOLS = (
    ("pacu", re.compile(r"\bpacu\b", re.IGNORECASE)),
    ("scoutsuite", re.compile(r"\bscout\s?suite\b", re.IGNORECASE)),
    ("prowler", re.compile(r"\bprowler\b|\bAPN_1826889\b", re.IGNORECASE)),
    ("trufflehog", re.compile(r"\btrufflehog\b", re.IGNORECASE)),
    ("cloudfox", re.compile(r"\bcloudfox\b", re.IGNORECASE)),
    ("weirdaal", re.compile(r"\bweirdaal\b", re.IGNORECASE)),
    ("stratus-red-team", re.compile(r"\bstratus-red-team", re.IGNORECASE)),
    ("grimoire", re.compile(r"\bexec-env/grimoire", re.IGNORECASE)),
)
# Penetration-testing Linux distributions, looked for in the OS parts only.
_PENTEST_DISTRIBUTIONS = re.compile(r"kali|parrot|pentoo|blackarch", re.IGNORECASE)
# HTTP libraries of scripts: the product token at the start of the string.
_LIBRARIES = {
    "python-requests": "python-requests",
    "python-urllib3": "python-urllib3",
    "python-urllib": "python-urllib",
    "python-httpx": "python-httpx",
    "aiohttp": "aiohttp",
    "curl": "curl",
    "wget": "wget",
    "go-http-client": "go-http-client",
    "okhttp": "okhttp",
    "axios": "axios",
    "node-fetch": "node-fetch",
    "undici": "undici",
    "libwww-perl": "libwww-perl",
    "postmanruntime": "postman",
    "insomnia": "insomnia",
    "powershell": "powershell",
}
_CLIS = {"aws-cli": "aws-cli", "awspowershell": "aws-tools-for-powershell", "ec2-api-tools": "ec2-api-tools"}
_SDK_NAMES = {"boto3": "Boto3", "botocore": "Botocore"}
_OS_NAMES = {
    "linux": "Linux",
    "windows": "Windows",
    "windows_nt": "Windows",
    "darwin": "Darwin",
    "macos": "macOS",
    "ios": "iOS",
    "android": "Android",
    "freebsd": "FreeBSD",
    "openbsd": "OpenBSD",
    "watchos": "watchOS",
}


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """``fields``: ECS ``user_agent`` additions (not ``original``); ``aws``: ``aws.user_agent``."""

    fields: Mapping[str, Any]
    aws: Mapping[str, Any]


NOTHING = AgentInfo({}, {})


class UserAgentParser:
    """``parse(string) -> AgentInfo``, cached per string."""

    def __init__(
        self, cache_size: int = DEFAULT_CACHE_SIZE, generic: Callable[[str], Any] | None = None
    ) -> None:
        self._generic = generic
        self.parse = lru_cache(maxsize=cache_size)(self._parse)

    def _generic_parse(self, agent: str) -> Any:
        if self._generic is None:
            from ua_parser import parse  # deferred: loading the rules takes about a second

            self._generic = parse
        return self._generic(agent)

    def _parse(self, agent: str) -> AgentInfo:
        text = agent[:MAX_LENGTH].strip()
        if not text:
            return NOTHING
        service = _service_caller(text)
        if service is not None:
            return service
        tokens = _tokens(text)
        known = _aws_agent(tokens) or _library_agent(tokens) or _generic_agent(self._generic_parse(text))
        tool_type, tool_name = _tool(text, known)
        aws: dict[str, Any] = {
            "tool": {"type": tool_type, "name": tool_name} if tool_name else {"type": tool_type}
        }
        command = _command(tokens)
        if command:
            aws["command"] = command
        flags = _flags(tokens, tool_type, tool_name)
        if flags:
            aws["flags"] = flags
        return AgentInfo(known.fields, aws)


@dataclass(frozen=True, slots=True)
class _Agent:
    fields: dict[str, Any]
    kind: str
    """``cli``, ``sdk``, ``library``, ``browser`` or ``other``: what the agent itself is."""
    tool: str | None = None


def _service_caller(text: str) -> AgentInfo | None:
    """The whole string names the AWS console, an AWS service, or AWS itself."""
    lowered = text.lower()
    if lowered in _CONSOLE_HOSTS or text == "AWSConsole":
        return AgentInfo({}, {"tool": {"type": "console", "name": "aws-console"}})
    if lowered == "cloudformation.amazonaws.com":
        return AgentInfo({}, {"tool": {"type": "iac", "name": "cloudformation"}})
    if _SERVICE_HOST.match(lowered):
        return AgentInfo({}, {"tool": {"type": "aws_service", "name": lowered}})
    if _AWS_INTERNAL.match(text) and not _CONSOLE_TOKEN.search(text):
        return AgentInfo({}, {"tool": {"type": "aws_service", "name": "aws-internal"}})
    return None


def _tokens(text: str) -> list[tuple[str, str]]:
    """``[(name, version)]`` of the ``name/version`` parts, names as written."""
    return [(match[1], match[2] or "") for match in _TOKEN.finditer(text)]


def _aws_agent(tokens: list[tuple[str, str]]) -> _Agent | None:
    """The AWS CLI or SDK that signed the request, with the OS it reports."""
    for name, version in tokens:
        lowered = name.lower()
        if lowered in _CLIS:
            return _Agent(_agent_fields(name, version, _os(tokens)), "cli", _CLIS[lowered])
        if lowered in _SDK_NAMES or lowered.startswith("aws-sdk-"):
            display = _SDK_NAMES.get(lowered, lowered)
            return _Agent(_agent_fields(display, version, _os(tokens)), "sdk", lowered)
    return None


def _library_agent(tokens: list[tuple[str, str]]) -> _Agent | None:
    if not tokens:
        return None
    name, version = tokens[0]
    tool = _LIBRARIES.get(name.lower())
    if tool is None:
        return None
    return _Agent(_agent_fields(name, version, None), "library", tool)


def _agent_fields(name: str, version: str, os_fields: dict[str, str] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": name}
    if version and version[0].isdigit():
        fields["version"] = version
    if os_fields:
        fields["os"] = os_fields
    return fields


def _os(tokens: list[tuple[str, str]]) -> dict[str, str] | None:
    """The OS an AWS tool reports: ``os/linux#6.1.0`` (SDKs since 2023) or ``Linux/6.1``."""
    for name, version in tokens:
        if name == "os" and version:
            system, _, release = version.partition("#")
            return _os_fields(system, release)
    for name, version in tokens:
        if name.lower() not in _OS_NAMES:
            continue
        # aws-sdk-js v2 writes the Node.js version after the platform (linux/v14.19.3).
        release = "" if version.startswith("v") else version
        return _os_fields(name, release)
    return None


def _os_fields(system: str, release: str) -> dict[str, str]:
    """ECS ``os.name`` and ``os.version``; not ``os.full``, which would repeat them both."""
    name = _OS_NAMES.get(system.lower(), system)
    return {"name": name, "version": release} if release else {"name": name}


def _generic_agent(result: Any) -> _Agent:
    """ua-parser's answer, without its placeholders (``Other``, the ``Spider`` of unknown tools)."""
    fields: dict[str, Any] = {}
    agent = getattr(result, "user_agent", None)
    if agent is not None and agent.family and agent.family != "Other":
        fields["name"] = agent.family
        version = _dotted(agent.major, agent.minor, agent.patch, agent.patch_minor)
        if version:
            fields["version"] = version
    system = getattr(result, "os", None)
    if system is not None and system.family and system.family != "Other":
        release = _dotted(system.major, system.minor, system.patch, system.patch_minor)
        fields["os"] = {"name": system.family, **({"version": release} if release else {})}
    device = getattr(result, "device", None)
    if device is not None and device.family and device.family not in ("Other", "Spider"):
        fields["device"] = {"name": device.family}
    return _Agent(fields, "browser" if _is_browser(result) else "other")


def _dotted(*parts: str | None) -> str:
    """ua-parser's version parts up to the first missing one: ``67.0.3396.99``."""
    return ".".join(takewhile(bool, parts))  # type: ignore[arg-type]


def _is_browser(result: Any) -> bool:
    text = getattr(result, "string", "")
    agent = getattr(result, "user_agent", None)
    return text.startswith("Mozilla/") and agent is not None and agent.family != "Other"


def _tool(text: str, agent: _Agent) -> tuple[str, str | None]:
    """``(tool.type, tool.name)``: what drove the request (see module doc)."""
    # An offensive tool first: adding a console or Terraform token must not hide it.
    for name, pattern in _PENTEST_TOOLS:
        if pattern.search(text):
            return "pentest", name
    if _CONSOLE_TOKEN.search(text):
        return "console", "aws-console"
    for name, pattern in _IAC:
        if pattern.search(text):
            return "iac", name
    if agent.kind in ("cli", "sdk", "browser"):
        return agent.kind, agent.tool
    if agent.kind == "library":
        return "other", agent.tool
    return "other", None


def _command(tokens: list[tuple[str, str]]) -> str | None:
    """aws-cli's ``command/s3.ls`` (v1 and v2) or ``md/command#s3.ls`` (v2 since 2024)."""
    for name, version in tokens:
        if name == "command" and version:
            return version
        if name == "md" and version.startswith("command#"):
            return version[8:] or None
    return None


def _flags(tokens: list[tuple[str, str]], tool_type: str | None, tool_name: str | None) -> list[str]:
    """An offensive tool is a ``tool.type`` (``pentest``), not a flag: the flag would repeat it."""
    flags = []
    if _pentest_distribution(tokens):
        flags.append("pentest_distribution")
    if tool_type == "other" and tool_name in _LIBRARIES.values():
        flags.append("scripting_library")
    return flags


def _pentest_distribution(tokens: list[tuple[str, str]]) -> bool:
    """Kali, Parrot, Pentoo or BlackArch in the parts that describe the OS: ``Linux/6.3.0-kali1``,
    ``os/linux#6.3.0-kali1``, aws-cli's ``exe/x86_64.kali.2023`` or ``md/distrib#kali.2023``."""
    for name, version in tokens:
        lowered = name.lower()
        os_part = (
            lowered in _OS_NAMES
            or lowered in ("os", "exe", "distrib")
            or (lowered == "md" and version.startswith("distrib#"))
        )
        if os_part and _PENTEST_DISTRIBUTIONS.search(version):
            return True
    return False
