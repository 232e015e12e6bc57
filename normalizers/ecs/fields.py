"""The fields every source shares (docs/schema.md): ECS fields any document may hold, the
fields findings share, and the ``user_identity`` block of the actor contract.

A source's own definition names the shared fields it fills with :func:`ecs`, which keeps the
kind defined here and gives the source's description and raw path.
"""

from __future__ import annotations

from collections.abc import Mapping

from normalizers.fields import Field, Kind, field, refined


def _geo(prefix: str) -> tuple[Field, ...]:
    return (
        field(f"{prefix}.geo.location", "geo_point", "latitude and longitude of the address"),
        field(f"{prefix}.geo.country_iso_code", "keyword", "ISO 3166 country code of the address"),
        field(f"{prefix}.geo.country_name", "keyword", "country name of the address"),
        field(f"{prefix}.geo.region_name", "keyword", "region name of the address"),
        field(f"{prefix}.geo.city_name", "keyword", "city name of the address"),
        field(f"{prefix}.as.number", "long", "autonomous system number of the address"),
        field(f"{prefix}.as.organization.name", "keyword", "organization that owns the autonomous system"),
    )


def _endpoint(side: str) -> tuple[Field, ...]:
    """ECS ``source``/``destination``: the address split by validity (docs/schema.md, "Addresses")."""
    return (
        field(f"{side}.ip", "ip", f"the {side}'s IP address, only ever a valid IPv4/IPv6 (canonical form)"),
        field(
            f"{side}.address",
            "keyword",
            f"the {side}'s address when it is not a valid IP (a service name, `AWS Internal`)",
        ),
        field(f"{side}.domain", "keyword", f"the {side}'s host name"),
        field(f"{side}.port", "long", f"the {side}'s port"),
        field(f"{side}.bytes", "long", f"bytes sent by the {side}"),
        field(f"{side}.packets", "long", f"packets sent by the {side}"),
        *_geo(side),
    )


PROVENANCE_FIELDS: tuple[Field, ...] = (
    field(
        "siem.object.id",
        "keyword",
        'the S3 object and version the record came from (docs/ingest.md, "Provenance")',
    ),
    field(
        "siem.object.account",
        "keyword",
        "the account the object was delivered by: its `AWSLogs/<account>/` folder",
    ),
    field("siem.object.bucket", "keyword", "the object's bucket (first document of each object only)"),
    field(
        "siem.object.key",
        "keyword",
        "the object's key, or a local file's path (first document of each object only)",
    ),
    field(
        "siem.object.version_id", "keyword", "the object's S3 version id (first document of each object only)"
    ),
    field("siem.object.etag", "keyword", "the object's ETag (first document of each object only)"),
    field(
        "siem.object.size",
        "long",
        "the object's size in bytes as stored (first document of each object only)",
    ),
)
"""Not from the record: the loader stamps them (ingest.provenance), not a normalizer."""

CUT_FIELDS: tuple[Field, ...] = (
    field(
        "siem.cut.fields",
        "keyword",
        "the fields whose values were too long to be indexed and were cut to their first 16 KiB "
        '(docs/ingest.md, "Values too long to index")',
    ),
    field("siem.cut.bytes", "long", "how many bytes (UTF-8) the cuts removed in all"),
    field(
        "siem.cut.position",
        "keyword",
        "which record of its object (`siem.object.id`) the document is, to read it whole: `record 12`",
    ),
)
"""Only on the rare documents cut by the loader (normalizers/terms.py)."""

