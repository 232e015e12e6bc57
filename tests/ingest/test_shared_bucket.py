"""Every object AWS writes into a shared organization log bucket, by its documented key layout:
read as its source, or skipped and counted with a reason, the same on the live path (the
object pipeline every S3 notification goes through) and in ``siem backfill`` (the listing's
classification), never dead-lettered for being another service's and never mis-read.

Layouts: CloudTrail log, Insights and digest files, organization trails (CloudTrail User Guide,
``../shared/reference/aws-docs/cloudtrail``); VPC flow logs, text and Parquet, Hive-compatible
and hourly (``aws-docs/vpc/flow-logs-s3.md``); the GuardDuty export
(``aws-docs/guardduty/guardduty_exportfindings.md``). Where the reference docs are silent, the
layouts of the AWS user guides: AWS Config's delivery channel (``ConfigHistory``,
``ConfigSnapshot``, ``OversizedChangeNotification``, ``ConfigWritabilityCheckFile``), Elastic
Load Balancing access logs and ``ELBAccessLogTestFile``, S3 server access logs (simple and
date-based), CloudFront standard logs, AWS WAF, Route 53 Resolver query logs, Network Firewall,
Macie discovery results, CloudWatch Logs exports (``aws-logs-write-test``), S3 Inventory,
Firehose error output and Security Lake (``aws/<SOURCE>/``, ``ext/``)."""

from __future__ import annotations

import base64
import gzip
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from ingest.enqueue import Filters, Listed, classify
from normalizers.base import DeadLetter, Origin
from normalizers.pipeline import normalize_object
from tests.conftest import golden_input

GOLDEN = Path(__file__).parents[1] / "golden"
ORG = "AWSLogs/o-exampleorgid/111122223333"
ACCOUNT = "AWSLogs/111122223333"
LAKE = "region=us-east-1/accountId=111122223333/eventDay=20240501"


def _golden(case: str) -> bytes:
    (path,) = sorted((GOLDEN / case).glob("input*"))
    with golden_input(path) as handle:
        return handle.read()


def _gz(text: str) -> bytes:
    return gzip.compress(text.encode())


# Foreign logs, as the services' user guides show them.
ALB = (
    "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 "
    '10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" '
    '"curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:111122223333:targetgroup/my-targets/'
    '73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z '
    '"forward" "-" "-" "10.0.0.1:80" "200" "-" "-"\n'
)
CLASSIC_ELB = (
    "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 "
    '0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -\n'
)
S3_ACCESS = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 "
    "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
    '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - '
    '"-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= '
    "SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -\n"
)
CLOUDFRONT = (
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status\n"
    "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\n"
)
WAF = orjson.dumps(
    {
        "timestamp": 1576280412771,
        "formatVersion": 1,
        "webaclId": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/STMTest/1EXAMPLE",
        "terminatingRuleId": "Default_Action",
        "terminatingRuleType": "REGULAR",
        "action": "ALLOW",
        "httpSourceName": "ALB",
        "httpRequest": {"clientIp": "192.0.2.1", "country": "US", "uri": "/", "httpMethod": "GET"},
    }
)
ROUTE53 = orjson.dumps(
    {
        "version": "1.100000",
        "account_id": "111122223333",
        "region": "us-east-1",
        "vpc_id": "vpc-0123456789abcdef0",
        "query_timestamp": "2024-05-01T00:00:00Z",
        "query_name": "example.com.",
        "query_type": "A",
        "query_class": "IN",
        "rcode": "NOERROR",
        "answers": [],
        "srcaddr": "10.0.0.1",
        "srcport": "53",
        "transport": "UDP",
        "srcids": {"instance": "i-0123456789abcdef0"},
    }
)
NETWORK_FIREWALL = orjson.dumps(
    {
        "firewall_name": "fw",
        "availability_zone": "us-east-1a",
        "event_timestamp": "1714521600",
        "event": {"src_ip": "10.0.0.1", "dest_ip": "192.0.2.1", "proto": "TCP", "event_type": "netflow"},
    }
)
# Macie's results and findings carry a "schemaVersion", as GuardDuty's findings do.
MACIE = orjson.dumps(
    {
        "schemaVersion": "1.0",
        "id": "9f2c0a1e",
        "accountId": "111122223333",
        "category": "CLASSIFICATION",
        "type": "SensitiveData:S3Object/Personal",
        "resourcesAffected": {"s3Bucket": {"name": "amzn-s3-demo-bucket1"}},
    }
)
FIREHOSE_ERROR = orjson.dumps(
    {
        # A record whose processing failed (Firehose Developer Guide), its rawData the GuardDuty
        # Finding event of tests/golden/guardduty/eventbridge-port-probe.
        "attemptsMade": 4,
        "arrivalTimestamp": 1714521600000,
        "errorCode": "Lambda.FunctionError",
        "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
        "attemptEndingTimestamp": 1714521660000,
        "rawData": base64.b64encode(_golden("guardduty/eventbridge-port-probe")).decode("ascii"),
    }
)
INVENTORY_MANIFEST = orjson.dumps(
    {
        "sourceBucket": "amzn-s3-demo-source-bucket",
        "destinationBucket": "arn:aws:s3:::org-logs",
        "version": "2016-11-30",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, LastModifiedDate",
        "files": [
            {
                "key": "inventory/data/x.csv.gz",
                "size": 2147,
                "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc",
            }
        ],
    }
)


