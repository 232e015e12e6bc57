"""Compute capacity, model logging, web ACLs, traffic mirroring, identity stacks, endpoint
traffic and build projects kept in order: the routine look-alikes of the rules added or
widened on 2026-12-07 (docs/detections.md, "Our rules").

Those rules read calls the rest of the corpus never makes, so their zero false positives
said nothing. A well-run organization makes their everyday twins every week:

- the CI runner's Terraform writes launch templates and new versions of them, Auto Scaling
  groups with instance type overrides and EKS managed node groups, all of general-purpose
  types (siem-ec2-accelerated-instance-launch reads the same members for GPU families);
- it also writes the other paths to EC2 capacity, again of ordinary types: a launch template
  or an EC2 Fleet choosing instances by attributes with accelerators excluded, a fleet of
  named overrides or only resized, a Spot Fleet, a Batch compute environment (``optimal`` or
  named families), an EMR cluster, and SageMaker training and processing jobs, a notebook
  instance and an endpoint configuration on ``ml.m5`` / ``ml.c5`` / ``ml.r5`` / ``ml.t3``
  (the same rule reads them for accelerated types);
- it sets Bedrock model invocation logging up (Put, never Delete) in the account that calls
  the models (siem-bedrock-invocation-logging-deleted);
- it associates a regional web ACL with a load balancer or an API stage, and AWS Firewall
  Manager's service-linked role applies a security policy: associating the policy's web ACL
  with a new resource, or taking it off one that left the policy's scope
  (siem-waf-web-acl-disassociated leaves Firewall Manager out);
- the security team's IDS module creates traffic mirror filters, filter rules and a target
  (the IDS appliance's Gateway Load Balancer endpoint), and its pipeline function creates a
  mirror session for each new instance. The sessions are what
  siem-ec2-traffic-mirroring-started exists for: the rule cannot tell this pipeline from an
  intruder, so it alerts on them, and the organization excepts its own pipeline's role in
  its deployment (detections/fp_exceptions.yml), not in the shipped rule;
- CloudFormation StackSets create the roles that trust the accounts' identity providers
  (the corporate SAML provider, GitHub's OIDC provider held to a repository), never the
  providers themselves (siem-iam-identity-provider-changed matches CloudFormation too);
- instances read their secrets and decrypt with their keys through the account's own
  interface endpoint, or the network account's shared one, and the endpoint's owner logs
  the network activity events (siem-vpc-endpoint-used-by-outside-account: fellow accounts
  are inside with the accounts directory, and alert without it);
- the platform team's Terraform keeps CodeBuild projects PRIVATE
  (UpdateProjectVisibility; siem-resource-policy-grants-outside reads PUBLIC_READ);
- the sandbox accounts' Terraform attaches AWS managed policies to their IAM users
  (IAMUserChangePassword, IAMUserSSHKeys; siem-iam-exposed-key-quarantined reads only
  AWS's quarantine policies).

Root is never used here, as in a well-run organization: the corpus holds no ``Root`` record,
and its console sessions are people's (siem-root-account-usage).

Shapes follow botocore's models as CloudTrail logs them and the rules' own tests: EC2's newer
calls wrapped in ``<Operation>Request`` (list items numbered by ``tag``), its older ones (Spot
Fleet) flat with lists as ``{items: [...]}``; Auto Scaling's query members with the first letter
lower-case; EKS's, Bedrock's, WAF's, CodeBuild's and Batch's JSON members; EMR's and
SageMaker's with the first letter lower-cased; network activity events as
tests/golden/cloudtrail/network-activity (AWS's example). Each function is one episode and
returns its records in call order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from demo.benign.calls import BOTO3, JAVA, Clock, Context, Record, terraform
from demo.benign.grantrules import _cfn_executor
from demo.benign.org import HOME_REGION, Account, Role, service_linked_role, stable_hex
from demo.benign.pipelines import Change, _terraform_session, stack_changes, terraform_writes
from demo.records import cloudtrail as ct

EC2 = "ec2.amazonaws.com"
AUTOSCALING = "autoscaling.amazonaws.com"
EKS = "eks.amazonaws.com"
BATCH = "batch.amazonaws.com"
EMR = "elasticmapreduce.amazonaws.com"
SAGEMAKER = "sagemaker.amazonaws.com"
BEDROCK = "bedrock.amazonaws.com"
WAF = "wafv2.amazonaws.com"
FMS = "fms.amazonaws.com"
IAM = "iam.amazonaws.com"
CODEBUILD = "codebuild.amazonaws.com"
GENERAL_PURPOSE = (
    "m7i.large",
    "m7g.large",
    "m6i.xlarge",
    "c7i.large",
    "c7g.xlarge",
    "r7i.large",
    "t3.medium",
)
"""Ordinary instance types (general purpose, compute and memory optimized, burstable)."""
ORDINARY_ML = ("ml.m5.xlarge", "ml.m5.4xlarge", "ml.c5.2xlarge", "ml.r5.xlarge")
"""SageMaker's ordinary instance types (no accelerator)."""
IDS_PIPELINE_ROLE = "ids-mirror-sessions"
"""The security team's function that mirrors each new instance to the IDS appliance."""


