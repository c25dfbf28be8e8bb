"""`bangfu roster-template`, `bangfu import roster` and `bangfu demo-data`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.cli.output import bangfu_command, say
from bot.config import Settings
from bot.core import demo, demo_county
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.importing import RosterImportReport, import_roster
from bot.core.roster.rows import RowsRejected
from bot.documents.roster_sheet import read_roster, write_roster_template
from bot.i18n import gettext as _
from bot.i18n import join_list
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app

IMPORT_COMMAND = "import"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    template = commands.add_parser(
        "roster-template",
        help="write a blank roster spreadsheet with its headers and one example row",
    )
    template.add_argument("file", type=Path, metavar="FILE.xlsx")
    template.set_defaults(handler=roster_template)

    roster = import_actions(commands).add_parser(
        "roster",
        help="import the roster (.xlsx, or .csv in UTF-8 or GBK); all rows or none",
        description="Checks every row first. If any row is wrong, prints every problem with its "
        "row number and imports nothing. Re-importing updates households by 户编号.",
    )
    roster.add_argument("file", type=Path, metavar="FILE")
    roster.set_defaults(handler=import_roster_file)

    demo_data = commands.add_parser(
        "demo-data",
        help="fill an empty database with a demo town: 3 villages, ~60 households, two months",
    )
    demo_data.add_argument(
        "--county",
        action="store_true",
        help="a demo county instead: 20 towns, 250 villages, 50,000 households, 1,500 contact "
        "persons, an office person for each town and the county (bulk insert, timed)",
    )
    demo_data.set_defaults(handler=fill_demo_town)


def import_actions(commands: argparse._SubParsersAction) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """The actions of `bangfu import`, made on first use; other concerns add theirs here."""
    parser = commands.choices.get(IMPORT_COMMAND)
    if parser is None:
        parser = commands.add_parser(IMPORT_COMMAND, help="import a spreadsheet")
        parser.add_subparsers(dest="import_what", required=True, metavar="WHAT")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise AssertionError("the import command has no actions")


def roster_template(settings: Settings, args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.suffix.lower() != ".xlsx":
        say(_("The template is an Excel file: give a name ending in .xlsx."), file=sys.stderr)
        return 2
    if path.exists():
        say(
            _("{file} already exists. Choose another name so it is not overwritten.").format(
                file=path
            ),
            file=sys.stderr,
        )
        return 1
    write_roster_template(path)
    say(
        _(
            "Roster template written to {file}. Fill in one row per household (delete the "
            "example row first), then run: {command}"
        ).format(file=path, command=bangfu_command("import", "roster", str(path)))
    )
    return 0


async def import_roster_file(settings: Settings, args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        report = await import_roster(app, CLI_OPERATOR, read_roster(args.file))
    except RowsRejected as rejected:
        say_rejected(rejected)
        return 1
    finally:
        await app.close()
    _print_report(report)
    return 0


def _print_report(report: RosterImportReport) -> None:
    say(
        _(
            "Roster imported: {created} new households, {updated} updated, {unchanged} "
            "unchanged; {reassigned} moved to another contact person."
        ).format(**vars(report))
    )
    if report.villages_created:
        say(_("New villages: {count}.").format(count=report.villages_created))
    if report.new_contact_persons:
        say(
            _("New contact persons: {count}. Invite each one to the bot:").format(
                count=report.contact_persons_created
            )
        )
        for name, phone in report.new_contact_persons:
            invite = bangfu_command("invite", name=name, role="contact", phone=phone)
            say("  " + invite)
        say_invite_all()


def say_rejected(rejected: RowsRejected) -> None:
    """Why an upload was refused, then every bad cell by row (on stderr)."""
    say(rejected.render(), file=sys.stderr)
    for problem in rejected.problems:
        say(problem.line(), file=sys.stderr)


async def fill_demo_town(settings: Settings, args: argparse.Namespace) -> int:
    if getattr(args, "county", False):
        return await fill_demo_county(settings)
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        town = await demo.fill_demo_town(app)
    finally:
        await app.close()
    say(
        _(
            "Demo town ready: {villages} villages, {households} households, {people} contact "
            "persons; {last_month} contacts last month and {this_month} this month so far; "
            "{flags} red flags."
        ).format(
            **vars(town),  # villages, households, flags
            people=town.contact_persons,
            last_month=town.contacts_last_month,
            this_month=town.contacts_this_month,
        )
    )
    if town.contact_names:
        say(_("Contact persons: {names}").format(names=join_list(town.contact_names)))
        say(_("To try the bot as one of them:"))
        say("  " + bangfu_command("invite", name=town.contact_names[0], role="contact"))
        say_invite_all()
    return 0


def say_invite_all() -> None:
    say(_("Or invite them all at once, as a sheet:"))
    say("  " + bangfu_command("invite", all=True, out="invites.xlsx"))


async def fill_demo_county(settings: Settings) -> int:
    upgrade(settings.database_url)
    app = build_app(settings)
    started = time.perf_counter()
    try:
        county = await demo_county.fill_demo_county(app)
    finally:
        await app.close()
    say(
        _(
            "Demo county ready in {seconds} s: {towns} towns, {villages} villages, "
            "{households} households, {people} contact persons; {last} contacts last month "
            "and {contacts} this month so far."
        ).format(
            seconds=f"{time.perf_counter() - started:.1f}",
            towns=county.towns,
            villages=county.villages,
            households=county.households,
            people=county.contact_persons,
            last=county.contacts_last_month,
            contacts=county.contacts_this_month,
        )
    )
    say(_("The county office and each town's office, to invite:"))
    say("  " + bangfu_command("invite", name=county.office_people[-1], role="county_office"))
    say("  " + bangfu_command("invite", all=True, role="town_office", out="offices.xlsx"))
    return 0
