"""What else a finding's evidences name (OCSF Evidence Artifacts, ``evidences[]``): the DNS
``query``, the ``tls`` handshake, the ``email``, the ``device`` and the affected ``user``
-> ECS ``dns.question.*``, ``tls.*``, ``email.*``, ``host.*`` and ``user.target.*``
(docs/sources/securityhub.md, "Evidence artifacts").

As for :mod:`normalizers.securitylake.artifacts`, no OCSF schema file is in this repository
(docs/sources/securitylake.md): the members are those of OCSF 1.1-1.5's DNS Query, TLS,
Digital Certificate, Fingerprint, Email, Device, Operating System, Network Interface and User
objects, written from knowledge of the published schema, and only those known with confidence
(the device's OS ``name``/``version``/``type_id``/``type`` and ``mac``, its
``network_interfaces[].mac``; the certificate's ``subject``, ``issuer``, ``serial_number``,
``created_time``, ``expiration_time``, ``version`` and ``fingerprints``).

Of each kind the first evidence holding it is read. An evidence's ``user`` is the user the
finding is about, not who acted (the ``actor`` evidence is ``user.*``): it is ECS's target
user, as CloudTrail's ``user.target.*`` is the user a call acts on. Every evidence's device
addresses and names, the email's originating addresses and the affected users are pivots
(``related.*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.ecs.address import mac_address, parse_ip
from normalizers.ecs.bounded import bounded_objects, bounded_strings
from normalizers.ecs.values import as_dict, prune, unique
from normalizers.securitylake.artifacts import fingerprints
from normalizers.securitylake.bounded import first_holding, integer, string
from normalizers.securitylake.values import first, ocsf_time

_MD5 = 1
"""Fingerprint ``algorithm_id`` of MD5: JA3 and JA3S are MD5 digests of the handshake."""
_PROTOCOLS = (("tlsv", "tls"), ("tls", "tls"), ("sslv", "ssl"), ("ssl", "ssl"))
"""A TLS ``version`` written with its protocol (``TLSv1.2``, ``SSLv3``) -> ECS
``tls.version_protocol``; the number that follows is ``tls.version``."""
_OS_TYPES = {100: "windows", 200: "linux", 201: "android", 300: "macos", 301: "ios", 400: "unix", 401: "unix"}
"""OCSF OS ``type_id`` (100 Windows, 200 Linux, 201 Android, 300 macOS, 301 iOS, 400 Solaris,
401 AIX; 0 Unknown, 99 Other) -> ECS ``host.os.type``, whose values are the broad families
``linux``, ``macos``, ``unix``, ``windows``, ``ios``, ``android``; an OS of no family among
them (Windows Mobile, iPadOS, another) gives none, as ECS asks."""
_OS_TYPE_NAMES = {
    "windows": "windows",
    "linux": "linux",
    "android": "android",
    "macos": "macos",
    "ios": "ios",
    "solaris": "unix",
    "aix": "unix",
}
"""OS ``type`` (the caption) -> ``host.os.type``, when ``type_id`` names none."""
_CERTIFICATE_HASHES = ("md5", "sha1", "sha256")
"""ECS's ``tls.server.hash.*``: a certificate's fingerprints of these algorithms."""


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
                    "ip": _device_ips(device),
                    "os": _os(as_dict(device.get("os"))),
                    "mac": _macs(device),
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
    """A device's addresses and an email's ``x_originating_ip[]``, when valid."""
    email = evidence.get("email")
    found = bounded_strings(email.get("x_originating_ip")) if isinstance(email, dict) else []
    return _device_ips(as_dict(evidence.get("device"))) + [ip for value in found if (ip := parse_ip(value))]


def _device_ips(device: dict[str, Any]) -> list[str]:
    """A Device's valid ``ip`` and its ``network_interfaces[].ip`` (the first 100)."""
    interfaces = bounded_objects(device.get("network_interfaces"))
    values = [string(device, "ip"), *(string(interface, "ip") for interface in interfaces)]
    return unique(parse_ip(value) for value in values)


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
        "server": {"ja3s": _md5(tls.get("ja3s_hash")), **_certificate(as_dict(tls.get("certificate")))},
    }


def _certificate(certificate: dict[str, Any]) -> dict[str, Any]:
    """OCSF Digital Certificate (a TLS handshake's ``certificate``: the server's) -> ECS
    ``tls.server.x509.*`` and its fingerprints ``tls.server.hash.*``. ``subject`` and ``issuer``
    are distinguished names; ``created_time`` is the start of validity (X.509 has no other
    creation time: ``notBefore``), ``expiration_time`` its end (``notAfter``). ECS writes the
    serial number and the fingerprints upper-case, the serial without colons."""
    serial = string(certificate, "serial_number")
    hashes = fingerprints(certificate.get("fingerprints"))
    return {
        "x509": {
            "subject": {"distinguished_name": string(certificate, "subject")},
            "issuer": {"distinguished_name": string(certificate, "issuer")},
            "serial_number": serial.replace(":", "").upper() if serial else None,
            "not_before": ocsf_time(first(certificate, "created_time_dt", "created_time")),
            "not_after": ocsf_time(first(certificate, "expiration_time_dt", "expiration_time")),
            "version_number": string(certificate, "version"),
        },
        "hash": {name: hashes[name].upper() for name in _CERTIFICATE_HASHES if name in hashes},
    }


def _os(system: dict[str, Any]) -> dict[str, Any]:
    """OCSF OS -> ECS ``host.os``: ``name`` (without its version), ``version``, the family."""
    code = integer(system, "type_id")
    family = _OS_TYPES.get(code) if code is not None else None
    return {
        "name": string(system, "name"),
        "version": string(system, "version"),
        "type": family or _OS_TYPE_NAMES.get((string(system, "type") or "").lower()),
    }


def _macs(device: dict[str, Any]) -> list[str]:
    """A Device's ``mac`` and its ``network_interfaces[]``' (the first 100) in ECS's form;
    a value that is no MAC address is left out."""
    interfaces = bounded_objects(device.get("network_interfaces"))
    values = [device.get("mac"), *(interface.get("mac") for interface in interfaces)]
    return unique(mac_address(value) for value in values)


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