def _wrapped(operation: str, request: Any, response: dict[str, Any], ctx: Context) -> Change:
    """A newer EC2 call as CloudTrail logs it: ``<Operation>Request`` / ``<Operation>Response``."""
    return (EC2, operation, {f"{operation}Request": request},
            {f"{operation}Response": {"requestId": ctx.ids.uuid(), **response}})  # fmt: skip


def _service(account: Account) -> str:
    return account.name.split("-", 1)[-1]


# --- compute capacity ---------------------------------------------------------------------


def compute_capacity_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform writes a service's compute: a launch template or a new version
    of it, an Auto Scaling group created or updated with instance type overrides, an EKS
    managed node group created or resized; general-purpose types only."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    chosen = ctx.rng.sample(_capacity_changes(ctx, target), ctx.rng.randint(1, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def _capacity_changes(ctx: Context, target: Account) -> list[Change]:
    rng, service = ctx.rng, _service(target)
    template_id, image = f"lt-0{ctx.hex(16)}", f"ami-0{ctx.hex(16)}"
    types = rng.sample(GENERAL_PURPOSE, 3)
    subnets = [f"subnet-0{ctx.hex(16)}" for _ in range(3)]
    template = {"launchTemplateId": template_id, "launchTemplateName": f"{service}-web",
                "defaultVersionNumber": 1, "latestVersionNumber": 1}  # fmt: skip
    data = {"ImageId": image, "InstanceType": types[0],
            "IamInstanceProfile": {"Name": f"{service}-instance"},
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}}  # fmt: skip
    overrides = [{"instanceType": instance_type} for instance_type in types]
    spec = {"launchTemplateId": template_id, "version": "$Latest"}
    version = rng.randint(2, 30)
    return [
        _wrapped("CreateLaunchTemplate",
                 {"LaunchTemplateName": f"{service}-web", "LaunchTemplateData": data, "ClientToken": ctx.ids.uuid()},
                 {"launchTemplate": template}, ctx),
        _wrapped("CreateLaunchTemplateVersion",
                 {"LaunchTemplateId": template_id, "SourceVersion": str(version - 1),
                  "VersionDescription": "new golden image",
                  "LaunchTemplateData": {"ImageId": image, "InstanceType": types[1]}},
                 {"launchTemplateVersion": {"launchTemplateId": template_id, "versionNumber": version,
                                            "defaultVersion": False}}, ctx),
        (AUTOSCALING, "CreateAutoScalingGroup",
         {"autoScalingGroupName": f"{service}-web", "minSize": 2, "maxSize": rng.choice((6, 12, 20)),
          "desiredCapacity": 2, "vPCZoneIdentifier": ",".join(subnets), "healthCheckType": "ELB",
          "mixedInstancesPolicy": {"launchTemplate": {"launchTemplateSpecification": spec, "overrides": overrides},
                                   "instancesDistribution": {"onDemandBaseCapacity": 2,
                                                             "spotAllocationStrategy": "price-capacity-optimized"}}},
         None),
        (AUTOSCALING, "UpdateAutoScalingGroup",
         {"autoScalingGroupName": f"{service}-web",
          "mixedInstancesPolicy": {"launchTemplate": {"launchTemplateSpecification": spec,
                                                      "overrides": overrides[::-1]}}},
         None),
        (AUTOSCALING, "UpdateAutoScalingGroup",
         {"autoScalingGroupName": f"{service}-web", "desiredCapacity": 4, "maxSize": 20}, None),
        (EKS, "CreateNodegroup",
         {"clusterName": f"{service}-cluster", "nodegroupName": f"{service}-general-{ctx.hex(4)}",
          "scalingConfig": {"minSize": 2, "maxSize": 10, "desiredSize": 3},
          "instanceTypes": types[:2], "amiType": "AL2023_x86_64_STANDARD", "capacityType": "ON_DEMAND",
          "subnets": subnets, "nodeRole": f"arn:aws:iam::{target.id}:role/{service}-eks-node",
          "clientRequestToken": ctx.ids.uuid()},
         {"nodegroup": {"nodegroupName": f"{service}-general", "clusterName": f"{service}-cluster",
                        "status": "CREATING", "instanceTypes": types[:2]}}),
        (EKS, "UpdateNodegroupConfig",
         {"clusterName": f"{service}-cluster", "nodegroupName": f"{service}-general",
          "scalingConfig": {"minSize": 2, "maxSize": 16, "desiredSize": 4}, "clientRequestToken": ctx.ids.uuid()},
         {"update": {"id": ctx.ids.uuid(), "status": "InProgress", "type": "ConfigUpdate"}}),
    ]  # fmt: skip


