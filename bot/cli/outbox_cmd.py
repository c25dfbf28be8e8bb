"""`bangfu outbox status`: what is waiting to be sent, what went out, what could not."""

from __future__ import annotations

import argparse
from datetime import timedelta

from bot.cli.output import say
from bot.clock import local_minute
from bot.config import Settings
from bot.core.delivery import outbox
from bot.core.delivery.outbox import RETRYING, OutboxStatus
from bot.core.delivery.timing import in_quiet_hours
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app

LINES = (
    (OutboxStatus.QUEUED, N_("waiting for their first try: {count}")),
    (RETRYING, N_("waiting to be tried again after an error: {count}")),
    (OutboxStatus.SENT, N_("sent: {count}")),
    (
        OutboxStatus.UNDELIVERABLE,
        N_("undeliverable (the person blocked the bot or never started it): {count}"),
    ),
    (OutboxStatus.FAILED, N_("failed (Telegram refused the message): {count}")),
    (OutboxStatus.SKIPPED, N_("not sent, nothing left to say by then: {count}")),
    (OutboxStatus.FORWARDED, N_("town-office messages passed on to each member: {count}")),
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command = commands.add_parser("outbox", help="messages the bot sends by itself")
    actions = command.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    actions.add_parser(
        "status",
        help="counts of queued, sent and failed messages, and the oldest one waiting",
    ).set_defaults(handler=show_status)


async def show_status(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        found = await outbox.summary(app)
        now = app.clock.now()
    finally:
        await app.close()
    say(_("Outbox (messages the bot sends by itself):"))
    for status, line in LINES:
        say("  " + _(line).format(count=found.counts.get(status, 0)))
    oldest = found.oldest_waiting
    if oldest is None:
        say(_("Nothing is waiting."))
        return 0
    say(
        _("Oldest waiting: {kind}, queued {age} ago, key {key}").format(
            kind=oldest.kind, age=_age(now - oldest.created_at), key=oldest.key
        )
    )
    if oldest.not_before > now:
        say("  " + _("next try: {when}").format(when=local_minute(oldest.not_before, settings.tz)))
    if oldest.last_error:
        say("  " + _("last error: {error}").format(error=oldest.last_error))
    if in_quiet_hours(settings, now):
        say(
            _("Quiet hours now: only red-flag alerts go out until {hour}:00.").format(
                hour=f"{settings.quiet_hours_end:02d}"
            )
        )
    return 0


def _age(age: timedelta) -> str:
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{days} days").format(days=hours // 24)
