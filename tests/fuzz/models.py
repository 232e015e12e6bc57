"""Findings generated from the AWS API models, member by member (botocore's service models).

The byte fuzzers (:mod:`tests.fuzz.test_fuzz`) mutate the findings we have; this one writes
findings we have no sample of: from a shape name (GuardDuty's ``Finding``, Security Hub's
``AwsSecurityFinding``, Config's ``ConfigurationItem``), a JSON tree with members drawn from
the model:

- structures: every member (``maximal``) or the required ones and a random subset;
- lists: 0-3 items (``list_items`` in a maximal finding), maps: 1-2 keys;
- strings shaped by what the member is, read from its name: timestamps as each source writes
  them (:meth:`Generator._timestamp`: RFC 3339 UTC for GuardDuty, with epoch seconds for the
  model's ``timestamp`` members; every RFC 3339 form Security Hub's API takes, offsets and
  nine digits included; Config's files and API), IPv4 and IPv6 addresses, CIDR blocks, ARNs
  (a role's for a ``Role``), account ids, regions, host names; plain text otherwise (ASCII,
  unicode, long values); enums from the model's ``enum``;
- integers, longs, doubles and booleans by type, within the model's ``min``/``max``;
- a few identifying members (a GuardDuty finding ``type``, its ``severity``, ASFF's
  ``ProductArn``...) from the values the sources document, so that the finding is valid;
- then what the model cannot say (:meth:`Generator._coherent`): one action block, one
  resource detail named by the resource's type, an IP indicator's value an IP.

Names are the wire names (``serialization["name"]``: GuardDuty's camelCase JSON of the S3
export and EventBridge); ``api_names=True`` gives the member names instead (the SDK/CLI
shape, PascalCase). Depth is bounded and a structure already being built is not entered
again (the models are recursive in places). Everything is drawn from ``random.Random(seed)``:
the same seed gives the same finding.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SERVICES = {"guardduty": "Finding", "securityhub": "AwsSecurityFinding", "config": "ConfigurationItem"}
"""The source each model serves, and the shape of one of its records."""

MAX_DEPTH = 24
"""Members deeper than this are left out (no model needs more: the recursion guard stops first)."""
LONG_TEXT = 1024
"""The length of a long plain-text value (and of every text value with ``long_strings``)."""

DOCUMENTED_REQUIRED = {
    # The ASFF's required attributes (aws-docs/securityhub/asff-required-attributes.md) that
    # the model leaves optional: "the finding must have either the Label or Normalized field".
    "securityhub": {"AwsSecurityFinding": {"Severity", "Types"}, "Severity": {"Label"}},
    # The model requires nothing of a configuration item; every item Config records or
    # returns names its account, region, resource, time and state (the normalizer requires
    # them: docs/sources/config.md).
    "config": {
        "ConfigurationItem": {
            "accountId",
            "awsRegion",
            "resourceType",
            "resourceId",
            "configurationItemCaptureTime",
            "configurationItemStatus",
            "configurationStateId",
        }
    },
}
"""Members always present besides the model's ``required`` ones, by structure."""

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
_TEXTS = [
    "example",
    "Example value 42",
    "naïve café — ünïcödé",
    "日本語のテキスト",
    "emoji 🚀🔥 and ZWJ 👩‍💻",
    'quotes " and \\ backslash',
    "tab\tand\nnewline",
    "x",
    "/path/to/some thing",
    "key=value; other=1",
]
_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"]
_GUARDDUTY_TYPES = [
    "Recon:EC2/PortProbeUnprotectedPort",
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "CryptoCurrency:EC2/BitcoinTool.B!DNS",
    "Execution:Runtime/NewBinaryExecuted",
    "Discovery:Kubernetes/SuccessfulAnonymousAccess",
    "Object:S3/MaliciousFile",
    "AttackSequence:IAM/CompromisedCredentials",
    "Policy:IAMUser/RootCredentialUsage",
]
_ASFF_TYPES = [
    "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices",
    "TTPs/Initial Access/UnauthorizedAccess:IAMUser-ConsoleLogin",
    "Effects/Data Exfiltration",
    "Unusual Behaviors/User",
    "Sensitive Data Identifications/PII",
    "Software and Configuration Checks/Vulnerabilities/CVE",
]
_PRODUCTS = [
    "aws/securityhub",
    "aws/guardduty",
    "aws/inspector",
    "aws/macie",
    "aws/config",
    "123456789012/custom",
]


