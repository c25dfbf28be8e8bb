"""The systemd unit that runs `bangfu run` as a service (written by `bangfu service install`;
`deploy/bangfu.service` is the same unit for an install in /opt/bangfu).

Why each line is there:
- the service runs as its own account, never root, in the install folder, where bangfu
  reads `.env` itself (the same file `./scripts/start` uses: one place for settings);
- SIGTERM stops bangfu cleanly (it lets the messages on their way finish, at most about
  40 s, and exits 0), so TimeoutStopSec leaves it a minute before systemd kills it;
- Restart=on-failure with RestartSec=30 and no start limit: a network or proxy outage can
  last hours, and bangfu must come back when it ends;
- RestartPreventExitStatus=2 3: status 2 is "BOT_TOKEN is not set", status 3 is "another
  `bangfu run` holds this database" (its holder is named in the journal). Restarting would
  fail the same way every 30 s: the unit stays stopped until someone acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UNIT_NAME = "bangfu"
TEMPLATE = """\
# bangfu (帮扶联系): the town's Telegram bot and its scheduler, as a systemd service.
# Written by `bangfu service install`; the guide is docs/部署与使用.md.
# Logs: journalctl -u {name}    Status: systemctl status {name}

[Unit]
Description=bangfu Telegram bot and scheduler ({workdir})
After=network-online.target postgresql.service
Wants=network-online.target
# Never give up: a network or proxy outage may last hours.
StartLimitIntervalSec=0

[Service]
Type=exec
User={user}
Group={group}
# bangfu reads its settings from .env in this folder.
WorkingDirectory={workdir}
ExecStart={bangfu} run
# SIGTERM: bangfu finishes the messages on their way and exits 0.
KillSignal=SIGTERM
TimeoutStopSec=60
Restart=on-failure
RestartSec=30
# 2: BOT_TOKEN is not set, or a setting is not valid. 3: another bangfu run holds this
# database (see the journal).
# Restarting would only fail again: stay stopped until someone acts.
RestartPreventExitStatus=2 3
Environment=PYTHONUNBUFFERED=1
CacheDirectory={name}
Environment=MPLCONFIGDIR=/var/cache/{name}
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class ServiceUnit:
    workdir: Path  # the install folder, holding .env (and data/, backups/ by default)
    bangfu: Path  # the bangfu command in the install's .venv
    user: str
    group: str
    name: str = UNIT_NAME

    def render(self) -> str:
        return TEMPLATE.format(
            workdir=self.workdir,
            bangfu=self.bangfu,
            user=self.user,
            group=self.group,
            name=self.name,
        )


def default_unit() -> ServiceUnit:
    """The unit in deploy/bangfu.service: installed in /opt/bangfu, run as `bangfu`."""
    workdir = Path("/opt/bangfu")
    return ServiceUnit(workdir, workdir / ".venv/bin/bangfu", "bangfu", "bangfu")