def fleet_and_ml_capacity_terraform(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform writes a service's other capacity: a launch template by
    attributes, an EC2 Fleet, a Spot Fleet, a Batch compute environment, an EMR cluster,
    SageMaker jobs, a notebook instance or an endpoint configuration; ordinary types only."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    chosen = ctx.rng.sample(_fleet_and_ml_changes(ctx, target), ctx.rng.randint(1, 3))
    return records + terraform_writes(ctx, clock, identity, target, ip, chosen)


def _fleet_and_ml_changes(ctx: Context, target: Account) -> list[Change]:
    rng, service = ctx.rng, _service(target)
    template_id = f"lt-0{ctx.hex(16)}"
    types, ml_type = rng.sample(GENERAL_PURPOSE, 3), rng.choice(ORDINARY_ML)
    subnets = [f"subnet-0{ctx.hex(16)}" for _ in range(3)]
    spec = {"LaunchTemplateId": template_id, "Version": "$Latest"}
    execution_role = f"arn:aws:iam::{target.id}:role/{service}-sagemaker-execution"
    fleet_id = f"fleet-{ctx.ids.uuid()}"
    return [
        _wrapped("CreateLaunchTemplate",
                 {"LaunchTemplateName": f"{service}-flexible", "ClientToken": ctx.ids.uuid(),
                  "LaunchTemplateData": {"ImageId": f"ami-0{ctx.hex(16)}",
                                         "InstanceRequirements": {"VCpuCount": {"Min": 2, "Max": 8},
                                                                  "MemoryMiB": {"Min": 4096},
                                                                  "AcceleratorCount": {"Max": 0}}}},
                 {"launchTemplate": {"launchTemplateId": template_id, "launchTemplateName": f"{service}-flexible",
                                     "defaultVersionNumber": 1, "latestVersionNumber": 1}}, ctx),
        _wrapped("CreateFleet",
                 {"Type": "instant", "ClientToken": ctx.ids.uuid(),
                  "TargetCapacitySpecification": {"TotalTargetCapacity": 3, "DefaultTargetCapacityType": "on-demand"},
                  "LaunchTemplateConfigs": {"tag": 1, "LaunchTemplateSpecification": spec,
                                            "Overrides": [{"tag": n, "InstanceType": instance_type, "SubnetId": subnet}
                                                          for n, (instance_type, subnet) in enumerate(zip(types, subnets, strict=True), 1)]}},
                 {"fleetId": fleet_id, "errorSet": ""}, ctx),
        _wrapped("CreateFleet",
                 {"Type": "maintain", "ClientToken": ctx.ids.uuid(),
                  "TargetCapacitySpecification": {"TotalTargetCapacity": rng.choice((16, 32, 64)),
                                                  "TargetCapacityUnitType": "vcpu", "DefaultTargetCapacityType": "spot"},
                  "SpotOptions": {"AllocationStrategy": "price-capacity-optimized"},
                  "LaunchTemplateConfigs": {"tag": 1, "LaunchTemplateSpecification": spec,
                                            "Overrides": {"tag": 1, "InstanceRequirements": {
                                                "VCpuCount": {"Min": 2, "Max": 16}, "MemoryMiB": {"Min": 4096},
                                                "AcceleratorCount": {"Min": 0, "Max": 0},
                                                "BurstablePerformance": "excluded"}}}},
                 {"fleetId": fleet_id, "errorSet": ""}, ctx),
        _wrapped("ModifyFleet",
                 {"FleetId": fleet_id, "TargetCapacitySpecification": {"TotalTargetCapacity": rng.choice((4, 8, 12))}},
                 {"return": True}, ctx),
        (EC2, "RequestSpotFleet",
         {"spotFleetRequestConfig": {
             "iamFleetRole": f"arn:aws:iam::{target.id}:role/aws-ec2-spot-fleet-tagging-role",
             "allocationStrategy": "priceCapacityOptimized", "targetCapacity": rng.choice((4, 8, 12)),
             "launchTemplateConfigs": {"items": [{
                 "launchTemplateSpecification": {"launchTemplateId": template_id, "version": "$Latest"},
                 "overrides": {"items": [{"instanceType": instance_type, "subnetId": subnet}
                                         for instance_type, subnet in zip(types, subnets, strict=True)]}}]}}},
         {"spotFleetRequestId": f"sfr-{ctx.ids.uuid()}"}),
        (BATCH, "CreateComputeEnvironment",
         {"computeEnvironmentName": f"{service}-reports", "type": "MANAGED", "state": "ENABLED",
          "computeResources": {"type": rng.choice(("EC2", "SPOT")), "minvCpus": 0, "maxvCpus": 256,
                               "instanceTypes": rng.choice((["optimal"], [t.split(".")[0] for t in types[:2]])),
                               "subnets": subnets, "instanceRole": f"arn:aws:iam::{target.id}:instance-profile/{service}-batch"},
          "serviceRole": f"arn:aws:iam::{target.id}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"},
         {"computeEnvironmentName": f"{service}-reports",
          "computeEnvironmentArn": f"arn:aws:batch:{HOME_REGION}:{target.id}:compute-environment/{service}-reports"}),
        (EMR, "RunJobFlow",
         {"name": f"{service}-nightly-etl", "releaseLabel": "emr-7.1.0", "serviceRole": "EMR_DefaultRole",
          "jobFlowRole": "EMR_EC2_DefaultRole",
          "instances": {"instanceGroups": [{"instanceRole": "MASTER", "instanceType": types[0], "instanceCount": 1},
                                           {"instanceRole": "CORE", "instanceType": types[1], "instanceCount": rng.randint(2, 8)}],
                        "ec2SubnetId": subnets[0], "keepJobFlowAliveWhenNoSteps": False}},
         {"jobFlowId": f"j-{ctx.hex(13).upper()}"}),
        (SAGEMAKER, "CreateTrainingJob",
         {"trainingJobName": f"{service}-churn-{ctx.hex(8)}", "roleArn": execution_role,
          "algorithmSpecification": {"trainingImage": f"683313688378.dkr.ecr.{HOME_REGION}.amazonaws.com/sagemaker-xgboost:1.7-1",
                                     "trainingInputMode": "File"},
          "resourceConfig": {"instanceType": ml_type, "instanceCount": 1, "volumeSizeInGB": 30},
          "stoppingCondition": {"maxRuntimeInSeconds": 3600}},
         {"trainingJobArn": f"arn:aws:sagemaker:{HOME_REGION}:{target.id}:training-job/{service}-churn"}),
        (SAGEMAKER, "CreateProcessingJob",
         {"processingJobName": f"{service}-features-{ctx.hex(8)}", "roleArn": execution_role,
          "processingResources": {"clusterConfig": {"instanceType": ml_type, "instanceCount": 1, "volumeSizeInGB": 30}},
          "appSpecification": {"imageUri": f"{target.id}.dkr.ecr.{HOME_REGION}.amazonaws.com/{service}-features:latest"}},
         {"processingJobArn": f"arn:aws:sagemaker:{HOME_REGION}:{target.id}:processing-job/{service}-features"}),
        (SAGEMAKER, "CreateNotebookInstance",
         {"notebookInstanceName": f"{service}-analysis", "instanceType": "ml.t3.medium", "roleArn": execution_role,
          "directInternetAccess": "Disabled", "subnetId": subnets[0]},
         {"notebookInstanceArn": f"arn:aws:sagemaker:{HOME_REGION}:{target.id}:notebook-instance/{service}-analysis"}),
        (SAGEMAKER, "CreateEndpointConfig",
         {"endpointConfigName": f"{service}-churn-{ctx.hex(8)}",
          "productionVariants": [{"variantName": "AllTraffic", "modelName": f"{service}-churn",
                                  "instanceType": rng.choice(("ml.c5.large", "ml.m5.large")), "initialInstanceCount": 2}]},
         {"endpointConfigArn": f"arn:aws:sagemaker:{HOME_REGION}:{target.id}:endpoint-config/{service}-churn"}),
    ]  # fmt: skip


# --- Bedrock model invocation logging ----------------------------------------------------


def bedrock_logging_setup(ctx: Context, start: datetime) -> list[Record]:
    """The CI runner's Terraform sets model invocation logging up in the account that calls
    Bedrock: to CloudWatch Logs (large payloads to S3) and to the account's own bucket."""
    clock = Clock(ctx.rng, start)
    target = next(account for account in ctx.org.of_kind("prod") if account.name == "prod-search")
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
    bucket = f"{target.name}-bedrock-logs-{target.id}"
    config: dict[str, Any] = {
        "cloudWatchConfig": {
            "logGroupName": "/aws/bedrock/model-invocations",
            "roleArn": f"arn:aws:iam::{target.id}:role/service-role/bedrock-invocation-logging",
            "largeDataDeliveryS3Config": {"bucketName": bucket, "keyPrefix": "large-data"},
        },
        "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": ctx.chance(0.5),
        "embeddingDataDeliveryEnabled": ctx.chance(0.5),
    }
    if ctx.chance(0.5):
        config["s3Config"] = {"bucketName": bucket, "keyPrefix": "invocations"}
    records.append(
        ctx.call(identity, clock.tick(), BEDROCK, "GetModelInvocationLoggingConfiguration",
                 account=target.id, ip=ip, agent=terraform("bedrock"))
    )  # fmt: skip
    changes: list[Change] = [
        (BEDROCK, "PutModelInvocationLoggingConfiguration", {"loggingConfig": config}, None)
    ]
    return records + terraform_writes(ctx, clock, identity, target, ip, changes)


# --- web ACLs ------------------------------------------------------------------------------


def web_acl_associations(ctx: Context, start: datetime) -> list[Record]:
    """A regional web ACL put on a service's load balancer or API stage: by the CI runner's
    Terraform, or by AWS Firewall Manager's service-linked role applying the security
    account's policy (which also takes it off a resource that left the policy's scope)."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    service, account = _service(target), target.id
    acl = (f"arn:aws:wafv2:{HOME_REGION}:{account}:regional/webacl/{service}-web/"
           f"{stable_hex(8, account, 'acl')}-{stable_hex(4, account, 'a1')}-{stable_hex(4, account, 'a2')}-"
           f"{stable_hex(4, account, 'a3')}-{stable_hex(12, account, 'a4')}")  # fmt: skip
    balancer = (
        f"arn:aws:elasticloadbalancing:{HOME_REGION}:{account}:loadbalancer/app/{service}-web/{ctx.hex(16)}"
    )
    stage = f"arn:aws:apigateway:{HOME_REGION}::/restapis/{ctx.ids.lower_alnum(10)}/stages/prod"
    resource = ctx.rng.choice((balancer, stage))
    if ctx.chance(0.5):
        records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
        changes: list[Change] = [(WAF, "AssociateWebACL", {"webACLArn": acl, "resourceArn": resource}, {})]
        return records + terraform_writes(ctx, clock, identity, target, ip, changes)
    role = service_linked_role(target, FMS, "AWSServiceRoleForFMS")
    session = ctx.org.session(role, f"FMS-{ctx.hex(8)}", clock.tick())
    identity = ct.assumed_role(session, invoked_by=FMS)
    fms_acl = (f"arn:aws:wafv2:{HOME_REGION}:{account}:regional/webacl/"
               f"FMManagedWebACLV2-baseline-{stable_hex(13, account, 'fms')}/{ctx.ids.uuid()}")  # fmt: skip
    calls: list[tuple[str, dict[str, str], dict[str, Any] | None]] = [
        ("ListResourcesForWebACL", {"webACLArn": fms_acl, "resourceType": "APPLICATION_LOAD_BALANCER"}, None)
    ]
    calls.append(("AssociateWebACL", {"webACLArn": fms_acl, "resourceArn": resource}, {}))
    if ctx.chance(0.3):
        other = f"arn:aws:elasticloadbalancing:{HOME_REGION}:{account}:loadbalancer/app/{service}-internal/{ctx.hex(16)}"
        calls.append(("DisassociateWebACL", {"resourceArn": other}, {}))
    return [
        ctx.call(identity, clock.tick(1, 20), WAF, name, account=account, ip=FMS, agent=FMS,
                 request=request, response=response)
        for name, request, response in calls
    ]  # fmt: skip


# --- traffic mirroring --------------------------------------------------------------------


def _ids_endpoint(account: Account) -> str:
    """The Gateway Load Balancer endpoint of the security account's IDS appliance in ``account``."""
    return f"vpce-0{stable_hex(16, account.id, 'ids-gwlbe')}"


def ids_traffic_mirroring(ctx: Context, start: datetime) -> list[Record]:
    """The security team's IDS: its Terraform module gives a production account a mirror
    filter (its rules: everything but the health checks) and a target (the appliance's Gateway
    Load Balancer endpoint); or its pipeline function mirrors a new instance's network
    interface to that target (CreateTrafficMirrorSession, which the rule alerts on: the
    organization excepts this role in its deployment)."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod"))
    if ctx.chance(0.25):
        records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", target)
        return records + terraform_writes(ctx, clock, identity, target, ip, _mirror_setup(ctx, target))
    role = Role(target.id, IDS_PIPELINE_ROLE, "/security/")
    identity = ct.assumed_role(ctx.org.session(role, IDS_PIPELINE_ROLE, clock.tick()))
    interface, filter_id = f"eni-0{ctx.hex(16)}", f"tmf-0{stable_hex(16, target.id, 'ids-filter')}"
    mirror_target = f"tmt-0{stable_hex(16, target.id, 'ids-target')}"
    session_id, token = f"tms-0{ctx.hex(16)}", ctx.ids.uuid()
    request = {"NetworkInterfaceId": interface, "TrafficMirrorTargetId": mirror_target,
               "TrafficMirrorFilterId": filter_id, "SessionNumber": 1, "PacketLength": 8500,
               "Description": "ids: new instance", "ClientToken": token}  # fmt: skip
    response = {"clientToken": token, "trafficMirrorSession": {
        "trafficMirrorSessionId": session_id, "trafficMirrorTargetId": mirror_target,
        "trafficMirrorFilterId": filter_id, "networkInterfaceId": interface, "ownerId": target.id,
        "packetLength": 8500, "sessionNumber": 1, "virtualNetworkId": ctx.rng.randrange(1, 16_777_216)}}  # fmt: skip
    ip = f"203.0.113.{ctx.rng.randrange(100, 120)}"
    describe = ctx.call(identity, clock.tick(), EC2, "DescribeNetworkInterfaces", account=target.id, ip=ip,
                        agent=BOTO3, request={"networkInterfaceIdSet": {"items": [{"networkInterfaceId": interface}]}})  # fmt: skip
    _, name, wrapped_request, wrapped_response = _wrapped(
        "CreateTrafficMirrorSession", request, response, ctx
    )
    create = ctx.call(identity, clock.tick(), EC2, name, account=target.id, ip=ip, agent=BOTO3,
                      read_only=False, request=wrapped_request, response=wrapped_response)  # fmt: skip
    return [describe, create]


def _mirror_setup(ctx: Context, target: Account) -> list[Change]:
    filter_id = f"tmf-0{stable_hex(16, target.id, 'ids-filter')}"
    mirror_target = f"tmt-0{stable_hex(16, target.id, 'ids-target')}"
    changes = [
        _wrapped("CreateTrafficMirrorFilter",
                 {"Description": "ids: all traffic but health checks", "ClientToken": ctx.ids.uuid()},
                 {"trafficMirrorFilter": {"trafficMirrorFilterId": filter_id,
                                          "description": "ids: all traffic but health checks"}}, ctx),
    ]  # fmt: skip
    for number, (direction, action) in enumerate((("ingress", "accept"), ("egress", "accept")), start=1):
        changes.append(_wrapped(
            "CreateTrafficMirrorFilterRule",
            {"TrafficMirrorFilterId": filter_id, "TrafficDirection": direction, "RuleNumber": number * 100,
             "RuleAction": action, "DestinationCidrBlock": "0.0.0.0/0", "SourceCidrBlock": "0.0.0.0/0",
             "ClientToken": ctx.ids.uuid()},
            {"trafficMirrorFilterRule": {"trafficMirrorFilterRuleId": f"tmfr-0{ctx.hex(16)}",
                                         "trafficMirrorFilterId": filter_id, "trafficDirection": direction,
                                         "ruleNumber": number * 100, "ruleAction": action}}, ctx))  # fmt: skip
    changes.append(_wrapped(
        "CreateTrafficMirrorTarget",
        {"GatewayLoadBalancerEndpointId": _ids_endpoint(target), "Description": "ids appliance",
         "ClientToken": ctx.ids.uuid()},
        {"trafficMirrorTarget": {"trafficMirrorTargetId": mirror_target, "type": "gateway-load-balancer-endpoint",
                                 "gatewayLoadBalancerEndpointId": _ids_endpoint(target), "ownerId": target.id}}, ctx))  # fmt: skip
    return changes


# --- identity providers' neighbours --------------------------------------------------------


def identity_trust_stacks(ctx: Context, start: datetime) -> list[Record]:
    """A StackSet (CloudFormation, cfn-exec) rolls the federation roles to a member account:
    a role trusting the corporate SAML provider for the console, or one trusting GitHub's OIDC
    provider for one repository's main branch; the providers themselves are left as they are."""
    clock = Clock(ctx.rng, start)
    target = ctx.rng.choice(ctx.org.of_kind("prod", "nonprod"))
    records, executor = _cfn_executor(ctx, clock, target)
    account = target.id
    if ctx.chance(0.5):
        name = ctx.rng.choice(("DataAnalyst", "SupportReadOnly"))
        trust = {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account}:saml-provider/corp-idp"},
                 "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                 "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}  # fmt: skip
    else:
        name = f"{_service(target)}-github-deploy"
        provider = "token.actions.githubusercontent.com"
        trust = {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{provider}"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {f"{provider}:aud": "sts.amazonaws.com",
                                                f"{provider}:sub": f"repo:example-org/{_service(target)}:ref:refs/heads/main"}}}  # fmt: skip
    document = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    role_id = f"AROA{stable_hex(17, account, name).upper()}"
    changes: list[Change] = [
        (IAM, "CreateRole",
         {"roleName": name, "assumeRolePolicyDocument": document, "maxSessionDuration": 3600,
          "tags": [{"key": "aws:cloudformation:stack-name", "value": "StackSet-federation-roles"}]},
         {"role": {"path": "/", "roleName": name, "roleId": role_id, "arn": f"arn:aws:iam::{account}:role/{name}",
                   "assumeRolePolicyDocument": document}}),
        (IAM, "TagRole", {"roleName": name, "tags": [{"key": "owner", "value": "identity-team"}]}, None),
    ]  # fmt: skip
    return records + stack_changes(ctx, executor, clock, account, changes)


