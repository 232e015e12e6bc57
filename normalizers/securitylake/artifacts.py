"""A finding's host and application evidences (OCSF Evidence Artifacts, ``evidences[]``:
``process``, ``file``, ``container``, ``url``, ``http_request``, ``database``,
``databucket``) -> the ECS fields that say what ran, what it touched and where
(docs/sources/securityhub.md, "Evidence artifacts").

No OCSF schema file is in this repository: the object and attribute names are those of OCSF
1.1-1.5 (the Evidence Artifacts, Process, File, Fingerprint, User, Container, Image, Uniform
Resource Locator, HTTP Request, Database and Databucket objects), written from knowledge of the
published schema. ASFF has a member for a process only (``Process``: name, path, pid, parent
pid, times), so these are read into the document directly, into the fields the ASFF path and
GuardDuty's native findings fill (``process.*``), and ECS's own for the rest.

A scheduled ``job`` (OCSF Scheduled Job: ``name``, ``cmd_line``) is a task set to run, not a
process that ran: ECS's ``process.*`` would say it ran, so its name and command line are the
finding's own ``aws.securityhub_findings.job.*``. A ``script``'s content is left in the
finding (its hashes are pivots).

Of each kind the first evidence holding it is read (as the network evidence is). Every
evidence's file, process file, job file and script hashes are pivots (``related.hash``), and so are the
addresses its URLs name as their host and its request's ``x_forwarded_for`` (``related.ip``).
A member of the wrong type is no value, and a parent process is read one level deep: whatever
an evidence holds, the work and the document stay bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from normalizers.ecs.address import parse_ip
from normalizers.ecs.bounded import bounded_objects, bounded_strings
from normalizers.ecs.process import process_fields
from normalizers.ecs.values import as_dict, prune, unique
from normalizers.securitylake.bounded import first_holding, integer, string
from normalizers.securitylake.values import first, ocsf_time

_ALGORITHMS = {1: "md5", 2: "sha1", 3: "sha256", 4: "sha512"}
"""Fingerprint ``algorithm_id`` (0 Unknown, 1 MD5, 2 SHA-1, 3 SHA-256, 4 SHA-512, 5 CTPH,
6 TLSH, 7 quickXorHash, 99 Other) -> ECS ``file.hash.*``."""
_ALGORITHM_NAMES = frozenset(_ALGORITHMS.values())
"""Fingerprint ``algorithm`` (the caption: ``SHA-256``, read ``sha256``) when ``algorithm_id``
names none of them."""
_S3 = 1
"""Databucket ``type_id``: 1 S3 (0 Unknown, 2 Azure Blob, 3 GCP Bucket, 99 Other)."""
_S3_NAMES = frozenset({"s3", "aws s3", "amazon s3"})


@dataclass(slots=True)
class Artifacts:
    """What the evidences add to the document: ECS fields, and the pivots."""

    fields: dict[str, Any] = field(default_factory=dict)
    """``process``, ``file``, ``container``, ``url``, ``http``, ``user_agent``."""
    job: dict[str, Any] = field(default_factory=dict)
    """The first ``job`` evidence's ``name`` and ``cmd_line`` (``aws.securityhub_findings.job``:
    a scheduled job is no process that ran, and ECS has no scheduled job fields)."""
    database: dict[str, Any] = field(default_factory=dict)
    """The first ``database`` evidence (``aws.securityhub_findings.database``: ECS has no
    database fields)."""
    buckets: list[str] = field(default_factory=list)
    """S3 buckets a ``databucket`` evidence names (``aws.s3.bucket.name``)."""
    hashes: list[str] = field(default_factory=list)
    """Every evidence's file and process file hashes (``related.hash``)."""
    ips: list[str] = field(default_factory=list)
    """Every evidence's URL host that is an address, and its request's ``x_forwarded_for``
    (``related.ip``)."""


def evidence_artifacts(evidences: Any) -> Artifacts:
    """The first evidence of each kind, read; the hashes and URL addresses of them all."""
    items = bounded_objects(evidences)
    process, file = _first(items, "process"), _first(items, "file")
    request = _first(items, "http_request")
    url = _first(items, "url") or as_dict(request.get("url"))
    bucket = _bucket(_first(items, "databucket"))
    job = _first(items, "job")
    return Artifacts(
        fields=prune(
            {
                "process": _process(process),
                "file": _file(file),
                "container": _container(_first(items, "container")),
                "url": {
                    "full": string(url, "url_string"),
                    "domain": string(url, "hostname"),
                    "path": string(url, "path"),
                },
                "http": {"request": {"method": string(request, "http_method")}},
                "user_agent": {"original": string(request, "user_agent")},
            }
        ),
        job=prune({"name": string(job, "name"), "cmd_line": string(job, "cmd_line")}),
        database=prune(_database(_first(items, "database"))),
        buckets=[bucket] if bucket else [],
        hashes=unique(
            value for item in items for holder in _hashed(item) for value in _hashes(holder).values()
        ),
        ips=unique(ip for item in items for ip in _addresses(item)),
    )


