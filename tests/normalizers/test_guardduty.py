"""GuardDuty normalizer behaviour not pinned by the golden cases."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import orjson
import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.ecs import address
from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.guardduty.normalize import normalize
from normalizers.limits import Limits

ORIGIN = Origin("s3://bucket/AWSLogs/111122223333/GuardDuty/us-east-1/x.jsonl.gz", "2026-01-01T00:00:00Z")
BEYOND_THE_RECORD_LIMIT = dataclasses.replace(ORIGIN, limits=Limits(max_record_bytes=64 << 20))
"""For the findings of tens of MiB that test the mapping's own bounds: real findings stay far
below the record limit (Security Hub imports at most 240 KB a finding: docs/ingest.md), which would otherwise
dead-letter them before the mapping reads them (tests/fuzz checks the limit)."""


def _finding(**extra: Any) -> dict[str, Any]:
    return {
        "schemaVersion": "2.0",
        "accountId": "111122223333",
        "region": "us-east-1",
        "id": "f1",
        "type": "UnauthorizedAccess:EC2/SSHBruteForce",
        "severity": 2,
        "updatedAt": "2026-03-02T10:00:00Z",
        **extra,
    }


def _items(data: bytes, origin: Origin = ORIGIN) -> list[Any]:
    return list(normalize(io.BufferedReader(io.BytesIO(data)), origin))


def _one(finding: dict[str, Any], origin: Origin = ORIGIN) -> dict[str, Any]:
    (document,) = _items(json.dumps(finding).encode(), origin)
    assert not isinstance(document, DeadLetter), document
    return document


def _connection(direction: str, blocked: bool) -> dict[str, Any]:
    return {
        "action": {
            "actionType": "NETWORK_CONNECTION",
            "networkConnectionAction": {
                "connectionDirection": direction,
                "protocol": "TCP",
                "blocked": blocked,
                "localIpDetails": {"ipAddressV4": "10.0.0.5"},
                "localPortDetails": {"port": 22},
                "remoteIpDetails": {"ipAddressV6": "2001:DB8:0:0::1"},
                "remotePortDetails": {"port": 50000},
            },
        }
    }


def test_inbound_connection_comes_from_the_remote_side() -> None:
    document = _one(_finding(service=_connection("INBOUND", True)))
    assert document["source"] == {"ip": "2001:db8::1", "port": 50000}
    assert document["destination"] == {"ip": "10.0.0.5", "port": 22}
    assert document["network"] == {"direction": "inbound", "transport": "tcp"}
    assert document["event"]["outcome"] == "failure"  # blocked
    assert document["related"]["ip"] == ["2001:db8::1", "10.0.0.5"]


def test_dns_request() -> None:
    service = {
        "action": {
            "actionType": "DNS_REQUEST",
            "dnsRequestAction": {"domain": "pool.example.com", "protocol": "UDP", "blocked": False},
        }
    }
    document = _one(_finding(type="CryptoCurrency:EC2/BitcoinTool.B!DNS", service=service))
    assert document["dns"] == {"question": {"name": "pool.example.com"}}
    # The query's protocol (DnsRequestAction.Protocol) is its transport.
    assert document["network"] == {"protocol": "dns", "transport": "udp"}
    assert document["event"]["outcome"] == "success"
    assert document["rule"]["category"] == "CryptoCurrency"


def test_api_call_user_agent_object_and_no_error_is_unknown_outcome() -> None:
    service = {
        "action": {
            "actionType": "AWS_API_CALL",
            "awsApiCallAction": {
                "api": "GetObject",
                "userAgent": {"fullUserAgent": "Boto3/1.34 md/Botocore", "userAgent": "Boto3"},
                "remoteIpDetails": {"ipAddressV4": "198.51.100.9", "geoLocation": {"lat": 91, "lon": 0}},
            },
        }
    }
    document = _one(_finding(service=service))
    assert document["user_agent"] == {"original": "Boto3/1.34 md/Botocore"}
    assert document["event"]["outcome"] == "unknown"
    assert document["source"] == {"ip": "198.51.100.9"}  # latitude 91 is not a geo_point


def test_federated_user_session() -> None:
    details = {
        "accessKeyId": "ASIAFEDERATEDEXAMPLE",
        "principalId": "111122223333:bob",
        "userName": "bob",
        "userType": "FederatedUser",
    }
    document = _one(_finding(resource={"resourceType": "AccessKey", "accessKeyDetails": details}))
    assert document["user"] == {"name": "bob", "id": "111122223333:bob"}
    assert document["related"]["user"] == ["bob", "111122223333:bob", "ASIAFEDERATEDEXAMPLE"]


def test_event_original_when_asked() -> None:
    line = json.dumps(_finding()).encode()
    origin = Origin(ORIGIN.object, ORIGIN.ingested, keep_original=True)
    (document,) = _items(line + b"\n", origin)
    assert document["event"]["original"] == line.decode()
    assert "original" not in _one(_finding())["event"]


def test_batch_whose_findings_key_is_not_first() -> None:
    batch = {"nextToken": "", "findings": [_finding(id="a"), {"id": "b"}, _finding(id="c")]}
    items = _items(json.dumps(batch).encode())
    assert [i["aws"]["guardduty"]["id"] for i in items if not isinstance(i, DeadLetter)] == ["a", "c"]
    (dead,) = [i for i in items if isinstance(i, DeadLetter)]
    # Its findings are counted as the records of the stream, as when "findings" comes first.
    assert dead.position == "record 1" and dead.reason.startswith("missing field")
    assert json.loads(dead.raw) == {"id": "b"}


def test_dead_letter_raw_is_the_record_and_replays_to_the_same_reason() -> None:
    envelope = {
        "version": "0",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": "111122223333",
        "detail": _finding(updatedAt="not a date"),
    }
    lines = [json.dumps(_finding()).encode(), json.dumps(envelope).encode(), b"42"]
    items = _items(b"\n".join(lines))
    assert [type(i).__name__ for i in items] == ["dict", "DeadLetter", "DeadLetter"]
    assert [(i.position, i.raw) for i in items[1:]] == [("record 1", lines[1]), ("record 2", lines[2])]
    assert items[2].reason.startswith("invalid record")
    replayed = list(normalize_object(io.BytesIO(items[1].raw), ORIGIN))
    assert [(d.source, d.reason, d.position) for d in replayed] == [
        ("guardduty", items[1].reason, "record 0")
    ]


def test_missing_region_falls_back_to_the_arn() -> None:
    finding = _finding(arn="arn:aws:guardduty:eu-west-3:111122223333:detector/d/finding/f1")
    del finding["region"]
    assert _one(finding)["cloud"]["region"] == "eu-west-3"
    del finding["arn"]
    (dead,) = _items(json.dumps(finding).encode())
    assert isinstance(dead, DeadLetter) and dead.reason == "missing field: region"


def test_unbounded_objects_stay_whole() -> None:
    service = {
        "evidence": {"threatIntelligenceDetails": [{"threatListName": "x", "threatNames": ["y"]}]},
        "additionalInfo": {"unusual": {"hoursOfDay": [1, 2]}, "Weird Key/With:Chars": 1},
    }
    document = _one(_finding(service=service))
    block = document["aws"]["guardduty"]["service"]
    assert block["evidence"] == service["evidence"]
    assert block["additional_info"] == service["additionalInfo"]


def test_resource_details_are_always_objects() -> None:
    """Each ``aws.guardduty.resource.*_details`` is a flat_object: a scalar is wrapped."""
    resource = {
        "resourceType": "S3Bucket",
        "s3BucketDetails": [{"name": "b"}, "odd"],
        "eksClusterDetails": "x",
    }
    block = _one(_finding(resource=resource))["aws"]["guardduty"]["resource"]
    assert block == {
        "type": "S3Bucket",
        "s3_bucket_details": [{"name": "b"}, {"value": "odd"}],
        "eks_cluster_details": {"value": "x"},
    }


def test_an_unexpected_failure_costs_one_finding_and_the_next_ones_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure no check foresaw (an ASN of "Infinity" once overflowed int()): not a
    RecordError, yet only that finding is lost."""

    def overflowing(value: Any) -> int | None:
        raise OverflowError("cannot convert Infinity to integer")

    monkeypatch.setattr(address, "_as_number", overflowing)
    remote = {"ipAddressV4": "198.51.100.9", "organization": {"asn": "Infinity", "asnOrg": "x"}}
    bad = _finding(
        id="bad", service={"action": {"awsApiCallAction": {"api": "x", "remoteIpDetails": remote}}}
    )
    lines = [
        json.dumps(_finding(id="a")).encode(),
        json.dumps(bad).encode(),
        json.dumps(_finding(id="c")).encode(),
    ]
    items = _items(b"\n".join(lines) + b"\n")
    assert [i["aws"]["guardduty"]["id"] for i in items if not isinstance(i, DeadLetter)] == ["a", "c"]
    (dead,) = [i for i in items if isinstance(i, DeadLetter)]
    assert dead.position == "record 1" and dead.raw == lines[1]
    assert dead.reason.startswith("invalid record: OverflowError: ")


