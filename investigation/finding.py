"""The finding under investigation and the join keys it gives to pivot into CloudTrail."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from investigation import fields as f
from investigation.chain import Link
from investigation.controls import account_of, is_account_control, security_control
from investigation.documents import first, identity_of, obj, objects, text, values
from investigation.network import is_external, is_ip
from investigation.times import normalized
from normalizers.ecs.sequence import finding_ids

Mode = Literal["credential", "ip", "resource", "account", "none"]

# Where a finding names the API calls it saw (GuardDuty awsApiCallAction, and the same
# action imported into Security Hub).
_API_CALL_PATHS = (
    "aws.guardduty.service.action.aws_api_call_action.api",
    "aws.securityhub_findings.action.aws_api_call_action.api",
)
# Where a finding names the resources it is about, besides Security Hub's Resources list.
_RESOURCE_ID_PATHS = ("cloud.instance.id", "related.hosts")
_RESOURCE_ARN_PATHS = ("aws.guardduty.resource.s3_bucket_details.arn",)
# The resources an API call finding says the call affected (``AwsApiCallAction.AffectedResources``:
# resource type -> ARN, e.g. ``{"AWS::IAM::Role": "arn:aws:iam::...:role/x"}``), kept whole.
_AFFECTED_RESOURCES_PATHS = (
    "aws.guardduty.service.action.aws_api_call_action.affected_resources",
    "aws.securityhub_findings.action.aws_api_call_action.affected_resources",
)
_RESOURCE_NAME_PATHS = ("aws.guardduty.resource.s3_bucket_details.name",)
# The workload a finding names (docs/sources/guardduty.md, "Containers and clusters",
# "Kubernetes API calls"): shown as the fields to query, so the analyst pivots on them.
WORKLOAD_FIELDS = (
    "orchestrator.type",
    "orchestrator.cluster.name",
    "orchestrator.namespace",
    "orchestrator.resource.type",
    "orchestrator.resource.name",
    "container.name",
    "container.image.name",
    "container.security_context.privileged",
)


@dataclass(frozen=True, slots=True)
class JoinKeys:
    """Every value of the finding that can be looked up in CloudTrail."""

    access_key_ids: tuple[str, ...] = ()
    principal_ids: tuple[str, ...] = ()
    arns: tuple[str, ...] = ()
    session_names: tuple[str, ...] = ()
    session_issuers: tuple[str, ...] = ()
    user_names: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    api_calls: tuple[str, ...] = ()
    resource_arns: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()
    signal_findings: tuple[str, ...] = ()
    """The findings an attack sequence's signals stand for (ids or ARNs)."""

    @property
    def has_identity(self) -> bool:
        return bool(self.access_key_ids or self.principal_ids or self.arns or self.user_names)

    @property
    def has_resource(self) -> bool:
        return bool(self.resource_arns or self.resource_ids)

    def to_dict(self) -> dict[str, list[str]]:
        return {item.name: list(getattr(self, item.name)) for item in fields(self)}


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    source: str
    """``guardduty``, ``securityhub``, or ``config`` (a Config rule's verdict)."""
    kind: str | None
    title: str | None
    type: str | None
    severity: float | None
    severity_label: str | None
    account_id: str | None
    region: str | None
    first_observed: str
    last_observed: str
    updated: str | None
    arn: str | None = None
    keys: JoinKeys = field(default_factory=JoinKeys)
    identity: dict[str, Any] = field(default_factory=dict)
    """The finding's ``user_identity`` block (empty when it names no actor)."""
    actors: tuple[Link, ...] = ()
    """An attack sequence's actors, one link per actor (docs/schema.md, "Attack sequences")."""
    sample: bool = False
    """A sample finding (GuardDuty ``CreateSampleFindings``, Security Hub ``Sample``), not a real one."""
    control: str | None = None
    """The security control a control finding checks (:func:`investigation.controls.security_control`
    of its type: ``IAM.7`` for AFSBP's ``.../IAM.7``, ``IAM.6`` for CIS 1.2.0's rule 1.14)."""
    workload: tuple[tuple[str, str], ...] = ()
    """``(field, value)`` of :data:`WORKLOAD_FIELDS` the finding fills: its cluster, Kubernetes
    namespace and object, container."""

    @property
    def mode(self) -> Mode:
        """What the investigation pivots on.

        A posture or control result (``event.kind: state``) is about its resource even when
        that resource is an IAM principal, so the question is "who changed it"; a control on the
        account itself (root user, password policy...) is about the root user's activity or the
        calls that change that setting (:mod:`investigation.controls`); a threat
        finding is about its actor, then its remote address, then its resource.
        """
        keys = self.keys
        if self.kind == "state" and account_of(keys.resource_ids) and is_account_control(self.control):
            return "account"
        if self.kind == "state" and keys.has_resource:
            return "resource"
        if keys.has_identity:
            return "credential"
        if keys.ips:
            return "ip"
        if keys.has_resource:
            return "resource"
        return "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "arn": self.arn,
            "source": self.source,
            "kind": self.kind,
            "title": self.title,
            "type": self.type,
            "control": self.control,
            "severity": self.severity,
            "severity_label": self.severity_label,
            "account_id": self.account_id,
            "region": self.region,
            "first_observed": self.first_observed,
            "last_observed": self.last_observed,
            "updated": self.updated,
            "mode": self.mode,
            "sample": self.sample,
            "workload": dict(self.workload),
            "keys": self.keys.to_dict(),
        }


