"""`bangfu run` without a token explains how to get one and exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_run_without_a_token_explains_botfather_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bangfu.sqlite3'}")

    assert main(["run"]) == 2
    assert "@BotFather" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["run", "--workers", "3"], "--webhook"),
        (["run", "--webhook", "https://bangfu.example.cn/hook", "--workers", "3"], "Redis"),
        (["run", "--webhook", "bangfu.example.cn/hook"], "https://host/path"),
        (["run", "--webhook", "https://bangfu.example.cn/h", "--listen", "host:http"], "HOST:PORT"),
    ],
    ids=["workers without webhook", "workers on SQLite", "no scheme", "no port"],
)
def test_run_refuses_a_webhook_layout_it_cannot_serve_and_says_why(
    arguments: list[str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bangfu.sqlite3'}")
    monkeypatch.delenv("REDIS_URL", raising=False)

    assert main(arguments) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "bangfu.sqlite3").exists()  # refused before touching anything