def test_kubernetes_api_call_gives_source_related_ip_and_user_agent() -> None:
    action = {
        "actionType": "KUBERNETES_API_CALL",
        "kubernetesApiCallAction": {
            "requestUri": "/api/v1/namespaces/default/secrets",
            "verb": "list",
            "sourceIPs": ["203.0.113.5"],
            "userAgent": "kubectl/v1.29.0 (linux/amd64)",
            "statusCode": 200,
            "remoteIpDetails": {
                "ipAddressV4": "203.0.113.5",
                "country": {"countryName": "Exampleland"},
                "organization": {"asn": "64501", "asnOrg": "Example Net"},
            },
        },
    }
    document = _one(
        _finding(type="Discovery:Kubernetes/SuccessfulAnonymousAccess", service={"action": action})
    )
    assert document["source"] == {
        "ip": "203.0.113.5",
        "geo": {"country_name": "Exampleland"},
        "as": {"number": 64501, "organization": {"name": "Example Net"}},
    }
    assert document["related"]["ip"] == ["203.0.113.5"]
    assert document["user_agent"] == {"original": "kubectl/v1.29.0 (linux/amd64)"}


def test_several_remote_ips_go_to_related_ip_only() -> None:
    action = {
        "kubernetesApiCallAction": {
            "sourceIPs": ["203.0.113.5", "198.51.100.6", "junk", {"x": 1}],
            "remoteIpDetails": {"ipAddressV4": "203.0.113.5"},
        }
    }
    document = _one(_finding(service={"action": action}))
    assert "source" not in document
    assert document["related"]["ip"] == ["203.0.113.5", "198.51.100.6"]


