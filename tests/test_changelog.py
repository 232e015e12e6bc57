"""CHANGELOG.md follows Keep a Changelog as docs/deploy.md ("Versions and releases") describes it,
and its newest release is the version pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = ROOT / "CHANGELOG.md"
RELEASE = re.compile(r"^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$")
KINDS = {"Upgrade notes", "Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def headings(level: str) -> list[str]:
    return [line for line in CHANGELOG.read_text().splitlines() if line.startswith(f"{level} ")]


def test_unreleased_comes_first_then_releases_newest_first() -> None:
    sections = headings("##")
    assert sections[0] == "## [Unreleased]"
    releases = [RELEASE.match(line) for line in sections[1:]]
    assert all(releases), [line for line, match in zip(sections[1:], releases, strict=True) if not match]
    versions = [tuple(int(part) for part in match.groups()[:3]) for match in releases if match]
    dates = [date.fromisoformat(match.group(4)) for match in releases if match]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)


def test_sections_use_the_known_kinds() -> None:
    assert {line[4:] for line in headings("###")} <= KINDS


def test_the_newest_release_is_the_project_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    newest = next(RELEASE.match(line) for line in headings("##")[1:])
    assert newest is not None and ".".join(newest.groups()[:3]) == project
