"""My households, the household card and this month's progress, as a contact person sees them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.clock import FrozenClock
from bot.core.coverage.progress import progress_this_month
from bot.core.households.my_households import (
    OWN_MONITORED,
    OWN_MONITORED_CORE,
    household_card,
    list_households,
    mask_id_number,
)
from bot.core.households.ordering import by_group_and_pinyin, group_number
from bot.domain.model import Category, ContactChannel, Guarantee, Role
from bot.storage.uow import App
from tests.town_builder import TownBuilder

MARCH_5 = date(2026, 3, 5)


@pytest.fixture
def town(app: App) -> TownBuilder:
    return TownBuilder(app)


async def test_list_puts_uncontacted_first_then_red_flags_then_names(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    wang = await town.person("王建华")
    done = await town.household(village, "艾春花", wang)
    await town.contact(done, wang, MARCH_5)
    last_month = await town.household(village, "白玉珍", wang)
    await town.contact(last_month, wang, date(2026, 2, 27))
    withdrawn = await town.household(village, "曹德明", wang)
    await town.contact(withdrawn, wang, MARCH_5, status="withdrawn")
    flagged = await town.household(village, "钟长林", wang)
    await town.flag(flagged, "因病")
    closed_flag = await town.household(village, "邓志强", wang)
    await town.flag(closed_flag, "因灾", status="closed")

    page = await list_households(app, wang)

    # Names sort by pinyin (bai, cao, deng), as a register does.
    not_yet = ["白玉珍", "曹德明", "邓志强"]
    assert [line.head_name for line in page.lines] == ["钟长林", *not_yet, "艾春花"]
    assert [line.status_marks for line in page.lines] == ["⏳🚩", "⏳", "⏳", "⏳", "✅"]
    assert page.lines[0].village_name == "河口村"


async def test_twelve_households_make_two_pages_and_only_ones_own_are_listed(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    wang = await town.person("王建华")
    li = await town.person("李红梅")
    for _ in range(12):
        await town.household(village, contact=wang)
    await town.household(village, "别人家", li)
    await town.household(village, "已销号", wang, status="risk_removed")

    first = await list_households(app, wang)
    second = await list_households(app, wang, page=1)
    beyond = await list_households(app, wang, page=7)

    assert (first.total, first.pages, len(first.lines)) == (12, 2, 10)
    assert not first.has_previous and first.has_next
    assert len(second.lines) == 2 and second.has_previous and not second.has_next
    assert beyond.page == 1, "a page past the end shows the last page"
    names = {line.head_name for line in first.lines + second.lines}
    assert "别人家" not in names and "已销号" not in names
    assert len({line.household_id for line in first.lines + second.lines}) == 12


async def test_search_finds_part_of_a_name_or_the_end_of_the_household_number(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    wang = await town.person("王建华")
    li = await town.person("李红梅")
    await town.household(village, "张桂英", wang, number="341523101000001234")
    await town.household(village, "张德明", wang)
    await town.household(village, "刘秀兰", wang)
    await town.household(village, "张别人", li)

    by_name = await list_households(app, wang, search=" 张 ")
    by_given_name = await list_households(app, wang, search="秀兰")
    by_number = await list_households(app, wang, search="1234")
    wildcard = await list_households(app, wang, search="%")

    assert [line.head_name for line in by_name.lines] == ["张德明", "张桂英"]
    assert by_name.search == "张"
    assert [line.head_name for line in by_given_name.lines] == ["刘秀兰"]
    assert [line.head_name for line in by_number.lines] == ["张桂英"]
    assert wildcard.total == 0, "a % typed by a person is a character, not a wildcard"


async def test_card_shows_masked_id_last_three_contacts_and_open_flags(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    wang = await town.person("王建华")
    household = await town.household(
        village,
        "张桂英",
        wang,
        group_name="3组",
        category=Category.LIFTED_MONITORED,
        id_number="341523195001011234",
        members=4,
        income=Decimal("4800"),
        income_measured_on=date(2025, 12, 31),
    )
    await town.contact(household, wang, date(2026, 1, 8), ContactChannel.PHONE)
    await town.contact(household, wang, date(2026, 2, 3), ContactChannel.WECHAT)
    await town.contact(household, wang, date(2026, 2, 20), ContactChannel.PHONE)
    await town.contact(household, wang, date(2026, 3, 9), status="withdrawn")
    await town.contact(
        household, wang, MARCH_5, ContactChannel.HOME_VISIT, problems=["housing", "medical"]
    )
    await town.flag(household, "因病住院")
    await town.flag(household, "旧的风险", status="closed")

    card = await household_card(app, wang, household.id)

    assert card.masked_id_number == "3415**********1234"
    assert "341523195001011234" not in repr(card)
    assert (card.category, card.members, card.income) == (
        Category.LIFTED_MONITORED,
        4,
        Decimal("4800"),
    )
    assert (card.village_name, card.group_name, card.contact_persons) == (
        "河口村",
        "3组",
        ["王建华"],
    )
    assert [c.occurred_on for c in card.recent_contacts] == [
        MARCH_5,
        date(2026, 2, 20),
        date(2026, 2, 3),
    ]
    assert card.recent_contacts[0].problems == [Guarantee.HOUSING, Guarantee.MEDICAL]
    assert [flag.reason for flag in card.open_flags] == ["因病住院"]
    assert card.contacted_this_month and card.actor_is_contact_person


async def test_village_admin_reads_a_card_but_is_not_its_contact_person(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    wang = await town.person("王建华")
    admin = await town.person("陈书记", Role.VILLAGE_ADMIN, village)
    household = await town.household(village, "张桂英", wang)

    card = await household_card(app, admin, household.id)

    assert card.head_name == "张桂英"
    assert not card.actor_is_contact_person
    assert not card.contacted_this_month


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("341523195001011234", "3415**********1234"),
        ("34152319500101123X", "3415**********123X"),
        ("1234567", "*******"),
    ],
)
def test_id_numbers_are_masked_except_first_and_last_four(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


async def test_this_month_counts_contacted_and_lists_who_remains(
    app: App, town: TownBuilder
) -> None:
    village = await town.village("河口村")
    wang = await town.person("王建华")
    households = [await town.household(village, contact=wang) for _ in range(12)]
    for household in households[:7]:
        await town.contact(household, wang, MARCH_5)

    progress = await progress_this_month(app, wang)

    assert (progress.contacted, progress.total) == (7, 12)
    assert {h.id for h in progress.remaining} == {h.id for h in households[7:]}
    assert progress.days_left(date(2026, 3, 10)) == 22
    assert progress.days_left(date(2026, 3, 31)) == 1


async def test_a_card_lists_at_most_five_open_flags_and_counts_the_rest(
    app: App, clock: FrozenClock
) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    wang = await town.person("王建华")
    household = await town.household(village, "张桂英", wang)
    for number in range(8):
        await town.flag(household, f"风险 {number} " + "很长的说明" * 200)
        clock.advance(minutes=1)

    card = await household_card(app, wang, household.id)

    assert [flag.reason[:4] for flag in card.open_flags] == [f"风险 {n}" for n in range(5)]
    assert card.more_open_flags == 3


def test_households_sort_by_group_number_then_pinyin_not_by_code_point() -> None:
    class Row:
        def __init__(self, head_name: str, group_name: str) -> None:
            self.head_name, self.group_name = head_name, group_name

    rows = [
        Row("何春", "十二组"), Row("储平", "2组"), Row("刘明", "二组"), Row("艾华", "12组"),
        Row("何秀", "三组"), Row("储兰", ""), Row("周一", "1组"), Row("阿杰", "一组"),
    ]  # fmt: skip
    ordered = [(row.group_name, row.head_name) for row in by_group_and_pinyin(rows)]
    assert ordered == [
        ("1组", "周一"), ("一组", "阿杰"), ("2组", "储平"), ("二组", "刘明"),
        ("三组", "何秀"), ("12组", "艾华"), ("十二组", "何春"), ("", "储兰"),
    ]  # fmt: skip
    assert group_number("第十二组") == 12 and group_number("二十组") == 20


async def test_the_list_s_core_statement_reads_what_its_orm_original_reads(
    app: App, town: TownBuilder
) -> None:
    """A menu press runs the list's statement as SQLAlchemy Core (bot/storage/core_statements.py):
    the same rows, names and types as the ORM statement it was made from."""
    village = await town.village("河口村")
    wang = await town.person("王建华")
    done = await town.household(village, "艾春花", wang)
    await town.contact(done, wang, MARCH_5)
    flagged = await town.household(village, "钟长林", wang)
    await town.flag(flagged, "因病")
    await town.household(village, "白玉珍", wang)
    month = app.clock.this_month()
    parameters = {
        "person_id": wang.person_id,
        "first_day": month.first_day,
        "last_day": month.last_day,
    }

    async with app.uow() as uow:
        orm = (await uow.session.execute(OWN_MONITORED, parameters)).all()
        core = (await uow.session.execute(OWN_MONITORED_CORE, parameters)).all()

    assert OWN_MONITORED_CORE._propagate_attrs == {}  # run by Core, not the ORM layer
    assert len(core) == 3
    assert sorted(map(tuple, core)) == sorted(map(tuple, orm))
    assert core[0]._fields == orm[0]._fields
    assert {type(row.contacted) for row in core} == {type(row.contacted) for row in orm}
