"""The county's decision closes a red flag (销号), so it must be true (issue 9, point 3): the
date may not precede the flag or the town's approval, nor be in the future; the document
number is required; a confirm screen shows what will be recorded before the flag closes; and
lines typed inside the step belong to it, never to a household search."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.raising import report_risk
from bot.core.policy import Actor
from bot.domain.model import FlagStatus, Role
from bot.storage.models import AuditEntry, Person, RedFlag
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.telegram_api import TelegramUser


def actor(person: Person) -> Actor:
    return Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)


@pytest.fixture
async def director(
    app: App,
    clock: FrozenClock,
    running_bot: RunningBot,
    make_user,  # type: ignore[no-untyped-def]
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
    assign,  # type: ignore[no-untyped-def]
) -> TelegramUser:
    """周主任 at the county decision step of a flag raised on 03-10 whose removal the town
    approved on 03-14; today is 03-16."""
    phone = make_user("周主任")
    office = actor(await register_person("周主任", Role.TOWN_OFFICE, telegram_user=phone))
    admin = actor(await register_person("孙书记", Role.VILLAGE_ADMIN, village="河口村"))
    wang = await register_person("王建华", Role.CONTACT, village="河口村")
    household = await add_household("张桂英", village="河口村")
    await assign(household, wang)
    flag = await report_risk(app, actor(wang), household.id, "户主因病住院")
    await flag_workflow.acknowledge(app, office, flag.id)
    await flag_lifecycle.request_removal(app, admin, flag.id, "已纳入低保，收入稳定")
    clock.advance(days=4)
    await flag_lifecycle.review_removal(app, office, flag.id, approve=True)
    clock.advance(days=2)

    await phone.send("/flags")
    listed = await phone.expect("未销号的红色预警：1 条")
    await phone.press(listed.button_texts[0])
    await phone.expect("镇已同意销号，等县级审定")
    await phone.press("🏛 录入县级审定")
    prompt = await phone.expect("县级审定结果")
    # The example is today, a date the check accepts (not a fixed day before the flag).
    assert "例如：\n3月16日 霍政〔2026〕12号" in prompt.text
    return phone


async def the_flag(app: App) -> RedFlag:
    async with app.uow() as uow:
        return (await uow.session.execute(select(RedFlag))).scalar_one()


async def test_the_decision_is_typed_in_two_lines_checked_confirmed_then_recorded(
    app: App, director: TelegramUser
) -> None:
    await director.send("3月15日")
    await director.expect("审定日期：2026-03-15。请再输入文号（最多 100 个字）")
    await director.send("霍政〔2026〕12号")  # the second line: kept by the step, not a search
    confirm = await director.expect("🏛 请核对 河口村 张桂英（一组） 的县级审定结果")
    assert "审定日期：2026-03-15" in confirm.text and "文号：霍政〔2026〕12号" in confirm.text
    assert confirm.button_texts == ["✅ 确认录入并销号", "✖ 取消"]
    assert (await the_flag(app)).status == FlagStatus.REMOVAL_REQUESTED  # nothing saved yet

    # Typed again at the confirm screen: a correction of the date, never a household search.
    await director.send("3月9日")
    refused = await director.expect("早于这条红色预警的标注日期（2026-03-10）")
    assert "没有找到" not in refused.text
    await director.send("3月16日")
    confirm = await director.expect("请核对")
    assert "审定日期：2026-03-16" in confirm.text and "文号：霍政〔2026〕12号" in confirm.text

    await director.press("✅ 确认录入并销号", confirm)
    await director.expect("✅ 河口村 张桂英（一组） 的红色预警已销号")
    card = await director.expect("状态：已销号")
    assert "录入县级审定（2026-03-16，霍政〔2026〕12号）" in card.text
    flag = await the_flag(app)
    assert flag.status == FlagStatus.CLOSED
    assert (flag.county_decided_on, flag.county_document) == (date(2026, 3, 16), "霍政〔2026〕12号")
    async with app.uow() as uow:
        entry = (
            await uow.session.execute(
                select(AuditEntry).where(AuditEntry.action == "county_decision")
            )
        ).scalar_one()
    assert entry.changes["document"] == "霍政〔2026〕12号"


# Days that cannot be true for the flag of `director` (raised 03-10, approved 03-14, today 03-16).
UNTRUE_DAYS = [
    ("3月9日", "早于这条红色预警的标注日期（2026-03-10）"),
    ("3月12日", "早于镇里同意销号的日期（2026-03-14）"),
    ("3月17日", "审定日期 2026-03-17 还没到"),
]


@pytest.mark.parametrize(("typed", "why"), UNTRUE_DAYS)
async def test_a_date_that_cannot_be_true_is_refused_and_nothing_is_closed(
    app: App, director: TelegramUser, typed: str, why: str
) -> None:
    await director.send(f"{typed} 霍政〔2026〕12号")
    refused = await director.expect(why)
    assert "请重新输入审定日期" in refused.text
    assert (await the_flag(app)).status == FlagStatus.REMOVAL_REQUESTED


async def test_the_document_number_is_required_and_cancel_records_nothing(
    app: App, director: TelegramUser
) -> None:
    await director.send("霍政〔2026〕12号")  # the number alone: the date is asked for
    await director.expect("请先输入审定日期")
    await director.send("今天")
    confirm = await director.expect("请核对")
    assert "文号：霍政〔2026〕12号" in confirm.text
    await director.press("✖ 取消", confirm)
    await director.expect("已取消，没有录入任何内容")
    assert (await the_flag(app)).status == FlagStatus.REMOVAL_REQUESTED


@pytest.mark.parametrize(("typed", "why"), UNTRUE_DAYS)
async def test_a_date_that_cannot_be_true_is_refused_as_soon_as_it_is_typed(
    app: App, director: TelegramUser, typed: str, why: str
) -> None:
    await director.send(typed)
    refused = await director.expect(why)
    assert "请重新输入审定日期" in refused.text and "请再输入文号" not in refused.text
    await director.send("霍政〔2026〕12号")  # the number now: the date is still asked for
    await director.expect("请先输入审定日期，例如 3月16日，再输入文号")
    await director.send("3月16日")
    confirm = await director.expect("请核对")
    assert "审定日期：2026-03-16" in confirm.text and "文号：霍政〔2026〕12号" in confirm.text
    assert (await the_flag(app)).status == FlagStatus.REMOVAL_REQUESTED