@dataclass
class Generator:
    """Findings of one service's model, from one seed."""

    service: str
    seed: int = 0
    maximal: bool = False
    """Every member of every structure (the recursion guard and the depth bound aside)."""
    list_items: int = 1
    """How many items each outermost list has in a maximal finding, added while :attr:`budget`
    lasts (a list inside a list's items has one: 100 at every level would be 100 to the power
    of the depth; once the budget is spent, lists have one); random findings: 0-3."""
    long_strings: bool = False
    """Every plain-text value is :data:`LONG_TEXT` characters long."""
    api_names: bool = False
    """Member names (the SDK's PascalCase) rather than the wire names."""
    presence: float | None = None
    """The chance that an optional member is present in a random finding; by default drawn
    for each finding (sparse, half, nearly every member)."""
    budget: int = 1500
    """About how many values a random finding holds at most (the ASFF's resource details alone
    are hundreds of structures); optional members stop being added once it is spent."""
    max_values: int = 2_000_000
    """A finding that would hold more values than this is a mistake of the caller: raises."""
    distinct: bool = False
    """Every plain-text value and host name ends with a number of its own (a list of them is
    a list of distinct values, as a mapping that keeps distinct values sees them)."""
    rng: random.Random = field(init=False)
    _left: int = field(init=False, default=0)
    _drawn: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.service}:{self.seed}")
        if self.presence is None:
            self.presence = self.rng.choice([0.2, 0.5, 0.9])

    def finding(self, shape_name: str | None = None) -> dict[str, Any]:
        """One finding of ``shape_name`` (the service's record shape by default)."""
        self._left = self.budget
        shape = _shape(self.service, shape_name or SERVICES[self.service])
        value: dict[str, Any] = self._value(shape, shape.name, (), 0)
        if shape_name is None:
            self._coherent(value)
        return value

    def items(self, path: ListPath, count: int) -> list[Any]:
        """``count`` items for the list at ``path`` of a finding (see :func:`list_paths`)."""
        self._left = self.max_values
        return [self._value(path.shape.member, path.member, path.stack, 1, True) for _ in range(count)]

    def _coherent(self, finding: dict[str, Any]) -> None:
        """What the model cannot say but every real finding keeps: one action block (its
        ``actionType``'s), one member in an ASFF resource's ``Details``, named by its
        ``Type``; an IP indicator's ``Value`` an IP. A maximal finding keeps every block and
        detail (its resources' ``Type`` names one of them)."""
        if self.service == "guardduty":
            service, action, action_type = (
                ("Service", "Action", "ActionType") if self.api_names else ("service", "action", "actionType")
            )
            self._one_block(finding.get(service, {}).get(action), action_type)
        if self.service == "securityhub":
            self._one_block(finding.get("Action"), "ActionType")
            for resource in finding.get("Resources", []):
                if resource.get("Details"):
                    resource["Type"] = self._one_block(resource["Details"], "Other")
            for indicator in finding.get("ThreatIntelIndicators", []):
                if indicator.get("Type") in ("IPV4_ADDRESS", "IPV6_ADDRESS"):
                    indicator["Value"] = self._ip(v6=indicator["Type"] == "IPV6_ADDRESS")

    def _one_block(self, parent: dict[str, Any] | None, besides: str) -> str | None:
        """Keep one member of ``parent`` besides ``besides`` (all in a maximal finding); its name."""
        blocks = sorted(key for key in parent or {} if key != besides)
        if not parent or not blocks:
            return None
        keep = self.rng.choice(blocks)
        if not self.maximal:
            for key in blocks:
                if key != keep:
                    del parent[key]
        return keep

    # -- by type --------------------------------------------------------------------------

    def _value(
        self, shape: Any, member: str, stack: tuple[str, ...], depth: int, in_list: bool = False
    ) -> Any:
        self._left -= 1
        if self._left < self.budget - self.max_values:
            raise ValueError(f"{self.service}: more than {self.max_values} values in one finding")
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, (*stack, shape.name), depth, in_list)
        if kind == "list":
            if not self.maximal:
                count = self.rng.randint(0, 3)
                return [self._value(shape.member, member, stack, depth + 1, True) for _ in range(count)]
            items = [self._value(shape.member, member, stack, depth + 1, True)]
            while not in_list and len(items) < self.list_items and self._left > 0:
                items.append(self._value(shape.member, member, stack, depth + 1, True))
            return items
        if kind == "map":
            keys = {self._key(shape.key) for _ in range(1 if self.maximal else self.rng.randint(1, 2))}
            return {key: self._value(shape.value, member, stack, depth + 1, in_list) for key in keys}
        special = self._special(stack, member)
        if special is not None:
            return special
        if kind == "string":
            return self._string(shape, member)
        if kind == "timestamp":
            return self._timestamp(typed=True)
        if kind in ("integer", "long"):
            return self._integer(shape, member, kind)
        if kind in ("double", "float"):
            return self._double(shape)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "blob":
            return "ZXhhbXBsZQ=="
        raise AssertionError(f"{shape.name}: type {kind} not generated")

    def _structure(self, shape: Any, stack: tuple[str, ...], depth: int, in_list: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(shape.required_members) | DOCUMENTED_REQUIRED.get(self.service, {}).get(
            shape.name, set()
        )
        for name, (wire_name, member) in shape.members.items():
            if member.type_name == "structure" and member.name in stack:
                continue  # recursion: a structure inside itself
            if depth >= MAX_DEPTH:
                break
            optional = name not in required and not self.maximal
            if optional and (self._left <= 0 or self.rng.random() >= (self.presence or 0)):
                continue
            wire = name if self.api_names else wire_name
            out[wire] = self._value(member, name, stack, depth + 1, in_list)
        return out

    def _key(self, shape: Any) -> str:
        if shape.enum:
            return str(self.rng.choice(shape.enum))
        return self.rng.choice(["Name", "key-1", "aws:tag", "Ünïcode key", "a.b", "x" * 40])

    # -- strings --------------------------------------------------------------------------

    def _string(self, shape: Any, member: str) -> str:
        if shape.enum:
            return str(self.rng.choice(shape.enum))
        words = _WORDS.findall(member[:1].upper() + member[1:])  # Config's names are camelCase
        last = words[-1] if words else ""
        lowered = member.lower()
        if last in ("At", "Time", "Date", "Timestamp", "Seen") or lowered.endswith(("timestamp", "datetime")):
            return str(self._timestamp())
        if "Cidr" in words or "Cidrs" in words or "CidrBlock" in member:
            return self._cidr("V6" in member.upper() or "Ipv6" in member)
        if _is_address(words, member):  # an IpAddressV4 holds IPv4, a V6 IPv6, an Ip either
            return self._ip(v6=True if "6" in member else False if "4" in member else self.rng.random() < 0.2)
        if last in ("Arn", "Arns") or member in ("Id", "ResourceArn"):
            return self._arn()
        if last == "Role":  # a Lambda function's, a service's: the role's ARN
            return f"arn:aws:iam::{self._account()}:role/service-role/example-{self.rng.randint(1, 99)}"
        if lowered.endswith("accountid") or member in ("accountId", "AwsAccountId", "Owner", "OwnerId"):
            return self._account()
        if last == "Region":
            return self.rng.choice(_REGIONS)
        if last in ("Domain", "Hostname", "DnsName") or lowered.endswith("dnsname"):
            if self.distinct:
                return f"host-{self._next()}.example.com"
            return self.rng.choice(["example.com", "ip-10-0-0-1.ec2.internal", "xn--bcher-kva.example"])
        return self._text()

    def _next(self) -> int:
        self._drawn += 1
        return self._drawn

    def _text(self) -> str:
        if self.distinct:
            return f"{self.rng.choice(_TEXTS)} #{self._next()}"
        if self.long_strings:
            return ((self.rng.choice(_TEXTS) + " ünï ") * LONG_TEXT)[:LONG_TEXT]
        if self.rng.random() < 0.03:
            return "long " + "y" * self.rng.choice([300, 2000, 40_000])
        return self.rng.choice(_TEXTS)

    def _timestamp(self, typed: bool = False) -> str | int | float:
        """A time as the source writes it. GuardDuty: RFC 3339 UTC, no fraction or milliseconds
        (the export's ``createdAt``), and for the model's ``timestamp`` members also epoch
        seconds (the JSON protocol's default: its attack sequences carry both). Security Hub:
        the RFC 3339 forms its API accepts (fractions of up to nine digits, ``Z`` or an offset)."""
        seconds = self.rng.randint(1_500_000_000, 1_800_000_000)
        if self.service == "guardduty" and typed and self.rng.random() < 0.3:
            return self.rng.choice([seconds, seconds + self.rng.randint(0, 999) / 1000])
        if self.service == "config" and typed and self.rng.random() < 0.3:
            return seconds + self.rng.randint(0, 999) / 1000  # the API's JSON (awsjson): epoch seconds
        digits = self.rng.choice({"guardduty": [0, 3], "config": [3, 6]}.get(self.service, [0, 3, 6, 9]))
        fraction = f".{self.rng.randrange(10**digits):0{digits}d}" if digits else ""
        zone = "Z"
        if self.service == "config":
            zone = self.rng.choice(["Z", "+00:00"])  # the delivered files' and the API's
        elif self.service != "guardduty" and self.rng.random() < 0.3:
            zone = self.rng.choice(["+00:00", "+02:00", "-05:30", "+14:00"])
        return f"{_utc(seconds)}{fraction}{zone}"

    def _ip(self, v6: bool) -> str:
        if v6:
            return "2001:db8::" + format(self.rng.randint(1, 0xFFFF), "x")
        return f"{self.rng.choice([192, 198, 203, 10])}.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"

    def _cidr(self, v6: bool) -> str:
        return "2001:db8::/32" if v6 else f"10.{self.rng.randint(0, 255)}.0.0/16"

    def _arn(self) -> str:
        region = self.rng.choice(_REGIONS)
        return self.rng.choice(
            [
                f"arn:aws:iam::{self._account()}:role/example-role",
                f"arn:aws:ec2:{region}:{self._account()}:instance/i-0123456789abcdef0",
                f"arn:aws:s3:::example-bucket-{self.rng.randint(1, 99)}",
                f"arn:aws:lambda:{region}:{self._account()}:function:example",
            ]
        )

    def _account(self) -> str:
        return f"{self.rng.randint(0, 10**12 - 1):012d}"

    # -- numbers --------------------------------------------------------------------------

    def _integer(self, shape: Any, member: str, kind: str) -> int:
        low = int(shape.metadata.get("min", 0))
        high = int(shape.metadata.get("max", 2**31 - 1 if kind == "integer" else 2**53))
        if "Port" in _WORDS.findall(member):
            low, high = max(low, 0), min(high, 65535)
        return self.rng.choice([low, high, self.rng.randint(low, high), min(high, max(low, 1))])

    def _double(self, shape: Any) -> float:
        low = float(shape.metadata.get("min", -1e6))
        high = float(shape.metadata.get("max", 1e6))
        return self.rng.choice([low, high, round(self.rng.uniform(low, high), 3), 0.0])

    # -- members whose values identify the finding ----------------------------------------

    def _special(self, stack: tuple[str, ...], member: str) -> Any:
        """A valid value for a member that names or ranks the finding; ``None`` for others."""
        top = len(stack) == 1
        rng = self.rng
        if self.service == "guardduty" and top:
            region = rng.choice(_REGIONS)
            return {
                "Id": format(rng.getrandbits(128), "032x"),
                "Arn": f"arn:aws:guardduty:{region}:{self._account()}:detector/{'d' * 32}/finding/{'f' * 32}",
                "Type": rng.choice(_GUARDDUTY_TYPES),
                "Severity": rng.choice([1.0, 2.0, 5.0, 5.5, 8.0, 8.9, 9.0, 10.0]),
                "Confidence": rng.choice([0.0, 5.0, 10.0]),
                "Partition": "aws",
                "SchemaVersion": "2.0",
                "Region": region,
            }.get(member)
        if self.service == "securityhub":
            if top:
                return {
                    "ProductArn": f"arn:aws:securityhub:us-east-1::product/{rng.choice(_PRODUCTS)}",
                    "SchemaVersion": "2018-10-08",
                    "Confidence": rng.randint(0, 100),
                    "Criticality": rng.randint(0, 100),
                    "Region": rng.choice(_REGIONS),
                    "GeneratorId": rng.choice(
                        ["aws-foundational-security-best-practices/v/1.0.0/S3.1", "generator"]
                    ),
                }.get(member)
            if member == "Types":
                return rng.choice(_ASFF_TYPES)
            if stack[-1] == "Severity" and member == "Normalized":
                return rng.randint(0, 100)
        if self.service == "config":
            if member == "configurationStateId":
                return str(rng.randint(1_500_000_000_000, 1_800_000_000_000))  # epoch milliseconds
            if top and member == "awsRegion":
                return rng.choice([*_REGIONS, "global"])
            if member in ("configuration", "supplementaryConfiguration"):
                # JSON text in the API (an object in the delivered files): a resource's own shape.
                return json.dumps({"name": self._text(), "arn": self._arn(), "count": rng.randint(0, 9)})
        return None


_NOT_ADDRESS = {
    "Count",
    "Type",
    "Protocol",
    "Pool",
    "Assign",
    "Status",
    "Prefix",
    "Prefixes",
    "Http",
    "Family",
}


@dataclass(frozen=True)
class ListPath:
    """Where a list is in a finding: the keys and indexes leading to it (``keys``), its model
    shape, the member name holding it and the structures around it (what the generator reads)."""

    keys: tuple[str | int, ...]
    shape: Shape
    member: str
    stack: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(str(key) for key in self.keys)

    def replaced(self, finding: dict[str, Any], items: list[Any]) -> dict[str, Any]:
        """A copy of ``finding`` whose list at this path is ``items``."""
        copy: dict[str, Any] = json.loads(json.dumps(finding))
        node: Any = copy
        for key in self.keys[:-1]:
            node = node[key]
        node[self.keys[-1]] = items
        return copy


def list_paths(service: str, finding: dict[str, Any], api_names: bool = False) -> Iterator[ListPath]:
    """Every list of ``finding`` (one of the service's records, as :class:`Generator` writes
    them), the model's shapes followed down; below a list, its first item; below a map, its
    first value."""
    yield from _lists(service, finding, _shape(service, SERVICES[service]), (), "", (), api_names)


def _lists(
    service: str,
    value: Any,
    shape: Shape,
    keys: tuple[str | int, ...],
    member: str,
    stack: tuple[str, ...],
    api_names: bool,
) -> Iterator[ListPath]:
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, (wire, child) in shape.members.items():
            key = name if api_names else wire
            if key in value:
                yield from _lists(
                    service, value[key], child, (*keys, key), name, (*stack, shape.name), api_names
                )
    elif shape.type_name == "list" and isinstance(value, list):
        yield ListPath(keys, shape, member, stack)
        if value:
            yield from _lists(service, value[0], shape.member, (*keys, 0), member, stack, api_names)
    elif shape.type_name == "map" and isinstance(value, dict) and value:
        key = next(iter(value))
        yield from _lists(service, value[key], shape.value, (*keys, key), member, stack, api_names)


def _is_address(words: list[str], member: str) -> bool:
    upper = {word.upper() for word in words}
    if upper & {"IP", "IPV4", "IPV6", "IPS", "IPADDRESS", "IPADDRESSES"}:
        return not _NOT_ADDRESS & set(words)
    return member.endswith(("IpAddress", "Ipv4Address", "Ipv6Address", "IpAddressV4", "IpAddressV6"))


def _utc(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Shape:
    """What the generator reads of a botocore shape, read once: botocore resolves a
    structure's members anew on every access, most of a finding's generation time."""

    def __init__(self, service: str, shape: Any) -> None:
        self.service = service
        self.name: str = shape.name
        self.type_name: str = shape.type_name
        self.enum: list[str] = list(getattr(shape, "enum", None) or [])
        self.metadata: dict[str, Any] = dict(shape.metadata)
        self.required_members: list[str] = list(getattr(shape, "required_members", None) or [])
        self._shape = shape

    @functools.cached_property
    def members(self) -> dict[str, tuple[str, Shape]]:
        """``{member name: (wire name, shape)}``."""
        return {
            name: (member.serialization.get("name", name), _shape(self.service, member.name, member))
            for name, member in self._shape.members.items()
        }

    @functools.cached_property
    def member(self) -> Shape:
        return _shape(self.service, self._shape.member.name, self._shape.member)

    @functools.cached_property
    def key(self) -> Shape:
        return _shape(self.service, self._shape.key.name, self._shape.key)

    @functools.cached_property
    def value(self) -> Shape:
        return _shape(self.service, self._shape.value.name, self._shape.value)


_SHAPES: dict[tuple[str, str], Shape] = {}


def _shape(service: str, name: str, shape: Any = None) -> Shape:
    found = _SHAPES.get((service, name))
    if found is None:
        found = Shape(service, shape if shape is not None else _model(service).shape_for(name))
        _SHAPES[service, name] = found
    return found


@functools.cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)
