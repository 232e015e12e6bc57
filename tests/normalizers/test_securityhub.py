"""Security Hub normalizer behaviour not pinned by the golden cases."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.ecs import address
from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.limits import Limits
from normalizers.securityhub.normalize import normalize
from normalizers.securityhub.workload import malware_fields

ORIGIN = Origin("s3://bucket/securityhub/2026/03/02/10/stream-1", "2026-01-01T00:00:00Z")
BEYOND_THE_RECORD_LIMIT = dataclasses.replace(ORIGIN, limits=Limits(max_record_bytes=64 << 20))
"""For the findings of tens of MiB that test the mapping's own bounds: real findings stay far
below the record limit (Security Hub imports at most 240 KB a finding: docs/ingest.md), which would otherwise
dead-letter them before the mapping reads them (tests/fuzz checks the limit)."""


def _finding(**extra: Any) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": "finding-1",
        "GeneratorId": "generator-1",
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/macie",
        "AwsAccountId": "111122223333",
        "UpdatedAt": "2026-03-02T10:00:00Z",
        "Types": ["Sensitive Data Identifications/PII"],
        "Severity": {"Label": "LOW"},
        "Title": "t",
        **extra,
    }


def _envelope(*findings: Any, kind: str = "Security Hub Findings - Imported") -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": kind,
        "source": "aws.securityhub",
        "account": "999988887777",
        "region": "eu-west-1",
        "detail": {"findings": list(findings)},
    }


def _items(value: Any, origin: Origin = ORIGIN) -> list[Any]:
    return list(normalize(io.BufferedReader(io.BytesIO(json.dumps(value).encode())), origin))


def _one(finding: dict[str, Any], origin: Origin = ORIGIN) -> dict[str, Any]:
    (document,) = _items(finding, origin)
    assert not isinstance(document, DeadLetter), document
    return document


@pytest.mark.parametrize(
    ("extra", "kind", "category"),
    [
        ({}, "alert", ["threat"]),  # Sensitive Data Identifications
        ({"Types": ["Effects/Data Exposure"]}, "alert", ["threat"]),
        (
            {
                "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
                "ProductName": "GuardDuty",
            },
            "alert",
            ["threat"],
        ),
        (
            {"Types": ["Effects/Data Exposure"], "Compliance": {"Status": "FAILED"}},
            "state",
            ["configuration"],
        ),
        (
            {"Types": ["Software and Configuration Checks/Vulnerabilities/CVE"], "ProductName": "Inspector"},
            "state",
            ["vulnerability"],
        ),
        (
            {"Types": ["Industry and Regulatory Standards"], "ProductName": "Config"},
            "state",
            ["configuration"],
        ),
    ],
)
def test_kind_and_category(extra: dict[str, Any], kind: str, category: list[str]) -> None:
    document = _one(_finding(**extra))
    assert (document["event"]["kind"], document["event"]["category"]) == (kind, category)
    assert document["event"]["type"] == (["indicator"] if kind == "alert" else ["info"])


def test_region_and_provider_fall_back_to_the_product_arn() -> None:
    document = _one(_finding())
    assert document["cloud"]["region"] == "eu-west-1"
    assert document["event"]["provider"] == "macie"


def test_severity_from_finding_provider_fields() -> None:
    finding = _finding(FindingProviderFields={"Severity": {"Label": "CRITICAL", "Original": "9"}})
    del finding["Severity"]
    document = _one(finding)
    assert document["event"]["severity"] == 90
    assert document["aws"]["securityhub_findings"]["severity"] == {"label": "CRITICAL", "original": "9"}


def test_a_finding_with_no_severity_is_indexed_without_one() -> None:
    # ASFF calls it not valid (Severity needs a Label or a Normalized); kept searchable rather
    # than dead-lettered (docs/sources/securityhub.md), as make fuzz's mutated "Sevelity" is.
    finding = _finding()
    finding["Sevelity"] = finding.pop("Severity")
    document = _one(finding)
    assert "severity" not in document["event"]
    assert "severity" not in document["aws"]["securityhub_findings"]
    assert document["event"]["id"].startswith(finding["Id"])


def test_a_finding_that_names_no_product_is_a_missing_field() -> None:
    # Found by make fuzz (a mutation cut "ProductArn" out): it was indexed without
    # event.provider, which every document has; the OCSF path already dead-lettered it.
    finding = _finding(Region="eu-west-1", ProductFields={"aws/securityhub/FindingId": "x"})
    del finding["ProductArn"]
    (letter,) = _items(finding)
    assert isinstance(letter, DeadLetter)
    assert (letter.reason, letter.position) == ("missing field: ProductArn", "record 0")
    assert json.loads(letter.raw) == finding


def test_access_key_with_session_context() -> None:
    details = {
        "AccessKeyId": "ASIASESSIONEXAMPLE01",
        "PrincipalId": "AROAEXAMPLE:ci-job",
        "PrincipalName": "ci-job",
        "PrincipalType": "AssumedRole",
        "AccountId": "444455556666",
        "SessionContext": {
            "Attributes": {"MfaAuthenticated": False, "CreationDate": "2026-03-02T09:00:00Z"},
            "SessionIssuer": {
                "Type": "Role",
                "UserName": "Deployer",
                "AccountId": "444455556666",
                "Arn": "arn:aws:iam::444455556666:role/Deployer",
                "PrincipalId": "AROAEXAMPLE",
            },
        },
    }
    resources = [
        {"Type": "AwsIamUser", "Id": "arn:aws:iam::111122223333:user/other"},
        {
            "Type": "AwsIamAccessKey",
            "Id": "AWS::IAM::AccessKey:ASIAIGNOREDEXAMPLE1",
            "Details": {"AwsIamAccessKey": details},
        },
    ]
    document = _one(_finding(Resources=resources))
    assert document["user"] == {"name": "ci-job", "id": "AROAEXAMPLE:ci-job", "roles": ["Deployer"]}
    assert document["related"]["user"] == ["ci-job", "AROAEXAMPLE:ci-job", "ASIASESSIONEXAMPLE01", "Deployer"]
    identity = document["aws"]["securityhub_findings"]["user_identity"]
    assert identity["account_id"] == "444455556666"
    assert identity["session_context"] == {
        "mfa_authenticated": False,
        "creation_date": "2026-03-02T09:00:00Z",
        "session_issuer": {
            "type": "Role",
            "principal_id": "AROAEXAMPLE",
            "arn": "arn:aws:iam::444455556666:role/Deployer",
            "account_id": "444455556666",
        },
    }


def test_blocked_inbound_connection() -> None:
    action = {
        "ActionType": "NETWORK_CONNECTION",
        "NetworkConnectionAction": {
            "ConnectionDirection": "INBOUND",
            "Protocol": "UDP",
            "Blocked": True,
            "RemoteIpDetails": {"IpAddressV4": "192.0.2.1", "Organization": {"Asn": 64500, "AsnOrg": "Org"}},
            "RemotePortDetails": {"Port": 53},
            "LocalPortDetails": {"Port": 5353},
        },
    }
    document = _one(
        _finding(Action=action, Network={"SourceIpV4": "192.0.2.1", "DestinationIpV4": "10.1.1.1"})
    )
    assert document["source"] == {
        "ip": "192.0.2.1",
        "port": 53,
        "as": {"number": 64500, "organization": {"name": "Org"}},
    }
    # ASFF's NetworkConnectionAction has no local IP: Network's destination completes it.
    assert document["destination"] == {"ip": "10.1.1.1", "port": 5353}
    assert document["network"] == {"direction": "inbound", "transport": "udp"}
    assert document["event"]["outcome"] == "failure"
    assert document["related"]["ip"] == ["192.0.2.1", "10.1.1.1"]


def test_a_bad_finding_in_an_event_is_dead_lettered_alone_and_replays_standalone() -> None:
    bad = _finding(Id=None, Title="bad one")
    items = _items(_envelope(_finding(Id="good-1"), bad, "not an object", _finding(Id="good-2")))
    assert [i["aws"]["securityhub_findings"]["id"] for i in items if not isinstance(i, DeadLetter)] == [
        "good-1",
        "good-2",
    ]
    dead = [i for i in items if isinstance(i, DeadLetter)]
    assert [(d.position, d.reason.split(":")[0]) for d in dead] == [
        ("record 0 finding 1", "missing field"),
        ("record 0 finding 2", "invalid record"),
    ]
    assert json.loads(dead[0].raw) == bad
    replayed = list(normalize_object(io.BytesIO(dead[0].raw), ORIGIN))
    assert [(d.source, d.reason, d.position) for d in replayed] == [
        ("securityhub", dead[0].reason, "record 0")
    ]


def test_events_that_carry_no_findings_are_dead_lettered() -> None:
    insight = {
        "version": "0",
        "detail-type": "Security Hub Insight Results",
        "detail": {"insightResults": []},
    }
    (dead,) = _items(insight)
    assert isinstance(dead, DeadLetter) and dead.reason.startswith("invalid record")
    (broken,) = _items({**_envelope(), "detail": {"findings": "x"}})
    assert isinstance(broken, DeadLetter) and broken.position == "record 0"


def test_custom_action_event_and_empty_event() -> None:
    documents = _items(_envelope(_finding(), kind="Security Hub Findings - Custom Action"))
    assert documents[0]["aws"]["securityhub_findings"]["envelope_account_id"] == "999988887777"
    assert _items(_envelope()) == []


def test_vulnerabilities_fill_ecs_vulnerability() -> None:
    vulnerabilities = [
        {
            "Id": "CVE-2024-0001",
            "Cvss": [{"BaseScore": 7.5, "Version": "V3"}, {"BaseScore": 9.8, "Version": "V3"}],
            "ReferenceUrls": ["https://nvd.nist.gov/vuln/detail/CVE-2024-0001"],
        },
        {"Id": "CVE-2024-0002", "Cvss": [{"BaseScore": "n/a"}]},
    ]
    document = _one(
        _finding(
            Types=["Software and Configuration Checks/Vulnerabilities/CVE"],
            ProductName="Inspector",
            CompanyName="Amazon",
            Severity={"Label": "CRITICAL"},
            Vulnerabilities=vulnerabilities,
        )
    )
    assert document["vulnerability"] == {
        "id": ["CVE-2024-0001", "CVE-2024-0002"],
        "score": {"base": 9.8},
        "reference": ["https://nvd.nist.gov/vuln/detail/CVE-2024-0001"],
        "severity": "CRITICAL",
        "scanner": {"vendor": "Amazon"},
    }
    assert "vulnerability" not in _one(_finding())


def _lines(*findings: Any) -> list[Any]:
    data = b"\n".join(json.dumps(finding).encode() for finding in findings) + b"\n"
    return list(normalize(io.BufferedReader(io.BytesIO(data)), ORIGIN))


def test_an_unexpected_failure_costs_one_finding_and_the_next_ones_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure no check foresaw (an ASN of "Infinity" once overflowed int()): not a
    RecordError, yet only that finding is lost."""

    def overflowing(value: Any) -> int | None:
        raise OverflowError("cannot convert Infinity to integer")

    monkeypatch.setattr(address, "_as_number", overflowing)
    action = {
        "NetworkConnectionAction": {
            "ConnectionDirection": "INBOUND",
            "RemoteIpDetails": {"IpAddressV4": "192.0.2.1", "Organization": {"Asn": "Infinity"}},
        }
    }
    bad = _finding(Id="bad", Action=action)
    items = _lines(_finding(Id="a"), bad, _finding(Id="c"))
    assert [i["aws"]["securityhub_findings"]["id"] for i in items if not isinstance(i, DeadLetter)] == [
        "a",
        "c",
    ]
    (dead,) = [i for i in items if isinstance(i, DeadLetter)]
    assert dead.position == "record 1" and json.loads(dead.raw) == bad
    assert dead.reason.startswith("invalid record: OverflowError: ")


