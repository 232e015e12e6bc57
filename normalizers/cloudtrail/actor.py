"""The actor of a CloudTrail record: ``userIdentity`` -> the shared actor contract."""

from __future__ import annotations

from typing import Any

import orjson

from normalizers.cloudtrail.tables import HIDDEN_USER_NAME
from normalizers.ecs.actor import Actor, actor_fields
from normalizers.ecs.getters import nullable_obj, optional_str
from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import as_bool


class ActorCache:
    """``actor_fields`` per distinct ``userIdentity``: a file's records come from few principals.

    Entries are stored as JSON and decoded per document, so no two documents share a mutable
    object; decoding a few hundred bytes costs far less than rebuilding the actor.
    """

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._entries: dict[bytes, bytes] = {}

    def fields(self, identity: dict[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        key = orjson.dumps(identity)
        cached = self._entries.get(key)
        if cached is None:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            cached = self._entries[key] = orjson.dumps(actor_fields(identity_actor(identity)))
        user, related, user_identity = orjson.loads(cached)
        return user, related, user_identity


def identity_actor(identity: dict[str, Any]) -> Actor:
    """``userIdentity`` -> :class:`Actor` (the shared actor contract, docs/schema.md)."""
    session = nullable_obj(identity, "sessionContext")
    issuer = nullable_obj(session, "sessionIssuer")
    attributes = nullable_obj(session, "attributes")
    web = nullable_obj(session, "webIdFederationData") or nullable_obj(identity, "webIdFederationData")
    user_name = optional_str(identity, "userName")
    return Actor(
        type=optional_str(identity, "type"),
        principal_id=optional_str(identity, "principalId"),
        arn=optional_str(identity, "arn"),
        account_id=optional_str(identity, "accountId"),
        access_key_id=optional_str(identity, "accessKeyId"),
        user_name=None if user_name == HIDDEN_USER_NAME else user_name,
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
    )
