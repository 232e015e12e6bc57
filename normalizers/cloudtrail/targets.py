"""What a CloudTrail call acts on, as ECS fields: one table, data not code per API
(docs/schema.md, "Targets").

Each row says: for calls of this service (and this operation, or ``*`` for all of the
service's), the value at this path of the record goes to this field. A path walks objects
by name and lists element by element (``requestParameters.instancesSet.items.instanceId``).
A value is taken as the row's kind says: a name as it is, a role from its ARN, an instance id
only when it is one. Nothing is written that the record does not hold, and each value is
written once: in its ECS target field, or, where ECS has none (an issued credential, an
instance), in ``related.*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from normalizers.cloudtrail.tables import S3_SOURCES
from normalizers.ecs.actor import is_instance_id
from normalizers.ecs.values import unique


def _text(value: str) -> str | None:
    return value


def _role_name(value: str) -> str | None:
    """``arn:aws:iam::111122223333:role/path/Name`` -> ``Name``; a bare name stays."""
    if value.startswith("arn:"):
        resource = value.split(":", 5)[-1]
        return resource.rsplit("/", 1)[-1] if resource.startswith("role/") else None
    return value


def _session_name(value: str) -> str | None:
    """``arn:aws:sts::111122223333:assumed-role/Role/session`` -> ``session``."""
    return value.rsplit("/", 1)[-1] if ":assumed-role/" in value else None


def _instance_id(value: str) -> str | None:
    return value if is_instance_id(value) else None


@dataclass(frozen=True, slots=True)
class Target:
    path: str
    """Dotted path in the record; lists are walked element by element."""
    field: str
    """Where the value goes (one of :data:`FIELDS`)."""
    take: Callable[[str], str | None] = _text
    """How a string at ``path`` becomes the field's value (``None``: not one)."""
    parts: tuple[str, ...] = ()
    """``path`` split at its dots."""


def _row(path: str, field: str, take: Callable[[str], str | None] = _text) -> Target:
    return Target(path, field, take, tuple(path.split(".")))


FIELDS = (
    "user.target.name",
    "user.target.id",
    "user.target.roles",
    "user.changes.name",
    "group.name",
    "group.id",
    "aws.s3.bucket.name",
    "aws.s3.object.key",
    "cloud.target.account.id",
    "related.hosts",
    "related.user",
)
"""Every field a target may go to."""

_REQUEST, _RESPONSE = "requestParameters", "responseElements"

# An STS call that issues credentials: the new session (its name, role or federated user),
# the issued access key id and the session's ARN (issue 12, deliverable 5).
_ROLE_SESSION = (
    _row(f"{_RESPONSE}.assumedRoleUser.arn", "user.target.name", _session_name),
    _row(f"{_REQUEST}.roleSessionName", "user.target.name"),
    # EC2 names an instance's role session after the instance.
    _row(f"{_REQUEST}.roleSessionName", "related.hosts", _instance_id),
    _row(f"{_RESPONSE}.credentials.accessKeyId", "related.user"),
    _row(f"{_RESPONSE}.assumedRoleUser.arn", "related.user"),
)
_INSTANCES = (
    _row(f"{_REQUEST}.instanceId", "related.hosts", _instance_id),
    _row(f"{_REQUEST}.instancesSet.items.instanceId", "related.hosts", _instance_id),
    _row(f"{_RESPONSE}.instancesSet.items.instanceId", "related.hosts", _instance_id),
)

