"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
GOLDEN = PROJECT / "tests" / "golden"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (public samples and AWS docs); tests that need it skip where it is absent."""
    if not (SHARED / "samples").is_dir():
        pytest.skip(f"../shared/samples not found at {SHARED}: sample-based test skipped")
    return SHARED
