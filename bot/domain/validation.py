"""Checks for the numbers people type into rosters and forms: ID numbers (身份证号), phone
numbers, member counts, incomes and risk types.

Plain Python. Each check returns the normalised value or raises `InvalidValue`, whose msgid
names the rule so a clerk can fix the cell.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from bot.errors import ReadableError
from bot.i18n import N_

# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
ID_SHAPE = re.compile(r"\d{17}[\dX]")

MOBILE = re.compile(r"1[3-9]\d{9}")
# Area codes: 010 and 02x have three digits, every other one four (0564 is 六安).
LANDLINE_WITH_DASH = re.compile(r"(0\d{2,3})-(\d{7,8})")
LANDLINE_PLAIN = re.compile(r"(01\d|02\d|0[3-9]\d{2})(\d{7,8})")
PHONE_NOISE = re.compile(r"[\s()（）]")

RISK_SEPARATORS = re.compile(r"[、,，;；/\s]+")


class InvalidValue(ReadableError, ValueError):
    """A value broke a rule. `msgid` (with `params`) says which, in words a clerk can act on."""


def id_check_character(first_17_digits: str) -> str:
    """The 18th character of an ID number whose first 17 digits are given."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, ID_WEIGHTS, strict=True)
    )
    return ID_CHECK_CHARACTERS[total % 11]


def normalise_id_number(value: str) -> str:
    """An 18-character ID number (身份证号) with upper-case X, checked per GB 11643-1999."""
    text = re.sub(r"\s", "", value).upper()
    if len(text) != 18:
        raise InvalidValue(
            N_("An ID number has 18 characters; this one has {length}."), length=len(text)
        )
    if not ID_SHAPE.fullmatch(text):
        raise InvalidValue(
            N_("An ID number is 17 digits followed by a digit or X; this one has other characters.")
        )
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidValue(
            N_("The birth date in this ID number ({birth}) is not a real date."), birth=text[6:14]
        ) from None
    if id_check_character(text[:17]) != text[17]:
        raise InvalidValue(
            N_(
                "This ID number's last character does not match the others (check digit): "
                "please compare every digit with the ID card."
            )
        )
    return text


def normalise_phone(value: str) -> str:
    """A mobile number `13912345678`, or a landline `0564-1234567`."""
    text = PHONE_NOISE.sub("", value).replace("－", "-").replace("—", "-")
    if text.startswith("+86"):
        text = text[3:].lstrip("-")
    elif text.startswith("0086"):
        text = text[4:].lstrip("-")
    if MOBILE.fullmatch(text.replace("-", "")):
        return text.replace("-", "")
    landline = LANDLINE_WITH_DASH.fullmatch(text) or LANDLINE_PLAIN.fullmatch(text)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    raise InvalidValue(
        N_(
            "{value} is not a phone number. Use a mobile number (11 digits starting with 1) "
            "or a landline with its area code, like 0564-1234567."
        ),
        value=value,
    )


def phone_digits(phone: str | None) -> str:
    """Only the digits: two spellings of one number compare equal."""
    return "".join(ch for ch in phone or "" if ch.isdigit())


MAX_MEMBERS = 99  # far above any household, far below the database's integer


def parse_members(value: str) -> int:
    """The number of family members (家庭人口数): a whole number from 1 to `MAX_MEMBERS`."""
    text = value.strip().removesuffix("人")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(-1)
    if (
        not number.is_finite()
        or number != number.to_integral_value()
        or not 1 <= number <= MAX_MEMBERS
    ):
        raise InvalidValue(
            N_(
                "The number of family members must be a whole number from 1 to {most}, not {value}."
            ),
            value=value,
            most=MAX_MEMBERS,
        )
    return int(number)


MAX_INCOME = Decimal(1_000_000)  # yuan per person a year: anything above is a typing slip


def parse_income(value: str) -> Decimal:
    """Yearly income per person in yuan (年人均纯收入), as typed in a roster or a chat: "5200",
    "5,200", "5200元", "５２００.５". 0 or more, below MAX_INCOME, kept to the fen."""
    text = re.sub(r"[\s,，元]|yuan", "", unicodedata.normalize("NFKC", value).lower())
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or not Decimal(0) <= number < MAX_INCOME:
        raise InvalidValue(
            N_("The income must be an amount in yuan, 0 or more, not {value}."), value=value
        )
    return number.quantize(Decimal("0.01"))


