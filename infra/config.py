"""The deployment's settings, read from CDK context and validated before anything is built.

Every problem is collected and reported at once (``ConfigError``), so that a platform team
fixes its ``cdk.json`` in one pass instead of one synth per typo.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from detections.exceptions import ExceptionsError, load_exceptions, to_json
from ingest.defaults import DEADLINE_MARGIN_SECONDS, REQUEST_TIMEOUT_SECONDS
from normalizers import SOURCES
from normalizers.vpcflow.formats import FormatError, parse_formats

NetworkAccess = Literal["public", "vpc"]
ContextGetter = Callable[[str], Any]

_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_MAX_EXCEPTIONS_BYTES = 3000
"""A Lambda's environment holds 4 KB in all; the other variables take the rest."""
_MAX_FLOW_FORMATS_BYTES = 2000
"""The ingest function's other variables take well under 2 KB of the 4 KB a Lambda environment holds."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]+/$")
_INDEX_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# AOSS collection and policy names: 3-32 chars, lower case; the longest suffix we add is
# "-detections" (11 chars), so a name prefix of at most 20 keeps every name valid.
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,19}$")
_PRINCIPAL_ARN = re.compile(
    r"^arn:aws[a-z-]*:(iam::\d{12}:(role|user)/[\w+=,.@/-]+|sts::\d{12}:assumed-role/[\w+=,.@/-]+)$"
)
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")
_EVENT_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[.\-_A-Za-z0-9]{1,256}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+$")
_VPCE_ID = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
# EventBridge Scheduler: cron(minutes hours day-of-month month day-of-week year), rate(value unit).
_SCHEDULE = re.compile(r"^(cron\(\S+( \S+){5}\)|rate\([1-9]\d* (minutes?|hours?|days?)\))$")
# The TrailARN that ``aws cloudtrail describe-trails`` shows: <home region>, the owning account.
_TRAIL_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:(\d{12}):trail/[A-Za-z0-9._-]{3,128}$")

DEFAULT_PREFIXES = {source: f"{source}/" for source in SOURCES}
DEAD_LETTER_PREFIX = "dead-letter/"


class ConfigError(ValueError):
    """The context does not describe a deployable configuration; the message lists why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid CDK context:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class VpcSettings:
    """Private collections: where the Lambdas run and how OpenSearch is reached from there."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    endpoint_id: str | None = None
    """An existing OpenSearch Serverless VPC endpoint; ``None``: the stack creates one."""
    public_dashboards: bool = False
    """Dashboards stays public (SigV4 + data access policies) while the collections are private."""
    client_cidrs: tuple[str, ...] = ()
    """Networks (VPN, bastion) allowed to reach the endpoint the stack creates, on HTTPS."""


@dataclass(frozen=True)
class Config:
    """Everything the central stack needs; built by ``Config.from_context``."""

    organization_id: str
    name_prefix: str = "siem"
    index_prefix: str = "siem-"
    log_bucket_name: str | None = None
    """An existing bucket to read; ``None`` creates a new one."""
    log_bucket_key_arn: str | None = None
    """The KMS key of an existing bucket (its objects must be decrypted)."""
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PREFIXES))
    log_retention_days: int = 400
    index_retention_days: int = 90
    alert_email: str | None = None
    alert_topic_arn: str | None = None
    event_bus: bool = True
    """An EventBridge bus of our own gets alert and incident events (detections/eventbus.py)."""
    event_bus_arn: str | None = None
    """An existing bus gets them instead (``eventBus`` must then be false or unset)."""
    security_hub_action: bool = True
    """The Security Hub custom action "Investigate in SIEM" and its function."""
    analyst_principal_arns: tuple[str, ...] = ()
    triage_principal_arns: tuple[str, ...] = ()
    """Who may change an incident's status (``siem incidents ack / close / reopen``): write on
    the incidents index only. Analysts read; on-call is usually a subset of them."""
    network_access: NetworkAccess = "public"
    vpc: VpcSettings | None = None
    ingest_reserved_concurrency: int = 10
    ingest_batch_size: int = 10
    ingest_batching_window_seconds: int = 20
    ingest_timeout_seconds: int = 300
    ingest_memory_mb: int = 1024
    bulk_max_bytes: int = 5 * 1024 * 1024
    keep_original: bool = False
    vpc_flow_formats: str | None = None
    """Flow log formats for flow lines with no header, as compact JSON for the ingest function's
    ``VPC_FLOW_FORMATS`` (from ``vpcFlowFormats``: normalizers/vpcflow/formats.py)."""
    detection_rate_minutes: int = 5
    detection_fill_budget_seconds: int = 60
    """``FILL_BUDGET_SECONDS`` of the detection function (from ``detectionFillBudgetSeconds``;
    default: a fifth of its timeout, 60 s at most: docs/detections.md, "Learning")."""
    detection_exceptions: str | None = None
    """The rule exceptions as compact JSON, for ``DETECTION_EXCEPTIONS`` (from ``detectionExceptionsFile``)."""
    standby_replicas: bool = True
    """AOSS standby replicas: production redundancy; turning them off halves the minimum OCUs."""
    member_stack: bool = False
    vpc_flow_logs_stack: bool = False
    """Also synthesize the VPC Flow Logs stack (infra.vpc_flow_logs), for a StackSet."""
    operator_role: bool = True
    """The operator role for backfills, replays and queue redrives (infra.operator_role)."""
    skip_dependency_bundling: bool = False
    """Copy only the project's packages into the Lambda bundle (unit tests: fast, offline)."""
    organization_trail_arn: str | None = None
    """The organization trail allowed to write under the CloudTrail prefix (required with a new bucket)."""
    delegated_admin_account_ids: tuple[str, ...] = ()
    """GuardDuty / Security Hub delegated administrators: their objects legitimately carry other
    accounts' findings, and only their GuardDuty detectors may export to the bucket."""
    guardduty_opt_in_regions: tuple[str, ...] = ()
    """Opt-in Regions whose GuardDuty export the log bucket admits: GuardDuty signs there with
    its Regional service principal ``guardduty.<region>.amazonaws.com`` (infra.storage)."""
    object_lock_retention_days: int = 365
    """S3 Object Lock (governance mode) default retention of every object version in a new bucket."""
    report_schedule: str = "cron(0 6 2 * ? *)"
    """When the monthly report runs (EventBridge Scheduler, UTC): it reports the full month
    before that time. Default 06:00 on the 2nd, a day for late deliveries (infra/reports.py)."""
    config_snapshot_inventory: bool = False
    """Index every item of AWS Config snapshot files, not only their compliance items
    (``CONFIG_SNAPSHOT_INVENTORY`` of the ingest function, docs/sources/config.md)."""

    @property
    def management_account_id(self) -> str | None:
        """The account that owns the organization trail (the management account)."""
        found = _TRAIL_ARN.match(self.organization_trail_arn or "")
        return found.group(1) if found else None

    @property
    def logs_collection_name(self) -> str:
        return f"{self.name_prefix}-logs"

    @property
    def alerts_collection_name(self) -> str:
        return f"{self.name_prefix}-alerts"

    @property
    def alerts_index(self) -> str:
        return f"{self.index_prefix}alerts"

    @property
    def incidents_index(self) -> str:
        return f"{self.index_prefix}incidents"

    def source_index(self, source: str) -> str:
        return f"{self.index_prefix}{source}"

    @staticmethod
    def from_context(get: ContextGetter) -> Config:
        """Read and validate every setting; raise ``ConfigError`` listing all problems."""
        reader = _ContextReader(get)
        config = reader.build()
        if reader.problems:
            raise ConfigError(reader.problems)
        return config


