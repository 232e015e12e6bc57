"""Credential material CloudTrail records carry, replaced by a marker before anything is built.

CloudTrail logs the session token STS returns (``AssumeRole``, ``GetSessionToken``,
``GetFederationToken``: ``responseElements.credentials.sessionToken``) and some services log
passwords in request parameters (``CreateLoginProfile``/``UpdateLoginProfile``: ``password``;
``ChangePassword``: ``oldPassword``, ``newPassword``; RDS and Redshift:
``masterUserPassword``). A SIEM must not become the place where those are searchable: every
value under a key named ``sessionToken`` or ``secretAccessKey``, or ending in ``password``
(any case, at any depth) becomes :data:`REDACTED`, in the document and in ``event.original``.
Dead letters keep the record's bytes as they were, to be replayable (docs/schema.md).
"""

from __future__ import annotations

import json
from typing import Any

from stringzilla import find_first_of
from stringzilla import rfind as _rfind

REDACTED = "[redacted]"
_SECRET_NAMES = frozenset({"sessiontoken", "secretaccesskey"})
_SECRET_KEY_ENDS = (b'password"', b'sessiontoken"', b'secretaccesskey"')
"""How a secret key's name ends in a record's bytes, lower-cased."""
_ESCAPED_KEY_ENDS = (b'password\\"', b'sessiontoken\\"', b'secretaccesskey\\"')
"""The same in JSON text held in a string (an SNS notification's ``Message``): quotes escaped."""
_KELVIN_SIGN = "\u212a".encode()
SECRET_MARKERS = _SECRET_KEY_ENDS
"""What the stream splitter looks for in each read, once, rather than :func:`_may_hold_secret`
in each record's bytes: the records none of them starts within are handed to
:func:`without_screened_credentials` (normalizers.framing.json_stream: screen). A search of a
whole read costs about what the searches of its records do, without their calls and their
copies of the record lower-cased."""


HIDING_BYTES = b"\\\xe2"
"""The first byte of each spelling of a secret key's name that a search of the lower-cased
bytes misses (:func:`_may_hide_secret`): a JSON escape's backslash and the KELVIN SIGN's
first byte. Most records hold neither, which one search for either tells
(:func:`without_screened_credentials`, the screened mapper of
normalizers.cloudtrail.normalize)."""


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_NAMES or lowered.endswith("password")


def redacted(value: Any) -> Any:
    """``value`` with every secret replaced; containers holding none are returned as they are.

    Only containers are walked into: a leaf holds no key. ``isinstance`` with a tuple of
    types, never ``dict | list``, which builds a union object at each test."""
    if isinstance(value, dict):
        out: dict[str, Any] | None = None
        for key, item in value.items():
            if item is None:
                continue  # a null secret stays null, and there is nothing under it
            if key in _PLAIN_KEYS:
                if not isinstance(item, _CONTAINERS):
                    continue  # a leaf under a plain key: nothing to walk, nothing to hide
                new = redacted(item)
            elif is_secret(key):
                new = REDACTED
            else:
                _remember_plain(key)
                if not isinstance(item, _CONTAINERS):
                    continue
                new = redacted(item)
            if new is not item:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        changed: list[Any] | None = None
        for index, item in enumerate(value):
            if isinstance(item, _CONTAINERS):
                new = redacted(item)
                if new is not item:
                    if changed is None:
                        changed = list(value)
                    changed[index] = new
        return value if changed is None else changed
    return value


def redacted_with_texts(value: Any) -> Any:
    """:func:`redacted`, and inside the strings that hold JSON too: Amazon Security Lake's
    OCSF rows keep CloudTrail's ``requestParameters``, ``responseElements`` and
    ``additionalEventData`` as text (``api.request.data``, ``unmapped``), and such a row is
    the ``event.original`` of its document. A text is rewritten only when one of its pairs is
    a secret; one too deep to read that may hold one is replaced whole."""
    if isinstance(value, dict):
        out: dict[str, Any] | None = None
        for key, item in value.items():
            if item is None:
                continue
            new = REDACTED if is_secret(key) else redacted_with_texts(item)
            if new is not item:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        # An entry of a Parquet map (OCSF 1.1's ``unmapped``), its key flattened with dots:
        # ``("requestParameters.password", "...")``.
        key, item = value
        if item is not None and is_secret(key.rsplit(".", 1)[-1]):
            return (key, REDACTED)
        new = redacted_with_texts(item)
        return value if new is item else (key, new)
    if isinstance(value, list | tuple):
        changed = [redacted_with_texts(item) for item in value]
        return value if all(new is old for new, old in zip(changed, value, strict=True)) else changed
    if isinstance(value, str) and value[:1] in ("{", "["):
        return _redacted_text(value)
    return value


def _redacted_text(text: str) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    if not _may_hold_secret(raw):
        return text
    try:
        rewritten = _redacted_json(raw)
    except RecursionError:  # deeper than the parser reads: it may hold a secret
        return REDACTED
    except ValueError:  # not JSON after all: no key to hide a secret under
        return text
    return text if rewritten is None else rewritten.decode("utf-8", "surrogatepass")


