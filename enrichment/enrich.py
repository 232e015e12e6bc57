"""Enrich a normalized document in place: accounts, IP context, user agent.

Build one :class:`Enricher` per container (or CLI run) and call :meth:`Enricher.enrich` on
every document between normalization and bulk encoding. Fields (docs/enrichment.md):

- ``cloud.account.name`` (ECS) and ``aws.account.{ou_path, tags.<key>}`` for
  ``cloud.account.id``, the account the event happened in;
- beside every other account id the schema has (``...account_id`` / ``..._account_id``, listed
  in :data:`OTHER_ACCOUNT_FIELDS`, in that order) of an account the document does not describe
  yet: ``..._account_name``, ``..._account_ou_path`` and ``..._account_tags.<key>``. Each
  account is described once per document: a caller of the document's own account by
  ``cloud.account.name`` and ``aws.account``, a role session's issuer (always in the caller's
  account) by the caller's fields; each byte is paid once per document;
- ``source.geo.*``, ``source.as.*`` and ``aws.source.scope`` from ``source.ip`` (``aws.source.scope``
  from ``source.address`` for an AWS service caller), the same for ``destination``; geo and AS
  already in the document (GuardDuty, Security Hub) are never replaced;
- ``user_agent.{name, version, os.*, device.name}`` and ``aws.user_agent.*`` from
  ``user_agent.original``.

Each distinct account, address and user agent is resolved once (caches), and a document gets
the cached values themselves, not copies: documents enriched from the same account, address or
agent share those dicts. That is the contract: an enriched document is read-only (ingest
encodes it with orjson at once), and copying the values into every document was the largest
part of the accounts' and user agents' cost (docs/enrichment.md, "Cost"). ``enrich`` never
raises: a document it cannot enrich is left as it is and counted in ``failures``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import count
from pathlib import Path
from typing import Any

from enrichment.account_store import DEFAULT_TTL_SECONDS, CachedDirectory, open_store
from enrichment.accounts import AccountDirectory, default_path
from enrichment.addresses import SCOPES, scope_of_name
from enrichment.geoip import PUBLIC_UNKNOWN, GeoIp, IpContext
from enrichment.useragent import UserAgentParser

LOGGER = logging.getLogger(__name__)

OTHER_ACCOUNT_FIELDS = (
    "cloudtrail.user_identity.account_id",
    "cloudtrail.user_identity.session_context.session_issuer.account_id",
    "cloudtrail.vpc_endpoint_account_id",
    "cloudtrail.resources[].account_id",
    "guardduty.user_identity.account_id",
    "guardduty.user_identity.session_context.session_issuer.account_id",
    "securityhub_findings.user_identity.account_id",
    "securityhub_findings.user_identity.session_context.session_issuer.account_id",
    "securityhub_findings.envelope_account_id",
    "securityhub_findings.product.account_id",
    "vpcflow.tgw_src_vpc_account_id",
    "vpcflow.tgw_dst_vpc_account_id",
)
"""Every account id besides ``cloud.account.id``, under ``aws.`` (docs/schema.md, "Accounts"), in
the order an account is described at (the caller's before its session issuer's and the
resources'); ``[]`` marks a list of objects."""

AddAccount = Callable[[dict[str, Any], str, Any], None]


def _compiled_walk(paths: tuple[str, ...]) -> Callable[[AddAccount, dict[str, Any], list[Any]], None]:
    """``walk(add, aws, described)``: ``add(holder, key, account_id)`` for every account id of
    ``paths`` present under ``aws`` and not in ``described`` (the accounts the document already
    describes), in the order of ``paths``; each id added joins ``described``, so an account is
    described once per document (a role session's issuer is in the caller's account: its
    context is the caller's, not written twice).

    The paths are compiled into one function of nested ``if`` statements (shared prefixes
    walked once): measured, two and a half times as fast as interpreting the table for each
    document, which is most of the account enrichment's cost. Names are the constants above,
    never data.
    """
    tree: dict[str, Any] = {}  # a leaf is ``name: None``; insertion order is the order of paths
    for path in paths:
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = None
    lines = ["def walk(add, aws, described):"]
    names = count()

    def emit(node: dict[str, Any], holder: str, indent: str) -> None:
        for part, child in node.items():
            if child is None:
                lines.append(
                    f"{indent}if (i := {holder}.get({part!r})) not in described:"
                    f" described.append(i); add({holder}, {part!r}, i)"
                )
                continue
            value = f"v{next(names)}"
            lines.append(f"{indent}{value} = {holder}.get({part.removesuffix('[]')!r})")
            if part.endswith("[]"):
                item = f"v{next(names)}"
                lines.extend(
                    (
                        f"{indent}if type({value}) is list:",
                        f"{indent}    for {item} in {value}:",
                        f"{indent}        if type({item}) is dict:",
                    )
                )
                emit(child, item, indent + "            ")
            else:
                lines.append(f"{indent}if type({value}) is dict:")
                emit(child, value, indent + "    ")

    emit(tree, "aws", "    ")
    namespace: dict[str, Any] = {"__builtins__": {"type": type, "dict": dict, "list": list}}
    exec(compile("\n".join(lines), "<enrichment account walk>", "exec"), namespace)
    walk: Callable[[AddAccount, dict[str, Any], list[Any]], None] = namespace["walk"]
    return walk


_walk_other_accounts = _compiled_walk(OTHER_ACCOUNT_FIELDS)

_LOGGED_FAILURES = 10

_SIDES = ("source", "destination")


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
    _resolved: Mapping[str, IpContext] = field(default_factory=dict, init=False)
    """The address cache of ``geoip`` (:attr:`GeoIp.resolved`), read in place."""

    def __post_init__(self) -> None:
        if self.geoip is not None:
            self._resolved = self.geoip.resolved

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
        # Each step is asked only of a document that has its field: this runs once per document
        # (docs/enrichment.md, "Cost").
        try:
            if self.accounts is not None:
                self._add_accounts(document)
            if self.geoip is not None:
                # Geo, AS and scope of source and destination, inline and common case first (an
                # endpoint whose ip is cached, an aws block without the side), with no type test
                # that the cache or dict does not already make: a flow document is two addresses
                # and little else, so these operations are its whole enrichment (docs/enrichment.md,
                # "Cost"). Anything else takes the careful path: _endpoint_context, _add_scope.
                resolved = self._resolved
                for side in _SIDES:
                    endpoint = document.get(side)
                    if endpoint is None:
                        continue
                    try:  # the cache has str keys only: a hit is a str ip (no cost unless raised)
                        context = resolved.get(endpoint.get("ip"))
                    except (AttributeError, TypeError):  # not an object; an unhashable ip
                        context = None
                    if context is None:
                        context = self._endpoint_context(endpoint)
                        if context is None:
                            continue
                    geo = context.geo
                    if geo and "geo" not in endpoint:
                        endpoint["geo"] = geo
                    autonomous = context.autonomous
                    if autonomous and "as" not in endpoint:
                        endpoint["as"] = autonomous
                    scope = context.scope
                    if scope:
                        aws = document.get("aws")
                        if type(aws) is dict and side not in aws:
                            aws[side] = _SCOPE_LABELS[scope]
                        else:
                            _add_scope(document, side, scope)
            if self.agents is not None and "user_agent" in document:
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
        contexts = self._contexts
        resource_id: Any = None
        cloud = document.get("cloud")
        account = cloud.get("account") if type(cloud) is dict else None
        if type(account) is dict:
            resource_id = account.get("id")
            context = contexts.get(resource_id) if type(resource_id) is str else _UNKNOWN_ACCOUNT
            if context is None:
                context = self._context(resource_id)
            if context.name and "name" not in account:
                account["name"] = context.name
            if context.details:
                aws = document.setdefault("aws", {})
                if type(aws) is dict and "account" not in aws:
                    aws["account"] = context.details
        aws = document.get("aws")
        if type(aws) is dict:
            _walk_other_accounts(self._add_other_account, aws, [resource_id, None])

    def _add_other_account(self, holder: dict[str, Any], key: str, account_id: Any) -> None:
        """Another account than the document's: its name, OU path and tags beside its id."""
        context = self._context(account_id)
        prefix = key[: -len("id")]  # account_id -> account_, envelope_account_id -> envelope_account_
        if context.name:
            holder.setdefault(prefix + "name", context.name)
        for name, value in context.details.items():
            holder.setdefault(prefix + name, value)

    # ------------------------------------------------------------------------- addresses

    def _endpoint_context(self, endpoint: Any) -> IpContext | None:
        """The context of an endpoint whose ``ip`` is not cached: resolved from its ``ip``, or
        its ``address`` when it names an AWS service; ``None`` when it has neither."""
        if type(endpoint) is not dict:
            return None
        ip = endpoint.get("ip")
        if type(ip) is str:  # not in the cache (enrich looked it up)
            assert self.geoip is not None
            return self.geoip.resolve(ip)
        address = endpoint.get("address")
        return _name_context(address) if type(address) is str else None

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
        for key, value in info.fields.items():  # name, version (strings), os, device (flat dicts)
            if key not in agent:
                agent[key] = value
        if info.aws:
            aws = document.setdefault("aws", {})
            if isinstance(aws, dict) and "user_agent" not in aws:
                aws["user_agent"] = info.aws


def _add_scope(document: dict[str, Any], side: str, scope: str) -> None:
    """``aws.<side>.scope`` where ``aws`` is missing, not an object, or has the side already."""
    aws = document.get("aws")
    if type(aws) is dict:
        labels = aws.get(side)
        if type(labels) is dict:
            labels["scope"] = scope
        elif side not in aws:
            aws[side] = _SCOPE_LABELS[scope]
    elif "aws" not in document:
        document["aws"] = {side: _SCOPE_LABELS[scope]}


_SCOPE_LABELS: dict[str, dict[str, str]] = {scope: {"scope": scope} for scope in SCOPES}
"""``aws.<side>`` of a document that had none, ``{"scope": scope}``, one shared dict per scope
of the closed vocabulary (:data:`enrichment.addresses.SCOPES`; the documents are read-only,
module doc): a dict built per document was a tenth of a flow document's enrichment."""


@lru_cache(maxsize=4096)
def _name_context(address: str) -> IpContext:
    scope = scope_of_name(address)
    return IpContext(scope=scope) if scope else PUBLIC_UNKNOWN
