"""GuardDuty findings in their three shapes, and the export objects that carry them.

- native (the wire shape, lowerCamel names): :func:`finding`, from a :class:`FindingSpec`,
  following ``shared/reference/aws-docs/guardduty/guardduty_finding-format.md``;
- the S3 export (``guardduty_exportfindings.md``): gzip JSON lines under
  ``AWSLogs/<acct>/GuardDuty/<region>/`` (:func:`export_lines`, :func:`export_key`);
- EventBridge: the "GuardDuty Finding" event whose ``detail`` is the native finding
  (:func:`eventbridge_event`);
- the API (``aws guardduty get-findings``): PascalCase member names, derived from the
  native finding through botocore's GuardDuty service model (:func:`api_finding`).

Values are made up: the ASN is a documentation one (RFC 5398), addresses RFC 5737.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from demo.ids import iso, iso_millis

Record = dict[str, Any]

EXAMPLE_ACCOUNT = "111122223333"
EXAMPLE_DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
EXAMPLE_TIME = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CLI_AGENT = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 botocore/2.4.5"
DETAIL_TYPE = "GuardDuty Finding"

# ASN 64496-64511 are reserved for documentation (RFC 5398), like the attacker's addresses.
_HOSTING = {
    "asn": "64501",
    "asnOrg": "EXAMPLE-HOSTING-AS",
    "isp": "Example Hosting",
    "org": "Example Hosting",
}
_GEO = {
    "country": {"countryName": "Netherlands"},
    "city": {"cityName": "Amsterdam"},
    "geoLocation": {"lat": 52.3759, "lon": 4.8975},
}
_PORT_NAMES = {22: "SSH", 3389: "RDP", 3306: "MYSQL", 5432: "POSTGRESQL"}


# --- resources and actions --------------------------------------------------------------


def remote_ip_details(ip: str) -> Record:
    """An outside address as GuardDuty enriches it: organization (ASN), country, city, location."""
    return {"ipAddressV4": ip, "organization": dict(_HOSTING), **copy.deepcopy(_GEO)}


def access_key_resource(
    key: str = "AKIAIOSFODNN7EXAMPLE",
    principal_id: str = "AIDACKCEVSQ6C2EXAMPLE",
    user_name: str = "alice",
    user_type: str = "IAMUser",
) -> Record:
    """The key a finding is about; for a role session ``user_type`` is ``AssumedRole``,
    ``principal_id`` is ``AROA...:<session>`` and ``user_name`` the role's name."""
    return {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": key,
            "principalId": principal_id,
            "userName": user_name,
            "userType": user_type,
        },
    }


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str = "i-99999999"
    private_ip: str = "10.0.0.5"
    public_ip: str | None = None
    """``None``: an instance without a public address (no ``publicIp``)."""
    eni: str = "eni-0a1b2c3d4e5f60718"
    vpc_id: str = "vpc-0a1b2c3d4e5f60718"
    subnet_id: str = "subnet-0a1b2c3d4e5f60718"
    security_group: str | None = None
    """``None``: no ``securityGroups`` listed."""


def instance_resource(instance: Instance) -> Record:
    interface: Record = {
        "networkInterfaceId": instance.eni,
        "privateIpAddress": instance.private_ip,
        "privateIpAddresses": [{"privateIpAddress": instance.private_ip}],
    }
    if instance.public_ip is not None:
        interface["publicIp"] = instance.public_ip
    if instance.security_group is not None:
        interface["securityGroups"] = [{"groupId": instance.security_group, "groupName": "web-prod-sg"}]
    interface["subnetId"] = instance.subnet_id
    interface["vpcId"] = instance.vpc_id
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": instance.instance_id,
            "instanceType": "t3.medium",
            "instanceState": "running",
            "availabilityZone": "us-east-1a",
            "imageId": "ami-0c101f26f147fa7fd",
            "launchTime": "2026-02-02T10:41:07.000Z",
            "platform": None,
            "networkInterfaces": [interface],
            "tags": [{"key": "Name", "value": "web-prod-1"}],
        },
    }


def api_call_action(
    api: str = "ListUsers",
    service: str = "iam.amazonaws.com",
    ip: str = "198.51.100.7",
    user_agent: str = CLI_AGENT,
    error_code: str | None = None,
) -> Record:
    call: Record = {
        "api": api,
        "serviceName": service,
        "callerType": "Remote IP",
        "remoteIpDetails": remote_ip_details(ip),
        "userAgent": {"fullUserAgent": user_agent, "userAgentCategory": "CLI"},
        "affectedResources": {},
    }
    if error_code:
        call["errorCode"] = error_code
    return {"actionType": "AWS_API_CALL", "awsApiCallAction": call}


def network_connection_action(
    remote_ip: str = "198.51.100.7",
    remote_port: int = 58980,
    local_ip: str = "10.0.0.5",
    local_port: int = 22,
    direction: str = "INBOUND",
    blocked: bool = False,
) -> Record:
    return {
        "actionType": "NETWORK_CONNECTION",
        "networkConnectionAction": {
            "connectionDirection": direction,
            "remoteIpDetails": remote_ip_details(remote_ip),
            "remotePortDetails": {"port": remote_port, "portName": "Unknown"},
            "localPortDetails": {"port": local_port, "portName": _PORT_NAMES.get(local_port, "Unknown")},
            "localIpDetails": {"ipAddressV4": local_ip},
            "protocol": "TCP",
            "blocked": blocked,
        },
    }


