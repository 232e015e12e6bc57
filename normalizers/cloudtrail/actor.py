"""The actor of a CloudTrail record: ``userIdentity`` -> the shared actor contract."""

from __future__ import annotations

from typing import Any

import orjson

from normalizers.cloudtrail.tables import HIDDEN_USER_NAME, IDENTITY_CENTER_USER
from normalizers.ecs.actor import Actor, actor_fields
from normalizers.ecs.getters import nullable_obj, optional_str
from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import as_bool


class ActorCache:
    """``actor_fields`` per distinct ``userIdentity``: a file's records come from few principals.

    Entries are stored as JSON and decoded per document, so no two documents share a mutable
    object; decoding a few hundred bytes costs far less than rebuilding the actor. They are
    stored as exact-size copies: ``orjson.dumps`` returns its bytes in a buffer of at least
    4 KiB, which a full cache would hold some 8,000 times.
    """

    MAX_ENTRIES = 1024

    def __init__(self) -> None:
        self._entries: dict[bytes, bytes] = {}

    def fields(
        self, identity: dict[str, Any], signed_in_as: str | None = None
    ) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        key = orjson.dumps(identity)
        if signed_in_as is not None:
            key += b"\0" + signed_in_as.encode("utf-8", "surrogatepass")
        cached = self._entries.get(key)
        if cached is None:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            fields = actor_fields(identity_actor(identity, signed_in_as))
            self._entries[_exact(key)] = _exact(orjson.dumps(fields))
            return fields  # built for this document alone: the cache keeps only its JSON
        user, related, user_identity = orjson.loads(cached)
        return user, related, user_identity


def _exact(data: bytes) -> bytes:
    """A copy of ``data`` in a buffer of its own size."""
    return bytes(memoryview(data))


def identity_actor(identity: dict[str, Any], signed_in_as: str | None = None) -> Actor:
    """``userIdentity`` -> :class:`Actor` (the shared actor contract, docs/schema.md).

    ``signed_in_as`` is the name a sign-in event gives outside ``userIdentity``
    (``additionalEventData.UserName`` of IAM Identity Center sign-ins): the user's name when
    ``userIdentity`` has none. An IAM Identity Center user (``IdentityCenterUser``) has no
    principal id: its identity store user id (``onBehalfOf.userId``) is its ``user.id``.
    """
    session = nullable_obj(identity, "sessionContext")
    issuer = nullable_obj(session, "sessionIssuer")
    attributes = nullable_obj(session, "attributes")
    web = nullable_obj(session, "webIdFederationData") or nullable_obj(identity, "webIdFederationData")
    user_name = optional_str(identity, "userName")
    if user_name == HIDDEN_USER_NAME:
        user_name = None
    if user_name is None and signed_in_as != HIDDEN_USER_NAME:
        user_name = signed_in_as
    kind = optional_str(identity, "type")
    on_behalf_of = nullable_obj(identity, "onBehalfOf")
    behalf_user = optional_str(on_behalf_of, "userId")
    return Actor(
        type=kind,
        principal_id=optional_str(identity, "principalId")
        or (behalf_user if kind == IDENTITY_CENTER_USER else None),
        arn=optional_str(identity, "arn"),
        account_id=optional_str(identity, "accountId"),
        access_key_id=optional_str(identity, "accessKeyId"),
        user_name=user_name,
        issuer_type=optional_str(issuer, "type"),
        issuer_principal_id=optional_str(issuer, "principalId"),
        issuer_arn=optional_str(issuer, "arn"),
        issuer_account_id=optional_str(issuer, "accountId"),
        issuer_user_name=optional_str(issuer, "userName"),
        mfa_authenticated=as_bool(attributes.get("mfaAuthenticated")) if attributes else None,
        session_created=optional_time(attributes.get("creationDate")) if attributes else None,
        source_identity=optional_str(session, "sourceIdentity"),
        ec2_role_delivery=optional_str(session, "ec2RoleDelivery"),
        invoked_by=optional_str(identity, "invokedBy"),
        identity_provider=optional_str(identity, "identityProvider")
        or optional_str(web, "federatedProvider"),
        credential_id=optional_str(identity, "credentialId"),
        on_behalf_of=behalf_user,
        identity_store_arn=optional_str(on_behalf_of, "identityStoreArn"),
    )
