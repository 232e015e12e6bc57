"""The actor contract (docs/schema.md, "Pivot contract"): who acted, by one rule for every source.

GuardDuty's ``accessKeyDetails`` and Security Hub's ``AwsIamAccessKey``/``AwsIamUser``/
``AwsIamRole`` resources are each mapped onto an :class:`Actor` (CloudTrail's ``userIdentity``
shape); :func:`actor_fields` turns it into ``user.*``, ``related.user`` and
``aws.<source>.user_identity``. CloudTrail builds the same fields from ``userIdentity`` in one
pass, without the object (``normalizers.cloudtrail.actor.identity_fields``: it runs for every
record); a test keeps the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from normalizers.ecs.values import as_text, prune, unique

SESSION_TYPES = ("AssumedRole", "FederatedUser", "AWSAccount")
_INSTANCE_ID = re.compile(r"(?:i|mi)-[0-9a-f]{8}(?:[0-9a-f]{9})?\Z")


def is_instance_id(value: str) -> bool:
    """An EC2 instance id (``i-`` and 8 or 17 lower-case hex digits) or a Systems Manager
    managed node's (``mi-``). The prefix first: most names are no instance's (a role session,
    a user), told apart without the pattern."""
    return value.startswith(_INSTANCE_PREFIXES) and _INSTANCE_ID.match(value) is not None


_INSTANCE_PREFIXES = ("i-", "mi-")


def actor_hosts(user: dict[str, Any]) -> list[str]:
    """``related.hosts`` of an actor: EC2 names an instance's role session after the instance,
    so a role session named like one is that instance acting (with its credentials)."""
    name = user.get("name")
    return [name] if user.get("roles") and isinstance(name, str) and is_instance_id(name) else []


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting principal, as CloudTrail's ``userIdentity`` describes it.

    GuardDuty's ``accessKeyDetails`` and Security Hub's ``AwsIamAccessKey``/``AwsIamUser``/
    ``AwsIamRole`` resources are mapped onto this shape, then :func:`actor_fields` turns it
    into documents fields by a single rule for all sources.
    """

    type: str | None = None
    principal_id: str | None = None
    arn: str | None = None
    account_id: str | None = None
    access_key_id: str | None = None
    user_name: str | None = None
    issuer_type: str | None = None
    issuer_principal_id: str | None = None
    issuer_arn: str | None = None
    issuer_account_id: str | None = None
    issuer_user_name: str | None = None
    mfa_authenticated: bool | None = None
    session_created: str | None = None
    source_identity: str | None = None
    ec2_role_delivery: str | None = None
    """``1.0`` when an instance's credentials came from IMDSv1 (the one SSRF can steal)."""
    invoked_by: str | None = None
    identity_provider: str | None = None
    credential_id: str | None = None
    """A bearer token's credential (IAM Identity Center), where an access key would be."""
    on_behalf_of: str | None = None
    """The IAM Identity Center user the call was made for (``onBehalfOf.userId``)."""
    identity_store_arn: str | None = None
    """That user's identity store (``onBehalfOf.identityStoreArn``)."""

    @property
    def session_name(self) -> str | None:
        """The role session or federated user name, for temporary credentials."""
        arn = self.arn or ""
        if ":assumed-role/" in arn:
            return arn.rsplit("/", 1)[-1] or None
        if ":federated-user/" in arn:
            return arn.rsplit("/", 1)[-1] or None
        # AWSAccount: a role session of another account calling into this one (AROA...:session).
        if self.type in SESSION_TYPES and self.principal_id and ":" in self.principal_id:
            return self.principal_id.split(":", 1)[1] or None
        return None

    @property
    def issuer_name(self) -> str | None:
        """The role (or user) that issued the session."""
        if self.issuer_user_name:
            return self.issuer_user_name
        arn = self.arn or ""
        if ":assumed-role/" in arn:
            parts = arn.split(":assumed-role/", 1)[1].split("/")
            return parts[0] if len(parts) >= 2 else None
        return None

    @property
    def role_name(self) -> str | None:
        """``user.roles``: the role an assumed-role session belongs to."""
        if self.type == "AssumedRole" or self.issuer_type == "Role":
            return self.issuer_name
        return None

    @property
    def name(self) -> str | None:
        """``user.name``: who acted, at the finest grain the record gives."""
        if self.type == "Root":
            return "root"
        if self.type in SESSION_TYPES:
            return self.session_name or self.user_name or self.invoked_by
        if self.user_name:
            return self.user_name
        if self.type == "IAMUser" and self.arn and ":user/" in self.arn:
            return self.arn.rsplit("/", 1)[-1]
        # An AWS service acting for the account (AWSService, or a service event): the service.
        return self.invoked_by


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def actor_fields(actor: Actor) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """Return ``(user, related_users, user_identity)`` for a document.

    - ``user``: ECS ``user.name``, ``user.id`` (principal id) and, for a role session,
      ``user.roles`` (the role's name, which ``session_issuer.user_name`` then leaves out).
    - ``related_users``: every identifier of the principal (docs/schema.md).
    - ``user_identity``: the block stored under ``aws.<source>.user_identity``. It leaves out
      what ``user`` and ``related.user`` already hold (principal id, session name, and the
      user name when it is ``user.name``): every
      byte is paid for once per document, and CloudTrail documents must stay within 1.3x
      of the raw record.
    """
    access_key_id = _clean(actor.access_key_id)
    credential_id = _clean(actor.credential_id)
    user: dict[str, Any] = {}
    name = actor.name
    if name:
        user["name"] = name
    if actor.principal_id:
        user["id"] = actor.principal_id
    role = actor.role_name
    if role:
        user["roles"] = [role]
    related = unique(
        (
            actor.user_name,
            name if name != "root" else None,
            actor.principal_id,
            access_key_id,
            actor.arn,
            actor.session_name,
            actor.issuer_name,
            # The person a chain of role sessions started from (role chaining keeps it).
            actor.source_identity,
            credential_id,
            actor.on_behalf_of,
        )
    )
    issuer = {
        "type": actor.issuer_type,
        "principal_id": actor.issuer_principal_id,
        "arn": actor.issuer_arn,
        "account_id": actor.issuer_account_id,
        # A role's name is user.roles; another issuer's (a federated user's IAM user) stays here.
        "user_name": actor.issuer_name if (actor.issuer_user_name or actor.issuer_arn) and not role else None,
    }
    session_context = {
        "mfa_authenticated": actor.mfa_authenticated,
        "creation_date": actor.session_created,
        "source_identity": actor.source_identity,
        "ec2_role_delivery": actor.ec2_role_delivery,
        "session_issuer": issuer,
    }
    identity = prune(
        {
            "type": actor.type,
            "arn": actor.arn,
            "account_id": actor.account_id,
            "access_key_id": access_key_id,
            "user_name": actor.user_name if actor.user_name != name else None,
            "invoked_by": actor.invoked_by,
            "identity_provider": actor.identity_provider,
            "credential_id": credential_id,
            "on_behalf_of": {"user_id": actor.on_behalf_of, "identity_store_arn": actor.identity_store_arn},
            "session_context": session_context,
        }
    )
    return user, related, identity