def port_probe_action(
    remote_ip: str = "198.51.100.7", local_ip: str = "10.0.0.5", ports: Sequence[int] = (22,)
) -> Record:
    return {
        "actionType": "PORT_PROBE",
        "portProbeAction": {
            "blocked": False,
            "portProbeDetails": [
                {
                    "localPortDetails": {"port": port, "portName": _PORT_NAMES.get(port, "Unknown")},
                    "localIpDetails": {"ipAddressV4": local_ip},
                    "remoteIpDetails": remote_ip_details(remote_ip),
                }
                for port in ports
            ],
        },
    }


# --- findings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """The parts of a GuardDuty finding a story, test or corpus chooses.

    ``updated``, ``first_seen`` and ``last_seen`` default to ``created``; ``title`` and
    ``description`` to sentences naming the type.
    """

    type: str = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"
    severity: float = 5.0
    title: str | None = None
    description: str | None = None
    account: str = EXAMPLE_ACCOUNT
    region: str = "us-east-1"
    detector: str = EXAMPLE_DETECTOR
    id: str = "0" * 32
    created: datetime = EXAMPLE_TIME
    updated: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    resource: Record = field(default_factory=access_key_resource)
    action: Record | None = field(default_factory=api_call_action)
    count: int = 1
    sample: bool = False
    archived: bool = False
    extra_service: Record = field(default_factory=dict)
    """Merged into ``service`` last (``detection``, ``featureName``, ``additionalInfo``...)."""

    @property
    def arn(self) -> str:
        return finding_arn(self.account, self.region, self.detector, self.id)


def finding(spec: FindingSpec) -> Record:
    """The native (export, EventBridge ``detail``) finding in GuardDuty's field order."""
    additional: Record = {"value": '{"sample":true}' if spec.sample else "{}", "type": "default"}
    if spec.sample:
        additional["sample"] = True
    service: Record = {
        "serviceName": "guardduty",
        "detectorId": spec.detector,
        "resourceRole": "TARGET",
        "additionalInfo": additional,
        "eventFirstSeen": iso(spec.first_seen or spec.created),
        "eventLastSeen": iso(spec.last_seen or spec.created),
        "archived": spec.archived,
        "count": spec.count,
        **spec.extra_service,
    }
    if spec.action is not None:
        service["action"] = spec.action
    return {
        "schemaVersion": "2.0",
        "accountId": spec.account,
        "region": spec.region,
        "partition": "aws",
        "id": spec.id,
        "arn": spec.arn,
        "type": spec.type,
        "resource": spec.resource,
        "service": service,
        "severity": spec.severity,
        "createdAt": iso_millis(spec.created),
        "updatedAt": iso_millis(spec.updated or spec.created),
        "title": spec.title if spec.title is not None else f"{spec.type} observed",
        "description": spec.description
        if spec.description is not None
        else f"{spec.type} observed in account {spec.account}.",
    }


def finding_arn(account: str, region: str, detector: str, finding_id: str) -> str:
    return f"arn:aws:guardduty:{region}:{account}:detector/{detector}/finding/{finding_id}"


# --- delivery shapes --------------------------------------------------------------------


def export_lines(findings: Iterable[Record | bytes]) -> bytes:
    """JSON lines, uncompressed; a ``bytes`` item is written as is (to plant a bad record)."""
    return b"".join((item if isinstance(item, bytes) else orjson.dumps(item)) + b"\n" for item in findings)


def export_key(account: str, region: str, day: datetime, name: str) -> str:
    return f"AWSLogs/{account}/GuardDuty/{region}/{day:%Y/%m/%d}/{name}.jsonl.gz"


def eventbridge_event(native: Record, event_id: str = "c8c4daa7-a20c-2f03-0070-b7393dd542ad") -> Record:
    """The EventBridge event GuardDuty emits for a new or updated finding."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": DETAIL_TYPE,
        "source": "aws.guardduty",
        "account": native["accountId"],
        "time": native["updatedAt"][:19] + "Z",
        "region": native["region"],
        "resources": [],
        "detail": native,
    }


def api_finding(native: Record) -> Record:
    """The finding as ``GetFindings`` returns it: every wire name replaced by its member name.

    Names come from botocore's GuardDuty model (``Finding`` and the shapes below it); the
    keys of maps (``affectedResources``, anomaly ``profiles``...) are data and stay.
    """
    return _to_api(native, "Finding")


def get_findings_response(natives: Iterable[Record]) -> Record:
    """What ``aws guardduty get-findings`` prints: ``{"Findings": [...]}``."""
    return {"Findings": [api_finding(native) for native in natives]}


@functools.cache
def _model() -> Any:
    import botocore.session  # only the API shape needs it; kept out of the demo's import time

    return botocore.session.get_session().get_service_model("guardduty")


def _to_api(value: Any, shape_name: str) -> Any:
    shape = _model().shape_for(shape_name)
    return _convert(value, shape)


def _convert(value: Any, shape: Any) -> Any:
    if shape.type_name == "structure" and isinstance(value, dict):
        by_wire = {
            member.serialization.get("name", name): (name, member) for name, member in shape.members.items()
        }
        out: Record = {}
        for key, item in value.items():
            name, member = by_wire.get(key, (key[:1].upper() + key[1:], None))
            out[name] = item if member is None else _convert(item, member)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_convert(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _convert(item, shape.value) for key, item in value.items()}
    return value
