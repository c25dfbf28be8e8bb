"""Conversations a person has with the bot, as taps and typing on their phone, for the e2e
tests whose story starts after them: `await log_contact(phone, "张桂英（一组）")`."""

from __future__ import annotations

from collections.abc import Sequence

from tests.telegram_api import TelegramUser


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