TARGETS: dict[tuple[str, str], tuple[Target, ...]] = {
    # IAM: users, groups, roles and access keys, whatever the operation (CreateUser,
    # AttachUserPolicy, AddUserToGroup, UpdateAssumeRolePolicy, CreateAccessKey...).
    ("iam.amazonaws.com", "*"): (
        _row(f"{_REQUEST}.userName", "user.target.name"),
        _row(f"{_RESPONSE}.user.userId", "user.target.id"),
        _row(f"{_REQUEST}.newUserName", "user.changes.name"),
        _row(f"{_REQUEST}.roleName", "user.target.roles"),
        _row(f"{_REQUEST}.groupName", "group.name"),
        _row(f"{_RESPONSE}.group.groupId", "group.id"),
        _row(f"{_REQUEST}.accessKeyId", "related.user"),
    ),
    # CreateAccessKey without userName creates the caller's own key: the response names the user.
    ("iam.amazonaws.com", "CreateAccessKey"): (
        _row(f"{_RESPONSE}.accessKey.userName", "user.target.name"),
        _row(f"{_RESPONSE}.accessKey.accessKeyId", "related.user"),
    ),
    ("sts.amazonaws.com", "AssumeRole"): _ROLE_SESSION,
    ("sts.amazonaws.com", "AssumeRoleWithSAML"): _ROLE_SESSION,
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity"): _ROLE_SESSION,
    ("sts.amazonaws.com", "GetFederationToken"): (
        _row(f"{_REQUEST}.name", "user.target.name"),
        _row(f"{_RESPONSE}.credentials.accessKeyId", "related.user"),
        _row(f"{_RESPONSE}.federatedUser.arn", "related.user"),
    ),
    # The session token is the caller's own: the caller is its identity.
    ("sts.amazonaws.com", "GetSessionToken"): (
        _row("userIdentity.userName", "user.target.name"),
        _row(f"{_RESPONSE}.credentials.accessKeyId", "related.user"),
    ),
    ("sts.amazonaws.com", "AssumeRoot"): (
        _row(f"{_REQUEST}.targetPrincipal", "cloud.target.account.id"),
        _row(f"{_RESPONSE}.credentials.accessKeyId", "related.user"),
    ),
    # EC2: the instances a call names or launches (RunInstances, Start/Stop/TerminateInstances,
    # ModifyInstanceAttribute, GetPasswordData, CreateTags on an instance...). Search filters
    # of Describe calls are not targets.
    ("ec2.amazonaws.com", "*"): (
        *_INSTANCES,
        _row(f"{_REQUEST}.resourcesSet.items.resourceId", "related.hosts", _instance_id),
    ),
    ("ec2-instance-connect.amazonaws.com", "*"): _INSTANCES,
    # Systems Manager: the instances a command or a session runs on.
    ("ssm.amazonaws.com", "StartSession"): (_row(f"{_REQUEST}.target", "related.hosts", _instance_id),),
    ("ssm.amazonaws.com", "SendCommand"): (
        _row(f"{_REQUEST}.instanceIds", "related.hosts", _instance_id),
        _row(f"{_REQUEST}.targets.values", "related.hosts", _instance_id),
    ),
    ("ssm.amazonaws.com", "GetCommandInvocation"): (
        _row(f"{_REQUEST}.instanceId", "related.hosts", _instance_id),
    ),
    # S3 (on Outposts and Express One Zone too): the bucket and object of every call.
    **dict.fromkeys(
        ((source, "*") for source in S3_SOURCES),
        (
            _row(f"{_REQUEST}.bucketName", "aws.s3.bucket.name"),
            _row(f"{_REQUEST}.key", "aws.s3.object.key"),
        ),
    ),
    # Organizations: the member account a call moves, removes, closes or invites.
    ("organizations.amazonaws.com", "*"): (
        _row(f"{_REQUEST}.accountId", "cloud.target.account.id"),
        _row(f"{_REQUEST}.target.id", "cloud.target.account.id"),
        _row(f"{_RESPONSE}.createAccountStatus.accountId", "cloud.target.account.id"),
    ),
}
"""``(eventSource, eventName or "*") -> targets``. KMS keys, secrets, parameters, functions and
database instances have no ECS field: they stay in ``request_parameters`` (and CloudTrail's
``resources``), where the investigation and the rules read them (docs/schema.md, "Targets")."""


@lru_cache(maxsize=4096)
def targets_of(provider: str, action: str) -> tuple[Target, ...]:
    """The rows for one operation: its service's ``*`` rows, then its own."""
    return TARGETS.get((provider, "*"), ()) + TARGETS.get((provider, action), ())


def target_values(record: dict[str, Any], rows: tuple[Target, ...]) -> dict[str, list[str]]:
    """``{field: values}`` of the record, each value once, in the table's order."""
    found: dict[str, list[str]] = {}
    for row in rows:
        # The first two steps of _collect inlined: most rows name a member the record does
        # not have (an operation's other parameters), found absent here without a call.
        parts = row.parts
        node = record.get(parts[0])
        if node is None:
            continue
        depth = 1
        if node.__class__ is dict and len(parts) > 1:
            node = node.get(parts[1])
            if node is None:
                continue
            depth = 2
        strings: list[str] | tuple[str]
        if depth == len(parts) and node.__class__ is str:  # a string member: _collect's end, inline
            if not node:
                continue
            strings = (node,)
        else:
            strings = []
            _collect(node, parts, depth, strings)
        # A loop rather than a comprehension (a frame of its own in this Python), and no call
        # for the rows that take a value as it is.
        take = row.take
        values = []
        for value in strings:
            taken = value if take is _text else take(value)
            if taken:
                values.append(taken)
        if values:
            known = found.get(row.field)
            if known is not None:
                values = [*known, *values]
            # One value (most rows) is already each value once.
            found[row.field] = values if len(values) == 1 else unique(values)
    return found


def _collect(node: Any, parts: tuple[str, ...], depth: int, out: list[str]) -> None:
    """Append the non-empty strings at ``parts[depth:]`` under ``node``, lists walked element
    by element (a list, not a generator: this runs for most records)."""
    while True:
        if node.__class__ is list:
            for item in node:
                _collect(item, parts, depth, out)
            return
        if depth == len(parts):
            if node.__class__ is str and node:
                out.append(node)
            return
        if node.__class__ is not dict:
            return
        node = node.get(parts[depth])
        depth += 1
