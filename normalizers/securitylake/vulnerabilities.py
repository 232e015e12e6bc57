"""A finding's ``vulnerabilities[]`` (OCSF Vulnerability Details, as Security Hub writes
Inspector's findings) -> ASFF ``Vulnerabilities`` (docs/sources/securitylake.md, "Findings"):
the CVE, its CVSS scores and EPSS score, the affected packages and the versions that fix
them, whether a fix and an exploit exist, the references."""

from __future__ import annotations

import math
from typing import Any

from normalizers.ecs.bounded import LIST_LIMIT, bounded_objects, bounded_strings
from normalizers.ecs.values import as_dict, unique
from normalizers.securitylake.bounded import integer, string
from normalizers.securitylake.evidences import present

_FIX_COVERAGE = {"complete": "YES", "partial": "PARTIAL", "none": "NO"}
"""``fix_coverage`` (OCSF 1.5) -> ASFF ``FixAvailable``; before it, ``is_fix_available``."""


def asff_vulnerabilities(value: Any) -> list[dict[str, Any]] | None:
    """ASFF ``Vulnerabilities``: one per OCSF vulnerability that says anything."""
    found = [vulnerability for item in bounded_objects(value) if (vulnerability := _vulnerability(item))]
    return found or None


def _vulnerability(item: dict[str, Any]) -> dict[str, Any] | None:
    cve = as_dict(item.get("cve"))
    vendor = present({"Name": string(item, "vendor_name"), "VendorSeverity": string(item, "severity")})
    references = unique(bounded_strings(item.get("references")) + bounded_strings(cve.get("references")))
    return present(
        {
            # A vulnerability without a CVE may name its advisory (a GHSA id) instead.
            "Id": string(cve, "uid") or string(item.get("advisory"), "uid"),
            "Cvss": [cvss for score in bounded_objects(cve.get("cvss")) if (cvss := _cvss(score))] or None,
            "EpssScore": _number(cve.get("epss"), "score"),
            "VulnerablePackages": [
                package
                for item in bounded_objects(item.get("affected_packages"))
                if (package := _package(item))
            ]
            or None,
            "FixAvailable": _FIX_COVERAGE.get((string(item, "fix_coverage") or "").lower())
            or _yes_no(item.get("is_fix_available")),
            "ExploitAvailable": _yes_no(item.get("is_exploit_available")),
            "ReferenceUrls": references[:LIST_LIMIT] or None,
            "RelatedVulnerabilities": bounded_strings(item.get("related_vulnerabilities")) or None,
            "Vendor": vendor,
        }
    )


def _cvss(score: dict[str, Any]) -> dict[str, Any] | None:
    return present(
        {
            "Version": string(score, "version"),
            "BaseScore": _number(score, "base_score"),
            "BaseVector": string(score, "vector_string"),
        }
    )


def _package(package: dict[str, Any]) -> dict[str, Any] | None:
    epoch = integer(package, "epoch")
    return present(
        {
            "Name": string(package, "name"),
            "Version": string(package, "version"),
            "Epoch": str(epoch) if epoch is not None else string(package, "epoch"),
            "Release": string(package, "release"),
            "Architecture": string(package, "architecture"),
            "PackageManager": string(package, "package_manager"),
            "FilePath": string(package, "path"),
            "FixedInVersion": string(package, "fixed_in_version"),
            "Remediation": string(package.get("remediation"), "desc"),
        }
    )


def _yes_no(value: Any) -> str | None:
    """An OCSF boolean -> ASFF ``YES``/``NO``; anything but a boolean says nothing."""
    return {True: "YES", False: "NO"}.get(value) if isinstance(value, bool) else None


def _number(value: Any, name: str) -> float | None:
    """A finite number, or one written as text (OCSF's EPSS ``score`` is a string)."""
    found = value.get(name) if isinstance(value, dict) else None
    if isinstance(found, str):
        try:
            found = float(found)
        except ValueError:
            return None
    if isinstance(found, int | float) and not isinstance(found, bool) and math.isfinite(found):
        return found
    return None
