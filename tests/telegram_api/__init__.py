"""A local stand-in of the Telegram Bot API, and the people who talk to the bot through it.

The e2e fixtures (tests/e2e/conftest.py) start it and the real bot; a test then plays people:

    async def test_contact_person_opens_her_households(
        running_bot, make_user, register_person, add_household, assign
    ):
        user = make_user("王秀英")                        # Chinese by default; language_code="en"
        person = await register_person("王秀英", Role.CONTACT, village="东冲村", telegram_user=user)
        await assign(await add_household("李家富", village="东冲村"), person)

        await user.tap("🏠 我的农户")          # a reply-keyboard button (must be shown)... or:
        await user.send("/help")              # pushes the update, returns once the bot handled it
        menu = await user.expect("王秀英")      # the next new-or-edited bot message must contain it
        answer = await user.press("⏳ 李家富（一组）")  # an inline button by its label
        card = await user.next_message()       # card.text, card.buttons, card.edited, card.document
        await user.expect_no_message()         # nothing else was sent

        await user.press_data("hh:card:999")   # a forged press; double_press(label) for double taps
        await user.send("/help", duplicate=True)   # the same update delivered twice
        await running_bot.restart()            # new Bot + Dispatcher on the same database

Faults and counters for the scheduler: `telegram.fail_next("sendMessage", 429, "Too Many
Requests: retry after 3", retry_after=3, chat_id=user.id)`, `telegram.block(user.id)`,
`telegram.enforce_limits = True`, `telegram.max_per_second()`, `max_per_chat_per_second()`,
`max_per_group_per_minute()`, `retry_after_count`, `messages_to(chat_id)`,
`await telegram.wait_for_sends(n)`, `held = telegram.hold_next("sendMessage")` (a send on the
wire until `held.release()`). Sends to a chat no test created get 400 "chat not found".
"""

from tests.telegram_api.chats import BotMessage, CallbackAnswer, StoredFile
from tests.telegram_api.server import FakeTelegram
from tests.telegram_api.user import TelegramGroup, TelegramUser

__all__ = [
    "BotMessage",
    "CallbackAnswer",
    "FakeTelegram",
    "StoredFile",
    "TelegramGroup",
    "TelegramUser",
]