def test_a_kubernetes_call_naming_100000_source_ips_reads_a_bounded_number() -> None:
    addresses = [f"10.{index // 65536}.{index // 256 % 256}.{index % 256}" for index in range(100_000)]
    action = {"kubernetesApiCallAction": {"sourceIPs": addresses, "requestUri": "/api"}}
    document = _one(_finding(service={"action": action}))
    assert document["related"]["ip"] == addresses[:LIST_LIMIT]
    assert "source" not in document
    assert document["url"] == {"original": "/api"}


def test_the_workload_names_the_object_acted_upon_before_the_api_call() -> None:
    """Namespace, name and type come from one object, never mixed: a workload naming only its
    namespace leaves the call's resource name out."""
    call = {"namespace": "default", "resource": "secrets", "resourceName": "token"}
    workload = {"kubernetesDetails": {"kubernetesWorkloadDetails": {"namespace": "shop"}}}
    document = _one(_finding(resource=workload, service={"action": {"kubernetesApiCallAction": call}}))
    assert document["orchestrator"] == {"type": "kubernetes", "namespace": "shop"}
    alone = _one(_finding(service={"action": {"kubernetesApiCallAction": call}}))
    assert alone["orchestrator"] == {
        "type": "kubernetes",
        "namespace": "default",
        "resource": {"name": "token", "type": "secrets"},
    }


