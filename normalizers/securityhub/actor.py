"""The actor of a Security Hub finding: the first ``AwsIamAccessKey`` resource, else
``AwsIamUser``, else ``AwsIamRole`` (docs/schema.md, "The actor"); and the identities the
finding's workloads act as."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.actor import Actor, access_key_actor
from normalizers.ecs.arn import role_name
from normalizers.ecs.bounded import LIST_LIMIT
from normalizers.ecs.timestamps import optional_time
from normalizers.ecs.values import as_bool, as_dict, as_text, unique
from normalizers.securityhub.resources import details_of
from normalizers.securityhub.tables import ACCESS_KEY_ID_PREFIX


def resources_actor(resources: list[dict[str, Any]], account: str) -> Actor:
    for kind, build in (
        ("AwsIamAccessKey", _access_key),
        ("AwsIamUser", _iam_user),
        ("AwsIamRole", _iam_role),
    ):
        resource = next((item for item in resources if item.get("Type") == kind), None)
        if resource is not None:
            return build(resource, details_of(resource, kind), account)
    return Actor()


def _access_key(resource: dict[str, Any], details: dict[str, Any], account: str) -> Actor:
    resource_id = as_text(resource.get("Id")) or ""
    key_from_id = (
        resource_id[len(ACCESS_KEY_ID_PREFIX) :] if resource_id.startswith(ACCESS_KEY_ID_PREFIX) else None
    )
    session = as_dict(details.get("SessionContext"))
    attributes, issuer = as_dict(session.get("Attributes")), as_dict(session.get("SessionIssuer"))
    return access_key_actor(
        access_key_id=as_text(details.get("AccessKeyId")) or key_from_id,
        principal_id=as_text(details.get("PrincipalId")),
        user_name=as_text(details.get("PrincipalName")) or as_text(details.get("UserName")),
        user_type=as_text(details.get("PrincipalType")),
        account_id=as_text(details.get("AccountId")) or account,
        issuer=issuer,
        mfa_authenticated=as_bool(attributes.get("MfaAuthenticated")),
        session_created=optional_time(attributes.get("CreationDate")),
    )


def _iam_user(resource: dict[str, Any], details: dict[str, Any], account: str) -> Actor:
    arn = as_text(resource.get("Id"))
    return Actor(
        type="IAMUser",
        principal_id=as_text(details.get("UserId")),
        arn=arn if arn and arn.startswith("arn:") else None,
        account_id=account,
        user_name=as_text(details.get("UserName")),
    )


def _iam_role(resource: dict[str, Any], details: dict[str, Any], account: str) -> Actor:
    arn = as_text(resource.get("Id"))
    name = as_text(details.get("RoleName")) or (arn.rsplit("/", 1)[-1] if arn and ":role/" in arn else None)
    return Actor(
        type="Role",
        principal_id=as_text(details.get("RoleId")),
        arn=arn if arn and arn.startswith("arn:") else None,
        account_id=account,
        user_name=name,
    )


def workload_identities(resources: list[dict[str, Any]]) -> list[str]:
    """The identities a finding's workloads act as, which their own calls are logged under:
    a Lambda function's execution role by name (``AwsLambdaFunction.Role``, the session
    issuer of every call the function makes), as GuardDuty's ``lambdaDetails.role`` gives it
    (docs/sources/guardduty.md, "Actor")."""
    return unique(
        role_name(details_of(resource, "AwsLambdaFunction").get("Role"))
        for resource in resources[:LIST_LIMIT]
        if resource.get("Type") == "AwsLambdaFunction"
    )
