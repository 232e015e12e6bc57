"""CloudTrail's categorization and field tables, as data (docs/sources/cloudtrail.md)."""

from __future__ import annotations

import re

HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"
"""What a failed console sign-in with a mistyped user name records instead of the name."""

# -- categorization (event.category, event.type) ---------------------------------------------

AUTH_START = frozenset(
    {
        "ConsoleLogin",
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "AssumeRoot",
        "GetSessionToken",
        "GetFederationToken",
        "GetSigninToken",
        "SwitchRole",
        "Federate",
    }
)
AUTH_END = frozenset({"ExitRole", "ConsoleLogout", "Logout"})
IAM_SOURCES = frozenset(
    {
        "iam.amazonaws.com",
        "sts.amazonaws.com",
        "sso.amazonaws.com",
        "identitystore.amazonaws.com",
        "sso-directory.amazonaws.com",
    }
)
NETWORK_SOURCES = frozenset(
    {
        "elasticloadbalancing.amazonaws.com",
        "network-firewall.amazonaws.com",
        "route53.amazonaws.com",
        "route53resolver.amazonaws.com",
        "directconnect.amazonaws.com",
        "networkmanager.amazonaws.com",
        "globalaccelerator.amazonaws.com",
    }
)
EC2_NETWORK = re.compile(
    r"SecurityGroup|NetworkAcl|Vpc|Subnet|Route|InternetGateway|NatGateway|NetworkInterface|FlowLogs|"
    r"Vpn|CustomerGateway|TransitGateway|Address|DhcpOptions|PrefixList|TrafficMirror"
)
VERB_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "Create",
            "Put",
            "Run",
            "Allocate",
            "Import",
            "Copy",
            "Launch",
            "Register",
            "Issue",
            "Request",
            "Upload",
        ),
        "creation",
    ),
    **dict.fromkeys(
        ("Delete", "Remove", "Terminate", "Deregister", "Release", "Revoke", "Purge", "Deprovision"),
        "deletion",
    ),
    **dict.fromkeys(
        (
            "Update",
            "Modify",
            "Attach",
            "Detach",
            "Associate",
            "Disassociate",
            "Add",
            "Set",
            "Change",
            "Enable",
            "Disable",
            "Reset",
            "Replace",
            "Authorize",
            "Tag",
            "Untag",
            "Start",
            "Stop",
            "Reboot",
            "Restore",
            "Rotate",
            "Leave",
            "Cancel",
            "Accept",
            "Reject",
            "Apply",
            "Assign",
            "Unassign",
            "Send",
            "Upgrade",
            "Activate",
            "Deactivate",
            "Suspend",
            "Resume",
            "Move",
            "Rename",
            "Schedule",
            "Invite",
            "Share",
            "Unshare",
            "Grant",
        ),
        "change",
    ),
    **dict.fromkeys(
        (
            "Get",
            "Read",
            "Download",
            "Decrypt",
            "Invoke",
            "Query",
            "Scan",
            "Select",
            "Retrieve",
            "Export",
            "View",
        ),
        "access",
    ),
    **dict.fromkeys(
        (
            "Describe",
            "List",
            "Lookup",
            "Search",
            "Head",
            "Check",
            "Preview",
            "Estimate",
            "Validate",
            "Simulate",
        ),
        "info",
    ),
}
VERB = re.compile(r"[A-Z][a-z]+")


# -- aws.cloudtrail.* copied from the record: (record key, field name) --------------------------

TEXT_FIELDS = (
    ("eventVersion", "event_version"),
    ("eventType", "event_type"),
    ("eventCategory", "event_category"),
    ("errorCode", "error_code"),
    ("errorMessage", "error_message"),
    ("requestID", "request_id"),
    ("sharedEventID", "shared_event_id"),
    ("vpcEndpointId", "vpc_endpoint_id"),
    ("vpcEndpointAccountId", "vpc_endpoint_account_id"),
    ("apiVersion", "api_version"),
)
BOOL_FIELDS = (
    ("readOnly", "read_only"),
    ("managementEvent", "management_event"),
    ("sessionCredentialFromConsole", "session_credential_from_console"),
)
TLS_FIELDS = (
    ("tlsVersion", "tls_version"),
    ("cipherSuite", "cipher_suite"),
    ("clientProvidedHostHeader", "client_provided_host_header"),
)
ADDENDUM_FIELDS = (
    ("reason", "reason"),
    ("updatedFields", "updated_fields"),
    ("originalRequestID", "original_request_id"),
    ("originalEventID", "original_event_id"),
)
