"""Every write call of every botocore service model whose request can name another account or
an outside principal is read by a grant rule, or triaged here by hand as no grant (or a gap
left for later, with why): docs/detections.md, "Every call that can grant another account".

The list is derived from the models (scripts/grant_calls.py), so a new botocore model with a
new granting call, or a rule change that drops a route, fails
:func:`test_every_call_that_can_grant_is_read_or_triaged`; an entry here that a rule now reads,
or that the walk no longer lists, fails :func:`test_the_triage_names_only_calls_listed_and_not_read`.
"""

from __future__ import annotations

import functools

import pytest

from scripts.grant_calls import Call, calls, can_hold, grant_members, parse, readers, session

# The triage of the calls the walk lists and no grant rule reads, by reason.

ADMINISTRATION = frozenset(
    {
        "account:AcceptPrimaryEmailUpdate",
        "account:EnableRegion",
        "account:PutAccountName",
        "account:PutAlternateContact",
        "account:PutContactInformation",
        "account:SendPhoneNumberVerification",
        "account:StartPrimaryEmailUpdate",
        "acm:PutInventoryConfiguration",
        "application-signals:CreateServiceLevelObjective",
        "application-signals:UpdateServiceLevelObjective",
        "assurance:AssignPermissionSet",
        "assurance:CreateInvitation",
        "assurance:CreatePermissionSet",
        "assurance:RegisterOrganizationDelegatedAdmin",
        "assurance:UpdatePermissionSet",
        "backup:CreateReportPlan",
        "backup:UpdateReportPlan",
        "bcm-pricing-calculator:BatchCreateBillScenarioCommitmentModification",
        "bcm-pricing-calculator:BatchCreateBillScenarioUsageModification",
        "bcm-pricing-calculator:BatchCreateWorkloadEstimateUsage",
        "billing:CreateContractualInvestmentAttestation",
        "billing:TransferCredit",
        "billingconductor:AssociateAccounts",
        "billingconductor:CreateBillingGroup",
        "billingconductor:CreateCustomLineItem",
        "budgets:CreateBudget",
        "budgets:CreateBudgetAction",
        "budgets:CreateNotification",
        "budgets:CreateSubscriber",
        "budgets:ExecuteBudgetAction",
        "budgets:UpdateBudget",
        "budgets:UpdateBudgetAction",
        "budgets:UpdateNotification",
        "budgets:UpdateSubscriber",
        "ce:CreateAnomalySubscription",
        "ce:StartCommitmentPurchaseAnalysis",
        "cleanrooms:PopulateIntermediateTable",
        "cloudformation:CreateStackInstances",
        "cloudformation:UpdateStackInstances",
        "cloudformation:UpdateStackSet",
        "cloudwatch:PutAnomalyDetector",
        "cloudwatch:PutMetricAlarm",
        "cloudwatchomni:CreateOmniSlo",
        "cloudwatchomni:CreateProvisioningRolesForOrganization",
        "cloudwatchomni:UpdateOmniSlo",
        "compute-optimizer-automation:AssociateAccounts",
        "compute-optimizer-automation:CreateAutomationRule",
        "compute-optimizer-automation:PutOrganizationEnrollmentConfiguration",
        "compute-optimizer-automation:UpdateAutomationRule",
        "compute-optimizer:ExportAutoScalingGroupRecommendations",
        "compute-optimizer:ExportEBSVolumeRecommendations",
        "compute-optimizer:ExportEC2InstanceRecommendations",
        "compute-optimizer:ExportECSServiceRecommendations",
        "compute-optimizer:ExportIdleRecommendations",
        "compute-optimizer:ExportLambdaFunctionRecommendations",
        "compute-optimizer:ExportLicenseRecommendations",
        "compute-optimizer:ExportRDSDatabaseRecommendations",
        "compute-optimizer:UpdateEnrollmentStatus",
        "config:PutOrganizationConformancePack",
        "cost-optimization-hub:UpdateEnrollmentStatus",
        "ec2:CreateImageUsageReport",
        "ec2:EnableIpamOrganizationAdminAccount",
        "ec2:StartNetworkInsightsAnalysis",
        "fms:PutAdminAccount",
        "internetmonitor:StartQuery",
        "invoicing:CreateInvoiceUnit",
        "invoicing:UpdateInvoiceUnit",
        "meteringmarketplace:BatchMeterUsage",
        "mgn:ArchiveApplication",
        "mgn:ArchiveWave",
        "mgn:AssociateApplications",
        "mgn:AssociateSourceServers",
        "mgn:ChangeServerLifeCycleState",
        "mgn:CreateApplication",
        "mgn:CreateRemoteSourceAction",
        "mgn:CreateWave",
        "mgn:DisconnectFromService",
        "mgn:FinalizeCutover",
        "mgn:MarkAsArchived",
        "mgn:PauseReplication",
        "mgn:PutSourceServerAction",
        "mgn:ResumeReplication",
        "mgn:RetryDataReplication",
        "mgn:StartCutover",
        "mgn:StartNetworkMigrationMappingUpdate",
        "mgn:StartRemoteSourceActionJob",
        "mgn:StartReplication",
        "mgn:StartTest",
        "mgn:TerminateTargetInstances",
        "mgn:UnarchiveApplication",
        "mgn:UnarchiveWave",
        "mgn:UpdateApplication",
        "mgn:UpdateLaunchConfiguration",
        "mgn:UpdateLaunchConfigurationDefaults",
        "mgn:UpdateRemoteSourceAction",
        "mgn:UpdateReplicationConfiguration",
        "mgn:UpdateSourceServer",
        "mgn:UpdateSourceServerReplicationType",
        "mgn:UpdateWave",
        "networkflowmonitor:CreateScope",
        "networkflowmonitor:UpdateScope",
        "organizations:CloseAccount",
        "organizations:EnableAWSServiceAccess",
        "organizations:MoveAccount",
        "organizations:RegisterDelegatedAdministrator",
        "outposts:StartCapacityTask",
        "partnercentral-account:StartQualificationsAssociationTask",
        "partnercentral-account:StartQualificationsDisassociationTask",
        "partnercentral-channel:CreateChannelContract",
        "partnercentral-channel:CreateProgramManagementAccount",
        "partnercentral-channel:CreateRelationship",
        "partnercentral-channel:UpdateRelationship",
        "partnercentral-revenue-measurement:CreateMarketplaceRevenueShare",
        "partnercentral-revenue-measurement:StartRevenueAttributionAllocationsTask",
        "partnercentral-revenue-measurement:UpdateMarketplaceRevenueShare",
        "partnercentral-selling:CreateCustomerAccount",
        "partnercentral-selling:CreateEngagementInvitation",
        "partnercentral-selling:CreateOpportunity",
        "partnercentral-selling:UpdateCustomerAccount",
        "partnercentral-selling:UpdateOpportunity",
        "resiliencehub:AddDraftAppVersionResourceMappings",
        "resiliencehub:BatchUpdateRecommendationStatus",
        "resiliencehub:CreateAppVersionResource",
        "resiliencehub:UpdateAppVersionResource",
        "servicecatalog:ProvisionProduct",
        "servicecatalog:UpdateProvisionedProduct",
        "ssm:CreateAssociation",
        "ssm:CreateAssociationBatch",
        "ssm:CreateOpsItem",
        "ssm:StartAutomationExecution",
        "ssm:StartChangeRequestExecution",
        "ssm:StartExecutionPreview",
        "ssm:UpdateAssociation",
        "taxsettings:BatchPutTaxRegistration",
        "taxsettings:PutTaxExemption",
        "taxsettings:PutTaxRegistration",
        "wellarchitected:CreateAgentContext",
        "wellarchitected:CreateAgentOrganizationalProfile",
        "wellarchitected:CreateAgentOrganizationalReport",
        "wellarchitected:CreateAgentProfile",
        "wellarchitected:CreateWorkload",
        "wellarchitected:UpdateAgentContext",
        "wellarchitected:UpdateAgentOrganizationalProfile",
        "wellarchitected:UpdateAgentProfile",
        "wellarchitected:UpdateWorkload",
    }
)
"""Organizations, account, billing, partner and optimization administration: a member account,
a delegated administrator, a payer, a tax registration, or the accounts a report, review or
migration covers (Application Migration Service's `accountID`), or where a stack set, an SSM association or
automation, a provisioned product or a network analysis runs. No access to data is granted."""

