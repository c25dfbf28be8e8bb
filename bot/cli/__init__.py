"""The `bangfu` command. Each concern registers its own subcommands."""

from __future__ import annotations

import argparse
import asyncio
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
from bot.config import Settings
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":  # the service's log (journalctl): what it does, and when
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    else:  # a clerk at the console reads only what needs their attention, as a plain line
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        logging.getLogger().setLevel(logging.WARNING)
    settings = Settings()
    load_catalogs(settings.locales_dir)
    set_language(settings.default_language)
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
