"""Every field of a GuardDuty document: the one definition the index template and the field
table of docs/sources/guardduty.md are built from. ``raw`` is the finding's path in the
export's (and EventBridge's) names."""

from __future__ import annotations

from normalizers.ecs.fields import FINDING_FIELDS, ecs, sequence_fields, user_identity
from normalizers.fields import Field, field, merged

BLOCK = "aws.guardduty"

ECS: tuple[Field, ...] = (
    ecs(
        "@timestamp",
        "when the finding was last updated (required); `YYYY-MM-DD hh:mm:ss.sss` read as UTC",
        "updatedAt",
    ),
    ecs("message", "the finding's title", "title"),
    ecs(
        "tags",
        "`sample` for a sample finding (`service.additionalInfo.sample`, its JSON `value`, or `sample`)",
    ),
    ecs(
        "event.kind",
        "`alert`: every GuardDuty finding is a threat detection; a constant of the index, not in the document",
    ),
    ecs("event.category", "`threat`"),
    ecs("event.type", "`indicator`"),
    ecs("event.action", "the finding type (required), e.g. `Recon:IAMUser/MaliciousIPCaller.Custom`"),
    ecs(
        "event.outcome",
        "`failure` when blocked or the call failed (API error, HTTP status >= 400, permission denied, only failed logins), "
        "`success` when not blocked or it went through, else `unknown`",
    ),
    ecs(
        "event.id",
        "`<id>@<@timestamp>`: every update of a finding is a new document (an id over 1,024 bytes: its first 256, `…` and a hash of the whole, docs/schema.md)",
    ),
    ecs(
        "event.severity",
        "`severity` × 10, rounded half up on the decimal value (8 -> 80, 9.5 -> 95); absent for a "
        "finding without `severity` (GuardDuty's API requires it: only a damaged object lacks it), "
        "indexed all the same, as Security Hub's (docs/sources/securityhub.md)",
    ),
    ecs("event.created", "when the finding was created", "createdAt"),
    ecs("event.start", "when the activity was first seen", "service.eventFirstSeen"),
    ecs("event.end", "when the activity was last seen", "service.eventLastSeen"),
    ecs("event.dataset", "`aws.guardduty`: a constant of the index, not in the document"),
    ecs("event.module", "`aws`: a constant of the index, not in the document"),
    ecs("event.provider", "`guardduty`"),
    ecs("event.ingested", "when the loader read the record"),
    ecs(
        "event.original",
        "the record's bytes (the whole EventBridge event for an event), with `keep_original` only",
    ),
    ecs("cloud.provider", "`aws`: a constant of the index, not in the document"),
    ecs("cloud.account.id", "the finding's account (required), never the EventBridge event's", "accountId"),
    ecs("cloud.region", "the finding's region, else the region of its `arn` (required)", "region"),
    ecs("cloud.instance.id", "the instance concerned", "resource.instanceDetails.instanceId"),
    ecs("cloud.availability_zone", "its Availability Zone", "resource.instanceDetails.availabilityZone"),
    ecs("cloud.machine.type", "its type", "resource.instanceDetails.instanceType"),
    ecs(
        "user.name",
        'who acted: the user, the role session, or `root`; else the Kubernetes user, else the database user (docs/sources/guardduty.md, "Actor")',
    ),
    ecs(
        "user.id",
        "the caller's principal id, else the Kubernetes user's `uid`",
        "resource.accessKeyDetails.principalId",
    ),
    ecs(
        "user.group.name",
        "the Kubernetes user's groups",
        "resource.kubernetesDetails.kubernetesUserDetails.groups",
    ),
    ecs(
        "user.effective.name",
        "the user a Kubernetes user impersonated",
        "resource.kubernetesDetails.kubernetesUserDetails.impersonatedUser.username",
    ),
    ecs(
        "user.effective.group.name",
        "the impersonated user's groups",
        "resource.kubernetesDetails.kubernetesUserDetails.impersonatedUser.groups",
    ),
    ecs("user.roles", "the role of an assumed-role session (the `userName` GuardDuty gives for it)"),
    ecs(
        "related.user",
        "every identifier of the actors: user name, session name, principal id, access key id, issuer role; "
        "the Kubernetes user, uid, IAM session names and impersonated user; the database users; "
        "a pod's service account, a Lambda function's role name; an attack sequence's actors "
        "(of each list its first 100 entries, 100 values of each kind at most)",
    ),
    ecs(
        "related.ip",
        "every valid IP of the action (every probe's too; an IP details' IPv4 and IPv6 addresses both) "
        "and the instance's private, public and IPv6 addresses (of each list its first 100 entries: "
        "100 probes, 100 interfaces; 100 addresses of each kind at most)",
    ),
    ecs(
        "related.hosts",
        "the instance id and its interfaces' private and public DNS names; the instance whose role session acts",
    ),
    ecs("aws.s3.bucket.name", "the buckets of `resource.s3BucketDetails` (the first 100)"),
    ecs("aws.s3.object.key", "the keys of their `s3ObjectDetails` (100 at most)"),
    ecs(
        "source.ip",
        'the action\'s source IP ("Action": the API caller, the remote side of an inbound connection, the first probe)',
    ),
    ecs("source.address", "a source that is not a valid IP (a service's domain)"),
    ecs("source.domain", "the source's host name (the service of an API call made by a service)"),
    ecs("source.port", "the source port of a connection"),
    ecs("source.geo.location", "`remoteIpDetails.geoLocation` `{lat, lon}`; dropped when out of range"),
    ecs("source.geo.country_iso_code", "`remoteIpDetails.country.countryCode`"),
    ecs("source.geo.country_name", "`remoteIpDetails.country.countryName`"),
    ecs("source.geo.city_name", "`remoteIpDetails.city.cityName`"),
    ecs(
        "source.as.number",
        "`remoteIpDetails.organization.asn` (a string in GuardDuty; `-1` and junk dropped)",
    ),
    ecs("source.as.organization.name", "`remoteIpDetails.organization.asnOrg`"),
    ecs(
        "destination.ip",
        "the local side of an inbound connection or probe, the remote side of an outbound one",
    ),
    ecs("destination.port", "the destination port of a connection or probe"),
    ecs("destination.geo.location", "`remoteIpDetails.geoLocation` of an outbound connection"),
    ecs(
        "destination.geo.country_iso_code", "`remoteIpDetails.country.countryCode` of an outbound connection"
    ),
    ecs("destination.geo.country_name", "`remoteIpDetails.country.countryName` of an outbound connection"),
    ecs("destination.geo.city_name", "`remoteIpDetails.city.cityName` of an outbound connection"),
    ecs("destination.as.number", "`remoteIpDetails.organization.asn` of an outbound connection"),
    ecs(
        "destination.as.organization.name", "`remoteIpDetails.organization.asnOrg` of an outbound connection"
    ),
    ecs(
        "network.direction",
        "`inbound`/`outbound` from `connectionDirection` (`INBOUND`/`IN`, `OUTBOUND`/`OUT`); `inbound` for a probe",
    ),
    ecs("network.transport", "a connection's or a DNS request's `protocol`, lower-cased"),
    ecs("network.protocol", "`dns` for a DNS request"),
    ecs("dns.question.name", "the domain of a DNS request", "service.action.dnsRequestAction.domain"),
    ecs("process.name", "the process Runtime Monitoring saw", "service.runtimeDetails.process.name"),
    ecs("process.executable", "its executable", "service.runtimeDetails.process.executablePath"),
    ecs("process.pid", "its id", "service.runtimeDetails.process.pid"),
    ecs("process.hash.sha256", "its executable's SHA-256", "service.runtimeDetails.process.executableSha256"),
    ecs("process.working_directory", "its working directory", "service.runtimeDetails.process.pwd"),
    ecs("process.user.name", "the OS user it ran as", "service.runtimeDetails.process.user"),
    ecs("process.user.id", "that user's numeric id, as text", "service.runtimeDetails.process.userId"),
    ecs("process.start", "when it started", "service.runtimeDetails.process.startTime"),
    ecs(
        "container.id",
        'the first container the finding names (docs/sources/guardduty.md, "Containers and clusters")',
        "resource.containerDetails.id",
    ),
    ecs("container.name", "its name", "resource.containerDetails.name"),
    ecs(
        "container.runtime",
        "its runtime (`containerd`, `docker`)",
        "resource.containerDetails.containerRuntime",
    ),
    ecs(
        "container.image.name", "its image reference without tag and digest (the registry and its port kept)"
    ),
    ecs("container.image.tag", "the reference's tag (`1.4`), when it has one"),
    ecs("container.image.hash.all", "the reference's digest (`sha256:...`), when it has one"),
    ecs(
        "container.security_context.privileged",
        "that container's `securityContext.privileged` (`false` kept)",
        "resource.containerDetails.securityContext.privileged",
    ),
    ecs(
        "orchestrator.type",
        "`kubernetes` for an EKS cluster, a Kubernetes workload or API call, else `ecs` for an ECS cluster",
    ),
    ecs("orchestrator.cluster.name", "the EKS or ECS cluster's name (else read off its ARN)"),
    ecs("orchestrator.cluster.id", "the cluster's ARN"),
    ecs(
        "orchestrator.namespace",
        "the Kubernetes workload's namespace; without a workload, the Kubernetes API call's "
        "(`service.action.kubernetesApiCallAction.namespace`)",
        "resource.kubernetesDetails.kubernetesWorkloadDetails.namespace",
    ),
    ecs(
        "orchestrator.resource.name",
        "the Kubernetes workload's `name`, else the API call's `resourceName`, else the ECS task's id "
        "(the end of `taskDetails.arn`)",
    ),
    ecs(
        "orchestrator.resource.type",
        "the Kubernetes workload's `type` as GuardDuty writes it (`pods`, `deployments`...), else the API "
        "call's `resource` (`secrets`, `rolebindings`...), else `task`",
    ),
    ecs(
        "url.original",
        "the Kubernetes API call's request URI (a path and query)",
        "service.action.kubernetesApiCallAction.requestUri",
    ),
    ecs(
        "http.response.status_code",
        "the Kubernetes API call's HTTP status (100-599)",
        "service.action.kubernetesApiCallAction.statusCode",
    ),
    ecs(
        "threat.software.name",
        'every threat a malware scan found (docs/sources/guardduty.md, "Malware")',
        "service.malwareScanDetails.threats[].name",
    ),
    ecs("threat.software.type", "`Malware` when a scan found one"),
    ecs(
        "file.path",
        "the first infected item's path (for S3, the object's key; for EBS, the file on the volume)",
        "service.malwareScanDetails.threats[].itemPaths[].nestedItemPath",
    ),
    ecs(
        "related.hash",
        "every hash of the threats and their infected items",
        "service.malwareScanDetails.threats[].itemPaths[].hash",
    ),
    ecs(
        "user_agent.original",
        "the API call's user agent (`fullUserAgent` of an object), else that of any other `*Action` block",
    ),
)