@dataclass(frozen=True)
class Case:
    key: str
    body: bytes
    read_as: str | None = None
    """The source its records are read as; ``None``: skipped."""
    skip: str | None = None
    """Why it is skipped, on the live path and in a backfill alike."""
    skipped_with: str | None = None
    """The source a skipped object comes with (the metrics' ``source``)."""


CASES = {
    # -- read --------------------------------------------------------------------------------
    "cloudtrail": Case(
        f"{ACCOUNT}/CloudTrail/us-east-2/2024/05/01/111122223333_CloudTrail_us-east-2_20240501T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
        _golden("cloudtrail/gzip-log-file"),
        "cloudtrail",
    ),
    "cloudtrail organization trail": Case(
        f"trails/{ORG}/CloudTrail/us-east-2/2024/05/01/111122223333_CloudTrail_us-east-2_20240501T0210Z_x.json.gz",
        _golden("cloudtrail/gzip-log-file"),
        "cloudtrail",
    ),
    "cloudtrail network activity": Case(
        f"{ORG}/CloudTrail/us-east-2/2024/05/01/111122223333_CloudTrail_us-east-2_20240501T0210Z_y.json.gz",
        _gz(_golden("cloudtrail/network-activity").decode()),
        "cloudtrail",
    ),
    "cloudtrail under a prefix named like a foreign layout": Case(
        f"processing-failed/StorageLens/{ACCOUNT}/CloudTrail/us-east-2/2024/05/01/111122223333_CloudTrail_us-east-2_20240501T0210Z_w.json.gz",
        _golden("cloudtrail/gzip-log-file"),
        "cloudtrail",
    ),
    "cloudtrail insights": Case(
        f"{ORG}/CloudTrail-Insight/us-east-2/2024/05/01/111122223333_CloudTrail-Insight_us-east-2_20240501T0210Z_z.json.gz",
        _gz(_golden("cloudtrail/docs-insights").decode()),
        "cloudtrail",
    ),
    "flow logs": Case(
        f"{ACCOUNT}/vpcflowlogs/eu-west-1/2024/05/01/111122223333_vpcflowlogs_eu-west-1_fl-1_20240501T0000Z_h.log.gz",
        _gz(_golden("vpcflow/v2-accepted-rejected").decode()),
        "vpcflow",
    ),
    "flow logs hourly": Case(
        f"{ACCOUNT}/vpcflowlogs/eu-west-1/2024/05/01/13/111122223333_vpcflowlogs_eu-west-1_fl-1_20240501T1300Z_h.log.gz",
        _gz(_golden("vpcflow/v2-accepted-rejected").decode()),
        "vpcflow",
    ),
    "flow logs hive parquet hourly": Case(
        "flows/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-3/year=2024/month=05"
        "/day=01/hour=13/111122223333_vpcflowlogs_eu-west-3_fl-1_20240501T1300Z_h.log.parquet",
        _golden("vpcflow/parquet-sample"),
        "vpcflow",
    ),
    "guardduty export": Case(
        f"guardduty/{ACCOUNT}/GuardDuty/us-east-1/2024/05/01/9f2c0a1e-0000-4000-8000-000000000001.jsonl.gz",
        _golden("guardduty/export-gzip-jsonl"),
        "guardduty",
    ),
    "config history": Case(
        f"{ACCOUNT}/Config/us-east-1/2024/5/1/ConfigHistory/111122223333_Config_us-east-1_ConfigHistory_AWS::EC2::Instance_20240501T000000Z_20240501T060000Z_1.json.gz",
        _golden("config/history-file"),
        "config",
    ),
    "config snapshot": Case(
        f"{ACCOUNT}/Config/us-east-1/2024/5/1/ConfigSnapshot/111122223333_Config_us-east-1_ConfigSnapshot_20240501T000000Z_a.json.gz",
        _golden("config/snapshot-file"),
        "config",
    ),
    "config oversized change notification": Case(
        f"{ACCOUNT}/Config/us-east-1/2024/5/1/OversizedChangeNotification/AWS::EC2::Instance/i-0/111122223333_Config_us-east-1_ChangeNotification_AWS::EC2::Instance_i-0_20240501T000000Z_1.json.gz",
        _gz(_golden("config/oversized-notification").decode()),
        "config",
    ),
    "security hub through the member firehose": Case(
        f"securityhub/{ACCOUNT}/firehose/eu-west-1/2024/05/01/AwsSiemFindings-1-2024-05-01-00-00-00-abc.gz",
        _gz(_golden("securityhub/firehose-envelopes").decode()),
        "securityhub",
    ),
    "security hub through a firehose of default prefix": Case(
        "securityhub/2024/05/01/13/findings-1-2024-05-01-13-00-00-6a1e6a4c-0b0f-4b4e-9a66-0e0f0d0c0b0a.gz",
        _gz(_golden("securityhub/firehose-envelopes").decode()),
        "securityhub",
    ),
    "security lake cloudtrail": Case(
        f"aws/CLOUD_TRAIL_MGMT/2.0/{LAKE}/a.gz.parquet",
        _golden("securitylake/api-activity-1.1"),
        "cloudtrail",
    ),
    "security lake flows": Case(
        f"aws/VPC_FLOW/2.0/{LAKE}/a.gz.parquet", _golden("securitylake/network-activity-sample"), "vpcflow"
    ),
    "security lake findings": Case(
        f"aws/SH_FINDINGS/2.0/{LAKE}/a.gz.parquet", _golden("securitylake/findings-evidences"), "securityhub"
    ),
    # -- skipped -----------------------------------------------------------------------------
    "cloudtrail digest": Case(
        f"{ORG}/CloudTrail-Digest/us-east-2/2024/05/01/111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20240501T000000Z.json.gz",
        _golden("cloudtrail/digest-file"),
        skip="CloudTrail digest file",
        skipped_with="cloudtrail",
    ),
    "config writability check": Case(
        f"{ACCOUNT}/Config/ConfigWritabilityCheckFile",
        b"",
        skip="AWS Config writability check file",
        skipped_with="config",
    ),
    "application load balancer": Case(
        f"{ACCOUNT}/elasticloadbalancing/us-east-2/2024/05/01/111122223333_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20240501T0000Z_192.0.2.1_2et2e1mx.log.gz",
        _gz(ALB * 50),
        skip="Elastic Load Balancing access logs (not read)",
    ),
    "classic load balancer": Case(
        f"{ACCOUNT}/elasticloadbalancing/us-east-2/2024/05/01/111122223333_elasticloadbalancing_us-east-2_my-loadbalancer_20240501T0000Z_192.0.2.1_a.log",
        CLASSIC_ELB.encode(),
        skip="Elastic Load Balancing access logs (not read)",
    ),
    "load balancer test file": Case(
        f"elb/{ACCOUNT}/ELBAccessLogTestFile",
        b"Enable AccessLog for ELB: my-loadbalancer at 2024-05-01T00:00:00.000Z",
        skip="Elastic Load Balancing test file",
    ),
    "s3 server access logs": Case(
        "s3-access/2024-05-01-00-00-38-0D6BE5B3F8C7E1A2",
        S3_ACCESS.encode(),
        skip="S3 server access logs (not read)",
    ),
    "s3 server access logs, date-based": Case(
        "s3-access/111122223333/us-east-1/amzn-s3-demo-bucket1/2024/05/01/2024-05-01-00-00-38-0D6BE5B3F8C7E1A2",
        S3_ACCESS.encode(),
        skip="S3 server access logs (not read)",
    ),
    "cloudfront": Case(
        "cloudfront/EMLARXS9EXAMPLE.2024-05-01-21.a103fd5a.gz",
        _gz(CLOUDFRONT),
        skip="CloudFront access logs (not read)",
    ),
    "waf": Case(
        f"{ACCOUNT}/WAFLogs/us-east-1/STMTest/2024/05/01/13/05/111122223333_waflogs_us-east-1_STMTest_20240501T1305Z_h.log.gz",
        _gz(WAF.decode() + "\n"),
        skip="AWS WAF logs (not read)",
    ),
    "route 53 resolver query logs": Case(
        f"{ACCOUNT}/vpcdnsquerylogs/vpc-0123456789abcdef0/2024/05/01/111122223333_vpcdnsquerylogs_vpc-0123456789abcdef0_20240501T0000Z_h.log.gz",
        _gz(ROUTE53.decode() + "\n"),
        skip="Route 53 Resolver query logs (not read)",
    ),
    "network firewall": Case(
        f"{ACCOUNT}/network-firewall/flow/2024/05/01/13/111122223333_network-firewall_flow_202405011300_h.log.gz",
        _gz(NETWORK_FIREWALL.decode() + "\n"),
        skip="AWS Network Firewall logs (not read)",
    ),
    "macie discovery results": Case(
        f"{ACCOUNT}/Macie/us-east-1/job-1/111122223333.jsonl.gz",
        _gz(MACIE.decode() + "\n"),
        skip="Macie sensitive data discovery results (not read)",
    ),
    "another aws service": Case(
        f"{ACCOUNT}/SomeNewService/us-east-1/2024/05/01/x.json.gz",
        _gz('{"Records": []}'),
        skip="not a log source (SomeNewService)",
    ),
    "cloudwatch logs export write test": Case(
        "exports/aws-logs-write-test",
        b"Permission Check Successful",
        skip="CloudWatch Logs export write test",
    ),
    "cloudwatch logs export": Case(
        "exports/0f1e2d3c-4b5a-4697-8a9b-0c1d2e3f4a5b/2024/05/01/[$LATEST]0123456789abcdef/000000.gz",
        _gz("2024-05-01T00:00:00.000Z START RequestId: 1 Version: $LATEST\n"),
        skip="CloudWatch Logs export (not read: subscribe the log group instead)",
    ),
    "s3 inventory manifest": Case(
        "inventory/amzn-s3-demo-source-bucket/daily/2024-05-01T01-00Z/manifest.json",
        INVENTORY_MANIFEST,
        skip="S3 Inventory or Storage Lens manifest",
    ),
    "s3 inventory report": Case(
        "inventory/amzn-s3-demo-source-bucket/daily/data/0f1e2d3c-4b5a-4697-8a9b-0c1d2e3f4a5b.csv.gz",
        _gz('"amzn-s3-demo-source-bucket","AWSLogs/111122223333/CloudTrail/x.json.gz","2147"\n'),
        skip="S3 Inventory report (not read)",
    ),
    "s3 storage lens export": Case(
        "lens/StorageLens/o-exampleorgid/lens-1/V_1/reports/dt=2024-05-01/0f1e2d3c-4b5a-4697-8a9b-0c1d2e3f4a5b.csv",
        b"version_number,configuration_id,report_date,aws_account_number\n",
        skip="S3 Storage Lens export (not read)",
    ),
    # EKS audit logs are OCSF API Activity rows: read, they would pass for CloudTrail records.
    "security lake eks audit": Case(
        f"aws/EKS_AUDIT/2.0/{LAKE}/a.gz.parquet",
        _golden("securitylake/api-activity-1.1"),
        skip="Security Lake EKS audit logs (not read)",
    ),
    "security lake route 53": Case(
        f"aws/ROUTE53/2.0/{LAKE}/a.gz.parquet",
        _golden("securitylake/api-activity-1.1"),
        skip="Security Lake Route 53 resolver query logs (not read)",
    ),
    "security lake custom source": Case(
        f"ext/okta/2.0/{LAKE}/a.gz.parquet",
        _golden("securitylake/api-activity-1.1"),
        skip="Security Lake custom source okta (not read)",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_live_path_reads_or_skips_each_layout(case: Case) -> None:
    origin = Origin(object=f"s3://org-logs/{case.key}", ingested="2024-05-01T00:00:00Z")
    normalized = normalize_object(io.BytesIO(case.body), origin)
    items = list(normalized)
    outcome = normalized.outcome
    if case.read_as is None:
        assert (outcome.skipped, items) == (case.skip, [])
        assert outcome.source == case.skipped_with
        return
    assert outcome.skipped is None
    assert outcome.source == case.read_as
    assert outcome.documents or outcome.skipped_records  # a snapshot's inventory items are counted
    assert not [item.reason for item in items if isinstance(item, DeadLetter) and item.source == "unknown"]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_backfill_enqueues_or_skips_each_layout_for_the_same_reason(case: Case) -> None:
    listed = Listed(
        case.key, len(case.body), '"0123456789abcdef0123456789abcdef"', datetime(2024, 5, 1, tzinfo=UTC)
    )
    assert classify(listed, Filters()) == case.skip


@pytest.mark.parametrize(
    "case", [c for c in CASES.values() if c.read_as], ids=[n for n, c in CASES.items() if c.read_as]
)
def test_a_source_filter_selects_each_layout_we_read(case: Case) -> None:
    listed = Listed(case.key, len(case.body), '"e"', datetime(2024, 5, 1, tzinfo=UTC))
    if case.key.startswith("securityhub/2024/"):  # Firehose's default prefix: no layout says the source
        assert classify(listed, Filters(sources=frozenset({"securityhub"}))) == "key outside the AWS layouts"
        return
    assert classify(listed, Filters(sources=frozenset({case.read_as or ""}))) is None
    others = frozenset({"cloudtrail", "vpcflow"} - {case.read_as})
    assert classify(listed, Filters(sources=others)) == "other source"


@pytest.mark.parametrize(
    "key",
    [
        "processing-failed/2024/05/01/13/findings-1-2024-05-01-13-00-00-abc",
        f"guardduty/{ACCOUNT}/firehose-errors/eu-west-1/processing-failed/2024/05/01/AwsSiemFindings-1-abc",
    ],
)
def test_firehose_error_output_is_read_record_by_record_not_skipped(key: str) -> None:
    # Records Firehose could not deliver (the member stack's findings among them): skipped, they
    # would be lost without a sound; each is recovered from its rawData and read as its source,
    # by its key in the member stack's layout, by its content under a default error prefix.
    origin = Origin(object=f"s3://org-logs/{key}", ingested="2024-05-01T00:00:00Z")
    normalized = normalize_object(io.BytesIO(FIREHOSE_ERROR), origin)
    [document] = list(normalized)
    assert not isinstance(document, DeadLetter)
    assert document["event"]["id"] == "c3d4e5f60718293a4b5c6d7e8f90a1b2@2026-03-02T12:09:30Z"
    assert document["aws"]["firehose_errors"]["error_code"] == "Lambda.FunctionError"
    outcome = normalized.outcome
    assert (outcome.skipped, outcome.source, outcome.delivery) == (None, "guardduty", "firehose_errors")
    listed = Listed(key, len(FIREHOSE_ERROR), '"e"', datetime(2024, 5, 1, tzinfo=UTC))
    assert classify(listed, Filters()) is None


def test_security_lake_keys_carry_the_account_region_and_day_the_filters_select() -> None:
    listed = Listed(
        f"aws/CLOUD_TRAIL_MGMT/2.0/{LAKE}/a.gz.parquet", 10, '"e"', datetime(2024, 5, 1, tzinfo=UTC)
    )
    assert (
        classify(listed, Filters(accounts=frozenset({"111122223333"}), regions=frozenset({"us-east-1"})))
        is None
    )
    assert classify(listed, Filters(since=date(2024, 5, 1), until=date(2024, 5, 1))) is None
    assert classify(listed, Filters(accounts=frozenset({"999999999999"}))) == "other account"
    assert classify(listed, Filters(since=date(2024, 5, 2))) == "outside dates"
    hourly = Listed(  # Security Lake 1.0
        "aws/VPC_FLOW/region=us-east-1/accountId=111122223333/eventHour=2024050113/a.gz.parquet",
        10,
        '"e"',
        datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert classify(hourly, Filters(sources=frozenset({"vpcflow"}), until=date(2024, 5, 1))) is None


@pytest.mark.parametrize(
    "key",
    [
        # another account's flows, dressed with a Hive folder of the filtered account
        "AWSLogs/999999999999/vpcflowlogs/us-east-1/2024/05/01/aws-account-id=111122223333/x.log.gz",
        # a Hive key with a second account folder after the first
        "AWSLogs/aws-account-id=999999999999/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=05"
        "/day=01/aws-account-id=111122223333/aws-service=vpcflowlogs/x.log.gz",
        # AWSLogs is reserved: a key with two is no delivery's, whichever account it names first
        "AWSLogs/999999999999/elasticloadbalancing/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz",
        "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/AWSLogs/999999999999/CloudTrail/x.json.gz",
        # a Security Lake key with a second account folder
        f"aws/VPC_FLOW/2.0/region=us-east-1/accountId=999999999999/eventDay=20240501/aws/VPC_FLOW/2.0/{LAKE}/a.parquet",
        # Unicode digits are no account number
        "AWSLogs/١١١١٢٢٢٢٣٣٣٣/CloudTrail/us-east-1/2024/05/01/x.json.gz",
    ],
)
def test_a_key_dressed_as_another_accounts_does_not_pass_its_account_filter(key: str) -> None:
    listed = Listed(key, 10, '"e"', datetime(2024, 5, 1, tzinfo=UTC))
    assert classify(listed, Filters(accounts=frozenset({"111122223333"}))) is not None
    assert (
        classify(listed, Filters(regions=frozenset({"us-east-1"}), accounts=frozenset({"111122223333"})))
        is not None
    )
