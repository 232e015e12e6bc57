"""Every field of a CloudTrail document: the one definition the index template, the field
table of docs/sources/cloudtrail.md, the Sigma field mapping (``raw`` is Sigma's CloudTrail
field name) and the mapping's copy tables (:mod:`normalizers.cloudtrail.tables`) are built from."""

from __future__ import annotations

from normalizers.ecs.fields import ecs, user_identity
from normalizers.fields import Field, field

BLOCK = "aws.cloudtrail"

ECS: tuple[Field, ...] = (
    ecs(
        "@timestamp",
        "`eventTime` (EventBridge `time` as fallback), offsets and epoch seconds converted to UTC",
        "eventTime",
    ),
    ecs("event.kind", "`event`: a constant of the index, not in the document"),
    ecs("event.category", 'from the operation and the service ("Categorization")'),
    ecs("event.type", 'from the operation\'s verb ("Categorization"); `info` for Insights events'),
    ecs("event.action", "the API operation; Insights: `insightDetails.eventName`", "eventName"),
    ecs(
        "event.provider",
        "the service (`iam.amazonaws.com`); Insights: `insightDetails.eventSource`",
        "eventSource",
    ),
    ecs(
        "event.outcome",
        "`failure` with an `errorCode` or a sign-in `Failure` in `responseElements`/`serviceEventDetails`; `unknown` for Insights; else `success`",
    ),
    ecs(
        "event.id",
        "`eventID`, else EventBridge `id`, else (version 1.0 records) a hash of the record"
        " (an id over 1,024 bytes: its first 256, `…` and a hash of the whole, docs/schema.md)",
        "eventID",
    ),
    ecs("event.dataset", "`aws.cloudtrail`: a constant of the index, not in the document"),
    ecs("event.module", "`aws`: a constant of the index, not in the document"),
    ecs("event.ingested", "when the loader read the record, in epoch milliseconds (`1767225600000`)"),
    ecs(
        "event.original", "the record (for an EventBridge event, the whole event), with `keep_original` only"
    ),
    ecs(
        "event.start", "Insights: `eventTime` of a Start event; end minus `insightDuration` for an End event"
    ),
    ecs("event.end", "Insights: `eventTime` of an End event"),
    ecs(
        "event.duration",
        "Insights End events: `insightContext.statistics.insightDuration` minutes, in nanoseconds",
    ),
    ecs("cloud.provider", "`aws`: a constant of the index, not in the document"),
    ecs(
        "cloud.account.id",
        "the recording account; fallbacks: EventBridge `account`, the `AWSLogs/<account>/` folder of "
        "the log file's key (through CloudWatch Logs: the account the log stream is named after, "
        "`<account>_CloudTrail_<region>`; from Security Lake: the key's `accountId=` partition), then "
        "`userIdentity.accountId` (the caller's: another "
        "account for a cross-account call)",
        "recipientAccountId",
    ),
    ecs(
        "cloud.region",
        "EventBridge `region` as fallback; a record with neither is dead-lettered (`missing field`)",
        "awsRegion",
    ),
    ecs(
        "user.name",
        'who acted (docs/schema.md, "The actor"): root, the role session, the user, or the invoking service; '
        "for an IAM Identity Center sign-in, `additionalEventData.UserName`",
        "userIdentity.userName",
    ),
    ecs(
        "user.id",
        "the principal id; for an IAM Identity Center user (`IdentityCenterUser`), `onBehalfOf.userId`",
        "userIdentity.principalId",
    ),
    ecs(
        "user.roles",
        "the role of an assumed-role session: `sessionContext.sessionIssuer.userName` (else the role in the session's ARN)",
        "userIdentity.sessionContext.sessionIssuer.userName",
    ),
    # What the call acts on: the table of normalizers/cloudtrail/targets.py (docs/schema.md, "Targets").
    ecs(
        "user.target.name",
        "the IAM user an IAM call acts on (`userName`); the session an STS call issues (role session, federated user)",
    ),
    ecs("user.target.id", "the id of the IAM user `CreateUser` creates (`responseElements.user.userId`)"),
    ecs("user.target.roles", "the IAM role an IAM call acts on (`roleName`)"),
    ecs("user.changes.name", "an IAM user's new name (`UpdateUser` `newUserName`)"),
    ecs("group.name", "the IAM group an IAM call acts on (`groupName`)"),
    ecs("group.id", "the id of the IAM group `CreateGroup` creates"),
    ecs("aws.s3.bucket.name", "the bucket an S3 call acts on (`requestParameters.bucketName`)"),
    ecs("aws.s3.object.key", "the object an S3 call acts on (`requestParameters.key`)"),
    ecs(
        "cloud.target.account.id",
        "the member account an Organizations call acts on; the account `AssumeRoot` targets",
    ),
    ecs(
        "related.user",
        "every identifier of the actor: user name, principal id, access key id (or Identity Center "
        "`credentialId`), ARN, session name, issuer role, the session's `sourceIdentity` (the person a "
        "role chain started from), the Identity Center user it acts for; and the "
        "credentials the call issues or acts on (access key ids, session ARNs); Insights: the identities behind "
        "the unusual activity (`insightContext.attributions` `userIdentityArn` `insight` values, and the "
        "role of an assumed-role ARN); an AWS service's call: the role its credentials were issued to "
        "(`inScopeOf.credentialsIssuedTo`); a web identity session's user as its provider names them "
        "(`webIdFederationData.attributes` `<provider>:sub`, `:user_id`, `:id`)",
    ),
    ecs(
        "related.hosts",
        "the instances the call acts on (EC2, Systems Manager, EC2 Instance Connect), and the instance "
        "whose role session acts",
    ),
    ecs("related.ip", "`sourceIPAddress` when it is a valid IP"),
    ecs(
        "source.ip",
        "`sourceIPAddress` when it is a valid IPv4/IPv6 (canonical form: `2001:0db8::0001` -> `2001:db8::1`)",
    ),
    ecs(
        "source.address",
        "`sourceIPAddress` when it is not a valid IP (`AWS Internal`, `ec2.amazonaws.com`, `211.9.016.253`)",
        "sourceIPAddress",
    ),
    ecs("source.domain", "`sourceIPAddress` when it is a host name (`ec2.amazonaws.com`)"),
    ecs("user_agent.original", "the client's user agent", "userAgent"),
)