_CONTAINERS = (dict, list)
_PLAIN_KEYS: set[str] = set()
"""Key names found not secret: a record that may hold a secret (AssumeRole's, most often) is
walked key by key, and its forty-odd names are those of the records before it."""
MAX_PLAIN_KEYS = 4096
MAX_PLAIN_KEY = 64
"""Longer names are not kept, so the set holds some hundreds of kilobytes at most."""


def _remember_plain(key: str) -> None:
    if len(key) <= MAX_PLAIN_KEY:
        if len(_PLAIN_KEYS) >= MAX_PLAIN_KEYS:
            _PLAIN_KEYS.clear()
        _PLAIN_KEYS.add(key)


def without_credentials(record: dict[str, Any], raw: bytes, keep_raw: bool) -> tuple[dict[str, Any], bytes]:
    """The record with its secrets replaced (the same object when it has none), and its raw
    bytes likewise when they are kept (``event.original``); else ``raw`` as it is."""
    if not _may_hold_secret(raw):
        return record, raw
    clean = redacted(record)
    if not keep_raw:
        return clean, raw
    # The raw bytes are read again, pair by pair, even when the parsed record holds no secret:
    # a key given twice (``{"password":"hunter2","password":null}``) parses as its last value,
    # while the bytes keep both.
    rewritten = _redacted_json(raw)
    return clean, raw if rewritten is None else rewritten


def without_screened_credentials(
    record: dict[str, Any], raw: bytes, keep_raw: bool
) -> tuple[dict[str, Any], bytes]:
    """:func:`without_credentials` of a record whose bytes the splitter found none of
    :data:`SECRET_MARKERS` in: only a key its screen cannot see is left to look for."""
    if find_first_of(raw, HIDING_BYTES) < 0 or not _may_hide_secret(raw):  # most records: neither byte
        return record, raw
    return without_credentials(record, raw, keep_raw)


def _may_hide_secret(raw: bytes) -> bool:
    """Whether a secret key's name may be spelled so that a search of the lower-cased bytes
    misses it: with JSON escapes (``\\u0070assword``; the escaped quotes of JSON text held in a
    string, such as an SNS notification's ``Message``), or a KELVIN SIGN. Searched in each
    record, not in each read with :data:`SECRET_MARKERS`: one search of a record's bytes for
    either :data:`HIDING_BYTES` (a backslash, the sign's first byte), made before the call (in
    without_screened_credentials and in the screened mapper of normalizers.cloudtrail.normalize),
    tells that most records hold neither, where a search of a read for ``\\u`` or the sign
    costs as much as one for a name. A spelling that needs another byte must be added there."""
    find = raw.find
    if find(b"\\") >= 0:
        if find(b"\\u") >= 0:
            return True
        if find(b'\\"') >= 0:  # JSON text in a string: its keys' quotes are escaped
            escaped, lowered = _ESCAPED_KEY_ENDS, raw.lower().rfind
            if lowered(escaped[0]) >= 0 or lowered(escaped[1]) >= 0 or lowered(escaped[2]) >= 0:
                return True
    # The one character outside ASCII that str.lower (is_secret's) turns into an ASCII letter:
    # KELVIN SIGN, "k", which bytes.lower() leaves as it is ("sessionTo\u212aen").
    return find(b"\xe2") >= 0 and find(_KELVIN_SIGN) >= 0


def _may_hold_secret(raw: bytes) -> bool:
    """The fast path: a record none of whose keys can be secret is passed as it is, without a
    walk. A key written with JSON escapes (``\\u0070assword``) is not seen here: it walks too.
    A substring search of the lower-cased bytes, several times faster than a case-insensitive
    regex (which has no literal prefix to skip ahead with).

    ``bytes.find``, never ``in``: ``needle in raw`` first tries the needle as an integer (a
    byte's value) and builds and clears a ``TypeError`` for each search, which cost more than
    the search itself. A one-byte search is a memchr, several times faster than the longer one
    it spares (most records hold no backslash and no byte beyond ASCII at all)."""
    if _may_hide_secret(raw):
        return True
    # StringZilla's SIMD search (as the stream splitter's screen), not bytes.rfind: CPython's
    # tests a byte or two at a time, 0.6 us a name in a 2 kB record (the stratus samples'
    # AssumeRole: the three names 2.4 -> 0.85 us with the lower-casing, which takes 0.6).
    lowered = raw.lower()  # ASCII only, as the key names are
    ends = _SECRET_KEY_ENDS
    return _rfind(lowered, ends[0]) >= 0 or _rfind(lowered, ends[1]) >= 0 or _rfind(lowered, ends[2]) >= 0


def _redacted_json(raw: bytes) -> bytes | None:
    """``raw`` written again with every secret replaced, or ``None`` when none of its pairs is
    one (the bytes are kept as they are). Every pair is seen, those of a key given twice too,
    and those of JSON text held in a string (an SNS notification's ``Message``: the record).
    The standard parser: orjson would turn an integer beyond 64 bits into a float. Only records
    the pre-check lets through, when event.original is kept, come this way."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        obj: dict[str, Any] = {}
        for key, value in items:
            if value is not None and is_secret(key):
                value, found = REDACTED, True
            elif isinstance(value, str) and value[:1] in ("{", "["):
                text = _redacted_text(value)
                if text is not value:
                    value, found = text, True
            obj[key] = value
        return obj

    parsed = json.loads(raw, object_pairs_hook=pairs)
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode() if found else None