def test_a_list_where_an_ip_is_expected_never_stops_the_object() -> None:
    """Each finding gives exactly one item, in order: a document, or a dead letter holding it."""
    bad = _finding(Id="bad", Network={"SourceIpV4": ["1.2.3.4"]})
    items = _lines(_finding(Id="a"), bad, _finding(Id="c"))
    assert len(items) == 3
    assert [items[0]["aws"]["securityhub_findings"]["id"], items[2]["aws"]["securityhub_findings"]["id"]] == [
        "a",
        "c",
    ]
    if isinstance(items[1], DeadLetter):
        assert items[1].position == "record 1" and json.loads(items[1].raw) == bad
        assert items[1].reason.startswith("invalid record")


def test_an_event_whose_detail_type_is_not_text_is_dead_lettered() -> None:
    items = _lines({"detail-type": ["x"], "detail": {}}, _finding(Id="a"))
    assert isinstance(items[0], DeadLetter)
    assert items[0].reason == "invalid record: detail-type ['x'] does not carry Security Hub findings"
    assert items[1]["aws"]["securityhub_findings"]["id"] == "a"


_GUARDDUTY = {
    "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/guardduty",
    "Types": ["TTPs/Discovery"],
}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"Severity": {"Label": "MEDIUM", "Normalized": 40, "Original": "5.5"}}, (55, "MEDIUM")),
        ({"Severity": {"Label": "HIGH", "Normalized": 70, "Original": "8.95"}}, (90, "CRITICAL")),
        ({"Severity": {"Label": "HIGH", "Normalized": 70, "Original": "HIGH", "Product": 8}}, (80, "HIGH")),
        (
            {
                "Severity": {"Label": "LOW", "Normalized": 1},
                "FindingProviderFields": {"Severity": {"Label": "LOW", "Original": "2"}},
            },
            (20, "LOW"),
        ),
        (
            {"Severity": {"Label": "HIGH", "Normalized": 70, "Original": "HIGH"}},
            (70, "HIGH"),
        ),  # nothing numeric
        (
            {
                "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/macie",  # not GuardDuty: Normalized
                "Severity": {"Label": "MEDIUM", "Normalized": 40, "Original": "5"},
            },
            (40, "MEDIUM"),
        ),
    ],
)
def test_a_guardduty_finding_is_scored_from_the_guardduty_severity(
    extra: dict[str, Any], expected: tuple[int, str]
) -> None:
    document = _one(_finding(**{**_GUARDDUTY, **extra}))
    assert (
        document["event"]["severity"],
        document["aws"]["securityhub_findings"]["severity"]["label"],
    ) == expected


