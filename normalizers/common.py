"""Helpers shared by every normalizer: timestamps, IP addresses, and the actor contract.

The actor contract (docs/schema.md, "Pivot contract") lives in :func:`actor_fields` so that
CloudTrail, GuardDuty and Security Hub fill ``user.*``, ``related.user`` and
``aws.<source>.user_identity`` by one and the same rule.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

# RFC 3339 in UTC with a literal Z: passed through untouched (the common, fast case).
_RFC3339_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z\Z")


def timestamp(value: Any) -> str:
    """Return ``value`` as an RFC 3339 UTC string ending in ``Z``.

    Accepts ISO 8601 with ``T`` or a space, with or without fraction and offset, and
    epoch seconds. Raises ``ValueError`` for anything else, so the caller dead-letters it.
    """
    if isinstance(value, str):
        if _RFC3339_Z.match(value):
            datetime.fromisoformat(value[:19])  # rejects 2026-13-45T00:00:00Z; the text is kept as is
            return value
        text = value.strip()
        if not text:
            raise ValueError("empty timestamp")
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"unparseable timestamp {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return _format(parsed.astimezone(UTC))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_timestamp(value)
    raise ValueError(f"unparseable timestamp {value!r}")


def epoch_timestamp(seconds: float) -> str:
    if not 0 <= seconds < 253402300800:  # year 10000
        raise ValueError(f"epoch seconds out of range: {seconds!r}")
    return _format(datetime.fromtimestamp(seconds, UTC))


def _format(moment: datetime) -> str:
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ip(value: Any) -> str | None:
    """Return the canonical text of a valid IPv4/IPv6 address, else ``None``.

    Strict on purpose: ``211.9.016.253`` (a leading zero, octal in some parsers) is not an
    address, a service name such as ``ec2.amazonaws.com`` is not either, and neither is an
    IPv6 address with a zone (``fe80::1%eth0``), which an OpenSearch ``ip`` field refuses.
    Any other type (a list, an object) is not an address either.
    """
    if not isinstance(value, str) or not value or len(value) > 45 or "%" in value:
        return None
    return _parse_ip_text(value)


@lru_cache(maxsize=65536)
def _parse_ip_text(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    # ::ffff:1.2.3.4 is an IPv4 client seen through an IPv6 socket: keep the IPv4 form.
    return str(mapped) if mapped is not None else str(address)


def unique(values: Iterable[Any]) -> list[Any]:
    """Distinct truthy values in first-seen order."""
    seen: dict[Any, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def prune(value: Any) -> Any:
    """Drop ``None``, empty strings, empty lists and empty dicts, recursively."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = prune(item)
            if item is not None and item != "" and item != [] and item != {}:
                out[key] = item
        return out
    if isinstance(value, list):
        return [item for item in (prune(v) for v in value) if item is not None and item != "" and item != {}]
    return value


def record_id(*parts: object) -> str:
    """A stable id for a record that carries none (e.g. a flow log line): same input, same id."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(str(part).encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()


_SESSION_TYPES = ("AssumedRole", "FederatedUser", "AWSAccount")


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

    @property
    def session_name(self) -> str | None:
        """The role session or federated user name, for temporary credentials."""
        arn = self.arn or ""
        if ":assumed-role/" in arn:
            return arn.rsplit("/", 1)[-1] or None
        if ":federated-user/" in arn:
            return arn.rsplit("/", 1)[-1] or None
        # AWSAccount: a role session of another account calling into this one (AROA...:session).
        if self.type in _SESSION_TYPES and self.principal_id and ":" in self.principal_id:
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
    def name(self) -> str | None:
        """``user.name``: who acted, at the finest grain the record gives."""
        if self.type == "Root":
            return "root"
        if self.type in _SESSION_TYPES:
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

    - ``user``: ECS ``user.name`` and ``user.id`` (principal id).
    - ``related_users``: every identifier of the principal (docs/schema.md).
    - ``user_identity``: the block stored under ``aws.<source>.user_identity``. It leaves out
      what ``user`` and ``related.user`` already hold (principal id, session name, and the
      user name when it is ``user.name``): every
      byte is paid for once per document, and CloudTrail documents must stay within 1.3x
      of the raw record.
    """
    access_key_id = _clean(actor.access_key_id)
    user: dict[str, Any] = {}
    name = actor.name
    if name:
        user["name"] = name
    if actor.principal_id:
        user["id"] = actor.principal_id
    related = unique(
        (
            actor.user_name,
            name if name != "root" else None,
            actor.principal_id,
            access_key_id,
            actor.arn,
            actor.session_name,
            actor.issuer_name,
        )
    )
    issuer = {
        "type": actor.issuer_type,
        "principal_id": actor.issuer_principal_id,
        "arn": actor.issuer_arn,
        "account_id": actor.issuer_account_id,
        "user_name": actor.issuer_name if (actor.issuer_user_name or actor.issuer_arn) else None,
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
            "session_context": session_context,
        }
    )
    return user, related, identity


def as_bool(value: Any) -> bool | None:
    """CloudTrail writes booleans as ``"true"``/``"false"`` strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return None
