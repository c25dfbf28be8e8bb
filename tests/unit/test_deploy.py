"""The two ways to run bangfu as a service are right for a real server: the systemd unit
(`bangfu service install`, deploy/bangfu.service) and the container (Dockerfile, compose.yaml
with PostgreSQL). No engine runs here, so they are checked as files: `systemd-analyze
verify` where systemd is installed, `docker compose config` where the compose plugin is,
and their structure always."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.ops.systemd_unit import ServiceUnit, default_unit

ROOT = Path(__file__).resolve().parents[2]


def unit_lines(text: str) -> dict[str, list[str]]:
    """key → values of a unit file (repeated keys keep every value)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_in_deploy_is_the_one_service_install_writes() -> None:
    assert (ROOT / "deploy/bangfu.service").read_text(encoding="utf-8") == default_unit().render()


def test_the_unit_restarts_on_failure_but_not_when_another_bangfu_holds_the_database() -> None:
    unit = unit_lines(default_unit().render())
    assert unit["Restart"] == ["on-failure"]
    assert "3" in unit["RestartPreventExitStatus"][0].split()  # the leader lock is taken
    assert "2" in unit["RestartPreventExitStatus"][0].split()  # no BOT_TOKEN
    assert unit["StartLimitIntervalSec"] == ["0"]
    assert unit["KillSignal"] == ["SIGTERM"]
    assert int(unit["TimeoutStopSec"][0]) >= 45  # bangfu's own grace is 20 s + 20 s
    assert unit["User"] == ["bangfu"] and unit["WorkingDirectory"] == ["/opt/bangfu"]
    assert unit["ExecStart"] == ["/opt/bangfu/.venv/bin/bangfu run"]
    assert unit["WantedBy"] == ["multi-user.target"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd is not installed")
def test_systemd_accepts_the_unit_as_written_for_this_install(tmp_path: Path) -> None:
    bangfu = Path(sys.executable).with_name("bangfu")
    unit = ServiceUnit(tmp_path, bangfu, "bangfu", "bangfu")
    path = tmp_path / "bangfu.service"
    path.write_text(unit.render(), encoding="utf-8")

    checked = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, check=False
    )

    assert checked.returncode == 0, checked.stderr
    assert str(path) not in checked.stderr, checked.stderr  # no warning about this file


def test_service_install_writes_the_unit_for_this_folder_and_refuses_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST")
    units = tmp_path / "units"
    units.mkdir()

    assert main(["service", "install", "--unit-dir", str(units), "--user", "nobody"]) == 0
    written = unit_lines((units / "bangfu.service").read_text(encoding="utf-8"))
    assert written["User"] == ["nobody"] and written["WorkingDirectory"] == [str(tmp_path)]
    assert written["ExecStart"] == [f"{Path(sys.executable).with_name('bangfu')} run"]
    assert "systemctl enable --now bangfu" in capsys.readouterr().out

    if tmp_path.stat().st_uid == 0:  # the folder is root's: bangfu will not run as root
        assert main(["service", "install", "--unit-dir", str(units)]) == 2
        assert "useradd --system" in capsys.readouterr().err


# The container.


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    steps = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            steps.append((instruction.upper(), " ".join(arguments.split())))
    return steps


def test_the_image_installs_with_the_readme_s_own_setup_step() -> None:
    steps = dockerfile()
    assert ("RUN", "./scripts/setup") in steps
    start = (ROOT / "scripts/start").read_text(encoding="utf-8")
    assert "./scripts/setup" in start  # the README's first command runs the same step
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()
    }
    copied = [args.split()[:-1] for instruction, args in steps if instruction == "COPY"]
    for sources in copied:
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert source not in ignored, f"COPY {source}: excluded by .dockerignore"
    everything = {source for sources in copied for source in sources}
    assert {"pyproject.toml", "README.md", "scripts", "bot", "scheduler", "locales"} <= everything
    assert {".env", ".venv", "data", "backups"} <= ignored  # nothing private in the image


def test_the_image_runs_bangfu_as_a_non_root_user_with_a_real_health_check() -> None:
    steps = dict(dockerfile()[::-1])  # the last of each instruction wins, as in Docker
    assert steps["USER"] == "bangfu"
    assert steps["STOPSIGNAL"] == "SIGTERM"
    assert steps["HEALTHCHECK"].endswith('CMD ["bangfu", "doctor", "--quick"]')
    assert steps["CMD"] == '["bangfu", "run"]'
    assert "postgresql-client" in " ".join(a for i, a in dockerfile() if i == "RUN")


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_bangfu_with_postgresql_on_named_volumes_with_health_checks() -> None:
    services = compose()["services"]
    declared = set(compose()["volumes"])
    db, bot = services["db"], services["bot"]

    assert db["image"].startswith("postgres:15")  # the image's pg_dump is Debian bookworm's 15
    assert db["restart"] == bot["restart"] == "unless-stopped"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["healthcheck"]["test"] == ["CMD", "bangfu", "doctor", "--quick"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["env_file"] == ".env"
    assert "@db:5432/bangfu" in bot["environment"]["DATABASE_URL"]
    assert bot["stop_signal"] == "SIGTERM"
    assert int(bot["stop_grace_period"].removesuffix("s")) >= 45
    assert bot["build"] == "." and (ROOT / "Dockerfile").exists()
    mounts = {
        volume.split(":")[0]: volume.split(":")[1] for volume in db["volumes"] + bot["volumes"]
    }
    assert mounts["pgdata"] == "/var/lib/postgresql/data"
    assert mounts["bangfu-data"] == "/opt/bangfu/data"
    assert mounts["bangfu-backups"] == bot["environment"]["BACKUP_DIR"]
    assert set(mounts) <= declared  # named volumes, not host folders


def test_compose_offers_webhook_workers_with_redis_beside_polling() -> None:
    """`docker compose up` is polling as before; the `workers` profile adds Redis and
    `bangfu run --webhook URL --workers N` on the same database, volumes and health check."""
    services = compose()["services"]
    bot, workers, redis = services["bot"], services["workers"], services["redis"]

    assert "profiles" not in bot and "command" not in bot  # the image's `bangfu run`: polling
    assert workers["profiles"] == redis["profiles"] == ["workers"]
    assert redis["image"].startswith("redis:") and "ping" in redis["healthcheck"]["test"]
    assert "volumes" not in redis  # what workers share is not the record
    command = workers["command"]
    assert command[:3] == ["bangfu", "run", "--webhook"] and "WEBHOOK_URL" in command[3]
    assert command[4] == "--workers" and command[5] == "${WORKERS:-3}"
    environment = workers["environment"]
    assert environment["DATABASE_URL"] == bot["environment"]["DATABASE_URL"]
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    port = environment["WEBHOOK_LISTEN"].rpartition(":")[2]
    assert workers["ports"] == [f"127.0.0.1:{port}:{port}"]  # only the host's reverse proxy
    assert {name: spec["condition"] for name, spec in workers["depends_on"].items()} == {
        "db": "service_healthy",
        "redis": "service_healthy",
    }
    assert workers["volumes"] == bot["volumes"] and workers["env_file"] == ".env"
    assert workers["healthcheck"]["test"] == bot["healthcheck"]["test"]
    assert workers["restart"] == "unless-stopped" and workers["stop_signal"] == "SIGTERM"
    assert int(workers["stop_grace_period"].removesuffix("s")) > 45  # the workers' own 45 s


def _compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    found = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return found.returncode == 0


@pytest.mark.skipif(not _compose_plugin(), reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    for name in ("compose.yaml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=secret\nBOT_TOKEN=123456:TEST\n")
    checked = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