def test_guardduty_is_also_recognized_by_product_name() -> None:
    finding = _finding(
        ProductArn="arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default",
        ProductName="GuardDuty",
        Severity={"Label": "MEDIUM", "Normalized": 40, "Original": "6"},
    )
    assert _one(finding)["event"]["severity"] == 60


@pytest.mark.parametrize(
    ("direction", "source", "destination", "network_direction"),
    [
        ("IN", {"ip": "192.0.2.1", "port": 50000}, {"ip": "10.1.1.1", "port": 22}, "inbound"),
        ("INBOUND", {"ip": "192.0.2.1", "port": 50000}, {"ip": "10.1.1.1", "port": 22}, "inbound"),
        ("OUT", {"ip": "10.1.1.1", "port": 22}, {"ip": "192.0.2.1", "port": 50000}, "outbound"),
        ("OUTBOUND", {"ip": "10.1.1.1", "port": 22}, {"ip": "192.0.2.1", "port": 50000}, "outbound"),
    ],
)
def test_connection_direction_in_either_spelling(
    direction: str, source: dict[str, Any], destination: dict[str, Any], network_direction: str
) -> None:
    """GuardDuty writes INBOUND/OUTBOUND; the ASFF reference also allows IN/OUT."""
    action = {
        "ActionType": "NETWORK_CONNECTION",
        "NetworkConnectionAction": {
            "ConnectionDirection": direction,
            "Protocol": "TCP",
            "RemoteIpDetails": {"IpAddressV4": "192.0.2.1"},
            "RemotePortDetails": {"Port": 50000},
            "LocalIpDetails": {"IpAddressV4": "10.1.1.1"},
            "LocalPortDetails": {"Port": 22},
        },
    }
    document = _one(_finding(Action=action))
    assert (document["source"], document["destination"]) == (source, destination)
    assert document["network"] == {"direction": network_direction, "transport": "tcp"}


