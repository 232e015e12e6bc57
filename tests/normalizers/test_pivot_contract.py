"""The pivot contract (docs/schema.md, "Pivot contract") on every golden document: every
identifier its raw record has for the actor is in ``related.user``, every IP in
``related.ip``, every instance id in ``related.hosts``.

The raw side is read here, independently of the normalizers: each golden input is normalized
with ``keep_original`` so every document carries its record (``event.original``), and that
record is walked for the identity members each format documents (CloudTrail ``userIdentity``,
GuardDuty's resource details, ASFF's IAM resources, attack sequence actors), for every string
that is a valid IP, and for every instance id.

Exceptions, each a documented rule rather than a gap (see :data:`NOT_THE_ACTOR`,
:data:`FREE_TEXT`, :data:`SEARCH_FILTERS` and :func:`_parameters_not_endpoints`):

- free text (titles, descriptions, error messages) names things in prose: not pivots;
- CloudTrail's request and response parameters describe resources (an instance's private
  address in a ``RunInstances`` response, a rule's CIDR): their IPs are not the event's
  endpoints, so ``related.ip`` is the caller's address; the instances a call acts on are
  its targets, in ``related.hosts`` (docs/schema.md, "Targets"), but a ``Describe`` call's
  search filters (``filters``, ``filterSet``) name what it looks for, not what it acts on;
- ``HIDDEN_DUE_TO_SECURITY_REASONS`` and empty strings are not names; the AWS root user's
  name ``root`` is never in ``related.user`` (it would match every account's root);
- VPC Flow Logs have no actor; their ``related.*`` values are indexed from their address and
  instance fields (``copy_to`` in the index template), not written in the document: the
  contract is checked on ``related.*`` as the index holds it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import GOLDEN, indexed_related

INSTANCE = re.compile(r"(?<![\w-])i-(?:[0-9a-f]{17}|[0-9a-f]{8})(?![\w-])")
FREE_TEXT = frozenset({"title", "description", "Title", "Description", "errorMessage", "message", "Message"})
NOT_THE_ACTOR = frozenset({"", "HIDDEN_DUE_TO_SECURITY_REASONS", "root"})


def _cases() -> list[Path]:
    return sorted(case for case in GOLDEN.glob("*/*") if case.is_dir())


def _documents(case: Path) -> list[dict[str, Any]]:
    config = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    source = config.get("source", "auto")
    (path,) = sorted(case.glob("input*"))
    origin = Origin(object=str(case), ingested="2026-01-01T00:00:00Z", keep_original=True)
    with path.open("rb") as handle:
        items = list(normalize_object(handle, origin, None if source == "auto" else source))
    return [item for item in items if not isinstance(item, DeadLetter)]


def _record(document: dict[str, Any]) -> Any:
    """The raw record of a document: JSON for the JSON sources (an envelope's payload
    unwrapped), the line's fields for a flow log line."""
    original = document["event"]["original"]
    try:
        record = json.loads(original)
    except ValueError:
        return original.split()
    for key in ("Message",):  # an SNS notification carries the record as JSON text
        if (
            isinstance(record, dict)
            and isinstance(record.get(key), str)
            and record.get("Type") == "Notification"
        ):
            record = json.loads(record[key])
    if isinstance(record, dict) and "detail" in record and "detail-type" in record:
        record = record["detail"]
    return record


def _strings(node: Any, skip: frozenset[str] = FREE_TEXT) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in skip:
                yield from _strings(value, skip)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, skip)
    elif isinstance(node, str):
        yield node


SEARCH_FILTERS = frozenset({"filters", "filterSet", "Filters"})


def _parameters_not_endpoints(record: Any) -> Any:
    """A CloudTrail record without its parameters (see the module's docstring)."""
    if isinstance(record, dict) and "eventVersion" in record:
        return {
            key: value
            for key, value in record.items()
            if key not in ("requestParameters", "responseElements")
        }
    return record


