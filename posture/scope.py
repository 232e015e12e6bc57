"""Which accounts a report covers: account ids, and every account under an OU path.

An OU path is what the account directory and the documents call ``ou_path``: the names
from the organization's root down to the account's parent, joined by ``/``
(``Root/Workloads/Prod``, enrichment/accounts.py). An OU covers the accounts directly in it
and those of every OU nested in it: ``Root/Workloads`` covers ``Root/Workloads/Prod/...``,
never ``Root/WorkloadsLegacy``. The root's own name may be left out (``Workloads/Prod``).

Where the OU paths come from:

- the account directory (``siem accounts sync``; the deployed stack's ``ACCOUNTS_LOCATION``):
  the organization as it is now, and accounts with nothing in the indices are covered too;
- without one, the documents: each carries its account's OU path at the time it was ingested
  (``aws.account.ou_path``, enrichment/fields.py), so an account that moved is found under the
  OUs its documents name.
"""

from __future__ import annotations

from collections.abc import Iterable

from enrichment.accounts import AccountDirectory
from posture.report import INDICES
from posture.state import Searcher

SEPARATOR = "/"
OU_FIELD = "aws.account.ou_path"
"""The OU path enrichment writes beside ``cloud.account.id`` (enrichment/fields.py)."""


class UnknownOu(ValueError):
    """No account is under the OU path."""


def normalized_ou(text: str) -> str:
    """``/Root/Workloads/`` -> ``Root/Workloads``; empty parts are dropped."""
    return SEPARATOR.join(part.strip() for part in text.split(SEPARATOR) if part.strip())


def is_under(path: str, ou: str) -> bool:
    """Whether the OU path ``path`` is ``ou`` or nested in it (whole names only)."""
    return path == ou or path.startswith(ou + SEPARATOR)


def _spellings(ou: str, paths: Iterable[str]) -> list[str]:
    """``ou`` as given, then with each root name before it (``Workloads`` -> ``Root/Workloads``)."""
    roots = sorted({path.split(SEPARATOR, 1)[0] for path in paths if path})
    return [ou, *(f"{root}{SEPARATOR}{ou}" for root in roots if not is_under(ou, root))]


def accounts_in_directory(directory: AccountDirectory, ou: str) -> tuple[str, ...]:
    """The ids of the directory's accounts under ``ou``, sorted; :class:`UnknownOu` when none."""
    ou = normalized_ou(ou)
    paths = {account.id: account.ou_path or "" for account in directory}
    for spelling in _spellings(ou, paths.values()) if ou else ():
        found = sorted(account for account, path in paths.items() if is_under(path, spelling))
        if found:
            return tuple(found)
    raise UnknownOu(f"no account under OU {ou!r} in the account directory ({_known(paths.values())})")


def accounts_in_documents(client: Searcher, prefix: str, ou: str, until: str) -> tuple[str, ...]:
    """The ids of the accounts whose documents up to ``until`` name an OU path under ``ou``."""
    ou = normalized_ou(ou)
    paths: dict[str, set[str]] = {}
    for index in INDICES:
        body = {
            "size": 0,
            "query": {"bool": {"filter": [{"range": {"@timestamp": {"lte": until}}}]}},
            "aggs": {
                "paths": {
                    "terms": {"field": OU_FIELD, "size": 10000},
                    "aggs": {"accounts": {"terms": {"field": "cloud.account.id", "size": 10000}}},
                }
            },
        }
        answer = client.search(index=f"{prefix}{index}", body=body, ignore_unavailable=True)
        for bucket in answer.get("aggregations", {}).get("paths", {}).get("buckets", []):
            accounts = paths.setdefault(str(bucket["key"]), set())
            accounts.update(str(each["key"]) for each in bucket["accounts"]["buckets"])
    for spelling in _spellings(ou, paths) if ou else ():
        found = sorted({a for path, accounts in paths.items() if is_under(path, spelling) for a in accounts})
        if found:
            return tuple(found)
    raise UnknownOu(f"no document names an account under OU {ou!r} ({_known(paths)})")


def _known(paths: Iterable[str]) -> str:
    """A short list of the OU paths there are, for the error message."""
    known = sorted({path for path in paths if path})
    if not known:
        return "no OU path known"
    shown = ", ".join(known[:5])
    return f"known: {shown}{f' and {len(known) - 5} more' if len(known) > 5 else ''}"