def test_a_status_code_that_is_no_http_status_is_left_out() -> None:
    for status in (99, 600, True, 200.0, "200", None):
        call = {"statusCode": status, "verb": "get"}
        document = _one(_finding(service={"action": {"kubernetesApiCallAction": call}}))
        assert "http" not in document, status
    ok = _one(_finding(service={"action": {"kubernetesApiCallAction": {"statusCode": 404}}}))
    assert ok["http"] == {"response": {"status_code": 404}}
    assert ok["event"]["outcome"] == "failure"


def test_a_container_stated_unprivileged_keeps_false() -> None:
    resource = {"containerDetails": {"name": "web", "securityContext": {"privileged": False}}}
    assert _one(_finding(resource=resource))["container"] == {
        "name": "web",
        "security_context": {"privileged": False},
    }
    hostile = {"containerDetails": {"name": "web", "securityContext": {"privileged": "maybe"}}}
    assert _one(_finding(resource=hostile))["container"] == {"name": "web"}


def test_rds_login_attempt_gives_the_remote_ip() -> None:
    action = {
        "actionType": "RDS_LOGIN_ATTEMPT",
        "rdsLoginAttemptAction": {
            "remoteIpDetails": {"ipAddressV4": "192.0.2.44", "city": {"cityName": "Sometown"}},
            "loginAttributes": [{"user": "admin", "application": "psql", "failedLoginAttempts": 9}],
        },
    }
    document = _one(
        _finding(type="CredentialAccess:RDS/AnomalousBehavior.FailedLogin", service={"action": action})
    )
    assert document["source"] == {"ip": "192.0.2.44", "geo": {"city_name": "Sometown"}}
    assert document["related"]["ip"] == ["192.0.2.44"]
    login = document["aws"]["guardduty"]["service"]["action"]["rds_login_attempt_action"]["login_attributes"]
    assert login == [{"user": "admin", "application": "psql", "failed_login_attempts": 9}]


def test_the_identities_a_workload_acts_as_are_pivots() -> None:
    """A pod's service account (``kubernetesWorkloadDetails``) as Kubernetes audit logs name it,
    and a Lambda function's execution role (``lambdaDetails.role``) by the name CloudTrail
    records as the session issuer of the function's calls; neither is ``user.*``."""
    pod = _one(
        _finding(
            type="Execution:Runtime/NewBinaryExecuted",
            resource={
                "resourceType": "EKSCluster",
                "kubernetesDetails": {
                    "kubernetesWorkloadDetails": {
                        "name": "web-7d4b9c",
                        "type": "pods",
                        "uid": "0f1e2d3c-0000-4000-8000-000000000001",
                        "namespace": "shop",
                        "serviceAccountName": "web-sa",
                    }
                },
            },
        )
    )
    assert pod["related"]["user"] == ["system:serviceaccount:shop:web-sa"]
    assert "user" not in pod
    function = _one(
        _finding(
            type="CryptoCurrency:Lambda/BitcoinTool.B",
            resource={
                "resourceType": "Lambda",
                "lambdaDetails": {
                    "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:resize",
                    "functionName": "resize",
                    "role": "arn:aws:iam::111122223333:role/service-role/resize-role-x1y2",
                },
            },
        )
    )
    assert function["related"]["user"] == ["resize-role-x1y2"]
    without_namespace = _one(
        _finding(
            resource={"kubernetesDetails": {"kubernetesWorkloadDetails": {"serviceAccountName": "default"}}}
        )
    )
    assert "related" not in without_namespace or "user" not in without_namespace["related"]


