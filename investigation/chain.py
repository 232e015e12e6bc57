"""Who: follow temporary credentials back to the identity that obtained them.

A temporary key (``ASIA...``) is issued by an STS call whose document names it in
``related.user`` (docs/schema.md, "Credentials"); the caller of that call is the previous
identity in the chain. Repeating the lookup walks
role chaining and cross-account hops back to an IAM user, the root user, a SAML or web
identity, or an AWS service. All keys pending at one depth are looked up together, so a
chain of depth ``d`` costs ``d`` queries whatever the number of identities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from investigation import fields as f
from investigation.documents import identity_of, obj, text, values
from investigation.times import cloudtrail_date

ISSUING_ACTIONS = (
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetSessionToken",
    "GetFederationToken",
)
ORIGIN_TYPES = frozenset(
    {"IAMUser", "Root", "SAMLUser", "WebIdentityUser", "AWSService", "IdentityCenterUser"}
)
MAX_DEPTH = 5
"""Role chains deeper than this are cut (and the report says so)."""

Lookup = Callable[[list[str]], Mapping[str, Mapping[str, Any]]]
"""Issued access key ids -> the CloudTrail document of the STS call that issued each."""


@dataclass(frozen=True, slots=True)
class Issuance:
    """The STS call that issued a link's temporary credentials."""

    action: str
    time: str | None
    event_id: str | None
    account_id: str | None
    source: str | None
    expiration: str | None = None
    """When the issued credentials expire (``responseElements.credentials.expiration``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "time": self.time,
            "event_id": self.event_id,
            "account_id": self.account_id,
            "source": self.source,
            "expiration": self.expiration,
        }


@dataclass(frozen=True, slots=True)
class Link:
    """One identity in the chain."""

    arn: str | None
    type: str | None
    account_id: str | None
    access_key_id: str | None
    principal_id: str | None = None
    name: str | None = None
    """User or session name; the service for ``AWSService``; the user for SAML/web identity."""
    identity_provider: str | None = None
    issued_by: Issuance | None = None

    @property
    def needs_issuer(self) -> bool:
        """Temporary credentials whose issuing call has not been found yet."""
        return (
            self.type not in ORIGIN_TYPES
            and self.issued_by is None
            and bool(self.access_key_id)
            and str(self.access_key_id).startswith("ASIA")
        )

    @property
    def label(self) -> str:
        if self.arn:
            return self.arn
        if self.type == "AWSService":
            return f"AWS service {self.name or '?'}"
        if self.identity_provider:
            return f"{self.name or '?'} via {self.identity_provider}"
        return self.name or self.principal_id or self.access_key_id or "unknown identity"

    def keys(self) -> list[str]:
        """Values of this identity that other documents' ``related.user`` may hold."""
        return [value for value in (self.access_key_id, self.principal_id, self.arn) if value]

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "type": self.type,
            "account_id": self.account_id,
            "access_key_id": self.access_key_id,
            "principal_id": self.principal_id,
            "name": self.name,
            "identity_provider": self.identity_provider,
            "issued_by": self.issued_by.to_dict() if self.issued_by else None,
        }


@dataclass(slots=True)
class Chain:
    links: list[Link]
    stopped: str | None = None
    """Why the chain ends before an origin (no issuing event, depth bound, loop)."""
    seen_keys: set[str] = field(default_factory=set)

    @property
    def origin(self) -> Link | None:
        """The identity the chain starts from, when it was reached."""
        last = self.links[-1]
        return last if not last.needs_issuer and self.stopped is None else None


def link_from_identity(identity: Mapping[str, Any] | None, account_fallback: str | None = None) -> Link:
    """A link from a ``user_identity`` block (CloudTrail's or a finding's)."""
    identity = identity or {}
    kind = text(identity, "type")
    name = (
        (text(identity, "invoked_by") if kind == "AWSService" else None)
        or text(identity, "session_name")
        or text(identity, "user_name")
    )
    arn = text(identity, "arn")
    if kind == "Root" and not name:
        name = "root"
    return Link(
        arn=arn,
        type=kind,
        account_id=text(identity, "account_id")
        or _account_of(arn)
        or (account_fallback if kind != "AWSService" else None),
        access_key_id=text(identity, "access_key_id"),
        principal_id=text(identity, "principal_id"),
        name=name,
        identity_provider=text(identity, "identity_provider"),
    )


