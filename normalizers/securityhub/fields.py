"""Every field of a Security Hub document: the one definition the index template and the field
table of docs/sources/securityhub.md are built from. ``raw`` is the ASFF path."""

from __future__ import annotations

from normalizers.ecs.fields import FINDING_FIELDS, ecs, sequence_fields, user_identity
from normalizers.fields import Field, field, merged

BLOCK = "aws.securityhub_findings"

ECS: tuple[Field, ...] = (
    ecs("@timestamp", "when the finding was last updated (required)", "UpdatedAt"),
    ecs("message", 'the title, else `Description`, else `rule.name` ("A finding without a title")', "Title"),
    ecs("tags", "`sample` when `Sample` is true"),
    ecs(
        "event.kind",
        '`alert` for a threat detection (an OCSF Detection Finding without types), `state` for a control or posture result ("Kind")',
    ),
    ecs(
        "event.category",
        "alert: `threat`; state: `vulnerability` when a type is `*/Vulnerabilities/*`, else `configuration`",
    ),
    ecs("event.type", "alert: `indicator`; state: `info`"),
    ecs("event.action", "what generated the finding (required)", "GeneratorId"),
    ecs(
        "event.outcome",
        "the action's (`Blocked`), else a control's `Compliance.Status` (`PASSED` success, `FAILED` failure), else `unknown`",
    ),
    ecs(
        "event.id",
        "`<Id>@<@timestamp>`: every update of a finding is a new document (an id over 1,024 bytes: its first 256, `…` and a hash of the whole, docs/schema.md)",
    ),
    ecs(
        "event.severity",
        "`Severity.Normalized`, else from `Severity.Label`; a GuardDuty finding scored as GuardDuty's (docs/sources/securityhub.md)",
    ),
    ecs("event.created", "when the finding was created", "CreatedAt"),
    ecs("event.start", "when the activity was first observed", "FirstObservedAt"),
    ecs("event.end", "when the activity was last observed", "LastObservedAt"),
    ecs("event.dataset", "`aws.securityhub_findings`: a constant of the index, not in the document"),
    ecs("event.module", "`aws`: a constant of the index, not in the document"),
    ecs("event.provider", "the product's name lower-cased (`guardduty`, `inspector`, `security hub`)"),
    ecs("event.ingested", "when the loader read the record"),
    ecs(
        "event.original",
        "the finding's record bytes (a finding inside an event: the event), with `keep_original` only",
    ),
    ecs("cloud.provider", "`aws`: a constant of the index, not in the document"),
    ecs(
        "cloud.account.id", "the finding's account (required), never the EventBridge event's", "AwsAccountId"
    ),
    ecs("cloud.account.name", "the account's name", "AwsAccountName"),
    ecs(
        "cloud.region",
        "`Region`, else the region of `ProductArn`, else the first resource's (required)",
        "Region",
    ),
    ecs(
        "cloud.instance.id",
        "the first `AwsEc2Instance` resource's instance id; else an OCSF finding's first `device` evidence's "
        "`instance_uid`",
    ),
    ecs("user.name", 'who acted, from the IAM resources (docs/sources/securityhub.md, "Actor")'),
    ecs("user.id", "the actor's principal id"),
    ecs(
        "user.roles", "the role of an assumed-role session (the access key's `SessionContext.SessionIssuer`)"
    ),
    ecs(
        "related.user",
        "every identifier of the actor; a Lambda function's execution role name "
        "(`AwsLambdaFunction.Role`); an attack sequence's actors; an OCSF finding's user name `observables` "
        "and every `user` evidence's `name` and `uid`",
    ),
    ecs(
        "related.ip",
        "IPs of `Action`, `Network` and `NetworkPath`, of EC2 instances and network interfaces, and IP "
        "`ThreatIntelIndicators`; an OCSF finding's evidence endpoints, URL hosts that are addresses, "
        "`x_forwarded_for`, `device` evidences' `ip` and `network_interfaces[].ip`, `email` evidences' `x_originating_ip` and IP `observables` "
        "(of each list its first 100 entries, 100 addresses of each kind at most)",
    ),
    ecs(
        "related.hosts",
        "`AwsEc2Instance` instance ids, those of `NetworkPath`'s instance components, and the instance "
        "whose role session acts; an OCSF finding's host name and instance id `observables`, and every "
        "`device` evidence's `hostname` and `instance_uid`",
    ),
    ecs(
        "related.hash",
        "an OCSF finding's hash `observables`, and every evidence's `file`, `process.file`, `job.file`, "
        "`script` and `script.file` hashes",
    ),
    ecs(
        "aws.s3.bucket.name",
        "the buckets of `AwsS3Bucket` and `AwsS3Object` resources (from their ARNs); an OCSF finding's first S3 `databucket` evidence's `name`",
    ),
    ecs("aws.s3.object.key", "the keys of `AwsS3Object` resources"),
    ecs(
        "source.ip",
        "the action's source IP (as GuardDuty's `service.action`), else `Network`'s `SourceIpV4`/`SourceIpV6`",
    ),
    ecs("source.address", "a source that is not a valid IP"),
    ecs("source.domain", "the source's host name (`Network.SourceDomain` beside an IP)"),
    ecs("source.port", "the source port (the action's, else `Network.SourcePort`)"),
    ecs("source.geo.location", "`RemoteIpDetails.GeoLocation`"),
    ecs("source.geo.country_iso_code", "`RemoteIpDetails.Country.CountryCode`"),
    ecs("source.geo.country_name", "`RemoteIpDetails.Country.CountryName`"),
    ecs("source.geo.city_name", "`RemoteIpDetails.City.CityName`"),
    ecs("source.as.number", "`RemoteIpDetails.Organization.Asn`"),
    ecs("source.as.organization.name", "`RemoteIpDetails.Organization.AsnOrg`"),
    ecs("destination.ip", "the action's destination IP, else `Network.DestinationIpV4`/`DestinationIpV6`"),
    ecs("destination.address", "a destination that is not a valid IP"),
    ecs("destination.domain", "the destination's host name (`Network.DestinationDomain`)"),
    ecs("destination.port", "the destination port (the action's, else `Network.DestinationPort`)"),
    ecs("destination.geo.location", "`RemoteIpDetails.GeoLocation` of an outbound connection"),
    ecs(
        "destination.geo.country_iso_code", "`RemoteIpDetails.Country.CountryCode` of an outbound connection"
    ),
    ecs("destination.geo.country_name", "`RemoteIpDetails.Country.CountryName` of an outbound connection"),
    ecs("destination.geo.city_name", "`RemoteIpDetails.City.CityName` of an outbound connection"),
    ecs("destination.as.number", "`RemoteIpDetails.Organization.Asn` of an outbound connection"),
    ecs(
        "destination.as.organization.name", "`RemoteIpDetails.Organization.AsnOrg` of an outbound connection"
    ),
    ecs("network.direction", "`inbound`/`outbound` from the action, else `Network.Direction` (`IN`/`OUT`)"),
    ecs(
        "network.transport",
        "the action's protocol (a DNS request's too), else `Network.Protocol`, lower-cased",
    ),
    ecs("network.protocol", "`dns` for a DNS request"),
    ecs("dns.question.name", "the domain of a DNS request; OCSF: the first `query` evidence's `hostname`"),
    ecs("dns.question.type", "OCSF only: the first `query` evidence's `type` (`A`, `AAAA`, `TXT`)"),
    ecs("tls.version", "OCSF only: the first `tls` evidence's `version`, its number (`1.2`)"),
    ecs(
        "tls.version_protocol",
        "OCSF only: its protocol, `tls` (a `version` written `TLSv1.2`, or a bare number) or `ssl`",
    ),
    ecs("tls.cipher", "OCSF only: its `cipher`"),
    ecs("tls.client.server_name", "OCSF only: the server name the client asked (its `sni`)"),
    ecs("tls.client.ja3", "OCSF only: its `ja3_hash.value` (an MD5)"),
    ecs("tls.server.ja3s", "OCSF only: its `ja3s_hash.value` (an MD5)"),
    ecs(
        "tls.server.x509.subject.distinguished_name",
        "OCSF only: its `certificate.subject` (the server's certificate)",
    ),
    ecs("tls.server.x509.issuer.distinguished_name", "OCSF only: its `certificate.issuer`"),
    ecs(
        "tls.server.x509.serial_number",
        "OCSF only: its `certificate.serial_number`, upper-case without colons",
    ),
    ecs("tls.server.x509.not_before", "OCSF only: its `certificate.created_time`"),
    ecs("tls.server.x509.not_after", "OCSF only: its `certificate.expiration_time`"),
    ecs("tls.server.x509.version_number", "OCSF only: its `certificate.version`"),
    ecs("tls.server.hash.md5", "OCSF only: its certificate's MD5 `fingerprints[]`, upper-case"),
    ecs("tls.server.hash.sha1", "OCSF only: its certificate's SHA-1 fingerprint, upper-case"),
    ecs("tls.server.hash.sha256", "OCSF only: its certificate's SHA-256 fingerprint, upper-case"),
    ecs("email.from.address", "OCSF only: the first `email` evidence's `from`"),
    ecs("email.to.address", "OCSF only: its `to[]`"),
    ecs("email.cc.address", "OCSF only: its `cc[]`"),
    ecs("email.subject", "OCSF only: its `subject`"),
    ecs("email.message_id", "OCSF only: its Message-ID (`message_uid`)"),
    ecs("host.hostname", "OCSF only: the first `device` evidence's `hostname`"),
    ecs("host.name", "OCSF only: its `name`, else its `hostname`"),
    ecs("host.id", "OCSF only: its `uid`"),
    ecs("host.ip", "OCSF only: its `ip` and its `network_interfaces[].ip`"),
    ecs("host.os.name", "OCSF only: its `os.name`"),
    ecs("host.os.version", "OCSF only: its `os.version`"),
    ecs(
        "host.os.type",
        "OCSF only: its OS family from `os.type_id` (else `os.type`): `windows`, `linux`, `android`, "
        "`macos`, `ios`, `unix`",
    ),
    ecs(
        "host.mac",
        "OCSF only: its `mac` and its `network_interfaces[].mac`, upper-case and `-`-separated",
    ),
    ecs(
        "user.target.name",
        "OCSF only: the user the finding is about, the first `user` evidence's `name` (`user.*` is the actor)",
    ),
    ecs("user.target.id", "OCSF only: that user's `uid`"),
    ecs("event.url", "the finding's page in the product", "SourceUrl"),
    ecs(
        "process.name",
        "the process's name (OCSF: the first `process` evidence's `name`, else `file.name`)",
        "Process.Name",
    ),
    ecs("process.executable", "its path (OCSF: `process.file.path`)", "Process.Path"),
    ecs("process.pid", "its id (OCSF: `process.pid`)", "Process.Pid"),
    ecs("process.parent.pid", "its parent's id (OCSF: `process.parent_process.pid`)", "Process.ParentPid"),
    ecs("process.start", "when it was launched (OCSF: `process.created_time`)", "Process.LaunchedAt"),
    ecs("process.end", "when it ended (OCSF: `process.terminated_time`)", "Process.TerminatedAt"),
    ecs("process.command_line", "OCSF only: its command line (`process.cmd_line`)"),
    ecs(
        "process.parent.name", "OCSF only: its parent's name (`process.parent_process.name`, else its file's)"
    ),
    ecs("process.parent.executable", "OCSF only: its parent's path (`process.parent_process.file.path`)"),
    ecs("process.hash.sha256", "OCSF only: its executable's SHA-256 (`process.file.hashes[]`)"),
    ecs("process.user.name", "OCSF only: the user it ran as (`process.user.name`)"),
    ecs("process.user.id", "OCSF only: that user's id (`process.user.uid`)"),
    ecs("file.name", "OCSF only: the first `file` evidence's `name`"),
    ecs(
        "file.path",
        "the first `Malware[].Path` (where the malware was seen); OCSF: the first `file` evidence's `path`, "
        "which wins",
    ),
    ecs("file.size", "OCSF only: its `size` in bytes"),
    ecs("file.hash.md5", "OCSF only: its MD5 (`hashes[]` of `algorithm_id` 1)"),
    ecs("file.hash.sha1", "OCSF only: its SHA-1 (`algorithm_id` 2)"),
    ecs("file.hash.sha256", "OCSF only: its SHA-256 (`algorithm_id` 3)"),
    ecs("file.hash.sha512", "OCSF only: its SHA-512 (`algorithm_id` 4)"),
    ecs("container.id", "OCSF only: the first `container` evidence's `uid` (ASFF's `Container` has no id)"),
    ecs(
        "container.name",
        "the first container of the resources (`Details.Container`, `.AwsEcsContainer`, `.AwsEcsTask.Containers[]`, "
        '`.AwsEcsTaskDefinition.ContainerDefinitions[]`: "Containers, clusters and malware") `Name`; OCSF: the '
        "first `container` evidence's `name`, which wins",
    ),
    ecs(
        "container.security_context.privileged",
        "that container's `Privileged` (`false` kept); another container's is in "
        "`aws.securityhub_findings.privileged_containers`",
    ),
    ecs("container.runtime", "that container's `ContainerRuntime`; OCSF: the evidence's `runtime`"),
    ecs(
        "container.image.name",
        "that container's `ImageName` (else `Image`) without tag and digest; OCSF: the evidence's `image.name`",
    ),
    ecs("container.image.tag", "the reference's tag; OCSF: the evidence's `image.tag`"),
    ecs(
        "container.image.hash.all",
        "the reference's digest and the container's `ImageId`; OCSF: the evidence's `image.uid` (ECS has no image id)",
    ),
    ecs(
        "orchestrator.type",
        "`kubernetes` for an `AwsEksCluster` resource, else `ecs` for an `AwsEcsCluster` or `AwsEcsTask` one",
    ),
    ecs(
        "orchestrator.cluster.name",
        "the EKS cluster's `Name`, else the ECS cluster's `ClusterName` (else from the ARN)",
    ),
    ecs("orchestrator.cluster.id", "the cluster's ARN (its `Arn`/`ClusterArn`, else the resource's `Id`)"),
    ecs("orchestrator.resource.name", "the ECS task's id (the end of the `AwsEcsTask` resource's ARN)"),
    ecs("orchestrator.resource.type", "`task` for an ECS task"),
    ecs("threat.software.name", "every `Malware[].Name`", "Malware.Name"),
    ecs(
        "threat.software.type",
        "`Malware` when the finding names malware (its ASFF `Type` stays in `aws.securityhub_findings.malware`)",
    ),
    ecs(
        "url.full",
        "OCSF only: the first `url` evidence's `url_string`, else the first `http_request`'s `url.url_string`",
    ),
    ecs("url.domain", "OCSF only: that URL's `hostname`"),
    ecs("url.path", "OCSF only: that URL's `path`"),
    ecs("http.request.method", "OCSF only: the first `http_request` evidence's `http_method`"),
    ecs("user_agent.original", "OCSF only: that request's `user_agent`"),
)

