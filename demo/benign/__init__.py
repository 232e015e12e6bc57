"""A benign corpus: one week of routine CloudTrail activity of a 40-account organization.

For the false-positive budget of the detection rules (docs/detections.md, "False-positive
budget"): every record here is something a well-run organization does every week, so every
alert a rule raises on it is a false positive. The corpus is a *sample* of the week: each
activity keeps its whole shape (an episode: a deployment from OIDC token to the last stack
event, a scan of one account, a console session from sign-in on), and activities appear in
the proportions of a real trail (mostly reads by automation and services, few writes, few
people). ``generate(n, seed)`` makes the first ``n`` records of the seed's stream of
episodes, sorted by time: the same seed and ``n`` give the same bytes, and a smaller ``n``
is a slice of a larger one (the same episodes, fewer of them).

The organization (``demo.benign.org``): a management account, Security (log archive,
security tooling), Infrastructure (network, shared services, CI/CD), 15 production and 14
non-production workload accounts, 5 sandboxes; 30 people in IAM Identity Center; legacy IAM
users only in the sandboxes and for the self-hosted CI runner.

Activities (who, what, why it is benign) are :data:`ACTIVITIES`; the same table is in
docs/detections.md. Shapes follow ``shared/reference/aws-docs/cloudtrail`` and the AWS
service documentation of each API; values are made up (generated account ids,
RFC 5737 addresses, example.com).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from demo.benign import (
    adminroutes,
    apps,
    automation,
    blinding,
    evasion,
    evasion2,
    exfil,
    exposure,
    gaps,
    gaps2,
    grantrules,
    grants3,
    guardrails,
    idbackdoor,
    oidc,
    orgshare,
    people,
    perimeter,
    pipelines,
    platform_upkeep,
    privesc,
    secsvc2,
    secsvcrules,
    services,
    sharing,
)
from demo.benign.calls import Context, Record, any_time, nightly, weekly, working_hours
from demo.benign.org import WEEK, WEEK_START, build
from demo.ids import Ids
from demo.records import cloudtrail as ct
from enrichment.accounts import AccountDirectory

DEFAULT_SEED = 20260302
CORPUS_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Activity:
    name: str
    summary: str
    """Who does what, and why it is routine."""
    run: Callable[[Context, datetime], list[Record]]
    when: Callable[[random.Random], datetime]
    weight: int
    """Relative number of episodes (the share of records also depends on episode size)."""


ACTIVITIES: tuple[Activity, ...] = (
    Activity("cdk-deploy", "GitHub Actions (OIDC) -> CI role -> CDK bootstrap roles -> CloudFormation updating a service stack (invokedBy cloudformation): every merge deploys", pipelines.cdk_deploy, working_hours, 100),
    Activity("preview-teardown", "CloudFormation deletes a merged pull request's preview stack (bucket, function, role) in a non-production account: ephemeral environments are meant to go", pipelines.preview_teardown, working_hours, 20),
    Activity("terraform-plan", "the CI runner's IAM user assumes terraform-plan in an account and refreshes its resources (Describe/List/Get, Terraform user agent): every pull request", pipelines.terraform_plan, working_hours, 45),
    Activity("terraform-apply", "the CI runner assumes terraform-apply: a refresh, then internal security group rules, tags, inline policies, routes, settings: reviewed changes", pipelines.terraform_apply, working_hours, 20),
    Activity("ami-pipeline", "EC2 Image Builder's service-linked role builds the golden AMI (Run Command on the build instance) and shares it with the organization: weekly", pipelines.ami_pipeline, partial(weekly, day=1, hour=6), 3),
    Activity("key-rotation", "a rotation Lambda replaces the CI runner IAM user's access key (create, deactivate, delete): the documented rotation practice", pipelines.key_rotation, partial(weekly, day=0, hour=4), 6),
    Activity("sso-console", "an engineer signs in at the Identity Center portal (password + security key) and federates into an account's console (AssumeRoleWithSAML, ConsoleLogin MFAUsed No): daily work", people.sso_console, working_hours, 125),
    Activity("sso-cli", "an engineer takes CLI credentials from the portal and investigates; sometimes a Session Manager shell or an EC2 Instance Connect key: daily work", people.sso_cli, working_hours, 120),
    Activity("saml-federation", "an analyst signs in through the corporate SAML identity provider into the DataAnalyst role and runs Athena queries", people.saml_federation, working_hours, 40),
    Activity("iam-user-console", "a sandbox IAM user signs in with MFA (sometimes after a mistyped password) and experiments (SSH open to the office address only)", people.iam_user_console, working_hours, 40),
    Activity("iam-user-cli", "a sandbox IAM user gets MFA session credentials (GetSessionToken) and uses the CLI", people.iam_user_cli, working_hours, 25),
    Activity("helpdesk-password-reset", "the helpdesk permission set resets a sandbox user's forgotten password (reset required at next sign-in); the user signs in and changes it", people.helpdesk_password_reset, working_hours, 4),
    Activity("self-service-key", "a sandbox IAM user rotates their own access key from the CLI", people.self_service_key, working_hours, 4),
    Activity("inventory-scan", "the security tooling account's scanner assumes the inventory role and reads the configuration in every region (AccessDenied outside its policy, unset S3 settings, throttling)", automation.inventory_scan, any_time, 45),
    Activity("monitoring-poll", "the monitoring vendor's account assumes the integration role (external id) and reads metrics and resource lists", automation.monitoring_poll, any_time, 320),
    Activity("findings-triage", "the security team's Lambda reads Security Hub and GuardDuty findings and suppresses the sandbox ones (BatchUpdateFindings)", automation.findings_triage, any_time, 50),
    Activity("patching", "a maintenance window patches an account's instances (SendCommand AWS-RunPatchBaseline invokedBy ssm, instances report compliance)", automation.patching, partial(weekly, day=6, hour=2), 8),
    Activity("export-cleanup", "a nightly job deletes report exports past their retention (S3 DeleteObject data events)", automation.export_cleanup, partial(nightly, hour=1), 15),
    Activity("instance-credentials", "ec2.amazonaws.com assumes instance profile roles for instances (session named after the instance)", services.instance_credentials, any_time, 1100),
    Activity("lambda-credentials", "lambda.amazonaws.com assumes execution roles for new execution environments", services.lambda_credentials, any_time, 1300),
    Activity("ssm-agent", "the SSM agent reports in every five minutes, lists associations, sends inventory (instance profile, IMDSv2, VPC endpoint)", services.ssm_agent, any_time, 1000),
    Activity("kms-for-services", "CloudTrail, CloudWatch Logs and S3 (invokedBy, for applications) use customer KMS keys", services.kms_for_services, any_time, 850),
    Activity("config-recorder", "AWS Config's service-linked role (AWSConfig-Describe) describes changed resources", services.config_recorder, any_time, 650),
    Activity("securityhub-checks", "Security Hub's service-linked role reads what its controls evaluate", services.securityhub_checks, any_time, 280),
    Activity("guardduty-reads", "GuardDuty's service-linked role reads instances, images and buckets", services.guardduty_reads, any_time, 280),
    Activity("backup-job", "AWS Backup snapshots volumes and the database cluster and deletes expired recovery points (invokedBy backup)", services.backup_job, partial(nightly, hour=3), 45),
    Activity("autoscaling", "Auto Scaling's service-linked role launches or terminates an instance and (de)registers it with the load balancer", services.autoscaling, any_time, 140),
    Activity("s3-objects", "application task roles read and write their own buckets' objects (data events)", apps.s3_objects, any_time, 440),
    Activity("secrets", "new tasks fetch their secrets (GetSecretValue; Secrets Manager decrypts with KMS)", apps.secrets, any_time, 1000),
    Activity("parameters", "functions load their configuration from Parameter Store with decryption on cold starts", apps.parameters, any_time, 2000),
    Activity("bedrock", "the search service calls a Bedrock model to summarize results", apps.bedrock, any_time, 180),
    Activity("trail-stack-update", "the security team's StackSet updates the organization trail (UpdateTrail invokedBy cloudformation, the whole configuration resent: bucket, KMS key, CloudWatch Logs, validation)", guardrails.trail_stack_update, partial(weekly, day=2, hour=10), 3),
    Activity("terraform-guardrails", "the CI runner's Terraform applies an account's guardrails: public access blocks tightened, private and log-delivery bucket ACLs, an access point for the account's own role, a load balancer open on 80/443, Lake retention raised, data events added beside management events, CloudWatch Logs added to a trail", guardrails.terraform_guardrails, working_hours, 40),
    Activity("codecommit-ssh-key", "a sandbox IAM user uploads their own SSH public key (CodeCommit over SSH)", guardrails.codecommit_ssh_key, working_hours, 8),
    Activity("instance-whoami", "software on an instance (the CloudWatch agent) calls GetCallerIdentity with the instance profile through the account's own STS endpoint", guardrails.instance_whoami, any_time, 40),
    Activity("security-services-terraform", "the CI runner's Terraform applies the security tooling account's GuardDuty and Security Hub settings: publishing frequency, Runtime Monitoring with EKS agent management left to the team, a saved (NOOP) filter, auto-enable for all members, a threat list, a new member, an automation rule raising production findings, a control enabled, Config recording every type", secsvcrules.security_services_terraform, working_hours, 12),
    Activity("security-baseline-stackset", "the security team's StackSet (invokedBy cloudformation) rolls the baseline to a member account: a GuardDuty archive filter for the organization's own scanner, an accepted control disabled, the monitoring vendor archived in Access Analyzer, an old Config rule deleted, network interfaces left out of recording", secsvcrules.security_baseline_stackset, partial(weekly, day=3, hour=9), 6),
    Activity("scp-stack-update", "the management account's guardrail stack (invokedBy cloudformation) updates a service control policy and attaches it to an OU", secsvcrules.scp_stack_update, partial(weekly, day=1, hour=15), 3),
    Activity("securityhub-config-rules", "Security Hub's service-linked role (invokedBy securityhub) replaces a securityhub-* Config rule behind a control", secsvcrules.securityhub_managed_config_rules, any_time, 20),
    Activity("policy-stack", "a stack update (CloudFormation) writes resource policies: a key policy for the account and its services (kms:CallerAccount), a grant to the task role, a queue policy for the account's topic, the SNS default topic policy, an organization-wide repository, layer and event bus (aws:PrincipalOrgID), a secret's and a log delivery's", grantrules.policy_stack, working_hours, 60),
    Activity("key-teardown", "CloudFormation deletes a merged pull request's preview stack with its KMS key (ScheduleKeyDeletion invokedBy cloudformation)", grantrules.key_teardown, working_hours, 10),
    Activity("organization-sharing", "a platform stack or the CI runner's Terraform grants the organization's own accounts by id: the shared services key and base image repository, the security account's findings topic and forwarder, the log archive's bucket and a replica there, a workload's deployment role trusting the CI account (silent with the accounts directory; alerts without it)", grantrules.organization_sharing, working_hours, 30),
    Activity("fellow-account-shares", "the CI runner's Terraform shares the shared services account's golden image with workload accounts by id, or a production EBS or RDS snapshot with the log archive account that keeps the backups (silent with the accounts directory; alerts without it)", orgshare.fellow_account_shares, working_hours, 12),
    Activity("organization-pinned-policies", "a platform stack opens the shared services account's artifact bucket and key to everyone in the organization: Principal * with aws:PrincipalOrgID our organization's id, or aws:PrincipalOrgPaths under it", orgshare.organization_pinned_policies, working_hours, 8),
    Activity("iam-read-only-grants", "the security team grants IAM read access (iam:Get*, iam:List*, no write): Terraform puts it inline on the audit role or creates it as a customer policy, or a platform engineer puts it on a permission set", orgshare.iam_read_only_grants, working_hours, 6),
    Activity("data-platform-policies", "the CI runner's Terraform writes a workload's data platform policies, kept in the account or the organization: an S3 table bucket for the app role and S3 Tables maintenance, a SageMaker model package group for the deploy role, the search collection's OpenSearch Serverless data access policy for the app role and the account's SAML group, a DynamoDB table created with a policy, an MSK cluster for Firehose (aws:SourceAccount), a VPC Lattice service for the organization, a signing profile for the release role", gaps.data_platform_policies, working_hours, 20),
    Activity("image-factory-sharing", "the shared services account's Terraform shares a golden image build: Image Builder component and image policies pinned to the organization, a distribution copying each image into workload accounts by id and letting the organization launch it (silent with the accounts directory; alerts without it)", gaps.image_factory_sharing, working_hours, 6),
    Activity("security-account-subscriptions", "a workload account's Terraform authorizes the security account's Config aggregator, sometimes with the security account's Security Lake subscription updated (fellow accounts by id: silent with the accounts directory; alerts without it)", gaps.security_account_subscriptions, working_hours, 4),
    Activity("cluster-access-entries", "the CI runner's Terraform gives a workload's EKS cluster to its node role and the account's platform administrators (cluster admin policy), and lets the security account's incident responders view it (a fellow account by id: silent with the accounts directory; alerts without it)", gaps2.cluster_access_entries, working_hours, 6),
    Activity("security-administrator-accepted", "the security account's Terraform creates and invites a workload account as a GuardDuty and Security Hub member; the workload's baseline accepts the security account as administrator of GuardDuty, Security Hub, Macie and Detective (a fellow account: silent with the accounts directory; alerts without it)", gaps2.security_administrator_accepted, working_hours, 3),
    Activity("data-platform-access", "the data platform's Terraform writes its lake's settings (its own administrators and auditor, IAM_ALLOWED_PRINCIPALS defaults, the shared services account trusted as resource owner), a Q Business permission for the shared services account's assistant, an FSx volume's S3 access point for its own analytics role (fellow accounts by id: silent with the accounts directory)", gaps2.data_platform_access, working_hours, 6),
    Activity("api-policies", "a service team's Terraform creates a private REST API with AWS's private API policy (everyone denied unless through its VPC endpoints), narrows a regional API to the office's addresses, or lets a fellow account's role and the organization call it", gaps2.api_policies, working_hours, 8),
    Activity("fpga-image-share", "the media team's Terraform lets a non-production account load its video encoder's FPGA image (a fellow account by id: silent with the accounts directory) and renames it", gaps2.fpga_image_share, working_hours, 2),
    Activity("bucket-replication", "the CI runner's Terraform replicates a production bucket to the account's own disaster recovery bucket and sends a weekly inventory to its reports bucket", grantrules.bucket_replication, working_hours, 6),
    Activity("saml-metadata-rotation", "the identity team's Terraform replaces the corporate SAML provider's metadata with the identity provider's new signing certificate (yearly; looks like a backdoor and alerts by design)", idbackdoor.saml_metadata_rotation, working_hours, 1),
    Activity("permission-set-upkeep", "a platform engineer assigns a permission set to a group in an account in the Identity Center console, sometimes with a read-only or scoped inline policy, and provisions it", idbackdoor.permission_set_upkeep, working_hours, 10),
    Activity("account-factory", "Control Tower's account factory enrolls a sandbox account: StackSet baselines (invokedBy cloudformation), the owner's permission set assignment (invokedBy controltower), Identity Center's service-linked role creating its SAML provider", idbackdoor.account_factory, working_hours, 2),
    Activity("mfa-replacement", "a sandbox IAM user with a new phone deactivates and deletes their own virtual MFA device and enables a new one", idbackdoor.mfa_replacement, working_hours, 4),
    Activity("policy-upkeep", "the CI runner's Terraform updates a customer managed policy (a new default version, the oldest deleted) and sometimes reapplies the CIS password policy (14 characters)", idbackdoor.policy_upkeep, working_hours, 10),
    Activity("sso-provisioning", "Identity Center's service-linked role (sourceIPAddress sso.amazonaws.com) provisions a permission set into a member account: creates its AWSReservedSSO_ role and attaches its managed policies, AdministratorAccess for the platform team's", adminroutes.sso_provisioning, working_hours, 8),
    Activity("scoped-policy-created", "the CI runner's Terraform creates a scoped customer managed policy for a new service and attaches it to the service's role", adminroutes.scoped_policy_created, working_hours, 8),
    Activity("scanners-terraform", "the CI runner's Terraform applies the security tooling account's Inspector, Macie and Detective settings: a member's scanning enabled, Inspector auto-enable extended to Lambda (Lambda code left off), a Macie session re-enabled, auto-enable on, a classification job paused, a Detective member added, auto-enable on", secsvc2.scanners_terraform, working_hours, 8),
    Activity("log-shipping-stack", "a workload's stack update (CloudFormation) subscribes a log group, or the whole account by a subscription policy, to the log archive account's CloudWatch Logs destination, or a log group to its own alerting function, and writes its search domain's access policy for its own role", secsvc2.log_shipping_stack, working_hours, 20),
    Activity("bucket-logging", "the CI runner's Terraform turns a bucket's server access logging on, to the account's access logs bucket; or a stack update resends a bucket without logging (CloudFormation sends the empty status)", secsvc2.bucket_logging, working_hours, 15),
    Activity("database-terraform", "the CI runner's Terraform creates a private database with its master password managed by Secrets Manager, hands an existing cluster's password to Secrets Manager and rotates it there, or changes its backup retention", exposure.database_terraform, working_hours, 10),
    Activity("managed-password-rotation", "Secrets Manager (invokedBy secretsmanager) rotates a database cluster's managed master password on its schedule", exposure.managed_password_rotation, any_time, 8),
    Activity("ec2-hardening", "the CI runner's Terraform hardens an account's EC2: IMDSv2 required by default and on an instance, an instance launched from a launch template requiring it, EBS encryption by default, snapshot and AMI block public access on", exposure.ec2_hardening, working_hours, 10),
    Activity("network-sharing", "the CI runner's Terraform in the network account peers a fellow account's VPC (request or accept) or transit gateway, shares subnets through RAM with the organization's ARN (outside principals refused) or a fellow account (silent with the accounts directory; the account peerings alert without it)", exposure.network_sharing, working_hours, 8),
    Activity("domain-upkeep", "the CI runner's Terraform sets a registered domain's auto-renew, contact privacy or transfer lock", exposure.domain_upkeep, working_hours, 3),
    Activity("scanner-saved-filters", "the CI runner's Terraform saves the security tooling account's Inspector and Macie filters that hide nothing: Inspector action NONE, Macie NOOP (created or updated)", blinding.scanner_saved_filters, working_hours, 4),
    Activity("guardduty-coverage-terraform", "the CI runner's Terraform turns GuardDuty coverage on in the security tooling account: S3 protection and Runtime Monitoring with every agent managed, for the detector, a member, and auto-enabled for the organization", blinding.guardduty_coverage_terraform, working_hours, 4),
    Activity("mail-team-identities", "a production account's mail team verifies this week's sender domain or address in SES (v1 or v2) with its own role, as every week", blinding.mail_team_identities, partial(weekly, day=2, hour=11), 2),
    Activity("own-key-reactivation", "a sandbox IAM user reactivates their own access key after deactivating the wrong one (UpdateAccessKey Active, with or without their own userName)", blinding.own_key_reactivation, working_hours, 3),
    Activity("firehose-streams", "a workload's stack update (CloudFormation) creates a Firehose stream of its logs to the organization's log archive bucket or to its own OpenSearch domain", blinding.firehose_streams, working_hours, 6),
    Activity("pipeline-iam-delegation", "a service's deploy role is given IAM the safe way, by its stack's update (CloudFormation) or the CI runner's Terraform: roles created and written only under the organization's permissions boundary, its own roles (role/<svc>-*) written, two named roles passed; or an operations policy attaching only ReadOnlyAccess / SecurityAudit (iam:PolicyARN)", privesc.pipeline_iam_delegation, working_hours, 6),
    Activity("operator-read-only-attach", "a platform engineer attaches ReadOnlyAccess or SecurityAudit to an incident response, auditor or cost role in the console (not their own role)", privesc.operator_read_only_attach, working_hours, 4),
    Activity("compute-role-upkeep", "the CI runner's Terraform moves an instance to another instance profile, or a GitHub Actions job starts the shared integration test build with its repository's buildspec file (buildspecOverride: a path)", privesc.compute_role_upkeep, working_hours, 6),
    Activity("central-backup-copies", "the CI runner's Terraform gives a production account's backup plan a copy action to the log archive account's central vault (and its own disaster recovery region), or replicates its base images to the shared services account's registry (silent with the accounts directory; alerts without it)", exfil.central_backup_copies, working_hours, 6),
    Activity("data-exports", "a production account's nightly analytics job exports a DynamoDB table or a database snapshot to the account's own exports bucket", exfil.data_exports, partial(nightly, hour=2), 8),
    Activity("image-archive", "the shared services account's image pipeline stores the week's golden AMI in its own bucket, sometimes also exported as a VM disk", exfil.image_archive, partial(weekly, day=1, hour=8), 2),
    Activity("network-and-keys-terraform", "the CI runner's Terraform accepts a fellow account's transit gateway peering, renames a RAM share that refuses outside principals, or sets an account's EBS default key to its own key or the shared services account's (the peering and the shared key alert without the accounts directory)", exfil.network_and_keys_terraform, working_hours, 6),
    Activity("ssm-document-sharing", "the platform team's Terraform in the shared services account shares a runbook with two to four workload accounts by id, withdraws it from a retired account, or shares the golden AMI's parameter with a fellow account (silent with the accounts directory; the shares alert without it)", sharing.ssm_document_sharing, working_hours, 4),
    Activity("data-lake-grants", "a producer account's Terraform grants the data lake's central catalog (the shared services account) its database and tables with grant option by account id (Lake Formation), its own analytics role a table, and lets the central account read its Data Catalog (silent with the accounts directory; the grants to the central account alert without it)", sharing.data_lake_grants, working_hours, 5),
    Activity("platform-links-terraform", "the CI runner's Terraform replicates a production account's file system to its copy in the log archive account, shares its volumes' snapshots with it (a lifecycle policy), links its telemetry to the security tooling account's monitoring sink, lets the log archive restore its warehouse snapshot or the shared services account's mailer send as its domain; opens the network account's endpoint service or the security tooling account's private CA to a fellow account; or opens the CI/CD account's package domain to the organization (silent with the accounts directory; all but the organization-pinned domain alert without it)", sharing.platform_links_terraform, working_hours, 6),
    Activity("iam-module-policies", "the CI runner's Terraform writes a service deploy role the organization's IAM module policy: its own roles by wildcard-region ARNs (arn:aws:iam:*:<account>:role/<svc>-*), wildcard actions (iam:Put*Policy, iam:*Tag*), roles created only under a boundary named by a wildcard under the organization's path", evasion.iam_module_policies, working_hours, 4),
    Activity("own-service-grants", "the CI runner's Terraform lets an AWS service act for one of the account's own resources: CloudFront's origin access control reads a site bucket (its own distribution as AWS:SourceArn), its own SNS topic sends to a queue, S3 invokes a function for its own bucket (sourceAccount), or a web application's Google sign-in role trusts its own client id (accounts.google.com:aud)", evasion2.own_service_grants, working_hours, 4),
    Activity("codebuild-upkeep", "the platform team's Terraform in the CI/CD account raises a CodeBuild project's timeout, or starts its build on a larger machine (computeTypeOverride): no buildspec, source, image or role changed", evasion2.codebuild_upkeep, working_hours, 3),
    Activity("oidc-trusts", "the CI runner's Terraform creates or rewrites a role trusting one of the account's OIDC providers, naming whose tokens: a service's repository or its production environment, every repository of the GitHub organization (repo:example-org/*), an EKS cluster's service account or any of one cluster's, a Cognito identity pool's signed-in users", oidc.oidc_trusts, working_hours, 4),
    Activity("data-perimeter-policies", "the CI runner's Terraform writes a workload's data perimeter: a bucket readable by everyone, a key usable by every principal, a queue anyone may send to, or a deploy role any GitHub workflow may assume, each with a Deny of every caller outside the organization or account (aws:PrincipalOrgID, with AWS services excepted; aws:PrincipalAccount, kms:CallerAccount) or of every token of another GitHub owner (sub repo:example-org/*)", perimeter.data_perimeter_policies, working_hours, 5),
    Activity("bi-sharing", "the BI team's Terraform shares a QuickSight dashboard, data set or folder with the account's own groups and namespace, revokes a departed analyst's access, or shares its report template with a fellow account's root (cross-account template sharing: silent with the accounts directory; alerts without it)", grants3.bi_sharing, working_hours, 4),
    Activity("data-mesh-environments", "the data platform's DataZone domain (shared services) provisions an environment profile and environment in a workload account of the organization, authorizes the environment's own role on its subscription target, lets a project create projects and grants a subscription (fellow accounts by id: silent with the accounts directory; alerts without it)", grants3.data_mesh_environments, working_hours, 3),
    Activity("queue-topic-perimeters", "a workload's Terraform writes a queue anyone may send to, or a topic anyone may publish to, with a Deny naming no Resource (the queue's, the topic's) of every caller outside the organization, AWS services excepted", grants3.queue_topic_perimeters, working_hours, 3),
    Activity("flat-image-shares", "the platform team shares its golden image or a snapshot with a fellow account, or with the organization, in the flat form (--operation-type add --user-ids), and withdraws an old partner's share, in a request of its own or beside a structured add (fellow accounts: silent with the accounts directory; alerts without it)", grants3.flat_image_shares, working_hours, 3),
    Activity("compute-capacity-terraform", "the CI runner's Terraform writes a service's compute, general-purpose types only: a launch template or a new version of it, an Auto Scaling group created or updated with instance type overrides (or only resized), an EKS managed node group created or resized", platform_upkeep.compute_capacity_terraform, working_hours, 10),
    Activity("fleet-and-ml-capacity-terraform", "the CI runner's Terraform writes a service's other capacity, ordinary types only: a launch template or an EC2 Fleet by attributes with accelerators excluded, a fleet of named overrides or a fleet resized, a Spot Fleet, a Batch compute environment, an EMR cluster, a SageMaker training or processing job, notebook instance or endpoint configuration on ml.m5/ml.c5/ml.t3", platform_upkeep.fleet_and_ml_capacity_terraform, working_hours, 6),
    Activity("bedrock-logging-setup", "the CI runner's Terraform sets Bedrock model invocation logging up in the account that calls the models (read, then Put: CloudWatch Logs, large payloads and sometimes every record to its own bucket)", platform_upkeep.bedrock_logging_setup, working_hours, 3),
    Activity("web-acl-associations", "a regional web ACL put on a service's load balancer or API stage by the CI runner's Terraform, or by Firewall Manager's service-linked role applying the security policy (which also takes the policy's ACL off a resource that left its scope)", platform_upkeep.web_acl_associations, working_hours, 6),
    Activity("ids-traffic-mirroring", "the security team's IDS: its Terraform gives a production account a traffic mirror filter, its rules and a target (the appliance's Gateway Load Balancer endpoint), or its pipeline function mirrors a new instance's network interface there (the sessions alert without the organization's exception for that role)", platform_upkeep.ids_traffic_mirroring, any_time, 8),
    Activity("identity-trust-stacks", "a StackSet (CloudFormation) rolls the federation roles to a member account: a role trusting the corporate SAML provider, or one trusting GitHub's OIDC provider for a repository's main branch; the providers left as they are", platform_upkeep.identity_trust_stacks, working_hours, 4),
    Activity("endpoint-network-activity", "an instance reads its secret or decrypts with its key through its account's interface endpoint or the network account's shared one; the endpoint's owner logs the network activity events (fellow accounts: silent with the accounts directory; alerts without it)", platform_upkeep.endpoint_network_activity, any_time, 120),
    Activity("codebuild-private", "the platform team's Terraform in the CI/CD account applies a CodeBuild project's visibility: PRIVATE, as every project is", platform_upkeep.codebuild_private, working_hours, 3),
    Activity("sandbox-user-policies", "a sandbox account's Terraform attaches AWS managed policies to its IAM user (IAMUserChangePassword, IAMUserSSHKeys)", platform_upkeep.sandbox_user_policies, working_hours, 3),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Corpus:
    records: list[Record]
    """Sorted by ``eventTime``."""
    activities: list[str]
    """The activity each record belongs to, in the same order."""
    directory: AccountDirectory
    """The organization's accounts directory, as its sync writes it (the detection run loads it)."""

    @property
    def composition(self) -> Counter[str]:
        return Counter(self.activities)

    def activity_by_event_id(self) -> dict[str, str]:
        return {
            record["eventID"]: activity
            for record, activity in zip(self.records, self.activities, strict=True)
        }


