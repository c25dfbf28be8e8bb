"""Every filter of the bot's routers runs on the event loop, not in a thread of its own."""

from __future__ import annotations

from aiogram.dispatcher.event.telegram import TelegramEventObserver

from bot.telegram.app import build_dispatcher


def test_no_filter_of_the_bot_waits_for_a_thread(app) -> None:  # type: ignore[no-untyped-def]
    dispatcher = build_dispatcher(app)
    in_a_thread = [
        (router.name, kind, event_filter.callback)
        for router in dispatcher.chain_tail
        for kind, observer in router.observers.items()
        if isinstance(observer, TelegramEventObserver)
        for handler in [observer._handler, *observer.handlers]
        for event_filter in handler.filters or ()
        if not event_filter.awaitable
    ]
    checked = sum(
        len(handler.filters or ())
        for router in dispatcher.chain_tail
        for observer in router.observers.values()
        if isinstance(observer, TelegramEventObserver)
        for handler in observer.handlers
    )
    assert checked > 50  # the walk saw the bot's routers
    assert in_a_thread == []