FINDING: tuple[Field, ...] = (
    ecs("rule.id", "`Compliance.SecurityControlId`, else `GeneratorId`"),
    ecs("rule.name", 'the title, else `GeneratorId` ("A finding without a title")'),
    ecs("rule.category", "the first of `Types`"),
    ecs("vulnerability.id", "each `Vulnerabilities[].Id` (of the first 100)"),
    ecs("vulnerability.score.base", "the highest `Vulnerabilities[].Cvss[].BaseScore`"),
    ecs("vulnerability.reference", "every `Vulnerabilities[].ReferenceUrls` (100 at most)"),
    ecs("vulnerability.severity", "the finding's severity label, when it lists vulnerabilities"),
    ecs("vulnerability.scanner.vendor", "`CompanyName`, when the finding lists vulnerabilities"),
)

_OBJECTS = (
    (
        "product_fields",
        "ProductFields",
        "`ProductFields` as is: keys kept whole (`aws/guardduty/service/action/actionType`)",
    ),
    ("user_defined_fields", "UserDefinedFields", "`UserDefinedFields` as is"),
    ("action", None, "`Action`, snake_cased; `AffectedResources` kept whole"),
    ("network", None, "the `Network` object, snake_cased"),
    ("malware", None, "`Malware`, snake_cased"),
    ("network_path", None, "`NetworkPath`, snake_cased: the components a path crosses"),
    ("vulnerabilities", None, "`Vulnerabilities`, snake_cased"),
    ("threat_intel_indicators", None, "`ThreatIntelIndicators`, snake_cased"),
    ("related_findings", None, "`RelatedFindings`, snake_cased"),
    ("detection", "Detection", "`Detection` as is (an attack sequence's `Sequence`)"),
)

