"""Source name -> normalizer function; each ``normalizers/<source>.py`` exports ``normalize``."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from normalizers.base import SOURCES, Normalizer


class _Registry(Mapping[str, Normalizer]):
    """Imports a source's module on first use, so a CLI run loads only what it needs."""

    def __getitem__(self, source: str) -> Normalizer:
        if source not in SOURCES:
            raise KeyError(source)
        module = importlib.import_module(f"normalizers.{source}")
        normalize: Normalizer = module.normalize
        return normalize

    def __iter__(self) -> Iterator[str]:
        return iter(SOURCES)

    def __len__(self) -> int:
        return len(SOURCES)


NORMALIZERS: Mapping[str, Normalizer] = _Registry()
