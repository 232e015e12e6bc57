"""A small evaluator of resource policies, to ask the synthesized bucket policy who may do what.

Written from the IAM User Guide ("Policy evaluation logic", "Condition operators", "Policy
variables"), for the subset our policies use:

- an explicit Deny wins; otherwise the request is allowed only if an Allow statement matches;
- ``Principal``: ``"*"`` or ``{"AWS": "*"}`` is everyone, ``{"Service": name}`` that service;
- ``Action`` and ``Resource`` match with ``*`` (any run of characters, ``/`` included) and
  ``?`` (one character), case-sensitively for resources;
- ``${key}`` in a resource or a condition value is replaced by the request's value for
  ``key``; when the request has no such key, the resource or value matches nothing;
- conditions: every operator and every key must match; a list of values matches when one
  does; a key missing from the request fails the operator (our policies use no ``IfExists``).
  ``ArnLike`` is matched as a whole string, which is looser than IAM (component by
  component): a request this evaluator refuses, IAM refuses too.

Intrinsic functions are resolved first with ``resolve`` (placeholders -> concrete values).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.infra.cfn import as_list, render

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Request:
    principal: str
    """``service:<name>`` for a service principal, else the IAM principal's ARN."""
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def value(self, key: str) -> str | None:
        lowered = {name.lower(): value for name, value in self.context.items()}
        return lowered.get(key.lower())


def role_request(account: str, role: str, action: str, resource: str, org: str, **extra: str) -> Request:
    """A request signed by ``role`` of ``account`` (an organization member when ``org`` is set)."""
    arn = f"arn:aws:iam::{account}:role/{role}"
    context = {"aws:PrincipalAccount": account, "aws:PrincipalArn": arn, "aws:SecureTransport": "true"}
    if org:
        context["aws:PrincipalOrgID"] = org
    return Request(arn, action, resource, {**context, **extra})


def service_request(service: str, action: str, resource: str, **context: str) -> Request:
    return Request(f"service:{service}", action, resource, {"aws:SecureTransport": "true", **context})


def resolve(value: Any, placeholders: Mapping[str, str]) -> Any:
    """Render intrinsics as text (``tests.infra.cfn.render``) and replace the placeholders."""
    if isinstance(value, list):
        return [resolve(item, placeholders) for item in value]
    if isinstance(value, dict) and not _is_intrinsic(value):
        return {key: resolve(item, placeholders) for key, item in value.items()}
    text = render(value)
    for placeholder, concrete in placeholders.items():
        text = text.replace(placeholder, concrete)
    return text


def _is_intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)) in ("Fn::Join", "Fn::GetAtt", "Ref")


def allowed(statements: list[dict[str, Any]], request: Request) -> bool:
    matching = [s for s in statements if _matches(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


def _matches(statement: dict[str, Any], request: Request) -> bool:
    return (
        _principal_matches(statement.get("Principal"), request.principal)
        and any(_glob(action, request.action, case=False) for action in as_list(statement["Action"]))
        and any(_resource_matches(resource, request) for resource in as_list(statement["Resource"]))
        and _conditions_match(statement.get("Condition", {}), request)
    )


def _principal_matches(principal: Any, requester: str) -> bool:
    if principal in ("*", {"AWS": "*"}):
        return True
    if not isinstance(principal, dict):
        return False
    if requester.startswith("service:"):
        return requester.removeprefix("service:") in as_list(principal.get("Service", []))
    return requester in as_list(principal.get("AWS", []))


def _substitute(pattern: str, request: Request) -> str | None:
    missing = False

    def replace(found: re.Match[str]) -> str:
        nonlocal missing
        value = request.value(found.group(1))
        if value is None:
            missing = True
            return ""
        return value

    text = _VARIABLE.sub(replace, pattern)
    return None if missing else text


def _resource_matches(pattern: str, request: Request) -> bool:
    concrete = _substitute(pattern, request)
    return concrete is not None and _glob(concrete, request.resource, case=True)


def _glob(pattern: str, text: str, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=0 if case else re.IGNORECASE) is not None


def _conditions_match(conditions: dict[str, dict[str, Any]], request: Request) -> bool:
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            actual = request.value(key)
            if actual is None:
                return False
            values = [_substitute(str(v), request) for v in as_list(expected)]
            if not any(v is not None and _compare(operator, v, actual) for v in values):
                return False
    return True


def _compare(operator: str, expected: str, actual: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return expected == actual
    if operator in ("StringLike", "ArnLike"):
        return _glob(expected, actual, case=True)
    if operator == "Bool":
        return expected.lower() == actual.lower()
    raise AssertionError(f"the evaluator does not know the operator {operator}")
