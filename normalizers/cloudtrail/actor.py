"""The actor of a CloudTrail record: ``userIdentity`` -> the shared actor contract."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import orjson

from normalizers.cloudtrail.tables import (
    HIDDEN_USER_NAME,
    IDENTITY_CENTER_USER,
    IN_SCOPE_OF_FIELDS,
    WEB_IDENTITY_SUBJECTS,
)
from normalizers.ecs.actor import SESSION_TYPES, actor_hosts
from normalizers.ecs.bounded import bounded_string_members
from normalizers.ecs.getters import nullable_obj, optional_str
from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import as_bool, unique

ActorFields = tuple[dict[str, Any], list[str], dict[str, Any]]
"""``(user, related_users, user_identity)``."""
Parties = tuple[dict[str, Any], list[str], dict[str, Any], tuple[str, ...]]
"""``(user, related_users, user_identity, related_hosts)``: what a record's ``userIdentity``
gives its document, :func:`identity_parties` (the hosts a tuple: the cache shares it)."""


class ActorCache:
    """:func:`identity_parties` per distinct ``userIdentity``: a file's records come from few
    principals. The whole of it (the actor, ``in_scope_of``, the web identity's claims, the
    instance acting), all of which a ``userIdentity`` alone gives: the key is all of it.

    No two documents share a mutable object. An entry is first stored as JSON (exact-size
    copies: ``orjson.dumps`` returns its bytes in a buffer of at least 4 KiB, which a full
    cache would hold some 8,000 times); at its first hit, the identity repeating, it is
    decoded once and kept as objects with a copier of their shape, and each document gets a
    copy of those (a few ``dict.copy`` calls: far less than rebuilding the actor, and half the
    cost of decoding it again; the strings are immutable and shared). Documents are changed
    after they are built (``user.target``, the enrichment's account names in
    ``user_identity``), so the copies reach every object and list.

    Bounded whatever an identity holds: at most :attr:`MAX_ENTRIES` identities, each of at most
    :attr:`MAX_KEY_BYTES` of JSON (a larger one, which an attacker may write, is built for its
    document and never kept).

    A miss costs the key and the entry on top of the build, so where identities rarely repeat
    (each record's own access key or session) the cache is bypassed: when fewer than
    :attr:`MIN_HIT_RATE` of a window's lookups hit, only one record in :attr:`SAMPLE` is looked
    up until a window hits again. Either way a document gets the same fields.
    """

    MAX_ENTRIES = 1024
    MAX_KEY_BYTES = 4096
    """The longest identity kept, as JSON (with ``signed_in_as``): those of the golden inputs and
    the samples hold 53 to 889 bytes, and what is kept of one (its key, its fields) grows with it."""
    WINDOW = 256
    """Lookups after which the hit rate is measured."""
    MIN_HIT_RATE = 0.3
    """About where a hit's saving (the build, some 2-3 us) pays for the misses' cost (1 us)."""
    SAMPLE = 16

    def __init__(self, build: Callable[[dict[str, Any], str | None], Parties] | None = None) -> None:
        """``build``: what the cache holds, :func:`identity_parties` or what returns the same."""
        self._build = build or identity_parties
        self._entries: dict[bytes, bytes] = {}
        """Identities seen once: their fields as JSON."""
        self._objects: dict[bytes, _Entry] = {}
        """Identities seen again: their fields as objects, copied per document."""
        self._calls = self._lookups = self._misses = 0
        """Calls while bypassed (one in :attr:`SAMPLE` is looked up); lookups and misses of
        the window (a hit counts only as a lookup: the common case, fewest steps)."""
        self._bypass = False
        self._last_key = b""
        self._last_entry: _Entry | None = None
        """The entry of :attr:`_objects` last found, and its key (an empty key is no
        identity's): a record's identity is most often the one before's (a principal's calls
        come together), found by comparing the bytes rather than hashing them. Still exact
        when the cache is cleared: one more entry kept at most."""

    def parties(self, identity: dict[str, Any], signed_in_as: str | None = None) -> Parties:
        """What ``identity_parties(identity, signed_in_as)`` returns, or raises."""
        if self._bypass:
            self._calls += 1
            if self._calls % self.SAMPLE:
                return self._build(identity, signed_in_as)
        key = orjson.dumps(identity)
        if signed_in_as is not None:
            key += b"\0" + signed_in_as.encode("utf-8", "surrogatepass")
        if key == self._last_key:
            entry = self._last_entry
        else:
            entry = self._objects.get(key)
            if entry is not None:
                self._last_key, self._last_entry = key, entry
        if entry is not None:
            self._lookups += 1  # _count(True), without its call: most lookups hit
            if self._lookups == self.WINDOW:
                self._end_window()
            user, related, user_identity, hosts, copy = entry
            return copy(user, related, user_identity, hosts)
        cached = self._entries.get(key)
        self._count(cached is not None)
        if cached is None:
            parties = self._build(identity, signed_in_as)
            if len(key) > self.MAX_KEY_BYTES:
                return parties
            if len(self._entries) + len(self._objects) >= self.MAX_ENTRIES:
                self._entries.clear()
                self._objects.clear()
            self._entries[_exact(key)] = _exact(orjson.dumps(parties))
            return parties  # built for this document alone: the cache keeps only its JSON
        # Its first hit: the identity repeats, so it is worth keeping as objects from now on.
        user, related, user_identity, host_list = orjson.loads(cached)
        hosts = tuple(host_list)
        in_user, in_identity = _nested(user), _nested(user_identity)
        if in_user is not None and in_identity is not None:  # else: decoded at each hit
            del self._entries[key]
            copy = _copier(in_user, in_identity)
            self._objects[_exact(key)] = (user, related, user_identity, hosts, copy)
            return copy(user, related, user_identity, hosts)
        return user, related, user_identity, hosts

    def _count(self, hit: bool) -> None:
        self._lookups += 1
        self._misses += not hit
        if self._lookups == self.WINDOW:
            self._end_window()

    def _end_window(self) -> None:
        self._bypass = self.WINDOW - self._misses < self.MIN_HIT_RATE * self.WINDOW
        self._lookups = self._misses = 0


Nested = tuple[tuple[str, "Nested"], ...]
"""Where the objects and lists under an object are: their keys, each with its own (a list's
is empty: it holds none)."""
Copier = Callable[[dict[str, Any], list[str], dict[str, Any], tuple[str, ...]], Parties]
"""A copy of :data:`Parties` of one shape, to its last object and list."""
_Entry = tuple[dict[str, Any], list[str], dict[str, Any], tuple[str, ...], Copier]


def _nested(value: dict[str, Any]) -> Nested | None:
    """Where the objects and lists under ``value`` are, or ``None`` when a list holds an
    object or a list (a copy of such a list would share them)."""
    nested: list[tuple[str, Nested]] = []
    for key, item in value.items():
        if item.__class__ is dict:
            inner = _nested(item)
            if inner is None:
                return None
            nested.append((key, inner))
        elif item.__class__ is list:
            if any(element.__class__ in (dict, list) for element in item):
                return None
            nested.append((key, ()))
    return tuple(nested)


_COPIERS: dict[tuple[Nested, Nested], Copier] = {}
"""Copiers by shape: the actor fields come in a handful (a role session's, a user's...)."""
MAX_COPIERS = 64


def _copier(in_user: Nested, in_identity: Nested) -> Copier:
    """The copier of actor fields with these objects and lists inside: one generated
    function of ``copy`` calls, some 0.4 us where walking the shape for each document took
    0.7 (most of a cache hit's cost). Its source holds only the field names of
    :func:`actor_of`'s objects, written as literals."""
    copier = _COPIERS.get((in_user, in_identity))
    if copier is not None:
        return copier
    lines = ["def copy(user, related, identity, hosts):"]
    names = count()

    def emit(holder: str, nested: Nested) -> None:
        for key, inner in nested:
            name = f"v{next(names)}"
            lines.append(f"    {name} = {holder}[{key!r}] = {holder}[{key!r}].copy()")
            emit(name, inner)

    lines.append("    user = user.copy()")
    emit("user", in_user)
    lines.append("    identity = identity.copy()")
    emit("identity", in_identity)
    lines.append("    return user, related.copy(), identity, hosts")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<actor fields copier>", "exec"), namespace)  # field names only
    copier = namespace["copy"]
    if len(_COPIERS) >= MAX_COPIERS:
        _COPIERS.clear()
    _COPIERS[(in_user, in_identity)] = copier
    return copier


def _exact(data: bytes) -> bytes:
    """A copy of ``data`` in a buffer of its own size."""
    return bytes(memoryview(data))


def identity_parties(identity: dict[str, Any], signed_in_as: str | None = None) -> Parties:
    """``(user, related_users, user_identity, related_hosts)`` of a record's ``userIdentity``:
    the actor fields (:func:`identity_fields`), ``in_scope_of`` and the web identity's claims
    added to ``user_identity``, the role the service's credentials went to and the web
    identity's person to ``related_users`` (:func:`beside_actor`), and the instance a role
    session is (:func:`~normalizers.ecs.actor.actor_hosts`). Raises as those do.

    normalizers.cloudtrail.compiled generates the same per shape of ``userIdentity``."""
    user, related_users, user_identity = identity_fields(identity, signed_in_as)
    session = identity.get("sessionContext")  # most have none, or an empty webIdFederationData
    if (
        "inScopeOf" in identity  # service calls alone
        or (session.__class__ is dict and session.get("webIdFederationData"))
        or identity.get("webIdFederationData")
    ):
        related_users = beside_actor(identity, related_users, user_identity)
    hosts = actor_hosts(user) if "roles" in user else None  # actor_hosts' own first test
    return user, related_users, user_identity, tuple(hosts) if hosts else ()


def beside_actor(
    identity: dict[str, Any], related_users: list[str], user_identity: dict[str, Any]
) -> list[str]:
    """``in_scope_of`` and the web identity's claims added to ``user_identity``; returns
    ``related_users`` with the role the service's credentials went to and the web identity's
    person (a wrongly typed member raises)."""
    scope = in_scope_of(identity)
    if scope:
        user_identity["in_scope_of"] = scope
        # The role the service's credentials were issued to is who the call is for:
        # a pivot from that role finds the calls a service made with its credentials.
        issued_to = scope.get("credentials_issued_to")
        if issued_to:
            related_users = unique([*related_users, issued_to])
    attributes, people = web_identity(identity)
    if attributes:
        context = user_identity.setdefault("session_context", {})
        context["web_id_federation_data"] = {"attributes": attributes}
        # The person the provider signed in: a pivot to every call of their sessions.
        related_users = unique([*related_users, *people])
    return related_users


def identity_fields(identity: dict[str, Any], signed_in_as: str | None = None) -> ActorFields:
    """``userIdentity`` -> ``(user, related_users, user_identity)``: what
    ``actor_fields(Actor(...))`` returns (the shared actor contract, docs/schema.md), built in
    one pass over the record rather than through an :class:`~normalizers.ecs.actor.Actor`,
    since it runs for almost every record.

    ``signed_in_as`` is the name a sign-in event gives outside ``userIdentity``
    (``additionalEventData.UserName`` of IAM Identity Center sign-ins): the user's name when
    ``userIdentity`` has none. An IAM Identity Center user (``IdentityCenterUser``) has no
    principal id: its identity store user id (``onBehalfOf.userId``) is its ``user.id``.
    """
    return actor_of(signed_in_as, *identity_members(identity))


IdentityMembers = tuple[
    str | None, str | None, str | None, str | None, str | None, str | None, str | None,
    str | None, str | None, str | None, str | None, str | None, bool | None, str | None,
    str | None, str | None, str | None, str | None, str | None, str | None,
]  # fmt: skip
"""What :func:`actor_of` reads from ``userIdentity``, in its parameters' order."""


def identity_members(identity: dict[str, Any]) -> IdentityMembers:
    """The members of ``userIdentity`` the actor is built from (a wrongly typed one raises).

    normalizers.cloudtrail.compiled generates readers of the same members per shape."""
    # Read in the order of the Actor's fields, so that a wrongly typed field is the same
    # dead letter's reason.
    session = nullable_obj(identity, "sessionContext")
    issuer = nullable_obj(session, "sessionIssuer")
    attributes = nullable_obj(session, "attributes")
    web = nullable_obj(session, "webIdFederationData") or nullable_obj(identity, "webIdFederationData")
    user_name = optional_str(identity, "userName")
    kind = optional_str(identity, "type")
    on_behalf_of = nullable_obj(identity, "onBehalfOf")
    return (
        user_name,
        kind,
        optional_str(on_behalf_of, "userId"),
        optional_str(identity, "principalId"),
        optional_str(identity, "arn"),
        optional_str(identity, "accountId"),
        optional_str(identity, "accessKeyId"),
        optional_str(issuer, "type"),
        optional_str(issuer, "principalId"),
        optional_str(issuer, "arn"),
        optional_str(issuer, "accountId"),
        optional_str(issuer, "userName"),
        as_bool(attributes.get("mfaAuthenticated")) if attributes else None,
        optional_time(attributes.get("creationDate")) if attributes else None,
        optional_str(session, "sourceIdentity"),
        optional_str(session, "ec2RoleDelivery"),
        optional_str(identity, "invokedBy"),
        optional_str(identity, "identityProvider") or optional_str(web, "federatedProvider"),
        optional_str(identity, "credentialId"),
        optional_str(on_behalf_of, "identityStoreArn"),
    )


def actor_of(
    signed_in_as: str | None,
    user_name: str | None,
    kind: str | None,
    behalf_user: str | None,
    principal_id: str | None,
    arn: str | None,
    account_id: str | None,
    access_key_id: str | None,
    issuer_type: str | None,
    issuer_principal_id: str | None,
    issuer_arn: str | None,
    issuer_account_id: str | None,
    issuer_user_name: str | None,
    mfa_authenticated: bool | None,
    session_created: str | None,
    source_identity: str | None,
    ec2_role_delivery: str | None,
    invoked_by: str | None,
    identity_provider: str | None,
    credential_id: str | None,
    identity_store_arn: str | None,
) -> ActorFields:
    """:func:`identity_fields` from the members :func:`identity_members` reads.

    Written out member by member, without helpers, comprehensions or pair tables: it runs
    for every record whose identity the cache does not hold (each record's own access key
    or session), and each of those costs a call or a frame more per record."""
    if user_name == HIDDEN_USER_NAME:
        user_name = None
    if user_name is None and signed_in_as != HIDDEN_USER_NAME:
        user_name = signed_in_as
    principal_id = principal_id or (behalf_user if kind == IDENTITY_CENTER_USER else None)
    if access_key_id is not None:
        access_key_id = access_key_id.strip() or None
    if credential_id is not None:
        credential_id = credential_id.strip() or None

    # Actor.session_name, issuer_name, role_name and name.
    text_arn = arn or ""
    session_name: str | None = None
    role_arn = ":assumed-role/" in text_arn
    if role_arn or ":federated-user/" in text_arn:
        session_name = text_arn.rsplit("/", 1)[-1] or None
    elif kind in SESSION_TYPES and principal_id and ":" in principal_id:
        session_name = principal_id.split(":", 1)[1] or None
    issuer_name: str | None = issuer_user_name
    if not issuer_name and role_arn:
        parts = text_arn.split(":assumed-role/", 1)[1].split("/")
        issuer_name = parts[0] if len(parts) >= 2 else None
    role = issuer_name if kind == "AssumedRole" or issuer_type == "Role" else None
    if kind == "Root":
        name: str | None = "root"
    elif kind in SESSION_TYPES:
        name = session_name or user_name or invoked_by
    elif user_name:
        name = user_name
    elif kind == "IAMUser" and arn and ":user/" in arn:
        name = arn.rsplit("/", 1)[-1]
    else:
        name = invoked_by

    user: dict[str, Any] = {}
    if name:
        user["name"] = name
    if principal_id:
        user["id"] = principal_id
    if role:
        user["roles"] = [role]
    # related.user: every identifier, each once, in this order (values.unique, inlined).
    related: list[str] = []
    for value in (
        user_name,
        name if name != "root" else None,
        principal_id,
        access_key_id,
        arn,
        session_name,
        issuer_name,
        # The person a chain of role sessions started from (role chaining keeps it).
        source_identity,
        credential_id,
        behalf_user,
    ):
        if value and value not in related:
            related.append(value)
    # Only what user and related.user do not already hold (see actor_fields), without the
    # empty values (prune: every string here is None or not empty, but a role name may be "").
    fields: dict[str, Any] = {}
    if kind:
        fields["type"] = kind
    if arn:
        fields["arn"] = arn
    if account_id:
        fields["account_id"] = account_id
    if access_key_id:
        fields["access_key_id"] = access_key_id
    if user_name and user_name != name:
        fields["user_name"] = user_name
    if invoked_by:
        fields["invoked_by"] = invoked_by
    if identity_provider:
        fields["identity_provider"] = identity_provider
    if credential_id:
        fields["credential_id"] = credential_id
    if behalf_user or identity_store_arn:
        behalf: dict[str, Any] = {}
        if behalf_user:
            behalf["user_id"] = behalf_user
        if identity_store_arn:
            behalf["identity_store_arn"] = identity_store_arn
        fields["on_behalf_of"] = behalf
    context: dict[str, Any] = {} if mfa_authenticated is None else {"mfa_authenticated": mfa_authenticated}
    if session_created:
        context["creation_date"] = session_created
    if source_identity:
        context["source_identity"] = source_identity
    if ec2_role_delivery:
        context["ec2_role_delivery"] = ec2_role_delivery
    issued: dict[str, Any] = {}
    if issuer_type:
        issued["type"] = issuer_type
    if issuer_principal_id:
        issued["principal_id"] = issuer_principal_id
    if issuer_arn:
        issued["arn"] = issuer_arn
    if issuer_account_id:
        issued["account_id"] = issuer_account_id
    # A role's name is user.roles; another issuer's (a federated user's IAM user) stays.
    if issuer_name and (issuer_user_name or issuer_arn) and not role:
        issued["user_name"] = issuer_name
    if issued:
        context["session_issuer"] = issued
    if context:
        fields["session_context"] = context
    return user, related, fields


def in_scope_of(identity: dict[str, Any]) -> dict[str, str]:
    """``user_identity.in_scope_of``: ``userIdentity.inScopeOf``, the service-owned resource
    (and the role its credentials went to) an AWS service acted for. Not part of the actor
    contract, which every source shares: read beside it (a wrongly typed member raises)."""
    scope = nullable_obj(identity, "inScopeOf")
    if scope is None:
        return {}
    return {field: value for key, field in IN_SCOPE_OF_FIELDS if (value := optional_str(scope, key))}


def web_identity(identity: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """``(attributes, people)``: ``webIdFederationData.attributes`` (in ``sessionContext``, or
    beside it), the claims the web identity provider reported for the session's user, and the
    values of those that name the person (:data:`WEB_IDENTITY_SUBJECTS`). Bounded: the string
    claims among the first 100 (``normalizers.ecs.bounded``), whatever the record holds. Read
    beside the actor, as :func:`in_scope_of` (a member that is no object raises)."""
    session = nullable_obj(identity, "sessionContext")
    web = nullable_obj(session, "webIdFederationData") or nullable_obj(identity, "webIdFederationData")
    attributes = bounded_string_members(nullable_obj(web, "attributes"))
    people = [value for key, value in attributes.items() if key.rpartition(":")[2] in WEB_IDENTITY_SUBJECTS]
    return attributes, people
