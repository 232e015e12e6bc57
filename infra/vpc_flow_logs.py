"""The optional VPC Flow Logs stack: a flow log to the central bucket for every VPC of an
account and region, deployed to the organization by a service-managed StackSet.

``AWS::EC2::FlowLog`` names one resource, and a StackSet template cannot know the VPCs of
300 accounts, nor the ones created tomorrow. So the stack holds a small function
(``infra/vpc_flow_logs_handler.py``, inline code: the template has no assets and needs no
CDK bootstrap) that lists the region's VPCs and creates the missing flow logs:

- when the stack is created or its parameters change (a custom resource), so that a
  StackSet instance fails visibly if the bucket refuses the delivery;
- when a VPC is created or a flow log deleted (EventBridge, ``CreateVpc``,
  ``CreateDefaultVpc``, ``DeleteFlowLogs`` from CloudTrail: the organization trail must
  record the region's management events), so a deleted flow log comes back in seconds;
- every hour, for whatever the events missed.

Each flow log: traffic ``ALL``, S3 destination ``arn:aws:s3:::<bucket>/<vpcflow prefix>``,
so that the log delivery service writes ``<prefix>AWSLogs/<account>/vpcflowlogs/<region>/...``,
the path the bucket policy admits (docs/deploy.md, "Trust model"). Hive-compatible
prefixes are never used: the bucket policy refuses them. The log format (AWS default,
version 2, or a custom one), the file format (text or Parquet), the aggregation interval
and hourly partitions are parameters. Flow logs of the account's own (to CloudWatch Logs or
another bucket) are left alone. Deleting the stack deletes the flow logs it created, and
only those: they carry a tag, and the function's role may delete only tagged flow logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aws, BootstraplessSynthesizer, CfnParameter, CustomResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import Config
from infra.functions import FunctionBuilder, FunctionSpec
from infra.nag import suppress
from infra.network import FunctionNetwork

HANDLER_SOURCE = Path(__file__).with_name("vpc_flow_logs_handler.py")
MANAGED_TAG = ("siem:managed-by", "siem-vpc-flow-logs")
CLOUDTRAIL_EVENTS = ("CreateVpc", "CreateDefaultVpc", "DeleteFlowLogs")
# The function's logical ids as 0.3.0 deployed them, before the function builder put its log
# group, role and function under one construct (builder's id -> deployed id). Kept, so that a
# StackSet update changes them in place: a new function would change the custom resource's
# ServiceToken, which CloudFormation refuses to modify, and a new log group would delete the
# old one with its logs. CDK fails synthesis if a rename no longer matches a generated id.
DEPLOYED_LOGICAL_IDS = {
    "FunctionLogsB2C1DB5C": "Logs6819BB44",
    "FunctionRole8EE059BE": "Role1ABCC5F0",
    "FunctionRoleDefaultPolicy5265322F": "RoleDefaultPolicy5FFB7DAB",
    "Function6B188E59": "Function76856677",
}


class VpcFlowLogsStack(Stack):
    """Deployed in each member account and region by a StackSet (or directly)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: Config, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, synthesizer=BootstraplessSynthesizer(), **kwargs)
        settings = self._parameters(config)
        for generated, deployed in DEPLOYED_LOGICAL_IDS.items():
            self.rename_logical_id(generated, deployed)
        # Lambda's own network: the function calls only the EC2 and CloudWatch Logs APIs.
        functions = FunctionBuilder(FunctionNetwork(self, "Network", None, config.name_prefix))
        built = functions.build_inline(
            self,
            "Function",
            FunctionSpec(
                handler="index.handler",
                description="SIEM: a flow log to the central bucket for every VPC of this region",
                timeout=Duration.minutes(5),
                memory_mb=256,
                environment=settings,
            ),
            HANDLER_SOURCE,
        )
        role, function = built.role, built.function
        self._grant(role)
        # Its properties are the settings, so that a parameter change runs the function again.
        CustomResource(
            self,
            "FlowLogs",
            service_token=function.function_arn,
            resource_type="Custom::SiemVpcFlowLogs",
            properties=settings,
        ).node.add_dependency(role)
        events.Rule(
            self,
            "Hourly",
            description="SIEM: create the flow logs the events missed",
            schedule=events.Schedule.rate(Duration.hours(1)),
            targets=[targets.LambdaFunction(function)],
        )
        events.Rule(
            self,
            "VpcEvents",
            description="SIEM: a flow log for a new VPC, and back for a deleted one",
            event_pattern=events.EventPattern(
                source=["aws.ec2"],
                detail_type=["AWS API Call via CloudTrail"],
                detail={"eventSource": ["ec2.amazonaws.com"], "eventName": list(CLOUDTRAIL_EVENTS)},
            ),
            targets=[targets.LambdaFunction(function)],
        )

    def _parameters(self, config: Config) -> dict[str, str]:
        bucket = CfnParameter(
            self, "LogBucketName", description="Name of the central SIEM log bucket (output LogBucketName)"
        )
        prefix = CfnParameter(
            self,
            "VpcflowPrefix",
            default=config.prefixes["vpcflow"],
            allowed_pattern=r"[A-Za-z0-9!_.*'()/-]+/",
            description="Key prefix of flow logs in the central bucket (the central stack's vpcflowPrefix)",
        )
        file_format = CfnParameter(
            self,
            "FileFormat",
            default="plain-text",
            allowed_values=["plain-text", "parquet"],
            description="Flow log files: text (gzip) or Apache Parquet (extra delivery charge)",
        )
        aggregation = CfnParameter(
            self,
            "MaxAggregationInterval",
            default="600",
            allowed_values=["60", "600"],
            description="Seconds over which a flow is aggregated into one record (60 makes more records)",
        )
        log_format = CfnParameter(
            self,
            "LogFormat",
            default="",
            description="Empty for the AWS default format (version 2), or a custom format (${version} ...)",
        )
        per_hour = CfnParameter(
            self,
            "PerHourPartition",
            default="false",
            allowed_values=["true", "false"],
            description="Partition the files per hour (<...>/yyyy/MM/dd/HH/)",
        )
        return {
            "BUCKET": bucket.value_as_string,
            "PREFIX": prefix.value_as_string,
            "FILE_FORMAT": file_format.value_as_string,
            "AGGREGATION": aggregation.value_as_string,
            "LOG_FORMAT": log_format.value_as_string,
            "PER_HOUR": per_hour.value_as_string,
        }

    def _grant(self, role: iam.Role) -> None:
        ec2_arn = f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        flow_logs = f"{ec2_arn}:vpc-flow-log/*"
        key, value = MANAGED_TAG
        role.add_to_policy(
            iam.PolicyStatement(actions=["ec2:DescribeVpcs", "ec2:DescribeFlowLogs"], resources=["*"])
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["ec2:CreateFlowLogs"], resources=[f"{ec2_arn}:vpc/*", flow_logs])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateTags"],
                resources=[flow_logs],
                conditions={"StringEquals": {"ec2:CreateAction": "CreateFlowLogs"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ec2:DeleteFlowLogs"],
                resources=[flow_logs],
                conditions={"StringEquals": {f"aws:ResourceTag/{key}": value}},
            )
        )
        # What the principal creating a flow log to S3 needs (VPC User Guide, "Permissions for
        # IAM principals that publish flow logs to Amazon S3"); these actions take no resource.
        role.add_to_policy(
            iam.PolicyStatement(actions=["logs:CreateLogDelivery", "logs:DeleteLogDelivery"], resources=["*"])
        )
        suppress(
            role,
            "AwsSolutions-IAM5",
            "ec2:DescribeVpcs, ec2:DescribeFlowLogs, logs:CreateLogDelivery and logs:DeleteLogDelivery "
            "support no resource-level permissions; flow logs are created for any VPC of this account and "
            "region (it lists them), and deleted only when they carry the stack's tag.",
            findings=[
                "Resource::*",
                "Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:vpc/*",
                "Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:vpc-flow-log/*",
            ],
        )
