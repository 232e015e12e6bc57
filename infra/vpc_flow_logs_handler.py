"""Flow logs for every VPC of this account and region to the SIEM bucket (inline Lambda code)."""

import json
import os
import urllib.request
from typing import Any

import boto3
from botocore.exceptions import ClientError

DUPLICATE = "FlowLogAlreadyExists"
TAG = {"Key": "siem:managed-by", "Value": "siem-vpc-flow-logs"}


def destination() -> str:
    return f"arn:aws:s3:::{os.environ['BUCKET']}/{os.environ['PREFIX']}"


def ours(ec2: Any) -> dict[str, str]:
    """VPC id -> id of its flow log to our destination."""
    found = {}
    pages = ec2.get_paginator("describe_flow_logs").paginate(
        Filters=[{"Name": "log-destination-type", "Values": ["s3"]}]
    )
    for page in pages:
        for log in page["FlowLogs"]:
            if log.get("LogDestination", "").rstrip("/") == destination().rstrip("/"):
                found[log["ResourceId"]] = log["FlowLogId"]
    return found


def reconcile(ec2: Any) -> list[str]:
    """Create the missing flow logs; the VPC ids done. Raises after trying every VPC."""
    have, created, errors = ours(ec2), [], []
    for page in ec2.get_paginator("describe_vpcs").paginate():
        for vpc in (v["VpcId"] for v in page["Vpcs"] if v["VpcId"] not in have):
            request = {
                "ResourceIds": [vpc],
                "ResourceType": "VPC",
                "TrafficType": "ALL",
                "LogDestinationType": "s3",
                "LogDestination": destination(),
                "MaxAggregationInterval": int(os.environ["AGGREGATION"]),
                "DestinationOptions": {
                    "FileFormat": os.environ["FILE_FORMAT"],
                    "HiveCompatiblePartitions": False,
                    "PerHourPartition": os.environ["PER_HOUR"] == "true",
                },
                "TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": [TAG]}],
            }
            if os.environ.get("LOG_FORMAT"):
                request["LogFormat"] = os.environ["LOG_FORMAT"]
            try:
                failed = ec2.create_flow_logs(**request).get("Unsuccessful", [])
            except ClientError as error:
                failed = [{"Error": error.response["Error"]}]
            failed = [f["Error"] for f in failed if f["Error"]["Code"] != DUPLICATE]
            if failed:
                errors.append(f"{vpc}: {failed[0]['Code']}: {failed[0]['Message']}")
            else:
                created.append(vpc)
    print(json.dumps({"created": created, "errors": errors}))
    if errors:
        raise RuntimeError("; ".join(errors)[:900])
    return created


def remove(ec2: Any) -> None:
    ids = list(ours(ec2).values())
    for start in range(0, len(ids), 100):
        ec2.delete_flow_logs(FlowLogIds=ids[start : start + 100])


def respond(event: dict[str, Any], status: str, reason: str) -> None:
    body = {
        "Status": status,
        "Reason": reason or "see the function's log",
        "PhysicalResourceId": event.get("PhysicalResourceId", "siem-vpc-flow-logs"),
        **{key: event[key] for key in ("StackId", "RequestId", "LogicalResourceId")},
    }
    request = urllib.request.Request(
        event["ResponseURL"], json.dumps(body).encode(), {"Content-Type": ""}, method="PUT"
    )
    urllib.request.urlopen(request, timeout=30).close()


def handler(event: dict[str, Any], context: Any) -> Any:
    ec2 = boto3.client("ec2")
    if "RequestType" not in event:  # the schedule, or CreateVpc / DeleteFlowLogs from CloudTrail
        return reconcile(ec2)
    status, reason = "SUCCESS", ""
    try:
        if event["RequestType"] == "Delete":
            remove(ec2)
        else:
            reconcile(ec2)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:900]
        # A failed delete must not block removing the stack (or an account from a StackSet).
        status = "SUCCESS" if event["RequestType"] == "Delete" else "FAILED"
        print(reason)
    respond(event, status, reason)
