"""Does a request grant access outside the caller's account, or outside its organization
when the accounts directory is loaded? (the ``outside_account`` comparison) Does an identity
policy grant every action? (``every_action``)

Lucene cannot compare a value with another field of the same document, and a trust or
resource policy arrives in CloudTrail either as an object (S3 ``PutBucketPolicy``:
``requestParameters.bucketPolicy``) or as JSON text (IAM ``CreateRole`` /
``UpdateAssumeRolePolicy``: ``assumeRolePolicyDocument`` / ``policyDocument``). This module
reads both, plain principal values (SNS ``AddPermission``'s account ids, KMS
``CreateGrant``'s ``granteePrincipal``: an account id, an ARN or ``*``; an account id logged
as a number, as S3 logs XML values), and a permission request as the statement it adds
(Lambda ``AddPermission``, ``AddLayerVersionPermission``, EventBridge ``PutPermission``: a
``principal`` and the parameters narrowing it), the way IAM evaluates them:

- only ``Allow`` statements grant anything;
- a principal is outside the account when it is everyone (``*``, ``{"AWS": "*"}``) or an AWS
  account id / ARN of another account (an id may be a JSON number: ``{"AWS": 123456789012}``);
  a service principal (``*.amazonaws.com``) when a condition names another account's
  resource as its source, a federated provider of another account or a public one without an
  audience condition, the account's own OIDC provider of an issuer every CI tenant shares
  (GitHub Actions...) without a condition naming the owner (detections.identity_providers),
  and any canonical user id (:func:`_named_outside`);
- "another account" is one that is neither the caller's nor one of the
  :class:`Organization`'s accounts (the ids of the organization's accounts in the accounts
  directory, when the run has it: a key shared by id with a fellow account is routine).
  Every form that names an account goes through the same check: a plain id, an id logged
  as a number, ``arn:aws:iam::<id>:root``, a role or user ARN, and the account condition
  keys below. Everyone (``*``) is outside whatever the directory holds;
- an organization's or organizational unit's ARN (AWS RAM's ``principals``:
  ``arn:aws:organizations::<management account>:organization/o-...`` or ``.../ou/o-.../ou-...``)
  names an organization, not an account: it is compared as ``aws:PrincipalOrgID`` is below
  (outside when its id is not the organization's; any id is inside without it);
- ``Allow`` with ``NotPrincipal`` lets in every principal but those named: everyone;
- a statement whose ``Condition`` pins the caller to an account or organization
  (``aws:PrincipalOrgID``, ``aws:PrincipalAccount``, ``aws:SourceAccount``,
  ``kms:CallerAccount``, ``aws:SourceArn`` naming the account...) does not
  grant everyone, even with ``Principal: "*"`` (the usual organization-wide bucket policy).
  Only a condition that holds for those callers alone pins: a positive match
  (``StringEquals``, ``StringLike``, ``ArnEquals``... or their ``ForAnyValue:`` forms), not
  a negated one (``StringNotEquals``: everyone else), ``Null``, an ``...IfExists`` (true
  when the key is absent) or ``ForAllValues:`` (true for an empty set); on an account key
  every value is the account itself or one of ``organization`` (``aws:PrincipalAccount:
  <another account>`` grants that account), and an organization value starts with a literal
  id (``*`` or ``o-*`` pins nothing; ``o-a1b2/r-ab12/*`` does). When the directory names the
  organization (its ``organization_id``), every organization value must be ours too: the id
  itself (``aws:PrincipalOrgID``, ``aws:SourceOrgID``) or a path in it
  (``aws:PrincipalOrgPaths``, ``aws:SourceOrgPaths``: ``<our id>/...``). ``Principal: "*"``
  with ``aws:PrincipalOrgID: o-<another>`` grants another organization, every account of it;
  without the organization's id an unknown organization id still pins (nothing tells whose).
- an ``Allow`` that a ``Deny`` of the same policy refuses to every caller outside (AWS's data
  perimeter: ``Deny`` ``*`` with ``StringNotEqualsIfExists aws:PrincipalOrgID <ours>``, on the
  same or more actions and resources, with no condition that may be false for an outside
  caller) grants nothing outside (:func:`_perimeter_narrows`: the exact rules); when in doubt
  the ``Deny`` narrows nothing.

Policy text is read in a bounded way: text longer than :data:`MAX_POLICY_TEXT` characters
(the longest document any API takes: IAM's 131,072, white space included, which IAM's size
quotas do not count; KMS 32 KB, Secrets Manager and S3 20 KB, SNS 30 KB), malformed JSON, or
JSON nested deeper than the parser's recursion limit reads as no policy and grants nothing.
URL-encoded text (``%7B%22Version%22...``, as IAM's ``Get*`` APIs return a policy) is read
decoded, within the same bound on the text as sent; a key repeated in an object is read both
ways (:func:`policy_readings`).
A service rejects such a policy, so a successful call never carries one; a record that does
is no grant, and the runner never fails on it. Action and resource wildcards are matched
without backtracking (:func:`_glob`), in work bounded by the names they are matched against,
however many ``*`` a pattern holds.
"""

from __future__ import annotations

import enum
import functools
import json
import re
import string
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from detections.aoss_policies import data_access_principals
from detections.identity_providers import OWNER_CLAIMS, PUBLIC_ISSUERS, names_an_owner

_ACCOUNT = re.compile(r"\A\d{12}\Z")
_ARN_ACCOUNT = re.compile(r"\Aarn:[^:]*:[^:]*:[^:]*:(\d{12}):")
_ORGANIZATION_ARN = re.compile(r"\Aarn:[^:]*:organizations::\d{12}:(?:organization|ou)/(o-[a-z0-9]+)(?:/|\Z)")
"""An organization's or an OU's ARN, and the organization id it names."""
PINNING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceOwner",
        "aws:SourceArn",
        "kms:CallerAccount",
    )
)
"""Condition keys that restrict a wildcard principal to known accounts. Not
``aws:ResourceOrgID`` (nor ``aws:ResourceAccount``): in a resource policy it names the
organization of the resource the policy is attached to, which holds for every caller, so
``Principal: "*"`` with our own ``aws:ResourceOrgID`` is a grant to everyone (IAM condition
keys reference: it constrains the resource, a data perimeter's identity-policy key)."""
ACCOUNT_KEYS = frozenset(
    key.lower()
    for key in ("aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner", "kms:CallerAccount")
)
"""The pinning keys whose values are account ids: they pin to the account itself (and the
organization's accounts, with the directory) only.
``kms:CallerAccount`` is the key policies' (the "through an AWS service, for every principal
of the account" statement of KMS's own default policies); ``AWS:SourceOwner`` the SNS default
topic policy's."""
ARN_KEYS = frozenset(key.lower() for key in ("aws:SourceArn",))
"""The pinning keys whose values are ARNs: they pin when every ARN names the account itself
or, with the directory, an account of the organization (an S3 bucket's ARN names no account:
a bucket of that name may be anyone's)."""
PINNING_OPERATORS = frozenset(
    name.lower() for name in ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike")
)
"""Condition operators that hold only for the values they name (IAM: condition operators)."""
_WILDCARD = re.compile(r"[*?]")
_STARS = re.compile(r"\*+")
MAX_POLICY_TEXT = 131_072
"""Policy text longer than this (characters) is not parsed: no service accepts a policy that long
(IAM's ``PolicyDocument`` is at most 131,072 characters; its size quotas do not count white space,
so a 10 KB role policy may come padded to 128 KB, and CloudTrail logs request parameters whole up
to 100 KB)."""


