#!/usr/bin/env python3
"""Check a deployed SIEM end to end, with one PASS, FAIL or WAIT line per check.

  python3 verify_deployment.py --stack AwsSiem --region eu-west-1
  python3 verify_deployment.py --stack AwsSiem --region eu-west-1 --trigger \\
      --guardduty-profile guardduty-admin --wait 45

Without ``--trigger`` it reads only: the stack and its outputs, its CloudWatch alarms, the
alert topic's subscriptions, the dead-letter queue, the newest CloudTrail and flow log
objects in the bucket, and recent documents in the indices (a search signed as the caller:
a 403 there means the data access policy does not name the caller).

``--trigger`` also creates what should travel the whole path:

- GuardDuty sample findings in the delegated administrator (``--guardduty-profile``,
  ``--guardduty-region``; CreateSampleFindings), which must appear in the GuardDuty export
  under the bucket and then in ``siem-guardduty``. Sample findings never alert (the rule
  ``siem-guardduty-high-critical`` leaves them out on purpose);
- one harmless read of the SSM parameter ``/aws-siem/verification`` by the caller (it need not
  exist: ParameterNotFound is logged the same way), which the organization trail records and
  the marker rule ``siem-deployment-verification`` turns into an informational alert in
  ``siem-alerts`` (one per identity per hour: a second run within the hour finds the same
  alert).

``--wait MINUTES`` checks again every minute while some check says WAIT (CloudTrail delivers
within about 5-15 minutes, GuardDuty exports new findings within about 5, detections run
every 5 minutes with a 2-minute lag). Exit status 0 when every check passed, 1 otherwise.

Credentials: ``--profile`` for the AWS reads (CloudFormation, CloudWatch, SNS, SQS, S3
listing, Organizations DescribeOrganization, SSM GetParameter with ``--trigger``) and
``--search-profile`` (default: the same) for the searches, which must be a principal of the
analysts' data access policy. Only boto3 and the standard library: it runs in CloudShell.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError, ClientError

RUNBOOKS = "docs/runbooks.md"
REQUIRED_OUTPUTS = (
    "LogBucketName",
    "LogsCollectionEndpoint",
    "AlertsCollectionEndpoint",
    "DashboardsUrl",
    "IngestQueueUrl",
    "AlertTopicArn",
)
SAMPLE_TYPES = (
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "Recon:EC2/PortProbeUnprotectedPort",
)
ALERT_RULE = "siem-deployment-verification"
VERIFICATION_PARAMETER = "/aws-siem/verification"
"""Read with ``--trigger``; the marker rule ``ALERT_RULE`` alerts on it (it need not exist)."""
FRESH = timedelta(minutes=30)
"""An object or a document this recent shows the path is flowing."""

ClientFactory = Callable[[str, str], Any]
Search = Callable[[str, str, dict[str, Any]], dict[str, Any]]
"""(endpoint, index, body) -> the ``_search`` answer; raises ``SearchError``."""


class SearchError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    """PASS, FAIL or WAIT (not yet: the path takes minutes)."""
    detail: str


@dataclass
class Deployment:
    """What the stack says about itself."""

    stack: str
    region: str
    outputs: dict[str, str] = field(default_factory=dict)
    resources: dict[str, list[str]] = field(default_factory=dict)
    """Resource type -> physical ids."""

    def physical(self, kind: str) -> list[str]:
        return self.resources.get(kind, [])


# -- reading the stack ------------------------------------------------------------------------


def read_stack(cloudformation: Any, stack: str, region: str) -> tuple[Deployment, Check]:
    [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    deployment = Deployment(
        stack, region, {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    )
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            deployment.resources.setdefault(resource["ResourceType"], []).append(
                resource["PhysicalResourceId"]
            )
    missing = [name for name in REQUIRED_OUTPUTS if name not in deployment.outputs]
    status = described["StackStatus"]
    if missing or status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        detail = f"{status}" + (f"; outputs missing: {', '.join(missing)}" if missing else "")
        return deployment, Check(f"stack {stack}", "FAIL", detail)
    return deployment, Check(f"stack {stack}", "PASS", f"{status}, outputs present")


def alarm_checks(cloudwatch: Any, names: list[str]) -> list[Check]:
    if not names:
        return [Check("alarms", "FAIL", "the stack has no CloudWatch alarm")]
    alarms = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
    firing = [a for a in alarms if a["StateValue"] == "ALARM"]
    checks = [
        Check(
            f"alarm {a['AlarmName']}",
            "FAIL",
            f"ALARM since {a.get('StateUpdatedTimestamp', '?')}: see {RUNBOOKS} ({runbook_anchor(a['AlarmName'])})",
        )
        for a in firing
    ]
    return checks or [Check("alarms", "PASS", f"{len(alarms)} alarms, none in ALARM")]


def runbook_anchor(alarm_name: str) -> str:
    """The runbook section of an alarm named by CloudFormation ``<stack>-<logical id>-<suffix>``."""
    for section in (
        "QueueAge",
        "DeadLetterDepth",
        "IngestErrors",
        "IngestThrottles",
        "DetectionErrors",
        "DetectionThrottles",
    ):
        if f"Alarms{section}" in alarm_name:
            return f"#{section.lower()}"
    return "the alarm's section"


def topic_check(sns: Any, topic_arn: str) -> Check:
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    confirmed = [s for s in subscriptions if s["SubscriptionArn"] not in ("PendingConfirmation", "Deleted")]
    if confirmed:
        return Check("alert topic", "PASS", f"{len(confirmed)} confirmed subscription(s)")
    pending = len(subscriptions) - len(confirmed)
    return Check("alert topic", "FAIL", f"no confirmed subscription ({pending} pending): confirm the e-mail")


def dead_letter_check(sqs: Any, queue_urls: list[str], ingest_queue_url: str) -> Check:
    others = [url for url in queue_urls if url != ingest_queue_url]
    if len(others) != 1:
        return Check(
            "dead-letter queue", "FAIL", f"expected one dead-letter queue in the stack, found {len(others)}"
        )
    attributes = sqs.get_queue_attributes(QueueUrl=others[0], AttributeNames=["ApproximateNumberOfMessages"])
    waiting = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    if waiting:
        return Check(
            "dead-letter queue", "FAIL", f"{waiting} notifications parked: see {RUNBOOKS} (#deadletterdepth)"
        )
    return Check("dead-letter queue", "PASS", "empty")


# -- objects in the bucket ----------------------------------------------------------------------


def day_prefixes(base: str, now: datetime) -> list[str]:
    """``<base>yyyy/MM/dd/`` for today and yesterday (UTC), the newest first."""
    return [f"{base}{day:%Y/%m/%d}/" for day in (now, now - timedelta(days=1))]


def newest_object(s3: Any, bucket: str, prefixes: Iterable[str], since: datetime) -> dict[str, Any] | None:
    newest: dict[str, Any] | None = None
    for prefix in prefixes:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                if entry["LastModified"] >= since and (
                    newest is None or entry["LastModified"] > newest["LastModified"]
                ):
                    newest = entry
    return newest


def delivery_check(
    name: str, s3: Any, bucket: str, base: str, now: datetime, since: datetime, hint: str
) -> Check:
    found = newest_object(s3, bucket, day_prefixes(base, now), since)
    if found is None:
        return Check(name, "WAIT", f"no object since {since:%H:%M}Z under s3://{bucket}/{base}...: {hint}")
    age = int((now - found["LastModified"]).total_seconds() // 60)
    return Check(name, "PASS", f"newest object {age} min old: {found['Key']}")


# -- documents in the indices -------------------------------------------------------------------


class SignedSearch:
    """``POST <endpoint>/<index>/_search`` signed with SigV4 for OpenSearch Serverless (``aoss``)."""

    def __init__(self, session: boto3.Session, region: str) -> None:
        self._session, self._region = session, region

    def __call__(self, endpoint: str, index: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        url = f"{endpoint.rstrip('/')}/{urllib.parse.quote(index)}/_search"
        credentials = self._session.get_credentials()
        if credentials is None:
            raise SearchError(0, "no AWS credentials to sign with")
        headers = {
            "Content-Type": "application/json",
            "x-amz-content-sha256": hashlib.sha256(data).hexdigest(),
        }
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "aoss", self._region).add_auth(request)
        signed = urllib.request.Request(url, data=data, headers=dict(request.headers.items()), method="POST")
        try:
            with urllib.request.urlopen(signed, timeout=30) as answer:
                return dict(json.loads(answer.read()))
        except urllib.error.HTTPError as error:
            raise SearchError(error.code, error.read()[:300].decode(errors="replace")) from error
        except urllib.error.URLError as error:
            raise SearchError(0, str(error.reason)) from error


def search_failure(name: str, error: SearchError, caller: str) -> Check:
    if error.status == 404:
        return Check(name, "WAIT", "the index does not exist yet: nothing of this source was ingested")
    if error.status in (401, 403):
        return Check(
            name,
            "FAIL",
            f"{error}: the data access policy does not name {caller}, or its IAM policy lacks "
            "aoss:APIAccessAll (analystPrincipalArns, AnalystPolicyArn)",
        )
    return Check(name, "FAIL", str(error))


def recent_documents_query(since: datetime) -> dict[str, Any]:
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {"range": {"event.ingested": {"gte": since.strftime("%Y-%m-%dT%H:%M:%SZ")}}},
    }


def freshness_check(search: Search, endpoint: str, index: str, since: datetime, caller: str) -> Check:
    name = f"documents in {index}"
    try:
        answer = search(endpoint, index, recent_documents_query(since))
    except SearchError as error:
        return search_failure(name, error, caller)
    count = answer["hits"]["total"]["value"]
    if count:
        return Check(name, "PASS", f"{count} ingested since {since:%H:%M}Z")
    return Check(name, "WAIT", f"none ingested since {since:%H:%M}Z")


def findings_query(ids: list[str]) -> dict[str, Any]:
    return {"size": len(ids), "_source": ["aws.guardduty.id"], "query": {"terms": {"aws.guardduty.id": ids}}}


def findings_check(search: Search, endpoint: str, index: str, ids: list[str], caller: str) -> Check:
    name = f"sample findings in {index}"
    try:
        hits = search(endpoint, index, findings_query(ids))["hits"]["hits"]
    except SearchError as error:
        return search_failure(name, error, caller)
    found = sorted({hit["_source"]["aws"]["guardduty"]["id"] for hit in hits})
    if len(found) < len(ids):
        return Check(name, "WAIT", f"{len(found)} of {len(ids)} indexed")
    return Check(name, "PASS", f"{len(found)} of {len(ids)} indexed; try: siem investigate {found[0]}")


def alerts_query(since: datetime) -> dict[str, Any]:
    return {
        "size": 50,
        "_source": ["alert.id", "alert.dedup_key", "related.user", "event.end"],
        "query": {
            "bool": {
                "filter": [
                    {"term": {"rule.id": ALERT_RULE}},
                    {"range": {"event.end": {"gte": since.strftime("%Y-%m-%dT%H:%M:%SZ")}}},
                ]
            }
        },
    }


def alert_check(search: Search, endpoint: str, index: str, caller: str, since: datetime) -> Check:
    name = f"alert {ALERT_RULE}"
    try:
        hits = search(endpoint, index, alerts_query(since))["hits"]["hits"]
    except SearchError as error:
        return search_failure(name, error, caller)
    mine = [
        h
        for h in hits
        if caller in h["_source"].get("related", {}).get("user", [])
        or caller in h["_source"]["alert"].get("dedup_key", "")
    ]
    if mine:
        return Check(name, "PASS", f"alert {mine[0]['_source']['alert']['id']} for {caller}")
    return Check(name, "WAIT", f"no alert for {caller} yet (CloudTrail delivery, then a detection run)")


# -- triggers -----------------------------------------------------------------------------------


def read_marker(ssm: Any) -> None:
    """The call ``ALERT_RULE`` alerts on: a read of a parameter that usually does not exist.
    Any answer from SSM (ParameterNotFound, AccessDenied) is an event CloudTrail records."""
    with contextlib.suppress(ClientError):
        ssm.get_parameter(Name=VERIFICATION_PARAMETER)


def create_sample_findings(guardduty: Any) -> str:
    detectors = guardduty.list_detectors()["DetectorIds"]
    if not detectors:
        raise ValueError("the GuardDuty account has no detector in this region")
    guardduty.create_sample_findings(DetectorId=detectors[0], FindingTypes=list(SAMPLE_TYPES))
    return str(detectors[0])


def sample_finding_ids(guardduty: Any, detector: str, since: datetime) -> list[str]:
    criteria = {
        "Criterion": {
            "type": {"Eq": list(SAMPLE_TYPES)},
            "updatedAt": {"GreaterThanOrEqual": int(since.timestamp() * 1000)},
        }
    }
    return sorted(guardduty.list_findings(DetectorId=detector, FindingCriteria=criteria)["FindingIds"])


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Run:
    """Everything the checks need, read once."""

    args: argparse.Namespace
    clients: ClientFactory
    guardduty_clients: ClientFactory
    search: Search
    now: Callable[[], datetime]
    started: datetime
    deployment: Deployment
    caller: str
    account: str
    organization: str
    detector: str | None = None
    """The GuardDuty administrator's detector that made the sample findings (``--trigger``)."""
    admin_account: str | None = None

    def aws(self, service: str) -> Any:
        return self.clients(service, self.args.region)

    def checks(self) -> list[Check]:
        outputs, now = self.deployment.outputs, self.now()
        bucket, args = outputs["LogBucketName"], self.args
        since = min(self.started, now - FRESH)
        region = args.region
        found = [
            *alarm_checks(self.aws("cloudwatch"), self.deployment.physical("AWS::CloudWatch::Alarm")),
            topic_check(self.aws("sns"), outputs["AlertTopicArn"]),
            dead_letter_check(
                self.aws("sqs"), self.deployment.physical("AWS::SQS::Queue"), outputs["IngestQueueUrl"]
            ),
            delivery_check(
                "CloudTrail delivery",
                self.aws("s3"),
                bucket,
                f"{args.cloudtrail_prefix}AWSLogs/{self.organization}/{self.account}/CloudTrail/{region}/",
                now,
                since,
                "is the organization trail logging? (aws cloudtrail get-trail-status, management account)",
            ),
            delivery_check(
                "VPC flow log delivery",
                self.aws("s3"),
                bucket,
                f"{args.vpcflow_prefix}AWSLogs/{args.flow_log_account or self.account}/vpcflowlogs/{region}/",
                now,
                since,
                "does that account have a VPC with traffic and the AwsSiemVpcFlowLogs stack? (--flow-log-account)",
            ),
        ]
        logs_endpoint = outputs["LogsCollectionEndpoint"]
        for source in ("cloudtrail", "vpcflow"):
            found.append(
                freshness_check(
                    self.search, logs_endpoint, f"{args.index_prefix}{source}", since, self.caller
                )
            )
        if args.trigger:
            found.extend(self.triggered_checks(bucket, now))
        return found

    def triggered_checks(self, bucket: str, now: datetime) -> list[Check]:
        args, outputs = self.args, self.deployment.outputs
        found = []
        if self.detector is not None:
            guardduty = self.guardduty_clients("guardduty", args.guardduty_region)
            ids = sample_finding_ids(guardduty, self.detector, self.started)
            base = f"{args.guardduty_prefix}AWSLogs/{self.admin_account}/GuardDuty/{args.guardduty_region}/"
            found.append(
                delivery_check(
                    "GuardDuty export",
                    self.aws("s3"),
                    bucket,
                    base,
                    now,
                    self.started,
                    "exported within about 5 minutes (scripts/guardduty_setup.py export)",
                )
            )
            if ids:
                found.append(
                    findings_check(
                        self.search,
                        outputs["LogsCollectionEndpoint"],
                        f"{args.index_prefix}guardduty",
                        ids,
                        self.caller,
                    )
                )
            else:
                found.append(Check("sample findings in GuardDuty", "WAIT", "none listed yet"))
        found.append(
            alert_check(
                self.search,
                outputs["AlertsCollectionEndpoint"],
                f"{args.index_prefix}alerts",
                self.caller,
                self.started - timedelta(hours=1),
            )
        )
        return found


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="verify_deployment.py", description=__doc__.split("\n\n")[0])
    main.add_argument("--stack", default="AwsSiem", help="the central stack's name (default: AwsSiem)")
    main.add_argument("--region", required=True, help="the central stack's region")
    main.add_argument("--profile", help="AWS profile for the AWS reads (default: the environment's)")
    main.add_argument("--search-profile", help="AWS profile for the searches (default: --profile)")
    main.add_argument("--trigger", action="store_true", help="create GuardDuty sample findings and one alert")
    main.add_argument(
        "--guardduty-profile", help="profile of the GuardDuty delegated administrator (--trigger)"
    )
    main.add_argument("--guardduty-region", help="region of the sample findings (default: --region)")
    main.add_argument(
        "--flow-log-account", help="account whose flow logs to look for (default: the caller's)"
    )
    main.add_argument(
        "--wait", type=int, default=0, metavar="MINUTES", help="check again while some check waits"
    )
    main.add_argument("--index-prefix", default="siem-", help="indexPrefix (default: siem-)")
    main.add_argument(
        "--cloudtrail-prefix", default="cloudtrail/", help="cloudtrailPrefix (default: cloudtrail/)"
    )
    main.add_argument("--vpcflow-prefix", default="vpcflow/", help="vpcflowPrefix (default: vpcflow/)")
    main.add_argument(
        "--guardduty-prefix", default="guardduty/", help="guarddutyPrefix (default: guardduty/)"
    )
    return main


