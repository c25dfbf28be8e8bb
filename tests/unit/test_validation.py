"""The checks a clerk's typing goes through: ID numbers, phones, counts, incomes, risk types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.validation import (
    InvalidValue,
    id_check_character,
    normalise_id_number,
    normalise_phone,
    normalise_risk_types,
    parse_income,
    parse_members,
)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("11010519491231002X", "11010519491231002X"),  # the standard's own example
        ("11010519491231002x", "11010519491231002X"),
        ("440524188001010014", "440524188001010014"),
        (" 3415 2519 6803 152413 ", "341525196803152413"),
    ],
)
def test_a_well_formed_id_number_is_accepted_with_upper_case_x(typed: str, stored: str) -> None:
    assert normalise_id_number(typed) == stored


def test_the_check_character_follows_gb_11643() -> None:
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("44052418800101001") == "4"


@pytest.mark.parametrize(
    "typed, rule",
    [
        ("110105194912310021", "check digit"),  # one digit off: the check digit catches it
        ("11010519491231002", "18 characters"),
        ("1101051949123100211", "18 characters"),
        ("11010519491331002X", "birth date"),  # month 13
        ("1101051949123100AX", "17 digits"),
    ],
)
def test_a_mistyped_id_number_is_refused_with_the_rule_it_broke(typed: str, rule: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        normalise_id_number(typed)
    assert rule in refused.value.msgid
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("13905641268", "13905641268"),
        ("139 0564 1268", "13905641268"),
        ("139-0564-1268", "13905641268"),
        ("+86 13905641268", "13905641268"),
        ("0564-1234567", "0564-1234567"),
        ("05641234567", "0564-1234567"),
        ("(0564) 1234567", "0564-1234567"),
        ("01012345678", "010-12345678"),
        ("021-87654321", "021-87654321"),
    ],
)
def test_mobile_and_landline_numbers_are_written_one_way(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12905641268", "1390564126", "5641234567", "电话", "0564-12"])
def test_something_that_is_not_a_phone_number_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        normalise_phone(typed)
    assert refused.value.params == {"value": typed}
    assert "0564-1234567" in refused.value.render()


def test_family_members_must_be_a_whole_number_from_1_to_99() -> None:
    assert parse_members("4") == 4
    assert parse_members("3人") == 3
    assert parse_members("5.0") == 5
    assert parse_members("99") == 99
    for typed in ("0", "-2", "2.5", "三", "100", "99999999999999999999", "1e30", "NaN", "Infinity"):
        with pytest.raises(InvalidValue) as refused:
            parse_members(typed)
        assert "1 到 99 之间的整数" in refused.value.render()


def test_income_is_yuan_not_below_zero_kept_to_the_fen() -> None:
    assert parse_income("5,860") == Decimal("5860.00")
    assert parse_income("4200.456元") == Decimal("4200.46")
    assert parse_income("0") == Decimal("0.00")
    for typed in ("-1", "五千", "NaN"):
        with pytest.raises(InvalidValue):
            parse_income(typed)


def test_risk_types_are_read_by_name_or_national_code_and_stored_by_name() -> None:
    assert normalise_risk_types("因病、03, 因学，0201") == ["因病", "因残", "因学", "因灾"]
    assert normalise_risk_types("缺劳动力;7") == ["缺劳动力", "因务工就业不稳"]
    assert normalise_risk_types("因病致贫、01、受新冠疫情影响") == ["因病", "受新冠疫情影响"]
    assert normalise_risk_types("其它") == ["其他"]
    assert normalise_risk_types("") == []


def test_unknown_risk_types_are_all_named_with_the_allowed_ones() -> None:
    with pytest.raises(InvalidValue) as refused:
        normalise_risk_types("因病、因懒、08")
    assert refused.value.params["value"] == "因懒、08"
    assert "因残(03)" in refused.value.params["allowed"]