# --- network activity through the organization's own endpoints ----------------------------


def endpoint_network_activity(ctx: Context, start: datetime) -> list[Record]:
    """An instance reads its secret and decrypts with its key through an interface endpoint:
    its own account's, or the network account's shared one (a centralized endpoint: the
    network account, the endpoint's owner, receives the network activity events of the
    workload accounts' calls through it)."""
    clock = Clock(ctx.rng, start)
    account = ctx.rng.choice([a for a in ctx.org.of_kind("prod", "nonprod") if a.instances])
    instance = ctx.rng.choice(account.instances)
    session = ctx.org.session(Role(account.id, "app-instance-role"), instance, start)
    identity = ct.assumed_role(session, ec2_role_delivery="2.0")
    network = ctx.org.one("network")
    owner = network if ctx.chance(0.4) else account
    ip = ctx.private_ip()
    records: list[Record] = []
    calls = [
        ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": f"{account.name}/app/db"}),
        ("kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
    ]
    for source, name, request in ctx.rng.sample(calls, ctx.rng.randint(1, 2)):
        call = ctx.call(
            identity, clock.tick(), source, name, account=account.id, ip=ip, agent=JAVA, request=request
        )
        endpoint = f"vpce-0{stable_hex(16, owner.id, source, 'endpoint')}"
        copy = ct.network_activity_copy(call, ctx.ids.uuid(), endpoint)
        copy["recipientAccountId"] = copy["vpcEndpointAccountId"] = owner.id
        copy["sharedEventID"] = ctx.ids.uuid()
        records += [call, copy]
    return records


# --- CodeBuild projects and IAM users' policies -------------------------------------------


def codebuild_private(ctx: Context, start: datetime) -> list[Record]:
    """The platform team's Terraform in the CI/CD account applies a project's visibility,
    PRIVATE as every project of the organization is (UpdateProjectVisibility)."""
    clock = Clock(ctx.rng, start)
    cicd = ctx.org.one("cicd")
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", cicd)
    project = ctx.rng.choice(["integration-tests", "release", "docs-site"])
    arn = f"arn:aws:codebuild:{HOME_REGION}:{cicd.id}:project/{project}"
    change: Change = (CODEBUILD, "UpdateProjectVisibility", {"projectArn": arn, "projectVisibility": "PRIVATE"},
                      {"projectArn": arn, "projectVisibility": "PRIVATE"})  # fmt: skip
    return records + terraform_writes(ctx, clock, identity, cicd, ip, [change])


def sandbox_user_policies(ctx: Context, start: datetime) -> list[Record]:
    """A sandbox account's Terraform attaches AWS managed policies to its IAM user: changing
    their own password, managing their own CodeCommit SSH keys."""
    clock = Clock(ctx.rng, start)
    user = ctx.rng.choice(ctx.org.iam_users[1:])
    sandbox = ctx.org.account(user.account)
    records, _, identity, ip = _terraform_session(ctx, clock, "terraform-apply", sandbox)
    policies = ctx.rng.sample(("IAMUserChangePassword", "IAMUserSSHKeys"), ctx.rng.randint(1, 2))
    changes: list[Change] = [
        (
            IAM,
            "AttachUserPolicy",
            {"userName": user.name, "policyArn": f"arn:aws:iam::aws:policy/{policy}"},
            None,
        )
        for policy in policies
    ]
    return records + terraform_writes(ctx, clock, identity, sandbox, ip, changes)


__all__ = [
    "IDS_PIPELINE_ROLE",
    "bedrock_logging_setup",
    "codebuild_private",
    "compute_capacity_terraform",
    "endpoint_network_activity",
    "identity_trust_stacks",
    "ids_traffic_mirroring",
    "sandbox_user_policies",
    "web_acl_associations",
]
