"""Flow lines with no header line, and the format they are read in (docs/sources/vpcflow.md,
"Flow lines without a header").

Flow logs delivered to S3 start with a header line naming their fields. Flow logs published
to Firehose, or to CloudWatch Logs and forwarded by a subscription filter, carry no header:
the format (the flow log's ``LogFormat``) must come from configuration, ``VPC_FLOW_FORMATS``,
a JSON object ``{"<log group or S3 key prefix>": "<format>"}`` whose formats are written as
AWS writes them (``${version} ${account-id} ...``) or as a header line (``version
account-id ...``). Which format a line is read in:

1. the configured format whose key is the longest prefix of the CloudWatch Logs log group
   (for a line from a subscription payload);
2. else the configured format whose key is the longest prefix of the object's S3 key;
3. else the default format (version 2, 14 fields), but only for a line of 14 fields: a line
   of another shape is not guessed at (an object is not recognized; a line of a payload is
   dead-lettered with the reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from normalizers.base import Origin
from normalizers.object_key import object_key
from normalizers.vpcflow.tables import KNOWN_FIELDS, V2_FIELDS

CONFIGURATION = "VPC_FLOW_FORMATS"
"""The environment variable (and ``siem`` option) holding the formats."""

DEFAULT_HEADER = " ".join(V2_FIELDS).encode("ascii")
"""The default format's fields, as a header line."""

_PLACEHOLDER = re.compile(r"\$\{([a-z0-9-]+)\}\Z")
_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")

# A line of the default format (version 2): the version, a 12-digit account (or "unknown" as
# NAT gateway flows write it, or "-"), ten fields, the action and the log status, separated
# by spaces (one or more, as the text reader reads them).
_DEFAULT_LINE = re.compile(
    rb"\A[0-9]+ +(?:[0-9]{12}|unknown|-)(?: +[^ \r\n]+){10} +(?:ACCEPT|REJECT|-) +(?:OK|NODATA|SKIPDATA)\r?(?:\n|\Z)"
)


class FormatError(ValueError):
    """The configuration is not a mapping of keys to flow log formats."""


def parse_format(text: str) -> str:
    """A format (``${version} ${srcaddr}`` or ``version srcaddr``) as a header line of its
    field names; :class:`FormatError` when it names no flow log field or repeats one."""
    names = []
    for token in text.split():
        placeholder = _PLACEHOLDER.match(token)
        name = placeholder.group(1) if placeholder else token
        if not _NAME.match(name) or name not in KNOWN_FIELDS:
            raise FormatError(f"{token!r} is not a VPC flow log field")
        names.append(name)
    if not names:
        raise FormatError("an empty format")
    if len(set(names)) != len(names):
        raise FormatError(f"a field named twice in {text!r}")
    return " ".join(names)


def parse_formats(value: str | Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The configuration (JSON text or a mapping) as ``(key, header line)`` pairs for
    :attr:`~normalizers.base.Origin.flow_formats`; :class:`FormatError` says what is wrong."""
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as error:
            raise FormatError(f"{CONFIGURATION} is not JSON: {error}") from None
    if not isinstance(value, Mapping):
        raise FormatError(
            f'{CONFIGURATION} must be a JSON object {{"<log group or key prefix>": "<format>"}}'
        )
    pairs = []
    for key, text in value.items():
        if not isinstance(key, str) or not key or not isinstance(text, str):
            raise FormatError(
                f"{CONFIGURATION}: {key!r} must name a log group or key prefix and map to a format"
            )
        try:
            pairs.append((key, parse_format(text)))
        except FormatError as error:
            raise FormatError(f"{CONFIGURATION}[{key!r}]: {error}") from None
    return tuple(sorted(pairs))


@lru_cache(maxsize=64)
def _by_length(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, bytes], ...]:
    return tuple((key, header.encode("ascii")) for key, header in sorted(pairs, key=lambda p: -len(p[0])))


def configured_header(origin: Origin | None, log_group: str | None = None) -> bytes | None:
    """The configured format for a line of ``log_group`` (if any) in ``origin``'s object, as a
    header line; ``None`` when nothing is configured for either."""
    if origin is None or not origin.flow_formats:
        return None
    formats = _by_length(origin.flow_formats)
    for name in (log_group, object_key(origin.object)):
        if name:
            for key, header in formats:
                if name.startswith(key):
                    return header
    return None


def is_default_line(first: bytes) -> bool:
    """The text starts with a flow record in the default format (14 fields of its shapes)."""
    return _DEFAULT_LINE.match(first) is not None


def headerless(first: bytes, origin: Origin | None) -> bool:
    """:attr:`~normalizers.spec.Recognition.text_record` of flow logs: a text object with no
    header whose key has a configured format, or whose first line is in the default format."""
    return configured_header(origin) is not None or is_default_line(first)


def header_for(first_line: bytes, origin: Origin | None) -> bytes | None:
    """The header a text flow log is read with when its first line is a record, not a header:
    the format configured for its key, else the default one for a line of its shape. ``None``
    when the first line is read as the header (a header line, or nothing fits)."""
    if _is_header(first_line):
        return None
    return configured_header(origin) or (DEFAULT_HEADER if is_default_line(first_line) else None)


def _is_header(line: bytes) -> bool:
    names = line.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r").split(b" ")
    return all(re.fullmatch(rb"[a-z][a-z0-9-]*", name) for name in names) and any(
        name.decode() in KNOWN_FIELDS for name in names
    )