# National risk-type codes (风险类型) and the names stored; 02xx are the kinds of disaster.
RISK_TYPE_BY_CODE: dict[str, str] = {
    "01": "因病",
    "02": "因灾",
    "03": "因残",
    "04": "缺劳动力",
    "05": "因意外事故",
    "06": "因产业失败",
    "07": "因务工就业不稳",
    "09": "因学",
    "99": "其他",
}
COVID_RISK = "受新冠疫情影响"  # added by the 2020 notice; it has no national code
RISK_TYPES: tuple[str, ...] = (*RISK_TYPE_BY_CODE.values(), COVID_RISK)
# Other spellings seen in rosters, and the kinds of disaster (02xx), mapped to stored names.
RISK_TYPE_SYNONYMS: dict[str, str] = {
    "病": "因病",
    "大病": "因病",
    "残": "因残",
    "残疾": "因残",
    "学": "因学",
    "上学": "因学",
    "灾": "因灾",
    "灾害": "因灾",
    "自然灾害": "因灾",
    "洪涝": "因灾",
    "地质灾害": "因灾",
    "旱灾": "因灾",
    "气象灾害": "因灾",
    "地震": "因灾",
    "缺劳力": "缺劳动力",
    "缺乏劳动力": "缺劳动力",
    "意外事故": "因意外事故",
    "因意外": "因意外事故",
    "意外": "因意外事故",
    "产业失败": "因产业失败",
    "因产业": "因产业失败",
    "务工就业不稳": "因务工就业不稳",
    "就业不稳": "因务工就业不稳",
    "其它": "其他",
    "新冠疫情": COVID_RISK,
    "疫情": COVID_RISK,
    "受疫情影响": COVID_RISK,
    "新冠肺炎疫情影响": COVID_RISK,
}


def normalise_risk_type(value: str) -> str:
    """One risk type, given by name, code or a common spelling, as its stored name."""
    text = value.strip()
    if text in RISK_TYPES:
        return text
    if text.isdigit():
        code = text.zfill(2)
        if code.startswith("02"):  # 02xx: a kind of disaster
            code = "02"
        if code in RISK_TYPE_BY_CODE:
            return RISK_TYPE_BY_CODE[code]
    for suffix in ("致贫", "返贫"):
        text = text.removesuffix(suffix)
    if text in RISK_TYPES:
        return text
    if text in RISK_TYPE_SYNONYMS:
        return RISK_TYPE_SYNONYMS[text]
    raise InvalidValue(
        N_("Unknown risk type {value}. Use one of: {allowed}."),
        value=value.strip(),
        allowed=allowed_risk_types(),
    )


def normalise_risk_types(value: str) -> list[str]:
    """Several risk types separated by 、 , ， ; or spaces; each once, in the order given."""
    found: list[str] = []
    unknown: list[str] = []
    for part in RISK_SEPARATORS.split(value.strip()):
        if not part:
            continue
        try:
            name = normalise_risk_type(part)
        except InvalidValue:
            unknown.append(part)
            continue
        if name not in found:
            found.append(name)
    if unknown:
        raise InvalidValue(
            N_("Unknown risk type {value}. Use one of: {allowed}."),
            value="、".join(unknown),
            allowed=allowed_risk_types(),
        )
    return found


def allowed_risk_types() -> str:
    """The accepted names with their codes, as a clerk would read them in a message."""
    coded = [f"{name}({code})" for code, name in RISK_TYPE_BY_CODE.items()]
    return "、".join([*coded, COVID_RISK])


# 低保/特困/残疾: whether the household receives the rural minimum living allowance (低保),
# is supported as extremely poor (特困, formerly 五保), or has a disabled member (残疾).
SOCIAL_SUPPORT: tuple[str, ...] = ("低保", "特困", "残疾")
SOCIAL_SUPPORT_SYNONYMS: dict[str, str] = {
    "低保户": "低保",
    "农村低保": "低保",
    "五保": "特困",
    "五保户": "特困",
    "特困户": "特困",
    "特困供养": "特困",
    "特困人员": "特困",
    "残疾人": "残疾",
    "残疾户": "残疾",
    "残疾人户": "残疾",
}
NOTHING = frozenset({"无", "否", "没有", "-", "—"})


def normalise_social_support(value: str) -> str | None:
    """低保/特困/残疾 as a roster gives it ("低保、残疾", "五保户", "无"): the ones that apply,
    in that order, 、-separated; None for none."""
    found: set[str] = set()
    unknown: list[str] = []
    for part in RISK_SEPARATORS.split(unicodedata.normalize("NFKC", value).strip()):
        if not part or part in NOTHING:
            continue
        name = part if part in SOCIAL_SUPPORT else SOCIAL_SUPPORT_SYNONYMS.get(part)
        if name is None:
            unknown.append(part)
        else:
            found.add(name)
    if unknown:
        raise InvalidValue(
            N_("Unknown entry {value}. Write 低保, 特困 or 残疾 (several separated by 、), or 无."),
            value="、".join(unknown),
        )
    return "、".join(name for name in SOCIAL_SUPPORT if name in found) or None


FIRST_EXIT_YEAR = 2013  # 精准扶贫: households were registered from 2014, the earliest lifted then


def parse_exit_year(value: str, this_year: int) -> int:
    """脱贫年度, the year the household was lifted out of poverty: "2018" or "2018年"."""
    text = unicodedata.normalize("NFKC", value).strip().removesuffix("年").strip()
    if not (text.isdigit() and FIRST_EXIT_YEAR <= int(text) <= this_year):
        raise InvalidValue(
            N_(
                "The year lifted out of poverty must be a year from {first} to {last}, not {value}."
            ),
            first=FIRST_EXIT_YEAR,
            last=this_year,
            value=value,
        )
    return int(text)
