"""Which CloudTrail events are important enough for the timeline, and why.

An event is on the timeline when it is a sign-in, a call that issued credentials, a failed
call, a write, or a sensitive read. The same constants build the search filter
(:func:`important`) and each event's reasons (:func:`reasons`), so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from investigation import fields as f
from investigation.chain import ISSUING_ACTIONS
from investigation.documents import first, text

SIGN_IN_PROVIDER = "signin.amazonaws.com"
"""``ConsoleLogin``, ``SwitchRole``, ``CheckMfa``, ``GetSigninToken``...: every AWS sign-in event
(CloudTrail logs them under this event source, as ``AwsConsoleSignIn`` events)."""

SENSITIVE_READS = (
    # Data and secrets (MITRE ATT&CK T1530 data from cloud storage, T1552 unsecured credentials).
    "GetObject",
    "GetSecretValue",
    "BatchGetSecretValue",
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
    "Decrypt",
    "GetPasswordData",
    # Who am I, and what identities and permissions exist (T1087 account discovery,
    # T1069 permission groups discovery): the first calls made with stolen keys.
    "GetCallerIdentity",
    "ListUsers",
    "ListRoles",
    "ListAccessKeys",
    "ListAttachedUserPolicies",
    "ListAttachedRolePolicies",
    "ListUserPolicies",
    "ListRolePolicies",
    "GetUserPolicy",
    "GetRolePolicy",
    "GetPolicyVersion",
    "GetAccountAuthorizationDetails",
    "GetCredentialReport",
    # What data exists (T1619 cloud storage object discovery).
    "ListBuckets",
    "ListObjects",
    "ListObjectsV2",
)
"""Read-only calls worth a line on the timeline: reading data or secrets, and the discovery
calls an intruder makes first."""


def important() -> dict[str, Any]:
    """The search filter: the events :func:`reasons` gives at least one reason for."""
    return {
        "bool": {
            "should": [
                {"term": {f.PROVIDER: SIGN_IN_PROVIDER}},
                {"terms": {f.ACTION: list(ISSUING_ACTIONS)}},
                {"term": {f.OUTCOME: "failure"}},
                {"term": {f.READ_ONLY: False}},
                {"terms": {f.ACTION: list(SENSITIVE_READS)}},
            ],
            "minimum_should_match": 1,
        }
    }


def reasons(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Why ``event`` is on the timeline: ``sign-in``, ``credentials``, ``error``, ``write``,
    ``sensitive read`` (none when it is not important)."""
    action = text(event, f.ACTION)
    found = []
    if text(event, f.PROVIDER) == SIGN_IN_PROVIDER:
        found.append("sign-in")
    if action in ISSUING_ACTIONS:
        found.append("credentials")
    if text(event, f.OUTCOME) == "failure":
        found.append("error")
    if first(event, f.READ_ONLY) is False:
        found.append("write")
    if action in SENSITIVE_READS:
        found.append("sensitive read")
    return tuple(found)