FINDING: tuple[Field, ...] = (
    ecs("rule.id", "the finding type"),
    ecs("rule.name", "the finding type"),
    ecs(
        "rule.category", "the threat purpose: the finding type before `:` (`Recon`, `UnauthorizedAccess`...)"
    ),
)

# Resource details, one object per resource kind (snake_cased): each a flat_object, so a new
# kind's deep shape never adds mapped fields.
_RESOURCE_DETAILS = (
    "access_key_details",
    "instance_details",
    "s3_bucket_details",
    "eks_cluster_details",
    "kubernetes_details",
    "ecs_cluster_details",
    "container_details",
    "lambda_details",
    "rds_db_instance_details",
    "rds_db_user_details",
    "rds_limitless_db_details",
    "ebs_volume_details",
    "ebs_snapshot_details",
    "ec2_image_details",
    "recovery_point_details",
    "bedrock_guardrail_details",
    "model_details",
)
# Service sub-objects kept whole (tables.FLAT_KEYS) plus the action, whose per-type shapes
# (API call, connection, port probe, DNS, Kubernetes, RDS login) are deep.
_SERVICE_OBJECTS = (
    ("action", "the action, snake_cased: the API call, connection, probe or DNS request behind the finding"),
    ("additional_info", "`service.additionalInfo`, kept whole"),
    ("evidence", "`service.evidence` (threat intelligence), kept whole"),
    ("runtime_details", "`service.runtimeDetails`, kept whole"),
    ("detection", "`service.detection` (anomalies, attack sequences), kept whole"),
    ("ebs_volume_scan_details", "`service.ebsVolumeScanDetails`, kept whole"),
    ("malware_scan_details", "`service.malwareScanDetails`, kept whole"),
)