def test_related_ip_has_threat_intel_ips_and_network_interface_addresses() -> None:
    indicators = [
        {"Type": "IPV4_ADDRESS", "Value": "203.0.113.7", "Category": "BACKDOOR"},
        {"Type": "IPV6_ADDRESS", "Value": "2001:DB8::7"},
        {"Type": "DOMAIN", "Value": "evil.example.com"},
        {"Type": "IPV4_ADDRESS", "Value": "not an ip"},
    ]
    interface = {
        "NetworkInterfaceId": "eni-0123456789abcdef0",
        "PublicIp": "198.51.100.20",
        "PrivateIpAddresses": [
            {"PrivateIpAddress": "10.0.0.20", "PrivateDnsName": "ip-10-0-0-20.ec2.internal"}
        ],
        "Ipv6Addresses": [{"Ipv6Address": "2001:db8::20"}],
    }
    resources = [
        {
            "Type": "AwsEc2NetworkInterface",
            "Id": "arn:aws:ec2:eu-west-1:111122223333:network-interface/eni-0123",
            "Details": {"AwsEc2NetworkInterface": interface},
        }
    ]
    document = _one(_finding(ThreatIntelIndicators=indicators, Resources=resources))
    assert document["related"]["ip"] == [
        "10.0.0.20",
        "198.51.100.20",
        "2001:db8::20",
        "203.0.113.7",
        "2001:db8::7",
    ]


