"""The order people look households up in: by group (组), then by the pinyin of the head's name.

A contact person with 60 households finds 张桂英 between 赵 and 周, as in a paper register,
not among Unicode code points (何、储、刘…). Groups sort by their number, whether written
3组, 三组 or 第十二组; a group without a number comes after the numbered ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Protocol, TypeVar

from pypinyin import Style, lazy_pinyin

CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
CHINESE_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = re.compile(r"\d+|[〇零一二两三四五六七八九十百]+")
UNNUMBERED = 10**6  # a group such as 街道 sorts after every numbered group


class Named(Protocol):
    head_name: str
    group_name: str


N = TypeVar("N", bound=Named)


def _chinese_number(text: str) -> int:
    """三 → 3, 十二 → 12, 二十 → 20, 一百零五 → 105."""
    total, digit = 0, 0
    for char in text:
        if char == "百":
            total += (digit or 1) * 100
            digit = 0
        elif char == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = CHINESE_DIGITS[char]
    return total + digit


def group_number(group_name: str) -> int:
    """The number of a group (组) as written in the roster; UNNUMBERED when it has none."""
    found = _NUMBER.search(group_name or "")
    if found is None:
        return UNNUMBERED
    number = found.group()
    return int(number) if number.isdigit() else _chinese_number(number)


@functools.lru_cache(maxsize=1 << 16)
def pinyin_key(name: str) -> str:
    """A name as it sorts by pinyin: zhang1 gui4 ying1 (tones break ties between syllables).
    Cached: the same names are sorted again with every list (bench/ordering.py)."""
    return " ".join(lazy_pinyin(name, style=Style.TONE3, errors="default"))


def household_key(household: Named) -> tuple[int, str, str, str]:
    """Group number, group name, the head's name in pinyin, then the name itself."""
    return _register_key(household.group_name or "", household.head_name)


@functools.lru_cache(maxsize=1 << 16)
def _register_key(group: str, head_name: str) -> tuple[int, str, str, str]:
    # Cached as pinyin_key is: a list sorts the same households again at every press.
    return (group_number(group), group, pinyin_key(head_name), head_name)


def by_group_and_pinyin(households: Iterable[N]) -> list[N]:
    """The households in register order."""
    return sorted(households, key=household_key)


def person_key(name: str | None) -> tuple[int, str, str]:
    """Contact persons by the pinyin of their names; nobody (no contact person) comes last."""
    if name is None:
        return (1, "", "")
    return (0, pinyin_key(name), name)
