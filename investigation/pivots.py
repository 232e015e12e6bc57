"""Forward pivots: what the actor created or changed that outlives its session, with the latest
state the logs know, and the containment checklist that follows (advice, never an action).

The chain's successful IAM writes (from the timeline search) name the objects: access keys,
users, console passwords, policies attached, roles and trust policies. Their later state comes
from one clause of the neighbours search (:func:`state_clause`): every later CloudTrail call,
by anyone, that deactivates, deletes or detaches them. Sessions of the chain carry their
expiration from the ``AssumeRole`` response.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from investigation import fields as f
from investigation.chain import Link
from investigation.documents import obj, text
from investigation.times import normalized
from normalizers.cloudtrail.network_activity import without_copies

STATE_EVENTS = 5
"""Latest state-changing calls fetched per object."""

# Created or changed by the actor: action -> (kind, the request/response paths naming the object).
_CREATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "CreateAccessKey": ("access key", ("response:accessKey.accessKeyId",)),
    "CreateUser": ("user", ("request:userName",)),
    "CreateLoginProfile": ("console password", ("request:userName",)),
    "UpdateLoginProfile": ("console password", ("request:userName",)),
    "AttachUserPolicy": ("policy attachment", ("request:userName", "request:policyArn")),
    "AttachRolePolicy": ("policy attachment", ("request:roleName", "request:policyArn")),
    "AttachGroupPolicy": ("policy attachment", ("request:groupName", "request:policyArn")),
    "PutUserPolicy": ("inline policy", ("request:userName", "request:policyName")),
    "PutRolePolicy": ("inline policy", ("request:roleName", "request:policyName")),
    "AddUserToGroup": ("group membership", ("request:userName", "request:groupName")),
    "CreateRole": ("role", ("request:roleName",)),
    "UpdateAssumeRolePolicy": ("trust policy", ("request:roleName",)),
    "CreatePolicy": ("policy", ("response:policy.arn",)),
    "CreatePolicyVersion": ("policy", ("request:policyArn",)),
}
# Later calls that change an object's state: action -> the state it leaves.
_STATE_CHANGES: dict[str, str] = {
    "UpdateAccessKey": "",  # the requested status: Active / Inactive
    "DeleteAccessKey": "deleted",
    "DeleteUser": "deleted",
    "DeleteLoginProfile": "deleted",
    "DetachUserPolicy": "detached",
    "DetachRolePolicy": "detached",
    "DetachGroupPolicy": "detached",
    "DeleteUserPolicy": "deleted",
    "DeleteRolePolicy": "deleted",
    "RemoveUserFromGroup": "removed",
    "DeleteRole": "deleted",
    "UpdateAssumeRolePolicy": "changed again",
    "DeletePolicy": "deleted",
}
_INITIAL = {
    "access key": "Active",
    "policy attachment": "attached",
    "group membership": "added",
    "trust policy": "changed",
}


@dataclass(frozen=True, slots=True)
class Pivot:
    """An object the actor created or changed, and its latest known state."""

    kind: str
    name: str
    """Its id: the key id, the user or role name, ``user/policy`` for an attachment."""
    names: tuple[str, ...]
    """The values a later call names it by (request parameters)."""
    action: str
    time: str | None
    hop: int | None
    account_id: str | None
    state: str
    state_time: str | None
    state_by: str | None
    """Who made the call that left the latest state (``None``: the actor's own creation)."""
    owner: str | None = None
    """The user an access key belongs to."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "time": self.time,
            "hop": self.hop,
            "account_id": self.account_id,
            "state": self.state,
            "state_time": self.state_time,
            "state_by": self.state_by,
            "owner": self.owner,
        }


def created(events: Iterable[tuple[dict[str, Any], int | None]]) -> list[Pivot]:
    """The objects the chain's successful writes created or changed (``(event, hop)`` pairs)."""
    found: dict[tuple[str, str], Pivot] = {}
    for event, hop in events:
        action = text(event, f.ACTION) or ""
        if action not in _CREATIONS or text(event, f.OUTCOME) == "failure":
            continue
        kind, paths = _CREATIONS[action]
        names = tuple(value for value in (_named(event, path) for path in paths) if value)
        if len(names) != len(paths):
            continue
        state, owner = _INITIAL.get(kind, "created"), None
        if kind == "access key":
            response = obj(event, f.RESPONSE_ELEMENTS)
            state = text(response, "accessKey.status") or state
            owner = text(response, "accessKey.userName") or _named(event, "request:userName")
        pivot = Pivot(
            kind=kind,
            name="/".join(names),
            names=names,
            action=action,
            time=normalized(text(event, f.TIMESTAMP)),
            hop=hop,
            account_id=text(event, f.ACCOUNT),
            state=state,
            state_time=normalized(text(event, f.TIMESTAMP)),
            state_by=None,
            owner=owner,
        )
        found[(kind, pivot.name)] = pivot
    return list(found.values())


def state_clause(pivots: Sequence[Pivot], since: str) -> dict[str, Any] | None:
    """Later CloudTrail calls that change any pivot's state, from ``since`` on (no upper bound:
    the latest state the logs know); a call's network activity copy is not another call."""
    values = sorted({name for pivot in pivots for name in pivot.names})
    if not values:
        return None
    return without_copies(
        {
            "bool": {
                "filter": [
                    {"term": {"event.dataset": f.CLOUDTRAIL}},
                    {"terms": {f.ACTION: sorted(_STATE_CHANGES)}},
                    {"terms": {f.REQUEST_PARAMETERS: values}},
                    {"range": {f.TIMESTAMP: {"gte": since, "format": "strict_date_optional_time"}}},
                ]
            }
        }
    )


def state_aggregation(pivots: Sequence[Pivot], since: str) -> dict[str, Any]:
    clause = state_clause(pivots, since)
    per_pivot = {
        str(number): {"bool": {"filter": [{"term": {f.REQUEST_PARAMETERS: name}} for name in pivot.names]}}
        for number, pivot in enumerate(pivots)
    }
    return {
        "filter": clause or {"bool": {"must_not": [{"match_all": {}}]}},
        "aggs": {
            "per_pivot": {
                "filters": {"filters": per_pivot},
                "aggs": {
                    "latest": {
                        "top_hits": {
                            "size": STATE_EVENTS,
                            "sort": [{f.TIMESTAMP: {"order": "desc"}}],
                            "_source": [
                                f.TIMESTAMP,
                                f.ACTION,
                                f.OUTCOME,
                                f.REQUEST_PARAMETERS,
                                f.IDENTITY,
                                f.USER,
                            ],
                        }
                    }
                },
            }
        },
    }


def latest_states(pivots: Sequence[Pivot], aggregation: dict[str, Any]) -> list[Pivot]:
    """Each pivot with the state its newest later successful call left."""
    buckets = aggregation.get("per_pivot", {}).get("buckets", {})
    updated = []
    for number, pivot in enumerate(pivots):
        hits = buckets.get(str(number), {}).get("latest", {}).get("hits", {}).get("hits", [])
        later = [
            hit.get("_source", {})
            for hit in hits
            if text(hit.get("_source", {}), f.OUTCOME) != "failure"
            and (normalized(text(hit.get("_source", {}), f.TIMESTAMP)) or "") > (pivot.time or "")
            and _applies(pivot, hit.get("_source", {}))
        ]
        if not later:
            updated.append(pivot)
            continue
        event = later[0]
        action = text(event, f.ACTION) or ""
        state = _STATE_CHANGES.get(action) or text(obj(event, f.REQUEST_PARAMETERS), "status") or action
        updated.append(
            replace(
                pivot,
                state=state,
                state_time=normalized(text(event, f.TIMESTAMP)),
                state_by=text(event, f"{f.IDENTITY}.arn") or text(event, f.USER_NAME) or "?",
            )
        )
    return updated


def _applies(pivot: Pivot, event: dict[str, Any]) -> bool:
    """A later call changes this kind of object (DeleteUser does not delete an access key)."""
    action = text(event, f.ACTION) or ""
    return action in _STATE_ACTIONS_BY_KIND.get(pivot.kind, ())


_STATE_ACTIONS_BY_KIND = {
    "access key": ("UpdateAccessKey", "DeleteAccessKey", "DeleteUser"),
    "user": ("DeleteUser",),
    "console password": ("DeleteLoginProfile", "DeleteUser"),
    "policy attachment": ("DetachUserPolicy", "DetachRolePolicy", "DetachGroupPolicy"),
    "inline policy": ("DeleteUserPolicy", "DeleteRolePolicy"),
    "group membership": ("RemoveUserFromGroup",),
    "role": ("DeleteRole",),
    "trust policy": ("UpdateAssumeRolePolicy", "DeleteRole"),
    "policy": ("DeletePolicy",),
}


def chain_credentials(chain: Sequence[Link]) -> list[Pivot]:
    """The credentials the chain used: each session with its expiration, and a long-term key at
    its origin (whose state only the IAM API knows: the logs show it in use)."""
    found = []
    for hop, link in enumerate(chain, 1):
        issued = link.issued_by
        if issued is not None:
            found.append(
                Pivot(
                    kind="session",
                    name=link.label,
                    names=(),
                    action=issued.action,
                    time=normalized(issued.time),
                    hop=hop,
                    account_id=link.account_id,
                    state=f"expires {issued.expiration}" if issued.expiration else "expiration unknown",
                    state_time=issued.expiration,
                    state_by=None,
                    owner=link.access_key_id,
                )
            )
        elif (link.access_key_id or "").startswith("AKIA"):
            found.append(
                Pivot(
                    kind="access key",
                    name=str(link.access_key_id),
                    names=(),
                    action="(used by the chain)",
                    time=None,
                    hop=hop,
                    account_id=link.account_id,
                    state="in use (long-term: valid until deactivated)",
                    state_time=None,
                    state_by=None,
                    owner=link.name,
                )
            )
    return found


def checklist(pivots: Sequence[Pivot], chain: Sequence[Link]) -> list[str]:
    """Containment steps, most urgent first. Advice only: the product changes nothing."""
    steps: list[str] = []
    origin = chain[-1] if chain else None
    if origin and origin.type == "IAMUser" and (origin.access_key_id or "").startswith("AKIA"):
        steps.append(
            f"Deactivate the stolen access key {origin.access_key_id} of {origin.label} "
            f"(aws iam update-access-key --user-name {origin.name} --access-key-id "
            f"{origin.access_key_id} --status Inactive), then rotate it."
        )
    for pivot in pivots:
        if pivot.kind == "access key" and pivot.state == "Active":
            user = pivot.owner
            steps.append(
                f"Deactivate the access key {pivot.name} the actor created"
                + (f" for user {user}" if user else "")
                + f" (aws iam update-access-key{f' --user-name {user}' if user else ''} "
                f"--access-key-id {pivot.name} --status Inactive)."
            )
    for link in chain:
        if link.type == "AssumedRole" and link.issued_by is not None:
            role = _role_of(link.arn)
            until = f", valid until {link.issued_by.expiration}" if link.issued_by.expiration else ""
            steps.append(
                f"Revoke the active sessions of role {role or link.label}{until}: IAM 'Revoke active "
                "sessions' attaches the AWSRevokeOlderSessions inline policy, which denies every "
                "action to credentials issued before now (aws:TokenIssueTime)."
            )
    for pivot in pivots:
        if pivot.kind == "trust policy" and pivot.state == "changed":
            steps.append(
                f"Restore the trust policy of role {pivot.name}, changed by the actor at {pivot.time}."
            )
        elif pivot.kind in ("policy attachment", "inline policy", "group membership") and pivot.state in (
            "attached",
            "created",
            "added",
        ):
            steps.append(f"Remove the {pivot.kind} {pivot.name} the actor added at {pivot.time}.")
        elif pivot.kind in ("user", "role", "console password", "policy") and pivot.state == "created":
            steps.append(
                f"Review and delete the {pivot.kind} {pivot.name} the actor created at {pivot.time} "
                "(once its evidence is kept)."
            )
    return steps


def _role_of(arn: str | None) -> str | None:
    if not arn or ":assumed-role/" not in arn:
        return None
    return arn.split(":assumed-role/", 1)[1].split("/", 1)[0]


def _named(event: dict[str, Any], path: str) -> str | None:
    where, _, key = path.partition(":")
    block = obj(event, f.REQUEST_PARAMETERS if where == "request" else f.RESPONSE_ELEMENTS)
    return text(block, key)