OWN: tuple[Field, ...] = (
    # Copied as they are when they are strings (tables.TEXT_FIELDS: this order is the documents').
    field(f"{BLOCK}.event_version", "keyword", "the record format's version", "eventVersion"),
    field(
        f"{BLOCK}.event_type",
        "keyword",
        "`AwsApiCall`, `AwsConsoleSignIn`, `AwsServiceEvent`, `AwsCloudTrailInsight`...",
        "eventType",
    ),
    field(
        f"{BLOCK}.event_category",
        "keyword",
        "`Management`, `Data`, `Insight` or `NetworkActivity`",
        "eventCategory",
    ),
    field(f"{BLOCK}.error_code", "keyword", "the AWS error of a failed call", "errorCode"),
    field(f"{BLOCK}.error_message", "text", "its message", "errorMessage"),
    field(f"{BLOCK}.request_id", "keyword", "the request's id", "requestID"),
    field(
        f"{BLOCK}.shared_event_id",
        "keyword",
        "shared by the copies of a cross-account event; Insights: by an Insights event's Start and End",
        "sharedEventID",
    ),
    field(f"{BLOCK}.vpc_endpoint_id", "keyword", "the VPC endpoint the call came through", "vpcEndpointId"),
    field(f"{BLOCK}.vpc_endpoint_account_id", "keyword", "that endpoint's account", "vpcEndpointAccountId"),
    field(f"{BLOCK}.api_version", "keyword", "the API version called", "apiVersion"),
    # Booleans, "true"/"false" strings accepted (tables.BOOL_FIELDS).
    field(f"{BLOCK}.read_only", "boolean", "the call only reads", "readOnly"),
    field(f"{BLOCK}.management_event", "boolean", "a management (control plane) event", "managementEvent"),
    field(
        f"{BLOCK}.session_credential_from_console",
        "boolean",
        "the credentials came from a console session",
        "sessionCredentialFromConsole",
    ),
    # Kept whole; a value that is not an object is wrapped as {"value": ...}.
    field(
        f"{BLOCK}.request_parameters", "flat_object", "the call's parameters as they are", "requestParameters"
    ),
    field(f"{BLOCK}.response_elements", "flat_object", "the call's response as it is", "responseElements"),
    field(
        f"{BLOCK}.additional_eventdata",
        "flat_object",
        "the event's additional data as it is",
        "additionalEventData",
    ),
    field(
        f"{BLOCK}.service_event_details",
        "flat_object",
        "a service event's details as they are",
        "serviceEventDetails",
    ),
    field(
        f"{BLOCK}.edge_device_details",
        "flat_object",
        "the edge device's details as they are",
        "edgeDeviceDetails",
    ),
    field(
        f"{BLOCK}.insight_details",
        "flat_object",
        "`insightDetails`, keys converted to snake_case, values as they are",
    ),
    field(f"{BLOCK}.resources.arn", "keyword", "each resource's ARN", "resources.ARN"),
    field(f"{BLOCK}.resources.type", "keyword", "each resource's type", "resources.type"),
    field(f"{BLOCK}.resources.account_id", "keyword", "each resource's account", "resources.accountId"),
    # Sign-ins (eventType AwsConsoleSignIn, or any event of signin.amazonaws.com): "Yes"/"No"
    # (any case) become booleans.
    field(
        f"{BLOCK}.console_login.mfa_used", "boolean", "MFA was used to sign in", "additionalEventData.MFAUsed"
    ),
    field(
        f"{BLOCK}.console_login.mobile_version",
        "boolean",
        "the sign-in was on the mobile console",
        "additionalEventData.MobileVersion",
    ),
    field(
        f"{BLOCK}.console_login.login_to",
        "keyword",
        "the console URL signed in to",
        "additionalEventData.LoginTo",
    ),
    field(
        f"{BLOCK}.console_login.mfa_identifier",
        "keyword",
        "the MFA device",
        "additionalEventData.MFAIdentifier",
    ),
    field(
        f"{BLOCK}.console_login.mfa_type", "keyword", "the MFA device's type", "additionalEventData.MfaType"
    ),
    field(
        f"{BLOCK}.tls_details.tls_version", "keyword", "the TLS version of the call", "tlsDetails.tlsVersion"
    ),
    field(f"{BLOCK}.tls_details.cipher_suite", "keyword", "the TLS cipher suite", "tlsDetails.cipherSuite"),
    field(
        f"{BLOCK}.tls_details.client_provided_host_header",
        "keyword",
        "the host the client asked for",
        "tlsDetails.clientProvidedHostHeader",
    ),
    field(
        f"{BLOCK}.addendum.reason",
        "keyword",
        "why the event was delivered late or changed",
        "addendum.reason",
    ),
    field(
        f"{BLOCK}.addendum.updated_fields",
        "keyword",
        "the fields the addendum updated",
        "addendum.updatedFields",
    ),
    field(
        f"{BLOCK}.addendum.original_request_id",
        "keyword",
        "the original event's request id",
        "addendum.originalRequestID",
    ),
    field(
        f"{BLOCK}.addendum.original_event_id",
        "keyword",
        "the original event's id, written as its `event.id` is (over 1,024 bytes: cut the same way, so they join)",
        "addendum.originalEventID",
    ),
)