def _session_clients(session: boto3.Session) -> ClientFactory:
    def client(service: str, region: str) -> Any:
        return session.client(service, region_name=region)  # type: ignore[call-overload]

    return client


def start(
    args: argparse.Namespace,
    clients: ClientFactory,
    guardduty_clients: ClientFactory,
    search: Search,
    now: Callable[[], datetime],
) -> tuple[Run, Check]:
    """Read the stack and who we are; with ``--trigger``, create the sample findings and the alert."""
    args.guardduty_region = args.guardduty_region or args.region
    deployment, stack_check = read_stack(clients("cloudformation", args.region), args.stack, args.region)
    identity = clients("sts", args.region).get_caller_identity()
    organization = clients("organizations", args.region).describe_organization()["Organization"]["Id"]
    run = Run(
        args,
        clients,
        guardduty_clients,
        search,
        now,
        now(),
        deployment,
        identity["Arn"],
        identity["Account"],
        organization,
    )
    if args.trigger:
        run.admin_account = guardduty_clients("sts", args.guardduty_region).get_caller_identity()["Account"]
        run.detector = create_sample_findings(guardduty_clients("guardduty", args.guardduty_region))
        read_marker(clients("ssm", args.region))
    return run, stack_check


def report(checks: list[Check]) -> int:
    for check in checks:
        print(f"{check.status:<5} {check.name}: {check.detail}")
    counts = {status: sum(c.status == status for c in checks) for status in ("PASS", "FAIL", "WAIT")}
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['WAIT']} waiting")
    return 0 if counts["FAIL"] == counts["WAIT"] == 0 else 1


def main(
    argv: list[str] | None = None,
    clients: ClientFactory | None = None,
    guardduty_clients: ClientFactory | None = None,
    search: Search | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    args = parser().parse_args(argv)
    try:
        if clients is None:
            session = boto3.Session(profile_name=args.profile)
            clients = _session_clients(session)
            search_session = (
                boto3.Session(profile_name=args.search_profile) if args.search_profile else session
            )
            search = SignedSearch(search_session, args.region)
            if args.guardduty_profile:
                guardduty_clients = _session_clients(boto3.Session(profile_name=args.guardduty_profile))
        assert search is not None
        run, stack_check = start(args, clients, guardduty_clients or clients, search, now)
        if stack_check.status == "FAIL":
            return report([stack_check])
        deadline = now() + timedelta(minutes=args.wait)
        checks = run.checks()
        while any(c.status == "WAIT" for c in checks) and now() < deadline:
            sleep(60)
            checks = run.checks()
        return report([stack_check, *checks])
    except (ClientError, BotoCoreError, ValueError) as error:
        print(f"verify_deployment.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
