"""The first line of a text flow log: the names of its fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from normalizers.vpcflow.tables import KNOWN_FIELDS, TGW_MARKERS

INVALID_HEADER = "invalid header"
"""The dead-letter reason of a text object whose first line names no flow log fields."""

_HEADER_TOKEN = re.compile(r"[a-z][a-z0-9-]*\Z")


@dataclass(frozen=True, slots=True)
class Header:
    names: list[str]
    raw: bytes
    tgw: bool


def parse_header(line: bytes) -> Header | str:
    """The field names of a text flow log, or why the first line is not a header."""
    text = line.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r").decode("ascii", "replace")
    names = text.split(" ")
    if not text:
        return "empty first line"
    if not all(_HEADER_TOKEN.match(name) for name in names):
        return f"not a list of field names: {text[:200]!r}"
    if len(set(names)) != len(names):
        return f"duplicate field names: {text[:200]!r}"
    if not KNOWN_FIELDS.intersection(names):
        return f"no VPC flow log field: {text[:200]!r}"
    tgw = any(name.startswith(TGW_MARKERS) for name in names)
    return Header(names, line.rstrip(b"\r"), tgw)