def test_an_eks_finding_in_the_api_shape_names_its_container_and_cluster() -> None:
    """``GetFindings`` output (PascalCase) maps as the export does."""
    finding = {
        "AccountId": "111122223333",
        "Arn": "arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f9",
        "Id": "f9",
        "Region": "us-east-1",
        "SchemaVersion": "2.0",
        "Type": "Execution:Runtime/ReverseShell",
        "Severity": 8,
        "UpdatedAt": "2026-03-02T10:00:00.000Z",
        "Resource": {
            "ResourceType": "EKSCluster",
            "EksClusterDetails": {"Name": "prod", "Arn": "arn:aws:eks:us-east-1:111122223333:cluster/prod"},
            "KubernetesDetails": {
                "KubernetesWorkloadDetails": {
                    "Name": "api",
                    "Type": "deployments",
                    "Namespace": "web",
                    "Containers": [{"Name": "api", "Image": "nginx:1.27", "ContainerRuntime": "containerd"}],
                }
            },
        },
    }
    document = _one({"Findings": [finding]})  # the CLI's wrapper
    assert document["container"] == {
        "name": "api",
        "runtime": "containerd",
        "image": {"name": "nginx", "tag": ["1.27"]},
    }
    assert document["orchestrator"] == {
        "type": "kubernetes",
        "cluster": {"name": "prod", "id": "arn:aws:eks:us-east-1:111122223333:cluster/prod"},
        "namespace": "web",
        "resource": {"name": "api", "type": "deployments"},
    }
    assert document["aws"]["guardduty"]["container_images"] == ["nginx:1.27"]


def test_a_finding_naming_many_containers_reads_a_bounded_number() -> None:
    """100,000 containers in each list: the first is ``container``, and each list gives at most
    LIST_LIMIT images."""
    many = [{"name": f"c{index}", "image": f"app:{index}"} for index in range(100_000)]
    resource = {
        "kubernetesDetails": {"kubernetesWorkloadDetails": {"namespace": "ns", "containers": many}},
        "ecsClusterDetails": {"taskDetails": {"containers": many}},
    }
    document = _one(_finding(resource=resource))
    assert document["container"] == {"name": "c0", "image": {"name": "app", "tag": ["0"]}}
    assert document["aws"]["guardduty"]["container_images"] == [f"app:{index}" for index in range(LIST_LIMIT)]


def test_an_ebs_malware_scan_names_its_threats_files_and_hashes() -> None:
    """GuardDuty-initiated EBS scans (botocore ``EbsVolumeScanDetails``: ``ScanDetections``,
    ``ThreatDetectedByName.ThreatNames[]`` with ``FilePaths[]``), as the export writes them."""
    sha = "a" * 64
    detections = {
        "threatDetectedByName": {
            "itemCount": 2,
            "threatNames": [
                {
                    "name": "Linux.Miner.Generic",
                    "severity": "HIGH",
                    "itemCount": 2,
                    "filePaths": [
                        {
                            "filePath": "/usr/bin/xmrig",
                            "volumeArn": "arn:aws:ec2:us-east-1::volume/vol-1",
                            "hash": sha,
                        },
                        {"filePath": "/tmp/.x/xmrig", "fileName": "xmrig", "hash": sha},
                    ],
                },
                {"name": "Linux.Miner.Generic", "filePaths": "not a list"},
                "not an object",
            ],
        }
    }
    finding = _finding(
        type="Execution:EC2/MaliciousFile",
        service={"ebsVolumeScanDetails": {"scanId": "s1", "scanDetections": detections}},
    )
    document = _one(finding)
    assert document["threat"] == {"software": {"name": ["Linux.Miner.Generic"], "type": "Malware"}}
    assert document["file"] == {"path": "/usr/bin/xmrig"}
    assert document["related"]["hash"] == [sha]


