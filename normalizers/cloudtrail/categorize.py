"""``event.category`` and ``event.type`` of a CloudTrail record, from its operation and service."""

from __future__ import annotations

from functools import lru_cache

from normalizers.cloudtrail.tables import (
    AUTH_END,
    AUTH_START,
    EC2_NETWORK,
    IAM_SOURCES,
    NETWORK_SOURCES,
    S3_OBJECT,
    S3_SOURCES,
    SESSIONS,
    SIGNIN,
    VERB,
    VERB_TYPES,
    VPCE_EVENT,
)


@lru_cache(maxsize=4096)
def categorize(
    action: str,
    provider: str,
    event_type: str | None,
    read_only: bool | None,
    insight: bool,
    denied_by_endpoint: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(event.category, event.type)`` from the operation's name and service.

    A network activity event (``eventType: AwsVpceEvent``) is the VPC endpoint's record of a
    call through it: ``network``, ``denied`` when the endpoint's policy refused it
    (``denied_by_endpoint``: ``errorCode: VpceAccessDenied``), else ``allowed``; the call
    itself stays in ``event.action`` and ``event.provider``."""
    if event_type == VPCE_EVENT:
        return ("network",), ("denied",) if denied_by_endpoint else ("allowed",)
    verb = verb_type(action, read_only)
    read = verb in ("access", "info")
    categories: tuple[str, ...]
    types: tuple[str, ...]
    session = SESSIONS.get((provider, action))
    if session:
        categories, types = ("session",), (session,)
    elif event_type == "AwsConsoleSignIn" or provider == SIGNIN or action in AUTH_START:
        categories = ("authentication",)
        types = ("start",) if action in AUTH_START else ("end",) if action in AUTH_END else ("info",)
    elif provider in IAM_SOURCES:
        categories = ("iam",)
        kind = "info" if read else verb  # ECS iam has no "access" type
        entity = "user" if "User" in action else "group" if "Group" in action else None
        types = (entity, kind) if entity else (kind,)
    elif provider in NETWORK_SOURCES or (provider == "ec2.amazonaws.com" and EC2_NETWORK.search(action)):
        categories = ("network",) if read else ("network", "configuration")
        types = (verb,)
    elif provider in S3_SOURCES and S3_OBJECT.search(action):
        categories, types = ("file",), (verb,)
    else:
        categories, types = ("configuration",), (verb,)
    if insight:
        types = ("info",)  # the Insights event is about the calls' rate, not one call
    return categories, types


def verb_type(action: str, read_only: bool | None) -> str:
    match = VERB.match(action)
    known = VERB_TYPES.get(match.group()) if match else None
    if known:
        return known
    return "change" if read_only is False else "info"