SECURITY_MEMBERS = frozenset(
    {
        "accessanalyzer:CreateAccessPreview",
        "accessanalyzer:CreateAnalyzer",
        "accessanalyzer:CreateServiceLinkedAnalyzer",
        "accessanalyzer:StartPolicyGeneration",
        "accessanalyzer:UpdateAnalyzer",
        "auditmanager:CreateAssessment",
        "auditmanager:RegisterOrganizationAdminAccount",
        "auditmanager:UpdateAssessment",
        "cloudtrail:RegisterOrganizationDelegatedAdmin",
        "config:PutConfigurationAggregator",
        "detective:CreateMembers",
        "detective:EnableOrganizationAdminAccount",
        "detective:StartMonitoringMember",
        "guardduty:CreateCustomDetectionRuleOrgConfiguration",
        "guardduty:CreateMembers",
        "guardduty:EnableOrganizationAdminAccount",
        "guardduty:InviteMembers",
        "guardduty:StartMonitoringMembers",
        "guardduty:UpdateCustomDetectionRuleOrgConfiguration",
        "guardduty:UpdateMemberDetectors",
        "inspector2:AssociateMember",
        "inspector2:BatchUpdateMemberEc2DeepInspectionStatus",
        "inspector2:CreateCisScanConfiguration",
        "inspector2:CreateFilter",
        "inspector2:CreateFindingsReport",
        "inspector2:CreateSbomExport",
        "inspector2:Enable",
        "inspector2:EnableDelegatedAdminAccount",
        "inspector2:UpdateCisScanConfiguration",
        "inspector2:UpdateConfiguration",
        "inspector2:UpdateFilter",
        "iot:CreateAuditSuppression",
        "iot:UpdateAuditSuppression",
        "macie2:BatchUpdateAutomatedDiscoveryAccounts",
        "macie2:CreateClassificationJob",
        "macie2:CreateInvitations",
        "macie2:CreateMember",
        "macie2:EnableOrganizationAdminAccount",
        "network-security-manager:CreateScope",
        "network-security-manager:PutAdminAccount",
        "network-security-manager:UpdateScope",
        "security-ir:CreateCase",
        "securityhub:BatchImportFindings",
        "securityhub:BatchUpdateAutomationRules",
        "securityhub:CreateAutomationRule",
        "securityhub:CreateInsight",
        "securityhub:CreateMembers",
        "securityhub:EnableOrganizationAdminAccount",
        "securityhub:InviteMembers",
        "securityhub:StartConfigurationPolicyAssociation",
        "securityhub:StartConfigurationPolicyDisassociation",
        "securityhub:UpdateFindings",
        "securityhub:UpdateInsight",
        "securitylake:CreateAwsLogSource",
        "securitylake:RegisterDataLakeDelegatedAdministrator",
    }
)
"""A security service's administrator naming its members or its delegated administrator (the
reverse direction: our account reads theirs; docs/detections.md), or account ids in a
filter, a finding, an insight, an automation rule or a scan's scope; Config's aggregator
reading other accounts; an assessment's, an audit suppression's, an incident case's or a log
source's accounts."""

