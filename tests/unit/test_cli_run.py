"""`bangfu run` without a token explains how to get one and exits non-zero; it settles the
objects made at start-up out of garbage collection first (the overview's cold count)."""

from __future__ import annotations

import gc
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


def test_run_leaves_the_start_up_objects_out_of_garbage_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bangfu.sqlite3'}")
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        assert main(["run"]) == 2  # stops at the missing token, after start-up
        assert gc.get_freeze_count() > 100_000  # the modules and classes loaded, at least
    finally:
        gc.unfreeze()


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