@dataclass(frozen=True, slots=True)
class Organization:
    """What a run holds inside besides a record's own account: the organization's accounts and
    its id, from the accounts directory (detections.organization). Empty: no directory."""

    accounts: frozenset[str] = frozenset()
    """The ids of the organization's accounts that are inside."""
    id: str | None = None
    """The organization's id (``o-...``); ``None``: unknown, so any literal organization id pins."""

    def __bool__(self) -> bool:
        return bool(self.accounts) or self.id is not None


NO_ORGANIZATION = Organization()
"""No accounts directory: only the record's own account is inside."""


def grants_outside(values: Iterable[Any], account: Any, organization: Organization = NO_ORGANIZATION) -> bool:
    """Whether any of ``values`` (policies, as objects or JSON text, or principal strings)
    lets a principal in that is neither of ``account`` nor of ``organization`` (its accounts,
    and its id for the organization condition keys). No account to compare with (CloudTrail's
    ``recipientAccountId`` is optional, cloudtrail-event-reference-record-contents.md): every
    account a value names may be ours, so only a principal outside every account is outside,
    ``*`` that no condition pins to an account or organization (AWS's "public" policy)."""
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        inside = _Ours("", organization, any_account=True)
    else:
        inside = _Ours(account, organization)
    return any(_outside(value, inside) for value in values)


def grants_every_action(values: Iterable[Any]) -> bool:
    """Whether any of ``values`` (identity policies, as objects or JSON text) has an ``Allow``
    statement that makes its holder an administrator, now or one call later:

    - every action on every resource: ``Action`` ``*`` / ``*:*`` with ``Resource`` ``*``;
    - every IAM action (``iam:*``, or any pattern covering it: ``IAM:*``, ``iam*``...: action
      names and their wildcards are case-insensitive) on every resource, or on every IAM
      resource of an account (``arn:aws:iam::<account or *>:*``): its holder attaches
      AdministratorAccess to itself or writes itself any policy, as IAMFullAccess allows;
    - ``NotAction`` (every action but those it names) on the same resources, when none of its
      patterns can match an IAM action (:func:`_names_an_iam_action`): ``["aws-portal:*"]``
      allows ``iam:*`` and so everything one call later. PowerUserAccess's
      ``NotAction: ["iam:*", "organizations:*", "account:*"]`` leaves IAM out: not an
      administrator policy. Conservatively, a pattern of IAM's shape counts as naming an IAM
      action even if no action has that name (``iam:NoSuchAction``): the statement then still
      allows the IAM writes, which :func:`grants_escalation` reads.

    ``NotResource`` with ``Allow`` is every resource but those it names: as wide as ``*``
    unless it names ``*`` (or, for IAM, every IAM resource of an account).
    Conditions are not read: an inline administrator policy needs none, and one an attacker
    writes has none."""
    return any(_every_action(statement) for value in values for statement in _policy_statements(value))


