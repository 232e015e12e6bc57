"""Enrich a normalized document in place: accounts, IP context, user agent.

Build one :class:`Enricher` per container (or CLI run) and call :meth:`Enricher.enrich` on
every document between normalization and bulk encoding. Fields (docs/enrichment.md):

- ``cloud.account.name`` (ECS) and ``aws.account.{ou_path, tags.<key>}`` for
  ``cloud.account.id``, the account the event happened in;
- beside every other account id the schema has (``...account_id`` / ``..._account_id``, listed
  in ``OTHER_ACCOUNT_FIELDS``) that is not ``cloud.account.id``: ``..._account_name``,
  ``..._account_ou_path`` and ``..._account_tags.<key>`` (a caller of the document's own account
  is described by ``cloud.account.name`` and ``aws.account``: each byte is paid once per document);
- ``source.geo.*``, ``source.as.*`` and ``aws.source.scope`` from ``source.ip`` (``aws.source.scope``
  from ``source.address`` for an AWS service caller), the same for ``destination``; geo and AS
  already in the document (GuardDuty, Security Hub) are never replaced;
- ``user_agent.{name, version, os.*, device.name}`` and ``aws.user_agent.*`` from
  ``user_agent.original``.

Each distinct account, address and user agent is resolved once (caches); a document gets fresh
copies of the cached values, so documents never share mutable objects. ``enrich`` never
raises: a document it cannot enrich is left as it is and counted in ``failures``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from enrichment.account_store import DEFAULT_TTL_SECONDS, CachedDirectory, open_store
from enrichment.accounts import AccountDirectory, default_path
from enrichment.addresses import scope_of_name
from enrichment.geoip import PUBLIC_UNKNOWN, GeoIp, IpContext
from enrichment.useragent import UserAgentParser

LOGGER = logging.getLogger(__name__)

OTHER_ACCOUNT_FIELDS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "cloudtrail": (
        (("user_identity",), "account_id"),
        (("user_identity", "session_context", "session_issuer"), "account_id"),
        ((), "vpc_endpoint_account_id"),
        (("resources",), "account_id"),
    ),
    "guardduty": (
        (("user_identity",), "account_id"),
        (("user_identity", "session_context", "session_issuer"), "account_id"),
    ),
    "securityhub_findings": (
        (("user_identity",), "account_id"),
        (("user_identity", "session_context", "session_issuer"), "account_id"),
        ((), "envelope_account_id"),
        (("product",), "account_id"),
    ),
    "vpcflow": (((), "tgw_src_vpc_account_id"), ((), "tgw_dst_vpc_account_id")),
}
"""Per ``aws.<source>``: ``(path, key)`` of every account id besides ``cloud.account.id``
(docs/schema.md, "Accounts"); a list on the path (``resources``) is enriched element by element."""

_LOGGED_FAILURES = 10


@dataclass(frozen=True, slots=True)
class EnrichmentSettings:
    """What the enricher reads; from the Lambda's environment or the CLI's options."""

    enabled: bool = True
    accounts_location: str | None = None
    """``s3://bucket/key`` (deployed) or a file path (CLI); ``None``: no account enrichment."""
    accounts_ttl: float = DEFAULT_TTL_SECONDS
    geoip_city_database: Path | None = None
    geoip_asn_database: Path | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, local_default: bool = False
    ) -> EnrichmentSettings:
        """Variables ``ENRICHMENT`` (``off`` disables), ``ACCOUNTS_LOCATION``,
        ``ACCOUNTS_TTL_SECONDS``, ``GEOIP_CITY_DATABASE``, ``GEOIP_ASN_DATABASE``.

        ``local_default`` (the CLI): without ``ACCOUNTS_LOCATION``, use the file ``siem accounts
        sync`` writes (:func:`enrichment.accounts.default_path`) when it exists.
        """
        environ = os.environ if environ is None else environ
        location = environ.get("ACCOUNTS_LOCATION") or None
        if location is None and local_default and default_path(environ).is_file():
            location = str(default_path(environ))
        ttl = environ.get("ACCOUNTS_TTL_SECONDS") or str(DEFAULT_TTL_SECONDS)
        try:
            seconds = float(ttl)
        except ValueError:
            raise ValueError(f"ACCOUNTS_TTL_SECONDS must be a number of seconds, not {ttl!r}") from None
        return cls(
            enabled=environ.get("ENRICHMENT", "on").strip().lower() not in ("off", "0", "false", "no"),
            accounts_location=location,
            accounts_ttl=seconds,
            geoip_city_database=_path(environ.get("GEOIP_CITY_DATABASE")),
            geoip_asn_database=_path(environ.get("GEOIP_ASN_DATABASE")),
        )


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


@dataclass(frozen=True, slots=True)
class _AccountContext:
    name: str | None
    details: Mapping[str, Any]
    """``{"ou_path": ..., "tags": {...}}`` without empty parts."""


_UNKNOWN_ACCOUNT = _AccountContext(None, {})