OWN: tuple[Field, ...] = (
    *(field(f"{BLOCK}.{name}", "flat_object", description, raw) for name, raw, description in _OBJECTS),
    field(
        f"{BLOCK}.container_images",
        "keyword",
        "every image the resources' containers name (`ImageName`, else `Image`), as given",
    ),
    field(
        f"{BLOCK}.privileged_containers",
        "keyword",
        "every container of the resources stated `Privileged`, by its `Name` (else its image)",
    ),
    field(
        f"{BLOCK}.container_mounts.path",
        "keyword",
        "where the containers mount volumes: `VolumeMounts[].MountPath`, `MountPoints[].ContainerPath` "
        "(the first 100 mounts of the finding)",
    ),
    field(
        f"{BLOCK}.container_mounts.volume",
        "keyword",
        "the volumes they mount: `VolumeMounts[].Name`, `MountPoints[].SourceVolume`",
    ),
    field(
        f"{BLOCK}.container_mounts.host_path",
        "keyword",
        "the host paths of `AwsEcsTask` and `AwsEcsTaskDefinition` bind-mount volumes (`Volumes[].Host.SourcePath`)",
    ),
    field(f"{BLOCK}.id", "keyword", "the finding's id", "Id"),
    field(f"{BLOCK}.schema_version", "keyword", "the ASFF version", "SchemaVersion"),
    field(f"{BLOCK}.generator_id", "keyword", "what generated the finding (a rule, a control)"),
    field(f"{BLOCK}.types", "keyword", "the finding's types (`namespace/category/classifier`)", "Types"),
    field(f"{BLOCK}.title", "text", "the finding's title"),
    field(f"{BLOCK}.description", "text", "what the finding means", "Description"),
    field(f"{BLOCK}.product.arn", "keyword", "the product's ARN", "ProductArn"),
    field(
        f"{BLOCK}.product.name",
        "keyword",
        '`ProductName`, else `ProductFields["aws/securityhub/ProductName"]`, else the product id in `ProductArn`',
        "ProductName",
    ),
    field(
        f"{BLOCK}.product.company",
        "keyword",
        '`CompanyName`, else `ProductFields["aws/securityhub/CompanyName"]`',
        "CompanyName",
    ),
    field(f"{BLOCK}.product.account_id", "keyword", "the account in `ProductArn` (private products)"),
    field(f"{BLOCK}.aws_account_name", "keyword", "`AwsAccountName`"),
    field(
        f"{BLOCK}.envelope_account_id",
        "keyword",
        "the EventBridge event's `account` (the aggregating administrator account)",
    ),
    field(f"{BLOCK}.first_observed_at", "date", "`FirstObservedAt` (RFC 3339)"),
    field(f"{BLOCK}.last_observed_at", "date", "`LastObservedAt` (RFC 3339)"),
    field(f"{BLOCK}.severity.label", "keyword", "the severity label, upper-case", "Severity.Label"),
    field(f"{BLOCK}.severity.normalized", "long", "`Severity.Normalized` (0-100)", "Severity.Normalized"),
    field(f"{BLOCK}.severity.original", "keyword", "the product's own severity", "Severity.Original"),
    field(f"{BLOCK}.confidence", "long", "the product's confidence (0-100)", "Confidence"),
    field(f"{BLOCK}.criticality", "long", "the resources' criticality (0-100)", "Criticality"),
    field(
        f"{BLOCK}.compliance.status",
        "keyword",
        "a control's result: `PASSED`, `FAILED`, `WARNING`, `NOT_AVAILABLE`",
        "Compliance.Status",
    ),
    field(
        f"{BLOCK}.compliance.security_control_id",
        "keyword",
        "the control (`IAM.3`)",
        "Compliance.SecurityControlId",
    ),
    field(
        f"{BLOCK}.compliance.related_requirements",
        "keyword",
        "the requirements the control checks",
        "Compliance.RelatedRequirements",
    ),
    field(
        f"{BLOCK}.compliance.associated_standards",
        "keyword",
        "the `StandardsId` of each `Compliance.AssociatedStandards`",
    ),
    field(
        f"{BLOCK}.compliance.status_reasons.reason_code",
        "keyword",
        "why the control has its status",
        "Compliance.StatusReasons.ReasonCode",
    ),
    field(
        f"{BLOCK}.compliance.status_reasons.description",
        "text",
        "that reason, in words",
        "Compliance.StatusReasons.Description",
    ),
    field(
        f"{BLOCK}.workflow.status",
        "keyword",
        "`NEW`, `NOTIFIED`, `RESOLVED` or `SUPPRESSED`",
        "Workflow.Status",
    ),
    field(f"{BLOCK}.workflow_state", "keyword", "the retired `WorkflowState`", "WorkflowState"),
    field(f"{BLOCK}.record_state", "keyword", "`ACTIVE` or `ARCHIVED`", "RecordState"),
    field(
        f"{BLOCK}.verification_state",
        "keyword",
        "`UNKNOWN`, `TRUE_POSITIVE`, `FALSE_POSITIVE`, `BENIGN_POSITIVE`",
        "VerificationState",
    ),
    field(
        f"{BLOCK}.remediation.recommendation.text", "text", "how to fix it", "Remediation.Recommendation.Text"
    ),
    field(
        f"{BLOCK}.remediation.recommendation.url",
        "keyword",
        "where to read how",
        "Remediation.Recommendation.Url",
    ),
    field(f"{BLOCK}.note.text", "text", "an analyst's note", "Note.Text"),
    field(f"{BLOCK}.note.updated_by", "keyword", "who wrote the note", "Note.UpdatedBy"),
    field(f"{BLOCK}.note.updated_at", "date", "when", "Note.UpdatedAt"),
    field(f"{BLOCK}.resources.id", "keyword", "each resource's id (its ARN: search it here)", "Resources.Id"),
    field(
        f"{BLOCK}.resources.type",
        "keyword",
        "each resource's type (`AwsIamAccessKey`, `AwsEc2Instance`...)",
        "Resources.Type",
    ),
    field(f"{BLOCK}.resources.region", "keyword", "each resource's region", "Resources.Region"),
    field(f"{BLOCK}.resources.partition", "keyword", "each resource's partition", "Resources.Partition"),
    field(
        f"{BLOCK}.resources.role", "keyword", "each resource's role in the finding", "Resources.ResourceRole"
    ),
    field(
        f"{BLOCK}.resources.details",
        "flat_object",
        "each resource's `Details` as they are",
        "Resources.Details",
    ),
    field(f"{BLOCK}.resources.tags", "flat_object", "each resource's `Tags` as they are", "Resources.Tags"),
    field(f"{BLOCK}.sample", "boolean", "a sample finding (always present)", "Sample"),
    field(f"{BLOCK}.job.name", "keyword", "OCSF only: the first `job` evidence's `name` (a scheduled job)"),
    field(f"{BLOCK}.job.cmd_line", "keyword", "OCSF only: its `cmd_line`"),
    field(f"{BLOCK}.database.name", "keyword", "OCSF only: the first `database` evidence's `name`"),
    field(f"{BLOCK}.database.type", "keyword", "OCSF only: its `type`"),
    field(f"{BLOCK}.database.uid", "keyword", "OCSF only: its `uid`"),
)

USER_IDENTITY: tuple[Field, ...] = user_identity(BLOCK)

SEQUENCE: tuple[Field, ...] = sequence_fields(BLOCK, "Detection.Sequence")

FIELDS: tuple[Field, ...] = merged(ECS, FINDING_FIELDS, FINDING, USER_IDENTITY, OWN, SEQUENCE)
