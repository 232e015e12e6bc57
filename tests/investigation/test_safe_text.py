"""one_line: what a record value may not carry into a message or a report, by Unicode category."""

from __future__ import annotations

import pytest

from investigation.safe_text import one_line


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x00\x07\x1b[31m\x7f", "\\x00\\x07\\x1b[31m\\x7f"),  # C0, DEL
        ("\x85\x9b2J", "\\x85\\x9b2J"),  # C1: NEL, 8-bit CSI
        ("\u2028\u2029", "\\u2028\\u2029"),  # line and paragraph separators
        ("\u202agnp\u202e\u2066\u2069\u200f\u061c", "\\u202agnp\\u202e\\u2066\\u2069\\u200f\\u061c"),  # bidi
        ("a\u200bb\ufeff", "a\\u200bb\\ufeff"),  # zero-width space, BOM
        ("tag\U000e0041", "tag\\U000e0041"),  # tag characters (invisible)
        ("\ud800", "\\ud800"),  # a lone surrogate (SNS could not even encode it)
    ],
)
def test_unsafe_characters_are_shown_escaped(value: str, shown: str) -> None:
    assert one_line(value) == shown


def test_printable_text_is_kept_as_it_is() -> None:
    text = "Ünïcødé 東京 \u00a0nbsp 🙂 arn:aws:iam::111122223333:user/a\\b"
    assert one_line(text) == text
    assert one_line(42) == "42"


def test_a_long_value_is_cut_with_the_count_of_what_was_left_out() -> None:
    assert one_line("x" * 12, limit=10) == "xxxxxxxxxx [... 2 more characters]"
    assert one_line("\n" * 12, limit=10) == "\\n" * 10 + " [... 2 more characters]"
    assert one_line("x" * 10, limit=10) == "x" * 10
