"""Record values made safe to show on one line: nothing a record says can draw the analyst's view.

A value taken from a record (a finding title, a user name, a user agent) is attacker-controlled.
Shown as it is, a newline forges a line of the product's own ("Alert id: ...", "Investigate:
https://evil"), a terminal escape (ANSI CSI, OSC 8 hyperlink) rewrites or links the screen, and a
bidi override (U+202E) reverses what the reader sees. :func:`one_line` replaces every such character
with a visible escape (``\\n``, ``\\x1b``, ``\\u202e``), so the attempt stays visible, and caps the
length, so one huge value cannot push the real lines out of a message.

It knows no output format: Markdown and HTML escape its result further (``investigation.render``).
No imports beyond the standard library, so every package on this layer may use it
(``detections.notify`` does).
"""

from __future__ import annotations

import unicodedata

MAX_CHARS = 1000
"""Longest value shown; the rest is replaced by a count of the characters left out."""

_UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))
"""Controls (C0, DEL, C1 including U+0085), format characters (bidi embeddings, overrides and
isolates, zero-width characters), line and paragraph separators, lone surrogates."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(value: object, limit: int = MAX_CHARS) -> str:
    """``value`` as text with no control, format or line-breaking character, at most ``limit`` long."""
    text = str(value)
    cut = len(text) - limit
    if cut > 0:
        text = text[:limit]
    if not text.isprintable():  # the fast path: isprintable() is False for every unsafe category
        text = "".join(_escaped(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text)
    return f"{text} [... {cut} more characters]" if cut > 0 else text


def _escaped(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
