"""`bangfu summary` and `bangfu export forms`: the town office's reports, from the console."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.output import say
from bot.clock import Clock
from bot.config import Settings
from bot.core.coverage.month_summary import MonthCoverage
from bot.core.dates import parse_month
from bot.core.policy import CLI_OPERATOR
from bot.core.reports.forms import exportable_town_named
from bot.core.reports.summaries import summary_for_month
from bot.documents.forms import export_forms
from bot.documents.summary_report import SummaryReport, render_report
from bot.errors import InvalidInput
from bot.i18n import gettext as _
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    summary = commands.add_parser(
        "summary",
        help="write a month's coverage summary: the message, a chart and a spreadsheet",
        description="Writes coverage-YYYY-MM.txt, .png and .xlsx into --out and prints the "
        "message. A month whose summary was already sent to the town office is shown as sent; "
        "contacts entered later for it appear as late entries in the next month's summary.",
    )
    summary.add_argument(
        "--month",
        help="YYYY-MM, or 2026年3月, 2026.3, 3月 (this year) (default: the month that just ended)",
    )
    summary.add_argument("--out", type=Path, default=Path("."), help="folder for the files")
    summary.set_defaults(handler=write_summary)

    export = commands.add_parser("export", help="export spreadsheets for filing")
    what = export.add_subparsers(dest="what", required=True, metavar="WHAT")
    forms = what.add_parser(
        "forms",
        help="the six forms of the notice (附件1–6), one .xlsx per form and village",
        description="Print-ready forms with full ID numbers (the console acts as the town "
        "office). Without --village, every village is exported; with --town, every village "
        "of that town.",
    )
    forms.add_argument("--village", help="only this village, by its name (e.g. 大河村)")
    forms.add_argument(
        "--town", help="only this town's villages, by its name (乡镇, e.g. 佛子岭镇)"
    )
    forms.add_argument("--out", type=Path, default=Path("forms"), help="folder for the files")
    forms.set_defaults(handler=write_forms)


async def write_summary(settings: Settings, args: argparse.Namespace) -> int:
    clock = Clock(settings.tz)
    try:  # read before anything is opened: "3月" is this year's March, in the town's zone
        month = (
            clock.this_month().previous()
            if args.month is None
            else parse_month(args.month, clock.today())
        )
    except InvalidInput as error:
        say(error.render(), file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    app = build_app(settings, clock)
    try:
        summary = await summary_for_month(app, CLI_OPERATOR, month)
    finally:
        await app.close()
    report, paths = await asyncio.to_thread(_render, summary, settings.tz, args.out)
    say(report.text)
    say()
    for path in paths:
        say(_("Written: {path}").format(path=path))
    return 0


def _render(summary: MonthCoverage, tz: ZoneInfo, folder: Path) -> tuple[SummaryReport, list[Path]]:
    report = render_report(summary, tz)
    return report, report.write(folder)


async def write_forms(settings: Settings, args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        town_id = None
        if args.town is not None:
            town_id = await exportable_town_named(app, CLI_OPERATOR, args.town)
        paths = await export_forms(
            app, CLI_OPERATOR, args.village, out_dir=args.out, town_id=town_id
        )
    finally:
        await app.close()
    for path in paths:
        say(str(path))
    say(_("{count} forms written to {folder}.").format(count=len(paths), folder=args.out))
    return 0
