"""Security Hub's OCSF findings (its V2 format) by every delivery path: EventBridge "Findings
Imported V2", the ``GetFindingsV2`` output (``{"Findings": [...]}``) and Security Lake's
Parquet rows give one document per finding, the same one (docs/sources/securityhub.md, "OCSF
findings"). The findings are those of ``tests/golden/securityhub/findings-imported-v2``
(written by hand from botocore's ``securityhub`` model and the OCSF classes)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from demo.records.securitylake import parquet_from_rows
from normalizers import DeadLetter, Origin, normalize_object
from normalizers.detect import detect
from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.securitylake.subjects import evidence_subjects
from tests.conftest import GOLDEN

ORIGIN = Origin("ocsf/object", "2026-01-01T00:00:00Z")
EVENT = json.loads((GOLDEN / "securityhub" / "findings-imported-v2" / "input").read_bytes())
DETECTION, COMPLIANCE, WITHOUT_ID, API_ACTIVITY = EVENT["detail"]["findings"]


def _items(body: bytes, key: str = "ocsf/object") -> tuple[list[Any], Any]:
    normalized = normalize_object(io.BytesIO(body), Origin(key, "2026-01-01T00:00:00Z"))
    return list(normalized), normalized.outcome


def _export(*findings: dict[str, Any]) -> bytes:
    """``GetFindingsV2``'s output shape (botocore: ``Findings``, ``NextToken``)."""
    return json.dumps({"Findings": list(findings), "NextToken": "token-2"}).encode()


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(EVENT).encode(),
        _export(DETECTION, COMPLIANCE),
        json.dumps(DETECTION).encode(),
    ],
    ids=["findings-imported-v2", "get-findings-v2", "bare-finding"],
)
def test_recognized_by_content_whatever_the_key(body: bytes) -> None:
    assert detect(body[:4096], "exports/2026/12/01/part-0000.json").source == "securityhub"


def test_an_export_of_ocsf_findings_gives_the_documents_of_the_event() -> None:
    from_event, _ = _items(json.dumps(EVENT).encode())
    exported, outcome = _items(_export(DETECTION, COMPLIANCE))
    assert outcome.source == "securityhub" and outcome.records == 2
    documents = [item for item in from_event if not isinstance(item, DeadLetter)]
    for document in documents:  # the export has no envelope; everything else is the same
        del document["aws"]["securityhub_findings"]["envelope_account_id"]
    assert exported == documents


