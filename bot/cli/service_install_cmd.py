"""`bangfu service install`: run bangfu as a systemd service that starts at boot and comes
back after a failure (see bot/ops/systemd_unit.py for the unit and why each line is there).

Run it as root (sudo) in the install folder, the one with `.env`. The service runs as the
folder's owner (or --user), never as root."""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from bot.cli.output import say
from bot.config import Settings
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.ops.systemd_unit import UNIT_NAME, ServiceUnit

UNIT_DIR = Path("/etc/systemd/system")
SYSTEMD_RUNNING = Path("/run/systemd/system")  # exists only when systemd is the init system
ROOT_REFUSED = N_(
    "bangfu should not run as root. Create an account for it and give it this folder:\n"
    "  useradd --system --home-dir {folder} --shell /usr/sbin/nologin bangfu\n"
    "  chown -R bangfu: {folder}\n"
    "then run this again (or name the account with --user)."
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    service = commands.add_parser("service", help="run bangfu as a systemd service")
    actions = service.add_subparsers(dest="service_command", required=True, metavar="ACTION")
    install = actions.add_parser(
        "install",
        help="write the systemd unit for this folder, then enable and start it (as root)",
    )
    install.add_argument("--user", help="the account bangfu runs as (default: this folder's owner)")
    install.add_argument(
        "--name", default=UNIT_NAME, help="the unit's name, for several towns on one server"
    )
    install.add_argument("--unit-dir", type=Path, default=UNIT_DIR, help=argparse.SUPPRESS)
    install.add_argument(
        "--print", action="store_true", help="only print the unit; write and start nothing"
    )
    install.set_defaults(handler=install_service)


def install_service(settings: Settings, args: argparse.Namespace) -> int:
    workdir = Path.cwd().resolve()
    user = args.user or pwd.getpwuid(workdir.stat().st_uid).pw_name
    if user == "root":
        say(_(ROOT_REFUSED).format(folder=shlex.quote(str(workdir))), file=sys.stderr)
        return 2
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        say(
            _("There is no account named {user} on this machine.").format(user=user),
            file=sys.stderr,
        )
        return 2
    unit = ServiceUnit(
        workdir, _bangfu_command(), user, grp.getgrgid(account.pw_gid).gr_name, args.name
    )
    if args.print:
        say(unit.render())
        return 0
    if not settings.bot_token:
        say(
            _(
                "Warning: .env in {folder} has no BOT_TOKEN yet; the service will not start "
                "without it."
            ).format(folder=workdir)
        )
    path = args.unit_dir / f"{args.name}.service"
    try:
        path.write_text(unit.render(), encoding="utf-8")
    except PermissionError:
        say(
            _("Writing {path} needs root: run it as  sudo .venv/bin/bangfu service install").format(
                path=path
            ),
            file=sys.stderr,
        )
        return 1
    say(
        _("Written: {path} (runs as {user} in {folder}).").format(
            path=path, user=user, folder=workdir
        )
    )
    commands = [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", args.name]]
    if not SYSTEMD_RUNNING.is_dir() or args.unit_dir != UNIT_DIR:
        say(_("systemd is not running here; on the server run:"))
        for command in commands:
            say("  " + " ".join(command))
        return 0
    for command in commands:
        if subprocess.run(command, check=False).returncode != 0:
            say(_("This failed: {command}").format(command=" ".join(command)), file=sys.stderr)
            return 1
    say(
        _("Started. Check it with: systemctl status {name}   Logs: journalctl -u {name}").format(
            name=args.name
        )
    )
    return 0


def _bangfu_command() -> Path:
    """The bangfu command of this install (its .venv), as an absolute path."""
    beside = Path(sys.executable).with_name("bangfu")
    if beside.exists():
        return beside
    found = shutil.which("bangfu")
    return Path(found).resolve() if found else Path(os.path.abspath(sys.argv[0]))
