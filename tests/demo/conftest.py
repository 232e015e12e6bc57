"""One demo incident written once per test session, shared by the demo tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from demo import Incident, write_incident


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-incident")


@pytest.fixture(scope="session")
def incident(demo_dir: Path) -> Incident:
    return write_incident(demo_dir)


def read_object(directory: Path, key: str) -> bytes:
    """The object's bytes, decompressed when gzip."""
    data = (directory / key).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
