"""What analysts get in Dashboards: saved searches, visualizations and dashboards, as data.

Only definitions live here; opensearch_assets/saved_objects.py renders them into the
Dashboards import format. Every query is Lucene, so it runs unchanged through
``query_string`` on any engine (tests/assets runs each one against indexed fixtures).
Saved-object ids are stable: docs/assets.md lists them and other modules link to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from normalizers.cloudtrail.network_activity import NETWORK_ACTIVITY_LUCENE, without_copies_lucene
from normalizers.registry import SPECS

ALL = "siem-all"
CLOUDTRAIL = "siem-cloudtrail"
VPCFLOW = "siem-vpcflow"
GUARDDUTY = "siem-guardduty"
SECURITYHUB = "siem-securityhub"
CONFIG = "siem-config"
ALERTS = "siem-alerts"
INCIDENTS = "siem-incidents"

INDEX_PATTERNS: dict[str, tuple[str, ...]] = {
    ALL: tuple(spec.index for spec in SPECS),
    **{f"siem-{spec.index}": (spec.index,) for spec in SPECS},
    ALERTS: ("alerts",),
    INCIDENTS: ("incidents",),
}
"""Index-pattern id -> the indices (template names without prefix) it covers: its title
names them and its field list is the union of their mappings. One for all log sources, one
per source (normalizers/registry.py), one for the detections' alerts and one for their
incidents; the saved searches
and dashboards below name the patterns they use."""


def index_pattern_title(pattern_id: str, prefix: str) -> str:
    """The indices of the pattern, comma-separated (Dashboards accepts a list as a title).

    ``siem-all`` -> ``<prefix>cloudtrail,<prefix>vpcflow,...``; ``siem-alerts`` ->
    ``<prefix>alerts``. Never a wildcard: ``<prefix>*`` would also match the alerts, their
    checkpoints and any other index sharing the prefix on the same endpoint.
    """
    return ",".join(f"{prefix}{index}" for index in INDEX_PATTERNS[pattern_id])


def without_copies(pattern_id: str, query: str) -> str:
    """``query`` as saved on ``pattern_id``: on a pattern holding CloudTrail, without the network
    activity copies of calls, so a call made through a VPC endpoint counts once
    (normalizers/cloudtrail/network_activity.py; the endpoint's denials stay)."""
    return without_copies_lucene(query) if "cloudtrail" in INDEX_PATTERNS[pattern_id] else query


@dataclass(frozen=True, slots=True)
class Search:
    """A saved search. A ``{value}`` in ``query`` is a parameter the analyst replaces."""

    slug: str
    title: str
    description: str
    pattern: str
    query: str
    columns: tuple[str, ...]
    default_value: str = "*"
    """What ``{value}`` is saved as: ``*`` (any) until the analyst types an identifier."""
    rule: str | None = None
    """The detection rule (``detections/rules``) whose query this search runs, word for word."""
    network_activity_copies: bool = False
    """Whether the search shows the CloudTrail network activity copies of calls (every other
    search on CloudTrail leaves them out: :func:`without_copies`)."""

    @property
    def id(self) -> str:
        return f"siem-search-{self.slug}"

    def lucene(self, value: str | None = None) -> str:
        """The saved query, with ``{value}`` set to ``value`` (quoted) or to the saved default;
        without the network activity copies unless the search is about them."""
        if "{value}" not in self.query:
            query = self.query
        elif value is None:
            query = self.query.replace("{value}", self.default_value)
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            query = self.query.replace("{value}", f'"{escaped}"')
        return query if self.network_activity_copies else without_copies(self.pattern, query)


@dataclass(frozen=True, slots=True)
class Terms:
    """Top values of a field (``terms`` aggregation)."""

    field: str
    size: int = 10
    missing: str | None = None
    """A row for the documents without the field, labelled so (``None``: no such row)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """Events over time (``date_histogram`` on ``@timestamp``), one series per ``split`` value."""

    split: str | None = None
    field: str = "@timestamp"


@dataclass(frozen=True, slots=True)
class Visualization:
    """A visualization counting documents: ``kind`` is table, pie, histogram, line or metric."""

    slug: str
    title: str
    kind: str
    pattern: str
    buckets: tuple[Terms | Timeline, ...] = ()
    query: str = ""
    description: str = ""

    @property
    def id(self) -> str:
        return f"siem-viz-{self.slug}"

    def lucene(self) -> str:
        """The saved query: every count leaves out the network activity copies of calls."""
        return without_copies(self.pattern, self.query)


@dataclass(frozen=True, slots=True)
class FieldLink:
    """The values of ``fields`` link to ``dashboard`` with its query bar on the value in
    ``query_fields`` (a URL field formatter on every index pattern holding the field)."""

    fields: tuple[str, ...]
    query_fields: tuple[str, ...]
    dashboard: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Panels in reading order: charts and tables of counts two per row, saved searches (tables
    of events) a row each (``saved_objects.layout``)."""

    id: str
    title: str
    description: str
    panels: tuple[Visualization | Search, ...] = field(default_factory=tuple)


# --- saved searches ------------------------------------------------------------------------

SOURCE = "_index"
"""A cross-source table's or chart's source column: the index (``siem-cloudtrail``), which every
hit has, rather than ``event.dataset``, a ``constant_keyword`` of every source's index that is
not in ``_source`` (Discover shows none) and whose aggregation the Serverless reference does not
document (docs/schema.md, "Fields every document has")."""

_FINDING_COLUMNS = (
    SOURCE,
    "event.severity",
    "rule.name",
    "cloud.account.id",
    "cloud.account.name",
    "user.name",
    "related.ip",
)
_CLOUDTRAIL_COLUMNS = (
    "user.name",
    "event.action",
    "event.outcome",
    "source.ip",
    "cloud.account.id",
    "cloud.account.name",
)
_ACTIVITY_COLUMNS = (
    SOURCE,
    "event.provider",
    "event.action",
    "event.outcome",
    "user.name",
    "source.ip",
    "cloud.account.id",
    "cloud.account.name",
)

HIGH_CRITICAL_FINDINGS = Search(
    "high-critical-findings",
    "High and critical findings (GuardDuty, Security Hub)",
    "Active GuardDuty and Security Hub findings of severity 70 or more (high: 70-89, critical: 90-100), "
    "without archived, passed, resolved or suppressed ones, nor the sample findings AWS generates on request.",
    ALL,
    "event.dataset:(aws.guardduty OR aws.securityhub_findings) AND event.severity:>=70"
    " AND NOT aws.guardduty.service.archived:true AND NOT aws.securityhub_findings.record_state:ARCHIVED"
    " AND NOT aws.securityhub_findings.compliance.status:PASSED"
    " AND NOT aws.securityhub_findings.workflow.status:(RESOLVED OR SUPPRESSED) AND NOT tags:sample",
    _FINDING_COLUMNS,
)
FINDING_BY_ID = Search(
    "finding-by-id",
    "Finding by id",
    "Replace * with a GuardDuty finding id or ARN, or a Security Hub finding Id (quoted). "
    "Each update of a finding is its own document.",
    ALL,
    "aws.guardduty.id:{value} OR aws.guardduty.arn:{value} OR aws.securityhub_findings.id:{value}",
    _FINDING_COLUMNS,
)
ACTOR_ACTIVITY = Search(
    "actor-activity",
    "Actor activity across all sources",
    "Replace * with any identifier of a principal (user name, principal id, access key id, ARN, "
    "role session name or session issuer role name), quoted: related.user holds all of them in every source.",
    ALL,
    "related.user:{value}",
    _ACTIVITY_COLUMNS,
)
IP_ACTIVITY = Search(
    "ip-activity",
    "Activity from an IP address",
    'Replace * with an address ("203.0.113.7") or a CIDR block ("203.0.113.0/24"): '
    "related.ip holds every address of every source.",
    ALL,
    "related.ip:{value}",
    _ACTIVITY_COLUMNS,
)
ROOT_USAGE = Search(
    "root-usage",
    "Root account usage",
    "API calls and sign-ins made with the root user's credentials (not by AWS services on its behalf; "
    "what root does in the console, which the console logs as invokedBy, is kept): "
    "the events of the rule siem-root-account-usage.",
    CLOUDTRAIL,
    "aws.cloudtrail.user_identity.type:Root AND NOT (_exists_:aws.cloudtrail.user_identity.invoked_by"
    " AND NOT aws.cloudtrail.user_identity.invoked_by:(signin.amazonaws.com OR console.amazonaws.com))"
    " AND NOT aws.cloudtrail.event_type:AwsServiceEvent",
    _CLOUDTRAIL_COLUMNS,
    rule="siem-root-account-usage",
)
CONSOLE_WITHOUT_MFA = Search(
    "console-signin-without-mfa",
    "Console sign-in without MFA",
    "Successful console sign-ins of IAM users without multi-factor authentication: the events of the rule "
    "siem-console-signin-without-mfa. The root user's sign-ins are in Root account usage, with or without MFA; "
    "federated and IAM Identity Center sign-ins authenticate at their identity provider and are left out.",
    CLOUDTRAIL,
    "event.action:ConsoleLogin AND event.outcome:success AND aws.cloudtrail.user_identity.type:IAMUser"
    " AND aws.cloudtrail.console_login.mfa_used:false"
    " AND NOT _exists_:aws.cloudtrail.additional_eventdata.SamlProviderArn",
    _CLOUDTRAIL_COLUMNS,
    rule="siem-console-signin-without-mfa",
)
ACCESS_DENIED = Search(
    "access-denied",
    "Access denied and unauthorized API calls",
    "API calls refused for lack of permission, by IAM or by a VPC endpoint's policy (VpceAccessDenied, "
    "network activity events): a probe of stolen credentials looks like a burst of these.",
    CLOUDTRAIL,
    "aws.cloudtrail.error_code:(AccessDenied OR AccessDeniedException OR *UnauthorizedOperation"
    " OR UnauthorizedAccess OR *NotAuthorized* OR Forbidden OR VpceAccessDenied)",
    (*_CLOUDTRAIL_COLUMNS, "aws.cloudtrail.error_code"),
)
ENDPOINT_ACTIVITY = Search(
    "vpc-endpoint-network-activity",
    "VPC endpoint network activity (copies of calls included)",
    "Every CloudTrail network activity event: the VPC endpoint's record of each call made through it "
    "(a copy of the call's own event, which every other search, visualization and rule counts instead) "
    "and the calls its policy denied (VpceAccessDenied, counted everywhere). Who calls AWS through which "
    "endpoint; add AND NOT aws.cloudtrail.error_code:VpceAccessDenied for the copies alone.",
    CLOUDTRAIL,
    NETWORK_ACTIVITY_LUCENE,
    (
        "aws.cloudtrail.vpc_endpoint_id",
        "event.provider",
        "event.action",
        "aws.cloudtrail.error_code",
        "user.name",
        "source.ip",
        "cloud.account.id",
    ),
    network_activity_copies=True,
)
IAM_CHANGES = Search(
    "iam-changes",
    "IAM changes",
    "Every IAM call that is not a read (Get, List, Generate, Simulate): users, roles, policies, keys.",
    CLOUDTRAIL,
    "event.provider:iam.amazonaws.com AND NOT event.action:(Get* OR List* OR Generate* OR Simulate*)",
    _CLOUDTRAIL_COLUMNS,
)
SECURITY_GROUP_OPEN = Search(
    "security-group-open-to-world",
    "Security group opened to 0.0.0.0/0 or ::/0",
    "Ingress rules added for any IPv4 or IPv6 address.",
    CLOUDTRAIL,
    "event.provider:ec2.amazonaws.com AND event.action:(AuthorizeSecurityGroupIngress OR ModifySecurityGroupRules)"
    ' AND aws.cloudtrail.request_parameters:("0.0.0.0/0" OR "::/0") AND NOT event.outcome:failure',
    (*_CLOUDTRAIL_COLUMNS, "aws.cloudtrail.resources.arn"),
)
MONITORING_TAMPERING = Search(
    "monitoring-tampering",
    "Tampering with CloudTrail, GuardDuty, Security Hub or flow logs",
    "Calls that stop, delete or blind the monitoring itself.",
    CLOUDTRAIL,
    "(event.provider:cloudtrail.amazonaws.com AND event.action:(StopLogging OR DeleteTrail OR UpdateTrail"
    " OR PutEventSelectors OR DeleteEventDataStore OR StopEventDataStoreIngestion))"
    " OR (event.provider:guardduty.amazonaws.com AND event.action:(DeleteDetector OR UpdateDetector"
    " OR DisassociateFromMasterAccount OR DisassociateFromAdministratorAccount OR DisassociateMembers"
    " OR DeleteMembers OR StopMonitoringMembers OR CreateFilter OR UpdateFilter OR CreateIPSet OR UpdateIPSet"
    " OR DeletePublishingDestination))"
    " OR (event.provider:securityhub.amazonaws.com AND event.action:(DisableSecurityHub OR BatchDisableStandards"
    " OR UpdateStandardsControl OR DisableImportFindingsForProduct OR DisassociateFromMasterAccount"
    " OR DisassociateFromAdministratorAccount OR DisassociateMembers OR DeleteMembers))"
    " OR (event.provider:ec2.amazonaws.com AND event.action:DeleteFlowLogs)",
    (*_CLOUDTRAIL_COLUMNS, "event.provider"),
)
REJECTED_FLOWS = Search(
    "rejected-flows",
    "Rejected flows",
    "Connections refused by a security group or network ACL.",
    VPCFLOW,
    "event.action:REJECT",
    ("source.ip", "destination.ip", "destination.port", "network.transport", "aws.vpcflow.interface_id"),
)
FAILED_CONTROLS = Search(
    "securityhub-failed-controls",
    "Security Hub failed controls",
    "Active control findings whose compliance status is FAILED.",
    SECURITYHUB,
    "aws.securityhub_findings.compliance.status:FAILED AND NOT aws.securityhub_findings.record_state:ARCHIVED",
    (
        "cloud.account.id",
        "cloud.account.name",
        "rule.id",
        "rule.name",
        "aws.securityhub_findings.severity.label",
        "aws.securityhub_findings.resources.id",
    ),
)
CONFIG_NONCOMPLIANT = Search(
    "config-noncompliant",
    "Config rules: non-compliant resources",
    "Every non-compliant verdict of a Config rule (compliance items, one per rule, and compliance changes).",
    CONFIG,
    "event.dataset:aws.config AND aws.config.compliance.type:NON_COMPLIANT",
    (
        "cloud.account.id",
        "rule.name",
        "aws.config.evaluated_resource.type",
        "aws.config.evaluated_resource.id",
        "aws.config.compliance.annotation",
    ),
)
CONFIG_CHANGES = Search(
    "config-resource-changes",
    "Config: resource changes and the CloudTrail events behind them",
    "Configuration items of a resource (put its id in the query); aws.config.related_events holds the "
    "CloudTrail event ids, to search as event.id in siem-cloudtrail.",
    CONFIG,
    "event.dataset:aws.config AND event.kind:event AND (aws.config.resource.id:{value} OR aws.config.resource.arn:{value})",
    (
        "cloud.account.id",
        "aws.config.resource.type",
        "aws.config.resource.id",
        "event.action",
        "aws.config.change.type",
        "aws.config.related_events",
    ),
)
# A control's or rule's verdict, active (an archived Security Hub finding no longer counts).
_VERDICTS = (
    "(aws.securityhub_findings.compliance.status:(PASSED OR FAILED) OR "
    "aws.config.compliance.type:(COMPLIANT OR NON_COMPLIANT)) AND NOT aws.securityhub_findings.record_state:ARCHIVED"
)
_FAILURES = (
    "aws.config.compliance.type:NON_COMPLIANT OR (aws.securityhub_findings.compliance.status:FAILED "
    "AND NOT aws.securityhub_findings.record_state:ARCHIVED)"
)
COMPLIANCE_FAILURES = Search(
    "compliance-failures",
    "Compliance: newest failures (Security Hub controls, Config rules)",
    "Failed controls and non-compliant rule verdicts, newest first: the regressions of the period "
    "in the time picker. Each update is a row; `siem report` counts each control's newest state.",
    ALL,
    _FAILURES,
    (
        "cloud.account.id",
        "rule.name",
        SOURCE,
        "aws.config.evaluated_resource.id",
        "aws.securityhub_findings.resources.id",
    ),
)
_ACTIVE_FINDINGS = (
    "NOT aws.guardduty.service.archived:true AND NOT aws.securityhub_findings.record_state:ARCHIVED"
    " AND NOT aws.securityhub_findings.compliance.status:PASSED"
    " AND NOT aws.securityhub_findings.workflow.status:(RESOLVED OR SUPPRESSED)"
)
KUBERNETES_FINDINGS = Search(
    "kubernetes-findings",
    "Kubernetes findings in a namespace",
    "Replace * with a Kubernetes namespace (quoted): GuardDuty's EKS findings name the namespace of "
    "their workload, else of the object their Kubernetes API call acted on (orchestrator.namespace); "
    "* lists those naming one.",
    ALL,
    "orchestrator.type:kubernetes AND orchestrator.namespace:{value}",
    (
        SOURCE,
        "event.severity",
        "rule.name",
        "orchestrator.cluster.name",
        "orchestrator.namespace",
        "orchestrator.resource.type",
        "orchestrator.resource.name",
        "user.name",
    ),
)
PRIVILEGED_CONTAINERS = Search(
    "privileged-containers",
    "Findings on privileged containers",
    "GuardDuty and Security Hub findings whose container runs privileged "
    "(container.security_context.privileged), or naming a privileged container among others "
    "(aws.<guardduty|securityhub_findings>.privileged_containers: a pod's sidecar, a control "
    "failing on a task definition's second container); archived, passed, resolved and suppressed "
    "ones left out.",
    ALL,
    "(container.security_context.privileged:true OR _exists_:aws.guardduty.privileged_containers"
    " OR _exists_:aws.securityhub_findings.privileged_containers)"
    f" AND {_ACTIVE_FINDINGS}",
    (
        SOURCE,
        "event.severity",
        "rule.name",
        "cloud.account.id",
        "container.name",
        "container.image.name",
        "aws.guardduty.privileged_containers",
        "aws.securityhub_findings.privileged_containers",
        "orchestrator.cluster.name",
    ),
)
GUARDDUTY_FINDINGS = Search(
    "guardduty-findings",
    "GuardDuty findings",
    "All GuardDuty findings; the type is in rule.id.",
    GUARDDUTY,
    "event.dataset:aws.guardduty",
    (
        "rule.id",
        "aws.guardduty.severity.label",
        "cloud.account.id",
        "cloud.account.name",
        "user.name",
        "related.ip",
    ),
)
INVESTIGATION_EVENTS = Search(
    "investigation-events",
    "Events of identities and addresses",
    "Every event naming a principal or an address: filter it with the query bar (related.user, related.ip).",
    ALL,
    "_exists_:related.user OR _exists_:related.ip",
    _ACTIVITY_COLUMNS,
)
_SIGNAL_COLUMNS = tuple(
    f"aws.{block}.sequence.signals.{name}"
    for block in ("guardduty", "securityhub_findings")
    for name in ("title", "type", "first_seen", "count", "uid")
)
SEQUENCE_SIGNALS = Search(
    "attack-sequence-signals",
    "Attack sequence signals",
    "GuardDuty attack sequences (native or imported into Security Hub) and the signals each correlates: "
    "title, type, first seen, count, and the id of the finding a FINDING signal stands for "
    "(docs/schema.md, Attack sequences).",
    ALL,
    "_exists_:aws.guardduty.sequence.signals.type OR _exists_:aws.securityhub_findings.sequence.signals.type",
    ("message", *_SIGNAL_COLUMNS),
)

# --- the investigation's pivots --------------------------------------------------------------
# One saved search per search `siem investigate` sends (investigation/queries.py), with the
# same query for one value: tests/assets/test_pivots.py runs both on the fixtures and compares
# the documents they return. The investigation also bounds them in time (the finding's
# window) and combines several values with OR.

_ISSUANCE_COLUMNS = (
    "user.name",
    "event.action",
    "source.ip",
    "cloud.account.id",
    "aws.cloudtrail.user_identity.arn",
)
ISSUING_ACTIONS_QUERY = (
    "event.action:(AssumeRole OR AssumeRoleWithSAML OR AssumeRoleWithWebIdentity"
    " OR GetSessionToken OR GetFederationToken)"
)
"""The STS calls that issue temporary credentials (investigation.chain.ISSUING_ACTIONS)."""
_FINDINGS = "event.dataset:(aws.guardduty OR aws.securityhub_findings)"

ACCESS_KEY_ACTIVITY = Search(
    "access-key-activity",
    "CloudTrail activity of an access key",
    "Replace * with an access key id, quoted. A temporary key (ASIA...) is one session: the investigation's "
    "subject when a finding names a key.",
    CLOUDTRAIL,
    "aws.cloudtrail.user_identity.access_key_id:{value}",
    _CLOUDTRAIL_COLUMNS,
)
PRINCIPAL_ACTIVITY = Search(
    "principal-activity",
    "CloudTrail activity of a principal",
    "Replace * with a principal id (AIDA..., or AROA...:session for a role session) or an identity ARN, quoted: "
    "the investigation's subject when a finding names a principal but no key.",
    CLOUDTRAIL,
    "user.id:{value} OR aws.cloudtrail.user_identity.arn:{value}",
    (*_CLOUDTRAIL_COLUMNS, "aws.cloudtrail.user_identity.access_key_id"),
)
USER_NAME_ACTIVITY = Search(
    "user-name-activity",
    "CloudTrail activity of a user or role session name",
    "Replace * with a user name or a role session name (an SSO user's e-mail, an instance id), quoted. "
    "The investigation falls back to this when a finding names only a user, and restricts it to the "
    'finding\'s account: add AND aws.cloudtrail.user_identity.account_id:"<account>".',
    CLOUDTRAIL,
    "user.name:{value}",
    (*_CLOUDTRAIL_COLUMNS, "aws.cloudtrail.user_identity.type"),
)
KEY_ISSUANCE = Search(
    "key-issuance",
    "Role chain: the call that issued a temporary key",
    "Replace * with a temporary access key id (ASIA...), quoted: the STS call whose response issued it, made by "
    "the previous identity of the chain. Repeat with that caller's key to walk the chain back to its origin, "
    "as the investigation does (a cross-account call is logged in both accounts).",
    CLOUDTRAIL,
    f"aws.cloudtrail.response_elements.credentials.accessKeyId:{{value}} AND {ISSUING_ACTIONS_QUERY}",
    _ISSUANCE_COLUMNS,
)
SOURCE_IP_ACTIVITY = Search(
    "source-ip-activity",
    "CloudTrail calls from an IP address",
    'Replace * with an address ("203.0.113.7") or a CIDR block, quoted: the investigation\'s subject when a '
    "finding names only a remote address.",
    CLOUDTRAIL,
    "source.ip:{value}",
    _CLOUDTRAIL_COLUMNS,
)
RESOURCE_CHANGES = Search(
    "resource-changes",
    "Changes to a resource",
    "Replace * with a resource ARN or id (sg-..., a bucket or user name), quoted: write calls whose resources "
    "or request parameters (any key: groupId, bucketName, userName...) name it. The investigation of a "
    "control finding lists these as its changes.",
    CLOUDTRAIL,
    "(aws.cloudtrail.resources.arn:{value} OR aws.cloudtrail.request_parameters:{value})"
    " AND aws.cloudtrail.read_only:false",
    (*_CLOUDTRAIL_COLUMNS, "aws.cloudtrail.resources.arn"),
)
FINDINGS_BY_IDENTITY = Search(
    "findings-by-identity",
    "Findings naming an identity",
    "Replace * with an access key id, principal id, ARN or name, quoted: GuardDuty and Security Hub findings "
    "whose related.user holds it (the investigation's related findings, by the chain's keys).",
    ALL,
    f"related.user:{{value}} AND {_FINDINGS}",
    _FINDING_COLUMNS,
)
FINDINGS_BY_IP = Search(
    "findings-by-ip",
    "Findings naming an IP address",
    "Replace * with an address or CIDR block, quoted: GuardDuty and Security Hub findings whose related.ip "
    "holds it (the investigation's related findings, by address).",
    ALL,
    f"related.ip:{{value}} AND {_FINDINGS}",
    _FINDING_COLUMNS,
)
FINDINGS_BY_RESOURCE = Search(
    "findings-by-resource",
    "Findings on a resource",
    "Replace * with a resource ARN, quoted: Security Hub findings on that resource (the investigation's "
    "related findings, by resource).",
    SECURITYHUB,
    "aws.securityhub_findings.resources.id:{value}",
    (*_FINDING_COLUMNS[:4], "aws.securityhub_findings.resources.id"),
)
IP_FLOWS = Search(
    "ip-flows",
    "VPC flows of an IP address",
    "Replace * with an address or CIDR block, quoted: flows from or to it, packet-level addresses behind a "
    "NAT gateway included (related.ip).",
    VPCFLOW,
    "related.ip:{value}",
    ("source.ip", "source.port", "destination.ip", "destination.port", "network.transport", "event.action"),
)

INCIDENTS_TO_TRIAGE = Search(
    "incidents-to-triage",
    "Incidents to triage (open)",
    "Incidents nobody has acknowledged or closed yet, or that an alert reopened: "
    "siem incidents ack / close / reopen ID (docs/detections.md, Triage). On the alerts collection.",
    INCIDENTS,
    "incident.status:open",
    (
        "incident.severity",
        "incident.title",
        "incident.key",
        "incident.alert_count",
        "incident.last_seen",
        "incident.id",
    ),
)
PIVOTS: tuple[Search, ...] = (
    FINDING_BY_ID,
    ACCESS_KEY_ACTIVITY,
    PRINCIPAL_ACTIVITY,
    USER_NAME_ACTIVITY,
    KEY_ISSUANCE,
    SOURCE_IP_ACTIVITY,
    RESOURCE_CHANGES,
    FINDINGS_BY_IDENTITY,
    FINDINGS_BY_IP,
    FINDINGS_BY_RESOURCE,
    IP_FLOWS,
)
"""The saved searches of the investigation's pivots, in the order an analyst follows them."""

SEARCHES: tuple[Search, ...] = (
    HIGH_CRITICAL_FINDINGS,
    FINDING_BY_ID,
    ACTOR_ACTIVITY,
    IP_ACTIVITY,
    ROOT_USAGE,
    CONSOLE_WITHOUT_MFA,
    ACCESS_DENIED,
    ENDPOINT_ACTIVITY,
    IAM_CHANGES,
    SECURITY_GROUP_OPEN,
    MONITORING_TAMPERING,
    REJECTED_FLOWS,
    FAILED_CONTROLS,
    CONFIG_NONCOMPLIANT,
    CONFIG_CHANGES,
    COMPLIANCE_FAILURES,
    GUARDDUTY_FINDINGS,
    KUBERNETES_FINDINGS,
    PRIVILEGED_CONTAINERS,
    INVESTIGATION_EVENTS,
    *(pivot for pivot in PIVOTS if pivot is not FINDING_BY_ID),
    SEQUENCE_SIGNALS,
    INCIDENTS_TO_TRIAGE,
)

# --- visualizations ------------------------------------------------------------------------


_NOT_IN_DIRECTORY = "(not in the account directory)"


def _account(size: int) -> tuple[Terms, Terms]:
    """An account id and its name (``cloud.account.name``, from enrichment: docs/enrichment.md)."""
    return Terms("cloud.account.id", size), Terms("cloud.account.name", 1, missing=_NOT_IN_DIRECTORY)


def _viz(
    slug: str, title: str, kind: str, pattern: str, *buckets: Terms | Timeline, query: str = ""
) -> Visualization:
    return Visualization(slug, title, kind, pattern, buckets, query)


CT_TIMELINE = _viz(
    "cloudtrail-timeline",
    "CloudTrail: events over time by outcome",
    "histogram",
    CLOUDTRAIL,
    Timeline(split="event.outcome"),
)
CT_ACTIONS = _viz(
    "cloudtrail-actions",
    "CloudTrail: top API actions",
    "table",
    CLOUDTRAIL,
    Terms("event.provider"),
    Terms("event.action", 20),
)
CT_IDENTITIES = _viz(
    "cloudtrail-identities",
    "CloudTrail: top identities",
    "table",
    CLOUDTRAIL,
    Terms("user.name", 20),
    Terms("aws.cloudtrail.user_identity.type"),
)
CT_SOURCE_IPS = _viz(
    "cloudtrail-source-ips", "CloudTrail: top source IPs", "table", CLOUDTRAIL, Terms("source.ip", 20)
)
CT_SIGNIN_COUNTRIES = _viz(
    "cloudtrail-signin-countries",
    "CloudTrail: console sign-ins by country and outcome",
    "table",
    CLOUDTRAIL,
    Terms("source.geo.country_iso_code", 30, missing="(no country: private or unknown address)"),
    Terms("source.geo.country_name", 1, missing="-"),
    Terms("event.outcome", 2),
    query="event.provider:signin.amazonaws.com AND event.action:ConsoleLogin",
)
CT_ERRORS = _viz(
    "cloudtrail-errors",
    "CloudTrail: errors by code and identity",
    "table",
    CLOUDTRAIL,
    Terms("aws.cloudtrail.error_code", 20),
    Terms("user.name", 10),
    query="_exists_:aws.cloudtrail.error_code",
)

FLOW_TIMELINE = _viz(
    "vpcflow-timeline",
    "VPC Flow Logs: flows over time by action",
    "histogram",
    VPCFLOW,
    Timeline(split="event.action"),
)
FLOW_REJECTED_BY_SOURCE = _viz(
    "vpcflow-rejected-by-source",
    "VPC Flow Logs: rejected flows by source",
    "table",
    VPCFLOW,
    Terms("source.ip", 20),
    query=REJECTED_FLOWS.query,
)
FLOW_PORTS = _viz(
    "vpcflow-rejected-ports",
    "VPC Flow Logs: destination ports of rejected flows",
    "table",
    VPCFLOW,
    Terms("destination.port", 20),
    Terms("network.transport", 3),
    query=REJECTED_FLOWS.query,
)
FLOW_ACTIONS = _viz(
    "vpcflow-actions", "VPC Flow Logs: accepted vs rejected", "pie", VPCFLOW, Terms("event.action")
)

GD_BY_TYPE = _viz(
    "guardduty-by-type", "GuardDuty: findings by type", "table", GUARDDUTY, Terms("rule.id", 30)
)
GD_SEVERITY = _viz(
    "guardduty-severity",
    "GuardDuty: findings by severity",
    "pie",
    GUARDDUTY,
    Terms("aws.guardduty.severity.label", 5),
)
GD_ACCOUNTS = _viz("guardduty-accounts", "GuardDuty: findings by account", "table", GUARDDUTY, *_account(30))
GD_TIMELINE = _viz(
    "guardduty-timeline",
    "GuardDuty: findings over time by severity",
    "histogram",
    GUARDDUTY,
    Timeline(split="aws.guardduty.severity.label"),
)

SH_FAILED_BY_ACCOUNT = _viz(
    "securityhub-failed-by-account",
    "Security Hub: failed controls by account",
    "table",
    SECURITYHUB,
    *_account(30),
    Terms("rule.id", 20),
    query=FAILED_CONTROLS.query,
)
SH_SEVERITY = _viz(
    "securityhub-severity",
    "Security Hub: findings by severity",
    "pie",
    SECURITYHUB,
    Terms("aws.securityhub_findings.severity.label", 5),
)
SH_PRODUCTS = _viz(
    "securityhub-products",
    "Security Hub: findings by product",
    "table",
    SECURITYHUB,
    Terms("aws.securityhub_findings.product.name", 20),
)
SH_TIMELINE = _viz(
    "securityhub-timeline",
    "Security Hub: findings over time by compliance status",
    "histogram",
    SECURITYHUB,
    Timeline(split="aws.securityhub_findings.compliance.status"),
)

COMPLIANCE_BY_ACCOUNT = _viz(
    "compliance-by-account",
    "Compliance: verdicts by account (success passes, failure fails)",
    "table",
    ALL,
    Terms("cloud.account.id", 50),
    Terms("event.outcome", 3),
    query=_VERDICTS,
)
COMPLIANCE_BY_STANDARD = _viz(
    "compliance-by-standard",
    "Compliance: Security Hub control results by standard",
    "table",
    SECURITYHUB,
    Terms("aws.securityhub_findings.compliance.associated_standards", 20),
    Terms("aws.securityhub_findings.compliance.status", 4),
    query="_exists_:aws.securityhub_findings.compliance.status AND NOT aws.securityhub_findings.record_state:ARCHIVED",
)
COMPLIANCE_TREND = _viz(
    "compliance-trend",
    "Compliance: verdicts over time (success passes, failure fails)",
    "line",
    ALL,
    Timeline(split="event.outcome"),
    query=_VERDICTS,
)
COMPLIANCE_WORST = _viz(
    "compliance-worst-controls",
    "Compliance: controls and rules failing most",
    "table",
    ALL,
    Terms("rule.name", 20),
    Terms("cloud.account.id", 20),
    query=_FAILURES,
)

INV_IDENTITIES = _viz(
    "investigation-identities",
    "Who: identities",
    "table",
    ALL,
    Terms("user.name", 20),
    Terms(SOURCE, 5),
)
INV_CREDENTIALS = _viz(
    "investigation-credentials",
    "Who: principal identifiers and keys",
    "table",
    ALL,
    Terms("related.user", 30),
)
INV_ACCOUNTS = _viz("investigation-accounts", "Who: accounts", "table", ALL, *_account(20))
INV_COUNT = _viz("investigation-count", "Events", "metric", ALL)
INV_TIMELINE = _viz(
    "investigation-timeline",
    "When: activity over time by source",
    "line",
    ALL,
    Timeline(split=SOURCE),
)
INV_ACTIONS = _viz(
    "investigation-actions",
    "What: API actions and outcome",
    "table",
    ALL,
    Terms("event.provider", 20),
    Terms("event.action", 30),
    Terms("event.outcome", 3),
)
INV_RESOURCES = _viz(
    "investigation-resources",
    "What: resources touched",
    "table",
    ALL,
    Terms("aws.cloudtrail.resources.arn", 30),
)
INV_OUTCOME = _viz("investigation-outcome", "What: outcome", "pie", ALL, Terms("event.outcome", 3))
INV_FINDINGS = _viz(
    "investigation-findings",
    "What: findings",
    "table",
    ALL,
    Terms("rule.name", 20),
    Terms(SOURCE, 2),
)
INV_SOURCE_IPS = _viz(
    "investigation-source-ips", "From where: source IPs", "table", ALL, Terms("source.ip", 20)
)
INV_COUNTRIES = _viz(
    "investigation-countries",
    "From where: countries and networks",
    "table",
    ALL,
    Terms("source.geo.country_iso_code", 20, missing="(no country)"),
    Terms("source.as.organization.name", 5, missing="(no network database)"),
)
INV_TOOLS = _viz(
    "investigation-tools",
    "From where: caller tools",
    "table",
    ALL,
    Terms("aws.user_agent.tool.type", 8),
    Terms("aws.user_agent.tool.name", 10),
)
INV_USER_AGENTS = _viz(
    "investigation-user-agents",
    "From where: user agents",
    "table",
    ALL,
    Terms("user_agent.original.keyword", 20),
)

VISUALIZATIONS: tuple[Visualization, ...] = (
    CT_TIMELINE,
    CT_ACTIONS,
    CT_IDENTITIES,
    CT_SOURCE_IPS,
    CT_SIGNIN_COUNTRIES,
    CT_ERRORS,
    FLOW_TIMELINE,
    FLOW_REJECTED_BY_SOURCE,
    FLOW_PORTS,
    FLOW_ACTIONS,
    GD_BY_TYPE,
    GD_SEVERITY,
    GD_ACCOUNTS,
    GD_TIMELINE,
    SH_FAILED_BY_ACCOUNT,
    SH_SEVERITY,
    SH_PRODUCTS,
    SH_TIMELINE,
    COMPLIANCE_BY_ACCOUNT,
    COMPLIANCE_BY_STANDARD,
    COMPLIANCE_TREND,
    COMPLIANCE_WORST,
    INV_IDENTITIES,
    INV_CREDENTIALS,
    INV_ACCOUNTS,
    INV_COUNT,
    INV_TIMELINE,
    INV_ACTIONS,
    INV_RESOURCES,
    INV_OUTCOME,
    INV_FINDINGS,
    INV_SOURCE_IPS,
    INV_COUNTRIES,
    INV_TOOLS,
    INV_USER_AGENTS,
)

# --- dashboards ----------------------------------------------------------------------------

FINDING_INVESTIGATION_ID = "siem-finding-investigation"
_FINDING_ID_FIELDS = ("aws.guardduty.id", "aws.guardduty.arn", "aws.securityhub_findings.id")

FIELD_LINKS: tuple[FieldLink, ...] = (
    # A finding id opens the dashboard on the finding: its actor's keys and addresses there
    # are links in turn.
    FieldLink(_FINDING_ID_FIELDS, _FINDING_ID_FIELDS, FINDING_INVESTIGATION_ID),
    # Any identifier of a principal opens everything it did, in every source (related.user
    # holds them all).
    FieldLink(
        (
            "related.user",
            "user.name",
            "user.id",
            "aws.cloudtrail.user_identity.access_key_id",
            "aws.guardduty.user_identity.access_key_id",
            "aws.securityhub_findings.user_identity.access_key_id",
        ),
        ("related.user",),
        FINDING_INVESTIGATION_ID,
    ),
    # An address opens every event naming it: API calls, findings and flows.
    FieldLink(("related.ip", "source.ip", "destination.ip"), ("related.ip",), FINDING_INVESTIGATION_ID),
)

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        FINDING_INVESTIGATION_ID,
        "Finding investigation",
        "Who, when and what for the actor behind a finding. Put the actor's keys in the query bar "
        '(related.user:"AKIA..." OR related.ip:"203.0.113.7") and the finding\'s window in the time picker, '
        "or click a key, a name, an address or a finding id in any table: it opens this dashboard on it.",
        (
            INV_COUNT,
            INV_TIMELINE,
            INV_IDENTITIES,
            INV_CREDENTIALS,
            INV_ACCOUNTS,
            INV_SOURCE_IPS,
            INV_COUNTRIES,
            INV_TOOLS,
            INV_ACTIONS,
            INV_RESOURCES,
            INV_OUTCOME,
            INV_FINDINGS,
            INV_USER_AGENTS,
            KEY_ISSUANCE,
            INVESTIGATION_EVENTS,
            SEQUENCE_SIGNALS,
        ),
    ),
    Dashboard(
        "siem-dashboard-cloudtrail",
        "CloudTrail overview",
        "API activity: who calls what, from where, and what fails.",
        (
            CT_TIMELINE,
            CT_ACTIONS,
            CT_IDENTITIES,
            CT_SOURCE_IPS,
            CT_SIGNIN_COUNTRIES,
            CT_ERRORS,
            IAM_CHANGES,
            ROOT_USAGE,
            CONSOLE_WITHOUT_MFA,
            ACCESS_DENIED,
            SECURITY_GROUP_OPEN,
            MONITORING_TAMPERING,
            ENDPOINT_ACTIVITY,
        ),
    ),
    Dashboard(
        "siem-dashboard-vpcflow",
        "VPC Flow Logs overview",
        "Accepted and rejected traffic, sources and ports.",
        (FLOW_TIMELINE, FLOW_ACTIONS, FLOW_REJECTED_BY_SOURCE, FLOW_PORTS, REJECTED_FLOWS),
    ),
    Dashboard(
        "siem-dashboard-guardduty",
        "GuardDuty overview",
        "Threat findings by type, severity and account.",
        (GD_TIMELINE, GD_SEVERITY, GD_BY_TYPE, GD_ACCOUNTS, GUARDDUTY_FINDINGS),
    ),
    Dashboard(
        "siem-dashboard-securityhub",
        "Security Hub overview",
        "Failed controls and findings by account and product.",
        (
            SH_TIMELINE,
            SH_SEVERITY,
            SH_FAILED_BY_ACCOUNT,
            SH_PRODUCTS,
            FAILED_CONTROLS,
            HIGH_CRITICAL_FINDINGS,
        ),
    ),
    Dashboard(
        "siem-dashboard-compliance",
        "Compliance overview",
        "Security Hub control results and AWS Config rule verdicts by account and standard, their "
        "trend, the controls failing most and the newest failures. Counts are of results in the time "
        "picker; the current state of each control (its newest result) is what `siem report` reports.",
        (
            COMPLIANCE_BY_ACCOUNT,
            COMPLIANCE_BY_STANDARD,
            COMPLIANCE_TREND,
            COMPLIANCE_WORST,
            COMPLIANCE_FAILURES,
            CONFIG_NONCOMPLIANT,
        ),
    ),
    Dashboard(
        "siem-dashboard-compliance-account",
        "Compliance: account drill-down",
        'One account\'s compliance: put cloud.account.id:"123456789012" in the query bar (or click an '
        "account in the Compliance overview). Its failing controls, their trend, the newest failures, "
        "and the configuration changes with the CloudTrail events behind them.",
        (COMPLIANCE_TREND, COMPLIANCE_WORST, COMPLIANCE_FAILURES, CONFIG_CHANGES, FAILED_CONTROLS),
    ),
)
