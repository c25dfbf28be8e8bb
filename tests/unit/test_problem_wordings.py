"""Every problem is named as a problem (issue 9, point 2): the one table of wordings is read
in both languages, and none of them can be mistaken for "this guarantee is fine"."""

from __future__ import annotations

import pytest

from bot.domain.model import Guarantee
from bot.domain.problems import (
    ITEM_NAMES,
    PROBLEM_WORDINGS,
    item_name,
    official_problem_list,
    problem_list,
    problem_wording,
)
from bot.i18n import use_language

CHINESE = {
    Guarantee.FOOD: "吃饭无保障",
    Guarantee.CLOTHING: "穿衣无保障",
    Guarantee.EDUCATION: "义务教育无保障",
    Guarantee.MEDICAL: "基本医疗无保障",
    Guarantee.HOUSING: "住房安全无保障",
    Guarantee.WATER: "饮水安全无保障",
}


def test_every_guarantee_has_a_problem_wording_and_an_item_name() -> None:
    assert set(PROBLEM_WORDINGS) == set(Guarantee) == set(ITEM_NAMES)


@pytest.mark.parametrize("guarantee", list(Guarantee))
def test_each_problem_wording_reads_as_a_problem_in_chinese_and_english(
    guarantee: Guarantee,
) -> None:
    with use_language("zh"):
        wording, label, item = problem_wording(guarantee), guarantee.label, item_name(guarantee)
        assert wording == CHINESE[guarantee]
        assert "有保障" not in wording and wording != label
        assert "有保障" not in item and "无" not in item  # the toggle adds the state beside it
    with use_language("en"):
        wording = problem_wording(guarantee)
        assert (" not " in wording) and wording != guarantee.label


def test_lists_are_joined_in_the_readers_language_and_the_forms_stay_chinese() -> None:
    keys = ["housing", "water"]
    with use_language("en"):
        assert problem_list(keys) == "Housing not safe, Drinking water not safe"
        assert official_problem_list(keys) == "住房安全无保障、饮水安全无保障"
    with use_language("zh"):
        assert problem_list(keys) == "住房安全无保障、饮水安全无保障"
