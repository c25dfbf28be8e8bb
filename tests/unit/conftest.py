"""Fixtures shared by the unit tests that run the CLI as the operator would."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("DEFAULT_LANGUAGE", "zh")


@pytest.fixture
def console(
    database_url: str, _clean_postgres: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A clerk's folder with no .env, the test database, and the town's default language."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "zh")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return tmp_path
