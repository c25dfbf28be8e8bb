"""Lengths as Telegram counts them (UTF-16 units, UTF-8 bytes for callback data)."""

from bot.telegram.limits import callback_data_fits
from bot.utf16 import shorten, utf16_len, utf16_prefix


def test_an_emoji_counts_two_units_and_a_chinese_character_one() -> None:
    assert utf16_len("👤") == 2
    assert utf16_len("王") == 1
    assert utf16_len("👤 王秀英") == 6


def test_a_prefix_never_cuts_an_emoji_in_two() -> None:
    assert utf16_prefix("ab👤c", 3) == "ab"
    assert utf16_prefix("ab👤c", 4) == "ab👤"
    assert utf16_prefix("abc", 10) == "abc"


def test_shorten_keeps_short_texts_and_ends_long_ones_with_an_ellipsis() -> None:
    assert shorten("原因", 10) == "原因"
    cut = shorten("🏘" * 100, 11)
    assert cut.endswith("…") and utf16_len(cut) <= 11


def test_callback_data_is_counted_in_utf8_bytes() -> None:
    assert callback_data_fits("x" * 64)
    assert not callback_data_fits("村" * 22)  # 66 bytes
