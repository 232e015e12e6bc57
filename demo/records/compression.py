"""Gzip as AWS delivers log objects, made reproducible."""

from __future__ import annotations

import gzip


def gzip_bytes(body: bytes, level: int = 6) -> bytes:
    # mtime=0 keeps the output byte-identical for the same input (deterministic demo files).
    return gzip.compress(body, compresslevel=level, mtime=0)