def generate(records: int = CORPUS_SIZE, seed: int = DEFAULT_SEED) -> Corpus:
    """The first ``records`` records of the seed's episodes, sorted by time."""
    ids = Ids(seed)
    rng = random.Random(seed)
    ctx = Context(build(ids), rng, ids)
    weights = [activity.weight for activity in ACTIVITIES]
    stream: list[tuple[Record, str]] = []
    while len(stream) < records:
        activity = rng.choices(ACTIVITIES, weights)[0]
        stream += [(record, activity.name) for record in activity.run(ctx, activity.when(rng))]
    del stream[records:]
    stream.sort(key=lambda item: item[0]["eventTime"])
    return Corpus([record for record, _ in stream], [name for _, name in stream], ctx.org.directory())


def episodes(names: Collection[str], organizations: int = 30) -> list[Record]:
    """One episode of each named activity in each of ``organizations`` fresh organizations
    (seeds 0, 1, ...), in call order: rare activities' look-alikes measured on their own."""
    activities = [activity for activity in ACTIVITIES if activity.name in names]
    unknown = set(names) - {activity.name for activity in activities}
    if unknown:
        raise ValueError(f"no such activity: {sorted(unknown)}")
    records: list[Record] = []
    for seed in range(organizations):
        ids, rng = Ids(seed), random.Random(seed)
        context = Context(build(ids), rng, ids)
        for activity in activities:
            records += activity.run(context, activity.when(rng))
    return records


def log_file(corpus: Corpus) -> bytes:
    """The whole corpus as one CloudTrail log file body (``{"Records": [...]}``)."""
    return ct.log_file_json(corpus.records)


__all__ = [
    "ACTIVITIES",
    "CORPUS_SIZE",
    "DEFAULT_SEED",
    "WEEK",
    "WEEK_START",
    "Activity",
    "Corpus",
    "episodes",
    "generate",
]