IDENTITY = frozenset(
    {
        "account-access:CreateEntitlement",
        "ec2:ModifyIdentityIdFormat",
        "ecr:RegisterPullTimeUpdateExclusion",
        "ecs:PutAccountSetting",
        "eks:CreatePodIdentityAssociation",
        "eks:UpdatePodIdentityAssociation",
        "emr-serverless:StartJobRun",
        "glue:StartJobRun",
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:CreateWorkloadIdentityProviderOutboundSigner",
        "iam:PutGroupPolicy",
        "iam:PutRolePolicy",
        "iam:PutUserPolicy",
        "iam:UpdateWorkloadIdentityProviderOutboundSigner",
        "iot:CreatePolicy",
        "iot:CreatePolicyVersion",
        "lakeformation:AssumeDecoratedRoleWithSAML",
        "omics:StartRun",
        "omics:StartRunBatch",
        "quicksight:BatchPutPolicyAssignmentByPolicy",
        "quicksight:PutPolicyAssignment",
        "rolesanywhere:CreateProfile",
        "rolesanywhere:UpdateProfile",
        "sso-admin:CreateAccountAssignment",
        "sso-admin:CreateApplicationAssignment",
        "sso-admin:PutInlinePolicyToPermissionSet",
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoot",
        "transfer:CreateAccess",
        "transfer:CreateUser",
        "transfer:UpdateAccess",
        "transfer:UpdateUser",
    }
)
"""Identity policies, permission sets, account assignments and role assumption: the identity
rules' (iam-role-trust-grants-outside, identity-center-permission-set-admin, iam-admin-policy-attached...);
or a session policy (Transfer, EKS Pod Identity, EMR Serverless, Glue, HealthOmics, Roles
Anywhere), which can only narrow what the role allows."""

