"""Conversations a person has with the bot, as taps and typing on their phone, for the e2e
tests whose story starts after them: `await log_contact(phone, "张桂英（一组）")`,
`await correct(phone, "📅 昨天")`, `await find_household(director, "桂英", "📜 河口村 …")`,
`await fill_in_measure(director, what=…, responsible=…)`."""

from __future__ import annotations

from collections.abc import Sequence

from tests.telegram_api import BotMessage, TelegramUser


async def log_contact(
    phone: TelegramUser,
    household: str,
    *,
    channel: str = "电话",
    problems: Sequence[str] = (),
    save: bool = True,
) -> None:
    """✍️ Log a contact: the household's button, the channel (电话, 微信, 入户走访…), each of
    the six guarantees with a problem (its item as the toggle names it, e.g. "住房安全") or ✅
    all six fine, then ✅ Save; with `save=False` the confirm screen is the last message."""
    await phone.tap("✍️ 记录联系")
    await phone.press(household)
    await phone.press(channel)
    if problems:
        for problem in problems:
            await phone.press(f"{problem} ✅ 有保障")
        await phone.press("好了 ➡")
    else:
        await phone.press("✅ 六项都没问题")
    if save:
        await phone.press("✅ 保存")


async def correct(phone: TelegramUser, item: str) -> None:
    """✏️ Correct on the contact just shown, then what to correct (📅 昨天, 📞 联系方式,
    🛡 保障情况, 📝 备注 …)."""
    await phone.press("✏️ 更正")
    await phone.press(item)


async def find_household(office: TelegramUser, search: str, shown: str) -> BotMessage:
    """/find: the household's 📜 history, whose buttons the town office acts from."""
    await office.send(f"/find {search}")
    return await office.expect(shown)


async def fill_in_measure(
    office: TelegramUser,
    *,
    what: str,
    responsible: str,
    kind: str = "医保/医疗救助",
    amount: str | None = None,
    deadline: str = "⏱ 15 天",
) -> BotMessage:
    """The measure form from its first question (which kind?): each answer after its
    question, 跳过 for no amount; returns the confirm screen (添加这项措施？)."""
    await office.press(kind)
    await office.expect("具体做什么")
    await office.send(what)
    await office.expect("谁负责")
    await office.send(responsible)
    await office.expect("金额")
    if amount is None:
        await office.press("跳过")
    else:
        await office.send(amount)
    await office.expect("什么时候前完成")
    await office.press(deadline)
    return await office.expect("添加这项措施？")
