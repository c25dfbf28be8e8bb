"""The one date parser: every way a contact person types a day on a phone; and months."""

from __future__ import annotations

from datetime import date

import pytest

from bot.clock import Month
from bot.core.dates import parse_day, parse_month
from bot.errors import InvalidInput
from bot.i18n import use_language

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    "typed",
    [
        "2026-03-05",
        "2026/3/5",
        "2026.3.5",
        "3-5",
        "3/5",
        "3.5",
        "3月5日",
        "3月5号",
        "2026年3月5日",
        " 2026 年 3 月 5 日 ",
        "5日",
        "5号",
        "２０２６／３／５",  # full-width, as some Chinese keyboards type it
        "３月５日",
    ],
)
def test_contact_person_types_the_fifth_of_march_in_any_common_way(typed: str) -> None:
    assert parse_day(typed, TODAY) == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("今天", TODAY), ("昨天", date(2026, 3, 9)), ("yesterday", date(2026, 3, 9))],
)
def test_words_for_today_and_yesterday_are_understood(typed: str, meant: date) -> None:
    assert parse_day(typed, TODAY) == meant


def test_a_december_day_typed_in_january_means_last_december() -> None:
    assert parse_day("12-30", date(2026, 1, 5)) == date(2025, 12, 30)


def test_a_later_day_this_month_stays_in_this_year_so_the_caller_can_refuse_it() -> None:
    assert parse_day("3-15", TODAY) == date(2026, 3, 15)


@pytest.mark.parametrize("typed", ["hello", "", "3", "2026-3", "三月五日", "3-5-7-9"])
def test_unreadable_text_is_refused_with_the_accepted_formats(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught, use_language("en"):
        parse_day(typed, TODAY)
    with use_language("en"):
        assert "3月5日" in caught.value.render()
        assert "2026-03-05" in caught.value.render()


@pytest.mark.parametrize(
    "typed", ["2026-02-30", "2-30", "13/1", "32日", "0001-03-05", "9999-12-31"]
)
def test_a_day_that_does_not_exist_is_refused_by_name(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught, use_language("en"):
        parse_day(typed, TODAY)
    with use_language("en"):
        assert "no such day" in caught.value.render()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-02", Month(2026, 2)),
        (" 2026-3 ", Month(2026, 3)),
        ("２０２６-０２", Month(2026, 2)),
        ("2026年3月", Month(2026, 3)),
        ("2025年 12 月", Month(2025, 12)),
        ("2026.3", Month(2026, 3)),
        ("2026/03", Month(2026, 3)),
        ("2026年03月份", Month(2026, 3)),
        ("3月", Month(TODAY.year, 3)),
        ("１２月份", Month(TODAY.year, 12)),
    ],
)
def test_a_month_is_read_as_people_write_it(typed: str, meant: Month) -> None:
    assert parse_month(typed, TODAY) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "0001-01",
        "1-1",
        "0000-05",
        "10000-01",
        "1999-12",
        "2100-01",
        "2026-13",
        "2026-0",
        "26-03",
        "2026年13月",
        "13月",
        "0月",
        "1999年12月",
        "2100.1",
        "三月",
        "二月",
        "",
    ],
)
def test_an_impossible_month_is_refused_with_the_format_and_the_range(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_month(typed, TODAY)
    with use_language("en"):
        assert caught.value.render() == (
            "Write the month as YYYY-MM (2026年3月, 2026.3 and 3月 work too), from 2000-01 to "
            "2099-12, for example 2026-02."
        )
    with pytest.raises(ValueError):
        Month.parse(typed)
