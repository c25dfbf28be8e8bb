"""What the console prints from the data: commands to paste are quoted for the shell, and no
control character from a name reaches the terminal."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, write_csv
from tests.town_builder import TownBuilder

HOSTILE_NAME = "张三$(touch pwned)`id`;rm -rf ~"


@pytest.mark.parametrize("name", [HOSTILE_NAME, "-x", "--role=village_admin", "张=三", "-张 三"])
def test_the_invite_command_printed_after_an_import_pastes_as_one_name(
    console: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    write_csv(console / "r.csv", [household_row(1, 帮扶联系人=name)])

    assert main(["import", "roster", "r.csv"]) == 0

    invite = next(
        line.strip() for line in capsys.readouterr().out.splitlines() if "bangfu invite" in line
    )
    words = shlex.split(invite)
    assert words[:3] == ["bangfu", "invite", f"--name={name}"]
    pasted = build_parser().parse_args(words[1:])  # as bangfu reads the pasted line
    assert (pasted.name, pasted.role, pasted.phone) == (name, "contact", "13905641268")


def test_a_template_path_beginning_with_a_dash_pastes_as_a_path(
    console: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster-template", "--", "-花名册.xlsx"]) == 0

    command = capsys.readouterr().out.split("：")[-1].strip().rstrip("。")
    words = shlex.split(command)
    assert words == ["bangfu", "import", "roster", "./-花名册.xlsx"]
    assert build_parser().parse_args(words[1:]).file == Path("./-花名册.xlsx")


async def test_no_escape_code_stored_before_the_rules_reaches_the_terminal(
    app: App, console: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    town = TownBuilder(app)  # rows written straight to the database, as before the rules
    village = await town.village("河口\x1b[2J村")
    await town.household(village, "张\x1b]0;owned\x07桂英\r\x08")

    assert await _run(["unassigned"]) == 0

    out = capsys.readouterr().out
    assert "河口村" in out and "张桂英" in out
    assert not any(char in out for char in "\x1b\x07\r\x08"), repr(out)


async def _run(argv: list[str]) -> int:
    """`main` runs its own event loop: call it from a worker thread inside this test's loop."""
    import asyncio

    return await asyncio.to_thread(main, argv)


def test_a_console_command_says_only_warnings_each_once_in_the_clerks_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"  # a database folder other users can list
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{shared}/bangfu.sqlite3")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "zh")
    monkeypatch.delenv("BOT_TOKEN", raising=False)

    assert main(["unassigned"]) == 0  # migrates the new database, then reads it

    said = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.getMessage() for record in said] == [
        f"这台电脑的其他用户可以查看数据库所在的文件夹 {shared}。"
        f"如果这个文件夹只给 bangfu 用，请运行：chmod 700 {shared}"
    ]
    assert not [record for record in caplog.records if record.levelno < logging.WARNING]


@pytest.mark.parametrize(
    ("typed", "on_path", "printed"),
    [
        (".venv/bin/bangfu", None, ".venv/bin/bangfu"),  # the README's way: repeat the path
        ("bangfu", "/usr/local/bin/bangfu", "bangfu"),
        ("/srv/bangfu/.venv/bin/bangfu", "/srv/bangfu/.venv/bin/bangfu", "bangfu"),
        ("/usr/lib/python3/pytest", None, "bangfu"),  # not started as bangfu
    ],
)
def test_commands_to_paste_start_bangfu_the_way_the_operator_did(
    monkeypatch: pytest.MonkeyPatch, typed: str, on_path: str | None, printed: str
) -> None:
    from bot.cli import output

    monkeypatch.setattr(output.sys, "argv", [typed, "demo-data"])
    monkeypatch.setattr(output.shutil, "which", lambda _name: on_path)
    assert output.bangfu_command("invite", all=True) == f"{printed} invite --all"
