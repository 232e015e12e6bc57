"""Who is behind an alert's temporary credentials: one hop of the role chain, in one search.

An alert on a role session (``AssumedRole``) or a federated user names the session: a CloudTrail
document in its ``userIdentity``, a GuardDuty finding in ``resource.accessKeyDetails`` and a
Security Hub one in its ``AwsIamAccessKey`` resource (both normalized to the finding's
``user_identity`` block, with the session's access key id: docs/schema.md, "Pivot contract"). The call
that issued the session's access key names who asked for it (``investigation.chain``); ``siem
investigate`` walks the whole chain back to its origin, an alert follows one hop only, so that
its cost stays bounded: one search for all of its sessions together (``queries.issuing_events``),
with :data:`TIMEOUT_SECONDS`. When the search fails, the alert goes out without the hop
(``detections.summary`` then shows the session alone).

The search reaches back from when the session's activity began: a finding's ``event.start``
(GuardDuty ``service.eventFirstSeen``, Security Hub ``FirstObservedAt``), which may be days
before the finding's ``@timestamp`` (its last update), at most :data:`MAX_ACTIVITY_REACH` before
the alert's first document; ``queries.issuing_events`` adds the credential's lifetime.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from opensearchpy import OpenSearch

from detections.rules import get_field
from detections.windows import parse_time
from investigation.activity import events
from investigation.chain import Chain, Link, issuers, link_from_identity, resolve
from investigation.documents import identity_of, text
from investigation.fields import ACCOUNT, FIRST_OBSERVED
from investigation.queries import issuing_events

IDENTITY_BLOCKS = ("aws.cloudtrail", "aws.guardduty", "aws.securityhub_findings")
"""Where each source's documents keep the acting identity (``<block>.user_identity``)."""
TIMEOUT_SECONDS = 5.0
"""The longest the alert path waits for its one search (the run notifies many alerts)."""
HOPS = 1
MAX_ACTIVITY_REACH = timedelta(days=90)
"""How far before the alert's first document the activity's start may take the search: the
log indices' default retention (``indexRetentionDays``, infra/config.py), past which the
issuing call is no longer indexed; a finding's first-seen time further back (a finding
updated for months, or a wrong value) does not widen the search more."""


def sessions(documents: Sequence[Mapping[str, Any]]) -> dict[str, Link]:
    """The temporary credentials the documents act with (``ASIA...`` keys), by access key id."""
    return _sessions(documents)[0]


def _sessions(
    documents: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Link], list[Mapping[str, Any]]]:
    """The sessions, and the documents acting with one of them."""
    found: dict[str, Link] = {}
    acting: list[Mapping[str, Any]] = []
    for document in documents:
        identity = next((i for block in IDENTITY_BLOCKS if (i := identity_of(document, block))), {})
        link = link_from_identity(identity, text(document, ACCOUNT))
        if link.needs_issuer:
            acting.append(document)
            found.setdefault(str(link.access_key_id), link)
    return found, acting


def activity_start(documents: Sequence[Mapping[str, Any]], first: datetime) -> datetime:
    """When the documents' activity began, for the search's start: the earliest ``event.start``
    (a GuardDuty finding's ``service.eventFirstSeen``, a Security Hub finding's
    ``FirstObservedAt``: the normalizers' field docs) before ``first``, but not more than
    :data:`MAX_ACTIVITY_REACH` before it. A document without one (a CloudTrail call: its time is
    its activity) or with an unreadable one leaves ``first``."""
    earliest = first
    for document in documents:
        value = get_field(document, FIRST_OBSERVED)
        try:
            began = parse_time(value) if isinstance(value, str) else None
        except ValueError:
            began = None
        if began is not None and began < earliest:
            earliest = began
    return max(earliest, first - MAX_ACTIVITY_REACH)


def follow(
    client: OpenSearch, index: str, documents: Sequence[Mapping[str, Any]], first: str, last: str | None
) -> dict[str, Chain]:
    """Each session's chain, one hop long: its link, then the caller of its issuing call (or
    ``stopped`` saying why there is none), searched from when the sessions' activity began
    (:func:`activity_start`) to ``last``. Raises what the search raises."""
    starts, acting = _sessions(documents)
    if not starts:
        return {}
    # A finding's session acted from when its activity was first seen, possibly days before
    # the finding's last update (``first``): its key was issued before that.
    start, end = activity_start(acting, parse_time(first)), parse_time(last or first)

    def lookup(keys: list[str]) -> Mapping[str, Mapping[str, Any]]:
        response = client.search(
            index=index,
            body=issuing_events(keys, start, end),
            ignore_unavailable=True,
            allow_no_indices=True,
            request_timeout=TIMEOUT_SECONDS,
        )
        return issuers(events(response), keys)

    return resolve(starts, lookup, max_depth=HOPS)