ECS_FIELDS: tuple[Field, ...] = (
    field("@timestamp", "date", 'when the event happened (docs/schema.md, "Time")'),
    field("message", "text", "a human-readable summary of the event"),
    field("tags", "keyword", "labels of the document (`sample` for AWS's sample findings)"),
    field("labels", "flat_object", "custom key/value pairs"),
    field("ecs.version", "keyword", "the ECS version the document follows"),
    field(
        "event.kind",
        "keyword",
        "`event`, `alert` (threat detections) or `state` (posture and control results)",
    ),
    field(
        "event.category",
        "keyword",
        "ECS categories of the event (`iam`, `authentication`, `network`, `threat`...)",
    ),
    field(
        "event.type",
        "keyword",
        "ECS types of the event (`info`, `change`, `creation`, `denied`, `indicator`...)",
    ),
    field("event.action", "keyword", "what was done: an API operation, a flow's verdict, a finding type"),
    field("event.outcome", "keyword", "`success`, `failure` or `unknown`"),
    field("event.id", "keyword", "unique per document"),
    field("event.code", "keyword", "an identification code of the event"),
    field("event.reason", "keyword", "why the event happened"),
    field("event.dataset", "keyword", "the source's data set (`aws.cloudtrail`...)"),
    field("event.module", "keyword", "always `aws`"),
    field("event.provider", "keyword", "the service that produced the event"),
    field("event.ingested", "date", "when the loader processed the record"),
    field("event.created", "date", "when the event was first created"),
    field("event.start", "date", "when the activity started"),
    field("event.end", "date", "when the activity ended"),
    field("event.duration", "long", "how long the activity lasted, in nanoseconds"),
    field("event.severity", "long", "0-100, one scale for every source's findings"),
    field("event.risk_score", "float", "a risk score of the event"),
    field("event.url", "keyword", "where to read about the event"),
    field(
        "event.original",
        "stored",
        "the raw record, only when the loader is asked to keep it; stored, never searched",
    ),
    field("cloud.provider", "keyword", "always `aws`"),
    field(
        "cloud.account.id",
        "keyword",
        'the account where the event happened or the resource lives (docs/schema.md, "Accounts")',
    ),
    field("cloud.account.name", "keyword", "that account's name"),
    field("cloud.region", "keyword", "the region of the event or resource"),
    field("cloud.availability_zone", "keyword", "the availability zone name of the resource"),
    field("cloud.instance.id", "keyword", "the EC2 instance concerned"),
    field("cloud.machine.type", "keyword", "that instance's type"),
    field("cloud.service.name", "keyword", "the cloud service concerned"),
    field("user.id", "keyword", 'the acting principal\'s id (docs/schema.md, "The actor")'),
    field(
        "user.name",
        "keyword",
        'who acted, at the finest grain the record gives (docs/schema.md, "The actor")',
    ),
    field(
        "user.roles",
        "keyword",
        'the role of an assumed-role session (its name; `user.name` is the session\'s) (docs/schema.md, "The actor")',
    ),
    field("user.email", "keyword", "the acting user's e-mail"),
    field("user.domain", "keyword", "the acting user's domain"),
    field("user.group.name", "keyword", "the acting user's groups (a Kubernetes user's)"),
    field(
        "user.effective.name",
        "keyword",
        "the user whose rights the action used (a Kubernetes impersonated user)",
    ),
    field("user.effective.group.name", "keyword", "that user's groups"),
    field("user.target.id", "keyword", "the id of the user acted on"),
    field("user.target.name", "keyword", "the name of the user acted on"),
    field("user.target.roles", "keyword", "the roles acted on (a role changed, assumed)"),
    field("user.changes.name", "keyword", "a user's new name (a rename)"),
    field("group.name", "keyword", "the group acted on"),
    field("group.id", "keyword", "that group's id"),
    field("cloud.target.account.id", "keyword", "the account a call acts on (an organization's member)"),
    field("related.user", "keyword", "every identifier of the actor: one query finds it in every source"),
    field("related.ip", "ip", "every valid IP address of the record"),
    field("related.hosts", "keyword", "instance ids and host names of the record"),
    field("related.hash", "keyword", "hashes of the record"),
    *_endpoint("source"),
    *_endpoint("destination"),
    field(
        "network.transport",
        "keyword",
        "the transport protocol, lower-case IANA keyword (`tcp`, `udp`, `icmp`)",
    ),
    field("network.type", "keyword", "`ipv4` or `ipv6`"),
    field("network.iana_number", "keyword", "the IANA protocol number"),
    field(
        "network.direction",
        "keyword",
        "the traffic's direction (`ingress`, `egress`, `inbound`, `outbound`, `unknown`)",
    ),
    field("network.protocol", "keyword", "the application protocol (`dns`)"),
    field("network.bytes", "long", "bytes of the flow"),
    field("network.packets", "long", "packets of the flow"),
    field("network.community_id", "keyword", "the flow's Community ID"),
    field("user_agent.original", "text", "the client's user agent, as sent"),
    field("user_agent.name", "keyword", "the client's name"),
    field("user_agent.version", "keyword", "the client's version"),
    field("user_agent.device.name", "keyword", "the client's device"),
    field("user_agent.os.name", "keyword", "the client's operating system"),
    field("user_agent.os.version", "keyword", "that operating system's version"),
    field("user_agent.os.full", "keyword", "that operating system's full name"),
    field("error.code", "keyword", "an error code"),
    field("error.message", "text", "an error message"),
    field("host.id", "keyword", "the host's id"),
    field("host.name", "keyword", "the host's name"),
    field("host.hostname", "keyword", "the host's hostname"),
    field("host.ip", "ip", "the host's addresses"),
    field("dns.question.name", "keyword", "the domain name asked"),
    field("url.domain", "keyword", "the URL's domain"),
    field("url.full", "keyword", "the whole URL"),
    field("url.path", "keyword", "the URL's path"),
    field("process.name", "keyword", "the process's name"),
    field("process.executable", "keyword", "the process's executable"),
    field("process.pid", "long", "the process's id"),
    field("process.parent.pid", "long", "its parent process's id"),
    field("process.parent.name", "keyword", "its parent process's name"),
    field("process.parent.executable", "keyword", "its parent process's executable"),
    field("process.command_line", "keyword", "the process's command line"),
    field("process.hash.sha256", "keyword", "the SHA-256 of the process's executable"),
    field("process.working_directory", "keyword", "the process's working directory"),
    field("process.user.name", "keyword", "the operating system user the process runs as"),
    field("process.user.id", "keyword", "that user's id (a numeric uid as text)"),
    field("process.start", "date", "when the process started"),
    field("process.end", "date", "when the process ended"),
    field("file.name", "keyword", "the file's name, without its directory"),
    field("file.path", "keyword", "the file's path"),
    field("file.size", "long", "the file's size in bytes"),
    field("file.hash.md5", "keyword", "the file's MD5"),
    field("file.hash.sha1", "keyword", "the file's SHA-1"),
    field("file.hash.sha256", "keyword", "the file's SHA-256"),
    field("file.hash.sha512", "keyword", "the file's SHA-512"),
    field("container.id", "keyword", "the container's id"),
    field("container.name", "keyword", "the container's name"),
    field("container.runtime", "keyword", "the container's runtime (`docker`, `containerd`)"),
    field("container.image.name", "keyword", "the name of the container's image"),
    field("container.image.tag", "keyword", "the image's tags"),
    field("container.image.hash.all", "keyword", "the image's digests (`sha256:...`)"),
    field("http.request.method", "keyword", "the HTTP request's method, as sent (`GET`, `POST`)"),
    field("threat.indicator.type", "keyword", "the kind of threat indicator"),
    field(
        "aws.s3.bucket.name",
        "keyword",
        'the S3 buckets the record is about: a call acts on, a finding names (docs/schema.md, "Targets")',
    ),
    field("aws.s3.object.key", "keyword", "the S3 object keys the record is about"),
    field("threat.tactic.name", "keyword", "the ATT&CK tactic"),
    field("threat.technique.id", "keyword", "the ATT&CK technique's id"),
    field("threat.technique.name", "keyword", "the ATT&CK technique"),
    *PROVENANCE_FIELDS,
    *CUT_FIELDS,
)
"""ECS fields any source may fill; the cross-source pivots (docs/schema.md) live here."""