DATA_IN = frozenset(
    {
        "agent-registry-control:CreateRegistryRecord",
        "bedrock-agent:CreateDataSource",
        "bedrock-agent:IngestKnowledgeBaseDocuments",
        "bedrock-agent:UpdateDataSource",
        "bedrock-agentcore-control:CreateAgentRuntime",
        "bedrock-agentcore-control:CreateGateway",
        "bedrock-agentcore-control:CreateGatewayTarget",
        "bedrock-agentcore-control:CreateHarness",
        "bedrock-agentcore-control:CreateOauth2CredentialProvider",
        "bedrock-agentcore-control:CreatePaymentManager",
        "bedrock-agentcore-control:CreateRegistry",
        "bedrock-agentcore-control:UpdateAgentRuntime",
        "bedrock-agentcore-control:UpdateGateway",
        "bedrock-agentcore-control:UpdateGatewayTarget",
        "bedrock-agentcore-control:UpdateHarness",
        "bedrock-agentcore-control:UpdateOauth2CredentialProvider",
        "bedrock-agentcore-control:UpdatePaymentManager",
        "bedrock-agentcore-control:UpdateRegistry",
        "cloudfront:CreateDistribution",
        "cloudfront:CreateDistributionWithTags",
        "cloudfront:UpdateDistribution",
        "cloudtrail:StartQuery",
        "codeguruprofiler:PutPermission",
        "dataexchange:CreateJob",
        "datazone:CreateConnection",
        "datazone:UpdateConnection",
        "devops-agent:AssociateService",
        "devops-agent:RegisterService",
        "devops-agent:UpdateAssociation",
        "drs:CreateSourceNetwork",
        "glue:CreateCrawler",
        "glue:UpdateCrawler",
        "logs:PutDeliveryDestinationPolicy",
        "logs:PutDestinationPolicy",
        "medical-imaging:StartDICOMImportJob",
        "oam:PutSinkPolicy",
        "omics:CreateConfiguration",
        "omics:CreateWorkflow",
        "omics:CreateWorkflowVersion",
        "opensearchserverless:CreateIngestionJob",
        "opensearchserverless:CreateIngestionStream",
        "osis:PutResourcePolicy",
        "rum:PutResourcePolicy",
        "s3control:CreateAccessPoint",
        "s3control:CreateMultiRegionAccessPoint",
        "sagemaker:CreateMlflowTrackingServer",
        "sagemaker:UpdateMlflowTrackingServer",
        "securitylake:CreateCustomLogSource",
        "xray:PutResourcePolicy",
    }
)
"""Data in, not out: another account's bucket, registry, VPC, origin, catalog, metrics or event
data store read by ours (`bucketOwnerAccountId` is the expected owner of a bucket we read), or
another account let send into ours (docs/detections.md: logs destinations, oam sinks, X-Ray,
OSIS, CodeGuru Profiler, Security Lake custom sources, RUM, DataZone connections)."""

NOT_AN_ACCOUNT = frozenset(
    {
        "amplifybackend:CreateBackendStorage",
        "amplifybackend:UpdateBackendStorage",
        "appintegrations:CreateApplication",
        "appintegrations:UpdateApplication",
        "assurance:CreateEnvironmentConnection",
        "bedrock-agentcore:CreatePaymentInstrument",
        "connect:CreateRule",
        "connect:CreateSecurityProfile",
        "connect:UpdateRule",
        "connect:UpdateSecurityProfile",
        "context:CreateChangeSet",
        "context:PutTrace",
        "context:StartTask",
        "datasync:CreateLocationHdfs",
        "datasync:CreateLocationSmb",
        "datasync:UpdateLocationHdfs",
        "datasync:UpdateLocationSmb",
        "datazone:AcceptSubscriptionRequest",
        "datazone:AddPolicyGrant",
        "datazone:CreateDesignation",
        "datazone:CreateGroupProfile",
        "datazone:CreateProject",
        "datazone:CreateSubscriptionRequest",
        "datazone:UpdateDesignation",
        "datazone:UpdateProject",
        "elasticache:CreateUserGroup",
        "kendra:CreateDataSource",
        "kendra:UpdateDataSource",
        "lakeformation:CreateLakeFormationOptIn",
        "observabilityadmin:PutConnectorTelemetryManifest",
        "qapps:UpdateQAppPermissions",
        "qbusiness:BatchPutDocument",
        "qbusiness:CreateSubscription",
        "qbusiness:UpdateChatControlsConfiguration",
        "redshift-serverless:CreateRoleAssociation",
        "sagemaker:CreateMlflowApp",
        "sagemaker:UpdateMlflowApp",
        "servicecatalog:AssociatePrincipalWithPortfolio",
        "verifiedpermissions:BatchIsAuthorized",
        "verifiedpermissions:CreatePolicy",
        "wickr:BatchReinviteUser",
        "wickr:BatchToggleUserSuspendStatus",
        "workmail:PutAccessControlRule",
        "workmail:PutMailboxPermissions",
        "workspaces:ModifySelfservicePermissions",
    }
)
"""Names a user, group, project or principal of the service itself (Identity Center, Connect,
WorkMail, Wickr, DataZone, Q Business, Q Apps, Cedar, ElastiCache, Kerberos, Lake Formation's
opt-in), or a principal the model says is of the caller's own account (Redshift Serverless
role associations, SageMaker MLflow administrators, Service Catalog portfolio principals), or
an account of another kind (Google Drive users, a GitHub account, a crypto wallet, an Azure
storage account)."""