@dataclass(slots=True)
class Enricher:
    """Accounts, IP context and user agents for documents; see the module doc."""

    accounts: AccountDirectory | CachedDirectory | None = None
    geoip: GeoIp | None = field(default_factory=GeoIp)
    agents: UserAgentParser | None = field(default_factory=UserAgentParser)
    failures: int = field(default=0, init=False)
    _directory: AccountDirectory | None = field(default=None, init=False)
    _contexts: dict[str, _AccountContext] = field(default_factory=dict, init=False)

    @classmethod
    def from_settings(cls, settings: EnrichmentSettings, s3: Any | None = None) -> Enricher | None:
        """The enricher the settings describe (``None`` when disabled)."""
        if not settings.enabled:
            return None
        accounts = None
        if settings.accounts_location:
            accounts = CachedDirectory(open_store(settings.accounts_location, s3), settings.accounts_ttl)
        return cls(
            accounts, GeoIp(settings.geoip_city_database, settings.geoip_asn_database), UserAgentParser()
        )

    def enrich(self, document: dict[str, Any]) -> dict[str, Any]:
        """Add the enrichment fields to ``document`` (in place) and return it."""
        try:
            if self.accounts is not None:
                self._add_accounts(document)
            if self.geoip is not None:
                for side in ("source", "destination"):
                    self._add_ip_context(document, side)
            if self.agents is not None:
                self._add_user_agent(document)
        except Exception as error:  # enrichment is best effort: the document is indexed anyway
            self.failures += 1
            if self.failures <= _LOGGED_FAILURES:
                LOGGER.warning("document not fully enriched: %s: %s", type(error).__name__, error)
        return document

    # ------------------------------------------------------------------------- accounts

    def _context(self, account_id: Any) -> _AccountContext:
        if not isinstance(account_id, str):
            return _UNKNOWN_ACCOUNT
        context = self._contexts.get(account_id)
        if context is None:
            account = self._directory.get(account_id) if self._directory is not None else None
            if account is None:
                context = _UNKNOWN_ACCOUNT
            else:
                details: dict[str, Any] = {}
                if account.ou_path:
                    details["ou_path"] = account.ou_path
                if account.tags:
                    details["tags"] = dict(account.tags)
                context = _AccountContext(account.name, details)
            self._contexts[account_id] = context
        return context

    def _add_accounts(self, document: dict[str, Any]) -> None:
        assert self.accounts is not None
        directory = self.accounts if isinstance(self.accounts, AccountDirectory) else self.accounts.current()
        if directory is not self._directory:  # a new sync: forget what the old one said
            self._directory, self._contexts = directory, {}
        if not len(directory):
            return
        resource_id = None
        account = _child(document.get("cloud"), "account")
        if account is not None:
            resource_id = account.get("id")
            context = self._context(resource_id)
            if context.name and "name" not in account:
                account["name"] = context.name
            if context.details:
                aws = document.setdefault("aws", {})
                if type(aws) is dict and "account" not in aws:
                    aws["account"] = _fresh(context.details)
        aws = document.get("aws")
        if type(aws) is not dict:
            return
        for source, block in aws.items():  # a few keys: the source's block, account, user_agent...
            fields = OTHER_ACCOUNT_FIELDS.get(source)
            if fields is None or type(block) is not dict:
                continue
            for path, key in fields:
                node: Any = block
                for step in path:
                    node = node.get(step) if type(node) is dict else None
                for holder in node if type(node) is list else (node,):
                    if type(holder) is dict and key in holder and holder[key] != resource_id:
                        self._add_other_account(holder, key)

    def _add_other_account(self, holder: dict[str, Any], key: str) -> None:
        """Another account than the document's: its name, OU path and tags beside its id."""
        context = self._context(holder[key])
        prefix = key[: -len("id")]  # account_id -> account_, envelope_account_id -> envelope_account_
        if context.name:
            holder.setdefault(prefix + "name", context.name)
        for name, value in context.details.items():
            holder.setdefault(prefix + name, _fresh(value))

    # ------------------------------------------------------------------------- addresses

    def _add_ip_context(self, document: dict[str, Any], side: str) -> None:
        assert self.geoip is not None
        endpoint = document.get(side)
        if not isinstance(endpoint, dict):
            return
        ip = endpoint.get("ip")
        if isinstance(ip, str):
            context = self.geoip.lookup(ip)
        else:
            address = endpoint.get("address")
            context = _name_context(address) if isinstance(address, str) else PUBLIC_UNKNOWN
        if context.geo and "geo" not in endpoint:
            endpoint["geo"] = _fresh(context.geo)
        if context.autonomous and "as" not in endpoint:
            endpoint["as"] = _fresh(context.autonomous)
        if context.scope:
            aws = document.setdefault("aws", {})
            if isinstance(aws, dict):
                labels = aws.setdefault(side, {})
                if isinstance(labels, dict):
                    labels["scope"] = context.scope

    # ------------------------------------------------------------------------- user agents

    def _add_user_agent(self, document: dict[str, Any]) -> None:
        assert self.agents is not None
        agent = document.get("user_agent")
        if not isinstance(agent, dict):
            return
        original = agent.get("original")
        if not isinstance(original, str):
            return
        info = self.agents.parse(original)
        for key, value in info.fields.items():
            if key not in agent:
                agent[key] = _fresh(value)
        if info.aws:
            aws = document.setdefault("aws", {})
            if isinstance(aws, dict) and "user_agent" not in aws:
                aws["user_agent"] = _fresh(info.aws)


def _child(value: Any, key: str) -> dict[str, Any] | None:
    child = value.get(key) if isinstance(value, dict) else None
    return child if isinstance(child, dict) else None


@lru_cache(maxsize=4096)
def _name_context(address: str) -> IpContext:
    scope = scope_of_name(address)
    return IpContext(scope=scope) if scope else PUBLIC_UNKNOWN


def _fresh(value: Any) -> Any:
    """A copy of a cached value for one document, so that documents never share a dict or list.

    The enrichment values nest two levels at most (``aws.account.tags``, ``geo.location``,
    ``aws.user_agent.tool``), so a copy of the value and of its direct children suffices, and
    costs a fraction of a generic deep copy (this runs several times per document).
    """
    kind = type(value)
    if kind is dict:
        copied = value.copy()
        for key, item in copied.items():  # replacing values does not change the dict's size
            if type(item) in _CONTAINERS:
                copied[key] = item.copy()
        return copied
    if kind is list:
        return value.copy()
    return value


_CONTAINERS = (dict, list)
