"""Security Hub's OCSF findings (its V2 format: EventBridge "Findings Imported V2", the
``GetFindingsV2`` output) and Security Lake's finding rows -> one document each, by one
mapping: the OCSF finding is taken back to ASFF (:mod:`normalizers.securitylake.findings`)
and made by the ASFF mapper, its actor read from ``evidences[].actor``; what ASFF has no
member for is added after: the process, file, container, URL and HTTP request evidences
(:mod:`normalizers.securitylake.artifacts`), the DNS query, TLS, email, device and user
evidences (:mod:`normalizers.securitylake.subjects`), every evidence's addresses and file
hashes and the ``observables`` as pivots (docs/sources/securityhub.md, "OCSF findings")."""

from __future__ import annotations

from typing import Any

from normalizers.base import Document, Origin
from normalizers.ecs.values import one_or_many, unique
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, RecordError
from normalizers.securityhub.mapping import finding_document
from normalizers.securitylake.artifacts import Artifacts, evidence_artifacts
from normalizers.securitylake.classes import DETECTION_FINDING, FINDING_CLASSES, VULNERABILITY_FINDING
from normalizers.securitylake.evidences import evidence_ips
from normalizers.securitylake.findings import asff_finding, finding_actor, finding_name, finding_summary
from normalizers.securitylake.observables import observed, relate
from normalizers.securitylake.subjects import Subjects, evidence_subjects


def is_ocsf_finding(finding: dict[str, Any]) -> bool:
    """An OCSF finding has a ``class_uid`` or ``finding_info``; an ASFF one has neither (its
    members are CamelCase: ``SchemaVersion``, ``Id``, ``ProductArn``)."""
    return "class_uid" in finding or "finding_info" in finding


def ocsf_finding_document(
    finding: dict[str, Any], origin: Origin, raw: bytes, envelope_account: str | None = None
) -> Document:
    """One OCSF finding -> its document; raises :class:`RecordError` for one that is no
    finding class or lacks what every finding needs (id, time, account, generator, product,
    and a title or another name: :func:`finding_name`)."""
    class_uid = finding.get("class_uid")
    # A number (Parquet may hold it as a double); a list or an object is no class.
    is_number = isinstance(class_uid, int | float) and not isinstance(class_uid, bool)
    if class_uid is not None and not (is_number and class_uid in FINDING_CLASSES):
        raise RecordError(INVALID_RECORD, f"OCSF class {class_uid!r} is not a finding (2001-2004)")
    asff = asff_finding(finding)
    document = finding_document(asff, origin, raw, envelope_account, finding_actor(finding))
    name = finding_name(finding)
    if name is None:
        raise RecordError(MISSING_FIELD, "finding_info.title")
    if "provider" not in document["event"]:
        # OCSF requires metadata.product (ASFF its ProductArn): no name, no ARN, nothing says
        # which product reported the finding.
        raise RecordError(MISSING_FIELD, "metadata.product")
    # Without a title (OCSF requires one), the finding is still indexed and named (finding_name).
    document.setdefault("message", finding_summary(finding) or name)
    document["rule"].setdefault("name", name)
    pivots = observed(finding.get("observables"))
    artifacts = evidence_artifacts(finding.get("evidences"))
    subjects = evidence_subjects(finding.get("evidences"))
    _add_artifacts(document, artifacts)
    _add_subjects(document, subjects)
    relate(document, "ip", evidence_ips(finding.get("evidences")) + artifacts.ips + subjects.ips + pivots.ip)
    relate(document, "hosts", subjects.hosts + pivots.hosts)
    relate(document, "user", subjects.users + pivots.user)
    relate(document, "hash", artifacts.hashes + pivots.hash)
    if class_uid == VULNERABILITY_FINDING and document["event"]["kind"] == "state":
        # The class says what ASFF says by a type in the Vulnerabilities namespace.
        document["event"]["category"] = ["vulnerability"]
    elif class_uid == DETECTION_FINDING and not asff.get("Types") and not asff.get("Compliance"):
        # Nothing but the class says what the finding is, and a Detection Finding is a detection
        # (controls are Compliance Findings, software flaws Vulnerability Findings): a threat.
        document["event"].update(kind="alert", category=["threat"], type=["indicator"])
    return document


def _add_artifacts(document: Document, artifacts: Artifacts) -> None:
    """The evidences' ECS fields (ASFF gave none of them: no ``Process`` is made from OCSF),
    their database, and a data bucket beside the S3 resources' (``aws.s3.bucket.name``)."""
    document.update(artifacts.fields)
    aws = document["aws"]
    if artifacts.job:
        aws["securityhub_findings"]["job"] = artifacts.job
    if artifacts.database:
        aws["securityhub_findings"]["database"] = artifacts.database
    if artifacts.buckets:
        bucket = aws.setdefault("s3", {}).setdefault("bucket", {})
        given = bucket.get("name")
        named = given if isinstance(given, list) else [given]
        bucket["name"] = one_or_many(unique([*named, *artifacts.buckets]))


def _add_subjects(document: Document, subjects: Subjects) -> None:
    """The DNS query, TLS, email and device evidences' ECS fields (ASFF gave none of them),
    the affected user as ``user.target`` beside the actor, the device's instance as
    ``cloud.instance.id`` when no EC2 resource named one."""
    for name, value in subjects.fields.items():
        document.setdefault(name, value)
    if subjects.target:
        document.setdefault("user", {})["target"] = subjects.target
    if subjects.instance:
        document["cloud"].setdefault("instance", {"id": subjects.instance})