class _ContextReader:
    """Turns raw context values (strings from ``-c``, or JSON values from cdk.json) into types."""

    def __init__(self, get: ContextGetter) -> None:
        self._get = get
        self.problems: list[str] = []

    def build(self) -> Config:
        defaults = Config(organization_id="")
        network = self.text("networkAccess", "public")
        rate = self.integer("detectionRateMinutes", defaults.detection_rate_minutes, 1, 60)
        config = Config(
            organization_id=self.required_match(
                "organizationId", _ORG_ID, "an organization id like o-a1b2c3d4e5"
            ),
            name_prefix=self.match(
                "namePrefix", _NAME_PREFIX, "2-20 lower-case letters, digits, '-'", "siem"
            ),
            index_prefix=self.index_prefix(),
            log_bucket_name=self.optional_match("logBucketName", _BUCKET, "a valid S3 bucket name"),
            log_bucket_key_arn=self.optional_match("logBucketKmsKeyArn", _KMS_KEY_ARN, "a KMS key ARN"),
            prefixes=self.prefixes(),
            log_retention_days=self.integer("logRetentionDays", defaults.log_retention_days, 1, 3650),
            index_retention_days=self.integer("indexRetentionDays", defaults.index_retention_days, 1, 3650),
            alert_email=self.optional_match("alertEmail", _EMAIL, "an e-mail address"),
            alert_topic_arn=self.optional_match("alertTopicArn", _TOPIC_ARN, "an SNS topic ARN"),
            event_bus=self.boolean("eventBus", self.raw("eventBusArn") is None),
            event_bus_arn=self.optional_match("eventBusArn", _EVENT_BUS_ARN, "an EventBridge event bus ARN"),
            security_hub_action=self.boolean("securityHubAction", True),
            analyst_principal_arns=self.principals("analystPrincipalArns"),
            triage_principal_arns=self.principals("triagePrincipalArns"),
            network_access="vpc" if network == "vpc" else "public",
            vpc=self.vpc_settings(network),
            ingest_reserved_concurrency=self.integer(
                "ingestReservedConcurrency", defaults.ingest_reserved_concurrency, 2, 1000
            ),
            ingest_batch_size=self.integer("ingestBatchSize", defaults.ingest_batch_size, 1, 100),
            ingest_batching_window_seconds=self.integer(
                "ingestBatchingWindowSeconds", defaults.ingest_batching_window_seconds, 0, 300
            ),
            ingest_timeout_seconds=self.integer(
                "ingestTimeoutSeconds", defaults.ingest_timeout_seconds, 30, 900
            ),
            ingest_memory_mb=self.integer("ingestMemoryMb", defaults.ingest_memory_mb, 256, 10240),
            bulk_max_bytes=self.integer("bulkMaxBytes", defaults.bulk_max_bytes, 64 * 1024, 10 * 1024 * 1024),
            keep_original=self.boolean("keepOriginal", False),
            vpc_flow_formats=self.vpc_flow_formats(),
            detection_rate_minutes=rate,
            detection_fill_budget_seconds=self.fill_budget(rate),
            detection_exceptions=self.detection_exceptions(),
            standby_replicas=self.boolean("standbyReplicas", True),
            member_stack=self.boolean("memberStack", False),
            vpc_flow_logs_stack=self.boolean("vpcFlowLogsStack", False),
            operator_role=self.boolean("operatorRole", True),
            skip_dependency_bundling=self.boolean("skipDependencyBundling", False),
            organization_trail_arn=self.optional_match(
                "organizationTrailArn",
                _TRAIL_ARN,
                "a CloudTrail trail ARN (arn:aws:cloudtrail:...:trail/...)",
            ),
            delegated_admin_account_ids=self.account_ids("delegatedAdminAccountIds"),
            guardduty_opt_in_regions=self.regions("guardDutyOptInRegions"),
            object_lock_retention_days=self.integer(
                "objectLockRetentionDays", defaults.object_lock_retention_days, 1, 3650
            ),
            report_schedule=self.match(
                "reportSchedule",
                _SCHEDULE,
                "an EventBridge Scheduler cron(...) or rate(...) expression, e.g. cron(0 6 2 * ? *)",
                defaults.report_schedule,
            ),
            config_snapshot_inventory=self.boolean("configSnapshotInventory", False),
        )
        self.check_combinations(config, network)
        self.check_delivery_sources(config)
        self.check_object_lock(config)
        return config

    # -- typed readers -------------------------------------------------------------------

    def raw(self, key: str) -> Any:
        value = self._get(key)
        return None if value in (None, "") else value

    def text(self, key: str, default: str) -> str:
        value = self.raw(key)
        return default if value is None else str(value)

    def match(self, key: str, pattern: re.Pattern[str], what: str, default: str) -> str:
        value = self.text(key, default)
        if not pattern.match(value):
            self.problems.append(f"{key}={value!r} must be {what}")
        return value

    def optional_match(self, key: str, pattern: re.Pattern[str], what: str) -> str | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.match(value):
            self.problems.append(f"{key}={value!r} must be {what}")
        return str(value)

    def required_match(self, key: str, pattern: re.Pattern[str], what: str) -> str:
        if self.raw(key) is None:
            self.problems.append(f"{key} is required: {what} (the organization allowed to write logs)")
            return ""
        return self.optional_match(key, pattern, what) or ""

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.raw(key)
        if value is None:
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            self.problems.append(f"{key}={value!r} must be an integer")
            return default
        if isinstance(value, bool) or not low <= number <= high:
            self.problems.append(f"{key}={value!r} must be an integer from {low} to {high}")
        return number

    def fill_budget(self, rate_minutes: int) -> int:
        """``detectionFillBudgetSeconds``: below the detection function's timeout (its rate, 15
        minutes at most), which the rest of the run needs too; default a fifth of it, 60 s at most."""
        timeout = min(rate_minutes, 15) * 60
        budget = self.integer("detectionFillBudgetSeconds", min(60, timeout // 5), 0, 900)
        if budget >= timeout:
            self.problems.append(
                f"detectionFillBudgetSeconds={budget} must be less than the detection function's "
                f"timeout ({timeout} s: detectionRateMinutes, 15 minutes at most)"
            )
        return budget

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false", "1", "0", "yes", "no"):
            self.problems.append(f"{key}={value!r} must be true or false")
            return default
        return text in ("true", "1", "yes")

    def string_list(self, key: str) -> tuple[str, ...]:
        """A list from cdk.json, or a comma-separated / JSON-array string from ``-c``."""
        value = self.raw(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
        if not isinstance(value, list):
            self.problems.append(f"{key} must be a list or a comma-separated string")
            return ()
        return tuple(str(item).strip() for item in value if str(item).strip())

    # -- settings with their own rules ---------------------------------------------------

    def index_prefix(self) -> str:
        value = self.text("indexPrefix", "siem-")
        if not _INDEX_PREFIX.match(value) or not value.endswith("-"):
            self.problems.append(
                f"indexPrefix={value!r} must be lower case, start with a letter and end with '-' "
                "(OpenSearch Serverless rejects index names starting with '.' or '_')"
            )
        return value

    def prefixes(self) -> dict[str, str]:
        prefixes = {source: self.text(f"{source}Prefix", DEFAULT_PREFIXES[source]) for source in SOURCES}
        for source, prefix in prefixes.items():
            if not _PREFIX.match(prefix) or prefix.startswith("/"):
                self.problems.append(f"{source}Prefix={prefix!r} must be a key prefix ending with '/'")
        self.check_prefix_overlaps({**prefixes, "dead letters": DEAD_LETTER_PREFIX})
        return prefixes

    def check_prefix_overlaps(self, prefixes: dict[str, str]) -> None:
        # S3 rejects overlapping notification filters, and a dead-letter prefix inside a
        # source prefix would feed the pipeline its own rejects.
        names = list(prefixes)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                a, b = prefixes[first], prefixes[second]
                if a.startswith(b) or b.startswith(a):
                    self.problems.append(f"the {first} prefix {a!r} and the {second} prefix {b!r} overlap")

    def principals(self, key: str) -> tuple[str, ...]:
        arns = self.string_list(key)
        for arn in arns:
            if not _PRINCIPAL_ARN.match(arn):
                self.problems.append(f"{key}: {arn!r} is not an IAM role, user or assumed-role ARN")
        return arns

    def vpc_flow_formats(self) -> str | None:
        """``vpcFlowFormats``: a JSON object (cdk.json) or its text (``-c``), validated now."""
        value = self.raw("vpcFlowFormats")
        if value is None:
            return None
        try:
            pairs = parse_formats(value)
        except FormatError as error:
            self.problems.append(f"vpcFlowFormats: {error}")
            return None
        document = json.dumps(dict(pairs), separators=(",", ":"))
        if len(document) > _MAX_FLOW_FORMATS_BYTES:
            self.problems.append(
                f"vpcFlowFormats: {len(document)} bytes as JSON, more than the {_MAX_FLOW_FORMATS_BYTES} "
                "the ingest function's environment leaves for it"
            )
        return document if pairs else None

    def detection_exceptions(self) -> str | None:
        """The file named by ``detectionExceptionsFile``, validated now rather than at the first run."""
        path = self.raw("detectionExceptionsFile")
        if path is None:
            return None
        try:
            document = to_json(load_exceptions(Path(str(path))))
        except ExceptionsError as error:
            self.problems.append(f"detectionExceptionsFile: {error}")
            return None
        if len(document) > _MAX_EXCEPTIONS_BYTES:
            self.problems.append(
                f"detectionExceptionsFile: {len(document)} bytes as JSON, more than the "
                f"{_MAX_EXCEPTIONS_BYTES} a Lambda environment leaves for it: merge exceptions"
            )
        return document

    def vpc_settings(self, network: str) -> VpcSettings | None:
        if network not in ("public", "vpc"):
            self.problems.append(f"networkAccess={network!r} must be 'public' or 'vpc'")
            return None
        if network == "public":
            return None
        endpoint = self.optional_match("vpcEndpointId", _VPCE_ID, "an OpenSearch Serverless VPC endpoint id")
        vpc_id = self.required_vpc_value("vpcId", _VPC_ID, "the id of the VPC the Lambdas run in")
        subnets = self.string_list("subnetIds")
        if not subnets:
            self.problems.append("networkAccess=vpc needs subnetIds: private subnets for the Lambdas")
        for subnet in subnets:
            if not _SUBNET_ID.match(subnet):
                self.problems.append(f"subnetIds: {subnet!r} is not a subnet id")
        clients = self.cidrs("vpcEndpointClientCidrs")
        if clients and endpoint:
            self.problems.append(
                "vpcEndpointClientCidrs applies to the endpoint the stack creates: with vpcEndpointId, "
                "allow the clients in that endpoint's security group"
            )
        return VpcSettings(
            vpc_id=vpc_id,
            subnet_ids=subnets,
            endpoint_id=endpoint,
            public_dashboards=self.boolean("publicDashboards", False),
            client_cidrs=clients,
        )

    def cidrs(self, key: str) -> tuple[str, ...]:
        networks = self.string_list(key)
        for network in networks:
            try:
                ipaddress.ip_network(network)
            except ValueError:
                self.problems.append(f"{key}: {network!r} is not a CIDR block (like 10.20.0.0/16)")
        return networks

    def account_ids(self, key: str) -> tuple[str, ...]:
        ids = self.string_list(key)
        for account in ids:
            if not _ACCOUNT_ID.match(account):
                self.problems.append(f"{key}: {account!r} is not a 12-digit AWS account id")
        return ids

    def regions(self, key: str) -> tuple[str, ...]:
        names = self.string_list(key)
        for name in names:
            if not _REGION.match(name):
                self.problems.append(f"{key}: {name!r} is not an AWS Region name like me-south-1")
        return names

    def required_vpc_value(self, key: str, pattern: re.Pattern[str], what: str) -> str:
        if self.raw(key) is None:
            self.problems.append(f"networkAccess=vpc needs {key}: {what}")
            return ""
        return self.optional_match(key, pattern, what) or ""

    def check_combinations(self, config: Config, network: str) -> None:
        if config.event_bus and config.event_bus_arn:
            self.problems.append("set eventBus or eventBusArn, not both (eventBus creates our own bus)")
        if config.alert_email and config.alert_topic_arn:
            self.problems.append(
                "set alertEmail or alertTopicArn, not both (the e-mail subscribes to our own topic)"
            )
        if config.log_bucket_key_arn and not config.log_bucket_name:
            self.problems.append("logBucketKmsKeyArn applies only with logBucketName (an existing bucket)")
        for key in ("vpcEndpointId", "publicDashboards", "vpcEndpointClientCidrs"):
            if network == "public" and self.raw(key) is not None:
                # publicDashboards=false with public collections would read as private Dashboards.
                self.problems.append(f"{key} is set but networkAccess is 'public': set networkAccess=vpc")
        self.check_ingest_timeout(config.ingest_timeout_seconds)

    def check_delivery_sources(self, config: Config) -> None:
        # A new bucket's policy admits CloudTrail for one trail only (aws:SourceArn); an existing
        # bucket's policy is its owner's (docs/deploy.md lists the statements to add).
        if config.log_bucket_name is None and config.organization_trail_arn is None:
            self.problems.append(
                "organizationTrailArn is required with a new log bucket: the ARN of the organization "
                "trail allowed to write CloudTrail logs (arn:aws:cloudtrail:<home region>:"
                "<management account>:trail/<name>; the trail may be created after the deploy)"
            )

        if config.guardduty_opt_in_regions and not config.delegated_admin_account_ids:
            self.problems.append(
                "guardDutyOptInRegions applies only with delegatedAdminAccountIds: only the delegated "
                "administrators' GuardDuty detectors may export to the bucket"
            )

    def check_object_lock(self, config: Config) -> None:
        if config.log_bucket_name is None and config.object_lock_retention_days > config.log_retention_days:
            # Lifecycle expiration cannot remove a locked version: the objects would outlive
            # logRetentionDays, hidden behind delete markers.
            self.problems.append(
                f"objectLockRetentionDays={config.object_lock_retention_days} must not exceed "
                f"logRetentionDays={config.log_retention_days}"
            )

    def check_ingest_timeout(self, seconds: int) -> None:
        """The ingest function starts a bulk request only when a whole request timeout fits
        before its deadline margin: a shorter function timeout could never write anything."""
        floor = REQUEST_TIMEOUT_SECONDS + DEADLINE_MARGIN_SECONDS
        if seconds <= floor:
            self.problems.append(
                f"ingestTimeoutSeconds={seconds} leaves no room for one bulk request: it must exceed "
                f"the request timeout ({REQUEST_TIMEOUT_SECONDS:g} s) plus the deadline margin "
                f"({DEADLINE_MARGIN_SECONDS:g} s), i.e. be at least {int(floor) + 1}"
            )