USER_IDENTITY: tuple[Field, ...] = user_identity(
    BLOCK,
    raw={
        "type": "userIdentity.type",
        "arn": "userIdentity.arn",
        "account_id": "userIdentity.accountId",
        "access_key_id": "userIdentity.accessKeyId",
        "invoked_by": "userIdentity.invokedBy",
        "identity_provider": "userIdentity.identityProvider",
        "credential_id": "userIdentity.credentialId",
        "on_behalf_of.user_id": "userIdentity.onBehalfOf.userId",
        "on_behalf_of.identity_store_arn": "userIdentity.onBehalfOf.identityStoreArn",
        "session_context.mfa_authenticated": "userIdentity.sessionContext.attributes.mfaAuthenticated",
        "session_context.creation_date": "userIdentity.sessionContext.attributes.creationDate",
        "session_context.source_identity": "userIdentity.sessionContext.sourceIdentity",
        "session_context.ec2_role_delivery": "userIdentity.sessionContext.ec2RoleDelivery",
        "session_context.session_issuer.type": "userIdentity.sessionContext.sessionIssuer.type",
        "session_context.session_issuer.principal_id": "userIdentity.sessionContext.sessionIssuer.principalId",
        "session_context.session_issuer.arn": "userIdentity.sessionContext.sessionIssuer.arn",
        "session_context.session_issuer.account_id": "userIdentity.sessionContext.sessionIssuer.accountId",
    },
)

IN_SCOPE_OF: tuple[Field, ...] = tuple(
    field(
        f"{BLOCK}.user_identity.in_scope_of.{name}", "keyword", description, f"userIdentity.inScopeOf.{raw}"
    )
    for name, raw, description in (
        (
            "source_arn",
            "sourceArn",
            "the service-owned resource the call was made for (a Lambda function...)",
        ),
        ("source_account", "sourceAccount", "that resource's account"),
        ("issuer_type", "issuerType", "that resource's type (`AWS::Lambda::Function`...)"),
        ("credentials_issued_to", "credentialsIssuedTo", "the role the service's credentials were issued to"),
    )
)
"""``userIdentity.inScopeOf``: the resource an AWS service acted for (CloudTrail alone has it,
so it is not in the actor contract's ``user_identity`` block of every source)."""

WEB_ID_FEDERATION: tuple[Field, ...] = (
    field(
        f"{BLOCK}.user_identity.session_context.web_id_federation_data.attributes",
        "flat_object",
        "the claims a web identity provider reported for the session's user (`<provider>:aud`, "
        "`:sub`, `:amr`...), as they are: the first 100, strings only",
        "userIdentity.sessionContext.webIdFederationData.attributes",
    ),
)
"""``webIdFederationData.attributes``: CloudTrail's alone, read beside the actor contract (its
``federatedProvider`` is the contract's ``identity_provider``)."""

FIELDS: tuple[Field, ...] = (*ECS, *USER_IDENTITY, *IN_SCOPE_OF, *WEB_ID_FEDERATION, *OWN)

# The same in every CloudTrail document whatever the delivery path (S3 log files, CloudWatch
# Logs, lookup-events, CloudTrail Lake, Security Lake: all map through mapping.py), so written
# once in the index template (``constant_keyword``) instead of in each document
# (docs/sources/cloudtrail.md, "Document size").
CONSTANTS: dict[str, str] = {
    "event.kind": "event",
    "event.dataset": "aws.cloudtrail",
    "event.module": "aws",
    "cloud.provider": "aws",
}
"""Fields holding one value in every CloudTrail document: ``constant_keyword`` fields of the index."""
