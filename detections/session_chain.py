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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opensearchpy import OpenSearch

from detections.windows import parse_time
from investigation.activity import events
from investigation.chain import Chain, Link, issuers, link_from_identity, resolve
from investigation.documents import identity_of, text
from investigation.fields import ACCOUNT
from investigation.queries import issuing_events

IDENTITY_BLOCKS = ("aws.cloudtrail", "aws.guardduty", "aws.securityhub_findings")
"""Where each source's documents keep the acting identity (``<block>.user_identity``)."""
TIMEOUT_SECONDS = 5.0
"""The longest the alert path waits for its one search (the run notifies many alerts)."""
HOPS = 1


def sessions(documents: Sequence[Mapping[str, Any]]) -> dict[str, Link]:
    """The temporary credentials the documents act with (``ASIA...`` keys), by access key id."""
    found: dict[str, Link] = {}
    for document in documents:
        identity = next((i for block in IDENTITY_BLOCKS if (i := identity_of(document, block))), {})
        link = link_from_identity(identity, text(document, ACCOUNT))
        if link.needs_issuer and link.access_key_id not in found:
            found[str(link.access_key_id)] = link
    return found


def follow(
    client: OpenSearch, index: str, documents: Sequence[Mapping[str, Any]], first: str, last: str | None
) -> dict[str, Chain]:
    """Each session's chain, one hop long: its link, then the caller of its issuing call (or
    ``stopped`` saying why there is none). Raises what the search raises."""
    starts = sessions(documents)
    if not starts:
        return {}
    start, end = parse_time(first), parse_time(last or first)

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
