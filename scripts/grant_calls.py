#!/usr/bin/env python3
"""Every write call of every AWS service whose request can name another account or an outside
principal, and which of them no grant rule reads (docs/detections.md, "Every call that can
grant another account").

The grant rules' routes were added by hand, service by service; a call nobody thought of never
alerts, whatever it grants. So the list is derived from botocore's service models: for every
service (``get_available_services``), every operation that is not a read or a withdrawal
(:data:`NOT_WRITES`) whose input holds, at any depth up to :data:`MAX_DEPTH`, a member named
like a principal, an account id, a share's recipients or a grantee, a JSON policy (a string
member), a permission list or an EC2 share (:data:`GRANT_MEMBERS`), outside the URI and the
headers (the caller's own account id: ``AwsAccountId`` of QuickSight's paths). Each such call
is compared with the grant rules' queries (:data:`GRANT_RULES`): a call is read when its
``event.provider`` and ``event.action`` can satisfy a rule's query, every other field unknown.

Run ``python -m scripts.grant_calls`` for the calls no grant rule reads, one per line
(``--all`` for every call listed, read or not; ``--members`` to show the members found).
A dev tool: not shipped in the Lambdas; tests/detections/test_grant_calls.py holds the triage.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
import yaml
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StringShape, StructureShape

from detections.rules import RULES_DIR

GRANT_RULES = (
    *sorted(
        path.stem
        for path in RULES_DIR.glob("*.yml")
        if re.search(r"op: (names_)?outside_account\b", path.read_text())
        and not re.search(r"^network_activity_copies: true", path.read_text(), re.MULTILINE)
    ),
    "s3-acl-grants-other-account",
    "s3-acl-grants-public",
    "lambda-function-url-public",
)
"""The rules that alert on a grant to another account or to everyone: every rule comparing a
field with ``outside_account`` / ``names_outside_account``, and the S3 ACL and Lambda
function URL rules, which read grantees and auth types instead. A rule reading network
activity events (``network_activity_copies: true``) compares the caller's account, not a
grant, on every call through an endpoint: no grant rule."""
MAX_DEPTH = 6
"""Members walked below the request: deep enough for QuickSight's
``LinkSharingConfiguration.Permissions[].Principal`` and Lake Formation's
``DataLakeSettings.CreateTableDefaultPermissions[].Principal.DataLakePrincipalIdentifier``,
bounded for the recursive shapes (filters, expressions)."""
GRANT_MEMBERS = re.compile(
    r"""
    (\w*Principals?|\w*PrincipalArns?|\w*PrincipalIds?|\w*PrincipalIdentifier|ShareRecipients
    |\w*AccountIds?|\w*AccountIdsToAdd|TargetAccount\w*|\w*AccountWithRestoreAccess
    |\w*Accounts|Account|TrustedResourceOwners|ConsumerIdentifier|ShareTarget
    |UserIds|Grantees?\w*|ValuesToAdd|LaunchPermission|CreateVolumePermission|LoadPermission)$
    """,
    re.VERBOSE | re.IGNORECASE,
)
"""Member names that can name another account or an outside principal. A singular ``UserId``
(a user of the service: Connect, WorkMail, AppStream) and ``ExternalId`` (a role's, or any
outside system's, identifier: it names no account) are left out."""
PERMISSION_MEMBERS = re.compile(r"\w*Permissions", re.IGNORECASE)
"""Permission lists (QuickSight's, Lake Formation's defaults): read when the member is a list or
a structure (a file's ``PosixPermissions`` is a string)."""
POLICY_MEMBERS = re.compile(
    r"\w*(Polic(y|ies)|PolicyDocument|PolicyText|PolicyInJson|PolicyJson)$", re.IGNORECASE
)
"""Member names of a JSON policy: read when the member is a string (``RetentionPolicy`` and the
like are structures)."""
NOT_WRITES = re.compile(
    r"""^(Get|List|Describe|Search|Query|Scan|Select|Lookup|Check|Validate|Test|Preview|Simulate
    |Estimate|Evaluate|Verify|BatchGet|BatchDescribe|View|Retrieve|Count|Download|Head|Poll|Can|Is
    |Delete|BatchDelete|Remove|Revoke|BatchRevoke|Disassociate|BatchDisassociate|Detach|Deregister
    |Disable|Reject|Decline|Deny|Deauthorize|Cancel|Stop|Untag|Tag|Unshare|Unsubscribe|Leave|Withdraw|Unlink)
    (?![a-z])""",
    re.VERBOSE,
)
"""Operations that read or withdraw: they cannot let anyone in. ``Tag`` / ``Untag`` are read
by no grant rule, and a tag grants only through an ABAC policy, written elsewhere."""
EVENT_SOURCES = {"s3control": "s3", "sesv2": "ses", "opensearch": "es"}
"""Services logged under another service's ``eventSource`` (docs/detections.md, "Field paths
and their evidence": S3 Control as ``s3``, SES v2 as ``ses``, OpenSearch Service as ``es``)."""


@dataclass(frozen=True)
class Call:
    service: str
    """botocore's service name."""
    event_source: str
    operation: str
    members: tuple[str, ...]
    """The dotted paths of the members that can name another account or principal."""

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"


@functools.cache
def session() -> botocore.session.Session:
    return botocore.session.get_session()


def event_source(model: ServiceModel) -> str:
    """CloudTrail's ``eventSource`` of a service: its signing name (its endpoint prefix when it
    has none), ``.amazonaws.com``."""
    if model.service_name in EVENT_SOURCES:
        return f"{EVENT_SOURCES[model.service_name]}.amazonaws.com"
    return f"{model.metadata.get('signingName') or model.metadata['endpointPrefix']}.amazonaws.com"


def grant_members(shape: Shape | None, path: str = "", depth: int = 0) -> Iterator[str]:
    """The dotted paths under ``shape`` whose member names a principal, an account or a policy."""
    if shape is None or depth > MAX_DEPTH:
        return
    if isinstance(shape, ListShape):
        yield from grant_members(shape.member, path, depth + 1)
    elif isinstance(shape, MapShape):
        yield from grant_members(shape.value, path, depth + 1)
    elif isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if member.serialization.get("location") in {"uri", "header", "headers"}:
                continue
            dotted = f"{path}.{name}" if path else name
            if (
                GRANT_MEMBERS.fullmatch(name)
                or (PERMISSION_MEMBERS.fullmatch(name) and member.type_name in {"list", "structure"})
                or (POLICY_MEMBERS.fullmatch(name) and isinstance(member, StringShape) and not member.enum)
            ):
                yield dotted
            yield from grant_members(member, dotted, depth + 1)


def calls(services: list[str] | None = None) -> Iterator[Call]:
    """Every write call of every service whose request names a principal, an account or a policy."""
    for service in services if services is not None else session().get_available_services():
        model = session().get_service_model(service)
        source = event_source(model)
        for name in model.operation_names:
            if NOT_WRITES.match(name):
                continue
            members = tuple(sorted(set(grant_members(model.operation_model(name).input_shape))))
            if members:
                yield Call(service, source, name, members)


# The rules' queries, read as boolean trees over field:value terms.

TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)')