def _ips(record: Any) -> set[str]:
    found = set()
    for text in _strings(_parameters_not_endpoints(record)):
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        mapped = getattr(address, "ipv4_mapped", None)
        found.add(str(mapped or address))
    return found


def _instances(record: Any) -> set[str]:
    """Instance ids anywhere but in free text and search filters (targets included)."""
    return {
        match for text in _strings(record, FREE_TEXT | SEARCH_FILTERS) for match in INSTANCE.findall(text)
    }


def _get(node: Any, *path: str) -> Any:
    """The value at ``path``; a member is found by its export name (``accessKeyDetails``) or
    its API name (``AccessKeyDetails``), as the CLI prints GuardDuty findings."""
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key, node.get(key[:1].upper() + key[1:]))
    return node


def _texts(*values: Any) -> set[str]:
    out: set[str] = set()
    for value in values:
        items = value if isinstance(value, list) else [value]
        out |= {item for item in items if isinstance(item, str) and item not in NOT_THE_ACTOR}
    return out


def _cloudtrail_actor(record: dict[str, Any]) -> set[str]:
    identity = record.get("userIdentity") or {}
    kind = identity.get("type")
    issuer = _get(identity, "sessionContext", "sessionIssuer") or {}
    return _texts(
        identity.get("principalId"),
        identity.get("arn"),
        identity.get("accessKeyId"),
        identity.get("userName"),
        identity.get("credentialId"),
        _get(identity, "onBehalfOf", "userId"),
        issuer.get("userName") if issuer.get("type") == "Role" else None,
        identity.get("invokedBy") if kind == "AWSService" else None,
        _get(record, "additionalEventData", "UserName") if not identity.get("userName") else None,
    )


def _guardduty_actor(finding: dict[str, Any]) -> set[str]:
    resource = _get(finding, "resource") or {}
    keys = _get(resource, "accessKeyDetails") or {}
    kubernetes = _get(resource, "kubernetesDetails", "kubernetesUserDetails") or {}
    workload = _get(resource, "kubernetesDetails", "kubernetesWorkloadDetails") or {}
    role = _get(resource, "lambdaDetails", "role")
    attempts = _get(finding, "service", "action", "rdsLoginAttemptAction", "LoginAttributes") or []
    sequence = _get(finding, "service", "detection", "sequence") or {}
    return _texts(
        _get(keys, "accessKeyId"),
        _get(keys, "principalId"),
        _get(keys, "userName") if _get(keys, "userType") != "Root" else None,
        _get(kubernetes, "username"),
        _get(kubernetes, "uid"),
        _get(kubernetes, "sessionName"),
        _get(kubernetes, "impersonatedUser", "username"),
        _get(resource, "rdsDbUserDetails", "user"),
        [_get(item, "user") for item in attempts],
        # a pod's service account as Kubernetes names it; a function's execution role's name
        f"system:serviceaccount:{_get(workload, 'namespace')}:{_get(workload, 'serviceAccountName')}"
        if _get(workload, "namespace") and _get(workload, "serviceAccountName")
        else None,
        role.rsplit("/", 1)[-1] if isinstance(role, str) and ":role/" in role else None,
        *_sequence_actors(sequence),
    )


def _securityhub_actor(finding: dict[str, Any]) -> set[str]:
    resources = [item for item in finding.get("Resources") or [] if isinstance(item, dict)]
    found: set[str] = set()
    for kind in ("AwsIamAccessKey", "AwsIamUser", "AwsIamRole"):  # the first of these is the actor
        resource = next((item for item in resources if item.get("Type") == kind), None)
        if resource is None:
            continue
        details = _get(resource, "Details", kind) or {}
        issuer = _get(details, "SessionContext", "SessionIssuer") or {}
        arn = resource.get("Id") if str(resource.get("Id", "")).startswith("arn:") else None
        found = _texts(
            details.get("AccessKeyId"),
            details.get("PrincipalId"),
            details.get("PrincipalName") if details.get("PrincipalType") != "Root" else None,
            issuer.get("UserName"),
            details.get("UserId"),
            details.get("UserName"),
            details.get("RoleId"),
            details.get("RoleName"),
            arn if kind != "AwsIamAccessKey" else None,
        )
        break
    sequence = _get(finding, "Detection", "Sequence") or {}
    return found | _texts(*_sequence_actors(sequence))


