"""OCSF ``observables[]`` (what a row or finding names, each a ``type_id`` and a ``value``)
-> the pivots every source fills (``related.*``, docs/schema.md "Pivot contract"): valid IP
addresses, host names and EC2 instance ids, user names, hashes. Other observables (URLs, file
names, ports...) have no ``related`` field and are left to the row itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.base import Document
from normalizers.ecs.actor import is_instance_id
from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import bounded_objects

HOSTNAME, IP_ADDRESS, USER_NAME, HASH, RESOURCE_UID = 1, 2, 4, 8, 10
"""OCSF observable ``type_id`` values (OCSF 1.0 and later)."""


@dataclass(slots=True)
class Pivots:
    """What ``related.*`` gains: ``ip``, ``hosts``, ``user``, ``hash``."""

    ip: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    user: list[str] = field(default_factory=list)
    hash: list[str] = field(default_factory=list)


def observed(observables: Any) -> Pivots:
    """The pivots among the (first :data:`~normalizers.securitylake.bounded.LIST_LIMIT`)
    observables; a value of the wrong type, or an address that is not one, names nothing."""
    pivots = Pivots()
    for item in bounded_objects(observables):
        kind, value = item.get("type_id"), item.get("value")
        if not isinstance(value, str) or not value or isinstance(kind, bool):
            continue
        if kind == IP_ADDRESS:
            if ip := parse_ip(value):
                pivots.ip.append(ip)
        elif kind == HOSTNAME or (kind == RESOURCE_UID and is_instance_id(value)):
            pivots.hosts.append(value)
        elif kind == USER_NAME:
            pivots.user.append(value)
        elif kind == HASH:
            pivots.hash.append(value)
    return pivots


def relate(document: Document, name: str, values: list[str]) -> None:
    """Add ``values`` to ``related.<name>``, after what it holds, each once."""
    if values:
        related = document.setdefault("related", {}).setdefault(name, [])
        related.extend(value for value in dict.fromkeys(values) if value not in related)