def test_network_domains_are_kept_beside_the_ips() -> None:
    network = {
        "Direction": "OUT",
        "Protocol": "TCP",
        "SourceIpV4": "10.0.0.5",
        "SourceDomain": "ip-10-0-0-5.ec2.internal",
        "SourcePort": 40000,
        "DestinationIpV4": "203.0.113.9",
        "DestinationDomain": "c2.example.net",
        "DestinationPort": 443,
    }
    document = _one(_finding(Network=network))
    assert document["source"] == {"ip": "10.0.0.5", "domain": "ip-10-0-0-5.ec2.internal", "port": 40000}
    assert document["destination"] == {"ip": "203.0.113.9", "domain": "c2.example.net", "port": 443}
    assert document["network"] == {"direction": "outbound", "transport": "tcp"}
    only_domain = _one(_finding(Network={"DestinationDomain": "c2.example.net"}))
    assert only_domain["destination"] == {"address": "c2.example.net", "domain": "c2.example.net"}


@pytest.mark.parametrize(
    ("extra", "message", "name"),
    [
        ({"Description": "bucket is public"}, "bucket is public", "generator-1"),
        ({"Title": "", "Description": "bucket is public"}, "bucket is public", "generator-1"),
        ({"Types": []}, "generator-1", "generator-1"),
        ({"Title": "public bucket", "Description": "bucket is public"}, "public bucket", "public bucket"),
    ],
)
def test_a_finding_without_a_title_is_named_by_its_generator(
    extra: dict[str, Any], message: str, name: str
) -> None:
    finding = _finding(**extra)
    if "Title" not in extra:
        del finding["Title"]
    document = _one(finding)
    assert (document["message"], document["rule"]["name"]) == (message, name)
    assert document["rule"]["id"] == "generator-1"
    assert ("title" in document["aws"]["securityhub_findings"]) == bool(extra.get("Title"))


def test_a_finding_without_a_title_or_a_generator_is_dead_lettered() -> None:
    finding = _finding(Description="bucket is public")
    del finding["Title"], finding["GeneratorId"]
    (dead,) = _items(_envelope(finding))
    assert isinstance(dead, DeadLetter)
    assert (dead.reason, dead.position) == ("missing field: GeneratorId", "record 0 finding 0")
    assert json.loads(dead.raw) == finding


def test_a_finding_naming_many_containers_and_malware_reads_a_bounded_number() -> None:
    """100,000 task containers and malware entries: the first container is ``container``, and
    LIST_LIMIT of each list are read (normalizers/securitylake/bounded.py)."""
    containers = [{"Name": f"c{index}", "Image": f"app:{index}"} for index in range(100_000)]
    malware = [{"Name": f"m{index}", "Type": "VIRUS"} for index in range(100_000)]
    task = {"Type": "AwsEcsTask", "Id": "t", "Details": {"AwsEcsTask": {"Containers": containers}}}
    document = _one(_finding(Resources=[task], Malware=malware))
    assert document["container"] == {"name": "c0", "image": {"name": "app", "tag": ["0"]}}
    images = document["aws"]["securityhub_findings"]["container_images"]
    assert images == [f"app:{index}" for index in range(LIST_LIMIT)]
    assert document["threat"]["software"]["name"] == [f"m{index}" for index in range(LIST_LIMIT)]


