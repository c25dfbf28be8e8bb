"""`bangfu backup [--out DIR]` and `bangfu restore FILE [--yes]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.output import say
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import gettext as _
from bot.ops import backup
from bot.ops.restore import backup_contents, check_backup, restore

YES = frozenset({"yes", "y", "是", "是的", "确定"})


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    make = commands.add_parser(
        "backup",
        help="write a consistent copy of the database (works while the bot runs)",
        description="Writes bangfu-YYYYMMDD-HHMMSS.sqlite3 (SQLite) or .pgdump (PostgreSQL) "
        "into BACKUP_DIR and keeps the newest BACKUP_KEEP there; with --out, into DIR, "
        "and nothing there is deleted.",
    )
    make.add_argument("--out", type=Path, metavar="DIR", help="folder to write the backup to")
    make.set_defaults(handler=make_backup)

    back = commands.add_parser(
        "restore",
        help="restore a backup into an empty database (asks first)",
        description="The bot must be stopped, and DATABASE_URL must point to an empty "
        "database: nothing is ever overwritten.",
    )
    back.add_argument("file", type=Path, metavar="FILE")
    back.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    back.set_defaults(handler=restore_backup)


async def make_backup(settings: Settings, args: argparse.Namespace) -> int:
    written = await backup.make_backup(settings, Clock(settings.tz).now(), args.out)
    say(
        _("Backup written: {path} ({size})").format(
            path=written.path, size=backup.human_size(written.size)
        )
    )
    if args.out is None:
        removed = backup.prune(settings.backup_dir, settings.backup_keep)
        say(
            _("The newest {keep} backups in {folder} are kept; {removed} older removed.").format(
                keep=settings.backup_keep, folder=settings.backup_dir, removed=len(removed)
            )
        )
    return 0


async def restore_backup(settings: Settings, args: argparse.Namespace) -> int:
    path: Path = args.file
    await check_backup(settings, path)
    describe_backup(path)
    say(_("It will be restored into: {url}").format(url=backup.shown_url(settings.database_url)))
    if not args.yes and not confirmed():
        say(_("Nothing was restored."))
        return 1
    now_holds = await restore(settings, path)
    say(_("Restored. The database now holds: {counts}").format(counts=now_holds.describe()))
    say(_("Start bangfu again (systemctl start bangfu, or docker compose start bot)."))
    return 0


def describe_backup(path: Path) -> None:
    say(_("Backup: {path} ({size})").format(path=path, size=backup.human_size(path.stat().st_size)))
    contents = backup_contents(path)
    if contents is not None:
        say("  " + _("It holds: {counts}").format(counts=contents.describe()))


def confirmed() -> bool:
    try:
        answer = input(_("Type yes to restore: "))
    except EOFError:
        return False
    return answer.strip().lower() in YES
