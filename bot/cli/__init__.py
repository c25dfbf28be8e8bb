"""The `bangfu` command. Each concern registers its own subcommands."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Sequence

from bot.cli import (
    backup_cmd,
    doctor_cmd,
    jobs_cmd,
    outbox_cmd,
    people_cmd,
    reports_cmd,
    roster_cmd,
    service_cmd,
    service_install_cmd,
    town_cmd,
)
from bot.cli.output import say
from bot.cli.settings_errors import settings_or_why
from bot.errors import DomainError
from bot.i18n import load_catalogs, set_language

COMMAND_MODULES = (
    service_cmd,
    roster_cmd,
    people_cmd,
    reports_cmd,
    outbox_cmd,
    jobs_cmd,
    town_cmd,
    backup_cmd,
    doctor_cmd,
    service_install_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bangfu", description="bangfu: monthly contact tracking for at-risk households"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def settle_start_up_objects() -> None:
    """Leave the objects made at start-up (modules, SQLAlchemy's mappers, aiogram's models:
    about 540,000) out of Python's garbage collection from now on. They live as long as the
    process; without this every full collection walks them all, triggered by any page that
    reads many rows: a third of a county overview's cold count (0.4-0.6 s of 1.5 s)."""
    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":  # the service's log (journalctl): what it does, and when
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    else:  # a clerk at the console reads only what needs their attention, as a plain line
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger().setLevel(logging.WARNING)
    settings = settings_or_why()
    if settings is None:
        return 2  # as for a missing BOT_TOKEN: restarting would only fail again
    load_catalogs(settings.locales_dir)
    set_language(settings.default_language)
    if args.command == "run":
        settle_start_up_objects()
    try:
        result = args.handler(settings, args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except DomainError as error:
        say(error.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