NOT_ACCESS_POLICIES = frozenset(
    {
        "batch:RegisterJobDefinition",
        "bedrock-agent:CreateRetrievalInstruction",
        "bedrock-agent:UpdateRetrievalInstruction",
        "cloudfront:CreateResponseHeadersPolicy",
        "cloudfront:UpdateResponseHeadersPolicy",
        "config:PutConfigRule",
        "config:PutOrganizationConfigRule",
        "context:CreateCurationPolicy",
        "context:UpdateCurationPolicy",
        "ec2:CreateVerifiedAccessEndpoint",
        "ec2:CreateVerifiedAccessGroup",
        "ec2:CreateVpcEndpoint",
        "ec2:ModifyClientVpnEndpointAuthorizationPolicy",
        "ec2:ModifyVerifiedAccessEndpointPolicy",
        "ec2:ModifyVerifiedAccessGroupPolicy",
        "ec2:ModifyVpcEndpoint",
        "ecr:PutLifecyclePolicy",
        "ecr:StartLifecyclePolicyPreview",
        "ecs:RegisterDaemonTaskDefinition",
        "ecs:RegisterTaskDefinition",
        "elbv2:CreateListener",
        "elbv2:ModifyListener",
        "fsx:CreateVolume",
        "fsx:CreateVolumeFromBackup",
        "fsx:UpdateVolume",
        "iam:CreateWorkloadIdentityTemplate",
        "iam:PutWorkloadIdentityTemplateAttestationPolicy",
        "imagebuilder:CreateLifecyclePolicy",
        "imagebuilder:StartResourceStateUpdate",
        "imagebuilder:UpdateLifecyclePolicy",
        "iot:CreateDomainConfiguration",
        "iot:UpdateDomainConfiguration",
        "lakeformation:AnalyzeAccess",
        "lakeformation:AttachRLSPolicy",
        "logs:PutDataProtectionPolicy",
        "logs:PutIndexPolicy",
        "mediastore:PutLifecyclePolicy",
        "odb:CreateOdbNetwork",
        "odb:UpdateOdbNetwork",
        "opensearchserverless:CreateLifecyclePolicy",
        "opensearchserverless:CreateSecurityPolicy",
        "opensearchserverless:UpdateLifecyclePolicy",
        "opensearchserverless:UpdateSecurityPolicy",
        "quicksight:UpdateDataSet",
        "s3control:PutAccessPointScope",
        "s3files:CreateAccessPoint",
        "sesv2:UpdateReputationEntityPolicy",
        "sns:PutDataProtectionPolicy",
        "ssm:PutParameter",
        "storagegateway:CreateNFSFileShare",
        "storagegateway:CreateSMBFileShare",
        "storagegateway:UpdateNFSFileShare",
        "storagegateway:UpdateSMBFileShare",
        "workspaces-web:CreateBrowserSettings",
        "workspaces-web:UpdateBrowserSettings",
        "workspaces:ModifyClientProperties",
    }
)
"""A member named like a policy or permissions that is no grant: data protection, index,
lifecycle, TLS, snapshot schedule, notification, content security and browser policies, Guard
rules, a retrieval instruction's answer policy, Cedar designations, device and POSIX
permissions; or a policy that can only narrow (VPC endpoint, Verified Access, Client VPN,
Oracle Database@AWS network, OpenSearch Serverless network and encryption, Lake Formation
row filters and column-level rules, S3 access point scopes, Image Builder lifecycle exclusions)."""