def tokens(query: str) -> list[str]:
    return [match.group(1) for match in TOKEN.finditer(query)]


@dataclass
class Parser:
    """Lucene's query string as the rules write it: ``AND``, ``OR``, ``NOT``, parentheses,
    ``field:value``, ``field:(a OR b)``, ``_exists_:field``; a value may be quoted or hold
    ``*``. A tree is ``("and" | "or", [trees])``, ``("not", tree)`` or ``("term", field, value)``."""

    items: list[str]
    at: int = 0

    def peek(self) -> str | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> str:
        self.at += 1
        return self.items[self.at - 1]

    def expression(self, field: str | None = None) -> Any:
        terms = [self.conjunction(field)]
        while self.peek() == "OR":
            self.take()
            terms.append(self.conjunction(field))
        return terms[0] if len(terms) == 1 else ("or", terms)

    def conjunction(self, field: str | None) -> Any:
        terms = [self.unary(field)]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            terms.append(self.unary(field))
        return terms[0] if len(terms) == 1 else ("and", terms)

    def unary(self, field: str | None) -> Any:
        if self.peek() == "NOT":
            self.take()
            return ("not", self.unary(field))
        item = self.take()
        if item == "(":
            tree = self.expression(field)
            assert self.take() == ")"
            return tree
        if field is None and ":" in item and not item.startswith('"'):
            name, _, value = item.partition(":")
            if value == "":  # field:(...)
                assert self.take() == "("
                tree = self.expression(name)
                assert self.take() == ")"
                return tree
            return ("term", name, value.strip('"'))
        return ("term", field or "", item.strip('"'))


def parse(query: str) -> Any:
    parser = Parser(tokens(query))
    tree = parser.expression()
    assert parser.peek() is None, query
    return tree


def can_hold(tree: Any, facts: dict[str, str]) -> bool | None:
    """Whether ``tree`` holds for a record with ``facts``: ``True``, ``False``, or ``None``
    when it depends on another field (unknown: it may hold)."""
    kind = tree[0]
    if kind == "term":
        _, field, value = tree
        if field not in facts:
            return None
        return fnmatch.fnmatchcase(facts[field], value)
    if kind == "not":
        inner = can_hold(tree[1], facts)
        return None if inner is None else not inner
    results = [can_hold(item, facts) for item in tree[1]]
    if kind == "and":
        return False if False in results else (None if None in results else True)
    return True if True in results else (None if None in results else False)


@functools.cache
def rule_queries() -> dict[str, Any]:
    return {
        name: parse(str(yaml.safe_load((RULES_DIR / f"{name}.yml").read_text())["query"]))
        for name in GRANT_RULES
    }


def readers(call: Call) -> list[str]:
    """The grant rules whose query a successful record of ``call`` can satisfy. Lambda's
    ``eventName`` carries the API version (``AddPermission20150331v2``), read with ``*``."""
    names = [call.operation]
    if call.service == "lambda":
        names.append(f"{call.operation}20150331v2")
    return [
        rule
        for rule, tree in rule_queries().items()
        for name in names
        if can_hold(
            tree,
            {"event.provider": call.event_source, "event.action": name, "event.outcome": "success"},
        )
        is not False
    ]


def unread(listed: list[Call]) -> list[Call]:
    return [call for call in listed if not readers(call)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--all", action="store_true", help="every call listed, with the rules reading it")
    parser.add_argument("--members", action="store_true", help="show the members that name an account")
    parser.add_argument("services", nargs="*", help="botocore service names (default: every service)")
    options = parser.parse_args(argv)
    listed = list(calls(options.services or None))
    shown = listed if options.all else unread(listed)
    for call in shown:
        line = call.key
        if options.all:
            line += "  " + (",".join(readers(call)) or "-")
        if options.members:
            line += "  " + " ".join(call.members)
        print(line)
    print(f"{len(listed)} calls listed, {len(unread(listed))} read by no grant rule", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