FINDING_FIELDS: tuple[Field, ...] = (
    field("rule.id", "keyword", "what detected the finding: a finding type or a control id"),
    field("rule.name", "keyword", "the rule's name"),
    field("rule.category", "keyword", "the rule's category"),
    field("rule.description", "text", "the rule's description"),
    field("rule.ruleset", "keyword", "the rule set"),
    field("rule.reference", "keyword", "where the rule is documented"),
    field("vulnerability.id", "keyword", "CVE ids of the vulnerabilities the finding lists"),
    field("vulnerability.severity", "keyword", "the vulnerability's severity label"),
    field("vulnerability.score.base", "float", "the highest CVSS base score"),
    field("vulnerability.reference", "keyword", "reference URLs of the vulnerabilities"),
    field("vulnerability.description", "text", "the vulnerability's description"),
    field("vulnerability.scanner.vendor", "keyword", "who scanned for it"),
    field("orchestrator.type", "keyword", "the orchestrator of the workload: `kubernetes` (EKS) or `ecs`"),
    field("orchestrator.cluster.name", "keyword", "the cluster's name"),
    field("orchestrator.cluster.id", "keyword", "the cluster's ARN"),
    field("orchestrator.namespace", "keyword", "the Kubernetes namespace of the workload"),
    field("orchestrator.resource.name", "keyword", "the workload (a pod, a deployment) or the ECS task"),
    field("orchestrator.resource.type", "keyword", "the workload's type, as the finding gives it, or `task`"),
    field("threat.software.name", "keyword", "the names of the malware the finding saw"),
    field("threat.software.type", "keyword", "`Malware` (ECS's type of software: `Malware` or `Tool`)"),
    field("dns.question.type", "keyword", "the type of record asked (`A`, `AAAA`, `TXT`)"),
    field("tls.version", "keyword", "the TLS version's number (`1.2`)"),
    field("tls.version_protocol", "keyword", "`tls` or `ssl`"),
    field("tls.cipher", "keyword", "the cipher suite agreed"),
    field("tls.client.server_name", "keyword", "the server name the client asked (SNI)"),
    field("tls.client.ja3", "keyword", "the client's JA3 fingerprint (an MD5)"),
    field("tls.server.ja3s", "keyword", "the server's JA3S fingerprint (an MD5)"),
    field("tls.server.x509.subject.distinguished_name", "keyword", "the server certificate's subject DN"),
    field("tls.server.x509.issuer.distinguished_name", "keyword", "that certificate's issuer DN"),
    field(
        "tls.server.x509.serial_number",
        "keyword",
        "its serial number, upper-case hexadecimal without colons (ECS's form)",
    ),
    field("tls.server.x509.not_before", "date", "when it became valid"),
    field("tls.server.x509.not_after", "date", "when it expires"),
    field("tls.server.x509.version_number", "keyword", "its X.509 version"),
    field("tls.server.hash.md5", "keyword", "its fingerprint: the MD5 of the certificate, upper-case"),
    field("tls.server.hash.sha1", "keyword", "its SHA-1 fingerprint, upper-case"),
    field("tls.server.hash.sha256", "keyword", "its SHA-256 fingerprint, upper-case"),
    field("host.os.name", "keyword", "the host's operating system, without its version"),
    field("host.os.version", "keyword", "that operating system's version"),
    field("host.os.type", "keyword", "its family: `linux`, `macos`, `unix`, `windows`, `ios` or `android`"),
    field(
        "host.mac", "keyword", "the host's MAC addresses, upper-case and dash-separated (`00-1A-2B-3C-4D-5E`)"
    ),
    field(
        "container.security_context.privileged",
        "boolean",
        "the container runs privileged (with the host's root privileges)",
    ),
    field("url.original", "keyword", "the URL as the source saw it, complete or not (a path and query)"),
    field("http.response.status_code", "long", "the HTTP response's status code"),
    field("email.from.address", "keyword", "the sender's addresses"),
    field("email.to.address", "keyword", "the recipients' addresses"),
    field("email.cc.address", "keyword", "the copied recipients' addresses"),
    field("email.subject", "keyword", "the email's subject"),
    field("email.message_id", "keyword", "the email's Message-ID"),
)
"""Fields GuardDuty and Security Hub findings share (docs/schema.md, "Findings")."""