SERVICE_PRINCIPALS = frozenset(
    {
        "autoscaling:CreateAutoScalingGroup",
        "config:PutConfigurationRecorder",
        "config:PutServiceLinkedConfigurationRecorder",
        "config:PutThirdPartyServiceLinkedConfigurationRecorder",
        "ec2:CreateLaunchTemplate",
        "ec2:CreateLaunchTemplateVersion",
        "ec2:CreateNetworkInterface",
        "ec2:CreatePlacementGroup",
        "ec2:CreateVolume",
        "ec2:RunInstances",
    }
)
"""An AWS service principal: the operator of a managed EC2 or Auto Scaling resource, the
service of a service-linked Config recorder."""

SECURITY_GROUPS = frozenset(
    {
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        "gamelift:CreateContainerFleet",
        "gamelift:CreateFleet",
    }
)
"""Security group rules (EC2, GameLift) naming another account's group: reachable only across
a peering, which network-joined-to-outside-account reads (docs/detections.md)."""

RAM_POLICIES = frozenset(
    {
        "cloudfront:PutResourcePolicy",
        "fsx:UpdateSharedVpcConfiguration",
        "migration-hub-refactor-spaces:PutResourcePolicy",
        "network-firewall:PutResourcePolicy",
        "networkmanager:AssociateNetworkScopePrincipal",
        "networkmanager:CreateCoreNetwork",
        "networkmanager:PutCoreNetworkPolicy",
        "networkmanager:PutResourcePolicy",
        "pinpoint-sms-voice-v2:PutResourcePolicy",
        "route53resolver:PutFirewallRuleGroupPolicy",
        "route53resolver:PutResolverQueryLogConfigPolicy",
        "route53resolver:PutResolverRulePolicy",
    }
)
"""The policies RAM writes when a share is made (read at RAM by
network-joined-to-outside-account), on resolver rules, query log configurations, firewall rule
groups, core networks, phone numbers, VPC origins and refactor spaces, and FSx's shared VPC
participants updating routes: no data of ours goes out."""

LOW_RISK_GAPS = frozenset(
    {
        "acm-pca:CreatePermission",
        "aiops:PutInvestigationGroupPolicy",
        "apigatewayv2:PutPortalProductSharingPolicy",
        "apiportal:PutOrganizationDiscoveryConfiguration",
        "apiportal:PutProductSharingPolicy",
        "cleanroomsml:CreateConfiguredModelAlgorithmAssociation",
        "cleanroomsml:CreateMLInputChannel",
        "cleanroomsml:CreateTrainedModel",
        "cleanroomsml:PutConfiguredAudienceModelPolicy",
        "cleanroomsml:StartTrainedModelExportJob",
        "cleanroomsml:StartTrainedModelInferenceJob",
        "elementalinference:PutFeedPolicy",
        "globalaccelerator:CreateCrossAccountAttachment",
        "globalaccelerator:UpdateCrossAccountAttachment",
        "lexv2-models:CreateResourcePolicy",
        "lexv2-models:CreateResourcePolicyStatement",
        "lexv2-models:UpdateResourcePolicy",
        "license-manager:CreateGrant",
        "lookoutequipment:PutResourcePolicy",
        "managedblockchain:CreateProposal",
        "marketplace-catalog:PutResourcePolicy",
        "mediapackagev2:PutChannelPolicy",
        "mediapackagev2:PutOriginEndpointPolicy",
        "mediastore:PutContainerPolicy",
        "mediatailor:PutChannelPolicy",
        "redshift:PutResourcePolicy",
        "schemas:PutResourcePolicy",
        "serverlessrepo:PutApplicationPolicy",
        "ssm-contacts:PutContactPolicy",
        "ssm-incidents:CreateResponsePlan",
        "ssm-incidents:PutResourcePolicy",
        "ssm-incidents:UpdateResponsePlan",
        "waf-regional:PutPermissionPolicy",
        "waf:PutPermissionPolicy",
        "wafv2:PutPermissionPolicy",
        "workspaces:UpdateConnectionAliasPermission",
    }
)
"""Gaps of low risk, documented (docs/detections.md, "Every call that can grant another
account"): response plans, contacts, event schemas, bots, media containers, channels and feeds,
marketplace entities, Clean Rooms ML models, WAF rule groups, licenses, API portal products, a
private CA's service permission, an AIOps investigation group, cross-account accelerator
attachments, WorkSpaces connection aliases, a public serverless application, Redshift's zero-ETL
inbound policy, Lookout for Equipment (no new customers), a Managed Blockchain invitation."""