def _every_action(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Allow" or not _on_every(statement, ""):
        return False
    if "NotAction" in statement:
        return not any(_names_an_iam_action(pattern) for pattern in _strings(statement["NotAction"]))
    return any(_every_iam_action(action) for action in _strings(statement.get("Action")))


ESCALATING_ACTIONS: dict[str, str] = {
    "PutUserPolicy": "user",
    "AttachUserPolicy": "user",
    "CreateAccessKey": "user",
    "CreateLoginProfile": "user",
    "UpdateLoginProfile": "user",
    "PutRolePolicy": "role",
    "AttachRolePolicy": "role",
    "UpdateAssumeRolePolicy": "role",
    "PutGroupPolicy": "group",
    "AttachGroupPolicy": "group",
    "AddUserToGroup": "group",
    "CreatePolicyVersion": "policy",
    "SetDefaultPolicyVersion": "policy",
}
"""The IAM writes that make any principal administrator one call later (Rhino Security Labs'
IAM privilege escalation methods), and the IAM resource type each one is authorized on: an
inline or attached policy on a user, role or group; someone else's credentials; a group to
join; a role's trust to rewrite; a customer policy's effective version."""
SCOPING_KEYS = frozenset(key.lower() for key in ("iam:PermissionsBoundary", "iam:PolicyARN"))
"""Condition keys that bound what an IAM write can grant: ``iam:PermissionsBoundary`` (the
write is allowed only on a principal held to that boundary: AWS's delegation pattern) and
``iam:PolicyARN`` (only these managed policies may be attached). A key absent from a request
fails a positive operator, so such a statement allows nothing else."""


def grants_escalation(values: Iterable[Any]) -> bool:
    """Whether any of ``values`` (identity policies, as objects or JSON text) allows one of
    :data:`ESCALATING_ACTIONS` on every resource it is authorized on, without being an
    administrator policy itself (:func:`grants_every_action`: that is another rule's).

    An ``Allow`` statement counts when an ``Action`` pattern covers the action (``iam:Put*``,
    ``iam:*Policy*``, any case) or ``NotAction`` does not name it, and its resources cover
    every resource of the action's type: ``*``, every IAM resource of an account
    (``arn:aws:iam::<account or *>:*``), every one of the type (``...:role/*``), or
    ``NotResource`` naming none of these. A statement bound by a positive condition on a
    :data:`SCOPING_KEYS` key (``StringEquals`` / ``ArnLike``..., not negated, ``...IfExists``
    or ``ForAllValues:``; not a value naming every policy or an administrator one) does not
    count; other conditions (source address, MFA, tags) are not read: they limit who calls,
    not what the call can grant."""
    values = list(values)
    if grants_every_action(values):
        return False
    return any(_escalates(statement) for value in values for statement in _policy_statements(value))


def _escalates(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Allow" or _scoped(statement.get("Condition")):
        return False
    negated = "NotAction" in statement
    patterns = [
        _STARS.sub("*", pattern.lower())
        for pattern in _strings(statement.get("NotAction" if negated else "Action"))
    ]
    kinds = {
        kind
        for action, kind in ESCALATING_ACTIONS.items()
        if negated != any(_glob(pattern, f"iam:{action.lower()}") for pattern in patterns)
    }
    return any(_on_every(statement, kind) for kind in kinds)


def _glob(pattern: str, text: str) -> bool:
    """Whether ``text`` matches the wildcard ``pattern`` whole (``*`` any run, ``?`` one
    character; as given: callers fold case where it does not count, and collapse runs of
    ``*``, which changes no match, so that the loop below ends after ``2 * len(text) + 3``
    characters at most).

    Hostile patterns cannot stall it: the text positions reached so far are bits of one
    integer, and every pattern character but ``*`` moves them one forward, so the set is empty
    (no match) after ``len(text) + 1`` of those, whatever the pattern's length. A backtracking
    regular expression takes exponential time on ``iam:**********z``, which IAM's policy grammar
    allows (wildcards anywhere in the action name)."""
    ends = 1 << len(text)
    reached = 1
    positions = _positions(text)
    for char in pattern:
        if char == "*":
            lowest = reached & -reached
            reached = ((ends << 1) - 1) & ~(lowest - 1)
            continue
        reached = (reached & (ends - 1 if char == "?" else positions.get(char, 0))) << 1
        if not reached:
            return False
    return bool(reached & ends)


@functools.lru_cache(maxsize=64)
def _positions(text: str) -> Mapping[str, int]:
    """Each character of ``text`` and its positions there, as bits (the texts are the few
    action names and probe ARNs matched against every pattern)."""
    bits: dict[str, int] = {}
    for position, char in enumerate(text):
        bits[char] = bits.get(char, 0) | 1 << position
    return bits


def _on_every(statement: Mapping[str, Any], kind: str | None) -> bool:
    """Whether the statement's resources cover every resource (``kind`` None), every IAM
    resource (``""``) or every IAM resource of type ``kind`` (``"role"``...)."""
    if "NotResource" in statement:
        return not any(_every_resource(resource, kind) for resource in _strings(statement["NotResource"]))
    return any(_every_resource(resource, kind) for resource in _strings(statement.get("Resource")))


IAM_TYPES = ("user", "role", "group", "policy")
"""The IAM resource types the escalating writes are authorized on."""


def _every_resource(resource: str, kind: str | None) -> bool:
    """Whether the ARN pattern ``resource`` covers every resource (``kind`` None: only ``*``),
    every IAM user, role, group and policy of an account (``""``) or every one of type
    ``kind``, in whatever spelling IAM matches: ``*`` and ``?`` in any segment, a region
    segment that matches IAM's empty one (``arn:aws:iam:*:<account>:role/*``), a ``*`` that
    runs past the colons (``arn:aws:iam:*``, ``arn:*`` in a ``StringLike`` condition), a type
    left to a wildcard (``...:role*``, ``...:*/*``). The pattern is matched whole against ARNs
    of the partition and account it names (any when a wildcard) whose names only a wildcard
    can match, one character long and longer than the pattern."""
    resource = _STARS.sub("*", resource)
    if resource == "*":
        return True
    if kind is None:
        return False
    segments = resource.split(":", 5)
    literal = [segment if segment and not _WILDCARD.search(segment) else None for segment in segments]
    partition = literal[1] if len(literal) > 1 and literal[1] else "aws"
    account = literal[4] if len(literal) > 4 and literal[4] else "0" * 12
    name = next(char for char in "\x00\x01\x02" if char not in resource)
    return all(
        _glob(resource, f"arn:{partition}:iam::{account}:{type_}/{name * length}")
        for type_ in ((kind,) if kind else IAM_TYPES)
        for length in (1, len(resource) + 1)
    )


def _scoped(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    return any(
        _pinning_operator(str(operator))
        and isinstance(block, Mapping)
        and any(str(key).lower() in SCOPING_KEYS and _literal_values(values) for key, values in block.items())
        for operator, block in condition.items()
    )


def _literal_values(values: Any) -> bool:
    """Whether the ``iam:PolicyARN`` / ``iam:PermissionsBoundary`` values name some policies,
    not every policy (``*``, ``arn:aws:iam::*:policy/*``, ``arn:aws:iam:*:*:*``...) nor an
    administrator one (:data:`ADMINISTRATOR_POLICIES`: attaching it, or being bounded by it,
    is administrator)."""
    listed = [values] if isinstance(values, str) else values if isinstance(values, list) else []
    return bool(listed) and all(
        isinstance(value, str) and not _every_resource(value.strip(), "policy") and not _administrator(value)
        for value in listed
    )


ADMINISTRATOR_POLICIES = ("AdministratorAccess", "IAMFullAccess")
"""The AWS managed policies that are administrator in effect (siem-iam-admin-policy-attached)."""


def _administrator(value: str) -> bool:
    """Whether the policy ARN pattern ``value`` names an :data:`ADMINISTRATOR_POLICIES` one, in
    any partition and case (``StringEqualsIgnoreCase``, ``...Like`` wildcards)."""
    pattern = _STARS.sub("*", value.strip().lower())
    segments = pattern.split(":", 2)
    partition = (
        segments[1] if len(segments) > 2 and segments[1] and not _WILDCARD.search(segments[1]) else "aws"
    )
    return any(
        _glob(pattern, f"arn:{partition}:iam::aws:policy/{name.lower()}") for name in ADMINISTRATOR_POLICIES
    )


def _every_iam_action(action: str) -> bool:
    """Whether the action pattern ``action`` matches every IAM action (``iam:<any name>``):
    ``*``, ``*:*``, ``iam:*``, ``IAM:*``, ``iam*``, ``i?m:*``... (IAM's wildcards: ``*`` any
    run, ``?`` one character; action names are case-insensitive). Matched against action
    names only a wildcard can match, one character long and longer than the pattern."""
    pattern = _STARS.sub("*", action.lower())
    name = next(char for char in "\x00\x01\x02" if char not in pattern)
    return all(_glob(pattern, f"iam:{name * length}") for length in (1, len(pattern) + 1))


ACTION_NAME_CHARACTERS = frozenset(string.ascii_lowercase + string.digits)
"""The characters of an action name once case is folded (IAM's are letters only; digits are
allowed too so that no pattern is wrongly read as naming no IAM action)."""


def _names_an_iam_action(action: str) -> bool:
    """Whether the action pattern ``action`` matches some IAM action: ``iam:`` and a name of
    one or more :data:`ACTION_NAME_CHARACTERS` (case folded; ``*`` any run, ``?`` one
    character). ``iam:*``, ``iam:List*``, ``i*`` and ``*`` do; ``organizations:*``,
    ``aws-portal:*`` and ``iam:`` do not. Exact over that alphabet: the pattern positions
    reached after ``iam:`` are followed through any name characters, each position visited
    once, so a hostile pattern costs time linear in its length."""
    pattern = _STARS.sub("*", action.lower())
    end = len(pattern)

    def skip_stars(positions: Iterable[int]) -> set[int]:
        """``positions`` and those after the stars that follow them (``*`` matches no
        character too)."""
        reached = set()
        for position in positions:
            while position not in reached:
                reached.add(position)
                if position == end or pattern[position] != "*":
                    break
                position += 1
        return reached

    def step(position: int, characters: frozenset[str]) -> Iterator[int]:
        """The positions one character of ``characters`` leads to from ``position``."""
        if position < end and pattern[position] == "*":
            yield position
        elif position < end and (pattern[position] == "?" or pattern[position] in characters):
            yield position + 1

    positions = skip_stars([0])
    for char in "iam:":
        positions = skip_stars(next_ for position in positions for next_ in step(position, frozenset(char)))
    pending = list(
        skip_stars(next_ for position in positions for next_ in step(position, ACTION_NAME_CHARACTERS))
    )
    seen = set(pending)
    while pending:
        for position in skip_stars(step(pending.pop(), ACTION_NAME_CHARACTERS)):
            if position not in seen:
                seen.add(position)
                pending.append(position)
    return end in seen


def _strings(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item.strip() for item in items if isinstance(item, str)]


def _policy_statements(value: Any) -> Iterator[Mapping[str, Any]]:
    """The statements of every reading of a policy (:func:`policy_readings`)."""
    for policy in policy_readings(value):
        yield from _statements(policy)


def policy_readings(value: Any) -> list[Mapping[str, Any]]:
    """A policy as objects, from an object or JSON text (none when it is neither): one reading,
    or two when the text repeats a key in an object (``{"Effect": "Deny", "Effect": "Allow"}``,
    two ``Statement`` members). JSON leaves a repeated name's meaning to the parser (RFC 8259,
    4: "the names within an object SHOULD be unique"); most keep the last member, some the
    first, some reject the text. The rules read both the last's and the first's reading, so
    that a policy grants here whatever it grants to the service's parser, whichever it is:
    two parses at most, each linear in the text."""
    repeated = False

    def last_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        members = dict(pairs)
        repeated = repeated or len(members) < len(pairs)
        return members

    last = _parsed(value, last_wins)
    if not isinstance(last, Mapping):
        return []
    if not repeated:
        return [last]
    first = _parsed(value, lambda pairs: dict(reversed(pairs)))
    return [last, first] if isinstance(first, Mapping) else [last]


def json_object(value: Any) -> Any:
    """``value`` parsed when it is JSON text of an object (or that text URL-encoded) no longer
    than :data:`MAX_POLICY_TEXT`; otherwise ``value`` itself (text that is malformed or nested
    past the parser's limit included). A repeated key keeps its last member."""
    return _parsed(value, None)


_ENCODED_OBJECT = re.compile(r"\A\s*%7b", re.IGNORECASE)
"""URL-encoded JSON text of an object: ``%7B%22Version%22...``."""


def _parsed(value: Any, hook: Callable[[list[tuple[str, Any]]], Any] | None) -> Any:
    if not isinstance(value, str) or len(value) > MAX_POLICY_TEXT:
        return value
    texts = [value]
    if _ENCODED_OBJECT.match(value):
        # IAM's Get* APIs return policies URL-encoded (RFC 3986); a document copied from one
        # into a write is read as the service would once decoded: "%20" or "+" for a space.
        texts = [urllib.parse.unquote(value), urllib.parse.unquote_plus(value)]
    for text in texts:
        if not text.lstrip().startswith("{"):
            continue
        try:
            return json.loads(text, object_pairs_hook=hook)
        except (ValueError, RecursionError):
            continue
    return value


@dataclass(frozen=True, slots=True)
class _Ours:
    """The caller's account and the organization's: ``in`` tells whether an account id is one,
    :meth:`organization_value` whether an organization id or path is the organization's."""

    account: str
    organization: Organization
    any_account: bool = False
    """The record names no account: any account named may be ours (none is read as another's)."""

    def __contains__(self, named: object) -> bool:
        return self.any_account or named == self.account or named in self.organization.accounts

    def organization_value(self, value: str) -> bool:
        """Whether ``value`` (an organization id or path) holds for callers of our organization
        alone: it starts with a literal organization id (``*``, ``o-*`` pin nothing) and, when
        the organization's id is known, is that id or a path under it (``<id>/r-.../...``)."""
        if not value or _WILDCARD.search(value.split("/", 1)[0]):
            return False
        if self.organization.id is None:
            return True
        ours = self.organization.id.strip().lower()
        return value.lower() == ours or value.lower().startswith(f"{ours}/")


def _outside(value: Any, inside: _Ours) -> bool:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        # An account id the record holds as a number (S3 logs XML values such as a replication
        # destination's Account as numbers); a leading zero is lost on the way.
        return _principal_outside(f"{value:012d}", inside)
    if isinstance(value, str) and value.lstrip().startswith("["):
        # A list is no IAM policy: OpenSearch Serverless's data access policies are lists of
        # rules naming their principals (detections.aoss_policies).
        return len(value) <= MAX_POLICY_TEXT and any(
            _principal_outside(name, inside) for name in data_access_principals(value)
        )
    if isinstance(value, str) and not value.lstrip().startswith("{") and not _ENCODED_OBJECT.match(value):
        return _principal_outside(value, inside)
    return any(_policy_outside(policy, inside) for policy in policy_readings(value))


def _statements(policy: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "Statement" not in policy and "principal" in policy:
        yield _permission_statement(policy)
        return
    statements = policy.get("Statement", ())
    if isinstance(statements, Mapping):
        statements = [statements]
    if isinstance(statements, list):
        yield from (item for item in statements if isinstance(item, Mapping))


def _permission_statement(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """The statement a permission API adds, from its request parameters: Lambda
    ``AddPermission`` (``principal``, ``principalOrgID``, ``sourceAccount``, ``sourceArn``),
    ``AddLayerVersionPermission`` (``principal``, ``organizationId``) and EventBridge
    ``PutPermission`` (``principal``, ``condition: {type, key, value}``) take a principal and
    the conditions narrowing it, not a policy; the function's or bus's policy then holds them
    as ``Condition`` (``aws:PrincipalOrgID``, ``aws:SourceAccount``, ``aws:SourceArn``), so they
    are read as any policy's: ``*`` with another organization's id is outside."""
    condition: dict[str, dict[str, Any]] = {}
    keys: list[tuple[str, str, Any]] = [
        ("StringEquals", "aws:PrincipalOrgID", request.get("principalOrgID")),
        ("StringEquals", "aws:PrincipalOrgID", request.get("organizationId")),
        ("StringEquals", "aws:SourceAccount", request.get("sourceAccount")),
        ("ArnLike", "aws:SourceArn", request.get("sourceArn")),
    ]
    narrowing = request.get("condition")
    if isinstance(narrowing, Mapping):
        keys.append((str(narrowing.get("type")), str(narrowing.get("key")), narrowing.get("value")))
    for operator, key, value in keys:
        if isinstance(value, str) and value:
            condition.setdefault(operator, {})[key] = value
    return {"Effect": "Allow", "Principal": request.get("principal"), "Condition": condition}


def _statement_outside(statement: Mapping[str, Any], inside: _Ours) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    condition = statement.get("Condition")
    if "NotPrincipal" in statement:
        return not _pinned(condition, inside)
    return any(
        _named_outside(kind, name, condition, inside)
        for kind, name in _principals(statement.get("Principal"))
    )


def _policy_outside(policy: Mapping[str, Any], inside: _Ours) -> bool:
    """Whether one of the policy's ``Allow`` statements lets someone outside in, once its
    ``Deny`` statements are applied (:func:`_perimeter_narrows`)."""
    statements = list(_statements(policy))
    refusals = [
        refusal
        for statement in statements
        if statement.get("Effect") == "Deny"
        for refusal in [_refusal(statement, inside)]
        if refusal is not None
    ]
    budget = _Budget(MAX_NARROWING_WORK)
    return any(
        _statement_outside(statement, inside) and not _perimeter_narrows(statement, refusals, inside, budget)
        for statement in statements
    )


MAX_NARROWING_WORK = 1_000_000
"""The work one policy's narrowing may take (:func:`_perimeter_narrows`): :data:`PAIR_WORK`
for each ``Allow`` principal compared with a ``Deny``, one for each character of two wildcard
patterns (actions, resources) matched against each other. A real perimeter takes a few hundred (``s3:*``
and the bucket's two ARNs against a few statements); a policy made to stall the reading
(thousands of statements of thousands of patterns within :data:`MAX_POLICY_TEXT`) runs out, and
what is left is read unnarrowed: its ``Allow`` alerts. So the work stays bounded at
statements x statements of one policy, whatever it holds."""
PAIR_WORK = 4
"""The work of comparing one principal of an ``Allow`` with one ``Deny``, in characters of
patterns matched (about as long, measured)."""


class _Budget:
    """Work left for one policy's narrowing (:data:`MAX_NARROWING_WORK`)."""

    def __init__(self, left: int) -> None:
        self.left = left

    def spend(self, cost: int) -> bool:
        """Take ``cost``; ``False`` once nothing is left (then nothing more is narrowed)."""
        self.left -= cost
        return self.left >= 0


NEGATED_OPERATORS = frozenset(
    name.lower()
    for name in (
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
    )
)
"""Condition operators that hold for every value but those they name, and when the key is
absent from the request (IAM: "If the policy condition requires that the key is not matched,
such as StringNotLike or ArnNotLike, and the right key is not present, the condition can return
true"), as do their ``...IfExists`` forms (true when the key is absent) and their
``ForAllValues:`` forms (true for an empty set); not ``ForAnyValue:`` (false for an empty set)."""
SERVICE_KEY = "aws:principalisawsservice"


@dataclass(frozen=True, slots=True)
class _Elements:
    """A statement's actions or resources: the patterns it names (runs of ``*`` collapsed,
    actions lower-case) and whether it names them by ``Not...`` (every one but these);
    ``patterns`` None: the statement has neither (a trust policy's resource)."""

    patterns: tuple[str, ...] | None
    negated: bool = False

    @classmethod
    def of(cls, statement: Mapping[str, Any], element: str) -> _Elements | None:
        """The statement's ``element`` (``Action``, ``Resource``); None when it has both
        ``element`` and ``Not<element>`` (malformed)."""
        negated = f"Not{element}"
        if element in statement and negated in statement:
            return None
        if element not in statement and negated not in statement:
            return cls(None)
        fold = str.lower if element == "Action" else str
        items = _strings(statement.get(element, statement.get(negated)))
        return cls(tuple(_STARS.sub("*", fold(item)) for item in items), negated in statement)

    def within(self, deny: _Elements, budget: _Budget) -> bool:
        """Whether every name these (an ``Allow``'s) cover, the ``Deny``'s ``deny`` cover:
        a ``Deny`` of ``*`` covers all; an ``Allow`` of ``Not...`` (every one but some) is
        within nothing else; a ``Deny`` of ``Not...`` covers only literal names that none of
        its patterns matches; two statements without the element mean the same resource."""
        if deny.patterns is None or self.patterns is None:
            return deny.patterns is None and self.patterns is None
        if not deny.negated and "*" in deny.patterns:
            return True
        if self.negated or not self.patterns:
            return False
        if deny.negated:
            return all(
                not _WILDCARD.search(name)
                and all(
                    budget.spend(len(item) + len(name)) and not _glob(item, name) for item in deny.patterns
                )
                for name in self.patterns
            )
        return all(
            any(budget.spend(len(item) + len(name)) and _pattern_within(name, item) for item in deny.patterns)
            for name in self.patterns
        )


@dataclass(frozen=True, slots=True)
class _Refusal:
    """A ``Deny`` statement whose conditions hold for every caller outside
    (:func:`_perimeter_condition`), read once per policy."""

    everyone: bool
    """Its ``Principal`` is everyone: ``*`` or ``{"AWS": "*"}`` (the same principal)."""
    principals: frozenset[tuple[str, str]]
    """The principals it names otherwise."""
    services_exempt: bool
    """It lets AWS's service principals by (``BoolIfExists aws:PrincipalIsAWSService false``)."""
    actions: _Elements
    resources: _Elements


def _refusal(deny: Mapping[str, Any], inside: _Ours) -> _Refusal | None:
    """The ``Deny`` statement as a :class:`_Refusal`, or None when it may let a caller
    outside by (a condition that may be false for one, ``NotPrincipal``, malformed)."""
    services_exempt = _perimeter_condition(deny.get("Condition"), inside)
    actions = _Elements.of(deny, "Action")
    resources = _Elements.of(deny, "Resource")
    if services_exempt is None or actions is None or resources is None or "NotPrincipal" in deny:
        return None
    principals = frozenset(_principals(deny.get("Principal")))
    return _Refusal(("AWS", "*") in principals, principals, services_exempt, actions, resources)


def _perimeter_narrows(
    allow: Mapping[str, Any], refusals: list[_Refusal], inside: _Ours, budget: _Budget
) -> bool:
    """Whether every principal outside that the ``Allow`` statement lets in is refused by a
    ``Deny`` of the same policy (an explicit deny overrides any allow: IAM policy evaluation
    logic), the data perimeter pattern: ``Allow`` to ``*`` and ``Deny`` to ``*`` of every
    caller not of the organization. A ``Deny`` refuses a principal when, for every request the
    ``Allow`` admits from outside, it surely applies:

    - its ``Principal`` covers the principal: ``*`` or ``{"AWS": "*"}`` (the same), or the same
      principal named; not ``NotPrincipal``;
    - its actions cover the ``Allow``'s: each ``Action`` pattern of the ``Allow`` lies within
      one of the ``Deny``'s (:func:`_pattern_within`: ``s3:*`` covers ``s3:Get*``); an
      ``Allow`` with ``NotAction`` only by a ``Deny`` of ``*``; a ``Deny`` with ``NotAction``
      only covers literal actions none of its patterns matches. Resources alike (case kept);
      a trust policy's statements name none, and both mean the role (:class:`_Elements`); a
      ``Deny`` naming none in a queue's or topic's policy means that queue or topic
      (:func:`_resources_within`);
    - each of its conditions excludes callers inside alone (:func:`_perimeter_condition`): a
      negated pinning condition (``StringNotEquals`` / ``StringNotEqualsIfExists`` /
      ``StringNotLike`` / ``ArnNotLike``..., or ``ForAllValues:`` of them) on a
      :data:`PINNING_KEYS` key whose every value is ours by the rules :func:`_pins` applies
      (another organization's id, an account of another, ``o-*`` among them: not narrowed),
      or on a public issuer's key naming its owner (``StringNotLike`` ``<issuer>:sub``
      ``repo:example-org/*``). A negated operator holds when the key is absent, so callers
      of no organization are refused too; ``ForAnyValue:`` (false then), ``Null`` and any
      other condition (``Bool aws:SecureTransport``, a tag, an address) may be false for an
      outside caller, and the ``Deny`` then narrows nothing.

    The exception of AWS's guidance for AWS services, ``BoolIfExists``
    ``aws:PrincipalIsAWSService: false``, keeps the ``Deny`` narrowing every principal but
    the service principals: those are AWS's, not another account's, and what is left of the
    ``Allow`` is read as a ``Service`` principal is (:func:`_named_outside`): outside only
    when a condition of the ``Allow`` names another account's resource as its source. Without
    ``IfExists`` (``Bool``) the key is absent from an anonymous request, so an anonymous caller
    is not refused: not narrowed.

    Unknown or malformed statements narrow nothing (the rule alerts), and neither does what is
    left of a policy past :data:`MAX_NARROWING_WORK`."""
    condition = allow.get("Condition")
    actions = _Elements.of(allow, "Action")
    resources = _Elements.of(allow, "Resource")
    if not refusals or actions is None or resources is None:
        return False
    if "NotPrincipal" in allow:
        grants = [("AWS", "*")]
    else:
        grants = [
            (kind, name)
            for kind, name in _principals(allow.get("Principal"))
            if _named_outside(kind, name, condition, inside)
        ]
    return bool(grants) and all(
        any(
            budget.spend(PAIR_WORK)
            and (refusal.everyone or (kind, name) in refusal.principals)
            and _refuses_the_rest(refusal, kind, name, condition, inside)
            and actions.within(refusal.actions, budget)
            and _resources_within(resources, actions, refusal.resources, budget)
            for refusal in refusals
        )
        for kind, name in grants
    )


_QUEUE_OR_TOPIC = re.compile(r"\Aarn:[^:]*:(?:sqs|sns):")
_QUEUE_OR_TOPIC_ACTION = re.compile(r"\A(?:sqs|sns):")


def _resources_within(resources: _Elements, actions: _Elements, deny: _Elements, budget: _Budget) -> bool:
    """Whether the ``Deny``'s resources ``deny`` cover an ``Allow``'s ``resources`` (its
    ``actions`` tell what they are): as :meth:`_Elements.within`, and a ``Deny`` naming no
    resource covers an ``Allow`` that surely names only the queue or topic whose policy it is.
    SQS and SNS policies may leave ``Resource`` out, and a statement without one then applies to
    the queue or topic the policy is attached to; a queue or topic has no sub-resources, and
    a queue's (topic's) policy grants nothing on any other resource. So the ``Allow``'s every
    resource is an SQS or SNS ARN (any queue or topic: the policy's own is the only one it can
    grant), or ``*`` with only ``sqs:`` / ``sns:`` actions. Elsewhere (a bucket's ``*`` holds
    its objects, a ``NotResource``, another service's ARN) the ``Deny`` narrows nothing."""
    if deny.patterns is not None or resources.patterns is None:
        return resources.within(deny, budget)
    if resources.negated or not resources.patterns:
        return False
    return all(
        _QUEUE_OR_TOPIC.match(pattern)
        or (
            pattern == "*"
            and not actions.negated
            and bool(actions.patterns)
            and all(_QUEUE_OR_TOPIC_ACTION.match(action) for action in actions.patterns or ())
        )
        for pattern in resources.patterns
    )


def _refuses_the_rest(refusal: _Refusal, kind: str, name: str, condition: Any, inside: _Ours) -> bool:
    """Whether ``refusal`` refuses the principal ``kind``/``name`` of an ``Allow`` whatever
    AWS service calls: it makes no exception for services, the principal is none
    (a ``Service``, a bare service name), and, for everyone (``*``), the ``Allow`` names no
    other account's resource as a service's source (:func:`_names_outside`)."""
    if not refusal.services_exempt:
        return True
    if kind == "Service" or (
        kind == "AWS" and name != "*" and not _ACCOUNT.match(name) and not name.startswith("arn:")
    ):
        return False
    return kind != "AWS" or name != "*" or not _names_outside(condition, inside)


def _perimeter_condition(condition: Any, inside: _Ours) -> bool | None:
    """How a ``Deny``'s ``Condition`` narrows (:func:`_perimeter_narrows`): ``False`` when it
    holds for every caller outside, ``True`` for every one but AWS's service principals (the
    ``BoolIfExists aws:PrincipalIsAWSService false`` exception), ``None`` when it may be false
    for some caller outside (or cannot be read)."""
    if condition is None:
        return False
    if not isinstance(condition, Mapping):
        return None
    services_exempt = False
    for operator, block in condition.items():
        operator = str(operator).lower()
        if not isinstance(block, Mapping) or not block:
            return None
        for key, values in block.items():
            key = str(key).lower()
            listed = _listed(values)
            if not listed:
                return None
            if operator == "boolifexists" and key == SERVICE_KEY:
                if not all(str(value).strip().lower() == "false" for value in listed):
                    return None
                services_exempt = True
            elif not _excludes_inside(operator, key, listed, inside):
                return None
    return services_exempt


def _excludes_inside(operator: str, key: str, values: list[Any], inside: _Ours) -> bool:
    """Whether the condition ``operator`` ``{key: values}`` (lower-case) holds for every caller
    but ours: a negated operator (:data:`NEGATED_OPERATORS`, ``...IfExists`` and
    ``ForAllValues:`` forms) on a pinning key whose every value is ours (:func:`_whose`), or
    on a public issuer's key: one naming an owner for an issuer every CI tenant shares
    (:func:`~detections.identity_providers.names_an_owner`), one naming some literal
    application for a sign-in provider (not its ``amr``)."""
    base = operator.removeprefix("forallvalues:").removesuffix("ifexists")
    if base not in NEGATED_OPERATORS:
        return False
    if key in PINNING_KEYS:
        return all(_whose(key, value, inside) is _Whose.OURS for value in values)
    issuer, _, claim = key.rpartition(":")
    pattern = base.endswith("like")
    if issuer in OWNER_CLAIMS:
        return all(
            isinstance(value, str) and names_an_owner(issuer, claim, value.strip(), pattern)
            for value in values
        )
    return (
        issuer in PUBLIC_ISSUERS
        and claim != "amr"
        and all(isinstance(value, str) and _WILDCARD.sub("", value).strip() for value in values)
    )


def _pattern_within(inner: str, outer: str) -> bool:
    """Whether every name the wildcard pattern ``inner`` matches, ``outer`` matches too (both
    with runs of ``*`` collapsed): ``outer`` matched against ``inner`` as text, where its ``*``
    may take ``inner``'s wildcards (``s3:*`` holds ``s3:Get*``) but its ``?`` one character that
    is not ``*`` (``s3:?et*`` does not hold ``s3:*et*``: ``s3:xxet``). Sufficient, not
    necessary: a containment it misses narrows nothing (the rule alerts). As :func:`_glob`,
    linear in ``outer`` whatever its wildcards."""
    ends = 1 << len(inner)
    positions = _positions(inner)
    one = (ends - 1) & ~positions.get("*", 0)
    reached = 1
    for char in outer:
        if char == "*":
            lowest = reached & -reached
            reached = ((ends << 1) - 1) & ~(lowest - 1)
            continue
        reached = (reached & (one if char == "?" else positions.get(char, 0))) << 1
        if not reached:
            return False
    return bool(reached & ends)


def _named_outside(kind: str, name: str, condition: Any, inside: _Ours) -> bool:
    """Whether one principal of a statement lets in someone outside, given its conditions:

    - ``AWS`` (and a bare principal): everyone (``*``) unless a condition pins it, an
      account or ARN of another account; a bare service name (Lambda's and EventBridge's
      ``principal``: ``sns.amazonaws.com``) as a ``Service`` principal;
    - ``Service``: a service acts for whoever owns the resource calling it, so it is outside
      when a condition names that resource as another account's (``aws:SourceAccount``,
      ``aws:SourceOwner``, ``aws:SourceArn``; another organization's ``aws:SourceOrgID`` when
      the directory names ours): that account's topic, bucket or distribution is let in;
    - ``CanonicalUser`` (S3): always. It names an account, or a CloudFront origin access
      identity, by an id that no record ties to ours; the bucket's owner needs no grant;
    - ``Federated``: an identity provider's ARN of another account; a public provider named
      by its host (``accounts.google.com``, ``graph.facebook.com``, ``www.amazon.com``,
      ``cognito-identity.amazonaws.com``) unless a positive condition on one of its own keys
      naming whose tokens (``accounts.google.com:aud``, ``graph.facebook.com:app_id``,
      ``cognito-identity.amazonaws.com:aud``...; not ``...:amr``, which only tells an
      authenticated identity of any identity pool from an unauthenticated one) names some
      literal value: without one, anyone with an account there is let in; the account's own
      OIDC provider of an issuer anyone can get tokens from
      (:data:`~detections.identity_providers.PUBLIC_ISSUERS`) the same way, an issuer shared
      by every CI tenant (GitHub Actions' ``token.actions.githubusercontent.com``, GitLab,
      HCP Terraform, Buildkite) unless a condition names the owner of the token's repository
      or workspace (:func:`_names_an_owner`): ``aud`` is the workflow's choice."""
    if kind == "CanonicalUser":
        return bool(name)
    if kind == "Federated":
        return _federated_outside(name, condition, inside)
    if kind == "AWS":
        if name == "*":
            return not _pinned(condition, inside)
        if _ACCOUNT.match(name) or name.startswith("arn:"):
            return _principal_outside(name, inside)
    return _names_outside(condition, inside)


_OIDC_PROVIDER = re.compile(r"\Aarn:[^:]*:iam::\d{12}:oidc-provider/(.+)\Z")
"""An account's OpenID Connect provider and its issuer (host and path, without ``https://``)."""


def _federated_outside(name: str, condition: Any, inside: _Ours) -> bool:
    """A ``Federated`` principal: another account's provider; a public provider by its host
    (IAM's built-in web identity providers) or our own provider of a public issuer, unless a
    condition narrows it to one application's or one tenant's tokens. Our SAML providers and
    providers of issuers that serve one tenant each (an EKS cluster's) are inside."""
    if not name:
        return False
    if not name.startswith("arn:"):
        issuer = name.lower()
    elif _principal_outside(name, inside):
        return True
    else:
        provider = _OIDC_PROVIDER.match(name)
        issuer = provider.group(1).lower().rstrip("/") if provider else ""
        if issuer not in PUBLIC_ISSUERS:
            return False
    if issuer in OWNER_CLAIMS:
        return not _names_an_owner(condition, issuer)
    return not _narrowed(condition, f"{issuer}:")


def _names_an_owner(condition: Any, issuer: str) -> bool:
    """Whether a positive condition on one of ``issuer``'s keys holds only for tokens of named
    owners: every value names one (:func:`~detections.identity_providers.names_an_owner`;
    values are alternatives, so one ``*`` among them lets everyone in)."""
    prefix = f"{issuer}:"
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if not _pinning_operator(str(operator)) or not isinstance(block, Mapping):
            continue
        pattern = str(operator).lower().endswith("like")
        for key, values in block.items():
            key = str(key).lower()
            listed = _listed(values)
            if (
                key.startswith(prefix)
                and listed
                and all(
                    isinstance(value, str)
                    and names_an_owner(issuer, key[len(prefix) :], value.strip(), pattern)
                    for value in listed
                )
            ):
                return True
    return False


def _principals(principal: Any) -> Iterator[tuple[str, str]]:
    """Each principal of a statement and its key: ``("AWS", "*")`` for ``"*"``, a bare
    principal's as ``AWS``; values that are not text are read as account ids when they are
    whole numbers (``{"AWS": 123456789012}``: JSON numbers lose an id's leading zeros)."""
    members = principal.items() if isinstance(principal, Mapping) else [("AWS", principal)]
    for kind, values in members:
        for value in values if isinstance(values, list) else [values]:
            named = _account_text(value)
            if named is not None:
                yield str(kind), named


def _account_text(value: Any) -> str | None:
    """A principal or account condition value as text: a string stripped, a whole number as
    the 12-digit account id it stands for (``12345678901`` is ``012345678901``); else None."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return f"{value:012d}"
    return None


def _narrowed(condition: Any, prefix: str) -> bool:
    """Whether a positive condition on a key starting with ``prefix`` (but its ``amr``) names a
    value with some literal character (``*`` alone narrows nothing)."""
    return isinstance(condition, Mapping) and any(
        _pinning_operator(str(operator))
        and isinstance(block, Mapping)
        and any(
            str(key).lower().startswith(prefix)
            and str(key).lower() != f"{prefix}amr"
            and any(isinstance(value, str) and _WILDCARD.sub("", value).strip() for value in _listed(values))
            for key, values in block.items()
        )
        for operator, block in condition.items()
    )


def _names_outside(condition: Any, inside: _Ours) -> bool:
    """Whether a positive condition names another account's resource or account: a value of
    a pinning key that :func:`_whose` reads as another's."""
    if not isinstance(condition, Mapping):
        return False
    return any(
        _pinning_operator(str(operator))
        and isinstance(block, Mapping)
        and any(
            str(key).lower() in PINNING_KEYS
            and any(_whose(str(key).lower(), value, inside) is _Whose.THEIRS for value in _listed(values))
            for key, values in block.items()
        )
        for operator, block in condition.items()
    )


def _listed(values: Any) -> list[Any]:
    return values if isinstance(values, list) else [values]


def _pinned(condition: Any, inside: _Ours) -> bool:
    if not isinstance(condition, Mapping):
        return False
    return any(
        _pinning_operator(str(operator))
        and isinstance(block, Mapping)
        and any(_pins(str(key).lower(), values, inside) for key, values in block.items())
        for operator, block in condition.items()
    )


def _pinning_operator(operator: str) -> bool:
    operator = operator.lower()
    if operator.startswith("forallvalues:") or operator.endswith("ifexists"):
        return False
    return operator.removeprefix("foranyvalue:") in PINNING_OPERATORS


def _pins(key: str, values: Any, inside: _Ours) -> bool:
    """Whether a pinning key's values all hold for our callers alone (:func:`_whose`)."""
    listed: list[Any] = _listed(values)
    return (
        key in PINNING_KEYS
        and bool(listed)
        and all(_whose(key, value, inside) is _Whose.OURS for value in listed)
    )


class _Whose(enum.Enum):
    """Whose callers one value of a pinning condition key lets in."""

    OURS = "ours"
    """The account itself, an account of the organization, or a path in the organization."""
    THEIRS = "theirs"
    """Another account's, or (the directory naming ours) another organization's."""
    UNKNOWN = "unknown"
    """Nothing tells: an ARN key's value naming no account (a bucket's ARN) or not text, a
    value neither text nor a whole number, an organization value that pins nothing (``*``,
    ``o-*``) or, without the organization's id, any other."""


def _whose(key: str, value: Any, inside: _Ours) -> _Whose:
    """One value of the pinning condition key ``key`` (lower-case), by the key's kind:

    - an account key (:data:`ACCOUNT_KEYS`) compares the id (a JSON number as the 12-digit id
      it stands for);
    - an ARN key (:data:`ARN_KEYS`) compares the account the ARN names, when it names one;
    - an organization key (the others) reads an id or path (:meth:`_Ours.organization_value`);
      a value not ours is another organization's only when the directory names ours.

    :func:`_pins` (every value ours?) and :func:`_names_outside` (any value another's?) both
    read values through here, so that a new kind of key is added in one place."""
    text = _account_text(value)
    if text is None:
        return _Whose.UNKNOWN
    if key in ACCOUNT_KEYS:
        return _Whose.OURS if text in inside else _Whose.THEIRS
    if key in ARN_KEYS:
        named = _arn_account(text) if isinstance(value, str) else None
        if named is None:
            return _Whose.UNKNOWN
        return _Whose.OURS if named in inside else _Whose.THEIRS
    if isinstance(value, str) and inside.organization_value(text):
        return _Whose.OURS
    return _Whose.THEIRS if inside.organization.id is not None else _Whose.UNKNOWN


def _principal_outside(principal: str, inside: _Ours) -> bool:
    principal = principal.strip()
    if principal == "*":
        return True
    organization = _ORGANIZATION_ARN.match(principal)
    if organization:
        return not inside.organization_value(organization.group(1))
    named = principal if _ACCOUNT.match(principal) else _arn_account(principal)
    return named is not None and named not in inside


def _arn_account(arn: str) -> str | None:
    """The account id an ARN names (its fifth field), or None (none, or not 12 digits)."""
    found = _ARN_ACCOUNT.match(arn)
    return found.group(1) if found else None


def names_another_account(
    values: Iterable[Any], account: Any, organization: Organization = NO_ORGANIZATION
) -> bool:
    """Whether any of ``values`` (policies, as objects or JSON text; plain text is no policy)
    names, in an ``Allow`` statement, an account that is neither ``account`` nor one of
    ``organization``'s: an ``AWS`` principal of another account (its id or an ARN in it), or a
    pinning condition's value naming another account or organization (:func:`_names_outside`:
    ``aws:PrincipalAccount``, ``aws:SourceArn``...). ``*`` and ``NotPrincipal`` alone are not
    counted: an API Gateway private API's policy lets ``*`` in narrowed by ``aws:SourceVpce``,
    a key no record ties to an account, so "everyone" would be every private API; what is
    read is a policy that names who else gets in (API Gateway's cross-account patterns)."""
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        return False
    inside = _Ours(account, organization)
    return any(
        statement.get("Effect") == "Allow"
        and (
            _names_outside(statement.get("Condition"), inside)
            or any(
                kind == "AWS" and name != "*" and _principal_outside(name, inside)
                for kind, name in _principals(statement.get("Principal"))
            )
        )
        for value in values
        for statement in _policy_statements(value)
    )


__all__ = [
    "ACCOUNT_KEYS",
    "ADMINISTRATOR_POLICIES",
    "ARN_KEYS",
    "ESCALATING_ACTIONS",
    "MAX_POLICY_TEXT",
    "NO_ORGANIZATION",
    "PINNING_KEYS",
    "PINNING_OPERATORS",
    "SCOPING_KEYS",
    "Organization",
    "grants_escalation",
    "grants_every_action",
    "grants_outside",
    "json_object",
    "names_another_account",
    "policy_readings",
]