def _hashed(evidence: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """An evidence's objects holding ``hashes[]``: its file, its process's file, its scheduled
    job's file, its script and the script's file (ECS has no job or script fields: their
    hashes are pivots only)."""
    process, job, script = (as_dict(evidence.get(kind)) for kind in ("process", "job", "script"))
    return (
        as_dict(evidence.get("file")),
        as_dict(process.get("file")),
        as_dict(job.get("file")),
        script,
        as_dict(script.get("file")),
    )


def _addresses(evidence: dict[str, Any]) -> list[str]:
    """The valid addresses an evidence's URLs name as their host, and its request's
    ``x_forwarded_for``."""
    request = as_dict(evidence.get("http_request"))
    hosts = [string(evidence.get("url"), "hostname"), string(request.get("url"), "hostname")]
    hosts += bounded_strings(request.get("x_forwarded_for"))
    return [ip for host in hosts if (ip := parse_ip(host))]


def _first(items: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The ``kind`` object of the first evidence holding one; empty when none does."""
    evidence = first_holding(items, kind)
    return {} if evidence is None else evidence[kind]


def _process(process: dict[str, Any]) -> dict[str, Any]:
    """OCSF Process -> ECS ``process``: the executable is its ``file``; its parent, one level."""
    executable, user = as_dict(process.get("file")), as_dict(process.get("user"))
    parent = as_dict(process.get("parent_process"))
    parent_file = as_dict(parent.get("file"))
    fields = process_fields(
        name=string(process, "name") or string(executable, "name"),
        executable=string(executable, "path"),
        pid=integer(process, "pid"),
        parent_pid=integer(parent, "pid"),
        sha256=_hashes(executable).get("sha256"),
        user_name=string(user, "name"),
        user_id=string(user, "uid"),
        start=ocsf_time(first(process, "created_time_dt", "created_time")),
        end=ocsf_time(first(process, "terminated_time_dt", "terminated_time")),
    )
    return {
        **fields,
        "command_line": string(process, "cmd_line"),
        "parent": {
            **fields.get("parent", {}),
            "name": string(parent, "name") or string(parent_file, "name"),
            "executable": string(parent_file, "path"),
        },
    }


def _file(file: dict[str, Any]) -> dict[str, Any]:
    size = integer(file, "size")
    return {
        "name": string(file, "name"),
        "path": string(file, "path"),
        "size": size if size is not None and size >= 0 else None,
        "hash": _hashes(file),
    }


def _hashes(file: dict[str, Any]) -> dict[str, str]:
    """A File's ``hashes[]`` -> ``{md5|sha1|sha256|sha512: value}`` (:func:`fingerprints`)."""
    return fingerprints(file.get("hashes"))


def fingerprints(value: Any) -> dict[str, str]:
    """A list of Fingerprints (``algorithm_id``/``algorithm``, ``value``) -> ``{md5|sha1|sha256|
    sha512: value}``, the first of each algorithm among the first 100; others left out."""
    found: dict[str, str] = {}
    for fingerprint in bounded_objects(value):
        value, code = string(fingerprint, "value"), integer(fingerprint, "algorithm_id")
        name = _ALGORITHMS.get(code) if code is not None else None
        caption = (string(fingerprint, "algorithm") or "").lower().replace("-", "")
        name = name or (caption if caption in _ALGORITHM_NAMES else None)
        if value and name:
            found.setdefault(name, value)
    return found


def _container(container: dict[str, Any]) -> dict[str, Any]:
    """OCSF Container -> ECS ``container``. ECS has no image id: the Image's ``uid`` (an image
    id or digest, ``sha256:...``) is ``container.image.hash.all``, ECS's digests of the image."""
    image = as_dict(container.get("image"))
    tag, uid = string(image, "tag"), string(image, "uid")
    return {
        "id": string(container, "uid"),
        "name": string(container, "name"),
        "runtime": string(container, "runtime"),
        "image": {
            "name": string(image, "name"),
            "tag": [tag] if tag else None,
            "hash": {"all": [uid] if uid else None},
        },
    }


def _bucket(bucket: dict[str, Any]) -> str | None:
    """A Databucket's name when it is an S3 bucket: ``type_id`` 1 (S3), else its ``type``
    text, else no type at all (a finding of an AWS account names S3 buckets)."""
    kind, kind_name = integer(bucket, "type_id"), (string(bucket, "type") or "").lower()
    if kind == _S3 or kind_name in _S3_NAMES or (not kind_name and kind in (None, 0)):
        return string(bucket, "name")
    return None


def _database(database: dict[str, Any]) -> dict[str, Any]:
    """OCSF Database: ``name``, ``type``, ``uid`` (ECS has no database fields: the finding's
    own ``aws.securityhub_findings.database``)."""
    return {
        "name": string(database, "name"),
        "type": string(database, "type"),
        "uid": string(database, "uid"),
    }
