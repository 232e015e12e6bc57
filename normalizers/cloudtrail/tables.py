"""CloudTrail's categorization and field tables, as data (docs/sources/cloudtrail.md)."""

from __future__ import annotations

import re

from normalizers.cloudtrail.fields import BLOCK, IN_SCOPE_OF, OWN

HIDDEN_USER_NAME = "HIDDEN_DUE_TO_SECURITY_REASONS"
"""What a failed console sign-in with a mistyped user name records instead of the name."""
IDENTITY_CENTER_USER = "IdentityCenterUser"
"""``userIdentity.type`` of an IAM Identity Center user (no principal id; ``onBehalfOf``)."""
WEB_IDENTITY_SUBJECTS = frozenset({"sub", "user_id", "id"})
"""Claims of ``webIdFederationData.attributes`` (``<provider>:<claim>``) that name the person
the provider signed in: an OpenID Connect subject (Amazon Cognito's identity id,
``cognito-identity.amazonaws.com:sub``), Login with Amazon's ``www.amazon.com:user_id``,
Facebook's ``graph.facebook.com:id``. The others name the application (``aud``,
``app_id``) or how the user signed in (``amr``)."""
SIGNIN = "signin.amazonaws.com"
"""The sign-in service: its events are sign-ins whatever their ``eventType``."""
VPCE_EVENT = "AwsVpceEvent"
"""``eventType`` of a network activity event (``eventCategory: NetworkActivity``): a call
seen by the VPC endpoint it went through, recorded for the endpoint's owner."""
VPCE_ACCESS_DENIED = "VpceAccessDenied"
"""``errorCode`` of a network activity event whose call the VPC endpoint policy denied."""
DENIAL_ERROR_CODES: tuple[str, ...] = (
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "AuthorizationError",
    VPCE_ACCESS_DENIED,
)
"""``errorCode`` of a call that a policy refused (an identity, resource, permissions-boundary,
session or organization policy: the caller asked for something it may not do), as opposed to
a call that failed for any other reason (no such trail, a conflict, a bad parameter).
botocore's service models: ``AccessDenied`` (S3, CloudFront; HTTP 403; the query-protocol
services IAM, STS and CloudTrail record it too, from memory and the samples' records),
``AccessDeniedException`` (HTTP 403 in some 270 JSON services: KMS, Lambda, GuardDuty, SSO...),
``AuthorizationError`` (SNS's AuthorizationErrorException, HTTP 403); EC2's
``UnauthorizedOperation``, which its models do not list (EC2 API reference's error codes, from
memory), as CloudTrail records it: ``Client.UnauthorizedOperation`` (the samples' records);
:data:`VPCE_ACCESS_DENIED`, a VPC endpoint's policy refusing the call. Left out: codes of
credentials that did not authenticate (``InvalidClientTokenId``, ``AuthFailure``,
``SignatureDoesNotMatch``), of a dependency's key (``KMSAccessDeniedException``), and
``Client.DryRunOperation``, an EC2 dry run the caller was allowed (no change is made)."""

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
        "UserAuthentication",  # IAM Identity Center: the user is signed in
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
SESSIONS: dict[tuple[str, str], str] = {
    ("ssm.amazonaws.com", "StartSession"): "start",
    ("ssm.amazonaws.com", "ResumeSession"): "start",
    ("ssm.amazonaws.com", "TerminateSession"): "end",
    ("ssmmessages.amazonaws.com", "OpenControlChannel"): "start",
}
"""Session Manager's shell sessions (ECS ``session``): ``(eventSource, eventName)`` -> type."""
S3_SOURCES = frozenset({"s3.amazonaws.com", "s3-outposts.amazonaws.com", "s3express.amazonaws.com"})
"""S3, S3 on Outposts and S3 Express One Zone: the same object and bucket operations."""
S3_OBJECT = re.compile(r"Object(?!LockConfiguration)|MultipartUpload|UploadPart|ListParts")
"""S3 operations on objects (ECS ``file``), whatever ``eventCategory`` says (records before
version 1.08 have none); the others act on buckets or the account (``configuration``).
``PutObjectLockConfiguration`` and its reads configure the bucket."""
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


# -- aws.cloudtrail.* copied from the record: (record key, field name), from the fields definition


def _copied(kinds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Fields right under ``aws.cloudtrail`` read from a top-level member of the record."""
    return tuple(
        (item.raw, name)
        for item in OWN
        if item.raw
        and "." not in item.raw
        and item.kind in kinds
        and "." not in (name := item.path.removeprefix(f"{BLOCK}."))
    )


def _members(block: str, kinds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Fields of ``aws.cloudtrail.<block>`` read from the members of one object of the record."""
    prefix = f"{BLOCK}.{block}."
    return tuple(
        (item.raw.rsplit(".", 1)[1], item.path.removeprefix(prefix))
        for item in OWN
        if item.raw and item.path.startswith(prefix) and item.kind in kinds
    )


_STRINGS = ("keyword", "text")
TEXT_FIELDS = _copied(_STRINGS)
"""Strings copied as they are (a value of another type makes the record invalid)."""
BOOL_FIELDS = _copied(("boolean",))
"""Booleans; ``"true"``/``"false"`` strings accepted."""
TLS_FIELDS = _members("tls_details", _STRINGS)
ADDENDUM_FIELDS = _members("addendum", _STRINGS)
RESOURCE_FIELDS = _members("resources", _STRINGS)
"""Read from each element of ``resources``."""
CONSOLE_LOGIN_FLAGS = _members("console_login", ("boolean",))
"""``additionalEventData`` of a console sign-in: ``"Yes"``/``"No"`` as booleans."""
CONSOLE_LOGIN_TEXT = _members("console_login", _STRINGS)
IN_SCOPE_OF_FIELDS = tuple(
    (item.raw.rsplit(".", 1)[1], item.path.rsplit(".", 1)[1]) for item in IN_SCOPE_OF if item.raw
)
"""``userIdentity.inScopeOf`` members -> ``user_identity.in_scope_of`` fields (strings)."""
