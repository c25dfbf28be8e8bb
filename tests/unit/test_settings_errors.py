"""A setting that is not valid stops `bangfu` with a line naming it, in the town's language,
and exit status 2 (systemd does not restart it: it would only fail again), not a traceback."""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.cli import main as bangfu


def main(argv: Sequence[str]) -> int:
    """`bangfu argv`, its language chosen in a context of its own (not this test session's)."""
    return contextvars.copy_context().run(bangfu, argv)


@pytest.fixture(autouse=True)
def _no_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "DB_POOL_SIZE",
        "TIMEZONE",
        "DEFAULT_LANGUAGE",
        "BOT_TOKEN",
        "TELEGRAM_PROXY",
        "WEB_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("DB_POOL_SIZE=0", "设置 DB_POOL_SIZE（在 .env 或环境变量里）的值不对：至少应当是 1"),
        ("DB_POOL_SIZE=many", "设置 DB_POOL_SIZE（在 .env 或环境变量里）的值不对：应当是一个整数"),
        (
            "TIMEZONE=Mars/Base",
            "设置 TIMEZONE（在 .env 或环境变量里）的值不对：“Mars/Base”不是时区",
        ),
        # bangfu's own validators' reasons are said in the town's language too
        (
            "TELEGRAM_PROXY=ftp://u:secret@10.0.0.2:21",
            "TELEGRAM_PROXY（在 .env 或环境变量里）的值不对：应当以 http://",
        ),
        ("TELEGRAM_PROXY=socks5://10.0.0.2", "需要写明主机和端口，例如 socks5://127.0.0.1:1080"),
        ("TELEGRAM_PROXY=http://u:pa[secret]@10.0.0.2:3128", "这不是一个网址（密码里的 [ 和 ]"),
        (
            "WEB_BASE_URL=bangfu.example.cn",
            "WEB_BASE_URL（在 .env 或环境变量里）的值不对：应当以 http:// 或 https:// 开头",
        ),
    ],
)
def test_a_wrong_setting_in_env_is_named(
    setting: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".env").write_text(setting + "\n", encoding="utf-8")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "请照 .env.example 里的说明改正" in err
    assert "Traceback" not in err
    assert "secret" not in err  # a proxy's password is never repeated


def test_in_english_when_the_town_chose_english(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".env").write_text("DEFAULT_LANGUAGE=en\n", encoding="utf-8")
    monkeypatch.setenv("DB_POOL_SIZE", "-3")
    assert main(["doctor"]) == 2
    assert (
        "The setting DB_POOL_SIZE (in .env or the environment) is not valid: it must be at least 1"
        in capsys.readouterr().err
    )


def test_a_validators_reason_in_english_when_the_town_chose_english(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".env").write_text("DEFAULT_LANGUAGE=en\nTIMEZONE=Asia/Shangai\n", encoding="utf-8")
    assert main(["doctor"]) == 2
    assert (
        "The setting TIMEZONE (in .env or the environment) is not valid: "
        "“Asia/Shangai” is no time zone (e.g. Asia/Shanghai)" in capsys.readouterr().err
    )