def test_a_task_definition_naming_100000_mounts_volumes_and_containers_reads_a_bounded_number() -> None:
    """A container definition with 100,000 mount points, 100,000 privileged definitions, 100,000
    host volumes: LIST_LIMIT mounts of the finding, of the volumes, of the definitions."""
    mounts = [{"SourceVolume": f"v{index}", "ContainerPath": f"/m/{index}"} for index in range(100_000)]
    definitions = [{"Name": "first", "Privileged": False, "MountPoints": mounts}]
    definitions += [{"Name": f"p{index}", "Privileged": True} for index in range(100_000)]
    volumes = [{"Name": f"v{index}", "Host": {"SourcePath": f"/h/{index}"}} for index in range(100_000)]
    details = {"AwsEcsTaskDefinition": {"ContainerDefinitions": definitions, "Volumes": volumes}}
    resources = [{"Type": "AwsEcsTaskDefinition", "Id": "td", "Details": details}]
    document = _one(_finding(Resources=resources), BEYOND_THE_RECORD_LIMIT)
    assert document["container"] == {"name": "first", "security_context": {"privileged": False}}
    block = document["aws"]["securityhub_findings"]
    assert block["container_mounts"] == {
        "path": [f"/m/{index}" for index in range(LIST_LIMIT)],
        "volume": [f"v{index}" for index in range(LIST_LIMIT)],
        "host_path": [f"/h/{index}" for index in range(LIST_LIMIT)],
    }
    assert block["privileged_containers"] == [f"p{index}" for index in range(LIST_LIMIT - 1)]


def test_malware_gives_every_name_and_the_first_path() -> None:
    threat, file = malware_fields([{"Name": "EICAR", "Path": "/tmp/eicar.com"}, {"Path": "/tmp/other"}])
    assert file == {"path": "/tmp/eicar.com"}
    assert threat == {"software": {"name": ["EICAR"], "type": "Malware"}}
    assert malware_fields({"Name": "not a list"}) == ({}, {})


def test_a_finding_naming_1000_resources_indicators_and_path_components_derives_bounded_pivots() -> None:
    """1,000 of each kind of resource the mapping reads (instances with 1,000 addresses each,
    network interfaces, buckets, objects, Lambda functions), 1,000 IP indicators and network
    path components: each pivot holds the first :data:`LIST_LIMIT` distinct values of what it
    derives from (the resources stay whole in ``aws.securityhub_findings.resources``)."""
    count = 1000
    instances = [
        {
            "Type": "AwsEc2Instance",
            "Id": f"arn:aws:ec2:eu-west-1:111122223333:instance/i-{index:017x}",
            "Details": {
                "AwsEc2Instance": {
                    "IpV4Addresses": [f"10.{index % 250}.{n % 250}.{n // 250 + 1}" for n in range(count)]
                }
            },
        }
        for index in range(count)
    ]
    interfaces = [
        {
            "Type": "AwsEc2NetworkInterface",
            "Id": f"eni-{index}",
            "Details": {"AwsEc2NetworkInterface": {"PublicIp": f"198.51.{index // 250}.{index % 250 + 1}"}},
        }
        for index in range(count)
    ]
    buckets = [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::bucket-{index}"} for index in range(count)]
    objects = [{"Type": "AwsS3Object", "Id": f"arn:aws:s3:::b/key-{index}"} for index in range(count)]
    functions = [
        {
            "Type": "AwsLambdaFunction",
            "Id": f"function-{index}",
            "Details": {"AwsLambdaFunction": {"Role": f"arn:aws:iam::111122223333:role/role-{index}"}},
        }
        for index in range(count)
    ]
    indicators = [
        {"Type": "IPV4_ADDRESS", "Value": f"203.0.{index // 250}.{index % 250 + 1}"} for index in range(count)
    ]
    path = [
        {
            "ComponentId": f"i-{index:017x}",
            "ComponentType": "AWS::EC2::Instance",
            "Ingress": {"Source": {"Address": [f"192.0.{index // 250}.{index % 250 + 1}"]}},
        }
        for index in range(count)
    ]
    for resources in (instances, interfaces, buckets, objects, functions):
        finding = _finding(Resources=resources, ThreatIntelIndicators=indicators, NetworkPath=path)
        document = _one(finding, BEYOND_THE_RECORD_LIMIT)
        assert len(document["aws"]["securityhub_findings"]["resources"]) == count  # kept whole
        related = document["related"]
        for pivot in ("ip", "hosts", "user"):
            assert len(related.get(pivot, [])) <= 3 * LIST_LIMIT, (resources[0]["Type"], pivot)
        s3 = document["aws"].get("s3", {})
        for values in (s3.get("bucket", {}).get("name", []), s3.get("object", {}).get("key", [])):
            assert len(values) <= LIST_LIMIT, resources[0]["Type"]
    instances_document = _one(_finding(Resources=instances), BEYOND_THE_RECORD_LIMIT)
    assert len(instances_document["related"]["ip"]) == LIST_LIMIT
    assert len(instances_document["related"]["hosts"]) == LIST_LIMIT