_USER_IDENTITY: tuple[tuple[str, str, str], ...] = (
    ("type", "keyword", "the principal's type (`IAMUser`, `AssumedRole`, `Root`, `AWSService`...)"),
    ("arn", "keyword", "the principal's ARN"),
    ("account_id", "keyword", "the principal's account (another one for cross-account calls)"),
    ("access_key_id", "keyword", "the access key the principal used"),
    (
        "user_name",
        "keyword",
        "the user name when it is not `user.name` (root's account alias, a role session's role)",
    ),
    ("invoked_by", "keyword", "the AWS service that acted for the principal"),
    ("identity_provider", "keyword", "the identity provider of a federated principal"),
    (
        "credential_id",
        "keyword",
        "the bearer token's credential (IAM Identity Center) where there is no access key",
    ),
    ("on_behalf_of.user_id", "keyword", "the IAM Identity Center user the call was made for"),
    ("on_behalf_of.identity_store_arn", "keyword", "that user's identity store"),
    ("session_context.mfa_authenticated", "boolean", "the session was authenticated with MFA"),
    (
        "session_context.creation_date",
        "date",
        "when the temporary credentials were issued (dropped if unparseable)",
    ),
    ("session_context.source_identity", "keyword", "the source identity set on the role session"),
    (
        "session_context.ec2_role_delivery",
        "keyword",
        "`1.0` when an instance's credentials came from IMDSv1 (the one SSRF can steal), `2.0` from IMDSv2",
    ),
    ("session_context.session_issuer.type", "keyword", "what issued the session (`Role`...)"),
    ("session_context.session_issuer.principal_id", "keyword", "the issuer's principal id"),
    ("session_context.session_issuer.arn", "keyword", "the issuer's ARN"),
    ("session_context.session_issuer.account_id", "keyword", "the issuer's account"),
    (
        "session_context.session_issuer.user_name",
        "keyword",
        "the issuer's name when it is not a role (a federated user's IAM user); a role's is `user.roles`",
    ),
)


