"""The Security Hub custom action of the central stack: created, renamed and deleted with the
stack (a CloudFormation custom resource; inline Lambda code, the runtime's boto3 only)."""

import json
import urllib.request
from typing import Any

import boto3
from botocore.exceptions import ClientError

GONE = "ResourceNotFoundException"


def apply(hub: Any, event: dict[str, Any]) -> str:
    """Create, update or delete the action target; its ARN (the physical resource id)."""
    wanted = event["ResourceProperties"]
    arn = event.get("PhysicalResourceId", "")
    if event["RequestType"] == "Delete":
        if arn.startswith("arn:"):  # not a creation that failed before it had an ARN
            try:
                hub.delete_action_target(ActionTargetArn=arn)
            except ClientError as error:
                if error.response["Error"]["Code"] != GONE:
                    raise
        return arn
    if event["RequestType"] == "Update" and arn.endswith(f"/{wanted['Id']}"):
        hub.update_action_target(ActionTargetArn=arn, Name=wanted["Name"], Description=wanted["Description"])
        return arn
    # Create, or a new Id: a new action target (CloudFormation then deletes the old one).
    created = hub.create_action_target(
        Name=wanted["Name"], Description=wanted["Description"], Id=wanted["Id"]
    )
    return str(created["ActionTargetArn"])


def respond(event: dict[str, Any], status: str, reason: str, arn: str) -> None:
    body = {
        "Status": status,
        "Reason": reason or "see the function's log",
        "PhysicalResourceId": arn or event["RequestId"],
        **{key: event[key] for key in ("StackId", "RequestId", "LogicalResourceId")},
    }
    request = urllib.request.Request(
        event["ResponseURL"], json.dumps(body).encode(), {"Content-Type": ""}, method="PUT"
    )
    urllib.request.urlopen(request, timeout=30).close()


def handler(event: dict[str, Any], context: Any) -> None:
    status, reason, arn = "SUCCESS", "", event.get("PhysicalResourceId", "")
    try:
        arn = apply(boto3.client("securityhub"), event)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:900]
        print(reason)
        # A failed delete (Security Hub disabled since) must not block removing the stack.
        status = "SUCCESS" if event["RequestType"] == "Delete" else "FAILED"
    respond(event, status, reason, arn)