def test_a_finding_without_a_scan_names_no_malware() -> None:
    document = _one(_finding(service={"malwareScanDetails": {"threats": [{"itemPaths": [{}]}, None]}}))
    assert "threat" not in document and "file" not in document
    assert "hash" not in document.get("related", {})


def test_a_scan_naming_many_threats_reads_a_bounded_number() -> None:
    """100,000 threats, each with 100,000 infected items in the first: LIST_LIMIT of each."""
    items = [{"nestedItemPath": f"k{index}", "hash": f"h{index}"} for index in range(100_000)]
    threats = [{"name": f"t{index}"} for index in range(100_000)]
    threats[0] = {"name": "t0", "itemPaths": items}
    document = _one(_finding(service={"malwareScanDetails": {"threats": threats}}))
    assert document["threat"]["software"]["name"] == [f"t{index}" for index in range(LIST_LIMIT)]
    assert document["file"] == {"path": "k0"}
    assert document["related"]["hash"] == [f"h{index}" for index in range(LIST_LIMIT)]


@pytest.mark.parametrize(
    ("asn", "number"),
    [
        ("64496", 64496),
        (64496, 64496),
        ("4294967295", 4294967295),  # ASNs are 32-bit (RFC 6793)
        ("4294967296", None),
        ("1" + "0" * 30, None),  # no long holds it: the document could not be encoded
        (1e300, None),
        ("1e999999999", None),  # as an integer, a billion digits: hours of CPU for 13 bytes
        ("NaN", None),
        ("-1", None),
    ],
)
def test_an_as_number_is_a_32_bit_one_or_none(asn: Any, number: int | None) -> None:
    connection = _connection("INBOUND", blocked=False)
    details = connection["action"]["networkConnectionAction"]["remoteIpDetails"]
    details["organization"] = {"asn": asn, "asnOrg": "ExampleNet"}
    document = _one(_finding(service=connection))
    assert document["source"].get("as", {}).get("number") == number
    orjson.dumps(document)  # as the bulk writer encodes it


def test_a_pod_naming_100000_mounts_and_volumes_reads_a_bounded_number() -> None:
    """A container with 100,000 volume mounts, a pod with 100,000 host volumes: the first
    LIST_LIMIT of each; 100,000 privileged containers: the first LIST_LIMIT named."""
    mounts = [{"name": f"v{index}", "mountPath": f"/m/{index}"} for index in range(100_000)]
    volumes = [{"name": f"v{index}", "hostPath": {"path": f"/h/{index}"}} for index in range(100_000)]
    containers = [{"name": "first", "volumeMounts": mounts}]
    containers += [{"name": f"p{index}", "securityContext": {"privileged": True}} for index in range(100_000)]
    workload = {"namespace": "ns", "containers": containers, "volumes": volumes}
    finding = _finding(resource={"kubernetesDetails": {"kubernetesWorkloadDetails": workload}})
    document = _one(finding, BEYOND_THE_RECORD_LIMIT)
    block = document["aws"]["guardduty"]
    assert block["container_mounts"] == {
        "path": [f"/m/{index}" for index in range(LIST_LIMIT)],
        "volume": [f"v{index}" for index in range(LIST_LIMIT)],
        "host_path": [f"/h/{index}" for index in range(LIST_LIMIT)],
    }
    assert block["privileged_containers"] == [f"p{index}" for index in range(LIST_LIMIT - 1)]


def test_a_finding_without_severity_is_indexed_without_event_severity() -> None:
    # GuardDuty's API requires severity, so only a damaged object lacks it (make fuzz found one:
    # a byte of the key mutated away). As a Security Hub finding without one, it stays
    # searchable, by id, account, times and resources, rather than dead-lettered.
    finding = _finding()
    del finding["severity"]
    document = _one(finding)
    assert "severity" not in document["event"]
    assert "severity" not in document["aws"]["guardduty"]
    assert document["event"]["action"] == "UnauthorizedAccess:EC2/SSHBruteForce"
    assert document["cloud"]["account"]["id"] == "111122223333"