OWN_OR_SERVICE_ACCOUNTS = frozenset(
    {
        "bedrock-agentcore:InvokeAgentRuntime",
        "bedrock-agentcore:InvokeAgentRuntimeCommand",
        "events:CreatePartnerEventSource",
        "gamelift:CreateVpcPeeringAuthorization",
        "gamelift:CreateVpcPeeringConnection",
        "qconnect:CreateMessageTemplate",
        "qconnect:UpdateMessageTemplate",
        "redshift:AddPartner",
        "redshift:UpdatePartnerStatus",
        "servicecatalog:UpdatePortfolioShare",
    }
)
"""A service's own account or the caller's: GameLift's fleet account peering into our VPC, a
Redshift partner integration's account, a WhatsApp business account, the account of an agent
runtime invoked, a SaaS partner's event source for its customer; or an existing Service Catalog
share's settings (read when it was created)."""

LEFT_FOR_LATER = frozenset(
    {
        "bedrock-agentcore-control:CreateGatewayRule",
        "bedrock-agentcore-control:UpdateGatewayRule",
        "cleanrooms:CreateCollaboration",
        "cleanrooms:CreateCollaborationChangeRequest",
        "cleanrooms:StartProtectedJob",
        "cleanrooms:StartProtectedQuery",
        "cloudwatchomni:CreateAccessGrant",
        "cloudwatchomni:CreateDomainAccessGrantForOrganization",
        "codepipeline:UpdateActionType",
        "continuum:PutResourcePolicy",
        "ec2:EnableAddressTransfer",
        "glacier:InitiateJob",
        "iam:CreateDelegationRequest",
        "iam:PutWorkloadIdentityProviderResourcePolicy",
        "logs:PutIntegration",
        "observabilityadmin:CreateCentralizationRuleForOrganization",
        "observabilityadmin:UpdateCentralizationRuleForOrganization",
        "opensearch:AddDirectQueryDataSource",
        "opensearch:UpdateDirectQueryDataSource",
        "proton:CreateEnvironmentAccountConnection",
        "quicksight:CreateAgent",
        "quicksight:StartAssetBundleImportJob",
        "quicksight:UpdateAgent",
        "s3:PutBucketLogging",
        "s3:RestoreObject",
        "s3control:CreateAccessGrant",
        "s3control:CreateJob",
        "s3control:PutStorageLensConfiguration",
        "s3tables:PutStorageLensConfiguration",
        "sagemaker:CreateDomain",
        "sagemaker:UpdateDomain",
        "signin:PutResourcePermissionStatement",
        "workdocs:AddResourcePermissions",
        "workspaces:CreateAccountLinkInvitation",
    }
)
"""Possible grants not read yet, each with why (docs/detections.md, "Every call that can grant
another account"): new services whose model says too little (CloudWatch omni access grants,
AgentCore gateway rules' principals, Sign-in's resource policy, IAM delegation requests and
workload identity providers' policies, QuickSight agents, SageMaker Unified Studio's domain
account, WorkSpaces account links); a member the model marks sensitive, which CloudTrail may
hide (Continuum's `policy`); S3 Control's bodies, whose CloudTrail spelling is unseen (Access
Grants, Batch Operations ACLs, Storage Lens exports); ACL grants on restored or logged objects
(S3 RestoreObject, PutBucketLogging's `TargetGrants`, Glacier jobs); a QuickSight asset
bundle's override permissions; an Elastic IP transferred; Clean Rooms collaborations (their
members query what the analysis rules allow, set by another call); OpenSearch direct query data
sources' and CloudWatch Logs integrations' viewers; a CodePipeline action type's allowed
accounts; a Proton environment account connection (end of support); WorkDocs shares (end of
support); CloudWatch telemetry centralized into a destination account (organization rules only,
the destination being an account of the organization)."""

TRIAGE = (
    ADMINISTRATION,
    SECURITY_MEMBERS,
    IDENTITY,
    DATA_IN,
    NOT_AN_ACCOUNT,
    NOT_ACCESS_POLICIES,
    SERVICE_PRINCIPALS,
    SECURITY_GROUPS,
    RAM_POLICIES,
    LOW_RISK_GAPS,
    OWN_OR_SERVICE_ACCOUNTS,
    LEFT_FOR_LATER,
)


@functools.cache
def listed() -> dict[str, Call]:
    """The walk of every model, once per run (the models' loading is most of its cost)."""
    return {call.key: call for call in calls()}


@functools.cache
def read() -> frozenset[str]:
    return frozenset(key for key, call in listed().items() if readers(call))


def test_every_call_that_can_grant_is_read_or_triaged() -> None:
    triaged = frozenset().union(*TRIAGE)
    assert set(listed()) - read() - triaged == set()


