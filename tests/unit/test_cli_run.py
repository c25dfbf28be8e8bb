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