def issued(link: Link, event: Mapping[str, Any]) -> Link:
    """``link`` completed with what its issuing event tells: session ARN, id, the call."""
    response = obj(event, f.RESPONSE_ELEMENTS)
    arn = (
        text(response, "assumedRoleUser.arn")
        or text(response, "federatedUser.arn")
        or (text(event, f.IDENTITY_ARN) if text(event, f.ACTION) == "GetSessionToken" else None)
    )
    principal = text(response, "assumedRoleUser.assumedRoleId") or text(
        response, "federatedUser.federatedUserId"
    )
    issuance = Issuance(
        action=text(event, f.ACTION) or "?",
        time=text(event, f.TIMESTAMP),
        event_id=text(event, "event.id"),
        account_id=text(event, f.ACCOUNT),
        source=text(event, f.SOURCE_ADDRESS) or text(event, f.SOURCE_IP),
        expiration=cloudtrail_date(text(response, "credentials.expiration")),
    )
    return replace(
        link,
        arn=link.arn or arn,
        account_id=link.account_id or _account_of(arn),
        principal_id=link.principal_id or principal,
        name=link.name or (arn.rsplit("/", 1)[-1] if arn else None),
        type=link.type or _type_of(arn),
        issued_by=issuance,
    )


def caller(event: Mapping[str, Any]) -> Link:
    """The identity that made the issuing call."""
    return link_from_identity(identity_of(event), text(event, f.ACCOUNT))


def resolve(starts: Mapping[str, Link], lookup: Lookup, max_depth: int = MAX_DEPTH) -> dict[str, Chain]:
    """Walk every start link back to its origin, one batched lookup per depth."""
    chains = {
        key: Chain([link], seen_keys={link.access_key_id} if link.access_key_id else set())
        for key, link in starts.items()
    }
    for _ in range(max_depth):
        pending = [
            chain for chain in chains.values() if chain.stopped is None and chain.links[-1].needs_issuer
        ]
        if not pending:
            break
        keys = sorted({str(chain.links[-1].access_key_id) for chain in pending})
        events = lookup(keys)
        for chain in pending:
            _extend(chain, events)
    for chain in chains.values():
        if chain.stopped is None and chain.links[-1].needs_issuer:
            chain.stopped = f"the chain is longer than {max_depth} hops; it was cut there"
    return chains


def issuers(events: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """Each key's issuing call among ``events`` (the answer to ``queries.issuing_events``): a call
    naming the key in ``related.user`` that was not made with it; of a cross-account call's two
    copies, the one that names its caller best (:func:`_caller_detail`)."""
    found: dict[str, Mapping[str, Any]] = {}
    wanted = list(keys)
    for event in events:
        named, own = set(values(event, f.RELATED_USER)), text(event, f.IDENTITY_ACCESS_KEY)
        for key in wanted:
            if (
                key in named
                and key != own
                and (key not in found or _caller_detail(event) > _caller_detail(found[key]))
            ):
                found[key] = event
    return found


def _caller_detail(event: Mapping[str, Any]) -> tuple[bool, bool]:
    """How much a copy of an STS call says about its caller.

    A cross-account call is logged twice: the caller's account records the full identity
    (ARN, access key), the role's account only ``AWSAccount`` and a principal id.
    """
    return bool(text(event, f.IDENTITY_ACCESS_KEY)), bool(text(event, f.IDENTITY_ARN))


def _extend(chain: Chain, events: Mapping[str, Mapping[str, Any]]) -> None:
    last = chain.links[-1]
    key = str(last.access_key_id)
    event = events.get(key)
    if event is None:
        chain.stopped = f"no {'/'.join(ISSUING_ACTIONS)} event that issued {key} was found in CloudTrail"
        return
    chain.links[-1] = issued(last, event)
    previous = caller(event)
    if previous.access_key_id and previous.access_key_id in chain.seen_keys:
        chain.stopped = f"{previous.access_key_id} issued itself (a loop in the data); stopped"
        return
    if previous.access_key_id:
        chain.seen_keys.add(previous.access_key_id)
    chain.links.append(previous)
    if previous.type == "AWSAccount":
        chain.stopped = (
            f"the call came from account {previous.account_id or '?'} (principal "
            f"{previous.principal_id or '?'}); that account's copy of the event, which names "
            "the caller, is not indexed"
        )
    elif previous.type not in ORIGIN_TYPES and not previous.needs_issuer:
        chain.stopped = f"the caller {previous.label} has no recorded access key to follow"


def _account_of(arn: str | None) -> str | None:
    if not arn:
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def _type_of(arn: str | None) -> str | None:
    if not arn:
        return None
    if ":assumed-role/" in arn:
        return "AssumedRole"
    if ":federated-user/" in arn:
        return "FederatedUser"
    if ":user/" in arn:
        return "IAMUser"
    if arn.endswith(":root"):
        return "Root"
    return None
