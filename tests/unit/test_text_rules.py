"""The one rule for text coming in: every character Python's splitlines() breaks a line at is
one line break, kept as `\n` in texts of several lines and folded into a space in one-line
values; control characters are refused. Decided once, so stored text is the same on both
engines and every renderer (split between lines, previews on one line) sees one kind."""

from __future__ import annotations

import sys

import pytest

from bot.domain.text_rules import clean_text, control_character, normalise_line_breaks
from bot.domain.validation import InvalidValue

LINE_BREAKS = [
    chr(code) for code in range(sys.maxunicode + 1) if len(f"a{chr(code)}b".splitlines()) == 2
]


def test_the_line_breaks_are_exactly_those_splitlines_knows() -> None:
    assert "".join(LINE_BREAKS) == "\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize("brk", [*LINE_BREAKS, "\r\n"])
def test_every_line_break_is_one_line_feed_in_a_note_and_a_space_in_a_name(brk: str) -> None:
    assert control_character(f"房屋{brk}倒塌") is None
    assert normalise_line_breaks(f"房屋{brk}倒塌") == "房屋\n倒塌"
    assert clean_text(f"房屋{brk}倒塌{brk}", 100) == "房屋\n倒塌"
    assert clean_text(f"王{brk}德明", 100, one_line=True) == "王 德明"


@pytest.mark.parametrize("code", ["\x00", "\x1b", "\x1f", "\x7f", "\x84", "\x86", "\x9f", "\ud800"])
def test_control_characters_that_break_no_line_are_refused(code: str) -> None:
    assert control_character(f"房屋{code}倒塌") == f"U+{ord(code):04X}"
    with pytest.raises(InvalidValue):
        clean_text(f"房屋{code}倒塌", 100)
