"""The Stratus Red Team AWS technique catalogue (``catalogue.yml``): ids, names, and the
CloudTrail events our rules key on for each (docs/detections.md, "Coverage")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.yml"


@dataclass(frozen=True, slots=True)
class Technique:
    id: str
    """``aws.<tactic>.<name>``, as Stratus Red Team names it."""
    name: str
    events: str
    """The CloudTrail events (and what in them) that our rules key on."""

    @property
    def tactic(self) -> str:
        return self.id.split(".")[1]


def _load(path: Path) -> dict[str, Technique]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    techniques = {entry["id"]: Technique(entry["id"], entry["name"], entry["events"]) for entry in entries}
    if len(techniques) != len(entries):
        raise ValueError(f"{path}: a technique id is listed twice")
    return techniques


TECHNIQUES: dict[str, Technique] = _load(CATALOGUE_FILE)
"""Technique id -> :class:`Technique`, in catalogue order."""

__all__ = ["CATALOGUE_FILE", "TECHNIQUES", "Technique"]
