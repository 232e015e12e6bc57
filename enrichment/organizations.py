"""Build the account directory from AWS Organizations.

Calls (management account or a delegated administrator; read-only):

- ``ListRoots`` once: the root's id and name (the first element of every OU path);
- ``ListAccounts``, paginated (20 accounts a page);
- per account, its parent: from the account's ``Paths`` when Organizations returns it (ids
  from the root down, no call), else ``ListParents``;
- per **distinct** OU, once: ``DescribeOrganizationalUnit`` (its name) and ``ListParents``
  (its parent, to continue the path upwards): 300 accounts in 20 OUs cost 40 calls here,
  not one per account;
- per account, ``ListTagsForResource`` (paginated), keeping the selected keys only.

So an organization of 300 accounts in 20 OUs costs about 1 + 15 + 300 + 40 + 300 calls
(fewer when ``Paths`` is returned). Organizations throttles at a few requests a second: the
client from :func:`organizations_client` retries throttled calls with botocore's adaptive
mode (client-side rate limiting plus exponential backoff), up to 10 attempts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import boto3
from botocore.config import Config

from enrichment.accounts import DEFAULT_TAG_KEYS, Account, AccountDirectory, email_domain, normalize_tag_keys

RETRY_CONFIG = Config(retries={"mode": "adaptive", "total_max_attempts": 10})


def organizations_client(session: boto3.Session | None = None) -> Any:
    """An Organizations client that waits and retries when throttled (the API is global)."""
    return (session or boto3.Session()).client("organizations", config=RETRY_CONFIG)


def sync_from_organizations(
    client: Any,
    tag_keys: Iterable[str] = DEFAULT_TAG_KEYS,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AccountDirectory:
    """Every account of the organization with its OU path and selected tags (see module doc)."""
    keys = normalize_tag_keys(tag_keys)
    tree = _OrganizationTree(client)
    accounts = [
        Account(
            id=item["Id"],
            name=item.get("Name") or None,
            email_domain=email_domain(item.get("Email")),
            status=item.get("State") or item.get("Status") or None,
            ou_path=tree.path_of_account(item),
            tags=_selected_tags(
                _pages(client, "list_tags_for_resource", "Tags", ResourceId=item["Id"]), keys
            ),
        )
        for item in _pages(client, "list_accounts", "Accounts")
    ]
    return AccountDirectory(
        accounts,
        synced_at=now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        organization_id=tree.organization_id,
        tag_keys=keys,
    )


def _pages(client: Any, operation: str, key: str, **arguments: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**arguments):
        yield from page.get(key, [])


def _selected_tags(tags: Iterable[dict[str, str]], keys: tuple[str, ...]) -> dict[str, str]:
    """The tags whose key matches a selected key, whatever its case (``Owner`` -> ``owner``)."""
    wanted = set(keys)
    found: dict[str, str] = {}
    for tag in tags:
        key = tag.get("Key", "").strip().lower()
        value = tag.get("Value", "")
        if key in wanted and value and key not in found:
            found[key] = value
    return {key: found[key] for key in keys if key in found}


class _OrganizationTree:
    """OU names and parents, each fetched once."""

    def __init__(self, client: Any) -> None:
        self._client = client
        roots = list(_pages(client, "list_roots", "Roots"))
        self._names: dict[str, str] = {root["Id"]: root.get("Name") or "Root" for root in roots}
        self._parents: dict[str, str | None] = {root["Id"]: None for root in roots}
        arn = roots[0].get("Arn", "") if roots else ""
        # arn:aws:organizations::111111111111:root/o-exampleorgid/r-examplerootid
        self.organization_id = arn.split("/")[1] if arn.count("/") >= 2 else None

    def path_of_account(self, account: dict[str, Any]) -> str | None:
        parent = self._parent_from_paths(account.get("Paths")) or self._parent_of(account["Id"])
        return "/".join(self._chain(parent)) if parent else None

    def _parent_from_paths(self, paths: Any) -> str | None:
        """``o-x/r-y/ou-a/ou-b/111122223333/``: records each OU's parent, returns the last OU."""
        if not isinstance(paths, list) or not paths or not isinstance(paths[0], str):
            return None
        parts = [part for part in paths[0].split("/") if part.startswith(("r-", "ou-"))]
        if not parts or parts[0] not in self._names:
            return None
        for parent, child in pairwise(parts):
            self._parents.setdefault(child, parent)
        return parts[-1]

    def _parent_of(self, child_id: str) -> str | None:
        if child_id not in self._parents:
            parents = list(_pages(self._client, "list_parents", "Parents", ChildId=child_id))
            self._parents[child_id] = parents[0]["Id"] if parents else None
        return self._parents[child_id]

    def _name_of(self, node_id: str) -> str:
        if node_id not in self._names:
            unit = self._client.describe_organizational_unit(OrganizationalUnitId=node_id)
            self._names[node_id] = unit["OrganizationalUnit"].get("Name") or node_id
        return self._names[node_id]

    def _chain(self, node_id: str) -> list[str]:
        """Names from the root down to ``node_id``."""
        names: list[str] = []
        current: str | None = node_id
        while current is not None and len(names) < 32:  # Organizations nests OUs 5 deep at most
            names.append(self._name_of(current))
            current = self._parent_of(current)
        return names[::-1]