def _sequence_actors(sequence: dict[str, Any]) -> list[Any]:
    """An attack sequence's actors: user name, uid, credential uid, session uid and issuer."""
    values: list[Any] = []
    for actor in _get(sequence, "actors") or []:
        user, session = _get(actor, "user") or {}, _get(actor, "session") or {}
        values += [
            _get(user, "name"),
            _get(user, "uid"),
            _get(user, "credentialUid"),
            _get(session, "uid"),
            _get(session, "issuer"),
        ]
    return values


ACTORS = {
    "cloudtrail": _cloudtrail_actor,
    "guardduty": _guardduty_actor,
    "securityhub": _securityhub_actor,
}


@pytest.mark.parametrize("case", _cases(), ids=lambda case: f"{case.parent.name}/{case.name}")
def test_every_actor_id_ip_and_instance_of_the_record_is_a_pivot(case: Path) -> None:
    source = case.parent.name
    for number, document in enumerate(_documents(case)):
        record = _record(document)
        related = indexed_related(document)
        where = f"{case.name} document {number}"
        if source in ACTORS and isinstance(record, dict):
            missing = ACTORS[source](record) - set(related.get("user", []))
            assert not missing, f"{where}: actor identifiers not in related.user: {sorted(missing)}"
        missing_ips = _ips(record) - set(related.get("ip", []))
        assert not missing_ips, f"{where}: IPs not in related.ip: {sorted(missing_ips)}"
        missing_hosts = _instances(record) - set(related.get("hosts", []))
        assert not missing_hosts, f"{where}: instance ids not in related.hosts: {sorted(missing_hosts)}"


def test_the_raw_side_finds_what_it_should() -> None:
    """The extraction itself, on a record of each kind: so an empty set above means the
    record had nothing, not that the walk looked nowhere."""
    record = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:i-0123456789abcdef0",
            "arn": "arn:aws:sts::111122223333:assumed-role/Web/i-0123456789abcdef0",
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "Web"}},
        },
        "sourceIPAddress": "2001:db8::1",
        "errorMessage": "instance i-0fedcba9876543210 at 192.0.2.1",
        "requestParameters": {
            "instanceId": "i-0aaaaaaaaaaaaaaaa",
            "privateIpAddress": "10.0.0.5",
            "filterSet": {
                "items": [{"name": "instance-id", "valueSet": {"items": [{"value": "i-0bbbbbbb"}]}}]
            },
        },
    }
    assert _cloudtrail_actor(record) == {
        "AROAEXAMPLE:i-0123456789abcdef0",
        "arn:aws:sts::111122223333:assumed-role/Web/i-0123456789abcdef0",
        "ASIAEXAMPLE",
        "Web",
    }
    assert _ips(record) == {"2001:db8::1"}
    assert _instances(record) == {"i-0123456789abcdef0", "i-0aaaaaaaaaaaaaaaa"}
    finding = {
        "Resource": {"AccessKeyDetails": {"AccessKeyId": "ASIAAPI", "UserType": "Root", "UserName": "root"}}
    }
    assert _guardduty_actor(finding) == {"ASIAAPI"}
    workload = {"namespace": "shop", "serviceAccountName": "web-sa"}
    finding = {
        "resource": {
            "kubernetesDetails": {"kubernetesWorkloadDetails": workload},
            "lambdaDetails": {"role": "arn:aws:iam::111122223333:role/service-role/resize-role"},
        }
    }
    assert _guardduty_actor(finding) == {"system:serviceaccount:shop:web-sa", "resize-role"}