def test_a_security_lake_row_of_the_same_finding_gives_the_same_document() -> None:
    [from_export], _ = _items(_export(DETECTION))
    rows, outcome = _items(parquet_from_rows([DETECTION]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet")
    assert outcome.delivery == "securitylake"
    [from_lake] = rows
    assert from_lake["aws"].pop("securitylake")["class_uid"] == 2004
    assert from_lake == from_export
    assert from_lake["related"]["user"][0] == "build-42" and from_lake["related"]["ip"] == ["198.51.100.7"]


def test_a_malformed_finding_is_one_dead_letter_that_replays_standalone() -> None:
    items, outcome = _items(_export(WITHOUT_ID, DETECTION, API_ACTIVITY))
    assert outcome.records == 3
    good = [item for item in items if not isinstance(item, DeadLetter)]
    assert [item["user"]["name"] for item in good] == ["build-42"]
    dead = [item for item in items if isinstance(item, DeadLetter)]
    assert [(d.source, d.position, d.reason.split(":")[0]) for d in dead] == [
        ("securityhub", "record 0", "missing field"),
        ("securityhub", "record 2", "invalid record"),
    ]
    assert dead[0].object == "ocsf/object" and json.loads(dead[0].raw) == WITHOUT_ID
    replayed, _ = _items(dead[0].raw)
    assert [(d.source, d.reason) for d in replayed] == [("securityhub", dead[0].reason)]


def test_an_asff_finding_is_still_read_as_asff_beside_ocsf_ones() -> None:
    asff = json.loads((GOLDEN / "securityhub" / "findings-array-iam" / "input.json").read_bytes())[
        "Findings"
    ][0]
    items, _ = _items(_export(asff, DETECTION))
    assert [item["aws"]["securityhub_findings"]["id"] for item in items] == [
        asff["Id"],
        DETECTION["finding_info"]["uid"],
    ]


def test_a_security_lake_finding_row_with_a_decimal_column_is_indexed() -> None:
    """Parquet decimals (and binaries) are no JSON: the row is read as its JSON text says."""
    row = dict(DETECTION, confidence_score=Decimal("87.5"))
    [document], _ = _items(parquet_from_rows([row]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet")
    assert not isinstance(document, DeadLetter), document
    assert document["user"]["name"] == "build-42"


def _findings(case: str) -> list[dict[str, Any]]:
    """The OCSF findings of a golden case's input (an event, an export, or one finding)."""
    [path] = (GOLDEN / "securityhub" / case).glob("input*")
    body = json.loads(path.read_bytes())
    if "detail" in body:
        return list(body["detail"]["findings"])
    return list(body["Findings"]) if "Findings" in body else [body]


def _typed(value: Any) -> Any:
    """``value`` as a Parquet row can hold it: a column has one type, so the cases' hostile
    list items (an item, or a member at any depth, of another type than the first item's)
    are left out."""
    if isinstance(value, dict):
        return {name: _typed(item) for name, item in value.items()}
    if not isinstance(value, list):
        return value
    kinds: dict[str, type] = {}
    kept = []
    for item in value:
        leaves = dict(_leaves(item, ""))
        if all(kinds.setdefault(path, kind) is kind for path, kind in leaves.items()):
            kept.append(_typed(item))
    return kept


def _leaves(value: Any, path: str) -> Iterator[tuple[str, type]]:
    yield path, type(value)
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, f"{path}.{name}")


@pytest.mark.parametrize(
    "case",
    [
        "ocsf-network-evidence",
        "ocsf-vulnerability-packages",
        "ocsf-related-events",
        "ocsf-observables",
        "ocsf-process-file-evidence",
        "ocsf-query-tls-email-user",
    ],
)
def test_each_evidence_kind_gives_the_same_document_from_a_security_lake_row(case: str) -> None:
    """Network, process, file, container, DNS query, TLS, email, device and user evidences,
    vulnerabilities, related events and observables are read by the one OCSF finding mapping: a Security Lake row of the finding
    gives the export's document."""
    for finding in map(_typed, _findings(case)):
        [from_export], _ = _items(_export(finding))
        [from_lake], _ = _items(
            parquet_from_rows([finding]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet"
        )
        assert not isinstance(from_lake, DeadLetter), from_lake
        assert from_lake["aws"].pop("securitylake")["class_uid"] == finding["class_uid"]
        assert from_lake == from_export


def _finding(**members: Any) -> dict[str, Any]:
    return {
        "class_uid": 2004,
        "cloud": {"account": {"uid": "123456789012"}, "region": "us-east-1"},
        "finding_info": {"uid": "finding-1", "modified_time_dt": "2026-12-05T01:00:00.000Z"},
        "metadata": {"product": {"name": "Example Scanner", "feature": {"uid": "rule-1"}}},
        **members,
    }


def test_an_api_call_stays_the_action_and_a_network_evidence_beside_it_gives_the_destination() -> None:
    finding = _finding(
        evidences=[
            {"api": {"operation": "GetObject"}, "src_endpoint": {"ip": "198.51.100.7"}},
            {
                "src_endpoint": {"ip": "203.0.113.9"},
                "dst_endpoint": {"ip": "10.0.0.5", "port": 443},
                "connection_info": {"direction_id": 1, "protocol_name": "tcp"},
            },
        ]
    )
    [document], _ = _items(_export(finding))
    findings = document["aws"]["securityhub_findings"]
    assert findings["action"]["action_type"] == "AWS_API_CALL"
    # The caller is the source; the network evidence names another source, which ASFF's
    # rule leaves out of source.* (an action's address is never replaced) but not of related.ip.
    assert document["source"] == {"ip": "198.51.100.7"}
    assert document["destination"] == {"ip": "10.0.0.5", "port": 443}
    assert document["network"] == {"direction": "inbound", "transport": "tcp"}
    assert document["related"]["ip"] == ["198.51.100.7", "10.0.0.5", "203.0.113.9"]


def test_a_connection_of_unknown_direction_is_a_network_without_an_action() -> None:
    evidence = {
        "src_endpoint": {"ip": "2001:db8::5", "port": 5353},
        "dst_endpoint": {"ip": "2001:db8::53", "port": 53, "domain": "resolver.example.org"},
        "connection_info": {"direction_id": 0, "protocol_num": 17},
    }
    [document], _ = _items(_export(_finding(evidences=[evidence])))
    assert "action" not in document["aws"]["securityhub_findings"]
    assert document["aws"]["securityhub_findings"]["network"] == {
        "protocol": "UDP",
        "source_ip_v6": "2001:db8::5",
        "source_port": 5353,
        "destination_ip_v6": "2001:db8::53",
        "destination_port": 53,
        "destination_domain": "resolver.example.org",
    }
    assert document["source"] == {"ip": "2001:db8::5", "port": 5353}
    assert document["destination"] == {"ip": "2001:db8::53", "port": 53, "domain": "resolver.example.org"}
    assert document["network"] == {"transport": "udp"}


def test_huge_lists_are_read_within_the_bound() -> None:
    """A thousand items in each list (150 vulnerabilities of 1,000 packages and references: the
    finding stays under the record size limit): indexed, each list read to 100 items."""
    many = 1_000
    ips = [f"10.{index // 65536}.{index // 256 % 256}.{index % 256}" for index in range(many)]
    finding = _finding(
        class_uid=2002,
        evidences=[{"src_endpoint": {"ip": ip}} for ip in ips],
        vulnerabilities=[
            {
                "cve": {"uid": f"CVE-2026-{index:05d}"},
                "affected_packages": [{"name": f"p{item}"} for item in range(many)],
                "references": [f"https://example.org/{item}" for item in range(many)],
            }
            for index in range(150)
        ],
        observables=[{"type_id": 4, "value": f"user-{index}"} for index in range(many)],
    )
    finding["finding_info"]["related_events"] = [{"uid": f"event-{index}"} for index in range(many)]
    [document], outcome = _items(_export(finding))
    assert outcome.records == 1 and not isinstance(document, DeadLetter)
    findings = document["aws"]["securityhub_findings"]
    assert document["related"]["ip"] == ips[:100]
    assert document["related"]["user"] == [f"user-{index}" for index in range(100)]
    assert len(findings["related_findings"]) == 100
    assert document["vulnerability"]["id"] == [f"CVE-2026-{index:05d}" for index in range(100)]
    assert len(document["vulnerability"]["reference"]) == 100
    assert all(len(item["vulnerable_packages"]) == 100 for item in findings["vulnerabilities"])


def test_an_untitled_finding_is_named_alike_from_a_security_lake_row() -> None:
    """OCSF requires a finding's title; one without is indexed, named by the one OCSF finding
    mapping whichever way it arrives (golden ocsf-untitled: message and rule.name)."""
    named = [finding for finding in _findings("ocsf-untitled") if "class_uid" in finding]
    for finding in named:
        [from_export], _ = _items(_export(finding))
        [from_lake], _ = _items(
            parquet_from_rows([finding]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet"
        )
        assert from_lake["aws"].pop("securitylake")["class_uid"] == finding["class_uid"]
        assert from_lake == from_export
        assert "title" not in from_export["aws"]["securityhub_findings"]


def test_a_finding_that_nothing_names_is_dead_lettered_for_its_title() -> None:
    [unnamed] = [finding for finding in _findings("ocsf-untitled") if "class_uid" not in finding]
    [letter], outcome = _items(_export(unnamed))
    assert isinstance(letter, DeadLetter) and outcome.dead_letters == 1
    assert letter.reason == "missing field: finding_info.title"
    # A class alone names it (its caption when class_name is left out); the desc tells it.
    [document], _ = _items(_export({**unnamed, "class_uid": 2003.0}))
    assert document["rule"]["name"] == "Compliance Finding"
    assert document["message"] == "Nothing names this finding."


@pytest.mark.parametrize(
    ("members", "kind"),
    [
        # OCSF Detection Finding (2004): a detection; no types, so the class alone says what it is.
        ({}, ("alert", ["threat"], ["indicator"])),
        # Types say it as ASFF's do: Security Lake writes IAM Access Analyzer's posture findings
        # (no Compliance, a Software and Configuration Checks type) as Detection Findings.
        (
            {"types": ["Software and Configuration Checks/AWS Security Best Practices/External Access"]},
            ("state", ["configuration"], ["info"]),
        ),
        ({"types": ["TTPs/Discovery"]}, ("alert", ["threat"], ["indicator"])),
        # A control's result is posture whatever its class.
        ({"compliance": {"status_id": 3, "control": "S3.8"}}, ("state", ["configuration"], ["info"])),
        # A Security Finding (2001, OCSF rc.2) holds controls and threats alike: the class says nothing.
        ({"class_uid": 2001}, ("state", ["configuration"], ["info"])),
    ],
    ids=["no-types", "posture-types", "threat-types", "compliance", "security-finding"],
)
def test_a_detection_finding_without_types_is_a_threat_by_its_class(
    members: dict[str, Any], kind: tuple[str, list[str], list[str]]
) -> None:
    finding = _finding(**{name: value for name, value in members.items() if name != "types"})
    finding["finding_info"]["title"] = "Unusual access"
    if "types" in members:
        finding["finding_info"]["types"] = members["types"]
    [document], _ = _items(_export(finding))
    event = document["event"]
    assert (event["kind"], event["category"], event["type"]) == kind


def test_an_asff_process_and_an_ocsf_process_evidence_fill_the_same_fields() -> None:
    """One query finds a process whichever format the finding came in: ASFF's ``Process`` and
    OCSF's ``process`` evidence (botocore's ASFF ``ProcessDetails``: ``Name``, ``Path``,
    ``Pid``, ``ParentPid``, ``LaunchedAt``) give the same ``process.*`` values."""
    asff = {
        "SchemaVersion": "2018-10-08",
        "Id": "finding-asff",
        "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
        "GeneratorId": "rule-1",
        "AwsAccountId": "123456789012",
        "Region": "us-east-1",
        "Title": "Miner started",
        "UpdatedAt": "2026-12-05T01:00:00.000Z",
        "Types": ["TTPs/Execution"],
        "Process": {
            "Name": "xmrig",
            "Path": "/tmp/xmrig",
            "Pid": 4242,
            "ParentPid": 4100,
            "LaunchedAt": "2026-12-05T00:59:00.000Z",
        },
    }
    process = {
        "name": "xmrig",
        "pid": 4242,
        "file": {"name": "xmrig", "path": "/tmp/xmrig"},
        "parent_process": {"pid": 4100},
        "created_time": 1796432340000,  # 2026-12-05T00:59:00Z
    }
    finding = _finding(evidences=[{"process": process}])
    finding["finding_info"]["title"] = "Miner started"
    [from_asff], _ = _items(_export(asff))
    [from_ocsf], _ = _items(_export(finding))
    expected = {
        "name": "xmrig",
        "executable": "/tmp/xmrig",
        "pid": 4242,
        "parent": {"pid": 4100},
        "start": "2026-12-05T00:59:00Z",
    }
    assert from_asff["process"] == from_ocsf["process"] == expected


@pytest.mark.parametrize(
    ("bucket", "named"),
    [
        ({"name": "b1", "type_id": 1}, "b1"),
        ({"name": "b1", "type": "S3"}, "b1"),
        ({"name": "b1"}, "b1"),  # no type: an AWS finding's bucket is S3's
        ({"name": "b1", "type_id": 2, "type": "Azure Blob"}, None),
        ({"name": "b1", "type": "GCP Bucket"}, None),
        ({"name": "b1", "type_id": 99}, None),
    ],
)
def test_a_databucket_evidence_is_an_s3_bucket_only_when_it_may_be_one(
    bucket: dict[str, Any], named: str | None
) -> None:
    [document], _ = _items(_export(_finding(evidences=[{"databucket": bucket}])))
    assert document.get("aws", {}).get("s3", {}).get("bucket", {}).get("name") == named


def test_evidence_hashes_are_read_within_the_bound() -> None:
    """A thousand fingerprints in a file and a thousand evidences: indexed, each list read to
    its first 100 items (normalizers/securitylake/bounded.py)."""
    many = 1_000
    fingerprints = [{"algorithm_id": 3, "value": f"{index:064x}"} for index in range(many)]
    evidences = [
        {"file": {"name": f"f{index}", "hashes": [{"algorithm_id": 1, "value": f"{index:032x}"}]}}
        for index in range(many)
    ]
    finding = _finding(evidences=[{"file": {"name": "first", "hashes": fingerprints}}, *evidences])
    [document], outcome = _items(_export(finding))
    assert outcome.records == 1 and not isinstance(document, DeadLetter)
    assert document["file"] == {"name": "first", "hash": {"sha256": f"{0:064x}"}}
    # The first evidence's first SHA-256, then the MD5 of the next 99 evidences.
    assert document["related"]["hash"] == [f"{0:064x}", *(f"{index:032x}" for index in range(99))]


def test_a_finding_row_time_before_1970_is_no_time() -> None:
    """OCSF times are epoch milliseconds since 1970: a negative one is no time, as every epoch
    time (normalizers/ecs/timestamps.py). A secondary time is left out; the update time falls
    to the row's ``time``, and a finding with no time at all is dead-lettered for it."""
    key = "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet"
    base = _finding(time=1796457600000)
    del base["finding_info"]["modified_time_dt"]
    base["finding_info"]["title"] = "Unusual access"
    rows = [
        {**base, "finding_info": {**base["finding_info"], "first_seen_time": -1500, "modified_time": -500}},
        {**base, "time": -500, "finding_info": {**base["finding_info"], "modified_time": -500}},
    ]
    [kept, lost], outcome = _items(parquet_from_rows(rows), key)
    assert outcome.records == 2
    assert not isinstance(kept, DeadLetter)
    assert kept["@timestamp"] == "2026-12-05T08:00:00Z" and "start" not in kept["event"]
    assert isinstance(lost, DeadLetter) and lost.reason == "missing field: UpdatedAt"


def test_a_finding_that_names_no_product_is_dead_lettered_for_it() -> None:
    """OCSF requires ``metadata.product`` (ASFF its ``ProductArn``): a finding naming no product
    (no name, no ARN) says no ``event.provider``; it is a dead letter, a row of it too."""
    finding = _finding(metadata=None)
    finding["finding_info"].update(title="Unusual access", analytic={"uid": "rule-1"})
    [letter], _ = _items(_export(finding))
    assert isinstance(letter, DeadLetter) and letter.reason == "missing field: metadata.product"
    [row], _ = _items(parquet_from_rows([finding]), "aws/SH_FINDINGS/2.0/region=us-east-1/x.parquet")
    assert isinstance(row, DeadLetter) and row.reason == "missing field: metadata.product"
    # A product ARN alone names it (its product id), as an ASFF ProductArn does.
    arn = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    [document], _ = _items(_export({**finding, "metadata": {"product": {"uid": arn}}}))
    assert document["event"]["provider"] == "guardduty"


@pytest.mark.parametrize(
    ("version", "protocol", "number"),
    [
        ("TLSv1.2", "tls", "1.2"),
        ("TLS 1.3", "tls", "1.3"),
        ("1.3", "tls", "1.3"),
        ("SSLv3", "ssl", "3"),
        ("unknown", None, None),
    ],
)
def test_a_tls_version_is_split_into_its_protocol_and_number(
    version: str, protocol: str | None, number: str | None
) -> None:
    """ECS ``tls.version_protocol`` (``tls``/``ssl``) and ``tls.version`` (the number)."""
    tls = evidence_subjects([{"tls": {"version": version}}]).fields.get("tls", {})
    assert (tls.get("version_protocol"), tls.get("version")) == (protocol, number)


def test_an_evidence_user_is_the_target_beside_the_actor() -> None:
    """The ``actor`` evidence is who acted (``user.*``); a ``user`` evidence the user acted on."""
    actor = {"actor": {"user": {"type": "IAMUser", "name": "mallory", "uid": "AIDAMALLORY"}}}
    finding = _finding(evidences=[actor, {"user": {"name": "alice", "uid": "AIDAALICE"}}])
    [document], _ = _items(_export(finding))
    assert document["user"]["name"] == "mallory"
    assert document["user"]["target"] == {"name": "alice", "id": "AIDAALICE"}
    assert {"mallory", "alice", "AIDAALICE"} <= set(document["related"]["user"])


def test_a_device_and_a_certificate_naming_100000_entries_read_a_bounded_number() -> None:
    """100,000 network interfaces (each a MAC) and 100,000 certificate fingerprints: the first
    LIST_LIMIT of each are read (a SHA-1 after them is not)."""
    interfaces = [
        {"mac": f"02-00-00-{index >> 16:02X}-{index >> 8 & 255:02X}-{index & 255:02X}"}
        for index in range(100_000)
    ]
    prints = [{"algorithm_id": 3, "value": f"{index:064x}"} for index in range(100_000)]
    prints[LIST_LIMIT] = {"algorithm_id": 2, "value": "a" * 40}
    evidences = [
        {"device": {"network_interfaces": interfaces}},
        {"tls": {"certificate": {"fingerprints": prints}}},
    ]
    fields = evidence_subjects(evidences).fields
    assert fields["host"]["mac"] == [item["mac"] for item in interfaces[:LIST_LIMIT]]
    assert fields["tls"]["server"]["hash"] == {"sha256": "0" * 64}


@pytest.mark.parametrize(
    ("os", "family"),
    [
        ({"type_id": 100, "type": "Linux"}, "windows"),  # the id wins over the caption
        ({"type_id": 402}, None),  # HP-UX: an id not in the table
        ({"type_id": 101}, None),  # Windows Mobile: no ECS family
        ({"type": "Solaris"}, "unix"),
        ({"type": "AIX"}, "unix"),
        ({"type": "Other"}, None),
        ({"type_id": "200"}, None),  # an id that is text is none
    ],
)
def test_the_os_family_is_one_of_ecs_values_or_none(os: dict[str, Any], family: str | None) -> None:
    fields = evidence_subjects([{"device": {"hostname": "h", "os": os}}]).fields
    assert fields["host"].get("os", {}).get("type") == family