def test_the_triage_names_only_calls_listed_and_not_read() -> None:
    triaged = [key for group in TRIAGE for key in group]
    assert len(triaged) == len(set(triaged))  # one reason each
    assert set(triaged) - set(listed()) == set()
    assert set(triaged) & read() == set()


@pytest.mark.parametrize(
    "key",
    [
        # the known miss: a resource share of the data Lake Formation manages
        "lakeformation:CreateLakeFormationIdentityCenterConfiguration",
        "lakeformation:UpdateLakeFormationIdentityCenterConfiguration",
        # found by the walk
        "lambda:PutResourcePolicy",
        "lambda-web:PutResourcePolicy",
        "glue:CreateDatabase",
        "glue:UpdateCatalog",
        "sagemaker:PutEndpointPolicy",
        "backup:CreateBackupAccessPoint",
        "ecr-public:SetPremiumRepositoryPolicy",
        "comprehend:CreateDocumentClassifier",
        "comprehend:CreateEntityRecognizer",
        "entityresolution:AddPolicyStatement",
        "omics:PutS3AccessPolicy",
        "eventbridgev2:PutResourcePolicy",
        "context:PutResourcePolicy",
        "wellarchitected:PutAgentProfilePolicy",
        "wellarchitected:PutAgentRecommendationPolicy",
        "connect:AssociateAnalyticsDataSet",
        "connect:BatchAssociateAnalyticsDataSet",
        "servicecatalog:CreatePortfolioShare",
        "logs:CreateScheduledQuery",
        "logs:UpdateScheduledQuery",
        "apigateway:CreateDomainName",
    ],
)
def test_the_calls_this_pass_added_are_read(key: str) -> None:
    assert readers(listed()[key])


def test_the_walk_finds_principals_accounts_and_policies_at_depth() -> None:
    lakeformation = session().get_service_model("lakeformation")
    members = set(grant_members(lakeformation.operation_model("PutDataLakeSettings").input_shape))
    assert "DataLakeSettings.CreateTableDefaultPermissions.Principal.DataLakePrincipalIdentifier" in members
    assert "DataLakeSettings.TrustedResourceOwners" in members
    assert "ShareTarget" in listed()["ds:ShareDirectory"].members
    assert set(listed()["quicksight:UpdateDashboardPermissions"].members) >= {
        "GrantPermissions.Principal",
        "GrantLinkPermissions.Principal",
    }
    assert "kms:PutKeyPolicy" in listed() and "ec2:ModifySnapshotAttribute" in listed()


def test_the_walk_leaves_out_reads_withdrawals_paths_and_enums() -> None:
    assert "lakeformation:RevokePermissions" not in listed()  # a withdrawal
    assert "kms:GetKeyPolicy" not in listed()  # a read
    # QuickSight's AwsAccountId is the caller's own, in the URI
    assert "AwsAccountId" not in listed()["quicksight:UpdateDashboardPermissions"].members
    # an enum named like a policy (a TLS security policy) is no JSON policy
    assert "securityPolicy" not in listed()["apigateway:CreateDomainName"].members


@pytest.mark.parametrize(
    ("query", "facts", "holds"),
    [
        (
            "event.provider:lambda.amazonaws.com AND event.action:AddPermission* AND NOT event.outcome:failure",
            {"event.action": "AddPermission20150331v2"},
            True,
        ),
        (
            "event.provider:lambda.amazonaws.com AND event.action:AddPermission* AND NOT event.outcome:failure",
            {"event.action": "RemovePermission"},
            False,
        ),
        (
            "event.provider:lambda.amazonaws.com AND event.action:AddPermission*",
            {"event.provider": "sns.amazonaws.com", "event.action": "AddPermission"},
            False,
        ),
        # another field is unknown: the call may match
        (
            "event.action:(CreateTable OR PutResourcePolicy) AND _exists_:aws.cloudtrail.request_parameters.resourcePolicy",
            {"event.action": "CreateTable"},
            None,
        ),
        (
            'event.action:UpdateRestApi AND aws.cloudtrail.request_parameters.patchOperations.path:"/policy"',
            {"event.action": "UpdateRestApi"},
            None,
        ),
        (
            "NOT event.outcome:failure AND (event.action:(A OR B) OR (event.action:C AND x:y))",
            {"event.action": "D", "event.outcome": "success"},
            False,
        ),
    ],
)
def test_a_query_is_read_for_the_calls_it_can_match(
    query: str, facts: dict[str, str], holds: bool | None
) -> None:
    facts = {"event.provider": "lambda.amazonaws.com", "event.outcome": "success", **facts}
    assert can_hold(parse(query), facts) is holds