def access_key_actor(
    *,
    access_key_id: str | None,
    principal_id: str | None,
    user_name: str | None,
    user_type: str | None,
    account_id: str | None,
    issuer: dict[str, Any] | None = None,
    mfa_authenticated: bool | None = None,
    session_created: str | None = None,
) -> Actor:
    """The principal behind an access key, as GuardDuty (``accessKeyDetails``) and Security
    Hub (``AwsIamAccessKey``, which GuardDuty fills from the same values) describe it.

    Both give one ``userName``/``PrincipalName``: the user's name for an IAM user, but the
    *role's* name for an assumed role, so it goes where CloudTrail has it: the session
    issuer. The root user has no user name in CloudTrail, and gets none here.
    """
    issuer = issuer or {}
    issuer_user_name = as_text(issuer.get("UserName"))
    name = user_name
    if user_type in ("AssumedRole", "FederatedUser"):
        issuer_user_name = issuer_user_name or (user_name if user_type == "AssumedRole" else None)
        name = None
    elif user_type == "Root":
        name = None
    return Actor(
        type=user_type,
        principal_id=principal_id,
        account_id=account_id,
        access_key_id=access_key_id,
        user_name=name,
        issuer_type=as_text(issuer.get("Type")) or ("Role" if issuer_user_name else None),
        issuer_principal_id=as_text(issuer.get("PrincipalId")),
        issuer_arn=as_text(issuer.get("Arn")),
        issuer_account_id=as_text(issuer.get("AccountId")),
        issuer_user_name=issuer_user_name,
        mfa_authenticated=mfa_authenticated,
        session_created=session_created,
    )
