"""`bangfu import flags`, `bangfu reassign`, `bangfu deactivate`, `bangfu unassigned`: the
town office's roster and red-flag work from the command line (as the operator, "cli")."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from bot.cli.output import say
from bot.cli.roster_cmd import import_actions, say_rejected
from bot.config import Settings
from bot.core.flags.platform_list import PlatformRow, import_platform_flags
from bot.core.policy import CLI_OPERATOR
from bot.core.roster import changes as roster_changes
from bot.core.roster.rows import RowsRejected
from bot.documents.roster_sheet import read_platform_list
from bot.i18n import gettext as _
from bot.storage.migrate import upgrade
from bot.storage.uow import App
from bot.telegram.app import build_app

T = TypeVar("T")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    flags = import_actions(commands).add_parser(
        "flags",
        help="import the provincial platform's red-flag list (.xlsx or .csv)",
        description="Rows name a household by 户编号 or 身份证号, with 原因 or 预警原因. Each "
        "matching household gets a red flag (source: platform) and the town office an alert; "
        "households with an open platform flag are not flagged twice; unknown rows are listed.",
    )
    flags.add_argument("file", type=Path, metavar="FILE")
    flags.set_defaults(handler=import_flags)

    reassign = commands.add_parser(
        "reassign", help="give a household (by 户编号) another contact person"
    )
    reassign.add_argument("--household", required=True, metavar="户编号")
    reassign.add_argument("--to", required=True, metavar="NAME", help="the new contact person")
    reassign.add_argument("--phone", help="their phone, to tell namesakes apart")
    reassign.set_defaults(handler=reassign_household)

    deactivate = commands.add_parser(
        "deactivate",
        help="deactivate a person; their households become unassigned until reassigned",
    )
    deactivate.add_argument("--name", required=True)
    deactivate.add_argument("--phone", help="their phone, to tell namesakes apart")
    deactivate.set_defaults(handler=deactivate_person)

    unassigned = commands.add_parser(
        "unassigned", help="list monitored households without a contact person"
    )
    unassigned.set_defaults(handler=list_unassigned)


async def _with_app(settings: Settings, use: Callable[[App], Awaitable[T]]) -> T:
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        return await use(app)
    finally:
        await app.close()


async def import_flags(settings: Settings, args: argparse.Namespace) -> int:
    try:
        report = await _with_app(
            settings,
            lambda app: import_platform_flags(app, CLI_OPERATOR, read_platform_list(args.file)),
        )
    except RowsRejected as rejected:
        say_rejected(rejected)
        return 1

    def show(rows: list[PlatformRow]) -> None:
        for row in rows:
            say(
                "  "
                + _("Row {row}: {value}").format(
                    row=row.row_number, value=row.household or row.value
                )
            )

    say(_("Households flagged: {count}").format(count=len(report.flagged)))
    show(report.flagged)
    say(_("Already open, not flagged again: {count}").format(count=len(report.already_open)))
    show(report.already_open)
    say(_("Not found (check the number): {count}").format(count=len(report.unknown)))
    show(report.unknown)
    return 0


async def reassign_household(settings: Settings, args: argparse.Namespace) -> int:
    async def run(app: App) -> str:
        household = await roster_changes.household_by_number(app, CLI_OPERATOR, args.household)
        person = await roster_changes.find_person(app, CLI_OPERATOR, args.to, args.phone)
        await roster_changes.reassign(app, CLI_OPERATOR, household.id, person.id)
        return household.head_name

    head = await _with_app(settings, run)
    say(
        _("Reassigned: {head} ({number}) → {name}.").format(
            head=head, number=args.household, name=args.to
        )
    )
    return 0


async def deactivate_person(settings: Settings, args: argparse.Namespace) -> int:
    async def run(app: App) -> list[str]:
        person = await roster_changes.find_person(app, CLI_OPERATOR, args.name, args.phone)
        freed = await roster_changes.deactivate_person(app, CLI_OPERATOR, person.id)
        return [f"{household.number} {household.head_name}" for household in freed]

    freed = await _with_app(settings, run)
    if freed:
        done = _("Deactivated {name}. Households now without a contact person: {count}.")
    else:
        done = _("Deactivated {name}. They held no households: nothing to reassign.")
    say(done.format(name=args.name, count=len(freed)))
    for line in freed:
        say("  " + line)
    return 0


async def list_unassigned(settings: Settings, args: argparse.Namespace) -> int:
    households = await _with_app(
        settings, lambda app: roster_changes.unassigned_households(app, CLI_OPERATOR)
    )
    say(_("Households without a contact person: {count}").format(count=len(households)))
    for household in households:
        say(f"  {household.village.name}\t{household.number}\t{household.head_name}")
    return 0
