"""Who acted in a GuardDuty finding: an AWS principal, a Kubernetes user, a database user.

GuardDuty names the actor in the resource block of the finding's kind: ``accessKeyDetails``
(an AWS principal, mapped by the shared actor contract), ``kubernetesDetails.
kubernetesUserDetails`` (EKS audit and runtime findings), ``rdsDbUserDetails`` (RDS login
findings). The first present gives ``user.*``; every identifier of all of them goes to
``related.user``, beside the identities a workload acts as (a pod's service account, a
Lambda function's role) (docs/sources/guardduty.md, "Actor").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.ecs.actor import Actor, access_key_actor, actor_fields
from normalizers.ecs.arn import role_name
from normalizers.ecs.bounded import bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.getters import optional_obj
from normalizers.ecs.values import as_text, prune, unique
from normalizers.guardduty.workload import kubernetes_workload


@dataclass(slots=True)
class FindingActor:
    """``user``, ``related.user`` and ``aws.guardduty.user_identity`` of a finding."""

    user: dict[str, Any] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)


def finding_actor(resource: dict[str, Any], action: dict[str, Any], account: str) -> FindingActor:
    """``resource`` as the finding has it; ``action`` snake_cased (``service.action``)."""
    details = optional_obj(resource, "accessKeyDetails")
    user, related, identity = actor_fields(_access_key(details, account))
    kubernetes = _kubernetes_user(
        optional_obj(optional_obj(resource, "kubernetesDetails"), "kubernetesUserDetails")
    )
    database = _database_user(optional_obj(resource, "rdsDbUserDetails"))
    for other in (kubernetes, database):
        if not user.get("name") and not user.get("id"):
            user = {**other.user, **user}
        related += other.related
    related += _login_attempt_users(action)
    related += _workload_identities(resource)
    return FindingActor(user, unique(related), identity)


def _access_key(details: dict[str, Any], account: str) -> Actor:
    return access_key_actor(
        access_key_id=as_text(details.get("accessKeyId")),
        principal_id=as_text(details.get("principalId")),
        user_name=as_text(details.get("userName")),
        user_type=as_text(details.get("userType")),
        account_id=account if details else None,
    )


def _kubernetes_user(details: dict[str, Any]) -> FindingActor:
    """``kubernetesUserDetails``: the Kubernetes user (``username``, ``uid``, ``groups``), the
    IAM role sessions it maps to (``sessionName``), and the user it impersonated."""
    impersonated = details.get("impersonatedUser")
    impersonated = impersonated if isinstance(impersonated, dict) else {}
    name, uid = as_text(details.get("username")), as_text(details.get("uid"))
    effective = as_text(impersonated.get("username"))
    user = prune(
        {
            "name": name,
            "id": uid,
            "group": {"name": _texts(details.get("groups"))},
            "effective": {"name": effective, "group": {"name": _texts(impersonated.get("groups"))}},
        }
    )
    return FindingActor(user, unique([name, uid, *_texts(details.get("sessionName")), effective]))


def _database_user(details: dict[str, Any]) -> FindingActor:
    """``rdsDbUserDetails``: the database user who logged in (``user``)."""
    name = as_text(details.get("user"))
    return FindingActor({"name": name} if name else {}, [name] if name else [])


def _workload_identities(resource: dict[str, Any]) -> list[str]:
    """The identities a workload acts as, which its own calls are logged under: a pod's
    service account as Kubernetes names it in audit logs (``system:serviceaccount:<namespace>:
    <name>``, ``kubernetesWorkloadDetails``), a Lambda function's execution role by its name
    (the session issuer of the function's CloudTrail calls, ``lambdaDetails.role``)."""
    workload = kubernetes_workload(resource)
    namespace, account = as_text(workload.get("namespace")), as_text(workload.get("serviceAccountName"))
    return unique(
        [
            f"system:serviceaccount:{namespace}:{account}" if namespace and account else None,
            role_name(optional_obj(resource, "lambdaDetails").get("role")),
        ]
    )


def _login_attempt_users(action: dict[str, Any]) -> list[str]:
    """Every user an RDS login attempt tried (``rdsLoginAttemptAction.LoginAttributes``)."""
    attempt = action.get("rds_login_attempt_action")
    attributes = bounded_objects(attempt.get("login_attributes")) if isinstance(attempt, dict) else []
    return bounded_unique(as_text(item.get("user")) for item in attributes)


def _texts(value: Any) -> list[str]:
    """The non-empty strings among the first :data:`~normalizers.ecs.bounded.LIST_LIMIT` of a
    list (or one string)."""
    return unique(bounded_strings(value) if isinstance(value, list) else [as_text(value)])
