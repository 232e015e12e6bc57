"""Local fixes to converted SigmaHQ rules, kept as data (``sigma_overrides.yml``) and applied by
``siem rules convert-sigma``, so a regeneration reproduces them instead of undoing them.

An override names a Sigma file and says why (``reason``, printed in CONVERSION.md and in the
converted file's header); it may replace the Sigma ``detection`` (the fixed detection is
what the query and the generated tests come from), add ``where`` comparisons and ``tests``
written from AWS's record shapes, keep failed calls (``failures: kept``, where the attempt is
the point), and disable the rule in favour of ours (``superseded_by``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OVERRIDES_FILE = Path(__file__).resolve().parent / "sigma_overrides.yml"
_KEYS = {"reason", "detection", "where", "tests", "failures", "superseded_by"}


@dataclass(frozen=True, slots=True)
class Override:
    file: str
    reason: str
    detection: dict[str, Any] | None = None
    where: tuple[dict[str, Any], ...] = ()
    tests: tuple[dict[str, Any], ...] = ()
    keep_failures: bool = False
    superseded_by: tuple[str, ...] = ()

    def apply(self, sigma: Mapping[str, Any]) -> dict[str, Any]:
        """The Sigma rule (as parsed YAML) with the fixed detection."""
        fixed = copy.deepcopy(dict(sigma))
        if self.detection is not None:
            fixed["detection"] = copy.deepcopy(self.detection)
        return fixed


def load_overrides(path: Path | None = OVERRIDES_FILE) -> dict[str, Override]:
    """Sigma file name -> :class:`Override`; ``None``: none (a plain conversion)."""
    if path is None:
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    overrides = {}
    for name, item in data.items():
        unknown = set(item) - _KEYS
        if unknown or not str(item.get("reason") or "").strip():
            raise ValueError(f"{path}: {name}: a reason is required; unknown keys {sorted(unknown)}")
        if item.get("failures", "kept") != "kept":
            raise ValueError(f"{path}: {name}: failures takes one value, kept")
        overrides[name] = Override(
            file=name,
            reason=" ".join(str(item["reason"]).split()),
            detection=item.get("detection"),
            where=tuple(item.get("where") or ()),
            tests=tuple(item.get("tests") or ()),
            keep_failures="failures" in item,
            superseded_by=tuple(item.get("superseded_by") or ()),
        )
    return overrides


__all__ = ["OVERRIDES_FILE", "Override", "load_overrides"]
