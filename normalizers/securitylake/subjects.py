"""What else a finding's evidences name (OCSF Evidence Artifacts, ``evidences[]``): the DNS
``query``, the ``tls`` handshake, the ``email``, the ``device`` and the affected ``user``
-> ECS ``dns.question.*``, ``tls.*``, ``email.*``, ``host.*`` and ``user.target.*``
(docs/sources/securityhub.md, "Evidence artifacts").

As for :mod:`normalizers.securitylake.artifacts`, no OCSF schema file is in this repository
(docs/sources/securitylake.md): the members are those of OCSF 1.1-1.5's DNS Query, TLS,
Fingerprint, Email, Device and User objects, written from knowledge of the published schema.

Of each kind the first evidence holding it is read. An evidence's ``user`` is the user the
finding is about, not who acted (the ``actor`` evidence is ``user.*``): it is ECS's target
user, as CloudTrail's ``user.target.*`` is the user a call acts on. Every evidence's device
addresses and names, the email's originating addresses and the affected users are pivots
(``related.*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import bounded_objects, bounded_strings
from normalizers.ecs.values import prune, unique
from normalizers.securitylake.bounded import first_holding, string

_MD5 = 1
"""Fingerprint ``algorithm_id`` of MD5: JA3 and JA3S are MD5 digests of the handshake."""
_PROTOCOLS = (("tlsv", "tls"), ("tls", "tls"), ("sslv", "ssl"), ("ssl", "ssl"))
"""A TLS ``version`` written with its protocol (``TLSv1.2``, ``SSLv3``) -> ECS
``tls.version_protocol``; the number that follows is ``tls.version``."""


@dataclass(slots=True)
class Subjects:
    """What the evidences add to the document: ECS fields, the target user, the pivots."""

    fields: dict[str, Any] = field(default_factory=dict)
    """``dns``, ``tls``, ``email``, ``host``."""
    target: dict[str, Any] = field(default_factory=dict)
    """``user.target``: the first ``user`` evidence."""
    instance: str | None = None
    """The first ``device`` evidence's ``instance_uid`` (``cloud.instance.id``)."""
    ips: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)


def evidence_subjects(evidences: Any) -> Subjects:
    """The first evidence of each kind, read; the devices', emails' and users' pivots of all."""
    items = bounded_objects(evidences)
    query, tls = _first(items, "query"), _first(items, "tls")
    device, user = _first(items, "device"), _first(items, "user")
    return Subjects(
        fields=prune(
            {
                "dns": {"question": {"name": string(query, "hostname"), "type": string(query, "type")}},
                "tls": _tls(tls),
                "email": _email(_first(items, "email")),
                "host": {
                    "hostname": string(device, "hostname"),
                    "name": string(device, "name") or string(device, "hostname"),
                    "id": string(device, "uid"),
                    "ip": [ip] if (ip := parse_ip(string(device, "ip"))) else None,
                },
            }
        ),
        target=prune({"name": string(user, "name"), "id": string(user, "uid")}),
        instance=string(device, "instance_uid"),
        ips=unique(ip for item in items for ip in _addresses(item)),
        hosts=unique(
            string(item.get("device"), name) for item in items for name in ("hostname", "instance_uid")
        ),
        users=unique(string(item.get("user"), name) for item in items for name in ("name", "uid")),
    )


def _first(items: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    evidence = first_holding(items, kind)
    return {} if evidence is None else evidence[kind]


def _addresses(evidence: dict[str, Any]) -> list[str]:
    """A device's ``ip`` and an email's ``x_originating_ip[]``, when valid."""
    email = evidence.get("email")
    found = [string(evidence.get("device"), "ip")]
    found += bounded_strings(email.get("x_originating_ip")) if isinstance(email, dict) else []
    return [ip for value in found if (ip := parse_ip(value))]


def _tls(tls: dict[str, Any]) -> dict[str, Any]:
    """OCSF TLS -> ECS ``tls``: the server name the client asked (``sni``), the JA3 and JA3S
    fingerprints (MD5 values: a Fingerprint of another algorithm is left out), the version
    split into protocol and number, the cipher."""
    protocol, version = _version(string(tls, "version"))
    return {
        "version": version,
        "version_protocol": protocol,
        "cipher": string(tls, "cipher"),
        "client": {"server_name": string(tls, "sni"), "ja3": _md5(tls.get("ja3_hash"))},
        "server": {"ja3s": _md5(tls.get("ja3s_hash"))},
    }


def _version(text: str | None) -> tuple[str | None, str | None]:
    """``TLSv1.2``, ``TLS 1.3``, ``SSLv3`` -> (``tls``|``ssl``, the number); a bare number
    (``1.2``) is TLS's."""
    if not text:
        return None, None
    lowered = text.strip().lower()
    for prefix, protocol in _PROTOCOLS:
        if lowered.startswith(prefix):
            number = lowered[len(prefix) :].strip(" v")
            return protocol, number or None
    return ("tls", lowered) if lowered[:1].isdigit() else (None, None)


def _md5(fingerprint: Any) -> str | None:
    """A Fingerprint's ``value`` when it is MD5 (``algorithm_id`` 1, or no algorithm at all:
    a JA3 hash is MD5 by definition)."""
    if not isinstance(fingerprint, dict):
        return None
    code = fingerprint.get("algorithm_id")
    return string(fingerprint, "value") if code in (None, 0, _MD5) else None


def _email(email: dict[str, Any]) -> dict[str, Any]:
    """OCSF Email -> ECS ``email``: sender, recipients (``to``, ``cc``), subject, Message-ID."""
    sender = string(email, "from")
    return {
        "from": {"address": [sender] if sender else None},
        "to": {"address": bounded_strings(email.get("to"))},
        "cc": {"address": bounded_strings(email.get("cc"))},
        "subject": string(email, "subject"),
        "message_id": string(email, "message_uid"),
    }
