"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL names one), settings, a frozen clock and the app the services take."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.clock import FrozenClock
from bot.config import Settings, normalise_database_url
from bot.storage.migrate import upgrade
from bot.storage.models import Base
from bot.storage.uow import App
from bot.telegram.app import build_app

TZ = ZoneInfo("Asia/Shanghai")
PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL schema."""
    if PG_URL:
        url = normalise_database_url(PG_URL)
        _reset_postgres_schema(url)
        upgrade(url)
        return url
    path = tmp_path_factory.mktemp("template") / "bangfu.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


def _reset_postgres_schema(url: str) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def reset() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(reset())


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        yield migrated_template
        return
    target = tmp_path / "bangfu.sqlite3"
    shutil.copy(migrated_template, target)
    yield f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def _clean_postgres(database_url: str) -> AsyncIterator[None]:
    if PG_URL:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(database_url)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await engine.dispose()
    yield


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="123456:TEST-TOKEN",
        database_url=database_url,
        timezone="Asia/Shanghai",
        telegram_api_url="http://127.0.0.1:9",  # e2e tests point this at the stand-in
        backup_dir=tmp_path / "backups",  # never the working folder's, whenever a job fires
    )


@pytest.fixture
def clock() -> FrozenClock:
    """10 March 2026, 10:00 in the town: a Tuesday in the middle of a month."""
    return FrozenClock(TZ, datetime(2026, 3, 10, 10, 0, tzinfo=TZ))


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock, _clean_postgres: None) -> AsyncIterator[App]:
    application = build_app(settings, clock)
    yield application
    await application.close()


# Redis, for the tests of several workers: DB 1 of the local server unless TEST_REDIS_URL says
# otherwise; each test writes under a prefix of its own.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture
async def redis_url() -> str:
    """The tests' Redis, or the test skipped (with why) when it does not answer."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    probe = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await probe.ping()
    except (RedisError, OSError) as error:
        pytest.skip(f"no Redis at {REDIS_URL} ({error}); .ci/run starts one")
    finally:
        await probe.aclose()
    return REDIS_URL
