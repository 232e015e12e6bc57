"""An attack sequence (GuardDuty Extended Threat Detection, ``AttackSequence:*`` findings): the
actors, endpoints, resources and signals GuardDuty correlated, as pivots and as a bounded
summary (docs/schema.md, "Attack sequences").

GuardDuty carries it in ``service.detection.sequence`` and ASFF in ``Detection.Sequence``
(botocore's ``Sequence``, ``Actor``, ``Signal``, ``ResourceV2``, ``NetworkEndpoint`` and
``Indicator`` shapes of each service); both are snake_cased first, so one reader serves both.
Read leniently: a malformed part is left out, never the finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.ecs.actor import is_instance_id
from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import bounded_objects, bounded_strings, bounded_unique
from normalizers.ecs.names import snake
from normalizers.ecs.timestamps import epoch_or_iso
from normalizers.ecs.values import as_dict, as_list, as_text, prune, unique

MAX_ITEMS = 50
"""Actors, resources, signals and indicators kept in the summary, and values of each
indicator (all of them stay in the finding's raw ``detection`` object). The pivots
(``related.*``) are read from the first :data:`~normalizers.ecs.bounded.LIST_LIMIT` of each
list, :data:`~normalizers.ecs.bounded.LIST_LIMIT` distinct values of each kind at most."""
FINDING_SIGNAL = "FINDING"
"""A signal that stands for a finding: its uid is that finding's id (or ARN)."""
_SESSION_TYPES = frozenset({"AssumedRole", "FederatedUser"})


@dataclass(slots=True)
class Sequence:
    users: list[str] = field(default_factory=list)
    """Every actor's user name, uid, credential uid, session uid and session issuer, and the
    access keys among the resources (``related.user``)."""
    ips: list[str] = field(default_factory=list)
    """Every endpoint's IP and the addresses of the network interfaces among the resources."""
    hosts: list[str] = field(default_factory=list)
    """Every instance id the resources and signals name, and an instance acting as an actor."""
    buckets: list[str] = field(default_factory=list)
    block: dict[str, Any] = field(default_factory=dict)
    """``aws.<source>.sequence``: uid, description, actors, resources, signals, indicators."""


def sequence_of(raw: dict[str, Any]) -> Sequence:
    """``service.detection.sequence`` (GuardDuty) or ``Detection.Sequence`` (ASFF), as given."""
    if not raw:
        return Sequence()
    sequence = snake(raw)
    actors = bounded_objects(sequence.get("actors"))
    resources = bounded_objects(sequence.get("resources"))
    endpoints = bounded_objects(sequence.get("endpoints"))
    signals = bounded_objects(sequence.get("signals"))
    indicators = bounded_objects(sequence.get("sequence_indicators"))
    block = {
        "uid": as_text(sequence.get("uid")),
        "description": as_text(sequence.get("description")),
        "actors": [_actor(actor) for actor in actors[:MAX_ITEMS]],
        "resources": [_resource(item) for item in resources[:MAX_ITEMS]],
        "signals": [_signal(signal) for signal in signals[:MAX_ITEMS]],
        "indicators": [_indicator(item) for item in indicators[:MAX_ITEMS]],
    }
    return Sequence(
        users=bounded_unique(
            text for text in map(as_text, _users(actors, resources)) if text and text != "root"
        ),
        ips=bounded_unique(map(parse_ip, [item.get("ip") for item in endpoints] + _interface_ips(resources))),
        hosts=bounded_unique(_instance(value) for value in _host_ids(actors, resources, signals)),
        buckets=unique(_bucket(item) for item in resources if item.get("resource_type") == "S3_BUCKET"),
        block=prune(block),
    )


def finding_ids(block: dict[str, Any]) -> list[str]:
    """The ids of the findings a sequence's signals stand for."""
    return [
        signal["uid"]
        for signal in block.get("signals", [])
        if signal.get("type") == FINDING_SIGNAL and signal.get("uid")
    ]


def _users(actors: list[dict[str, Any]], resources: list[dict[str, Any]]) -> list[Any]:
    """Each actor's user name, uid, credential, session uid and session issuer; each access key
    resource's key, principal and user name (``ResourceV2.Data.AccessKey``)."""
    values: list[Any] = []
    for actor in actors:
        user = as_dict(actor.get("user"))
        session = as_dict(actor.get("session"))
        values += [user.get("name"), user.get("uid"), user.get("credential_uid")]
        values += [session.get("uid"), session.get("issuer")]
    for item in resources:
        if item.get("resource_type") == "ACCESS_KEY":
            key = as_dict(as_dict(item.get("data")).get("access_key"))
            values += [item.get("uid"), key.get("principal_id"), key.get("user_name")]
    return values


def _interface_ips(resources: list[dict[str, Any]]) -> list[Any]:
    """The addresses of network interfaces among the resources (``Data.Ec2NetworkInterface``)."""
    found: list[Any] = []
    for item in resources:
        interface = as_dict(as_dict(item.get("data")).get("ec2_network_interface"))
        found.append(interface.get("public_ip"))
        found += bounded_strings(interface.get("ipv6_addresses"))
        found += [
            address.get("private_ip_address")
            for address in bounded_objects(interface.get("private_ip_addresses"))
        ]
    return found


def _host_ids(
    actors: list[dict[str, Any]], resources: list[dict[str, Any]], signals: list[dict[str, Any]]
) -> list[Any]:
    """Resource ids, the instances a resource's data names (a cluster's, an Auto Scaling
    group's...: ``Ec2InstanceUids``), the resources each signal names, and the session name of
    a role session actor (EC2 names an instance's role session after the instance)."""
    found: list[Any] = [item.get("uid") for item in resources]
    for item in resources:
        for data in as_dict(item.get("data")).values():
            found += bounded_strings(as_dict(data).get("ec2_instance_uids"))
    for signal in signals:
        found += bounded_strings(signal.get("resource_uids") or signal.get("resource_ids"))
    found += [
        as_dict(actor.get("user")).get("name")
        for actor in actors
        if as_text(as_dict(actor.get("user")).get("type")) in _SESSION_TYPES  # a list is no type
    ]
    return found


def _actor(actor: dict[str, Any]) -> dict[str, Any]:
    user, session = as_dict(actor.get("user")), as_dict(actor.get("session"))
    return {
        "id": as_text(actor.get("id")),
        "user": {
            "name": as_text(user.get("name")),
            "uid": as_text(user.get("uid")),
            "type": as_text(user.get("type")),
            "credential_uid": as_text(user.get("credential_uid")),
            "account": {"uid": as_text(as_dict(user.get("account")).get("uid"))},
        },
        "session": {
            "uid": as_text(session.get("uid")),
            "issuer": as_text(session.get("issuer")),
            "mfa_status": as_text(session.get("mfa_status")),
            "created_time": epoch_or_iso(session.get("created_time")),
        },
    }


def _resource(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "uid": as_text(item.get("uid")),
        "name": as_text(item.get("name")),
        "type": as_text(item.get("resource_type")),
        "account_id": as_text(item.get("account_id")),
        "region": as_text(item.get("region")),
    }


def _signal(signal: dict[str, Any]) -> dict[str, Any]:
    """GuardDuty's ``uid``/``description`` are ASFF's ``Id``/``Title``."""
    count, severity = signal.get("count"), signal.get("severity")
    return {
        "uid": as_text(signal.get("uid")) or as_text(signal.get("id")),
        "type": as_text(signal.get("type")),
        "name": as_text(signal.get("name")),
        "title": as_text(signal.get("title")) or as_text(signal.get("description")),
        "first_seen": epoch_or_iso(signal.get("first_seen_at")),
        "last_seen": epoch_or_iso(signal.get("last_seen_at")),
        "count": count
        if isinstance(count, int) and not isinstance(count, bool) and 0 <= count < 2**63
        else None,
        "severity": severity
        if isinstance(severity, int | float) and not isinstance(severity, bool) and 0 <= severity <= 100
        else None,
    }


def _indicator(item: dict[str, Any]) -> dict[str, Any]:
    """A sequence indicator: ``ATTACK_TACTIC``, ``HIGH_RISK_API``, ``TOR_IP``... and its values."""
    return {
        "key": as_text(item.get("key")),
        "values": [value for value in as_list(item.get("values"))[:MAX_ITEMS] if as_text(value)],
        "title": as_text(item.get("title")),
    }


def _instance(value: Any) -> str | None:
    """An instance id, or the one an instance ARN ends with."""
    text = as_text(value) or ""
    candidate = text.rsplit("/", 1)[-1] if ":instance/" in text else text
    return candidate if is_instance_id(candidate) else None


def _bucket(item: dict[str, Any]) -> str | None:
    """A bucket's name, else the one its ARN (``arn:aws:s3:::name``) ends with."""
    uid = as_text(item.get("uid")) or ""
    return as_text(item.get("name")) or (uid.rsplit(":", 1)[-1] if uid.startswith("arn:") else uid) or None