OWN: tuple[Field, ...] = (
    field(f"{BLOCK}.id", "keyword", "the finding's id", "id"),
    field(f"{BLOCK}.arn", "keyword", "the finding's ARN", "arn"),
    field(f"{BLOCK}.type", "keyword", "the finding type", "type"),
    field(f"{BLOCK}.title", "text", "the finding's title"),
    field(f"{BLOCK}.description", "text", "what the finding means", "description"),
    field(f"{BLOCK}.partition", "keyword", "`aws`, `aws-cn`, `aws-us-gov`", "partition"),
    field(f"{BLOCK}.schema_version", "keyword", "the finding format's version", "schemaVersion"),
    field(f"{BLOCK}.confidence", "float", "GuardDuty's confidence", "confidence"),
    field(f"{BLOCK}.sample", "boolean", "a sample finding (always present)", "sample"),
    field(f"{BLOCK}.severity.code", "float", "`severity` as given (0-10)", "severity"),
    field(
        f"{BLOCK}.severity.label",
        "keyword",
        "`INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`, read off `event.severity`",
    ),
    field(
        f"{BLOCK}.resource.type",
        "keyword",
        "the resource's type (`AccessKey`, `Instance`, `S3Bucket`...)",
        "resource.resourceType",
    ),
    field(
        f"{BLOCK}.container_images",
        "keyword",
        "every image reference of the finding's containers, as given (`containerDetails`, then the "
        "Kubernetes workload's, then the ECS task's; 100 of each at most)",
    ),
    field(
        f"{BLOCK}.privileged_containers",
        "keyword",
        "every container of the finding whose `securityContext.privileged` is true, by its `name` (else its image)",
    ),
    field(
        f"{BLOCK}.container_mounts.path",
        "keyword",
        "where the containers mount volumes (`volumeMounts[].mountPath`; the first 100 mounts of the finding)",
    ),
    field(f"{BLOCK}.container_mounts.volume", "keyword", "the volumes they mount (`volumeMounts[].name`)"),
    field(
        f"{BLOCK}.container_mounts.host_path",
        "keyword",
        "the host paths the Kubernetes workload's and the ECS task's `volumes[].hostPath.path` present",
    ),
    *(
        field(f"{BLOCK}.resource.{name}", "flat_object", f"`resource`'s `{name}`, snake_cased, a flat object")
        for name in _RESOURCE_DETAILS
    ),
    *(field(f"{BLOCK}.service.{name}", "flat_object", description) for name, description in _SERVICE_OBJECTS),
    field(f"{BLOCK}.service.archived", "boolean", "the finding was archived", "service.archived"),
    field(f"{BLOCK}.service.count", "long", "how many times GuardDuty saw the activity", "service.count"),
    field(f"{BLOCK}.service.detector_id", "keyword", "the detector that found it", "service.detectorId"),
    field(f"{BLOCK}.service.event_first_seen", "date", "`service.eventFirstSeen` (RFC 3339)"),
    field(f"{BLOCK}.service.event_last_seen", "date", "`service.eventLastSeen` (RFC 3339)"),
    field(f"{BLOCK}.service.resource_role", "keyword", "`TARGET` or `ACTOR`", "service.resourceRole"),
    field(f"{BLOCK}.service.service_name", "keyword", "`guardduty`", "service.serviceName"),
    field(
        f"{BLOCK}.service.feature_name",
        "keyword",
        "the GuardDuty feature that found it",
        "service.featureName",
    ),
    field(f"{BLOCK}.service.user_feedback", "keyword", "the analyst's feedback", "service.userFeedback"),
)

USER_IDENTITY: tuple[Field, ...] = user_identity(
    BLOCK,
    raw={
        "access_key_id": "resource.accessKeyDetails.accessKeyId",
        "type": "resource.accessKeyDetails.userType",
    },
)

SEQUENCE: tuple[Field, ...] = sequence_fields(BLOCK, "service.detection.sequence")

FIELDS: tuple[Field, ...] = merged(ECS, FINDING_FIELDS, FINDING, USER_IDENTITY, OWN, SEQUENCE)

# The same in every GuardDuty document whatever the delivery path (S3 exports, EventBridge,
# the CLI/SDK shape: all map through mapping.py), so written once in the index template
# (``constant_keyword``) instead of in each document, as CloudTrail's (docs/schema.md).
CONSTANTS: dict[str, str] = {
    "event.kind": "alert",
    "event.dataset": "aws.guardduty",
    "event.module": "aws",
    "cloud.provider": "aws",
}
"""Fields holding one value in every GuardDuty document: ``constant_keyword`` fields of the index."""
