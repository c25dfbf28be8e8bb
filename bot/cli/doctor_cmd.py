"""`bangfu doctor [--quick]`: check everything bangfu needs and say what to fix.

`--quick` is the container's health check: the database reachable and up to date, a
`bangfu run` holding it, and the Bot API answering getMe; nothing slow, nothing optional.
The exit status is 1 when any check failed (warnings do not count)."""

from __future__ import annotations

import argparse

from aiogram.utils.token import TokenValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.output import say
from bot.clock import Clock
from bot.config import Settings
from bot.core.delivery import office_group
from bot.core.delivery.office_group import Office
from bot.i18n import gettext as _
from bot.ops import doctor, doctor_telegram
from bot.ops.doctor import Finding, Status
from bot.ops.doctor_settings import check_pool, check_time_zone
from bot.storage.models import FIRST_TOWN_ID
from bot.telegram.app import build_app, build_bot
from bot.telegram.session import single_try

MARKS = {Status.OK: "✅", Status.WARN: "⚠️ ", Status.FAIL: "❌"}


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command = commands.add_parser(
        "doctor", help="check the token, the Bot API, the database, backups … and say what to fix"
    )
    command.add_argument(
        "--quick",
        action="store_true",
        help="only what a health check needs: database, a running bangfu, the Bot API",
    )
    command.set_defaults(handler=run_doctor)


async def run_doctor(settings: Settings, args: argparse.Namespace) -> int:
    findings = await examine(settings, Clock(settings.tz), quick=args.quick)
    for finding in findings:
        say(f"{MARKS[finding.status]} {finding.text}")
        if finding.fix:
            say(f"   → {finding.fix}")
    failed = sum(finding.status == Status.FAIL for finding in findings)
    warned = sum(finding.status == Status.WARN for finding in findings)
    if not args.quick:
        say()
        if failed:
            say(
                _("{failed} problem(s) to fix, {warned} warning(s).").format(
                    failed=failed, warned=warned
                )
            )
        else:
            say(
                _("Everything bangfu needs is in place ({warned} warning(s)).").format(
                    warned=warned
                )
            )
    return 1 if failed else 0


async def examine(settings: Settings, clock: Clock, quick: bool = False) -> list[Finding]:
    """Every check, in the order a person would fix things."""
    now = clock.now()
    findings: list[Finding] = []
    database_findings, database = await doctor.check_database(settings)
    findings += database_findings
    if database.reachable:
        findings.append(await doctor.check_running(settings, required=quick))
    findings += await _telegram(settings, clock, quick, database.set_up)
    if quick:
        return findings
    findings.append(check_time_zone(settings, now))
    findings += check_pool(settings)
    findings.append(doctor.check_font())
    findings += await doctor.check_backups(settings, now, database)
    if database.set_up:
        findings += await doctor.check_outbox(settings, now)
    return findings


async def _offices(settings: Settings, set_up: bool) -> list[Office]:
    """Every office's group as the bot resolves it (each town's, the county's); the setting
    alone, as the first town's, while the database is not set up or its schema predates the
    towns."""
    first = [Office(FIRST_TOWN_ID, settings.town_name, office_group.from_setting(settings))]
    if not set_up:
        return first
    app = build_app(settings)
    try:
        return await office_group.every_office(app)
    except SQLAlchemyError:  # no towns table yet: `bangfu run` upgrades the schema
        return first
    finally:
        await app.close()


async def _telegram(settings: Settings, clock: Clock, quick: bool, set_up: bool) -> list[Finding]:
    if not settings.bot_token:
        return [
            doctor.fail(
                _("BOT_TOKEN is not set."),
                _("In Telegram, open @BotFather, send /newbot, and put the token in .env."),
            )
        ]
    findings = [] if quick else [doctor_telegram.check_proxy(settings)]
    try:
        bot = build_bot(settings)
    except TokenValidationError:
        return [
            *findings,
            doctor.fail(
                _("BOT_TOKEN is not a bot token (one looks like 123456789:AAH…)."),
                _("Copy the token again from @BotFather (/mybots → your bot → API Token)."),
            ),
        ]
    try:
        with single_try():  # a check says at once what is wrong, not after a minute of tries
            token, me = await doctor_telegram.check_token(settings, bot)
            findings.append(token)
            if me is None or quick:
                return findings
            findings.append(await doctor_telegram.check_clock(settings, bot, clock.now()))
            offices = await _offices(settings, set_up)
            findings += await doctor_telegram.check_offices(settings, bot, me, offices)
    finally:
        await bot.session.close()
    return findings