SAMPLE_TAG = "sample"
"""The normalizers tag a sample finding so (GuardDuty ``sample``, Security Hub ``Sample``)."""


def is_sample(document: dict[str, Any]) -> bool:
    return SAMPLE_TAG in values(document, "tags")


def source_of(document: dict[str, Any]) -> str | None:
    if first(document, f.GUARDDUTY_ID) or first(document, f.GUARDDUTY_ARN):
        return "guardduty"
    if first(document, f.SECURITYHUB_ID):
        return "securityhub"
    if first(document, f.CONFIG_VERDICT):
        return "config"
    return None


def pick(documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The document to investigate among a finding's matches (newest first).

    The native GuardDuty document wins over its Security Hub import: it carries the
    finding's full detail; otherwise the newest update wins.
    """
    native = [doc for doc in documents if source_of(doc) == "guardduty"]
    candidates = native or documents
    return candidates[0] if candidates else None


def from_document(
    document: dict[str, Any], first_observed: str | None = None, last_observed: str | None = None
) -> Finding:
    """Build the :class:`Finding` from its newest document.

    ``first_observed``/``last_observed`` widen the times to cover every update of the
    finding (each update is its own document).
    """
    source = source_of(document) or "unknown"
    block = f.BLOCKS.get(source, "aws")
    updated = text(document, f.TIMESTAMP)
    start = text(document, f.FIRST_OBSERVED) or text(document, f.CREATED) or updated or ""
    end = text(document, f.LAST_OBSERVED) or updated or start
    severity = first(document, "event.severity")
    finding_type = (
        (text(document, "rule.name") if source == "config" else None)
        or text(document, "rule.id")
        or text(document, f.ACTION)
    )
    return Finding(
        # A Config rule's verdict has no finding id: its document's id names it.
        id=text(document, f"{block}.id")
        or (text(document, "event.id") if source == "config" else None)
        or "",
        arn=text(document, f.GUARDDUTY_ARN) if source == "guardduty" else None,
        source=source,
        kind=text(document, "event.kind"),
        title=text(document, "message") or text(document, "rule.name"),
        type=finding_type,
        control=security_control(finding_type) if source == "securityhub" else None,
        severity=float(severity) if isinstance(severity, int | float) else None,
        severity_label=text(document, f"{block}.severity.label"),
        account_id=text(document, f.ACCOUNT),
        region=text(document, f.REGION),
        first_observed=min(_times(first_observed, start)),
        last_observed=max(_times(last_observed, end)),
        updated=updated,
        keys=join_keys(document, block),
        identity=identity_of(document, block),
        actors=sequence_actors(document, block, text(document, f.ACCOUNT)),
        sample=is_sample(document),
        workload=workload_of(document),
    )


def workload_of(document: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The :data:`WORKLOAD_FIELDS` the document fills, as text (``true``/``false`` for a flag)."""
    found = ((name, first(document, name)) for name in WORKLOAD_FIELDS)
    return tuple((name, _shown(value)) for name, value in found if value is not None)


def _shown(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _times(*candidates: str | None) -> list[str]:
    """The candidates that are times, in one comparable form (or the epoch, if none is)."""
    found = [moment for moment in map(normalized, candidates) if moment]
    return found or ["1970-01-01T00:00:00.000Z"]


def join_keys(document: dict[str, Any], block: str) -> JoinKeys:
    """The finding's own actor, and every actor of an attack sequence (its summary,
    ``<block>.sequence``: docs/schema.md, "Attack sequences")."""
    identity = f"{block}.user_identity"
    issuer = f"{identity}.session_context.session_issuer"
    actor = f"{block}.sequence.actors"
    resource_arns, resource_ids = _resources(document, block)
    return JoinKeys(
        access_key_ids=_strings(document, f"{identity}.access_key_id", f"{actor}.user.credential_uid"),
        principal_ids=_strings(document, "user.id", f"{actor}.user.uid"),
        arns=_strings(document, f"{identity}.arn"),
        session_names=_session_names(document, block),
        session_issuers=_strings(
            document, f"{issuer}.arn", "user.roles", f"{issuer}.user_name", f"{actor}.session.issuer"
        ),
        user_names=_strings(document, f"{identity}.user_name", "user.name", f"{actor}.user.name"),
        ips=_ips(document),
        api_calls=_strings(document, *_API_CALL_PATHS),
        resource_arns=resource_arns,
        resource_ids=resource_ids,
        account_ids=_strings(document, f.ACCOUNT, f"{identity}.account_id"),
        signal_findings=tuple(dict.fromkeys(finding_ids(obj(document, f"{block}.sequence")))),
    )


def sequence_actors(document: dict[str, Any], block: str, account: str | None) -> tuple[Link, ...]:
    """An attack sequence's actors as chain links: each credential is followed to its origin."""
    return tuple(
        Link(
            arn=None,
            type=text(actor, "user.type"),
            account_id=text(actor, "user.account.uid") or account,
            access_key_id=text(actor, "user.credential_uid"),
            principal_id=text(actor, "user.uid"),
            name=text(actor, "user.name"),
        )
        for actor in objects(document, f"{block}.sequence.actors")
    )


def _strings(document: dict[str, Any], *paths: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for path in paths:
        for value in values(document, path):
            if isinstance(value, str) and value.strip():
                seen.setdefault(value.strip(), None)
    return tuple(seen)


def _ips(document: dict[str, Any]) -> tuple[str, ...]:
    """The actor's address: the finding's remote address, else the outside addresses it names.

    ``related.ip`` also holds the victim's own addresses (an instance's private and public
    IPs), which would pivot onto the victim's traffic rather than the actor's; they are only
    a fallback, and never the internal ones.
    """
    source = [ip for ip in _strings(document, f.SOURCE_IP) if is_ip(ip)]
    return tuple(source) or tuple(ip for ip in _strings(document, f.RELATED_IP) if is_external(ip))


def _resources(document: dict[str, Any], block: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids = list(
        _strings(
            document,
            f"{f.SECURITYHUB_RESOURCES}.id",
            *_RESOURCE_ARN_PATHS,
            f"{block}.sequence.resources.uid",
            f"{block}.evaluated_resource.id",
        )
    )
    ids += _affected_resources(document)
    arns = [value for value in ids if value.startswith("arn:")]
    short = [value for value in ids if not value.startswith("arn:")]
    short += [name for name in (resource_name(arn) for arn in arns) if name]
    short += list(_strings(document, *_RESOURCE_ID_PATHS, *_RESOURCE_NAME_PATHS))
    return tuple(dict.fromkeys(arns)), tuple(dict.fromkeys(short))


def _affected_resources(document: dict[str, Any]) -> list[str]:
    """The values of the API call's ``AffectedResources`` map (its keys are resource types)."""
    return [
        value.strip()
        for path in _AFFECTED_RESOURCES_PATHS
        for resources in objects(document, path)
        for value in resources.values()
        if isinstance(value, str) and value.strip()
    ]


def resource_name(arn: str) -> str | None:
    """The id a CloudTrail request names a resource by, from its ARN.

    ``arn:aws:s3:::my-bucket`` -> ``my-bucket``; ``...:security-group/sg-1`` -> ``sg-1``;
    ``arn:aws:iam::1:user/path/alice`` -> ``alice``.
    """
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5]:
        return None
    resource = parts[5]
    if parts[2] == "s3":
        return resource.split("/", 1)[0] or None
    return resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or None


def _session_names(document: dict[str, Any], block: str) -> tuple[str, ...]:
    session = identity_of(document, block).get("session_name")
    return (session,) if session else ()
