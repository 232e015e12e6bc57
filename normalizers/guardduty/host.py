"""The EC2 instance of a GuardDuty finding (``cloud.instance``, ``related.hosts``, ``related.ip``)
and the process Runtime Monitoring saw on it (``process``)."""

from __future__ import annotations

from typing import Any

from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.getters import optional_obj
from normalizers.ecs.process import process_fields
from normalizers.ecs.values import as_text, prune


class Host:
    def __init__(self) -> None:
        self.cloud: dict[str, Any] = {}
        self.names: list[str] = []
        self.ips: list[str] = []


def instance_host(details: dict[str, Any]) -> Host:
    host = Host()
    if not details:
        return host
    instance_id = as_text(details.get("instanceId"))
    host.cloud = prune(
        {
            "instance": {"id": instance_id},
            "availability_zone": as_text(details.get("availabilityZone")),
            "machine": {"type": as_text(details.get("instanceType"))},
        }
    )
    names: list[Any] = [instance_id]
    addresses: list[Any] = []
    for interface in bounded_objects(details.get("networkInterfaces")):
        names += [interface.get("privateDnsName"), interface.get("publicDnsName")]
        addresses += [interface.get("privateIpAddress"), interface.get("publicIp")]
        addresses += [
            entry.get("privateIpAddress") for entry in bounded_objects(interface.get("privateIpAddresses"))
        ]
        addresses += bounded_strings(interface.get("ipv6Addresses"))
    host.names = bounded_unique(as_text(name) for name in names)
    host.ips = bounded_unique(parse_ip(address) for address in addresses)
    return host


def runtime_process(runtime: dict[str, Any]) -> dict[str, Any]:
    """``service.runtimeDetails.process``: the process Runtime Monitoring saw act."""
    process = optional_obj(runtime, "process")
    return process_fields(
        name=process.get("name"),
        executable=process.get("executablePath"),
        pid=process.get("pid"),
        sha256=process.get("executableSha256"),
        working_directory=process.get("pwd"),
        user_name=process.get("user"),
        user_id=process.get("userId"),
        start=process.get("startTime"),
    )