def user_identity(block: str, raw: Mapping[str, str] | None = None) -> tuple[Field, ...]:
    """``<block>.user_identity.*``, written by :func:`normalizers.ecs.actor.actor_fields`.

    ``raw`` maps a suffix (``arn``, ``session_context.session_issuer.type``) to the raw path
    the source reads it from, for the fields that hold that value as is.
    """
    raw = raw or {}
    return tuple(
        field(f"{block}.user_identity.{suffix}", kind, description, raw.get(suffix))  # type: ignore[arg-type]
        for suffix, kind, description in _USER_IDENTITY
    )


_SEQUENCE: tuple[tuple[str, Kind, str], ...] = (
    ("uid", "keyword", "the attack sequence's id"),
    ("description", "text", "what the sequence is"),
    ("actors.id", "keyword", "each actor's id within the sequence (signals name actors by it)"),
    ("actors.user.name", "keyword", "each actor's user name"),
    ("actors.user.uid", "keyword", "each actor's user id (a principal id)"),
    ("actors.user.type", "keyword", "each actor's type (`IAMUser`, `AssumedRole`...)"),
    ("actors.user.credential_uid", "keyword", "each actor's credential (an access key id)"),
    ("actors.user.account.uid", "keyword", "each actor's account"),
    ("actors.session.uid", "keyword", "each actor's session"),
    ("actors.session.issuer", "keyword", "what issued each actor's session (a role's ARN)"),
    ("actors.session.mfa_status", "keyword", "`ENABLED` or `DISABLED`"),
    ("actors.session.created_time", "date", "when each actor's session was created"),
    ("resources.uid", "keyword", "each resource's id (GuardDuty only: ASFF's are the finding's `Resources`)"),
    ("resources.name", "keyword", "each resource's name"),
    ("resources.type", "keyword", "each resource's type (`EC2_INSTANCE`, `S3_BUCKET`, `ACCESS_KEY`...)"),
    ("resources.account_id", "keyword", "each resource's account"),
    ("resources.region", "keyword", "each resource's region"),
    (
        "signals.uid",
        "keyword",
        "each signal's id: for a `FINDING` signal, the id of the finding it stands for",
    ),
    (
        "signals.type",
        "keyword",
        "`FINDING`, `CLOUD_TRAIL`, `S3_DATA_EVENTS`, `EKS_AUDIT_LOGS`, `FLOW_LOGS`...",
    ),
    ("signals.name", "keyword", "each signal's name (a finding type, an API name)"),
    ("signals.title", "text", "each signal's title (GuardDuty's `description`)"),
    ("signals.first_seen", "date", "when each signal was first seen"),
    ("signals.last_seen", "date", "when each signal was last seen"),
    ("signals.count", "long", "how many times each signal was seen"),
    ("signals.severity", "float", "each signal's severity (GuardDuty's scale)"),
    (
        "indicators.key",
        "keyword",
        "each sequence indicator's kind (`ATTACK_TACTIC`, `HIGH_RISK_API`, `TOR_IP`...)",
    ),
    ("indicators.values", "keyword", "its values (tactics, techniques, API names, addresses)"),
    ("indicators.title", "keyword", "its title"),
)


def sequence_fields(block: str, raw: str) -> tuple[Field, ...]:
    """``<block>.sequence.*``, written by :func:`normalizers.ecs.sequence.sequence_of` from
    ``raw`` (the sequence's path in the finding): at most 50 actors, resources, signals and
    indicators each."""
    return tuple(
        field(f"{block}.sequence.{suffix}", kind, f"{description} (`{raw}`)")
        for suffix, kind, description in _SEQUENCE
    )


def ecs(path: str, description: str, raw: str | None = None) -> Field:
    """A shared field (ECS or findings') as a source fills it: the kind stays the schema's."""
    return refined((*ECS_FIELDS, *FINDING_FIELDS), path, description, raw)
